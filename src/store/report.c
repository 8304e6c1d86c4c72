/* Resident reports about permits. */
#include "private.h"

enum mc_err report_row(struct db_stmt *st, const struct visit *v)
{
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
	};
	return v->fn.report(v->ctx, &r);
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
}

enum mc_err mc_store_report_add(struct mc_store *s, const struct mc_report *r, int64_t *id)
{
	if (!r->ref || !r->category || !r->description || !r->client_key)
		return MC_ERR_INVALID;
	return audited_insert(s, ST_REPORT_INSERT, bind_report, r, 9, E_REPORT, "create", id);
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
