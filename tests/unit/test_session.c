/* Staff sign-in: sessions by token hash, CSRF tokens, throttling, disabled users, roles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

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

static void test_login_makes_session(void **state)
{
	struct fixture *f = *state;
	struct mc_session_user u;
	enum mc_login_result res;
	char token[65];

	assert_int_equal(mc_session_login(f->s, "lan", PW, "k1", NOW, &res, token, NULL), MC_OK);
	assert_int_equal(res, MC_LOGIN_OK);
	assert_true(mc_auth_hex64(token));
	assert_int_equal(lookup_session(f, token, NOW + 60, &u), MC_OK);
	assert_string_equal(u.name, "lan");
	assert_string_equal(u.role, MC_ROLE_STAFF);
	assert_int_equal(u.ward_id, f->ward);
	assert_true(mc_auth_hex64(u.csrf));
	/* The database holds the hash of the token, never the token. */
	assert_string_not_equal(u.token_hash, token);
	/* Expired after eight hours; a made-up or malformed cookie finds nothing. */
	assert_int_equal(lookup_session(f, token, NOW + MC_SESSION_MAX_AGE + 1, &u),
			 MC_ERR_NOTFOUND);
	assert_int_equal(lookup_session(f, "abc", NOW, &u), MC_ERR_NOTFOUND);
	assert_int_equal(lookup_session(f, NULL, NOW, &u), MC_ERR_NOTFOUND);
	token[0] = token[0] == 'a' ? 'b' : 'a';
	assert_int_equal(lookup_session(f, token, NOW, &u), MC_ERR_NOTFOUND);
}

static void test_logout_ends_session(void **state)
{
	struct fixture *f = *state;
	struct mc_session_user u;
	enum mc_login_result res;
	char token[65];

	assert_int_equal(mc_session_login(f->s, "lan", PW, "k1", NOW, &res, token, NULL), MC_OK);
	assert_int_equal(lookup_session(f, token, NOW, &u), MC_OK);
	assert_int_equal(mc_session_logout(f->s, &u), MC_OK);
	assert_int_equal(lookup_session(f, token, NOW, &u), MC_ERR_NOTFOUND);
}

static void test_bad_password_and_unknown_user(void **state)
{
	struct fixture *f = *state;
	enum mc_login_result res = MC_LOGIN_OK;
	char token[65];

	assert_int_equal(
	    mc_session_login(f->s, "lan", "sai-mat-khau-roi", "k1", NOW, &res, token, NULL), MC_OK);
	assert_int_equal(res, MC_LOGIN_BAD);
	assert_string_equal(token, "");
	assert_int_equal(mc_session_login(f->s, "ghost", PW, "k2", NOW, &res, token, NULL), MC_OK);
	assert_int_equal(res, MC_LOGIN_BAD);
	assert_int_equal(mc_session_login(f->s, NULL, NULL, "k3", NOW, &res, token, NULL), MC_OK);
	assert_int_equal(res, MC_LOGIN_BAD);
}

static void test_lockout_after_five_failures(void **state)
{
	struct fixture *f = *state;
	enum mc_login_result res;
	char token[65];
	int i;

	/* Different clients, one account: the account key locks; each failure asks the caller
	 * to hold its answer back longer than the one before. */
	unsigned prev = 0;

	for (i = 0; i < MC_SESSION_MAX_FAILURES; i++) {
		unsigned delay = 0;
		char key[8];

		snprintf(key, sizeof(key), "c%d", i);
		assert_int_equal(
		    mc_session_login(f->s, "lan", "khong-dung-dau", key, NOW, &res, token, &delay),
		    MC_OK);
		assert_int_equal(res, MC_LOGIN_BAD);
		assert_true(delay > prev && delay <= 2000);
		prev = delay;
	}
	assert_int_equal(mc_session_login(f->s, "lan", PW, "fresh", NOW + 1, &res, token, NULL),
			 MC_OK);
	assert_int_equal(res, MC_LOGIN_LOCKED);
	/* After the lock the right password works again and clears the account's count. */
	assert_int_equal(mc_session_login(f->s, "lan", PW, "fresh", NOW + MC_SESSION_LOCK + 1, &res,
					  token, NULL),
			 MC_OK);
	assert_int_equal(res, MC_LOGIN_OK);
}

static void test_disabled_user_cannot_sign_in(void **state)
{
	struct fixture *f = *state;
	struct mc_session_user u;
	enum mc_login_result res;
	char token[65];

	assert_int_equal(mc_session_login(f->s, "lan", PW, "k1", NOW, &res, token, NULL), MC_OK);
	assert_int_equal(res, MC_LOGIN_OK);
	assert_int_equal(mc_store_user_disable(f->s, "lan"), MC_OK);
	assert_int_equal(lookup_session(f, token, NOW, &u), MC_ERR_NOTFOUND);
	assert_int_equal(mc_session_login(f->s, "lan", PW, "k1", NOW, &res, token, NULL), MC_OK);
	assert_int_equal(res, MC_LOGIN_BAD);
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
	    cmocka_unit_test_setup_teardown(test_lockout_after_five_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disabled_user_cannot_sign_in, setup, teardown),
	    cmocka_unit_test(test_roles),
	    cmocka_unit_test(test_role_labels),
	    cmocka_unit_test(test_cookies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
