/* mc_token_normalize on arbitrary bytes: never reads past len, and whatever it accepts is
 * canonical (normalises to itself, also when typed in lower case or with separators). */

#include <ctype.h>
#include <string.h>

#include "fuzz.h"
#include "motcham/base/token.h"

static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

static void check_canonical(const char *tok)
{
	char again[MC_TOKEN_LEN + 1], typed[2 * MC_TOKEN_LEN + 1];
	size_t n = 0;

	FUZZ_CHECK(strlen(tok) == MC_TOKEN_LEN);
	FUZZ_CHECK(strspn(tok, alphabet) == MC_TOKEN_LEN);
	FUZZ_CHECK(mc_token_normalize(tok, MC_TOKEN_LEN, again) == MC_OK);
	FUZZ_CHECK(strcmp(again, tok) == 0);

	/* How a person might type it back: lower case, grouped by dashes and spaces. */
	for (size_t i = 0; i < MC_TOKEN_LEN; i++) {
		if (i == 3 || i == 6)
			typed[n++] = i == 3 ? '-' : ' ';
		typed[n++] = (char)tolower((unsigned char)tok[i]);
	}
	FUZZ_CHECK(mc_token_normalize(typed, n, again) == MC_OK);
	FUZZ_CHECK(strcmp(again, tok) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[MC_TOKEN_LEN + 1];
	enum mc_err err;

	memset(out, 'x', sizeof out);
	err = mc_token_normalize((const char *)data, size, out);
	FUZZ_CHECK(err == MC_OK || err == MC_ERR_INVALID || err == MC_ERR_CHECK);
	if (size > MC_TOKEN_INPUT_MAX)
		FUZZ_CHECK(err == MC_ERR_INVALID);
	if (err == MC_OK)
		check_canonical(out);
	return 0;
}
