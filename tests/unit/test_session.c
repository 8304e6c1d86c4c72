/* Staff sign-in: sessions by token hash, idle and expired sessions, CSRF tokens, throttling
 * by pair, client and account, disabled users, password changes, roles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "motcham/base/auth.h"
#include "motcham/web/request.h"
#include "motcham/office/session.h"
#include "motcham/store/store.h"

#define PW "mat-khau-rat-dai"
#define NOW 1800000000LL

struct fixture {
	char path[64];
	struct mc_store *s;
	int64_t ward;
	const char *cookie; /* what the fake request sends as mc_session */
};

static const char *fake_lookup(const struct mc_request *rq, enum mc_request_kind kind,
			       const char *name)
{
	const struct fixture *f = rq->conn;

	if (kind == MC_REQ_COOKIE && !strcmp(name, MC_SESSION_COOKIE))
		return f->cookie;
	return NULL;
}

static void add_user(struct fixture *f, const char *name, const char *role, int64_t ward)
{
	char hash[MC_AUTH_HASH_MAX];
	struct mc_user u = {.name = name, .role = role, .ward_id = ward, .pw_hash = hash};

	assert_int_equal(mc_auth_hash_password(PW, hash), MC_OK);
	assert_int_equal(mc_store_user_add(f->s, &u, NULL), MC_OK);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mc_ward w = {.slug = "phuong-7-quan-8", .name = "Phường 7, Quận 8"};
	int fd;

	snprintf(f->path, sizeof(f->path), "/tmp/mc-session-XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mc_store_open(f->path, MC_STORE_CREATE, &f->s), MC_OK);
	assert_int_equal(mc_store_migrate(f->s), MC_OK);
	assert_int_equal(mc_store_ward_upsert(f->s, &w, &f->ward), MC_OK);
	add_user(f, "lan", MC_ROLE_STAFF, f->ward);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char side[80];

	mc_store_destroy(f->s);
	unlink(f->path);
	snprintf(side, sizeof(side), "%s-wal", f->path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", f->path);
	unlink(side);
	free(f);
	return 0;
}

static enum mc_err lookup_session(struct fixture *f, const char *cookie, long long now,
				  struct mc_session_user *u)
{
	struct mc_request rq = {
	    .method = "GET", .path = "/staff", .lookup = fake_lookup, .conn = f};

	f->cookie = cookie;
	return mc_session_get(f->s, &rq, now, u);
}

static enum mc_err login(struct fixture *f, const char *name, const char *pw, const char *client,
			 long long now, struct mc_login *l)
{
	return mc_session_login(f->s, name, pw, client, now, NULL, l);
}

static void test_login_makes_session(void **state)
{
	struct fixture *f = *state;
	struct mc_session_user u;
	struct mc_login l;

	assert_int_equal(login(f, "lan", PW, "k1", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
	assert_true(mc_auth_hex64(l.token));
	assert_int_equal(lookup_session(f, l.token, NOW + 60, &u), MC_OK);
	assert_string_equal(u.name, "lan");
	assert_string_equal(u.role, MC_ROLE_STAFF);
	assert_int_equal(u.ward_id, f->ward);
	assert_true(mc_auth_hex64(u.csrf));
	/* The database holds the hash of the token, never the token. */
	assert_string_not_equal(u.token_hash, l.token);
	/* Expired after eight hours, used or not; a made-up or malformed cookie finds
	 * nothing. */
	for (long long t = NOW + 1500; t < NOW + MC_SESSION_MAX_AGE; t += 1500)
		assert_int_equal(lookup_session(f, l.token, t, &u), MC_OK);
	assert_int_equal(lookup_session(f, l.token, NOW + MC_SESSION_MAX_AGE + 1, &u),
			 MC_ERR_NOTFOUND);
	assert_int_equal(lookup_session(f, "abc", NOW, &u), MC_ERR_NOTFOUND);
	assert_int_equal(lookup_session(f, NULL, NOW, &u), MC_ERR_NOTFOUND);
	l.token[0] = l.token[0] == 'a' ? 'b' : 'a';
	assert_int_equal(lookup_session(f, l.token, NOW, &u), MC_ERR_NOTFOUND);
}

static void test_idle_session_ends(void **state)
{
	struct fixture *f = *state;
	struct mc_session_user u;
	struct mc_login l;

	assert_int_equal(login(f, "lan", PW, "k1", NOW, &l), MC_OK);
	/* Used within the idle time, it lives on: each use moves the end. */
	assert_int_equal(lookup_session(f, l.token, NOW + MC_SESSION_IDLE - 10, &u), MC_OK);
	assert_int_equal(lookup_session(f, l.token, NOW + 2 * MC_SESSION_IDLE - 20, &u), MC_OK);
	/* Left alone for the idle time, it is over. */
	assert_int_equal(lookup_session(f, l.token, NOW + 3 * MC_SESSION_IDLE, &u),
			 MC_ERR_NOTFOUND);
}

static void test_logout_ends_session(void **state)
{
	struct fixture *f = *state;
	struct mc_session_user u;
	struct mc_login l;

	assert_int_equal(login(f, "lan", PW, "k1", NOW, &l), MC_OK);
	assert_int_equal(lookup_session(f, l.token, NOW, &u), MC_OK);
	assert_int_equal(mc_session_logout(f->s, &u, NOW), MC_OK);
	assert_int_equal(lookup_session(f, l.token, NOW, &u), MC_ERR_NOTFOUND);
}

static void test_bad_password_and_unknown_user(void **state)
{
	struct fixture *f = *state;
	struct mc_login l;

	assert_int_equal(login(f, "lan", "sai-mat-khau-roi", "k1", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_BAD);
	assert_string_equal(l.token, "");
	assert_int_equal(login(f, "ghost", PW, "k2", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_BAD);
	assert_int_equal(login(f, NULL, NULL, "k3", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_BAD);
}

/* The unknown account's check is the same Argon2id as a real one's. */
static void test_dummy_hash_has_the_real_parameters(void **state)
{
	char hash[MC_AUTH_HASH_MAX];

	(void)state;
	assert_int_equal(mc_auth_hash_password(PW, hash), MC_OK);
	assert_int_equal(crypto_pwhash_str_needs_rehash(mc_auth_dummy_hash(),
							crypto_pwhash_OPSLIMIT_INTERACTIVE,
							crypto_pwhash_MEMLIMIT_INTERACTIVE),
			 0);
	assert_int_equal(
	    strncmp(hash, mc_auth_dummy_hash(), strlen("$argon2id$v=19$m=65536,t=2,p=1$")), 0);
	assert_false(mc_auth_verify_password(NULL, PW));
	assert_false(mc_auth_verify_password(NULL, ""));
}

/* One client failing one account: each answer waits longer, the fifth locks that pair out,
 * and the real user signs in from elsewhere all the while. */
static void test_pair_lock_spares_other_clients(void **state)
{
	struct fixture *f = *state;
	struct mc_login l;
	unsigned prev = 0;

	for (int i = 0; i < MC_SESSION_PAIR_FAILURES; i++) {
		assert_int_equal(login(f, "lan", "khong-dung-dau", "attacker", NOW, &l), MC_OK);
		assert_int_equal(l.res, MC_LOGIN_BAD);
		if (i > 0)
			assert_true(l.delay_ms > prev && l.delay_ms <= 4000);
		prev = l.delay_ms;
		assert_false(l.account_locked);
	}
	assert_int_equal(login(f, "lan", PW, "attacker", NOW + 1, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_LOCKED);
	assert_int_equal(login(f, "lan", PW, "office", NOW + 1, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
	/* The pair's next lock lasts twice as long. */
	for (int i = 0; i < MC_SESSION_PAIR_FAILURES; i++) {
		assert_int_equal(
		    login(f, "lan", "khong-dung-dau", "attacker", NOW + MC_SESSION_LOCK + 1, &l),
		    MC_OK);
		assert_int_equal(l.res, MC_LOGIN_BAD);
		assert_true(l.delay_ms > 0);
	}
	assert_int_equal(login(f, "lan", PW, "attacker", NOW + 2 * MC_SESSION_LOCK, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_LOCKED);
	assert_int_equal(login(f, "lan", PW, "attacker", NOW + 3 * MC_SESSION_LOCK + 2, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
	assert_int_equal(login(f, "lan", PW, "office", NOW + 2 * MC_SESSION_LOCK, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
}

/* One client trying many names locks itself out, and nobody else. */
static void test_client_lock(void **state)
{
	struct fixture *f = *state;
	struct mc_login l;
	char name[16];

	for (int i = 0; i < MC_SESSION_CLIENT_FAILURES; i++) {
		snprintf(name, sizeof(name), "ten-%d", i);
		assert_int_equal(login(f, name, "khong-dung-dau", "sprayer", NOW, &l), MC_OK);
		assert_int_equal(l.res, MC_LOGIN_BAD);
	}
	assert_int_equal(login(f, "lan", PW, "sprayer", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_LOCKED);
	assert_int_equal(login(f, "lan", PW, "office", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
}

/* Failures from many clients lock the account for everyone, once, and say so; one client
 * alone cannot get there. */
static void test_account_lock(void **state)
{
	struct fixture *f = *state;
	struct mc_login l;
	int locked = 0;
	char key[16];

	for (int i = 0; i < MC_SESSION_ACCOUNT_FAILURES; i++) {
		snprintf(key, sizeof(key), "c%d", i);
		assert_int_equal(login(f, "lan", "khong-dung-dau", key, NOW, &l), MC_OK);
		assert_int_equal(l.res, MC_LOGIN_BAD);
		locked += l.account_locked;
		assert_int_equal(l.delay_ms, 0); /* each client's first failure */
	}
	assert_int_equal(locked, 1);
	assert_int_equal(login(f, "lan", PW, "office", NOW + 1, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_LOCKED);
	assert_int_equal(login(f, "lan", PW, "office", NOW + MC_SESSION_LOCK + 1, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
}

static void test_one_client_never_locks_the_account(void **state)
{
	struct fixture *f = *state;
	struct mc_login l;
	long long t = NOW;

	int tried = 0;

	/* An hour of trying every ten seconds: only the tries the pair lock lets through
	 * count, 15 of them. */
	for (; t < NOW + MC_SESSION_ACCOUNT_WINDOW; t += 10) {
		assert_int_equal(login(f, "lan", "khong-dung-dau", "attacker", t, &l), MC_OK);
		assert_true(l.res == MC_LOGIN_BAD || l.res == MC_LOGIN_LOCKED);
		assert_false(l.account_locked);
		tried += l.res == MC_LOGIN_BAD;
	}
	assert_int_equal(tried, 3 * MC_SESSION_PAIR_FAILURES);
	assert_true(tried < MC_SESSION_ACCOUNT_FAILURES);
	assert_int_equal(login(f, "lan", PW, "office", t, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
}

static void test_disabled_user_cannot_sign_in(void **state)
{
	struct fixture *f = *state;
	struct mc_session_user u;
	struct mc_login l;

	assert_int_equal(login(f, "lan", PW, "k1", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
	assert_int_equal(mc_store_user_disable(f->s, "lan"), MC_OK);
	assert_int_equal(lookup_session(f, l.token, NOW, &u), MC_ERR_NOTFOUND);
	assert_int_equal(login(f, "lan", PW, "k1", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_BAD);
}

static void test_change_password(void **state)
{
	struct fixture *f = *state;
	struct mc_session_user u, other;
	struct mc_login l, l2;
	enum mc_login_result res;
	const char *fresh = "mat-khau-moi-rat-dai";

	assert_int_equal(login(f, "lan", PW, "k1", NOW, &l), MC_OK);
	assert_int_equal(login(f, "lan", PW, "k2", NOW, &l2), MC_OK);
	assert_int_equal(lookup_session(f, l.token, NOW, &u), MC_OK);
	assert_int_equal(mc_session_change_password(f->s, &u, "sai-mat-khau-cu", fresh, "k1", NOW,
						    NULL, &res, NULL),
			 MC_OK);
	assert_int_equal(res, MC_LOGIN_BAD);
	assert_int_equal(
	    mc_session_change_password(f->s, &u, PW, "ngan", "k1", NOW, NULL, &res, NULL),
	    MC_ERR_INVALID);
	assert_int_equal(lookup_session(f, l2.token, NOW, &other), MC_OK);
	assert_int_equal(
	    mc_session_change_password(f->s, &u, PW, fresh, "k1", NOW, NULL, &res, NULL), MC_OK);
	assert_int_equal(res, MC_LOGIN_OK);
	/* This session goes on, the other one is over; the old password is. */
	assert_int_equal(lookup_session(f, l.token, NOW, &u), MC_OK);
	assert_int_equal(lookup_session(f, l2.token, NOW, &other), MC_ERR_NOTFOUND);
	assert_int_equal(login(f, "lan", PW, "k3", NOW, &l2), MC_OK);
	assert_int_equal(l2.res, MC_LOGIN_BAD);
	assert_int_equal(login(f, "lan", fresh, "k3", NOW, &l2), MC_OK);
	assert_int_equal(l2.res, MC_LOGIN_OK);
}

/* A caller's release (mc_session_release) that lets another request use the store while
 * the password is hashed: what that request does is `meanwhile`. */
enum meanwhile { NOTHING, LOCK_PAIR, NEW_PASSWORD, DISABLE, FAIL_TO_TAKE_BACK };

struct release {
	struct fixture *f;
	enum meanwhile what;
	int runs;
};

static enum mc_err release_run(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct release *rl = ctx;
	struct mc_login l;
	char hash[MC_AUTH_HASH_MAX];

	rl->runs++;
	if (rl->what == LOCK_PAIR)
		for (int i = 0; i < MC_SESSION_PAIR_FAILURES; i++)
			assert_int_equal(login(rl->f, "lan", "doan-sai-giua-chung", "k1", NOW, &l),
					 MC_OK);
	if (rl->what == NEW_PASSWORD) {
		assert_int_equal(mc_auth_hash_password("mat-khau-doi-giua-chung", hash), MC_OK);
		assert_int_equal(mc_store_user_set_password(rl->f->s, 1, hash, NULL), MC_OK);
	}
	if (rl->what == DISABLE)
		assert_int_equal(mc_store_user_disable(rl->f->s, "lan"), MC_OK);
	fn(arg);
	return rl->what == FAIL_TO_TAKE_BACK ? MC_ERR_DB : MC_OK;
}

static void released_login(struct fixture *f, enum meanwhile what, const char *client,
			   enum mc_err want_err, enum mc_login_result want, int want_runs)
{
	struct release rl = {.f = f, .what = what};
	struct mc_session_release rel = {.run = release_run, .ctx = &rl};
	struct mc_login l;

	assert_int_equal(mc_session_login(f->s, "lan", PW, client, NOW, &rel, &l), want_err);
	assert_int_equal(rl.runs, want_runs);
	if (want_err == MC_OK)
		assert_int_equal(l.res, want);
	if (want_err != MC_OK || want != MC_LOGIN_OK)
		assert_string_equal(l.token, "");
}

/* The hash runs inside the caller's release, once; the attempt is judged as the store is
 * after it, as if it had come after what happened meanwhile. */
static void test_release_around_the_hash(void **state)
{
	struct fixture *f = *state;
	struct mc_session_user u;
	struct mc_login l;
	int n = 0;
	long long until = 0;

	released_login(f, NOTHING, "k0", MC_OK, MC_LOGIN_OK, 1);
	/* Locked meanwhile by another attempt: refused, and not counted as one more failure. */
	released_login(f, LOCK_PAIR, "k1", MC_OK, MC_LOGIN_LOCKED, 1);
	assert_int_equal(mc_store_throttle_get(f->s, "pair:lan|k1", NOW, &n, &until), MC_OK);
	assert_true(until > NOW);
	assert_int_equal(mc_store_throttle_get(f->s, "client:k1", NOW, &n, &until), MC_OK);
	assert_int_equal(n, MC_SESSION_PAIR_FAILURES);
	/* Refused by a lock before any hash: no release at all. */
	released_login(f, NOTHING, "k1", MC_OK, MC_LOGIN_LOCKED, 0);
	/* The store not taken back: its error, and no session. */
	released_login(f, FAIL_TO_TAKE_BACK, "k2", MC_ERR_DB, MC_LOGIN_BAD, 1);
	/* A password changed meanwhile: the old one checked was no longer the account's. */
	released_login(f, NEW_PASSWORD, "k3", MC_OK, MC_LOGIN_BAD, 1);
	assert_int_equal(login(f, "lan", "mat-khau-doi-giua-chung", "k4", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
	assert_int_equal(lookup_session(f, l.token, NOW, &u), MC_OK);
	/* Disabled meanwhile. */
	released_login(f, DISABLE, "k5", MC_OK, MC_LOGIN_BAD, 1);
}

static void test_release_around_a_password_change(void **state)
{
	struct fixture *f = *state;
	struct release rl = {.f = f, .what = NOTHING};
	struct mc_session_release rel = {.run = release_run, .ctx = &rl};
	struct mc_session_user u;
	struct mc_login l;
	enum mc_login_result res;
	const char *fresh = "mat-khau-moi-rat-dai";

	assert_int_equal(login(f, "lan", PW, "k1", NOW, &l), MC_OK);
	assert_int_equal(lookup_session(f, l.token, NOW, &u), MC_OK);
	/* Both Argon2id runs, the old password's check and the new one's hash, in one release. */
	assert_int_equal(
	    mc_session_change_password(f->s, &u, PW, fresh, "k1", NOW, &rel, &res, NULL), MC_OK);
	assert_int_equal(res, MC_LOGIN_OK);
	assert_int_equal(rl.runs, 1);
	assert_int_equal(login(f, "lan", fresh, "k2", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
	/* Changed by someone else meanwhile: this change's old password no longer is. */
	rl = (struct release){.f = f, .what = NEW_PASSWORD};
	assert_int_equal(mc_session_change_password(f->s, &u, fresh, "mat-khau-thu-ba-rat-dai",
						    "k1", NOW, &rel, &res, NULL),
			 MC_OK);
	assert_int_equal(res, MC_LOGIN_BAD);
	assert_int_equal(login(f, "lan", "mat-khau-doi-giua-chung", "k3", NOW, &l), MC_OK);
	assert_int_equal(l.res, MC_LOGIN_OK);
}

static void test_roles(void **state)
{
	struct mc_session_user staff = {.role = MC_ROLE_STAFF, .ward_id = 3};
	struct mc_session_user lost = {.role = MC_ROLE_STAFF, .ward_id = 0};
	struct mc_session_user sup = {.role = MC_ROLE_SUPERVISOR};
	struct mc_session_user admin = {.role = MC_ROLE_ADMIN};

	(void)state;
	assert_true(mc_session_can_read(&staff, 3));
	assert_true(mc_session_can_write(&staff, 3));
	assert_false(mc_session_can_read(&staff, 4));
	assert_false(mc_session_can_write(&staff, 4));
	assert_false(mc_session_can_read(&lost, 0));
	assert_false(mc_session_can_write(&lost, 0));
	assert_true(mc_session_can_read(&sup, 4));
	assert_false(mc_session_can_write(&sup, 4));
	assert_true(mc_session_can_read(&admin, 4));
	assert_true(mc_session_can_write(&admin, 4));
	assert_true(mc_session_all_wards(&sup));
	assert_false(mc_session_all_wards(&staff));
}

static void test_role_labels(void **state)
{
	(void)state;
	assert_string_equal(mc_session_role_label(MC_ROLE_ADMIN), "Quản trị");
	assert_string_equal(mc_session_role_label(MC_ROLE_SUPERVISOR), "Giám sát");
	assert_string_equal(mc_session_role_label(MC_ROLE_STAFF), "Cán bộ");
	assert_string_equal(mc_session_role_label(NULL), "Cán bộ");
}

static void test_cookies(void **state)
{
	char c[320];

	(void)state;
	mc_session_cookie("ab", false, c);
	assert_string_equal(c, "mc_session=ab; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800");
	mc_session_cookie("ab", true, c);
	assert_non_null(strstr(c, "; Secure"));
	mc_session_cookie(NULL, false, c);
	assert_string_equal(c, "mc_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	mc_session_login_cookie("cd", false, c);
	assert_string_equal(c, "mc_login=cd; Path=/staff; HttpOnly; SameSite=Strict");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_login_makes_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_logout_ends_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_password_and_unknown_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_idle_session_ends, setup, teardown),
	    cmocka_unit_test(test_dummy_hash_has_the_real_parameters),
	    cmocka_unit_test_setup_teardown(test_pair_lock_spares_other_clients, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_account_lock, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_client_never_locks_the_account, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_disabled_user_cannot_sign_in, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_change_password, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_around_the_hash, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_around_a_password_change, setup, teardown),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_role_labels),
	    cmocka_unit_test(test_cookies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
