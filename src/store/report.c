/* Resident reports about permits. What the resident wrote (the description and the contact)
 * is sealed with a key of the report's own (libsodium secretbox), kept in report_key and in
 * no audit entry: the report and its entries hold "mc1:" and the sealed bytes in base64, and
 * erasing on request (Decree 13/2023) deletes the key, leaving the audit chain as it was. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define SEALED_PREFIX "mc1:"
#define SEALED_PREFIX_LEN 4

bool mc_store_report_sealed(const char *text)
{
	return text && !strncmp(text, SEALED_PREFIX, SEALED_PREFIX_LEN);
}

/* "mc1:" and base64 of nonce || secretbox(text); *out owned (free) on MC_OK. */
static enum mc_err seal(const unsigned char key[crypto_secretbox_KEYBYTES], const char *text,
			char **out)
{
	size_t n = strlen(text),
	       boxed = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
	size_t b64 = sodium_base64_ENCODED_LEN(boxed, sodium_base64_VARIANT_ORIGINAL);
	unsigned char *box = malloc(boxed);
	char *s = malloc(SEALED_PREFIX_LEN + b64);
	enum mc_err err = MC_ERR_NOMEM;

	if (box && s) {
		randombytes_buf(box, crypto_secretbox_NONCEBYTES);
		crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES,
				      (const unsigned char *)text, n, box, key);
		memcpy(s, SEALED_PREFIX, SEALED_PREFIX_LEN);
		sodium_bin2base64(s + SEALED_PREFIX_LEN, b64, box, boxed,
				  sodium_base64_VARIANT_ORIGINAL);
		*out = s;
		s = NULL;
		err = MC_OK;
	}
	free(box);
	free(s);
	return err;
}

/* The text sealed in sealed, with key_hex (NULL: erased): *out owned, NULL when it cannot be
 * opened. Text that is not sealed (a report from before version 8) is copied as it is. */
static enum mc_err unseal(const char *sealed, const char *key_hex, char **out)
{
	unsigned char key[crypto_secretbox_KEYBYTES], *box = NULL;
	size_t n = 0, len;
	enum mc_err err = MC_OK;

	*out = NULL;
	if (!sealed)
		return MC_OK;
	if (!mc_store_report_sealed(sealed))
		return (*out = strdup(sealed)) ? MC_OK : MC_ERR_NOMEM;
	len = strlen(sealed + SEALED_PREFIX_LEN);
	if (!key_hex ||
	    sodium_hex2bin(key, sizeof(key), key_hex, strlen(key_hex), NULL, &n, NULL) ||
	    n != sizeof(key))
		return MC_OK;
	if (!(box = malloc(len)) || !(*out = malloc(len + 1))) {
		err = MC_ERR_NOMEM;
	} else if (sodium_base642bin(box, len, sealed + SEALED_PREFIX_LEN, len, NULL, &n, NULL,
				     sodium_base64_VARIANT_ORIGINAL) ||
		   n < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
		   crypto_secretbox_open_easy((unsigned char *)*out,
					      box + crypto_secretbox_NONCEBYTES,
					      n - crypto_secretbox_NONCEBYTES, box, key)) {
		free(*out);
		*out = NULL;
	} else {
		(*out)[n - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES] = '\0';
	}
	sodium_memzero(key, sizeof(key));
	free(box);
	return err;
}

enum mc_err report_row(struct db_stmt *st, const struct visit *v)
{
	const char *key = col_text(st, 18);
	char *description = NULL, *contact = NULL;
	enum mc_err err;
	struct mc_report r = {
	    .id = db_col_int64(st, 0),
	    .ref = col_text(st, 1),
	    .permit_id = db_col_int64(st, 2),
	    .category = col_text(st, 3),
	    .description = col_text(st, 4),
	    .contact = col_text(st, 5),
	    .photo_sha256 = col_text(st, 6),
	    .photo_mime = col_text(st, 7),
	    .client_key = col_text(st, 8),
	    .created_at = col_text(st, 9),
	    .reviewed_at = col_text(st, 10),
	    .review_note = col_text(st, 11),
	    .ward_id = db_col_int64(st, 12),
	    .opened_at = col_text(st, 13),
	    .public_reply = col_text(st, 14),
	    .replied_at = col_text(st, 15),
	    .photo_size = db_col_int64(st, 16),
	    .erased_at = col_text(st, 17),
	};

	/* Erased: nothing of the words is given out, also not a report's from before sealing. */
	if (r.erased_at)
		r.description = r.contact = NULL;
	if ((err = unseal(r.description, key, &description)) == MC_OK &&
	    (err = unseal(r.contact, key, &contact)) == MC_OK) {
		r.description = description;
		r.contact = contact;
		err = v->fn.report(v->ctx, &r);
	}
	if (description)
		sodium_memzero(description, strlen(description));
	if (contact)
		sodium_memzero(contact, strlen(contact));
	free(description);
	free(contact);
	return err;
}

static void bind_report(struct db_stmt *st, const void *rec)
{
	const struct mc_report *r = rec;

	bind_text(st, 1, r->ref);
	db_bind_int64(st, 2, r->permit_id);
	bind_text(st, 3, r->category);
	bind_text(st, 4, r->description);
	bind_text(st, 5, r->contact);
	bind_text(st, 6, r->photo_sha256);
	bind_text(st, 7, r->photo_mime);
	bind_text(st, 8, r->client_key);
	if (r->photo_sha256 && r->photo_size > 0)
		db_bind_int64(st, 10, r->photo_size);
}

enum mc_err mc_store_report_add(struct mc_store *s, const struct mc_report *r, int64_t *id)
{
	unsigned char key[crypto_secretbox_KEYBYTES];
	char hex[2 * crypto_secretbox_KEYBYTES + 1];
	struct mc_report sealed = *r;
	char *description = NULL, *contact = NULL;
	struct db_stmt *st;
	int64_t rowid = 0;
	bool owned = false;
	enum mc_err err;

	if (!r->ref || !r->category || !r->description || !r->client_key)
		return MC_ERR_INVALID;
	crypto_secretbox_keygen(key);
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	if ((err = seal(key, r->description, &description)) == MC_OK &&
	    (!r->contact || (err = seal(key, r->contact, &contact)) == MC_OK))
		err = tx_begin(s, &owned);
	sodium_memzero(key, sizeof(key));
	if (err != MC_OK)
		goto out;
	sealed.description = description;
	sealed.contact = contact;
	err = audited_insert(s, ST_REPORT_INSERT, bind_report, &sealed, 9, E_REPORT, "create",
			     &rowid);
	if (err == MC_OK && (err = stmt(s, ST_REPORT_KEY_PUT, &st)) == MC_OK) {
		db_bind_int64(st, 1, rowid);
		bind_text(st, 2, hex);
		err = exec_stmt(st);
	}
	if ((err = tx_end(s, err, owned)) == MC_OK && id)
		*id = rowid;
out:
	sodium_memzero(hex, sizeof(hex));
	free(description);
	free(contact);
	return err;
}

enum mc_err mc_store_report_count_since(struct mc_store *s, const char *client_key,
					const char *since, int *n)
{
	struct db_stmt *st;
	int64_t count = 0;
	enum mc_err err;

	PREPARE(s, ST_REPORT_COUNT, st);
	bind_text(st, 1, client_key);
	bind_text(st, 2, since);
	err = query_id(st, &count);
	*n = (int)count;
	return err;
}

enum mc_err mc_store_report_each(struct mc_store *s, int64_t ward_id, mc_store_report_fn fn,
				 void *ctx)
{
	struct visit v = {.fn.report = fn, .ctx = ctx};

	return walk_int(s, ST_REPORT_EACH, ward_id, report_row, &v, false);
}

enum mc_err mc_store_report_by_ref(struct mc_store *s, const char *ref, mc_store_report_fn fn,
				   void *ctx)
{
	struct visit v = {.fn.report = fn, .ctx = ctx};

	if (!ref || !*ref)
		return MC_ERR_NOTFOUND;
	return walk_text(s, ST_REPORT_BY_REF, ref, report_row, &v, true);
}

enum mc_err mc_store_report_get(struct mc_store *s, int64_t id, mc_store_report_fn fn, void *ctx)
{
	struct visit v = {.fn.report = fn, .ctx = ctx};

	return walk_int(s, ST_REPORT_BY_ID, id, report_row, &v, true);
}

/* What staff write on a report; the statements number their parameters to match. */
struct answer {
	int64_t id;
	const char *reply, *note;
	bool done;
	int64_t actor_id;
};

/* ST_REPORT_ANSWER: ?1 id, ?2 reply, ?3 note, ?4 done, ?5 the user (?6 now). */
static void bind_answer(struct db_stmt *st, const struct answer *a)
{
	db_bind_int64(st, 1, a->id);
	bind_text(st, 2, a->reply);
	bind_text(st, 3, a->note);
	db_bind_int64(st, 4, a->done ? 1 : 0);
	if (a->actor_id)
		db_bind_int64(st, 5, a->actor_id);
}

/* ST_REPORT_REVIEW: ?1 id, ?2 the user, ?3 note (?4 now). */
static void bind_review(struct db_stmt *st, const struct answer *a)
{
	db_bind_int64(st, 1, a->id);
	if (a->actor_id)
		db_bind_int64(st, 2, a->actor_id);
	bind_text(st, 3, a->note);
}

/* One audited update of a report, the time of it bound to at_param: MC_ERR_NOTFOUND without
 * it, MC_ERR_GONE when the statement changes nothing (reviewed already). */
static enum mc_err report_update(struct mc_store *s, enum stmt_id sid,
				 void (*bind)(struct db_stmt *st, const struct answer *a),
				 const struct answer *a, int at_param, const char *action)
{
	char now[UTC_LEN + 1];
	struct db_stmt *st;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	if ((err = remember(s, E_REPORT, a->id)) == MC_OK && !s->before.len)
		err = MC_ERR_NOTFOUND;
	if (err == MC_OK)
		err = stmt(s, sid, &st);
	if (err == MC_OK) {
		bind(st, a);
		utc_now(now);
		bind_text(st, at_param, now);
		err = exec_stmt(st);
		if (err == MC_OK && db_changes(s->db) == 0)
			err = MC_ERR_GONE;
	}
	return end_write(s, err, owned, E_REPORT, a->id, action);
}

enum mc_err mc_store_report_answer(struct mc_store *s, int64_t id, const char *reply,
				   const char *note, bool done)
{
	struct answer a = {id, reply, note, done, s->actor_id};

	return report_update(s, ST_REPORT_ANSWER, bind_answer, &a, 6, done ? "review" : "reply");
}

enum mc_err mc_store_report_review(struct mc_store *s, int64_t id, const char *note)
{
	struct answer a = {id, NULL, note, true, s->actor_id};

	return report_update(s, ST_REPORT_REVIEW, bind_review, &a, 4, "review");
}

/* The photo's hash, when no record names it any more (its content may then go). */
struct erased_photo {
	char sha[65];
};

static enum mc_err photo_of(void *ctx, const struct mc_report *r)
{
	struct erased_photo *p = ctx;

	snprintf(p->sha, sizeof(p->sha), "%s", r->photo_sha256 ? r->photo_sha256 : "");
	return MC_OK;
}

static enum mc_err drop_photo(struct mc_store *s, const char *sha, bool *gone)
{
	struct db_stmt *st;
	int64_t uses = 0;
	enum mc_err err;

	*gone = false;
	PREPARE(s, ST_FILE_HASH_USED, st);
	bind_text(st, 1, sha);
	if ((err = query_id(st, &uses)) != MC_OK || uses > 0)
		return err;
	*gone = true;
	if (!s->db->ops->keeps_files)
		return MC_OK;
	PREPARE(s, ST_BLOB_DELETE, st);
	bind_text(st, 1, sha);
	return exec_stmt(st);
}

static enum mc_err erase_write(struct mc_store *s, int64_t id, struct erased_photo *p)
{
	char now[UTC_LEN + 1];
	struct db_stmt *st;
	bool gone = false;
	enum mc_err err;

	if ((err = mc_store_report_get(s, id, photo_of, p)) != MC_OK)
		return err;
	if ((err = remember(s, E_REPORT, id)) != MC_OK)
		return err;
	if (!s->before.len)
		return MC_ERR_NOTFOUND;
	if ((err = stmt(s, ST_SECURE_DELETE, &st)) != MC_OK || (err = exec_stmt(st)) != MC_OK)
		return err;
	PREPARE(s, ST_REPORT_ERASE, st);
	db_bind_int64(st, 1, id);
	utc_now(now);
	bind_text(st, 2, now);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	if (db_changes(s->db) == 0)
		return MC_ERR_GONE;
	PREPARE(s, ST_REPORT_KEY_DELETE, st);
	db_bind_int64(st, 1, id);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	if (p->sha[0] && (err = drop_photo(s, p->sha, &gone)) == MC_OK && !gone)
		p->sha[0] = '\0';
	return err;
}

enum mc_err mc_store_report_erase(struct mc_store *s, int64_t id, char photo[65])
{
	struct erased_photo p = {{0}};
	struct db_stmt *st;
	bool owned;
	enum mc_err err;

	photo[0] = '\0';
	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = end_write(s, erase_write(s, id, &p), owned, E_REPORT, id, "erase");
	if (err != MC_OK)
		return err;
	snprintf(photo, 65, "%s", p.sha);
	/* Best effort, once committed: readers may hold the log for a moment. */
	if (owned && stmt(s, ST_WAL_TRUNCATE, &st) == MC_OK)
		exec_stmt(st);
	return MC_OK;
}
