/* The route table: every row obeys the rules the server relies on, and the one matcher
 * applies the path rules of routes.h the same way to every row. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "motcham/http/routes.h"

static const char *const known_labels[] = {
    "home", "ward",    "procedure", "announcement", "permit",	 "search",  "code",  "qr",
    "api",  "files",   "report",    "assets",	    "healthz",	 "metrics", "staff", "supervise",
    "feed", "preview", "site",	    "kiosk",	    "reference", "log",	    "other", NULL,
};

static bool known(const char *label)
{
	for (size_t i = 0; known_labels[i]; i++)
		if (!strcmp(known_labels[i], label))
			return true;
	return false;
}

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static void test_every_row(void **state)
{
	size_t n;
	const struct mc_route *rows = mc_routes(&n);

	(void)state;
	assert_true(n > 20);
	for (size_t i = 0; i < n; i++) {
		const struct mc_route *r = &rows[i];
		bool office = starts(r->pattern, "/staff") || starts(r->pattern, "/supervise");

		print_message("%s %s\n", r->method, r->pattern);
		assert_non_null(r->fn);
		assert_int_equal(r->pattern[0], '/');
		assert_true(known(r->label));
		assert_true(!strcmp(r->method, "GET") || !strcmp(r->method, "POST") ||
			    !strcmp(r->method, "*"));
		/* Only what anyone may read, on a read connection, is kept by the page cache. */
		if (r->flags & MC_ROUTE_CACHE) {
			assert_string_equal(r->method, "GET");
			assert_int_equal(r->gate, MC_GATE_PUBLIC);
			assert_int_equal(r->conn, MC_CONN_READ);
		}
		/* The sign-in lane is the write pool's: a row that checks a password is a post on
		 * the write connection. */
		if (r->flags & MC_ROUTE_PASSWORD) {
			assert_string_equal(r->method, "POST");
			assert_int_equal(r->conn, MC_CONN_WRITE);
		}
		/* A body is read only for the rows that take one, and only up to their limit. */
		if (!strcmp(r->method, "GET"))
			assert_int_equal(r->body_max, 0);
		if (!strcmp(r->method, "POST")) {
			assert_true(r->body_max > 0);
			assert_int_equal(r->conn, MC_CONN_WRITE);
		}
		/* The office's rows all stand behind a gate, and only the office's do. */
		if (office) {
			assert_int_not_equal(r->gate, MC_GATE_PUBLIC);
			assert_int_equal(r->conn, MC_CONN_WRITE);
			assert_false(r->flags & MC_ROUTE_CACHE);
			assert_string_equal(r->label,
					    starts(r->pattern, "/staff") ? "staff" : "supervise");
		} else {
			assert_int_equal(r->gate, MC_GATE_PUBLIC);
		}
		if (starts(r->pattern, "/supervise"))
			assert_int_equal(r->gate, MC_GATE_SUPERVISE);
		for (size_t j = 0; j < i; j++)
			assert_false(!strcmp(rows[j].method, r->method) &&
				     !strcmp(rows[j].pattern, r->pattern));
	}
}

static void test_labels(void **state)
{
	const char *labels[64];
	size_t n = mc_routes_labels(labels, 64), rows;

	(void)state;
	assert_true(n < 64);
	assert_string_equal(labels[n - 1], "other");
	for (size_t i = 0; i < n; i++) {
		assert_true(known(labels[i]));
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(labels[i], labels[j]);
	}
	mc_routes(&rows);
	for (size_t i = 0; i < rows; i++)
		assert_string_equal(labels[mc_routes_label_of(i)], mc_routes(&rows)[i].label);
	assert_string_equal(labels[mc_routes_label_of(SIZE_MAX)], "other");
}

static struct mc_route_match m;

static const char *match(const char *method, const char *path)
{
	mc_routes_match(method, path, &m);
	return m.route ? m.route->pattern : m.wrong_method ? "405" : "404";
}

static void test_literals_ignore_case(void **state)
{
	(void)state;
	assert_string_equal(match("GET", "/Q/ABC"), "/q/{token}");
	assert_string_equal(match("GET", "/W/Phuong-7/PROCEDURES/12"), "/w/{slug}/procedures/{id}");
	assert_string_equal(m.slug, "phuong-7");
	assert_int_equal(m.id, 12);
	assert_string_equal(match("GET", "/qr/ABC.PNG"), "/qr/{token}.png");
	assert_string_equal(m.arg, "ABC");
	assert_string_equal(match("GET", "/qr/abc.Svg"), "/qr/{token}.svg");
	assert_string_equal(match("GET", "/HEALTHZ"), "/healthz");
	assert_string_equal(match("GET", "/Staff/Permits/New"), "/staff/permits/new");
	/* The token is handed over as sent: its own rules (case, O/0) are the page's. */
	assert_string_equal(match("GET", "/q/aBc0"), "/q/{token}");
	assert_string_equal(m.arg, "aBc0");
}

static void test_ids(void **state)
{
	(void)state;
	assert_string_equal(match("GET", "/w/p/permits/1"), "/w/{slug}/permits/{id}");
	assert_string_equal(match("GET", "/w/p/permits/999999999999999999"),
			    "/w/{slug}/permits/{id}");
	assert_int_equal(m.id, 999999999999999999LL);
	assert_string_equal(match("GET", "/w/p/permits/0"), "404");
	assert_string_equal(match("GET", "/w/p/permits/07"), "404");
	assert_string_equal(match("GET", "/w/p/permits/1000000000000000000"), "404");
	assert_string_equal(match("GET", "/w/p/permits/-1"), "404");
	assert_string_equal(match("GET", "/w/p/permits/1x"), "404");
	assert_string_equal(match("GET", "/w/p/permits/+1"), "404");
	/* The same rule inside the office: an id that is not one is nothing the office serves. */
	assert_string_equal(match("GET", "/staff/permits/007"), "/staff/**");
	assert_false(m.wrong_method);
	/* What the "**" took, for its handler and the page cache. */
	assert_string_equal(m.rest, "permits/007");
	assert_false(m.rest_too_long);
	assert_string_equal(match("GET", "/supervise/permits/00"), "/supervise/**");
}

static void test_slugs_and_args(void **state)
{
	char path[400];

	(void)state;
	assert_string_equal(match("GET", "/w/a_b"), "404");
	assert_string_equal(match("GET", "/w/..%2f"), "404");
	memset(path, 0, sizeof(path));
	strcpy(path, "/w/");
	memset(path + 3, 'a', 64);
	assert_string_equal(match("GET", path), "/w/{slug}");
	path[3 + 64] = 'a';
	assert_string_equal(match("GET", path), "404");
	strcpy(path, "/q/");
	memset(path + 3, 'A', MC_ROUTE_ARG_MAX);
	assert_string_equal(match("GET", path), "/q/{token}");
	path[3 + MC_ROUTE_ARG_MAX] = 'A';
	assert_string_equal(match("GET", path), "404");
	/* A suffix needs something before it. */
	assert_string_equal(match("GET", "/qr/.png"), "404");
	assert_string_equal(match("GET", "/qr/ABC.gif"), "404");
}

static void test_slashes(void **state)
{
	(void)state;
	assert_string_equal(match("GET", "/"), "/");
	assert_string_equal(match("GET", "/w/p/"), "/w/{slug}");
	assert_string_equal(match("GET", "/staff/"), "/staff");
	assert_string_equal(match("GET", "/w//p"), "404");
	assert_string_equal(match("GET", "/w/p//"), "404");
	assert_string_equal(match("GET", "//"), "404");
	assert_string_equal(match("GET", ""), "404");
	assert_string_equal(match("GET", "w/p"), "404");
	assert_string_equal(match("GET", "/nothing/here"), "404");
}

/* The log's tiles are paths of several segments (tlog-tiles); one catch-all row takes them
 * and the tile parser (test_log) says which are tiles. */
static void test_log_paths(void **state)
{
	(void)state;
	assert_string_equal(match("GET", "/log/checkpoint"), "/log/checkpoint");
	assert_string_equal(match("POST", "/log/add-cosignature"), "/log/add-cosignature");
	assert_string_equal(match("GET", "/log/add-cosignature"), "405");
	assert_string_equal(match("GET", "/log/tile/0/000"), "/log/tile/**");
	assert_string_equal(match("GET", "/log/tile/0/x001/x234/067.p/5"), "/log/tile/**");
	assert_string_equal(match("HEAD", "/log/tile/2/000.p/1"), "/log/tile/**");
	assert_false(m.wrong_method);
	assert_string_equal(match("GET", "/log"), "404");
	assert_string_equal(match("GET", "/log/tile//0"), "404");
}

static void test_methods(void **state)
{
	(void)state;
	assert_string_equal(match("HEAD", "/w/p"), "/w/{slug}");
	assert_string_equal(match("POST", "/"), "405");
	assert_string_equal(match("POST", "/w/p/permits/3"), "405");
	assert_string_equal(match("POST", "/w/p/permits/3/report"),
			    "/w/{slug}/permits/{id}/report");
	assert_string_equal(match("GET", "/w/p/permits/3/report"), "405");
	assert_string_equal(match("PUT", "/healthz"), "405");
	/* Both methods of one path, each its own row. */
	assert_string_equal(match("GET", "/staff/login"), "/staff/login");
	assert_string_equal(m.route->method, "GET");
	assert_string_equal(match("POST", "/staff/login"), "/staff/login");
	assert_string_equal(m.route->method, "POST");
	/* Inside the office a wrong method goes to the office (after sign-in it is a 405). */
	assert_string_equal(match("GET", "/staff/permits/5/status"), "/staff/**");
	assert_true(m.wrong_method);
	assert_string_equal(match("GET", "/staff/permits"), "/staff/permits");
	assert_string_equal(m.route->method, "GET");
	assert_string_equal(match("POST", "/staff/logout"), "/staff/logout");
	assert_string_equal(match("GET", "/staff/logout"), "/staff/**");
	assert_true(m.wrong_method);
	assert_string_equal(match("POST", "/staff/nothing"), "/staff/**");
	assert_false(m.wrong_method);
	assert_string_equal(match("POST", "/supervise"), "/supervise/**");
	assert_true(m.wrong_method);
}

/* The posts that check a password, and only they, go to the sign-in lane. */
static void test_password_rows(void **state)
{
	(void)state;
	assert_string_equal(match("POST", "/staff/login"), "/staff/login");
	assert_true(m.route->flags & MC_ROUTE_PASSWORD);
	assert_string_equal(match("POST", "/staff/password"), "/staff/password");
	assert_true(m.route->flags & MC_ROUTE_PASSWORD);
	assert_string_equal(match("GET", "/staff/login"), "/staff/login");
	assert_false(m.route->flags & MC_ROUTE_PASSWORD);
	assert_string_equal(match("GET", "/staff/password"), "/staff/password");
	assert_false(m.route->flags & MC_ROUTE_PASSWORD);
	assert_string_equal(match("POST", "/staff/logout"), "/staff/logout");
	assert_false(m.route->flags & MC_ROUTE_PASSWORD);
	assert_string_equal(match("POST", "/staff/procedures/3"), "/staff/procedures/{id}");
	assert_false(m.route->flags & MC_ROUTE_PASSWORD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_row),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_literals_ignore_case),
	    cmocka_unit_test(test_ids),
	    cmocka_unit_test(test_log_paths),
	    cmocka_unit_test(test_slugs_and_args),
	    cmocka_unit_test(test_slashes),
	    cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_password_rows),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
