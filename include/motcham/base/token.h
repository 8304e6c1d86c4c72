#ifndef MOTCHAM_TOKEN_H
#define MOTCHAM_TOKEN_H

#include <stddef.h>

#include "motcham/base/err.h"

/* Tokens are MC_TOKEN_DATA random Crockford base32 characters (0-9 A-Z without I L O U)
 * followed by one check character from the same alphabet. The check is a weighted sum
 * over GF(32), so every single wrong character and every swap of two neighbours is caught. */
#define MC_TOKEN_DATA 8
#define MC_TOKEN_LEN (MC_TOKEN_DATA + 1)
/* Longest input mc_token_normalize looks at (typed tokens may carry '-' and spaces). */
#define MC_TOKEN_INPUT_MAX 32

/* Writes a fresh random token (libsodium) and its NUL into out[MC_TOKEN_LEN + 1]. */
void mc_token_make(char out[MC_TOKEN_LEN + 1]);

/* Reads a token as typed or scanned: case-insensitive, O read as 0, I and L as 1, '-' and
 * spaces ignored. On MC_OK out holds the canonical token. Returns MC_ERR_INVALID when the
 * input is not a token at all (wrong length or characters) and MC_ERR_CHECK when it has
 * the right shape but the check character does not match (a mistyped or misread code). */
enum mc_err mc_token_normalize(const char *in, size_t len, char out[MC_TOKEN_LEN + 1]);

#endif
