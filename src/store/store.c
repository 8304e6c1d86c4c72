/* The storage module's core: the connection, transactions, and the typed row walk that every
 * table's file reads through. Statements come from the table in sql.c, prepared once per
 * connection and reused (reset after each use). private.h lists the other files. */
#include "private.h"

#include <stdlib.h>
#include <unistd.h>

enum mc_err map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return MC_OK;
	case SQLITE_NOMEM:
		return MC_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_READONLY:
		return MC_ERR_BUSY;
	case SQLITE_FULL:
		return MC_ERR_FULL;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return MC_ERR_EXISTS;
		return MC_ERR_INVALID;
	case SQLITE_CANTOPEN:
		return MC_ERR_IO;
	default:
		return MC_ERR_DB;
	}
}

enum mc_err mc_store_open(const char *path, unsigned flags, struct mc_store **out)
{
	struct mc_store *s;
	int oflags = SQLITE_OPEN_NOMUTEX;
	enum mc_err err;
	int rc;

	*out = NULL;
	if (!path || !*path)
		return MC_ERR_INVALID;
	s = calloc(1, sizeof(*s));
	if (!s)
		return MC_ERR_NOMEM;
	if (flags & MC_STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |=
		    SQLITE_OPEN_READWRITE | ((flags & MC_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		/* Missing file or directory: say so; otherwise it exists but cannot be opened
		 * (permissions, a read-only file system). */
		err = access(path, F_OK) != 0 && !(flags & MC_STORE_CREATE) ? MC_ERR_NOTFOUND
									    : map_rc(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	rc = sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	/* WAL lets the server's readers carry on while one writer commits; NORMAL sync is
	 * durable against a killed process, which is what a ward office server meets. */
	if (rc == SQLITE_OK && !(flags & MC_STORE_READONLY))
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		err = map_rc(rc);
		goto fail;
	}
	*out = s;
	return MC_OK;
fail:
	mc_store_destroy(s);
	return err == MC_OK ? MC_ERR_DB : err;
}

void mc_store_destroy(struct mc_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT_; i++)
		sqlite3_finalize(s->st[i]);
	for (int i = 0; i < E_COUNT_; i++)
		sqlite3_finalize(s->snap[i]);
	sqlite3_close(s->db);
	mc_buf_finish(&s->before);
	free(s);
}

const char *mc_store_errmsg(struct mc_store *s)
{
	return s && s->db ? sqlite3_errmsg(s->db) : "no database";
}

enum mc_err prep_err(struct mc_store *s)
{
	enum mc_err err = map_rc(sqlite3_errcode(s->db));

	return err == MC_OK ? MC_ERR_INTERNAL : err;
}

sqlite3_stmt *stmt(struct mc_store *s, enum stmt_id id)
{
	if (!s->st[id] && sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					     &s->st[id], NULL) != SQLITE_OK)
		return NULL;
	return s->st[id];
}

void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (!v || !*v)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

const char *col_text(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v && *v ? v : NULL;
}

enum mc_err exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	done(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? MC_OK : map_rc(rc);
}

enum mc_err query_id(sqlite3_stmt *st, int64_t *id)
{
	int rc = sqlite3_step(st);
	enum mc_err err = MC_OK;

	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err = MC_ERR_NOTFOUND;
	else
		err = map_rc(rc);
	done(st);
	return err;
}

enum mc_err walk(sqlite3_stmt *st, row_fn row, const struct visit *v, bool one)
{
	enum mc_err err = MC_OK;
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if ((err = row(st, v)) != MC_OK)
			break;
	}
	if (err == MC_OK && rc != SQLITE_DONE)
		err = map_rc(rc);
	if (err == MC_OK && one && n == 0)
		err = MC_ERR_NOTFOUND;
	done(st);
	return err;
}

enum mc_err mc_store_begin(struct mc_store *s)
{
	sqlite3_stmt *st = stmt(s, ST_BEGIN);
	enum mc_err err;

	if (!st)
		return prep_err(s);
	if ((err = exec_stmt(st)) == MC_OK)
		s->depth = 1;
	return err;
}

enum mc_err mc_store_read_begin(struct mc_store *s)
{
	sqlite3_stmt *st = stmt(s, ST_BEGIN_READ);

	return st ? exec_stmt(st) : prep_err(s);
}

void mc_store_read_end(struct mc_store *s)
{
	mc_store_rollback(s); /* nothing was written: ending the read is all it does */
}

enum mc_err mc_store_commit(struct mc_store *s)
{
	sqlite3_stmt *st = stmt(s, ST_COMMIT);
	enum mc_err err;

	if (!st)
		return prep_err(s);
	if ((err = exec_stmt(st)) != MC_OK) {
		mc_store_rollback(s);
		return err;
	}
	s->depth = 0;
	return MC_OK;
}

void mc_store_rollback(struct mc_store *s)
{
	sqlite3_stmt *st;

	if (!s || sqlite3_get_autocommit(s->db)) {
		if (s)
			s->depth = 0;
		return;
	}
	if ((st = stmt(s, ST_ROLLBACK)) != NULL)
		exec_stmt(st);
	s->depth = 0;
}

enum mc_err scalar(struct mc_store *s, enum stmt_id id, long long *out)
{
	sqlite3_stmt *st;
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
	sqlite3_stmt *st;

	PREPARE(s, id, st);
	sqlite3_bind_int64(st, 1, key);
	return walk(st, row, v, one);
}

enum mc_err walk_text(struct mc_store *s, enum stmt_id id, const char *key, row_fn row,
		      const struct visit *v, bool one)
{
	sqlite3_stmt *st;

	PREPARE(s, id, st);
	bind_text(st, 1, key);
	return walk(st, row, v, one);
}

enum mc_err mc_store_data_version(struct mc_store *s, long long *v)
{
	return scalar(s, ST_DATA_VERSION, v);
}

enum mc_err mc_store_content_version(struct mc_store *s, long long *v)
{
	/* Every change to a record appends an audit entry, so the newest entry's id moves
	 * exactly when content does, and not when only scan counts are written. */
	return scalar(s, ST_AUDIT_HEAD, v);
}
