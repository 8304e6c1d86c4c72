/* Sessions of signed-in users. */
#include "private.h"

#include <stdio.h>

enum mc_err mc_store_session_add(struct mc_store *s, const char *token_hash, int64_t user_id,
				 const char *csrf, long long now, long long expires)
{
	struct db_stmt *st;

	PREPARE(s, ST_SESSION_INSERT, st);
	bind_text(st, 1, token_hash);
	db_bind_int64(st, 2, user_id);
	bind_text(st, 3, csrf);
	db_bind_int64(st, 4, now);
	db_bind_int64(st, 5, expires);
	return exec_stmt(st);
}

static enum mc_err session_user(void *ctx, const struct mc_user *u)
{
	(void)ctx;
	(void)u;
	return MC_OK;
}

/* How stale a session's mark of use may get before a request renews it: a request a minute
 * does not write each time. */
#define SEEN_EVERY 60

static enum mc_err touch(struct mc_store *s, const char *token_hash, long long now)
{
	struct db_stmt *st;

	PREPARE(s, ST_SESSION_TOUCH, st);
	bind_text(st, 1, token_hash);
	db_bind_int64(st, 2, now);
	return exec_stmt(st);
}

enum mc_err mc_store_session_get(struct mc_store *s, const char *token_hash, long long now,
				 long long seen_after, mc_store_user_fn fn, void *ctx,
				 char csrf[65])
{
	struct db_stmt *st;
	enum mc_err err;
	struct visit v = {.fn.user = fn ? fn : session_user, .ctx = ctx};
	long long seen = now;
	bool row;

	PREPARE(s, ST_SESSION_GET, st);
	bind_text(st, 1, token_hash);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, seen_after);
	if ((err = db_step(st, &row)) == MC_OK && row) {
		snprintf(csrf, 65, "%s", col_text(st, 7) ? col_text(st, 7) : "");
		seen = db_col_int64(st, 8);
		err = user_row(st, &v);
	} else if (err == MC_OK) {
		err = MC_ERR_NOTFOUND;
	}
	done(st);
	if (err == MC_OK && now - seen >= SEEN_EVERY)
		err = touch(s, token_hash, now);
	return err;
}

enum mc_err mc_store_session_end(struct mc_store *s, const char *token_hash, long long now,
				 long long seen_after)
{
	struct db_stmt *st;

	PREPARE(s, ST_SESSION_END, st);
	bind_text(st, 1, token_hash);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, seen_after);
	return exec_stmt(st);
}
