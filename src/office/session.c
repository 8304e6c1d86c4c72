#include "motcham/office/session.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "motcham/base/auth.h"
#include "motcham/web/request.h"
#include "motcham/store/store.h"
#include "motcham/base/utf8.h"

#define NAME_MAX_BYTES 64
#define PASSWORD_MAX_BYTES 1024

static enum mc_err copy_user(void *ctx, const struct mc_user *su)
{
	struct mc_session_user *u = ctx;

	u->id = su->id;
	snprintf(u->name, sizeof(u->name), "%s", su->name ? su->name : "");
	snprintf(u->role, sizeof(u->role), "%s", su->role ? su->role : "");
	u->ward_id = su->ward_id;
	return MC_OK;
}

enum mc_err mc_session_get(struct mc_store *s, const struct mc_request *rq, long long now,
			   struct mc_session_user *u)
{
	const char *token = rq->lookup ? rq->lookup(rq, MC_REQ_COOKIE, MC_SESSION_COOKIE) : NULL;

	memset(u, 0, sizeof(*u));
	if (!mc_auth_hex64(token))
		return MC_ERR_NOTFOUND;
	mc_auth_sha256_hex(token, MC_AUTH_TOKEN_LEN, u->token_hash);
	return mc_store_session_get(s, u->token_hash, now, copy_user, u, u->csrf);
}

struct account {
	char hash[MC_AUTH_HASH_MAX];
	int64_t id;
	bool found, disabled;
};

static enum mc_err copy_account(void *ctx, const struct mc_user *su)
{
	struct account *a = ctx;

	a->found = true;
	a->id = su->id;
	a->disabled = su->disabled_at != NULL;
	snprintf(a->hash, sizeof(a->hash), "%s", su->pw_hash ? su->pw_hash : "");
	return MC_OK;
}

static enum mc_err is_locked(struct mc_store *s, const char *key, long long now, bool *locked,
			     int *failures)
{
	long long until = 0;
	int n = 0;
	enum mc_err err = mc_store_throttle_get(s, key, now, &n, &until);

	if (err == MC_OK && until > now)
		*locked = true;
	if (err == MC_OK && n > *failures)
		*failures = n;
	return err;
}

/* Each failure costs more time, so guessing stays slow even below the lock threshold. */
static unsigned penalty_ms(int failures)
{
	unsigned ms = 200u * (unsigned)(failures > 0 ? failures : 1);

	return ms > 2000 ? 2000 : ms;
}

static enum mc_err fail_login(struct mc_store *s, const char *acct, const char *client,
			      long long now, unsigned *delay_ms)
{
	bool locked = false;
	int failures = 0;
	enum mc_err err;

	if ((err = mc_store_throttle_fail(s, acct, now, MC_SESSION_MAX_FAILURES, MC_SESSION_WINDOW,
					  MC_SESSION_LOCK)) != MC_OK ||
	    (err = mc_store_throttle_fail(s, client, now, MC_SESSION_MAX_FAILURES,
					  MC_SESSION_WINDOW, MC_SESSION_LOCK)) != MC_OK ||
	    (err = is_locked(s, acct, now, &locked, &failures)) != MC_OK ||
	    (err = is_locked(s, client, now, &locked, &failures)) != MC_OK)
		return err;
	if (delay_ms)
		*delay_ms = penalty_ms(failures);
	return MC_OK;
}

static enum mc_err start_session(struct mc_store *s, int64_t user_id, long long now, char token[65])
{
	char hash[MC_AUTH_SHA256_LEN + 1], csrf[MC_AUTH_TOKEN_LEN + 1];

	mc_auth_token(token);
	mc_auth_token(csrf);
	mc_auth_sha256_hex(token, MC_AUTH_TOKEN_LEN, hash);
	return mc_store_session_add(s, hash, user_id, csrf, now, now + MC_SESSION_MAX_AGE);
}

static bool usable_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n <= NAME_MAX_BYTES && mc_utf8_valid(name, n);
}

enum mc_err mc_session_login(struct mc_store *s, const char *name, const char *password,
			     const char *client_key, long long now, enum mc_login_result *res,
			     char token[65], unsigned *delay_ms)
{
	char acct[8 + NAME_MAX_BYTES + 1], client[8 + 65];
	struct account a = {.found = false};
	bool locked = false, ok;
	int failures = 0;
	enum mc_err err;

	*res = MC_LOGIN_BAD;
	token[0] = '\0';
	snprintf(acct, sizeof(acct), "acct:%s", usable_name(name) ? name : "?");
	snprintf(client, sizeof(client), "client:%s", client_key ? client_key : "?");
	if ((err = is_locked(s, acct, now, &locked, &failures)) != MC_OK ||
	    (err = is_locked(s, client, now, &locked, &failures)) != MC_OK)
		return err;
	if (locked) {
		*res = MC_LOGIN_LOCKED;
		return MC_OK;
	}
	if (usable_name(name)) {
		err = mc_store_user_by_name(s, name, copy_account, &a);
		if (err != MC_OK && err != MC_ERR_NOTFOUND)
			return err;
	}
	ok = password && strlen(password) <= PASSWORD_MAX_BYTES &&
	     mc_auth_verify_password(a.found ? a.hash : NULL, password);
	if (!ok || !a.found || a.disabled)
		return fail_login(s, acct, client, now, delay_ms);
	if ((err = mc_store_throttle_clear(s, acct)) != MC_OK ||
	    (err = start_session(s, a.id, now, token)) != MC_OK)
		return err;
	*res = MC_LOGIN_OK;
	return MC_OK;
}

enum mc_err mc_session_logout(struct mc_store *s, const struct mc_session_user *u)
{
	if (!u || !u->token_hash[0])
		return MC_OK;
	return mc_store_session_end(s, u->token_hash);
}

void mc_session_cookie(const char *token, bool https, char out[320])
{
	snprintf(out, 320, "%s=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
		 MC_SESSION_COOKIE, token ? token : "", token ? MC_SESSION_MAX_AGE : 0,
		 https ? "; Secure" : "");
}

void mc_session_login_cookie(const char *value, bool https, char out[320])
{
	snprintf(out, 320, "%s=%s; Path=/staff; HttpOnly; SameSite=Strict%s",
		 MC_SESSION_LOGIN_COOKIE, value, https ? "; Secure" : "");
}

static bool is_role(const struct mc_session_user *u, const char *role)
{
	return strcmp(u->role, role) == 0;
}

bool mc_session_all_wards(const struct mc_session_user *u)
{
	return is_role(u, MC_ROLE_ADMIN) || is_role(u, MC_ROLE_SUPERVISOR);
}

bool mc_session_can_read(const struct mc_session_user *u, int64_t ward_id)
{
	if (mc_session_all_wards(u))
		return true;
	return is_role(u, MC_ROLE_STAFF) && u->ward_id != 0 && u->ward_id == ward_id;
}

bool mc_session_can_write(const struct mc_session_user *u, int64_t ward_id)
{
	if (is_role(u, MC_ROLE_ADMIN))
		return true;
	return is_role(u, MC_ROLE_STAFF) && u->ward_id != 0 && u->ward_id == ward_id;
}

const char *mc_session_role_label(const char *role)
{
	if (role && !strcmp(role, MC_ROLE_ADMIN))
		return "Quản trị";
	if (role && !strcmp(role, MC_ROLE_SUPERVISOR))
		return "Giám sát";
	return "Cán bộ";
}
