#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "motcham/base/date.h"

static time_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {
	    .tm_year = y - 1900,
	    .tm_mon = mo - 1,
	    .tm_mday = d,
	    .tm_hour = h,
	    .tm_min = mi,
	    .tm_sec = s,
	};

	return timegm(&tm);
}

static void assert_date_of(time_t t, const char *want)
{
	char out[MC_DATE_LEN + 1];

	memset(out, 'x', sizeof out);
	mc_date_of(t, out);
	assert_string_equal(out, want);
}

static void test_date_of_utc7_boundary(void **state)
{
	(void)state;
	assert_date_of(utc(2026, 11, 24, 16, 59, 59), "2026-11-24");
	assert_date_of(utc(2026, 11, 24, 17, 0, 0), "2026-11-25");
	assert_date_of(utc(2026, 11, 25, 16, 59, 59), "2026-11-25");
	assert_date_of(utc(2025, 12, 31, 17, 0, 0), "2026-01-01");
	assert_date_of(utc(2024, 2, 28, 17, 0, 0), "2024-02-29");
	assert_date_of(0, "1970-01-01");
	assert_date_of(-7 * 3600, "1970-01-01");
	assert_date_of(-7 * 3600 - 1, "1969-12-31");
}

static void test_date_of_extremes(void **state)
{
	time_t max = (time_t)(((uintmax_t)1 << (sizeof(time_t) * CHAR_BIT - 1)) - 1);
	char out[MC_DATE_LEN + 1];

	(void)state;
	/* No crash, no overflow (UBSan), and never something that passes as a date. */
	mc_date_of(max, out);
	assert_int_equal(strlen(out), MC_DATE_LEN);
	assert_false(mc_date_valid(out));
	mc_date_of(-max - 1, out);
	assert_int_equal(strlen(out), MC_DATE_LEN);
	assert_false(mc_date_valid(out));
}

static void test_today(void **state)
{
	char before[MC_DATE_LEN + 1], today[MC_DATE_LEN + 1], after[MC_DATE_LEN + 1];

	(void)state;
	mc_date_of(time(NULL), before);
	mc_date_today(today);
	mc_date_of(time(NULL), after);
	assert_true(mc_date_valid(today));
	assert_true(strcmp(today, before) == 0 || strcmp(today, after) == 0);
}

static void test_valid_edge_cases(void **state)
{
	static const char *good[] = {
	    "2024-02-29", "2000-02-29", "1900-01-01", "2199-12-31", "2026-04-30", "2026-12-31",
	};
	static const char *bad[] = {
	    "2025-02-29", "1900-02-29",	 "2100-02-29",	"2026-13-01",
	    "2026-00-10", "2026-01-00",	 "2026-04-31",	"2026-01-32",
	    "2026-1-01",  "2026-01-1",	 "1899-12-31",	"2200-01-01",
	    "2026/01/01", "2026-01-01 ", " 2026-01-01", "2026-01-011",
	    "+026-01-01", "20a6-01-01",	 "2026-0x-01",	"2026--1-01",
	    "",		  "2026",	 "26-01-01",
	};

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(mc_date_valid(good[i]));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_false(mc_date_valid(bad[i]));
	assert_false(mc_date_valid(NULL));
}

/* Every YYYY-MM-DD with month 0..13 and day 0..32 over the whole range, against the C
 * library's calendar: a date is real when timegm does not have to carry it over. */
static void test_valid_against_libc(void **state)
{
	char s[48]; /* room for any three ints */
	long real = 0;

	(void)state;
	for (int y = 1890; y <= 2210; y++) {
		for (int m = 0; m <= 13; m++) {
			for (int d = 0; d <= 32; d++) {
				time_t t = utc(y, m, d, 12, 0, 0);
				struct tm back;
				bool want;

				gmtime_r(&t, &back);
				want = y >= 1900 && y <= 2199 && back.tm_year == y - 1900 &&
				       back.tm_mon == m - 1 && back.tm_mday == d;
				snprintf(s, sizeof s, "%04d-%02d-%02d", y, m, d);
				assert_int_equal(mc_date_valid(s), want);
				real += want;
			}
		}
	}
	/* 300 years, 73 of them leap (1900, 2100 are not; 2000 is). */
	assert_int_equal(real, 300L * 365 + 73);
}

/* Consecutive ward-local noons give consecutive valid dates, in order. */
static void test_date_of_every_day(void **state)
{
	char prev[MC_DATE_LEN + 1] = "", cur[MC_DATE_LEN + 1];
	time_t t = utc(1900, 1, 1, 5, 0, 0);
	long days = 0;

	(void)state;
	for (;; t += 86400, days++) {
		mc_date_of(t, cur);
		if (!mc_date_valid(cur))
			break;
		assert_true(strcmp(prev, cur) < 0);
		memcpy(prev, cur, sizeof cur);
	}
	assert_string_equal(prev, "2199-12-31");
	assert_int_equal(days, 300L * 365 + 73);
}

/* Adding days walks the calendar day by day, and mc_date_days counts them the same way. */
static void test_add_and_days(void **state)
{
	char d[MC_DATE_LEN + 1] = "1900-01-01", next[MC_DATE_LEN + 1];
	long n = 0, z;

	(void)state;
	assert_true(mc_date_days("1970-01-01", &z));
	assert_int_equal(z, 0);
	assert_true(mc_date_days("2026-11-25", &z));
	assert_int_equal(z, 20782);
	for (;; n++) {
		assert_true(mc_date_days(d, &z));
		assert_int_equal(z, n + (-25567)); /* 1900-01-01 is 25567 days before 1970 */
		if (!mc_date_add(d, 1, next))
			break;
		assert_true(mc_date_valid(next));
		assert_true(strcmp(d, next) < 0);
		memcpy(d, next, sizeof d);
	}
	assert_string_equal(d, "2199-12-31");
	assert_true(mc_date_add("2024-02-28", 1, next));
	assert_string_equal(next, "2024-02-29");
	assert_true(mc_date_add("2026-03-01", -1, next));
	assert_string_equal(next, "2026-02-28");
	assert_true(mc_date_add("2026-11-25", 400, next));
	assert_string_equal(next, "2027-12-30");
	assert_true(mc_date_add("2026-11-25", 0, next));
	assert_string_equal(next, "2026-11-25");
	assert_false(mc_date_add("1900-01-01", -1, next));
	assert_string_equal(next, "");
	assert_false(mc_date_add("2026-02-30", 1, next));
	assert_false(mc_date_add("2026-01-01", 100000000, next));
	assert_false(mc_date_days("nope", &z));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_date_of_utc7_boundary),
	    cmocka_unit_test(test_date_of_extremes),
	    cmocka_unit_test(test_today),
	    cmocka_unit_test(test_valid_edge_cases),
	    cmocka_unit_test(test_valid_against_libc),
	    cmocka_unit_test(test_date_of_every_day),
	    cmocka_unit_test(test_add_and_days),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
