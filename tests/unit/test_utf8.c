#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "motcham/base/utf8.h"

#include <uninorm.h>
#include <unistr.h>

/* Precomposed (NFC) and decomposed (NFD) spellings, written out byte by byte. */
#define E_CIRC_ACUTE "\xe1\xba\xbf"	       /* ế U+1EBF */
#define E_CIRC_ACUTE_NFD "e\xcc\x82\xcc\x81"   /* e U+0302 U+0301 */
#define E_CIRC_PLUS_ACUTE "\xc3\xaa\xcc\x81"   /* ê U+0301 */
#define NGUYEN "Nguy\xe1\xbb\x85n"	       /* Nguyễn, ễ U+1EC5 */
#define NGUYEN_NFD "Nguye\xcc\x82\xcc\x83n"    /* e U+0302 U+0303 */
#define ANH "\xc3\x81nh"		       /* Ánh, Á U+00C1 */
#define ANH_NFD "A\xcc\x81nh"		       /* A U+0301 */
#define DANG_KY "\xc4\x90\xc4\x83ng k\xc3\xbd" /* Đăng ký */
#define DANG_KY_NFD                                                                                \
	"\xc4\x90"                                                                                 \
	"a\xcc\x86ng ky\xcc\x81" /* Đ a U+0306 ng k y U+0301 */

typedef enum mc_err (*conv_fn)(const char *, size_t, struct mc_buf *);

/* Runs f on in, appending after a prefix, and checks the whole buffer. */
static void assert_conv(conv_fn f, const char *in, const char *want)
{
	struct mc_buf b;

	mc_buf_init(&b);
	assert_int_equal(mc_buf_puts(&b, "<"), MC_OK);
	assert_int_equal(f(in, strlen(in), &b), MC_OK);
	assert_int_equal(b.len, strlen(want) + 1);
	assert_memory_equal(b.data + 1, want, strlen(want) + 1);
	mc_buf_finish(&b);
}

static void assert_conv_rejects(conv_fn f, const char *in, size_t len)
{
	struct mc_buf b;

	mc_buf_init(&b);
	assert_int_equal(mc_buf_puts(&b, "keep"), MC_OK);
	assert_int_equal(f(in, len, &b), MC_ERR_INVALID);
	assert_string_equal(b.data, "keep");
	mc_buf_finish(&b);
}

static const struct {
	const char *s;
	size_t len;
} invalid[] = {
    {"\xc0\xaf", 2},	     /* overlong '/' */
    {"\xc1\xbf", 2},	     /* overlong DEL */
    {"\xe0\x80\xaf", 3},     /* overlong, 3 bytes */
    {"\xf0\x80\x80\xaf", 4}, /* overlong, 4 bytes */
    {"\xed\xa0\x80", 3},     /* surrogate U+D800 */
    {"\xed\xbf\xbf", 3},     /* surrogate U+DFFF */
    {"\xf4\x90\x80\x80", 4}, /* U+110000 */
    {"\xe1\xba", 2},	     /* ế cut short */
    {"Nguy\xe1\xbb", 6},     /* Nguyễn cut inside ễ */
    {"\xc3", 1},	     /* lead byte alone */
    {"\x80", 1},	     /* continuation alone */
    {"a\xbfz", 3},	     /* continuation in ASCII */
    {"\xff", 1},	     /* never valid */
    {"\xfe\xff", 2},	     /* UTF-16 BOM bytes */
    {"ab\0cd", 5},	     /* NUL */
    {"a\x01", 2},	     /* C0 control */
    {"\x1b[31m", 5},	     /* escape sequence */
    {"a\x7f", 2},	     /* DEL */
    {"\x0b", 1},	     /* vertical tab */
};

static void test_valid(void **state)
{
	static const char *good[] = {
	    "",
	    "hello",
	    NGUYEN,
	    DANG_KY,
	    ANH_NFD,
	    "a\tb\nc\r\n",
	    "\xf0\x9f\x99\x82", /* U+1F642, 4 bytes */
	    "\xef\xbb\xbfmot",
	    "\xf4\x8f\xbf\xbf", /* U+10FFFF */
	};

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		assert_true(mc_utf8_valid(good[i], strlen(good[i])));
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		assert_false(mc_utf8_valid(invalid[i].s, invalid[i].len));
	/* Length is what counts, not the NUL: a valid prefix of bad bytes is valid. */
	assert_true(mc_utf8_valid("ab\xff", 2));
	assert_true(mc_utf8_valid(NULL, 0));
}

static void test_nfc(void **state)
{
	(void)state;
	assert_conv(mc_utf8_nfc, E_CIRC_ACUTE_NFD, E_CIRC_ACUTE);
	assert_conv(mc_utf8_nfc, E_CIRC_PLUS_ACUTE, E_CIRC_ACUTE);
	assert_conv(mc_utf8_nfc, NGUYEN_NFD, NGUYEN);
	assert_conv(mc_utf8_nfc, ANH_NFD, ANH);
	assert_conv(mc_utf8_nfc, DANG_KY_NFD, DANG_KY);
	/* Already NFC: byte-exact, and so is ASCII, and the empty string. */
	assert_conv(mc_utf8_nfc, NGUYEN " V\xc4\x83n An", NGUYEN " V\xc4\x83n An");
	assert_conv(mc_utf8_nfc, "plain ASCII\ttext\n", "plain ASCII\ttext\n");
	assert_conv(mc_utf8_nfc, "", "");
	/* Compatibility forms are not folded by NFC: the ligature ﬁ stays. */
	assert_conv(mc_utf8_nfc, "\xef\xac\x81", "\xef\xac\x81");
}

/* The quick path (text it need not normalise) against libunistring's own NFC: every code
 * point it lets through, alone, between letters, doubled, and followed by the marks that
 * compose or reorder (acute, dot below, horn), so that a wrong range shows here. */
static void test_nfc_quick(void **state)
{
	static const struct {
		ucs4_t from, to;
	} ranges[] = {{0x20, 0x2FF}, {0x1E00, 0x1EFF}, {0x2FF, 0x36F}, {0x1DC0, 0x1DFF}};
	static const char *const after[] = {"", "b", "\xcc\x81", "\xcc\xa3", "\xcc\x9b\xcc\x81"};
	char in[32], cp[8];
	uint8_t want[64];
	struct mc_buf got;

	(void)state;
	mc_buf_init(&got);
	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
		for (ucs4_t uc = ranges[r].from; uc <= ranges[r].to; uc++) {
			int n = u8_uctomb((uint8_t *)cp, uc, sizeof(cp) - 1);

			if (uc == 0x7f || n < 1)
				continue;
			cp[n] = '\0';
			for (size_t a = 0; a < sizeof(after) / sizeof(after[0]); a++) {
				size_t wn = sizeof(want);

				snprintf(in, sizeof(in), "a%s%s%s", cp, cp, after[a]);
				assert_non_null(u8_normalize(UNINORM_NFC, (const uint8_t *)in,
							     strlen(in), want, &wn));
				mc_buf_reset(&got);
				assert_int_equal(mc_utf8_nfc(in, strlen(in), &got), MC_OK);
				assert_int_equal(got.len, wn);
				assert_memory_equal(got.data, want, wn);
			}
		}
	mc_buf_finish(&got);
}

static void test_nfc_long(void **state)
{
	struct mc_buf in, want;

	(void)state;
	mc_buf_init(&in);
	mc_buf_init(&want);
	/* Well past any small internal buffer. */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(mc_buf_puts(&in, NGUYEN_NFD " "), MC_OK);
		assert_int_equal(mc_buf_puts(&want, NGUYEN " "), MC_OK);
	}
	assert_conv(mc_utf8_nfc, in.data, want.data);
	mc_buf_finish(&in);
	mc_buf_finish(&want);
}

static void test_nfc_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		assert_conv_rejects(mc_utf8_nfc, invalid[i].s, invalid[i].len);
}

static void test_fold(void **state)
{
	(void)state;
	assert_conv(mc_utf8_fold, DANG_KY " Khai sinh", "dang ky khai sinh");
	assert_conv(mc_utf8_fold,
		    "Ch\xe1\xbb\xa9ng th\xe1\xbb\xb1"
		    "c b\xe1\xba\xa3n sao",
		    "chung thuc ban sao");
	assert_conv(mc_utf8_fold,
		    "\xc6\xaf"
		    "u \xc4\x91\xc3\xa3i ng\xc6\xb0\xe1\xbb\x9di c\xc3\xb3 c\xc3\xb4ng",
		    "uu dai nguoi co cong");
	assert_conv(mc_utf8_fold, "\xc4\x90\xc6\xaf\xe1\xbb\x9cNG", "duong"); /* ĐƯỜNG */
	assert_conv(mc_utf8_fold, NGUYEN_NFD, "nguyen");
	assert_conv(mc_utf8_fold, DANG_KY_NFD, "dang ky");
	assert_conv(mc_utf8_fold, "  Hello,   World!! ", "hello world");
	assert_conv(mc_utf8_fold, "S\xe1\xbb\x91 12/3 - Ph\xc3\xad: 50.000\xc4\x91",
		    "so 12 3 phi 50 000d");
	assert_conv(mc_utf8_fold, "x\t\r\ny", "x y");
	assert_conv(mc_utf8_fold, "\xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1", /* Ωμέγα */
		    "\xcf\x89\xce\xbc\xce\xb5\xce\xb3\xce\xb1");	      /* ωμεγα */
	assert_conv(mc_utf8_fold, "\xe2\x80\x9cQuote\xe2\x80\x9d \xe2\x80\x94 dash", "quote dash");
	assert_conv(mc_utf8_fold, "", "");
	assert_conv(mc_utf8_fold, " --- ... ", "");
}

static void test_fold_long(void **state)
{
	struct mc_buf in, want;

	(void)state;
	mc_buf_init(&in);
	mc_buf_init(&want);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(mc_buf_puts(&in, i ? " ;; " DANG_KY_NFD : DANG_KY_NFD), MC_OK);
		assert_int_equal(mc_buf_puts(&want, i ? " dang ky" : "dang ky"), MC_OK);
	}
	assert_conv(mc_utf8_fold, in.data, want.data);
	mc_buf_finish(&in);
	mc_buf_finish(&want);
}

static void test_fold_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		assert_conv_rejects(mc_utf8_fold, invalid[i].s, invalid[i].len);
}

static void assert_mask(const char *name, const char *want)
{
	struct mc_buf b;

	mc_buf_init(&b);
	assert_int_equal(mc_buf_puts(&b, "<"), MC_OK);
	assert_int_equal(mc_utf8_mask_name(name, &b), MC_OK);
	assert_string_equal(b.data + 1, want);
	mc_buf_finish(&b);
}

static void test_mask_name(void **state)
{
	struct mc_buf b;

	(void)state;
	assert_mask(NGUYEN " V\xc4\x83n An", NGUYEN " V. A.");
	assert_mask("Tr\xe1\xba\xa7n Th\xe1\xbb\x8b " ANH, "Tr\xe1\xba\xa7n T. \xc3\x81.");
	assert_mask("L\xc3\xaa " ANH_NFD, "L\xc3\xaa \xc3\x81.");
	assert_mask(NGUYEN_NFD " \xc4\x90\xe1\xbb\xa9"
			       "c",
		    NGUYEN " \xc4\x90.");
	assert_mask("  " NGUYEN "   V\xc4\x83n \t An  ", NGUYEN " V. A.");
	assert_mask(NGUYEN, NGUYEN);
	assert_mask("  " NGUYEN "  ", NGUYEN);
	assert_mask("", "");
	assert_mask("   ", "");
	/* q + tilde has no precomposed form: the mark stays with its letter. */
	assert_mask("Ho Q\xcc\x83uang", "Ho Q\xcc\x83.");

	mc_buf_init(&b);
	assert_int_equal(mc_buf_puts(&b, "keep"), MC_OK);
	assert_int_equal(mc_utf8_mask_name(NULL, &b), MC_ERR_INVALID);
	assert_int_equal(mc_utf8_mask_name("Nguy\xe1\xbb", &b), MC_ERR_INVALID);
	assert_int_equal(mc_utf8_mask_name("An\x1b", &b), MC_ERR_INVALID);
	assert_string_equal(b.data, "keep");
	mc_buf_finish(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),	cmocka_unit_test(test_nfc),
	    cmocka_unit_test(test_nfc_quick),	cmocka_unit_test(test_nfc_long),
	    cmocka_unit_test(test_nfc_rejects), cmocka_unit_test(test_fold),
	    cmocka_unit_test(test_fold_long),	cmocka_unit_test(test_fold_rejects),
	    cmocka_unit_test(test_mask_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
