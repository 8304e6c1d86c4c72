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
	return mc_store_session_get(s, u->token_hash, now, now - MC_SESSION_IDLE, copy_user, u,
				    u->csrf);
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

static const struct mc_throttle_rule pair_rule = {MC_SESSION_PAIR_FAILURES, MC_SESSION_WINDOW,
						  MC_SESSION_LOCK, MC_SESSION_LOCK_MAX};
static const struct mc_throttle_rule client_rule = {MC_SESSION_CLIENT_FAILURES, MC_SESSION_WINDOW,
						    MC_SESSION_LOCK, MC_SESSION_LOCK_MAX};
static const struct mc_throttle_rule account_rule = {
    MC_SESSION_ACCOUNT_FAILURES, MC_SESSION_ACCOUNT_WINDOW, MC_SESSION_LOCK, MC_SESSION_LOCK};

/* The throttle keys of one attempt: the account name (or "?" for one that cannot be), the
 * client, and the two together. */
struct keys {
	char acct[8 + NAME_MAX_BYTES + 1];
	char client[8 + 65];
	char pair[8 + NAME_MAX_BYTES + 1 + 65];
};

static bool usable_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n <= NAME_MAX_BYTES && mc_utf8_valid(name, n);
}

static void make_keys(const char *name, const char *client_key, struct keys *k)
{
	const char *n = usable_name(name) ? name : "?";
	const char *c = client_key ? client_key : "?";

	snprintf(k->acct, sizeof(k->acct), "acct:%s", n);
	snprintf(k->client, sizeof(k->client), "client:%s", c);
	snprintf(k->pair, sizeof(k->pair), "pair:%s|%s", n, c);
}

static enum mc_err is_locked(struct mc_store *s, const char *key, long long now, bool *locked)
{
	long long until = 0;
	int n = 0;
	enum mc_err err = mc_store_throttle_get(s, key, now, &n, &until);

	if (err == MC_OK && until > now)
		*locked = true;
	return err;
}

static enum mc_err any_locked(struct mc_store *s, const struct keys *k, long long now, bool *locked)
{
	enum mc_err err;

	*locked = false;
	if ((err = is_locked(s, k->pair, now, locked)) != MC_OK ||
	    (err = is_locked(s, k->client, now, locked)) != MC_OK)
		return err;
	return is_locked(s, k->acct, now, locked);
}

/* How far along a key is: its failures, and a whole count more for each lock before. */
static int strikes(const struct mc_throttle *t, int max)
{
	return t->failures + (t->locks > 0 ? max : 0);
}

/* None for a first typo, then 250 ms doubling up to 4 s: guessing stays slow even below the
 * locks. */
static unsigned penalty_ms(int strikes)
{
	unsigned ms = 250;

	if (strikes <= 1)
		return 0;
	for (int i = 2; i < strikes && ms < 4000; i++)
		ms *= 2;
	return ms > 4000 ? 4000 : ms;
}

static enum mc_err fail_login(struct mc_store *s, const struct keys *k, long long now,
			      unsigned *delay_ms, bool *account_locked)
{
	struct mc_throttle pair, client, acct;
	int n;
	enum mc_err err;

	if ((err = mc_store_throttle_fail(s, k->pair, now, &pair_rule, &pair)) != MC_OK ||
	    (err = mc_store_throttle_fail(s, k->client, now, &client_rule, &client)) != MC_OK ||
	    (err = mc_store_throttle_fail(s, k->acct, now, &account_rule, &acct)) != MC_OK)
		return err;
	n = strikes(&pair, MC_SESSION_PAIR_FAILURES);
	if (strikes(&client, MC_SESSION_CLIENT_FAILURES) > n)
		n = strikes(&client, MC_SESSION_CLIENT_FAILURES);
	if (delay_ms)
		*delay_ms = penalty_ms(n);
	if (account_locked)
		*account_locked = acct.locked_now;
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

/* One attempt, carried from the store step before its Argon2id run to the one after: the
 * store may be let go in between (mc_session_release), so the second step takes nothing the
 * first read for granted. */
struct attempt {
	struct keys k;
	struct account a;     /* as read before the hash */
	const char *password; /* what was typed */
	const char *fresh;    /* a password change's new password, else NULL */
	int64_t user_id;      /* a password change's user, else 0: any account */
	bool ok; /* password is the hash's, of an account found (user_id's), not disabled */
	char fresh_hash[MC_AUTH_HASH_MAX];
	enum mc_err hash_err; /* making fresh_hash */
};

/* The first store step: the locks, then the account's hash (none for a name that cannot
 * be an account). *locked: refused before any hash. */
static enum mc_err look_up(struct mc_store *s, const char *name, long long now, struct attempt *at,
			   bool *locked)
{
	enum mc_err err;

	at->a = (struct account){.found = false};
	if ((err = any_locked(s, &at->k, now, locked)) != MC_OK || *locked)
		return err;
	if (usable_name(name)) {
		err = mc_store_user_by_name(s, name, copy_account, &at->a);
		if (err != MC_OK && err != MC_ERR_NOTFOUND)
			return err;
	}
	return MC_OK;
}

/* The password check every attempt makes, with no store: the account's hash, or (no such
 * account, or a name that cannot be one) the dummy, so that each costs the same Argon2id. A
 * disabled account is checked against its own hash and then refused. A password change's
 * new password is hashed only once the old one is right. */
static void check(void *arg)
{
	struct attempt *at = arg;

	at->ok = at->password && strlen(at->password) <= PASSWORD_MAX_BYTES &&
		 mc_auth_verify_password(at->a.found ? at->a.hash : NULL, at->password) &&
		 at->a.found && !at->a.disabled && (!at->user_id || at->a.id == at->user_id);
	if (at->ok && at->fresh)
		at->hash_err = mc_auth_hash_password(at->fresh, at->fresh_hash);
}

static enum mc_err run_check(const struct mc_session_release *rel, struct attempt *at)
{
	if (rel)
		return rel->run(rel->ctx, check, at);
	check(at);
	return MC_OK;
}

/* The second store step begins here: the attempt is judged as the store is now. A lock
 * another attempt set meanwhile refuses it as the first step would have (nothing counted);
 * an account whose hash changed or that was disabled meanwhile was checked against what it
 * no longer is: a failure. */
static enum mc_err recheck(struct mc_store *s, const char *name, long long now, struct attempt *at,
			   bool *locked)
{
	struct account now_a = {.found = false};
	enum mc_err err;

	if ((err = any_locked(s, &at->k, now, locked)) != MC_OK || *locked || !at->ok)
		return err;
	err = mc_store_user_by_name(s, name, copy_account, &now_a);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	at->ok = now_a.found && !now_a.disabled && now_a.id == at->a.id &&
		 !strcmp(now_a.hash, at->a.hash);
	return MC_OK;
}

enum mc_err mc_session_login(struct mc_store *s, const char *name, const char *password,
			     const char *client_key, long long now,
			     const struct mc_session_release *rel, struct mc_login *out)
{
	struct attempt at = {.password = password};
	bool locked;
	enum mc_err err;

	*out = (struct mc_login){.res = MC_LOGIN_BAD};
	make_keys(name, client_key, &at.k);
	if ((err = look_up(s, name, now, &at, &locked)) != MC_OK ||
	    (!locked && (err = run_check(rel, &at)) != MC_OK) ||
	    (!locked && (err = recheck(s, name, now, &at, &locked)) != MC_OK))
		return err;
	if (locked) {
		out->res = MC_LOGIN_LOCKED;
		return MC_OK;
	}
	if (!at.ok)
		return fail_login(s, &at.k, now, &out->delay_ms, &out->account_locked);
	if ((err = mc_store_throttle_clear(s, at.k.pair)) != MC_OK ||
	    (err = start_session(s, at.a.id, now, out->token)) != MC_OK)
		return err;
	out->res = MC_LOGIN_OK;
	return MC_OK;
}

enum mc_err mc_session_change_password(struct mc_store *s, const struct mc_session_user *u,
				       const char *old, const char *fresh, const char *client_key,
				       long long now, const struct mc_session_release *rel,
				       enum mc_login_result *res, unsigned *delay_ms)
{
	struct attempt at = {.password = old, .fresh = fresh, .user_id = u->id};
	bool locked;
	enum mc_err err;

	*res = MC_LOGIN_BAD;
	if (delay_ms)
		*delay_ms = 0;
	if (mc_auth_check_password(fresh) != MC_OK)
		return MC_ERR_INVALID;
	make_keys(u->name, client_key, &at.k);
	if ((err = look_up(s, u->name, now, &at, &locked)) != MC_OK ||
	    (!locked && (err = run_check(rel, &at)) != MC_OK) ||
	    (!locked && (err = recheck(s, u->name, now, &at, &locked)) != MC_OK))
		return err;
	if (locked) {
		*res = MC_LOGIN_LOCKED;
		return MC_OK;
	}
	if (!at.ok)
		return fail_login(s, &at.k, now, delay_ms, NULL);
	if ((err = at.hash_err) != MC_OK ||
	    (err = mc_store_user_set_password(s, u->id, at.fresh_hash, u->token_hash)) != MC_OK)
		return err;
	*res = MC_LOGIN_OK;
	return mc_store_throttle_clear(s, at.k.pair);
}

enum mc_err mc_session_logout(struct mc_store *s, const struct mc_session_user *u, long long now)
{
	if (!u || !u->token_hash[0])
		return MC_OK;
	return mc_store_session_end(s, u->token_hash, now, now - MC_SESSION_IDLE);
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

bool mc_session_is_admin(const struct mc_session_user *u)
{
	return is_role(u, MC_ROLE_ADMIN);
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
