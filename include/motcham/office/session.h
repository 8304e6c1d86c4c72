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
#define MC_SESSION_IDLE 1800	 /* 30 minutes without a request end a session too */

/* Failed sign-ins are counted three ways, so that no one client can lock out anyone but
 * itself. One client guessing one account (the pair): MC_SESSION_PAIR_FAILURES failures
 * within MC_SESSION_WINDOW lock that pair for MC_SESSION_LOCK, each next lock twice as long
 * up to MC_SESSION_LOCK_MAX. One client guessing many accounts: MC_SESSION_CLIENT_FAILURES
 * lock the client likewise. One account from everywhere: MC_SESSION_ACCOUNT_FAILURES within
 * MC_SESSION_ACCOUNT_WINDOW lock the account for every client for MC_SESSION_LOCK; one
 * client cannot get there alone, as its pair locks let it fail at most 5 + 5 + 5 times in
 * an hour (15, then 30 minutes locked between). Each failure's answer is held back a little
 * longer than the one before (see mc_login.delay_ms). */
#define MC_SESSION_PAIR_FAILURES 5
#define MC_SESSION_CLIENT_FAILURES 20
#define MC_SESSION_ACCOUNT_FAILURES 50
#define MC_SESSION_WINDOW 900	       /* 15 minutes */
#define MC_SESSION_ACCOUNT_WINDOW 3600 /* an hour */
#define MC_SESSION_LOCK 900	       /* 15 minutes ... */
#define MC_SESSION_LOCK_MAX 86400      /* ... doubling up to a day */

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

/* What a sign-in attempt came to. */
struct mc_login {
	enum mc_login_result res;
	char token[65];	     /* MC_LOGIN_OK: the session cookie's token (64 hex), else "" */
	unsigned delay_ms;   /* after a failure: how long to hold the answer back, else 0 */
	bool account_locked; /* this failure locked the account for every client */
};

/* The live session named by the request's mc_session cookie; a session used after a minute
 * or more is marked as used now. MC_ERR_NOTFOUND when there is none (no cookie, malformed,
 * expired, idle for MC_SESSION_IDLE, user disabled). */
enum mc_err mc_session_get(struct mc_store *s, const struct mc_request *rq, long long now,
			   struct mc_session_user *u);
/* How a caller lets go of the store while a password is hashed (Argon2id: 64 MiB and a
 * tenth of a second or more each), so that others may use it meanwhile: run(ctx, fn, arg)
 * calls fn(arg) once, which touches no store, and returns MC_OK, or the error that kept it
 * from taking the store back. Never given inside a transaction of the store. */
struct mc_session_release {
	enum mc_err (*run)(void *ctx, void (*fn)(void *arg), void *arg);
	void *ctx;
};

/* Checks name and password, throttled as above on the pair, the client (client_key) and
 * the account, and on success stores a new session. Every attempt that is not refused by a
 * lock costs one Argon2id verification with the same parameters, whether the name is an
 * account, a disabled one or none. A failure's delay_ms grows with the pair's and the
 * client's failures (none for the first, then 250 ms doubling up to 4 s): the caller waits,
 * after releasing the database, so that a guesser slows down only itself.
 * The hash runs between two short uses of s, inside rel (NULL: s is held throughout). The
 * second judges the attempt as the store is then: a lock another attempt set meanwhile
 * refuses it (MC_LOGIN_LOCKED, nothing counted), and an account whose password changed or
 * that was disabled meanwhile fails it, so that the outcome is one the attempts would have
 * had one after the other. */
enum mc_err mc_session_login(struct mc_store *s, const char *name, const char *password,
			     const char *client_key, long long now,
			     const struct mc_session_release *rel, struct mc_login *out);

/* Changes the signed-in user's own password: old must be their password (a wrong one counts
 * as a failed sign-in of the pair, the client and the account, and is throttled as one),
 * fresh must pass mc_auth_check_password. Every other session of the user ends; u's goes
 * on. The change is audited (user, "password"). *res gets MC_LOGIN_OK, MC_LOGIN_BAD (old
 * is wrong) or MC_LOGIN_LOCKED; *delay_ms (may be NULL) as for a sign-in. MC_ERR_INVALID
 * when fresh does not pass. Both Argon2id runs (old checked, fresh hashed) are made inside
 * rel, as for mc_session_login; rel's run must leave the store's actor as it found it. */
enum mc_err mc_session_change_password(struct mc_store *s, const struct mc_session_user *u,
				       const char *old, const char *fresh, const char *client_key,
				       long long now, const struct mc_session_release *rel,
				       enum mc_login_result *res, unsigned *delay_ms);
/* Ends the session, and every one expired or idle at now (accepts a user without session:
 * does nothing). */
enum mc_err mc_session_logout(struct mc_store *s, const struct mc_session_user *u, long long now);

/* Cookie header values (Set-Cookie) into out[320]: the session cookie (token NULL clears
 * it), and the pre-login CSRF cookie. */
void mc_session_cookie(const char *token, bool https, char out[320]);
void mc_session_login_cookie(const char *value, bool https, char out[320]);

/* The role rules. Staff read and write their own ward only; supervisors read every ward and
 * write nothing; admins do everything. */
bool mc_session_can_read(const struct mc_session_user *u, int64_t ward_id);
bool mc_session_can_write(const struct mc_session_user *u, int64_t ward_id);
/* True for admins only: what no ward's own staff may do (retire a ward's keychain code). */
bool mc_session_is_admin(const struct mc_session_user *u);
/* True for supervisors and admins: they pick the ward they look at. */
bool mc_session_all_wards(const struct mc_session_user *u);
/* The role as the staff and supervisors' pages name it, in Vietnamese ("Cán bộ" for staff
 * and for anything unknown). A static string. */
const char *mc_session_role_label(const char *role);

#endif
