/* The PostgreSQL driver's statements (pg.c has the connection): a text of the statement table
 * with ?N rewritten to $N, prepared on the server once per connection under a name of its own
 * (and again on a new connection after one was lost), run with its parameters sent as text
 * (blobs as bytes), its rows read as text by the same typed calls as SQLite's. */
#include "private.h"

#include <ctype.h>
#include <limits.h>
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pg_stmt {
	struct db_stmt base;
	struct pg_db *db;
	char name[24];
	char *sql;
	int nparams;
	unsigned gen; /* the connection it is prepared on (pg_db.gen); 0: none yet */
	bool again;   /* a query: safe to run once more on a new connection */
	const char **vals;
	int *lens, *fmts;
	char (*num)[32]; /* the text of bound numbers */
	PGresult *res;	 /* the rows, once the statement has run */
	int row, rows;
	unsigned char *blob; /* the last blob column read, decoded */
};

static struct pg_stmt *ps(struct db_stmt *st)
{
	return (struct pg_stmt *)st;
}

/* ?N to $N outside quotes; *n gets the highest N. $N is as long as ?N. */
static char *rewrite(const char *sql, int *n)
{
	size_t len = strlen(sql), j = 0;
	char *out = malloc(len + 1), quote = 0;
	long k;

	*n = 0;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = sql[i];

		if (quote) {
			quote = c == quote ? 0 : quote;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '?' && isdigit((unsigned char)sql[i + 1])) {
			k = strtol(sql + i + 1, NULL, 10);
			if (k > *n && k < 1000)
				*n = (int)k;
			c = '$';
		}
		out[j++] = c;
	}
	out[j] = '\0';
	return out;
}

/* Prepares the statement on the current connection. */
static enum mc_err on_server(struct pg_stmt *st)
{
	struct pg_db *d = st->db;
	PGresult *res = PQprepare(d->conn, st->name, st->sql, st->nparams, NULL);
	enum mc_err err = MC_OK;

	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		st->gen = d->gen;
	else
		err = pg_fail(d, res);
	PQclear(res);
	return err;
}

void pg_finalize(struct db_stmt *s)
{
	struct pg_stmt *st = ps(s);

	/* The server forgets the statement when the connection closes. */
	if (!st)
		return;
	PQclear(st->res);
	PQfreemem(st->blob);
	free(st->sql);
	free(st->vals);
	free(st->lens);
	free(st->fmts);
	free(st->num);
	free(st);
}

enum mc_err pg_prepare(struct db *db, const char *sql, struct db_stmt **out)
{
	struct pg_db *d = (struct pg_db *)db;
	struct pg_stmt *st;
	size_t n;
	enum mc_err err;

	*out = NULL;
	if (!(st = calloc(1, sizeof(*st))))
		return MC_ERR_NOMEM;
	st->base.ops = &db_pg;
	st->db = d;
	snprintf(st->name, sizeof(st->name), "mc%u", ++d->names);
	st->sql = rewrite(sql, &st->nparams);
	n = st->nparams ? (size_t)st->nparams : 1;
	st->vals = calloc(n, sizeof(*st->vals));
	st->lens = calloc(n, sizeof(*st->lens));
	st->fmts = calloc(n, sizeof(*st->fmts));
	st->num = calloc(n, sizeof(*st->num));
	if (!st->sql || !st->vals || !st->lens || !st->fmts || !st->num) {
		pg_finalize(&st->base);
		return MC_ERR_NOMEM;
	}
	sql += strspn(sql, " \t\n");
	st->again = !strncmp(sql, "SELECT", 6);
	/* Preparing changes nothing: on a connection found lost, prepare on a new one. */
	for (int tries = 0; tries < 2; tries++)
		if ((err = pg_ready(d)) != MC_OK || (err = on_server(st)) != MC_ERR_IO)
			break;
	if (err == MC_OK && !*st->sql)
		err = MC_ERR_INTERNAL;
	if (err != MC_OK) {
		pg_finalize(&st->base);
		return err;
	}
	*out = &st->base;
	return MC_OK;
}

void pg_reset(struct db_stmt *s)
{
	struct pg_stmt *st = ps(s);

	PQclear(st->res);
	st->res = NULL;
	PQfreemem(st->blob);
	st->blob = NULL;
	for (int i = 0; i < st->nparams; i++) {
		st->vals[i] = NULL;
		st->lens[i] = 0;
		st->fmts[i] = 0;
	}
}

/* The slot of parameter i (from 1), or -1 for one the statement does not have. */
static int slot(struct pg_stmt *st, int i)
{
	return i >= 1 && i <= st->nparams ? i - 1 : -1;
}

void pg_bind_int64(struct db_stmt *s, int i, int64_t v)
{
	struct pg_stmt *st = ps(s);
	int k = slot(st, i);

	if (k < 0)
		return;
	snprintf(st->num[k], sizeof(st->num[k]), "%lld", (long long)v);
	st->vals[k] = st->num[k];
	st->fmts[k] = 0;
}

void pg_bind_double(struct db_stmt *s, int i, double v)
{
	struct pg_stmt *st = ps(s);
	int k = slot(st, i);

	if (k < 0)
		return;
	/* 17 significant digits read back as the same double. */
	if (isnan(v))
		snprintf(st->num[k], sizeof(st->num[k]), "NaN");
	else if (isinf(v))
		snprintf(st->num[k], sizeof(st->num[k]), "%sInfinity", v < 0 ? "-" : "");
	else
		snprintf(st->num[k], sizeof(st->num[k]), "%.17g", v);
	st->vals[k] = st->num[k];
	st->fmts[k] = 0;
}

void pg_bind_text(struct db_stmt *s, int i, const char *v)
{
	struct pg_stmt *st = ps(s);
	int k = slot(st, i);

	if (k < 0)
		return;
	st->vals[k] = v;
	st->fmts[k] = 0;
}

void pg_bind_null(struct db_stmt *s, int i)
{
	struct pg_stmt *st = ps(s);
	int k = slot(st, i);

	if (k >= 0)
		st->vals[k] = NULL;
}

void pg_bind_blob(struct db_stmt *s, int i, const void *v, size_t len)
{
	struct pg_stmt *st = ps(s);
	int k = slot(st, i);

	if (k < 0)
		return;
	if (len > INT_MAX) {
		st->vals[k] = NULL; /* refused by the NOT NULL of the column */
		return;
	}
	st->vals[k] = len ? v : "";
	st->lens[k] = (int)len;
	st->fmts[k] = 1; /* the bytes as they are, not escaped into text */
}

/* Runs the statement. A connection found lost when the statement was sent is made again,
 * and the statement run once more when that cannot do anything twice: preparing, or a query
 * outside a transaction. */
static enum mc_err run(struct pg_stmt *st)
{
	struct pg_db *d = st->db;
	ExecStatusType status;
	PGresult *res;
	enum mc_err err;
	bool sent;

	for (int tries = 0;; tries++) {
		sent = false;
		if ((err = pg_ready(d)) == MC_OK && st->gen != d->gen)
			err = on_server(st);
		if (err == MC_OK) {
			sent = true;
			res = PQexecPrepared(d->conn, st->name, st->nparams, st->vals, st->lens,
					     st->fmts, 0);
			status = PQresultStatus(res);
			if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
				if (strncmp(PQcmdStatus(res), "SELECT", 6))
					d->changes = strtoll(PQcmdTuples(res), NULL, 10);
				st->res = res;
				return MC_OK;
			}
			err = pg_fail(d, res);
			PQclear(res);
		}
		if (err != MC_ERR_IO || d->tx || tries > 0 || (sent && !st->again))
			return err;
	}
}

enum mc_err pg_step(struct db_stmt *s, bool *row)
{
	struct pg_stmt *st = ps(s);
	enum mc_err err;

	*row = false;
	if (!st->res) {
		if ((err = run(st)) != MC_OK)
			return err;
		st->row = -1;
		st->rows = PQntuples(st->res);
	}
	PQfreemem(st->blob);
	st->blob = NULL;
	if (st->row + 1 < st->rows) {
		st->row++;
		*row = true;
	} else {
		st->row = st->rows;
	}
	return MC_OK;
}

/* The text of column i of the current row, or NULL (no row, no such column, SQL NULL). */
static const char *value(struct pg_stmt *st, int i)
{
	if (!st->res || st->row < 0 || st->row >= st->rows || i < 0 || i >= PQnfields(st->res) ||
	    PQgetisnull(st->res, st->row, i))
		return NULL;
	return PQgetvalue(st->res, st->row, i);
}

int64_t pg_col_int64(struct db_stmt *s, int i)
{
	const char *v = value(ps(s), i);

	if (!v)
		return 0;
	if (*v == 't' || *v == 'f')
		return *v == 't'; /* a boolean */
	return strtoll(v, NULL, 10);
}

double pg_col_double(struct db_stmt *s, int i)
{
	const char *v = value(ps(s), i);

	return v ? strtod(v, NULL) : 0.0;
}

const char *pg_col_text(struct db_stmt *s, int i)
{
	return value(ps(s), i);
}

bool pg_col_null(struct db_stmt *s, int i)
{
	return value(ps(s), i) == NULL;
}

const void *pg_col_blob(struct db_stmt *s, int i, size_t *len)
{
	struct pg_stmt *st = ps(s);
	const char *v = value(st, i);

	*len = 0;
	PQfreemem(st->blob);
	st->blob = v ? PQunescapeBytea((const unsigned char *)v, len) : NULL;
	if (!st->blob)
		*len = 0;
	return st->blob;
}
