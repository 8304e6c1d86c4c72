#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "motcham/base/addr.h"

static struct mc_addr addr(const char *s)
{
	struct mc_addr a;

	assert_int_equal(mc_addr_parse(s, strlen(s), &a), MC_OK);
	return a;
}

static bool has(const struct mc_addr_list *l, const char *s)
{
	struct mc_addr a = addr(s);

	return mc_addr_list_has(l, &a);
}

static void test_parse(void **state)
{
	struct mc_addr a;
	char text[MC_ADDR_TEXT_MAX];

	(void)state;
	a = addr("192.0.2.7");
	assert_int_equal(a.family, AF_INET);
	mc_addr_format(&a, text);
	assert_string_equal(text, "192.0.2.7");
	a = addr("2001:db8::1");
	assert_int_equal(a.family, AF_INET6);
	mc_addr_format(&a, text);
	assert_string_equal(text, "2001:db8::1");
	/* A dual-stack socket's view of an IPv4 peer is that IPv4 address. */
	a = addr("::ffff:192.0.2.7");
	assert_int_equal(a.family, AF_INET);
	mc_addr_format(&a, text);
	assert_string_equal(text, "192.0.2.7");
	assert_int_equal(mc_addr_parse("192.0.2.256", 11, &a), MC_ERR_INVALID);
	assert_int_equal(mc_addr_parse("unknown", 7, &a), MC_ERR_INVALID);
	assert_int_equal(mc_addr_parse("", 0, &a), MC_ERR_INVALID);
	assert_int_equal(mc_addr_parse("192.0.2.7:80", 12, &a), MC_ERR_INVALID);
	assert_int_equal(mc_addr_parse("[::1]", 5, &a), MC_ERR_INVALID);
	/* Only the n bytes given count. */
	assert_int_equal(mc_addr_parse("10.0.0.1, 10.0.0.2", 8, &a), MC_OK);
	mc_addr_format(&a, text);
	assert_string_equal(text, "10.0.0.1");
	a.family = 0;
	mc_addr_format(&a, text);
	assert_string_equal(text, "?");
}

static void test_lists(void **state)
{
	struct mc_addr_list l;
	struct mc_buf errs;

	(void)state;
	mc_buf_init(&errs);
	assert_int_equal(mc_addr_list_parse("127.0.0.1, 10.0.0.0/8 ,2001:db8::/32,::1", &l, &errs),
			 MC_OK);
	assert_int_equal(l.n, 4);
	assert_true(has(&l, "127.0.0.1"));
	assert_false(has(&l, "127.0.0.2"));
	assert_true(has(&l, "10.255.1.2"));
	assert_false(has(&l, "11.0.0.1"));
	assert_true(has(&l, "2001:db8:ffff::5"));
	assert_false(has(&l, "2001:db9::5"));
	assert_true(has(&l, "::1"));
	assert_true(has(&l, "::ffff:10.1.2.3"));
	assert_int_equal(mc_addr_list_parse("192.168.1.128/25", &l, &errs), MC_OK);
	assert_true(has(&l, "192.168.1.200"));
	assert_false(has(&l, "192.168.1.100"));
	assert_int_equal(mc_addr_list_parse("0.0.0.0/0", &l, &errs), MC_OK);
	assert_true(has(&l, "8.8.8.8"));
	assert_false(has(&l, "::1"));
	assert_int_equal(mc_addr_list_parse(NULL, &l, &errs), MC_OK);
	assert_int_equal(l.n, 0);
	assert_int_equal(mc_addr_list_parse("", &l, &errs), MC_OK);
	assert_false(has(&l, "127.0.0.1"));
	for (const char *const *bad =
		 (const char *const[]){"10.0.0.0/33", "::/129", "10.0.0.1/", "10.0.0.1/x",
				       "example.org", "1.2.3.4,,", "10.0.0.1/-1", "10.0.0.1/ 8",
				       NULL};
	     *bad; bad++) {
		mc_buf_reset(&errs);
		assert_int_equal(mc_addr_list_parse(*bad, &l, &errs), MC_ERR_INVALID);
		assert_int_equal(l.n, 0);
		assert_non_null(errs.data);
	}
	mc_buf_finish(&errs);
}

static void test_sockaddr(void **state)
{
	struct sockaddr_in v4 = {.sin_family = AF_INET};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
	struct mc_addr a;
	char text[MC_ADDR_TEXT_MAX];

	(void)state;
	inet_pton(AF_INET, "203.0.113.9", &v4.sin_addr);
	mc_addr_of_sockaddr((const struct sockaddr *)&v4, &a);
	mc_addr_format(&a, text);
	assert_string_equal(text, "203.0.113.9");
	inet_pton(AF_INET6, "::ffff:203.0.113.9", &v6.sin6_addr);
	mc_addr_of_sockaddr((const struct sockaddr *)&v6, &a);
	assert_int_equal(a.family, AF_INET);
	mc_addr_of_sockaddr(NULL, &a);
	assert_int_equal(a.family, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_sockaddr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
