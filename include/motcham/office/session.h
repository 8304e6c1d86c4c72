#ifndef MOTCHAM_SESSION_H
#define MOTCHAM_SESSION_H

/* Staff sign-in: password check with throttling, sessions kept by the hash of their cookie
 * token, per-session CSRF tokens, and the role rules (who may read or write which ward). */

#include <stdbool.h>
#include <stdint.h>

#include "motcham/base/err.h"

struct mc_request;
struct mc_store;

#define MC_SESSION_COOKIE "mc_session"
#define MC_SESSION_LOGIN_COOKIE "mc_login"
#define MC_SESSION_MAX_AGE 28800 /* 8 hours: one working day */
#define MC_SESSION_MAX_FAILURES 5
#define MC_SESSION_WINDOW 900 /* failures counted within 15 minutes ... */
#define MC_SESSION_LOCK 900   /* ... lock the key for 15 minutes */

/* The signed-in user of one request, copied out of the store. */
struct mc_session_user {
	int64_t id;
	char name[65];
	char role[16];	 /* MC_ROLE_* */
	int64_t ward_id; /* 0: not tied to one ward */
	char csrf[65];
	char token_hash[65];
};

enum mc_login_result {
	MC_LOGIN_OK,	 /* session made: cookie token in token */
	MC_LOGIN_BAD,	 /* wrong name or password, or disabled account */
	MC_LOGIN_LOCKED, /* too many failures: try later */
};

/* The live session named by the request's mc_session cookie. MC_ERR_NOTFOUND when there
 * is none (no cookie, malformed, expired, user disabled). */
enum mc_err mc_session_get(struct mc_store *s, const struct mc_request *rq, long long now,
			   struct mc_session_user *u);
/* Checks name and password with throttling on "acct:NAME" and "client:KEY" and, on
 * success, stores a new session and writes its cookie token (64 hex) into token.
 * After a failure *delay_ms (may be NULL) says how long to hold the answer back: a little
 * longer each time, at most 2 s. The caller waits, after releasing the database, so that a
 * guesser slows down only itself. */
enum mc_err mc_session_login(struct mc_store *s, const char *name, const char *password,
			     const char *client_key, long long now, enum mc_login_result *res,
			     char token[65], unsigned *delay_ms);
/* Ends the session (accepts a user without session: does nothing). */
enum mc_err mc_session_logout(struct mc_store *s, const struct mc_session_user *u);

/* Cookie header values (Set-Cookie) into out[320]: the session cookie (token NULL clears
 * it), and the pre-login CSRF cookie. */
void mc_session_cookie(const char *token, bool https, char out[320]);
void mc_session_login_cookie(const char *value, bool https, char out[320]);

/* The role rules. Staff read and write their own ward only; supervisors read every ward and
 * write nothing; admins do everything. */
bool mc_session_can_read(const struct mc_session_user *u, int64_t ward_id);
bool mc_session_can_write(const struct mc_session_user *u, int64_t ward_id);
/* True for supervisors and admins: they pick the ward they look at. */
bool mc_session_all_wards(const struct mc_session_user *u);
/* The role as the staff and supervisors' pages name it, in Vietnamese ("Cán bộ" for staff
 * and for anything unknown). A static string. */
const char *mc_session_role_label(const char *role);

#endif
