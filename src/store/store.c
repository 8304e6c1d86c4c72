/* The storage module's core: the connection, transactions, and the typed row walk that every
 * table's file reads through. The connection talks to its database through the driver chosen
 * at open by the path's form (private.h); statements come from the table in sql.c, prepared once
 * per connection on first use and reset after each use. private.h lists the other files. */
#include "private.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

bool mc_store_is_pg(const char *path)
{
	const char *p = path;

	if (!p)
		return false;
	if (!strncmp(p, "postgresql://", 13) || !strncmp(p, "postgres://", 11))
		return true;
	/* A libpq key=value string starts with a key and its '=' ("host=... dbname=..."). */
	while (*p == ' ' || *p == '\t')
		p++;
	if (!isalpha((unsigned char)*p) && *p != '_')
		return false;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '=';
}

/* The driver for a path: PostgreSQL's for its URLs and key=value strings, else SQLite's. */
static const struct db_ops *driver_for(const char *path)
{
	return mc_store_is_pg(path) ? &db_pg : &db_sqlite;
}

/* Masks n bytes at p. */
static void mask(char *p, size_t n)
{
	memmove(p + 3, p + n, strlen(p + n) + 1);
	memcpy(p, "***", 3);
}

void mc_store_redact(const char *path, char *out, size_t n)
{
	char *p, *end, *at, *colon;
	size_t len;

	if (!n)
		return;
	snprintf(out, n, "%s", path ? path : "");
	if (!mc_store_is_pg(out) || n < 4)
		return;
	/* postgresql://user:PASSWORD@host/... */
	if ((p = strstr(out, "://"))) {
		p += 3;
		end = p + strcspn(p, "/?");
		at = NULL;
		for (char *q = p; q < end; q++)
			if (*q == '@')
				at = q;
		if (at && (colon = memchr(p, ':', (size_t)(at - p))) && at > colon + 1)
			mask(colon + 1, (size_t)(at - colon - 1));
	}
	/* ?password=... in a URL, password=... in a key=value string */
	for (p = out; (p = strstr(p, "password")); p += 8) {
		char *v = p + 8;

		while (*v == ' ')
			v++;
		if (*v != '=' || (p > out && (isalnum((unsigned char)p[-1]) || p[-1] == '_')))
			continue;
		v++;
		while (*v == ' ')
			v++;
		if (*v == '\'') {
			len = 1;
			while (v[len] && v[len] != '\'')
				len += v[len] == '\\' && v[len + 1] ? 2 : 1;
			len += v[len] == '\'';
		} else {
			len = strcspn(v, "& \t");
		}
		if (len)
			mask(v, len);
	}
}

enum mc_err mc_store_open_why(const char *path, unsigned flags, struct mc_store **out,
			      struct mc_buf *why)
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
		if (why && s->db)
			mc_buf_puts(why, s->db->ops->errmsg(s->db));
		mc_store_destroy(s);
		return err;
	}
	*out = s;
	return MC_OK;
}

enum mc_err mc_store_open(const char *path, unsigned flags, struct mc_store **out)
{
	return mc_store_open_why(path, flags, out, NULL);
}

const char *mc_store_backend(const struct mc_store *s)
{
	return s->db->ops->name;
}

bool mc_store_keeps_files(const struct mc_store *s)
{
	return s->db->ops->keeps_files;
}

void mc_store_set_wait(struct mc_store *s, unsigned ms)
{
	s->db->ops->set_wait(s->db, ms);
}

unsigned mc_store_poll_ms(const struct mc_store *s)
{
	return s->db->ops->poll_ms(s->db);
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

void utc_now(char out[UTC_LEN + 1])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, UTC_LEN + 1, "%Y-%m-%dT%H:%M:%SZ", &tm);
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
	s->tree.known = s->head.known = false; /* others may have appended since */
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
