/* The SQLite driver of the database interface (private.h): the one file that includes
 * <sqlite3.h>, and the one place SQLite's result codes become enum mc_err. */
#include "private.h"

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The driver's own statements: SQLite's words for what the interface names. */
enum own { OWN_BEGIN, OWN_BEGIN_READ, OWN_COMMIT, OWN_ROLLBACK, OWN_DATA_VERSION, OWN_COUNT_ };

static const char *const own_sql[OWN_COUNT_] = {
    [OWN_BEGIN] = "BEGIN IMMEDIATE",
    [OWN_BEGIN_READ] = "BEGIN",
    [OWN_COMMIT] = "COMMIT",
    [OWN_ROLLBACK] = "ROLLBACK",
    [OWN_DATA_VERSION] = "PRAGMA data_version",
};

struct sq_db {
	struct db base;
	sqlite3 *db;
	sqlite3_stmt *own[OWN_COUNT_]; /* prepared on first use */
};

struct sq_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;
	/* An "INSERT ... RETURNING id" prepared without its RETURNING (see sq_prepare): the
	 * row it returns is the inserted rowid, once, when the insert inserted. */
	bool rowid;
	bool rowid_given;
	int64_t id;
};

static struct sq_db *sq(struct db *db)
{
	return (struct sq_db *)db;
}

static sqlite3_stmt *raw(struct db_stmt *st)
{
	return ((struct sq_stmt *)st)->st;
}

static enum mc_err map_rc(int rc)
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

/* Why preparing failed; a text that holds no statement is a bug, never success. */
static enum mc_err prep_err(sqlite3 *db)
{
	enum mc_err err = map_rc(sqlite3_errcode(db));

	return err == MC_OK ? MC_ERR_INTERNAL : err;
}

static void sq_close(struct db *db)
{
	struct sq_db *d = sq(db);

	if (!d)
		return;
	for (int i = 0; i < OWN_COUNT_; i++)
		sqlite3_finalize(d->own[i]);
	sqlite3_close(d->db);
	free(d);
}

static enum mc_err sq_open(const char *path, unsigned flags, struct db **out)
{
	struct sq_db *d;
	int oflags = SQLITE_OPEN_NOMUTEX;
	enum mc_err err;
	int rc;

	*out = NULL;
	if (!(d = calloc(1, sizeof(*d))))
		return MC_ERR_NOMEM;
	d->base.ops = &db_sqlite;
	if (flags & MC_STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |=
		    SQLITE_OPEN_READWRITE | ((flags & MC_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &d->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		/* Missing file or directory: say so; otherwise it exists but cannot be opened
		 * (permissions, a read-only file system). */
		err = access(path, F_OK) != 0 && !(flags & MC_STORE_CREATE) ? MC_ERR_NOTFOUND
									    : map_rc(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(d->db, 1);
	sqlite3_busy_timeout(d->db, 5000);
	rc = sqlite3_exec(d->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	/* WAL lets the server's readers carry on while one writer commits; NORMAL sync is
	 * durable against a killed process, which is what a ward office server meets. */
	if (rc == SQLITE_OK && !(flags & MC_STORE_READONLY))
		rc = sqlite3_exec(d->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		err = map_rc(rc);
		goto fail;
	}
	*out = &d->base;
	return MC_OK;
fail:
	sq_close(&d->base);
	return err == MC_OK ? MC_ERR_DB : err;
}

static const char *sq_errmsg(struct db *db)
{
	return sqlite3_errmsg(sq(db)->db);
}

static enum mc_err sq_exec(struct db *db, const char *script)
{
	return map_rc(sqlite3_exec(sq(db)->db, script, NULL, NULL, NULL));
}

static int64_t sq_changes(struct db *db)
{
	return sqlite3_changes(sq(db)->db);
}

/* One of the driver's own statements, prepared on first use. */
static enum mc_err own(struct sq_db *d, enum own q, sqlite3_stmt **st)
{
	if (!d->own[q] && sqlite3_prepare_v3(d->db, own_sql[q], -1, SQLITE_PREPARE_PERSISTENT,
					     &d->own[q], NULL) != SQLITE_OK)
		return prep_err(d->db);
	*st = d->own[q];
	return MC_OK;
}

/* Runs one of them that returns no rows we need, and resets it. */
static enum mc_err run(struct sq_db *d, enum own q)
{
	sqlite3_stmt *st;
	enum mc_err err;
	int rc;

	if ((err = own(d, q, &st)) != MC_OK)
		return err;
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? MC_OK : map_rc(rc);
}

static enum mc_err sq_begin(struct db *db, bool write)
{
	return run(sq(db), write ? OWN_BEGIN : OWN_BEGIN_READ);
}

static enum mc_err sq_commit(struct db *db)
{
	return run(sq(db), OWN_COMMIT);
}

static enum mc_err sq_rollback(struct db *db)
{
	return run(sq(db), OWN_ROLLBACK);
}

static bool sq_in_tx(struct db *db)
{
	return !sqlite3_get_autocommit(sq(db)->db);
}

static void sq_set_wait(struct db *db, unsigned ms)
{
	sqlite3_busy_timeout(sq(db)->db, (int)(ms > 600000 ? 600000 : ms));
}

/* data_version is a look at shared memory: ask at most every millisecond. */
static unsigned sq_poll_ms(struct db *db)
{
	(void)db;
	return 1;
}

/* data_version moves on every commit of another connection by itself. */
static void sq_changed(struct db *db)
{
	(void)db;
}

/* A failed statement undoes only itself and leaves the transaction open: nothing to add. */
static enum mc_err sq_nest(struct db *db, enum db_nest step)
{
	(void)db;
	(void)step;
	return MC_OK;
}

#define RETURNING_ID " RETURNING id"

/* SQLite carries out RETURNING by filling an ephemeral table first: a page zeroed, a
 * b-tree opened and closed, a statement journal, for each row of an import (a third of
 * the cost of an audited insert). The statement table's one-row "INSERT ... VALUES (...)
 * RETURNING id" is therefore prepared without the clause and the rowid taken from
 * sqlite3_last_insert_rowid, which names that row whether or not the insert fired
 * triggers. No row when nothing was inserted (ON CONFLICT DO NOTHING), as with
 * RETURNING. */
static bool returns_rowid(const char *sql, size_t *keep)
{
	size_t n = strlen(sql), k = sizeof(RETURNING_ID) - 1;

	if (strncmp(sql, "INSERT ", 7) != 0 || n < k || strcmp(sql + n - k, RETURNING_ID) != 0 ||
	    strstr(sql, " SELECT ") || strstr(sql, " DO UPDATE "))
		return false;
	*keep = n - k;
	return true;
}

static enum mc_err sq_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct sq_stmt *st;
	sqlite3_stmt *p = NULL;
	size_t keep = 0;
	bool rowid = returns_rowid(sql, &keep);
	int rc = sqlite3_prepare_v3(sq(db)->db, sql, rowid ? (int)keep : -1,
				    SQLITE_PREPARE_PERSISTENT, &p, NULL);

	*out = NULL;
	if (rc != SQLITE_OK || !p)
		return prep_err(sq(db)->db);
	if (!(st = calloc(1, sizeof(*st)))) {
		sqlite3_finalize(p);
		return MC_ERR_NOMEM;
	}
	st->base.ops = &db_sqlite;
	st->st = p;
	st->rowid = rowid;
	*out = &st->base;
	return MC_OK;
}

static void sq_finalize(struct db_stmt *st)
{
	if (!st)
		return;
	sqlite3_finalize(raw(st));
	free(st);
}

static void sq_reset(struct db_stmt *st)
{
	((struct sq_stmt *)st)->rowid_given = false;
	sqlite3_reset(raw(st));
	sqlite3_clear_bindings(raw(st));
}

static void sq_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(raw(st), i, v);
}

static void sq_bind_double(struct db_stmt *st, int i, double v)
{
	sqlite3_bind_double(raw(st), i, v);
}

static void sq_bind_text(struct db_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(raw(st), i, v, -1, SQLITE_STATIC);
}

static void sq_bind_null(struct db_stmt *st, int i)
{
	sqlite3_bind_null(raw(st), i);
}

static void sq_bind_blob(struct db_stmt *st, int i, const void *v, size_t len)
{
	if (len > INT_MAX)
		sqlite3_bind_null(raw(st), i); /* refused by the NOT NULL of the column */
	else
		sqlite3_bind_blob(raw(st), i, len ? v : "", (int)len, SQLITE_STATIC);
}

static enum mc_err sq_step(struct db_stmt *st, bool *row)
{
	struct sq_stmt *q = (struct sq_stmt *)st;
	sqlite3 *db;
	int rc;

	if (q->rowid && q->rowid_given) {
		*row = false;
		return MC_OK;
	}
	rc = sqlite3_step(q->st);
	*row = rc == SQLITE_ROW;
	if (q->rowid && rc == SQLITE_DONE) {
		db = sqlite3_db_handle(q->st);
		q->rowid_given = true;
		q->id = sqlite3_last_insert_rowid(db);
		*row = sqlite3_changes64(db) > 0;
	}
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? MC_OK : map_rc(rc);
}

static int64_t sq_col_int64(struct db_stmt *st, int i)
{
	struct sq_stmt *q = (struct sq_stmt *)st;

	if (q->rowid)
		return i == 0 ? q->id : 0;
	return sqlite3_column_int64(raw(st), i);
}

static double sq_col_double(struct db_stmt *st, int i)
{
	return sqlite3_column_double(raw(st), i);
}

static const char *sq_col_text(struct db_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(raw(st), i);
}

static bool sq_col_null(struct db_stmt *st, int i)
{
	return sqlite3_column_type(raw(st), i) == SQLITE_NULL;
}

static const void *sq_col_blob(struct db_stmt *st, int i, size_t *len)
{
	const void *v = sqlite3_column_blob(raw(st), i);

	*len = v ? (size_t)sqlite3_column_bytes(raw(st), i) : 0;
	return v;
}

static enum mc_err sq_data_version(struct db *db, long long *v)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	enum mc_err err;
	int rc;

	if ((err = own(sq(db), OWN_DATA_VERSION, &st)) != MC_OK)
		return err;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		err = rc == SQLITE_DONE ? MC_ERR_NOTFOUND : map_rc(rc);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	*v = n;
	return err;
}

static enum mc_err sq_user_version(struct db *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(sq(db)->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? MC_OK : map_rc(rc);
}

static enum mc_err sq_set_user_version(struct db *db, int version)
{
	char pragma[64];

	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version);
	return map_rc(sqlite3_exec(sq(db)->db, pragma, NULL, NULL, NULL));
}

static enum mc_err sq_backup(struct db *db, const char *path)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	enum mc_err err;
	int rc;

	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(dst);
		return MC_ERR_IO;
	}
	sqlite3_busy_timeout(dst, 5000);
	if (!(b = sqlite3_backup_init(dst, "main", sq(db)->db, "main"))) {
		err = map_rc(sqlite3_errcode(dst));
		sqlite3_close(dst);
		return err == MC_OK ? MC_ERR_DB : err;
	}
	/* Copy in steps so that writers get the lock between them; a write on another
	 * connection restarts the copy, which keeps it consistent. */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	err = rc == SQLITE_DONE ? MC_OK : map_rc(rc);
	sqlite3_close(dst);
	return err;
}

static enum mc_err sq_integrity(struct db *db, bool *ok)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sq(db)->db, "PRAGMA integrity_check", -1, &st, NULL);
	const char *verdict;

	*ok = false;
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		verdict = (const char *)sqlite3_column_text(st, 0);
		*ok = verdict && !strcmp(verdict, "ok");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? MC_OK : map_rc(rc);
}

const struct db_ops db_sqlite = {
    .dialect = DB_SQLITE,
    .name = "sqlite",
    .keeps_files = false,
    .open = sq_open,
    .close = sq_close,
    .errmsg = sq_errmsg,
    .exec = sq_exec,
    .changes = sq_changes,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .in_tx = sq_in_tx,
    .nest = sq_nest,
    .changed = sq_changed,
    .poll_ms = sq_poll_ms,
    .set_wait = sq_set_wait,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .bind_int64 = sq_bind_int64,
    .bind_double = sq_bind_double,
    .bind_text = sq_bind_text,
    .bind_null = sq_bind_null,
    .bind_blob = sq_bind_blob,
    .step = sq_step,
    .col_int64 = sq_col_int64,
    .col_double = sq_col_double,
    .col_text = sq_col_text,
    .col_null = sq_col_null,
    .col_blob = sq_col_blob,
    .data_version = sq_data_version,
    .user_version = sq_user_version,
    .set_user_version = sq_set_user_version,
    .backup = sq_backup,
    .integrity = sq_integrity,
};
