#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/base/token.h"

#define ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#define ROUNDS 500

static int value_of(char c)
{
	const char *p = strchr(ALPHABET, c);

	return p && c ? (int)(p - ALPHABET) : -1;
}

/* Reference GF(32) product by shift-and-add, independent of the module's Horner loop. */
static unsigned gf_mul(unsigned a, unsigned b)
{
	unsigned r = 0;

	for (int i = 0; i < 5; i++)
		if (b & (1u << i))
			r ^= a << i;
	for (int i = 9; i >= 5; i--)
		if (r & (1u << i))
			r ^= 0x25u << (i - 5);
	return r;
}

/* H = sum alpha^(8-i) * s_i with alpha = x, straight from the definition. */
static unsigned syndrome(const char *t)
{
	unsigned h = 0;

	for (int i = 0; i < MC_TOKEN_LEN; i++) {
		unsigned w = 1;

		for (int j = 0; j < MC_TOKEN_LEN - 1 - i; j++)
			w = gf_mul(w, 2);
		h ^= gf_mul(w, (unsigned)value_of(t[i]));
	}
	return h;
}

static enum mc_err norm(const char *in, char out[MC_TOKEN_LEN + 1])
{
	return mc_token_normalize(in, strlen(in), out);
}

static void test_make_shape_and_check(void **state)
{
	char t[MC_TOKEN_LEN + 1];

	(void)state;
	for (int r = 0; r < ROUNDS; r++) {
		mc_token_make(t);
		assert_int_equal(strlen(t), MC_TOKEN_LEN);
		for (int i = 0; i < MC_TOKEN_LEN; i++)
			assert_true(value_of(t[i]) >= 0);
		assert_int_equal(syndrome(t), 0);
	}
}

static void test_make_is_random(void **state)
{
	static char seen[ROUNDS][MC_TOKEN_LEN + 1];
	unsigned counts[32] = {0};

	(void)state;
	for (int r = 0; r < ROUNDS; r++) {
		mc_token_make(seen[r]);
		for (int q = 0; q < r; q++)
			assert_string_not_equal(seen[r], seen[q]);
		for (int i = 0; i < MC_TOKEN_DATA; i++)
			counts[value_of(seen[r][i])]++;
	}
	/* 4000 symbols, 125 expected per value: every value must show up. */
	for (int v = 0; v < 32; v++)
		assert_true(counts[v] > 50);
}

static void test_known_values(void **state)
{
	char out[MC_TOKEN_LEN + 1];

	(void)state;
	/* check = alpha * Horner(data): data 0..01 -> x = 2; data 10..0 -> x^8 = x^3+x^2+1 = 13. */
	assert_int_equal(norm("000000000", out), MC_OK);
	assert_int_equal(norm("000000012", out), MC_OK);
	assert_int_equal(norm("10000000D", out), MC_OK);
	assert_string_equal(out, "10000000D");
	assert_int_equal(norm("000000011", out), MC_ERR_CHECK);
	assert_int_equal(norm("10000000C", out), MC_ERR_CHECK);
}

static void test_round_trip_and_typing(void **state)
{
	char t[MC_TOKEN_LEN + 1], out[MC_TOKEN_LEN + 1], typed[64];
	const char *one = "IiLl";
	int subst = 0;

	(void)state;
	for (int r = 0; r < ROUNDS; r++) {
		size_t n = 0;

		mc_token_make(t);
		assert_int_equal(norm(t, out), MC_OK);
		assert_string_equal(out, t);
		/* As someone might type it off paper: lower case, O for 0, I/L for 1, grouped. */
		for (int i = 0; i < MC_TOKEN_LEN; i++) {
			char c = (char)tolower((unsigned char)t[i]);

			if (t[i] == '0') {
				c = r % 2 ? 'O' : 'o';
				subst++;
			} else if (t[i] == '1') {
				c = one[(r + i) % 4];
				subst++;
			}
			typed[n++] = c;
			if (i == 3)
				typed[n++] = '-';
			if (i == 7)
				typed[n++] = ' ';
		}
		typed[n] = '\0';
		assert_int_equal(norm(typed, out), MC_OK);
		assert_string_equal(out, t);
	}
	assert_true(subst > 0);
}

static void test_invalid_shapes(void **state)
{
	char t[MC_TOKEN_LEN + 1], out[MC_TOKEN_LEN + 1], buf[64];
	static const char *bad[] = {
	    "",		 "----",       "ABCDEFGH",	  "0000000000",
	    "00000000U", "0000u0000",  "0000*0000",	  "0000_0000",
	    "0000.0000", "0000\t0000", "\xc4\x90ZZZZZZZ", "00000000\xc3\xa9",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(norm(bad[i], out), MC_ERR_INVALID);
	/* An embedded NUL is a bad character, not an end of string. */
	assert_int_equal(mc_token_normalize("0000\0"
					    "00000",
					    10, out),
			 MC_ERR_INVALID);
	assert_int_equal(mc_token_normalize(NULL, 0, out), MC_ERR_INVALID);

	/* Length limit counts separators too: a valid token padded to 32 passes, 33 does not. */
	mc_token_make(t);
	memset(buf, ' ', sizeof buf);
	memcpy(buf + MC_TOKEN_INPUT_MAX - MC_TOKEN_LEN, t, MC_TOKEN_LEN);
	assert_int_equal(mc_token_normalize(buf, MC_TOKEN_INPUT_MAX, out), MC_OK);
	assert_string_equal(out, t);
	memcpy(buf + MC_TOKEN_INPUT_MAX + 1 - MC_TOKEN_LEN, t, MC_TOKEN_LEN);
	assert_int_equal(mc_token_normalize(buf, MC_TOKEN_INPUT_MAX + 1, out), MC_ERR_INVALID);
}

static void test_every_single_error_caught(void **state)
{
	char t[MC_TOKEN_LEN + 1], bad[MC_TOKEN_LEN + 1], out[MC_TOKEN_LEN + 1];
	long tried = 0;

	(void)state;
	for (int r = 0; r < ROUNDS; r++) {
		mc_token_make(t);
		for (int i = 0; i < MC_TOKEN_LEN; i++) {
			for (int v = 0; v < 32; v++) {
				if (ALPHABET[v] == t[i])
					continue;
				memcpy(bad, t, sizeof bad);
				bad[i] = ALPHABET[v];
				assert_int_equal(norm(bad, out), MC_ERR_CHECK);
				tried++;
			}
		}
	}
	assert_int_equal(tried, (long)ROUNDS * MC_TOKEN_LEN * 31);
}

static void test_every_adjacent_swap_caught(void **state)
{
	char t[MC_TOKEN_LEN + 1], bad[MC_TOKEN_LEN + 1], out[MC_TOKEN_LEN + 1];
	long tried = 0;

	(void)state;
	for (int r = 0; r < ROUNDS; r++) {
		mc_token_make(t);
		for (int i = 0; i + 1 < MC_TOKEN_LEN; i++) {
			if (t[i] == t[i + 1])
				continue;
			memcpy(bad, t, sizeof bad);
			bad[i] = t[i + 1];
			bad[i + 1] = t[i];
			assert_int_equal(norm(bad, out), MC_ERR_CHECK);
			tried++;
		}
	}
	/* Neighbours are equal about 1 time in 32, so almost all swaps were real. */
	assert_true(tried > (long)ROUNDS * (MC_TOKEN_LEN - 1) * 9 / 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_make_shape_and_check),
	    cmocka_unit_test(test_make_is_random),
	    cmocka_unit_test(test_known_values),
	    cmocka_unit_test(test_round_trip_and_typing),
	    cmocka_unit_test(test_invalid_shapes),
	    cmocka_unit_test(test_every_single_error_caught),
	    cmocka_unit_test(test_every_adjacent_swap_caught),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
