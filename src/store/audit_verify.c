/* Verifying and exporting the audit chain (audit.h), read through the public store API: the
 * whole chain for `audit verify`, one entry against its stored neighbours for the pages that
 * show entries as history. */
#include "motcham/store/audit.h"

#include <jansson.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
#include "motcham/base/merkle.h"
#include "motcham/store/store.h"

/* The prev_hash of entry 1. */
#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

enum mc_err mc_audit_check_entry(const struct mc_audit *a, const struct mc_audit_links *l,
				 struct mc_buf *canon, const char **why)
{
	char hash[MC_AUTH_SHA256_LEN + 1], leaf_hex[2 * MC_MERKLE_HASH + 1];
	unsigned char leaf[MC_MERKLE_HASH];
	const char *prev = a->id == 1 ? GENESIS : l->prev;
	enum mc_err err;

	*why = NULL;
	if (a->id < 1)
		*why = "entries are numbered from 1";
	else if (!prev)
		*why = "an entry before it is missing";
	else if (!a->prev_hash || strcmp(a->prev_hash, prev))
		*why = "it does not follow the entry before it";
	if (*why)
		return MC_OK;
	mc_buf_reset(canon);
	if ((err = mc_store_audit_canonical(a, canon)) != MC_OK)
		return err;
	mc_auth_sha256_hex(canon->data, canon->len, hash);
	if (!a->hash || strcmp(hash, a->hash)) {
		*why = "its content does not match its hash";
		return MC_OK;
	}
	if (!l->tree)
		return MC_OK;
	/* The leaf is written in the entry's own transaction (and by the migration that made
	 * the tree, for the entries before it) and never changed: a forger who made the entry's
	 * hash and chain agree again still leaves the old leaf behind, or none. */
	mc_merkle_leaf(canon->data, canon->len, leaf);
	sodium_bin2hex(leaf_hex, sizeof(leaf_hex), leaf, MC_MERKLE_HASH);
	if (!l->leaf)
		*why = "the log's tree lacks its leaf";
	else if (strcmp(leaf_hex, l->leaf))
		*why = "its leaf in the log's tree is another entry's";
	return MC_OK;
}

struct walk {
	struct mc_audit_check *out;
	int64_t last_id;
	struct mc_buf canon;
	char why[128];
};

static enum mc_err bad(struct walk *w, int64_t id, const char *why)
{
	w->out->first_bad = id;
	snprintf(w->out->why, sizeof(w->out->why), "%s", why);
	return MC_ERR_CHECK; /* stops the walk at the first mismatch */
}

static enum mc_err check_entry(void *ctx, const struct mc_audit *a)
{
	struct walk *w = ctx;
	struct mc_audit_links links = {0};
	const char *why;
	enum mc_err err;

	w->out->entries++;
	/* Entries are numbered from 1: one below would stand before the first, where no walk
	 * from 1 would see it, and the chain cannot be trusted from its start. */
	if (a->id < 1) {
		snprintf(w->why, sizeof(w->why),
			 "an entry numbered %lld stands before it (entries "
			 "are numbered from 1)",
			 (long long)a->id);
		return bad(w, 1, w->why);
	}
	if (a->id != w->last_id + 1)
		return bad(w, a->id,
			   w->last_id ? "an entry before it is missing"
				      : "the first entry is missing");
	/* The entry before is the one the walk just read; the tree is mc_log_verify's to check. */
	links.prev = w->out->head;
	if ((err = mc_audit_check_entry(a, &links, &w->canon, &why)) != MC_OK)
		return err;
	if (why)
		return bad(w, a->id, why);
	snprintf(w->out->head, sizeof(w->out->head), "%s", a->hash);
	w->last_id = a->id;
	return MC_OK;
}

enum mc_err mc_audit_verify(struct mc_store *s, struct mc_audit_check *out)
{
	struct walk w = {.out = out};
	long long count = 0;
	enum mc_err err;

	memset(out, 0, sizeof(*out));
	memset(out->head, '0', MC_AUTH_SHA256_LEN);
	/* Counted before the walk, which reads every id: entries appended meanwhile can only
	 * make the walk see more, so fewer seen than counted means some the walk cannot reach. */
	if ((err = mc_store_audit_count(s, &count)) != MC_OK)
		return err;
	mc_buf_init(&w.canon);
	err = mc_store_audit_each(s, INT64_MIN, NULL, 0, check_entry, &w);
	mc_buf_finish(&w.canon);
	if (err == MC_OK && out->entries < count) {
		snprintf(w.why, sizeof(w.why), "the trail holds %lld entries, the chain %lld",
			 count, out->entries);
		bad(&w, 1, w.why);
	}
	return err == MC_ERR_CHECK ? MC_OK : err;
}

struct export
{
	const char *since;
	FILE *out;
};

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static enum mc_err export_entry(void *ctx, const struct mc_audit *a)
{
	struct export *x = ctx;
	json_t *o;
	int rc;

	if (x->since && a->at && strncmp(a->at, x->since, strlen(x->since)) < 0)
		return MC_OK;
	o = json_pack("{sI ss sI so ss sI ss so so ss ss}", "id", (json_int_t)a->id, "at", a->at,
		      "actor_id", (json_int_t)a->actor_id, "actor", str_or_null(a->actor), "entity",
		      a->entity, "entity_id", (json_int_t)a->entity_id, "action", a->action,
		      "before", str_or_null(a->before), "after", str_or_null(a->after), "prev_hash",
		      a->prev_hash, "hash", a->hash);
	if (!o)
		return MC_ERR_NOMEM;
	rc = json_dumpf(o, x->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (rc != 0 || fputc('\n', x->out) == EOF)
		return MC_ERR_IO;
	return MC_OK;
}

enum mc_err mc_audit_export(struct mc_store *s, const char *since, FILE *out)
{
	struct export x = {since, out};

	return mc_store_audit_each(s, 0, NULL, 0, export_entry, &x);
}
