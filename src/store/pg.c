/* The PostgreSQL driver of the database interface (private.h), through libpq: the connection,
 * its transactions, the one place PostgreSQL's errors become enum mc_err, and the named
 * operations. Its statements are pg_stmt.c. Only these two files include <libpq-fe.h>.
 *
 * A lost connection is made again on the next use outside a transaction (not too often when
 * the server cannot be reached: see RETRY_MS), and the prepared statements with it
 * (pg_stmt.c); inside a transaction every call fails until the store rolls back, so no write
 * of a transaction can land outside it. */
#include "private.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A server that refuses a connection at once (stopped, restarting) is asked again on the next
 * use: it costs nothing, and the first use after it is back finds it. One that takes longer
 * than SLOW_MS to fail (unreachable: no answer until connect_timeout) holds the calling
 * thread, so the next attempt waits: from RETRY_MS, doubled after each such failure up to
 * RETRY_MAX_MS, which keeps the threads held to a small part of the time. */
#define SLOW_MS 100
#define RETRY_MS 250
#define RETRY_MAX_MS 4000

/* The key of the advisory lock every write transaction takes first: the database's one write
 * lock, held until commit or rollback, as SQLite's BEGIN IMMEDIATE holds the file's. ("mtch") */
#define WRITE_LOCK "1836344168"
/* Where commits that changed a record are told (LISTEN/NOTIFY). */
#define CHANNEL "mc_content"

/* What every session is set to: UTF-8; reals read back exactly; no notices on standard
 * error. How long it waits for the write lock (lock_timeout) is the connection's own
 * (set_wait), set after these. */
static const char session_sql[] = "SET client_encoding = 'UTF8';"
				  "SET extra_float_digits = 3;"
				  "SET client_min_messages = warning;"
				  "SET standard_conforming_strings = on;"
				  "SET TimeZone = 'UTC'";

static struct pg_db *pg(struct db *db)
{
	return (struct pg_db *)db;
}

static void note(struct pg_db *d, const char *msg)
{
	size_t n;

	snprintf(d->msg, sizeof(d->msg), "%s", msg && *msg ? msg : "PostgreSQL error");
	n = strlen(d->msg);
	while (n > 0 && (d->msg[n - 1] == '\n' || d->msg[n - 1] == ' '))
		d->msg[--n] = '\0';
}

/* SQLSTATE to enum mc_err (PostgreSQL's appendix A, by class). */
static enum mc_err map_state(const char *state)
{
	if (!state || strlen(state) != 5)
		return MC_ERR_DB;
	if (!strcmp(state, "23505"))
		return MC_ERR_EXISTS;
	if (!strncmp(state, "23", 2) || !strncmp(state, "22", 2))
		return MC_ERR_INVALID; /* a constraint, or a value the column cannot hold */
	if (!strcmp(state, "40001") || !strcmp(state, "40P01") || !strcmp(state, "55P03") ||
	    !strcmp(state, "57014") || !strcmp(state, "25006") || !strcmp(state, "53300"))
		return MC_ERR_BUSY; /* serialization, deadlock, lock wait, cancel, read-only */
	if (!strcmp(state, "53100"))
		return MC_ERR_FULL;
	if (!strcmp(state, "53200"))
		return MC_ERR_NOMEM;
	if (!strcmp(state, "3D000"))
		return MC_ERR_NOTFOUND;
	if (!strncmp(state, "08", 2) || !strncmp(state, "57P", 3) || !strncmp(state, "58", 2) ||
	    !strncmp(state, "28", 2) || !strncmp(state, "53", 2))
		return MC_ERR_IO; /* the connection, the server going away, the system */
	return MC_ERR_DB;
}

enum mc_err pg_fail(struct pg_db *d, PGresult *res)
{
	if (PQstatus(d->conn) == CONNECTION_BAD) {
		note(d, PQerrorMessage(d->conn));
		return MC_ERR_IO;
	}
	if (!res) {
		note(d, PQerrorMessage(d->conn));
		return MC_ERR_NOMEM;
	}
	note(d, PQresultErrorMessage(res));
	return map_state(PQresultErrorField(res, PG_DIAG_SQLSTATE));
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static enum mc_err apply_wait(struct pg_db *d)
{
	char sql[64];
	PGresult *res;
	enum mc_err err = MC_OK;

	snprintf(sql, sizeof(sql), "SET lock_timeout = %u", d->wait_ms);
	res = PQexec(d->conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		err = pg_fail(d, res);
	PQclear(res);
	return err;
}

/* Sets the session up after each connect (session_sql). A worker's connection is read-only
 * and listens for the commits that change a record (pg_commit tells them), so that its page
 * cache learns of them without asking; a hot standby cannot listen, and is asked instead
 * (pg_data_version). Notifications sent while the connection was away are lost: heard moves,
 * so the cache asks once. */
static enum mc_err setup(struct pg_db *d)
{
	PGresult *res = PQexec(d->conn, session_sql);
	enum mc_err err = MC_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		err = pg_fail(d, res);
	PQclear(res);
	if (err == MC_OK)
		err = apply_wait(d);
	if (err == MC_OK && d->readonly) {
		res = PQexec(d->conn, "LISTEN " CHANNEL);
		d->listening = PQresultStatus(res) == PGRES_COMMAND_OK;
		PQclear(res);
		res = PQexec(d->conn, "SET default_transaction_read_only = on");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			err = pg_fail(d, res);
		PQclear(res);
	}
	d->heard++;
	return err;
}

enum mc_err pg_ready(struct pg_db *d)
{
	long long now;

	if (PQstatus(d->conn) == CONNECTION_OK)
		return MC_OK;
	if (d->tx)
		return MC_ERR_IO; /* lost inside a transaction: the store rolls back first */
	now = now_ms();
	if (now < d->retry_at)
		return MC_ERR_IO;
	PQreset(d->conn);
	if (PQstatus(d->conn) != CONNECTION_OK || setup(d) != MC_OK) {
		note(d, PQerrorMessage(d->conn));
		if (now_ms() - now >= SLOW_MS) {
			d->retry_ms = d->retry_ms ? d->retry_ms * 2 : RETRY_MS;
			if (d->retry_ms > RETRY_MAX_MS)
				d->retry_ms = RETRY_MAX_MS;
			d->retry_at = now_ms() + d->retry_ms;
		}
		return MC_ERR_IO;
	}
	d->retry_ms = 0;
	d->gen++; /* the statements prepared on the old connection are gone */
	return MC_OK;
}

/* Runs one of the driver's own statements (no parameters) and checks it succeeded;
 * *out, when given, gets the result (the caller clears it). A statement that may safely run
 * twice is run again once on a new connection when the old one was found lost. */
static enum mc_err simple(struct pg_db *d, const char *sql, bool again, PGresult **out)
{
	ExecStatusType status;
	PGresult *res;
	enum mc_err err;

	if (out)
		*out = NULL;
	for (int tries = 0;; tries++) {
		if ((err = pg_ready(d)) != MC_OK)
			return err;
		res = PQexec(d->conn, sql);
		status = PQresultStatus(res);
		if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
			break;
		err = pg_fail(d, res);
		PQclear(res);
		if (!(err == MC_ERR_IO && again && !d->tx && tries == 0))
			return err;
	}
	if (out)
		*out = res;
	else
		PQclear(res);
	return MC_OK;
}

/* The integer in the first column of the first row of a query. */
static enum mc_err simple_int(struct pg_db *d, const char *sql, long long *v)
{
	PGresult *res;
	enum mc_err err = simple(d, sql, true, &res);

	*v = 0;
	if (err == MC_OK && PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		*v = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	else if (err == MC_OK)
		err = MC_ERR_NOTFOUND;
	PQclear(res);
	return err;
}

static void pg_close(struct db *db)
{
	struct pg_db *d = pg(db);

	if (!d)
		return;
	PQfinish(d->conn);
	free(d);
}

/* The notices the server sends (a table that exists already, ...) are for people at a psql
 * prompt, not for the log of a server. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static enum mc_err pg_open(const char *path, unsigned flags, struct db **out)
{
	/* The defaults come first: what the URL or key=value string says wins (expand_dbname). */
	const char *const keys[] = {"connect_timeout", "fallback_application_name", "dbname", NULL};
	const char *const values[] = {"5", "motcham", path, NULL};
	struct pg_db *d;
	enum mc_err err;

	*out = NULL;
	if (!(d = calloc(1, sizeof(*d))))
		return MC_ERR_NOMEM;
	d->base.ops = &db_pg;
	d->wait_ms = 5000; /* as long as SQLite's busy timeout */
	d->readonly = (flags & MC_STORE_READONLY) != 0;
	d->gen = 1;
	d->conn = PQconnectdbParams(keys, values, 1);
	if (!d->conn) {
		free(d);
		return MC_ERR_NOMEM;
	}
	PQsetNoticeProcessor(d->conn, quiet, NULL);
	if (PQstatus(d->conn) != CONNECTION_OK) {
		note(d, PQerrorMessage(d->conn));
		/* libpq gives no SQLSTATE for a failed connection: its message is all there is. */
		err = strstr(d->msg, "does not exist") && strstr(d->msg, "database")
			  ? MC_ERR_NOTFOUND
			  : MC_ERR_IO;
		goto fail;
	}
	if ((err = setup(d)) != MC_OK)
		goto fail;
	*out = &d->base;
	return MC_OK;
fail:
	*out = &d->base; /* for the message; the store closes it */
	return err;
}

static const char *pg_errmsg(struct db *db)
{
	return pg(db)->msg[0] ? pg(db)->msg : "not an error";
}

static enum mc_err pg_exec(struct db *db, const char *script)
{
	return simple(pg(db), script, false, NULL);
}

static int64_t pg_changes(struct db *db)
{
	return pg(db)->changes;
}

static enum mc_err pg_begin(struct db *db, bool write)
{
	struct pg_db *d = pg(db);
	enum mc_err err;

	/* Read committed: after the lock, every statement sees what others committed before. */
	err = simple(d,
		     write ? "BEGIN; SELECT pg_advisory_xact_lock(" WRITE_LOCK ")"
			   : "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
		     true, NULL);
	d->notify = false;
	if (err == MC_OK)
		d->tx = true;
	else if (PQtransactionStatus(d->conn) == PQTRANS_INERROR)
		PQclear(PQexec(d->conn, "ROLLBACK")); /* BEGIN went through, the lock did not */
	return err;
}

static enum mc_err pg_commit(struct db *db)
{
	struct pg_db *d = pg(db);
	PGresult *res;
	/* One round trip: the notification goes out with the commit, or not at all. */
	enum mc_err err =
	    simple(d, d->notify ? "NOTIFY " CHANNEL "; COMMIT" : "COMMIT", false, &res);

	/* COMMIT of a transaction that failed on the way answers ROLLBACK, not an error. */
	if (err == MC_OK && strcmp(PQcmdStatus(res), "COMMIT")) {
		note(d, "the transaction was rolled back");
		err = MC_ERR_DB;
	}
	PQclear(res);
	if (err == MC_OK || PQtransactionStatus(d->conn) == PQTRANS_IDLE)
		d->tx = d->notify = false;
	return err;
}

static enum mc_err pg_rollback(struct db *db)
{
	struct pg_db *d = pg(db);
	enum mc_err err = MC_OK;

	/* On a lost connection the server has rolled back already. */
	if (PQstatus(d->conn) == CONNECTION_OK)
		err = simple(d, "ROLLBACK", false, NULL);
	d->tx = d->notify = false;
	return err;
}

static bool pg_in_tx(struct db *db)
{
	return pg(db)->tx;
}

/* PostgreSQL ends the whole transaction at a failed statement: each store write inside a
 * caller's transaction is a savepoint, undone alone when it fails. */
static enum mc_err pg_nest(struct db *db, enum db_nest step)
{
	static const char *const sql[] = {
	    [NEST_BEGIN] = "SAVEPOINT mc_write",
	    [NEST_KEEP] = "RELEASE SAVEPOINT mc_write",
	    [NEST_UNDO] = "ROLLBACK TO SAVEPOINT mc_write; RELEASE SAVEPOINT mc_write",
	};

	return simple(pg(db), sql[step], false, NULL);
}

static void pg_changed(struct db *db)
{
	pg(db)->notify = true;
}

/* A listening connection counts the notifications that have come in (a read of the socket,
 * no round trip); elsewhere the content version (store.c: mc_store_content_version) is the
 * cheap question: an index lookup. */
static enum mc_err pg_data_version(struct db *db, long long *v)
{
	struct pg_db *d = pg(db);
	PGnotify *n;
	enum mc_err err;

	if (!d->listening)
		return simple_int(d, "SELECT coalesce(max(id), 0) FROM audit", v);
	if ((err = pg_ready(d)) != MC_OK)
		return err;
	if (!PQconsumeInput(d->conn)) {
		note(d, PQerrorMessage(d->conn));
		return MC_ERR_IO;
	}
	while ((n = PQnotifies(d->conn)) != NULL) {
		PQfreemem(n);
		d->heard++;
	}
	*v = d->heard;
	return MC_OK;
}

static unsigned pg_poll_ms(struct db *db)
{
	return pg(db)->listening ? 0 : 100;
}

/* Outside a transaction the new timeout is set at once; a connection lost meanwhile gets
 * it when it is made again (setup). */
static void pg_set_wait(struct db *db, unsigned ms)
{
	struct pg_db *d = pg(db);

	d->wait_ms = ms ? ms : 1; /* 0 would be no timeout at all */
	if (d->conn && !d->tx && PQstatus(d->conn) == CONNECTION_OK)
		apply_wait(d);
}

/* The schema version lives in a table of its own (SQLite keeps it in the file's header). */
static enum mc_err pg_user_version(struct db *db, int *version)
{
	long long exists = 0, v = 0;
	enum mc_err err;

	*version = 0;
	err = simple_int(pg(db),
			 "SELECT count(*) FROM pg_catalog.pg_tables WHERE tablename = "
			 "'schema_version' AND schemaname = current_schema()",
			 &exists);
	if (err == MC_OK && exists)
		err = simple_int(pg(db), "SELECT version FROM schema_version", &v);
	if (err == MC_OK)
		*version = (int)v;
	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

static enum mc_err pg_set_user_version(struct db *db, int version)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL);"
		 "DELETE FROM schema_version; INSERT INTO schema_version VALUES (%d)",
		 version);
	return simple(pg(db), sql, false, NULL);
}

/* The server checks its own pages (and their checksums, when the cluster has them on): the
 * failures it counted for this database. */
static enum mc_err pg_integrity(struct db *db, bool *ok)
{
	long long failures = 0;
	enum mc_err err = simple_int(pg(db),
				     "SELECT coalesce(checksum_failures, 0) FROM pg_stat_database "
				     "WHERE datname = current_database()",
				     &failures);

	*ok = err == MC_OK && failures == 0;
	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

const struct db_ops db_pg = {
    .dialect = DB_PG,
    .name = "postgresql",
    .keeps_files = true,
    .open = pg_open,
    .close = pg_close,
    .errmsg = pg_errmsg,
    .exec = pg_exec,
    .changes = pg_changes,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .in_tx = pg_in_tx,
    .nest = pg_nest,
    .changed = pg_changed,
    .poll_ms = pg_poll_ms,
    .set_wait = pg_set_wait,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_int64 = pg_bind_int64,
    .bind_double = pg_bind_double,
    .bind_text = pg_bind_text,
    .bind_null = pg_bind_null,
    .bind_blob = pg_bind_blob,
    .step = pg_step,
    .col_int64 = pg_col_int64,
    .col_double = pg_col_double,
    .col_text = pg_col_text,
    .col_null = pg_col_null,
    .col_blob = pg_col_blob,
    .data_version = pg_data_version,
    .user_version = pg_user_version,
    .set_user_version = pg_set_user_version,
    .backup = NULL, /* mc_store_backup copies the records into a SQLite file */
    .integrity = pg_integrity,
};
