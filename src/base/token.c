#include "motcham/base/token.h"

#include <stdbool.h>
#include <stdlib.h>

#include <sodium.h>

/* Crockford base32: no I, L, O, U, so the symbols that look alike on paper or on a
 * phone screen cannot both be valid. A symbol's value is its index. */
static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/*
 * The check symbol works over GF(32) = GF(2)[x] / (x^5 + x^2 + 1), with alpha = x
 * (primitive, order 31) and addition = XOR. A token s0..s8 is valid when
 *
 *     H = sum_i alpha^(8-i) * s_i = 0,
 *
 * evaluated by Horner's rule, so the check symbol is s8 = alpha * Horner(s0..s7).
 *
 * - One substituted symbol (s_k -> s_k ^ e, e != 0) changes H by alpha^(8-k) * e, a
 *   product of non-zero field elements, hence non-zero: always detected.
 * - Swapping unequal neighbours a = s_k, b = s_(k+1) changes H by
 *   (alpha^(8-k) + alpha^(7-k)) * (a ^ b) = alpha^(7-k) * (alpha + 1) * (a ^ b);
 *   alpha + 1 != 0 because alpha != 1, so again non-zero: always detected.
 * A plain (unweighted) XOR or a mod-32 sum would miss swaps; mod-37 would need a 37th
 * symbol outside the alphabet.
 */
static unsigned mul_x(unsigned c)
{
	c <<= 1;
	if (c & 0x20)
		c ^= 0x25;
	return c;
}

static unsigned horner(const unsigned char *v, size_t n)
{
	unsigned c = 0;

	for (size_t i = 0; i < n; i++)
		c = mul_x(c) ^ v[i];
	return c;
}

void mc_token_make(char out[MC_TOKEN_LEN + 1])
{
	unsigned char v[MC_TOKEN_LEN];

	/* Without a working CSPRNG we must not hand out guessable codes. */
	if (sodium_init() < 0)
		abort();
	/* One read of the CSPRNG a token (one getrandom call, where a draw per symbol made
	 * eight: an import of 100,000 permits made 800,000 system calls). 256 is a multiple of
	 * 32, so the low five bits of a random byte are uniform. */
	randombytes_buf(v, MC_TOKEN_DATA);
	for (size_t i = 0; i < MC_TOKEN_DATA; i++)
		v[i] &= 31;
	v[MC_TOKEN_DATA] = (unsigned char)mul_x(horner(v, MC_TOKEN_DATA));
	for (size_t i = 0; i < MC_TOKEN_LEN; i++)
		out[i] = alphabet[v[i]];
	out[MC_TOKEN_LEN] = '\0';
}

/* Value of a typed character, -1 for a separator, -2 for anything else. */
static int symbol_value(unsigned char ch)
{
	if (ch == '-' || ch == ' ')
		return -1;
	if (ch >= 'a' && ch <= 'z')
		ch = (unsigned char)(ch - 'a' + 'A');
	/* People type the letters the alphabet leaves out for the digits they resemble. */
	if (ch == 'O')
		ch = '0';
	else if (ch == 'I' || ch == 'L')
		ch = '1';
	for (int i = 0; i < 32; i++)
		if (alphabet[i] == (char)ch)
			return i;
	return -2;
}

enum mc_err mc_token_normalize(const char *in, size_t len, char out[MC_TOKEN_LEN + 1])
{
	unsigned char v[MC_TOKEN_LEN];
	size_t n = 0;

	out[0] = '\0';
	if (!in || len > MC_TOKEN_INPUT_MAX)
		return MC_ERR_INVALID;
	for (size_t i = 0; i < len; i++) {
		int s = symbol_value((unsigned char)in[i]);

		if (s == -1)
			continue;
		if (s < 0 || n == MC_TOKEN_LEN)
			return MC_ERR_INVALID;
		v[n++] = (unsigned char)s;
	}
	if (n != MC_TOKEN_LEN)
		return MC_ERR_INVALID;
	if (horner(v, MC_TOKEN_LEN) != 0)
		return MC_ERR_CHECK;
	for (size_t i = 0; i < MC_TOKEN_LEN; i++)
		out[i] = alphabet[v[i]];
	out[MC_TOKEN_LEN] = '\0';
	return MC_OK;
}
