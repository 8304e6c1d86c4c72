/* Files attached to permits, and their content where the database keeps it. */
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
	return audited_insert(s, ST_FILE_INSERT, bind_file, f, 7, E_FILE, "attach", id);
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

enum mc_err mc_store_blob_put(struct mc_store *s, const char *sha256, const void *data, size_t len)
{
	struct db_stmt *st;

	if (!s->db->ops->keeps_files || !sha256 || (!data && len))
		return MC_ERR_INVALID;
	PREPARE(s, ST_BLOB_PUT, st);
	bind_text(st, 1, sha256);
	db_bind_blob(st, 2, data, len);
	return exec_stmt(st);
}

enum mc_err mc_store_blob_get(struct mc_store *s, const char *sha256, size_t max,
			      struct mc_buf *out)
{
	struct db_stmt *st;
	const void *data;
	size_t len = 0;
	bool row;
	enum mc_err err;

	if (!s->db->ops->keeps_files || !sha256)
		return MC_ERR_INVALID;
	PREPARE(s, ST_BLOB_GET, st);
	bind_text(st, 1, sha256);
	err = db_step(st, &row);
	if (err == MC_OK && !row)
		err = MC_ERR_NOTFOUND;
	if (err == MC_OK) {
		data = db_col_blob(st, 0, &len);
		if (!data && len == 0 && !db_col_null(st, 0))
			err = MC_ERR_NOMEM;
		else if (out->len + len > max)
			err = MC_ERR_TOOBIG;
		else if (len)
			err = mc_buf_add(out, data, len);
	}
	done(st);
	return err;
}

/* What one piece costs a download in memory: libpq holds it as hex text, then decoded. */
#define BLOB_PIECE (256 * 1024)

static enum mc_err blob_length(struct mc_store *s, const char *sha256, int64_t *size)
{
	struct db_stmt *st;
	bool row;
	enum mc_err err;

	PREPARE(s, ST_BLOB_SIZE, st);
	bind_text(st, 1, sha256);
	err = db_step(st, &row);
	if (err == MC_OK && !row)
		err = MC_ERR_NOTFOUND;
	if (err == MC_OK)
		*size = db_col_int64(st, 0);
	done(st);
	return err;
}

enum mc_err mc_store_blob_size(struct mc_store *s, const char *sha256, long long *size)
{
	int64_t n = 0;
	enum mc_err err;

	*size = 0;
	if (!s->db->ops->keeps_files || !sha256)
		return MC_ERR_INVALID;
	err = blob_length(s, sha256, &n);
	*size = err == MC_OK ? (long long)n : 0;
	return err;
}

/* The piece of len bytes from offset (from 0) to fn. A piece shorter than asked means the
 * content is not the length it said it was a moment ago. */
static enum mc_err blob_piece(struct mc_store *s, const char *sha256, int64_t offset, int64_t len,
			      mc_store_piece_fn fn, void *ctx)
{
	struct db_stmt *st;
	const void *data;
	size_t n = 0;
	bool row;
	enum mc_err err;

	PREPARE(s, ST_BLOB_PIECE, st);
	bind_text(st, 1, sha256);
	db_bind_int64(st, 2, offset + 1);
	db_bind_int64(st, 3, len);
	err = db_step(st, &row);
	if (err == MC_OK && !row)
		err = MC_ERR_NOTFOUND;
	if (err == MC_OK) {
		data = db_col_blob(st, 0, &n);
		if (!data && !db_col_null(st, 0))
			err = MC_ERR_NOMEM;
		else if (n != (size_t)len)
			err = MC_ERR_CHECK;
		else
			err = fn(ctx, data, n);
	}
	done(st);
	return err;
}

enum mc_err mc_store_blob_read(struct mc_store *s, const char *sha256, size_t max,
			       mc_store_piece_fn fn, void *ctx)
{
	int64_t size = 0, at, n;
	enum mc_err err;

	if (!s->db->ops->keeps_files || !sha256)
		return MC_ERR_INVALID;
	if ((err = blob_length(s, sha256, &size)) != MC_OK)
		return err;
	if (size < 0 || (uint64_t)size > max)
		return MC_ERR_TOOBIG;
	for (at = 0; at < size && err == MC_OK; at += n) {
		n = size - at < BLOB_PIECE ? size - at : BLOB_PIECE;
		err = blob_piece(s, sha256, at, n, fn, ctx);
	}
	return err;
}

enum mc_err mc_store_file_hashes(struct mc_store *s, mc_store_hash_fn fn, void *ctx)
{
	struct db_stmt *st;
	bool row;
	enum mc_err err;

	PREPARE(s, ST_FILE_HASHES, st);
	while ((err = db_step(st, &row)) == MC_OK && row)
		if (col_text(st, 0) && (err = fn(ctx, col_text(st, 0))) != MC_OK)
			break;
	done(st);
	return err;
}

enum mc_err mc_store_upload_bytes(struct mc_store *s, int64_t ward_id, long long *bytes)
{
	struct db_stmt *st;
	int64_t n = 0;
	enum mc_err err;

	PREPARE(s, ST_FILE_WARD_BYTES, st);
	db_bind_int64(st, 1, ward_id);
	err = query_id(st, &n);
	*bytes = err == MC_OK ? (long long)n : 0;
	return err;
}
