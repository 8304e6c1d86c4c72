/* Files attached to permits. */
#include "private.h"

static enum mc_err file_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_file f = {
	    .id = db_col_int64(st, 0),
	    .permit_id = db_col_int64(st, 1),
	    .sha256 = col_text(st, 2),
	    .mime = col_text(st, 3),
	    .size = db_col_int64(st, 4),
	    .name = col_text(st, 5),
	    .public = db_col_int(st, 6) != 0,
	    .created_at = col_text(st, 7),
	};
	return v->fn.file(v->ctx, &f);
}

static void bind_file(struct db_stmt *st, const void *rec)
{
	const struct mc_file *f = rec;

	db_bind_int64(st, 1, f->permit_id);
	bind_text(st, 2, f->sha256);
	bind_text(st, 3, f->mime);
	db_bind_int64(st, 4, f->size);
	bind_text(st, 5, f->name);
	db_bind_int64(st, 6, f->public ? 1 : 0);
}

enum mc_err mc_store_file_add(struct mc_store *s, const struct mc_file *f, int64_t *id)
{
	if (!f->sha256 || !f->mime || !f->name)
		return MC_ERR_INVALID;
	return audited_insert(s, ST_FILE_INSERT, bind_file, f, E_FILE, "attach", id);
}

enum mc_err mc_store_file_each(struct mc_store *s, int64_t permit_id, bool public_only,
			       mc_store_file_fn fn, void *ctx)
{
	struct visit v = {.fn.file = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_FILE_EACH, st);
	db_bind_int64(st, 1, permit_id);
	db_bind_int64(st, 2, public_only ? 1 : 0);
	return walk(st, file_row, &v, false);
}

enum mc_err mc_store_file_by_hash(struct mc_store *s, const char *sha256, bool public_only,
				  mc_store_file_fn fn, void *ctx)
{
	struct visit v = {.fn.file = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_FILE_BY_HASH, st);
	bind_text(st, 1, sha256);
	db_bind_int64(st, 2, public_only ? 1 : 0);
	return walk(st, file_row, &v, true);
}
