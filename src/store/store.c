/* The storage module's core: the connection, transactions, and the typed row walk that every
 * table's file reads through. The connection talks to its database through the driver chosen
 * at open (private.h); statements come from the table in sql.c, prepared once per connection
 * on first use and reset after each use. private.h lists the other files. */
#include "private.h"

#include <stdlib.h>

/* The driver for a path: SQLite's, a file. A PostgreSQL driver would claim its URIs
 * ("postgresql://...") here. */
static const struct db_ops *driver_for(const char *path)
{
	(void)path;
	return &db_sqlite;
}

enum mc_err mc_store_open(const char *path, unsigned flags, struct mc_store **out)
{
	struct mc_store *s;
	enum mc_err err;

	*out = NULL;
	if (!path || !*path)
		return MC_ERR_INVALID;
	s = calloc(1, sizeof(*s));
	if (!s)
		return MC_ERR_NOMEM;
	if ((err = driver_for(path)->open(path, flags, &s->db)) != MC_OK) {
		mc_store_destroy(s);
		return err;
	}
	*out = s;
	return MC_OK;
}

void mc_store_destroy(struct mc_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT_; i++)
		if (s->st[i])
			s->st[i]->ops->finalize(s->st[i]);
	if (s->db)
		s->db->ops->close(s->db);
	mc_buf_finish(&s->before);
	free(s);
}

const char *mc_store_errmsg(struct mc_store *s)
{
	return s && s->db ? s->db->ops->errmsg(s->db) : "no database";
}

enum mc_err stmt(struct mc_store *s, enum stmt_id id, struct db_stmt **st)
{
	const char *sql;
	enum mc_err err;

	if (!s->st[id]) {
		if (!(sql = sql_for(stmt_sql[id], s->db->ops->dialect))) {
			*st = NULL;
			return MC_ERR_INTERNAL;
		}
		if ((err = s->db->ops->prepare(s->db, sql, &s->st[id])) != MC_OK) {
			*st = NULL;
			return err;
		}
	}
	*st = s->st[id];
	return MC_OK;
}

enum mc_err exec_stmt(struct db_stmt *st)
{
	bool row;
	enum mc_err err = db_step(st, &row);

	done(st);
	return err;
}

enum mc_err query_id(struct db_stmt *st, int64_t *id)
{
	bool row;
	enum mc_err err = db_step(st, &row);

	if (err == MC_OK && row)
		*id = db_col_int64(st, 0);
	else if (err == MC_OK)
		err = MC_ERR_NOTFOUND;
	done(st);
	return err;
}

enum mc_err walk(struct db_stmt *st, row_fn row, const struct visit *v, bool one)
{
	enum mc_err err;
	bool more;
	int n = 0;

	while ((err = db_step(st, &more)) == MC_OK && more) {
		n++;
		if ((err = row(st, v)) != MC_OK)
			break;
	}
	if (err == MC_OK && one && n == 0)
		err = MC_ERR_NOTFOUND;
	done(st);
	return err;
}

enum mc_err mc_store_begin(struct mc_store *s)
{
	enum mc_err err;

	if ((err = s->db->ops->begin(s->db, true)) == MC_OK)
		s->depth = 1;
	s->tree.known = false; /* others may have appended since */
	return err;
}

enum mc_err mc_store_read_begin(struct mc_store *s)
{
	return s->db->ops->begin(s->db, false);
}

void mc_store_read_end(struct mc_store *s)
{
	mc_store_rollback(s); /* nothing was written: ending the read is all it does */
}

enum mc_err mc_store_commit(struct mc_store *s)
{
	enum mc_err err;

	if ((err = s->db->ops->commit(s->db)) != MC_OK) {
		mc_store_rollback(s);
		return err;
	}
	s->depth = 0;
	return MC_OK;
}

void mc_store_rollback(struct mc_store *s)
{
	if (!s || !db_in_tx(s->db)) {
		if (s)
			s->depth = 0;
		return;
	}
	s->db->ops->rollback(s->db);
	s->depth = 0;
}

enum mc_err scalar(struct mc_store *s, enum stmt_id id, long long *out)
{
	struct db_stmt *st;
	int64_t n = 0;
	enum mc_err err;

	PREPARE(s, id, st);
	err = query_id(st, &n);
	*out = n;
	return err;
}

enum mc_err walk_int(struct mc_store *s, enum stmt_id id, int64_t key, row_fn row,
		     const struct visit *v, bool one)
{
	struct db_stmt *st;

	PREPARE(s, id, st);
	db_bind_int64(st, 1, key);
	return walk(st, row, v, one);
}

enum mc_err walk_page(struct mc_store *s, enum stmt_id id, int64_t key, long long limit,
		      long long offset, row_fn row, const struct visit *v)
{
	struct db_stmt *st;

	if (limit < 0 || offset < 0)
		return MC_ERR_INVALID;
	PREPARE(s, id, st);
	db_bind_int64(st, 1, key);
	db_bind_int64(st, 2, limit);
	db_bind_int64(st, 3, offset);
	return walk(st, row, v, false);
}

enum mc_err count_int(struct mc_store *s, enum stmt_id id, int64_t key, long long *n)
{
	struct db_stmt *st;
	int64_t count = 0;
	enum mc_err err;

	PREPARE(s, id, st);
	db_bind_int64(st, 1, key);
	err = query_id(st, &count);
	*n = count;
	return err;
}

enum mc_err walk_text(struct mc_store *s, enum stmt_id id, const char *key, row_fn row,
		      const struct visit *v, bool one)
{
	struct db_stmt *st;

	PREPARE(s, id, st);
	bind_text(st, 1, key);
	return walk(st, row, v, one);
}

enum mc_err mc_store_data_version(struct mc_store *s, long long *v)
{
	return s->db->ops->data_version(s->db, v);
}

enum mc_err mc_store_content_version(struct mc_store *s, long long *v)
{
	/* Every change to a record appends an audit entry, so the newest entry's id moves
	 * exactly when content does, and not when only scan counts are written. */
	return scalar(s, ST_AUDIT_HEAD, v);
}
