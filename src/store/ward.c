/* Wards. */
#include "private.h"

#include "motcham/base/date.h"

static enum mc_err ward_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_ward w = {
	    .id = db_col_int64(st, 0),
	    .slug = col_text(st, 1),
	    .name = col_text(st, 2),
	    .address = col_text(st, 3),
	    .phone = col_text(st, 4),
	    .hours = col_text(st, 5),
	    .intro = col_text(st, 6),
	    .merged_into = db_col_int64(st, 7),
	    .sample = db_col_int(st, 8) != 0,
	};
	return v->fn.ward(v->ctx, &w);
}

enum mc_err mc_store_ward_id(struct mc_store *s, const char *slug, int64_t *id)
{
	struct db_stmt *st;

	PREPARE(s, ST_WARD_ID, st);
	bind_text(st, 1, slug);
	return query_id(st, id);
}

static enum mc_err ward_write(struct mc_store *s, const struct mc_ward *w, int64_t *id)
{
	char today[MC_DATE_LEN + 1];
	struct db_stmt *st;
	int64_t old = 0;
	enum mc_err err;

	if (!w->slug || !w->name)
		return MC_ERR_INVALID;
	err = mc_store_ward_id(s, w->slug, &old);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	if ((err = remember(s, E_WARD, old)) != MC_OK)
		return err;
	PREPARE(s, old ? ST_WARD_UPDATE : ST_WARD_INSERT, st);
	mc_date_today(today);
	bind_text(st, 1, w->slug);
	bind_text(st, 2, w->name);
	bind_text(st, 3, w->address);
	bind_text(st, 4, w->phone);
	bind_text(st, 5, w->hours);
	bind_text(st, 6, w->intro);
	if (w->merged_into)
		db_bind_int64(st, 7, w->merged_into);
	db_bind_int64(st, 8, w->sample ? 1 : 0);
	bind_text(st, 9, today);
	if (old)
		db_bind_int64(st, 10, old);
	return finish_upsert(st, old, id, NULL);
}

enum mc_err mc_store_ward_by_slug(struct mc_store *s, const char *slug, mc_store_ward_fn fn,
				  void *ctx)
{
	struct visit v = {.fn.ward = fn, .ctx = ctx};

	return walk_text(s, ST_WARD_BY_SLUG, slug, ward_row, &v, true);
}

enum mc_err mc_store_ward_by_id(struct mc_store *s, int64_t id, mc_store_ward_fn fn, void *ctx)
{
	struct visit v = {.fn.ward = fn, .ctx = ctx};

	return walk_int(s, ST_WARD_BY_ID, id, ward_row, &v, true);
}

enum mc_err mc_store_ward_each(struct mc_store *s, mc_store_ward_fn fn, void *ctx)
{
	struct visit v = {.fn.ward = fn, .ctx = ctx};

	return walk_int(s, ST_WARD_EACH, 0, ward_row, &v, false);
}

enum mc_err mc_store_ward_count(struct mc_store *s, int *n)
{
	struct db_stmt *st;
	int64_t count = 0;
	enum mc_err err;

	PREPARE(s, ST_WARD_COUNT, st);
	err = query_id(st, &count);
	*n = (int)count;
	return err;
}

enum mc_err mc_store_ward_upsert(struct mc_store *s, const struct mc_ward *w, int64_t *id)
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	err = ward_write(s, w, &rowid);
	if (id)
		*id = rowid;
	return end_write(s, err, owned, E_WARD, rowid, NULL);
}
