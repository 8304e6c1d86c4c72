/* The supervisors' board (/supervise): permit counts per ward and in all, the audit chain
 * head to write down (and, when asked, the whole chain checked), the public log's latest
 * signed checkpoint and who cosigned it, and the filter form. */
#include <stdio.h>
#include <time.h>

#include "motcham/base/auth.h"
#include "motcham/office/office.h"
#include "motcham/render/template.h"
#include "motcham/store/audit.h"
#include "motcham/store/log.h"
#include "motcham/store/store.h"
#include "private.h"

struct board {
	struct mc_tobj *root;
	struct mc_sup_ward total;
	int wards;
};

static enum mc_err ward_counts(struct mc_tobj *o, const struct mc_sup_ward *w)
{
	static const char *const keys[5] = {"issued", "in_progress", "suspended", "revoked",
					    "completed"};
	enum mc_err err = MC_OK;

	for (int i = 0; err == MC_OK && i < 5; i++)
		err = page_count(o, keys[i], w->by_status[i]);
	if (err == MC_OK)
		err = page_count(o, "total", w->total);
	if (err == MC_OK)
		err = page_count(o, "overdue", w->overdue);
	if (err == MC_OK)
		err = page_count(o, "expiring", w->expiring);
	if (err == MC_OK)
		err = page_count(o, "halted", w->by_status[2] + w->by_status[3]);
	if (err == MC_OK)
		err = page_count(o, "reported", w->reported);
	return err;
}

static enum mc_err board_ward_cb(void *ctx, const struct mc_sup_ward *w)
{
	struct board *b = ctx;
	struct mc_tobj *o = mc_tobj_push(b->root, "wards");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "slug", w->slug)) != MC_OK ||
	    (err = mc_tobj_str(o, "name", w->name)) != MC_OK ||
	    (err = mc_tobj_strf(o, "ward_q", "&ward=%s", w->slug ? w->slug : "")) != MC_OK)
		return err;
	b->total.total += w->total;
	for (int i = 0; i < 5; i++)
		b->total.by_status[i] += w->by_status[i];
	b->total.overdue += w->overdue;
	b->total.expiring += w->expiring;
	b->total.reported += w->reported;
	b->wards++;
	return ward_counts(o, w);
}

static enum mc_err last_hash(void *ctx, const struct mc_audit *a)
{
	snprintf(ctx, MC_AUTH_SHA256_LEN + 1, "%s", a->hash ? a->hash : "");
	return MC_OK;
}

/* The chain head is read at once (the newest entry); walking the whole chain takes time
 * on the one write connection, so it happens only when a supervisor asks (?verify=1). */
static enum mc_err add_chain(struct office *c)
{
	struct mc_audit_check chk;
	struct mc_tobj *o = mc_tobj_obj(c->root, "chain");
	char head[MC_AUTH_SHA256_LEN + 1] = "";
	long long last = 0;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_store_content_version(c->wr, &last)) != MC_OK ||
	    (err = mc_store_audit_each(c->wr, last - 1, NULL, 0, last_hash, head)) != MC_OK ||
	    (err = page_count(o, "entries", last)) != MC_OK ||
	    (err = mc_tobj_str(o, "head", head)) != MC_OK)
		return err;
	if (!page_arg(c, "verify"))
		return MC_OK;
	if ((err = mc_audit_verify(c->wr, &chk)) != MC_OK ||
	    (err = mc_tobj_bool(o, "checked", true)) != MC_OK)
		return err;
	if (!chk.first_bad)
		return mc_tobj_bool(o, "ok", true);
	if ((err = mc_tobj_strf(o, "first_bad", "%lld", (long long)chk.first_bad)) != MC_OK)
		return err;
	return mc_tobj_str(o, "why", chk.why);
}

struct signed_log {
	struct mc_tobj *root, *o;
	int64_t size;
};

static enum mc_err checkpoint_cb(void *ctx, const struct mc_store_checkpoint *cp)
{
	struct signed_log *l = ctx;
	enum mc_err err;

	if (!(l->o = mc_tobj_obj(l->root, "log")))
		return MC_ERR_NOMEM;
	l->size = cp->size;
	if ((err = page_count(l->o, "size", cp->size)) != MC_OK ||
	    (err = mc_tobj_str(l->o, "root", cp->root)) != MC_OK)
		return err;
	return mc_tobj_str(l->o, "signed_at", cp->signed_at);
}

static enum mc_err cosigner_cb(void *ctx, const struct mc_store_cosignature *cs)
{
	struct mc_tobj *o = mc_tobj_push(ctx, "cosigners");
	time_t t = (time_t)cs->cosigned_at;
	char when[32];
	struct tm tm;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if ((err = mc_tobj_str(o, "name", cs->name)) != MC_OK ||
	    (err = mc_tobj_str(o, "at", when)) != MC_OK)
		return err;
	return mc_tobj_str(o, "received_at", cs->received_at);
}

/* The latest checkpoint the log signed, how far the tree has grown since, and the witnesses
 * that cosigned it. No checkpoint yet leaves "log" unset. */
static enum mc_err add_log(struct office *c)
{
	struct signed_log l = {.root = c->root};
	int64_t size = 0;
	enum mc_err err = mc_store_log_checkpoint(c->wr, -1, checkpoint_cb, &l);

	if (err == MC_ERR_NOTFOUND)
		return MC_OK;
	if (err == MC_OK)
		err = mc_store_log_size(c->wr, &size);
	if (err == MC_OK)
		err = page_count(l.o, "unsigned", size - l.size);
	if (err != MC_OK)
		return err;
	return mc_store_log_cosignature_each(c->wr, l.size, cosigner_cb, l.o);
}

static enum mc_err dashboard(struct office *c)
{
	struct board b = {0};
	struct query q = {.def = &supervise_lists[0]};
	struct mc_tobj *total;
	enum mc_err err;

	if ((err = page_start(c, "Giám sát xây dựng")) != MC_OK)
		return err;
	b.root = c->root;
	if ((err = mc_store_sup_wards(c->wr, 0, c->today, c->soon, board_ward_cb, &b)) != MC_OK)
		return err;
	if (!(total = mc_tobj_obj(c->root, "total")))
		return MC_ERR_NOMEM;
	if ((err = ward_counts(total, &b.total)) != MC_OK ||
	    (err = page_count(c->root, "ward_count", b.wards)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "soon", c->soon)) != MC_OK ||
	    (err = add_chain(c)) != MC_OK || (err = add_log(c)) != MC_OK ||
	    (err = supervise_list_filter(c, &q)) != MC_OK)
		return err;
	return page_show(c, "supervise_home", 200);
}

enum mc_err mc_supervise_home(struct mc_call *call)
{
	return dashboard(call->scope);
}
