/* The audit trail and the audited writes. Every write of a record runs in a transaction (the
 * caller's, or one of its own) and appends exactly one entry to the trail in it: who, when,
 * which record, and the record's JSON before and after, chained by SHA-256 to the entry before.
 * Also reads the trail back. Checking the chain is audit_verify.c. */
#include "private.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "motcham/base/auth.h"
#include "motcham/base/date.h"

static const char *const entity_name[E_COUNT_] = {
    "ward", "announcement", "procedure", "permit",	  "inspection",	 "code",
    "user", "file",	    "report",	 "kiosk_feature", "kiosk_slide", "kiosk_notice",
};

/* How each record is written down in its entries (JSON). */
static const enum stmt_id snap_stmt[E_COUNT_] = {
    [E_WARD] = ST_SNAP_WARD,
    [E_ANN] = ST_SNAP_ANN,
    [E_PROC] = ST_SNAP_PROC,
    [E_PERMIT] = ST_SNAP_PERMIT,
    [E_INSP] = ST_SNAP_INSP,
    [E_CODE] = ST_SNAP_CODE,
    [E_USER] = ST_SNAP_USER,
    [E_FILE] = ST_SNAP_FILE,
    [E_REPORT] = ST_SNAP_REPORT,
    [E_KIOSK_FEATURE] = ST_SNAP_KIOSK_FEATURE,
    [E_KIOSK_SLIDE] = ST_SNAP_KIOSK_SLIDE,
    [E_KIOSK_NOTICE] = ST_SNAP_KIOSK_NOTICE,
};

enum mc_err mc_store_set_actor(struct mc_store *s, int64_t user_id, const char *label)
{
	s->actor_id = user_id;
	snprintf(s->actor, sizeof(s->actor), "%s", label && *label ? label : "system");
	return MC_OK;
}

enum mc_err tx_begin(struct mc_store *s, bool *owned)
{
	*owned = !db_in_tx(s->db);
	return *owned ? mc_store_begin(s) : s->db->ops->nest(s->db, NEST_BEGIN);
}

enum mc_err tx_end(struct mc_store *s, enum mc_err err, bool owned)
{
	enum mc_err nested;

	if (!owned) {
		/* The caller's transaction goes on without this write when it failed, and without
		 * the leaves it appended: the tree's edge is read again at the next append. */
		if (err != MC_OK)
			s->tree.known = s->head.known = false;
		nested = s->db->ops->nest(s->db, err == MC_OK ? NEST_KEEP : NEST_UNDO);
		return err != MC_OK ? err : nested;
	}
	if (err != MC_OK) {
		mc_store_rollback(s);
		return err;
	}
	return mc_store_commit(s);
}

/* Appends the record's current JSON form to out; leaves out empty when it is gone. */
static enum mc_err snap(struct mc_store *s, enum entity e, int64_t id, struct mc_buf *out)
{
	struct db_stmt *st;
	const char *json;
	bool row;
	enum mc_err err;

	mc_buf_reset(out);
	PREPARE(s, snap_stmt[e], st);
	db_bind_int64(st, 1, id);
	err = db_step(st, &row);
	if (err == MC_OK && row && (json = db_col_text(st, 0)))
		err = mc_buf_puts(out, json);
	done(st);
	return err;
}

static enum mc_err add_field(struct mc_buf *out, const char *v)
{
	size_t n;
	enum mc_err err;

	if (!v)
		return mc_buf_puts(out, "-\n");
	/* The value copied, not formatted: a snapshot is a kilobyte of JSON, and printf's
	 * %s over it was a tenth of an import's time. */
	n = strlen(v);
	if ((err = mc_buf_printf(out, "%zu:", n)) == MC_OK &&
	    (err = mc_buf_add(out, v, n)) == MC_OK)
		err = mc_buf_putc(out, '\n');
	return err;
}

enum mc_err mc_store_audit_canonical(const struct mc_audit *a, struct mc_buf *out)
{
	enum mc_err err;

	/* Length-prefixed fields: no two different entries can share a canonical form. */
	err = mc_buf_printf(out, "motcham-audit-1\n%lld\n%lld\n%lld\n", (long long)a->id,
			    (long long)a->actor_id, (long long)a->entity_id);
	const char *fields[] = {a->at,	   a->actor, a->entity,	  a->action,
				a->before, a->after, a->prev_hash};
	for (size_t i = 0; err == MC_OK && i < sizeof(fields) / sizeof(fields[0]); i++)
		err = add_field(out, fields[i]);
	return err;
}

static enum mc_err audit_insert(struct mc_store *s, struct mc_audit *a,
				char hash[MC_AUTH_SHA256_LEN + 1])
{
	struct mc_buf canon;
	struct db_stmt *st;
	enum mc_err err;

	mc_buf_init(&canon);
	if ((err = mc_store_audit_canonical(a, &canon)) != MC_OK)
		goto out;
	mc_auth_sha256_hex(canon.data, canon.len, hash);
	if ((err = stmt(s, ST_AUDIT_INSERT, &st)) != MC_OK)
		goto out;
	db_bind_int64(st, 1, a->id);
	bind_text(st, 2, a->at);
	if (a->actor_id)
		db_bind_int64(st, 3, a->actor_id);
	bind_text(st, 4, a->actor);
	bind_text(st, 5, a->entity);
	db_bind_int64(st, 6, a->entity_id);
	bind_text(st, 7, a->action);
	bind_text(st, 8, a->before);
	bind_text(st, 9, a->after);
	bind_text(st, 10, a->prev_hash);
	bind_text(st, 11, hash);
	if ((err = exec_stmt(st)) == MC_OK)
		err = tree_append(s, a->id, canon.data, canon.len); /* the entry is a leaf */
out:
	mc_buf_finish(&canon);
	return err;
}

enum mc_err audit(struct mc_store *s, enum entity e, int64_t id, const char *action,
		  const struct mc_buf *before)
{
	char at[UTC_LEN + 1], prev[MC_AUTH_SHA256_LEN + 1];
	struct mc_audit a = {0};
	struct mc_buf after;
	struct db_stmt *st;
	int64_t last = 0;
	bool row;
	enum mc_err err = MC_OK;

	mc_buf_init(&after);
	memset(prev, '0', MC_AUTH_SHA256_LEN);
	prev[MC_AUTH_SHA256_LEN] = '\0';
	if (s->head.known && db_in_tx(s->db)) {
		last = s->head.id;
		memcpy(prev, s->head.hash, sizeof(prev));
	} else {
		PREPARE(s, ST_AUDIT_LAST, st);
		if ((err = db_step(st, &row)) == MC_OK && row) {
			last = db_col_int64(st, 0);
			snprintf(prev, sizeof(prev), "%s", db_col_text(st, 1));
		}
		done(st);
	}
	if (err == MC_OK)
		err = snap(s, e, id, &after);
	if (err != MC_OK)
		goto out;
	utc_now(at);
	a = (struct mc_audit){.id = last + 1,
			      .at = at,
			      .actor_id = s->actor_id,
			      .actor = s->actor[0] ? s->actor : "system",
			      .entity = entity_name[e],
			      .entity_id = id,
			      .action = action,
			      .before = before && before->len ? before->data : NULL,
			      .after = after.len ? after.data : NULL,
			      .prev_hash = prev};
	s->head.known = false; /* until this entry is in */
	if ((err = audit_insert(s, &a, s->head.hash)) == MC_OK) {
		s->head.id = a.id;
		s->head.known = true;
		s->db->ops->changed(s->db);
	}
out:
	mc_buf_finish(&after);
	return err;
}

enum mc_err remember(struct mc_store *s, enum entity e, int64_t id)
{
	mc_buf_reset(&s->before);
	return id ? snap(s, e, id, &s->before) : MC_OK;
}

enum mc_err by_id(int64_t *old, int64_t id)
{
	if (!id)
		return MC_OK;
	if (*old && *old != id)
		return MC_ERR_EXISTS;
	*old = id;
	return MC_OK;
}

enum mc_err remember_known(struct mc_store *s, enum entity e, int64_t old, int64_t id)
{
	enum mc_err err = remember(s, e, old);

	return err == MC_OK && id && !s->before.len ? MC_ERR_NOTFOUND : err;
}

enum mc_err end_write(struct mc_store *s, enum mc_err err, bool owned, enum entity e, int64_t id,
		      const char *action)
{
	if (err == MC_OK)
		err = audit(s, e, id,
			    action	    ? action
			    : s->before.len ? "update"
					    : "create",
			    &s->before);
	mc_buf_reset(&s->before);
	return tx_end(s, err, owned);
}

enum mc_err audited_insert(struct mc_store *s, enum stmt_id sid,
			   void (*bind)(struct db_stmt *st, const void *rec), const void *rec,
			   int at_param, enum entity e, const char *action, int64_t *id)
{
	char now[UTC_LEN + 1];
	struct db_stmt *st;
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	if ((err = stmt(s, sid, &st)) == MC_OK) {
		bind(st, rec);
		if (at_param) {
			utc_now(now);
			bind_text(st, at_param, now);
		}
		err = query_id(st, &rowid);
	}
	if (id)
		*id = rowid;
	return end_write(s, err, owned, e, rowid, action);
}

enum mc_err find_old(struct db_stmt *st, int64_t *old)
{
	enum mc_err err = query_id(st, old);

	if (err == MC_ERR_NOTFOUND) {
		*old = 0;
		return MC_OK;
	}
	return err;
}

enum mc_err finish_upsert(struct db_stmt *st, int64_t old, int64_t *id, bool *created)
{
	int64_t rowid = old;
	enum mc_err err = old ? exec_stmt(st) : query_id(st, &rowid);

	if (err != MC_OK)
		return err;
	if (id)
		*id = rowid;
	if (created)
		*created = old == 0;
	return MC_OK;
}

enum mc_err retire(struct mc_store *s, enum stmt_id sid, enum entity e, int64_t id)
{
	char today[MC_DATE_LEN + 1];
	struct db_stmt *st;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	if ((err = remember(s, e, id)) == MC_OK && !s->before.len)
		err = MC_ERR_NOTFOUND;
	if (err == MC_OK)
		err = stmt(s, sid, &st);
	if (err == MC_OK) {
		mc_date_today(today);
		db_bind_int64(st, 1, id);
		bind_text(st, 2, today);
		err = exec_stmt(st);
		if (err == MC_OK && db_changes(s->db) == 0)
			err = MC_ERR_GONE;
	}
	return end_write(s, err, owned, e, id, "retire");
}

enum mc_err audit_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_audit a = {
	    .id = db_col_int64(st, 0),
	    .at = col_text(st, 1),
	    .actor_id = db_col_int64(st, 2),
	    .actor = col_text(st, 3),
	    .entity = col_text(st, 4),
	    .entity_id = db_col_int64(st, 5),
	    .action = col_text(st, 6),
	    .before = col_text(st, 7),
	    .after = col_text(st, 8),
	    .prev_hash = col_text(st, 9),
	    .hash = col_text(st, 10),
	};
	return v->fn.audit(v->ctx, &a);
}

enum mc_err mc_store_audit_each(struct mc_store *s, int64_t after_id, const char *entity,
				int64_t entity_id, mc_store_audit_fn fn, void *ctx)
{
	struct visit v = {.fn.audit = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_AUDIT_EACH, st);
	db_bind_int64(st, 1, after_id);
	bind_text(st, 2, entity);
	db_bind_int64(st, 3, entity_id);
	return walk(st, audit_row, &v, false);
}

enum mc_err mc_store_audit_count(struct mc_store *s, long long *n)
{
	return scalar(s, ST_AUDIT_COUNT, n);
}
