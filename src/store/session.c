/* Sessions of signed-in users. */
#include "private.h"

#include <stdio.h>
#include <time.h>

enum mc_err mc_store_session_add(struct mc_store *s, const char *token_hash, int64_t user_id,
				 const char *csrf, long long now, long long expires)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_SESSION_INSERT, st);
	bind_text(st, 1, token_hash);
	sqlite3_bind_int64(st, 2, user_id);
	bind_text(st, 3, csrf);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, expires);
	return exec_stmt(st);
}

static enum mc_err session_user(void *ctx, const struct mc_user *u)
{
	(void)ctx;
	(void)u;
	return MC_OK;
}

enum mc_err mc_store_session_get(struct mc_store *s, const char *token_hash, long long now,
				 mc_store_user_fn fn, void *ctx, char csrf[65])
{
	sqlite3_stmt *st;
	enum mc_err err = MC_ERR_NOTFOUND;
	struct visit v = {.fn.user = fn ? fn : session_user, .ctx = ctx};
	int rc;

	PREPARE(s, ST_SESSION_GET, st);
	bind_text(st, 1, token_hash);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(csrf, 65, "%s", col_text(st, 7) ? col_text(st, 7) : "");
		err = user_row(st, &v);
	} else if (rc != SQLITE_DONE) {
		err = map_rc(rc);
	}
	done(st);
	return err;
}

enum mc_err mc_store_session_end(struct mc_store *s, const char *token_hash)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_SESSION_END, st);
	bind_text(st, 1, token_hash);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	return exec_stmt(st);
}
