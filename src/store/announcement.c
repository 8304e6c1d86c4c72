/* Announcements. */
#include "private.h"

#include "motcham/base/date.h"

static enum mc_err ann_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_announcement a = {
	    .id = db_col_int64(st, 0),
	    .ward_id = db_col_int64(st, 1),
	    .title = col_text(st, 2),
	    .body = col_text(st, 3),
	    .published_on = col_text(st, 4),
	    .expires_on = col_text(st, 5),
	    .updated_at = col_text(st, 6),
	    .retired_at = col_text(st, 7),
	};
	return v->fn.ann(v->ctx, &a);
}

static enum mc_err ann_write(struct mc_store *s, const struct mc_announcement *a, int64_t *id,
			     bool *created)
{
	char today[MC_DATE_LEN + 1];
	struct db_stmt *st;
	int64_t old;
	enum mc_err err;

	if (!a->title || !a->body || !a->published_on)
		return MC_ERR_INVALID;
	PREPARE(s, ST_ANN_ID, st);
	db_bind_int64(st, 1, a->ward_id);
	bind_text(st, 2, a->title);
	if ((err = find_old(st, &old)) != MC_OK || (err = by_id(&old, a->id)) != MC_OK ||
	    (err = remember_known(s, E_ANN, old, a->id)) != MC_OK)
		return err;
	PREPARE(s, old ? ST_ANN_UPDATE : ST_ANN_INSERT, st);
	mc_date_today(today);
	db_bind_int64(st, 1, a->ward_id);
	bind_text(st, 2, a->title);
	bind_text(st, 3, a->body);
	bind_text(st, 4, a->published_on);
	bind_text(st, 5, a->expires_on);
	bind_text(st, 6, today);
	if (old)
		db_bind_int64(st, 7, old);
	return finish_upsert(st, old, id, created);
}

enum mc_err mc_store_announcement_get(struct mc_store *s, int64_t id, mc_store_announcement_fn fn,
				      void *ctx)
{
	struct visit v = {.fn.ann = fn, .ctx = ctx};

	return walk_int(s, ST_ANN_GET, id, ann_row, &v, true);
}

enum mc_err mc_store_announcement_each_current(struct mc_store *s, int64_t ward_id,
					       const char *today, mc_store_announcement_fn fn,
					       void *ctx)
{
	struct visit v = {.fn.ann = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_ANN_CURRENT, st);
	db_bind_int64(st, 1, ward_id);
	bind_text(st, 2, today);
	return walk(st, ann_row, &v, false);
}

enum mc_err mc_store_announcement_each(struct mc_store *s, int64_t ward_id,
				       mc_store_announcement_fn fn, void *ctx)
{
	struct visit v = {.fn.ann = fn, .ctx = ctx};

	return walk_int(s, ST_ANN_EACH, ward_id, ann_row, &v, false);
}

enum mc_err mc_store_announcement_page(struct mc_store *s, int64_t ward_id, long long limit,
				       long long offset, mc_store_announcement_fn fn, void *ctx)
{
	struct visit v = {.fn.ann = fn, .ctx = ctx};

	return walk_page(s, ST_ANN_PAGE, ward_id, limit, offset, ann_row, &v);
}

enum mc_err mc_store_announcement_count(struct mc_store *s, int64_t ward_id, long long *n)
{
	return count_int(s, ST_ANN_COUNT, ward_id, n);
}

enum mc_err mc_store_announcement_upsert(struct mc_store *s, const struct mc_announcement *a,
					 int64_t *id, bool *created)
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	err = ann_write(s, a, &rowid, created);
	if (id)
		*id = rowid;
	return end_write(s, err, owned, E_ANN, rowid, NULL);
}

enum mc_err mc_store_announcement_retire(struct mc_store *s, int64_t id)
{
	return retire(s, ST_ANN_RETIRE, E_ANN, id);
}
