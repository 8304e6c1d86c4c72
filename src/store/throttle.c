/* Failed-login throttling. */
#include "private.h"

enum mc_err mc_store_throttle_get(struct mc_store *s, const char *key, long long now, int *failures,
				  long long *locked_until)
{
	sqlite3_stmt *st;
	enum mc_err err = MC_OK;
	int rc;

	*failures = 0;
	*locked_until = 0;
	PREPARE(s, ST_THROTTLE_GET, st);
	bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, 3600); /* failures older than an hour are forgotten */
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*failures = sqlite3_column_int(st, 0);
		*locked_until = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		err = map_rc(rc);
	}
	done(st);
	return err;
}

enum mc_err mc_store_throttle_fail(struct mc_store *s, const char *key, long long now, int max,
				   long long window, long long lock)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_THROTTLE_FAIL, st);
	bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, window);
	sqlite3_bind_int(st, 4, max);
	sqlite3_bind_int64(st, 5, lock);
	return exec_stmt(st);
}

enum mc_err mc_store_throttle_clear(struct mc_store *s, const char *key)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_THROTTLE_CLEAR, st);
	bind_text(st, 1, key);
	return exec_stmt(st);
}
