#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "motcham/domain/check.h"

static void test_slug(void **state)
{
	char long_slug[70];

	(void)state;
	assert_true(mc_check_slug("phuong-7-quan-8"));
	assert_true(mc_check_slug("a"));
	assert_false(mc_check_slug(""));
	assert_false(mc_check_slug(NULL));
	assert_false(mc_check_slug("Phuong-7"));
	assert_false(mc_check_slug("phường"));
	assert_false(mc_check_slug("a_b"));
	assert_false(mc_check_slug("../x"));
	memset(long_slug, 'a', 64);
	long_slug[64] = '\0';
	assert_true(mc_check_slug(long_slug));
	long_slug[64] = 'a';
	long_slug[65] = '\0';
	assert_false(mc_check_slug(long_slug));
}

static void test_tthc(void **state)
{
	(void)state;
	assert_true(mc_check_tthc("1.001193"));
	assert_true(mc_check_tthc("2.000986"));
	assert_true(mc_check_tthc("7"));
	for (const char *const *bad =
		 (const char *const[]){"", ".1", "1.", "1..2", "a.001", "1.00119a",
				       "123456789012345678901", " 1.1", NULL};
	     *bad; bad++)
		assert_false(mc_check_tthc(*bad));
	assert_false(mc_check_tthc(NULL));
}

static void test_count(void **state)
{
	int n = -1;

	(void)state;
	assert_true(mc_check_count("0", &n));
	assert_int_equal(n, 0);
	assert_true(mc_check_count("20", &n));
	assert_int_equal(n, 20);
	assert_true(mc_check_count("07", &n));
	assert_int_equal(n, 7);
	assert_false(mc_check_count("21", &n));
	assert_false(mc_check_count("100", &n));
	assert_false(mc_check_count("", &n));
	assert_false(mc_check_count("-1", &n));
	assert_false(mc_check_count("1 ", &n));
}

static void test_decimal(void **state)
{
	double x;
	bool whole;

	(void)state;
	assert_true(mc_check_decimal("48.5", &x, &whole));
	assert_true(x == 48.5 && !whole);
	assert_true(mc_check_decimal("48,5", &x, &whole));
	assert_true(x == 48.5 && !whole);
	assert_true(mc_check_decimal("3", &x, &whole));
	assert_true(x == 3 && whole);
	assert_true(mc_check_decimal("0.25", &x, &whole));
	assert_true(x == 0.25);
	assert_true(mc_check_decimal("999999999999", &x, &whole));
	for (const char *const *bad =
		 (const char *const[]){"", ".5", "5.", "5,", "1,250.5", "1.2.3", "-3", "+3", "1e3",
				       "0x10", "inf", "nan", " 1", "1 ", "9999999999999", NULL};
	     *bad; bad++)
		assert_false(mc_check_decimal(*bad, &x, &whole));
}

static void test_web_address(void **state)
{
	char s[80];

	(void)state;
	assert_true(mc_check_web_address("https://dichvucong.gov.vn/p?a=1&b=2"));
	assert_true(mc_check_web_address("HTTPS://DichVuCong.gov.vn/"));
	assert_true(mc_check_web_address("http://x"));
	assert_true(mc_check_web_address("HtTp://x"));
	for (const char *const *bad =
		 (const char *const[]){"", "https://", "ftp://x.vn", "javascript:alert(1)",
				       "https://a b", "https://a\tb", "https://x/\"", "https://x/'",
				       "https://x/<", "https://x/>", "https://x/\\", "https://x/`",
				       "https://x/\x7f", "//x.vn", "https:/x.vn", NULL};
	     *bad; bad++)
		assert_false(mc_check_web_address(*bad));
	assert_false(mc_check_web_address(NULL));
	strcpy(s, "HTTPS://DichVuCong.gov.vn/A");
	mc_check_web_address_tidy(s);
	assert_string_equal(s, "https://DichVuCong.gov.vn/A");
	strcpy(s, "Http://X.VN");
	mc_check_web_address_tidy(s);
	assert_string_equal(s, "http://X.VN");
	strcpy(s, "not-a-url");
	mc_check_web_address_tidy(s);
	assert_string_equal(s, "not-a-url");
}

static void test_tidy_and_trim(void **state)
{
	const char *text = " \r\nBước 1  \r\n\r\n Bước 2\t\rBước 3 \n\n";
	struct mc_buf b;
	char s[32];

	(void)state;
	mc_buf_init(&b);
	assert_int_equal(mc_check_tidy(text, strlen(text), false, &b), MC_OK);
	assert_string_equal(b.data, "Bước 1\n\n Bước 2\nBước 3");
	assert_int_equal(mc_check_tidy("  a \n\n  b  \n", 12, true, &b), MC_OK);
	assert_string_equal(b.data, "a\nb");
	assert_int_equal(mc_check_tidy("  \r\n\t ", 6, false, &b), MC_OK);
	assert_int_equal(b.len, 0);
	mc_buf_finish(&b);
	strcpy(s, " \t Tờ khai \t");
	assert_string_equal(mc_check_trim(s), "Tờ khai");
}

static void test_doc_line(void **state)
{
	struct mc_doc_line d;
	char line[80];

	(void)state;
	strcpy(line, " Tờ khai | 1 | 0 ");
	assert_int_equal(mc_check_doc_line(line, &d), MC_DOC_LINE_OK);
	assert_string_equal(d.name, "Tờ khai");
	assert_int_equal(d.originals, 1);
	assert_int_equal(d.copies, 0);
	strcpy(line, "Giấy tờ tùy thân|0|2");
	assert_int_equal(mc_check_doc_line(line, &d), MC_DOC_LINE_OK);
	assert_int_equal(d.originals, 0);
	assert_int_equal(d.copies, 2);
	strcpy(line, "Chỉ có tên");
	assert_int_equal(mc_check_doc_line(line, &d), MC_DOC_LINE_OK);
	assert_int_equal(d.originals, 1);
	assert_int_equal(d.copies, 0);
	assert_null(d.part[1]);
	strcpy(line, "a | 1 | 2 | 3");
	assert_int_equal(mc_check_doc_line(line, &d), MC_DOC_LINE_SHAPE);
	strcpy(line, "  | 1");
	assert_int_equal(mc_check_doc_line(line, &d), MC_DOC_LINE_NO_NAME);
	strcpy(line, "a | x");
	assert_int_equal(mc_check_doc_line(line, &d), MC_DOC_LINE_ORIGINALS);
	assert_string_equal(d.part[1], "x");
	strcpy(line, "a | 1 | 21");
	assert_int_equal(mc_check_doc_line(line, &d), MC_DOC_LINE_COPIES);
	assert_string_equal(d.part[2], "21");
}

static void test_text(void **state)
{
	static const char *const refused[] = {
	    "\xEF\xBF\xBE",	/* U+FFFE */
	    "\xEF\xBF\xBF",	/* U+FFFF */
	    "\xEF\xB7\x90",	/* U+FDD0 */
	    "\xEF\xB7\xAF",	/* U+FDEF */
	    "\xF0\x9F\xBF\xBE", /* U+1FFFE */
	    "\xF4\x8F\xBF\xBF", /* U+10FFFF */
	    "\xE2\x80\xAA",	/* U+202A LRE */
	    "\xE2\x80\xAE",	/* U+202E RLO */
	    "\xE2\x81\xA6",	/* U+2066 LRI */
	    "\xE2\x81\xA9",	/* U+2069 PDI */
	};
	static const unsigned points[] = {0xFFFE,   0xFFFF, 0xFDD0, 0xFDEF, 0x1FFFE,
					  0x10FFFF, 0x202A, 0x202E, 0x2066, 0x2069};
	static const char near[] = "\xEF\xB7\x8F\xEF\xB7\xB0\xEF\xBF\xBD\xE2\x80\x8E\xE2\x80\x8F"
				   "\xE2\x80\xA9\xE2\x80\xAF\xE2\x81\xA5\xE2\x81\xAA";
	char text[64];
	unsigned bad;

	(void)state;
	assert_true(
	    mc_check_text("Phường Bến Nghé, Quận 1", strlen("Phường Bến Nghé, Quận 1"), NULL));
	assert_true(mc_check_text("", 0, NULL));
	/* Neighbours of the refused ranges, and the marks (LRM, RLM) that only nudge. */
	assert_true(mc_check_text(near, sizeof(near) - 1, NULL));
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(text, sizeof(text), "GP-%s-01", refused[i]);
		bad = 0;
		assert_false(mc_check_text(text, strlen(text), &bad));
		assert_int_equal(bad, points[i]);
	}
	assert_false(mc_check_text("a\xC3", 2, NULL)); /* cut short */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slug),	cmocka_unit_test(test_tthc),
	    cmocka_unit_test(test_count),	cmocka_unit_test(test_decimal),
	    cmocka_unit_test(test_web_address), cmocka_unit_test(test_tidy_and_trim),
	    cmocka_unit_test(test_doc_line),	cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
