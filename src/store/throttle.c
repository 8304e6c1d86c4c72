/* Failed-login throttling. */
#include "private.h"

enum mc_err mc_store_throttle_get(struct mc_store *s, const char *key, long long now, int *failures,
				  long long *locked_until)
{
	struct db_stmt *st;
	enum mc_err err;
	bool row;

	*failures = 0;
	*locked_until = 0;
	PREPARE(s, ST_THROTTLE_GET, st);
	bind_text(st, 1, key);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, 3600); /* failures older than an hour are forgotten */
	if ((err = db_step(st, &row)) == MC_OK && row) {
		*failures = db_col_int(st, 0);
		*locked_until = db_col_int64(st, 1);
	}
	done(st);
	return err;
}

enum mc_err mc_store_throttle_fail(struct mc_store *s, const char *key, long long now, int max,
				   long long window, long long lock)
{
	struct db_stmt *st;

	PREPARE(s, ST_THROTTLE_FAIL, st);
	bind_text(st, 1, key);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, window);
	db_bind_int64(st, 4, max);
	db_bind_int64(st, 5, lock);
	return exec_stmt(st);
}

enum mc_err mc_store_throttle_clear(struct mc_store *s, const char *key)
{
	struct db_stmt *st;

	PREPARE(s, ST_THROTTLE_CLEAR, st);
	bind_text(st, 1, key);
	return exec_stmt(st);
}
