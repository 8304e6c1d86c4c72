/* A PostgreSQL server for the unit tests, and a fresh database on it for each test.
 *
 * The server is the one MOTCHAM_TEST_PG_URL names (scripts/test starts one for the whole run,
 * as tests/pg/cluster prints it: postgresql://USER:PASSWORD@HOST:PORT/postgres, a superuser),
 * else one this test process starts with tests/pg/cluster in a temporary directory and stops
 * when it exits. When neither can be had the PostgreSQL tests are skipped, except under CI
 * (CI=true), where a server is always there: there a missing one is a failure, so that a skip
 * never hides one. */
#ifndef MOTCHAM_TEST_PG_H
#define MOTCHAM_TEST_PG_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pg_server {
	char url[512]; /* the server's URL, on its database "postgres"; empty: none */
	char dir[64];  /* the cluster we started, or empty */
	int made;      /* databases made so far */
	bool tried;
};

static struct pg_server pg_server_state;

static void pg_server_stop(void)
{
	char cmd[128];

	if (pg_server_state.dir[0]) {
		snprintf(cmd, sizeof(cmd), "tests/pg/cluster stop %s >/dev/null 2>&1",
			 pg_server_state.dir);
		if (system(cmd) != 0)
			fprintf(stderr, "pg.h: could not stop the cluster in %s\n",
				pg_server_state.dir);
		pg_server_state.dir[0] = '\0';
	}
}

/* Starts a cluster of our own; false when it cannot be had. */
static bool pg_server_start(void)
{
	char cmd[160];
	FILE *p;
	size_t n;

	snprintf(pg_server_state.dir, sizeof(pg_server_state.dir), "/tmp/mc-unit-pg.XXXXXX");
	if (access("tests/pg/cluster", X_OK) != 0 || !mkdtemp(pg_server_state.dir)) {
		pg_server_state.dir[0] = '\0';
		return false;
	}
	atexit(pg_server_stop);
	snprintf(cmd, sizeof(cmd), "tests/pg/cluster start %s", pg_server_state.dir);
	if (!(p = popen(cmd, "r")))
		return false;
	n = fread(pg_server_state.url, 1, sizeof(pg_server_state.url) - 1, p);
	pg_server_state.url[n] = '\0';
	pg_server_state.url[strcspn(pg_server_state.url, "\r\n")] = '\0';
	return pclose(p) == 0 && pg_server_state.url[0];
}

/* The server's URL, or NULL when there is none (the caller skips; under CI it fails). */
static const char *pg_server_url(void)
{
	const char *env = getenv("MOTCHAM_TEST_PG_URL"), *ci = getenv("CI");

	if (!pg_server_state.tried) {
		pg_server_state.tried = true;
		if (env && *env)
			snprintf(pg_server_state.url, sizeof(pg_server_state.url), "%s", env);
		else if (!pg_server_start())
			pg_server_state.url[0] = '\0';
	}
	if (!pg_server_state.url[0] && ci && !strcmp(ci, "true")) {
		fprintf(stderr,
			"pg.h: CI=true but no PostgreSQL server: set MOTCHAM_TEST_PG_URL or "
			"install postgresql-15 (tests/pg/cluster)\n");
		exit(1);
	}
	return pg_server_state.url[0] ? pg_server_state.url : NULL;
}

/* Runs one statement on the server's own database; false when it failed. */
static bool pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(pg_server_state.url);
	PGresult *r = c && PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;

	if (!ok)
		fprintf(stderr, "pg.h: %s: %s\n", sql, c ? PQerrorMessage(c) : "no connection");
	PQclear(r);
	PQfinish(c);
	return ok;
}

/* The URL of the server with another database name. */
static void pg_url_of(const char *name, char out[600])
{
	const char *u = pg_server_state.url, *slash = strrchr(u, '/');
	const char *query = strchr(u, '?');

	snprintf(out, 600, "%.*s/%s%s", (int)(slash - u), u, name, query ? query : "");
}

/* Makes a new empty database (UTF8; with, a clause of CREATE DATABASE such as a collation,
 * or ""), its URL in out. false when it cannot be made. */
static bool pg_new_db(const char *with, char name[64], char out[600])
{
	char sql[400];

	snprintf(name, 64, "mc_unit_%ld_%d", (long)getpid(), ++pg_server_state.made);
	snprintf(sql, sizeof(sql),
		 "CREATE DATABASE %s TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' "
		 "LC_CTYPE 'C' %s",
		 name, with);
	if (!pg_admin(sql))
		return false;
	pg_url_of(name, out);
	return true;
}

static void pg_drop_db(const char *name)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
	pg_admin(sql);
}

#endif
