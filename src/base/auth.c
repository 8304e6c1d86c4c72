#include "motcham/base/auth.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/base/utf8.h"

enum mc_err mc_auth_check_password(const char *pw)
{
	size_t n = pw ? strlen(pw) : 0;

	if (n < 10 || n > 256 || !mc_utf8_valid(pw, n))
		return MC_ERR_INVALID;
	return MC_OK;
}

enum mc_err mc_auth_hash_password(const char *pw, char out[MC_AUTH_HASH_MAX])
{
	_Static_assert(crypto_pwhash_STRBYTES <= MC_AUTH_HASH_MAX, "hash buffer too small");
	if (sodium_init() < 0)
		return MC_ERR_INTERNAL;
	if (crypto_pwhash_str(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return MC_ERR_NOMEM;
	return MC_OK;
}

/* A hash of a password nobody knows, made once with the parameters mc_auth_hash_password
 * uses (libsodium's interactive limits: Argon2id, 64 MiB, 2 passes); the unit tests check
 * that they still are. */
static const char dummy_hash[] = "$argon2id$v=19$m=65536,t=2,p=1$tFy/BGIB/7ldmwaW0b55Rw$"
				 "mYnpU7lKafX0AKBNMDt+5L8PDVFsVcLkmV7YP9jikg4";

const char *mc_auth_dummy_hash(void)
{
	return dummy_hash;
}

bool mc_auth_verify_password(const char *hash, const char *pw)
{
	bool ok;

	if (sodium_init() < 0 || !pw)
		return false;
	/* One verification either way, and never a hash made here (that would be a second
	 * Argon2id run): an unknown account costs what a known one does. */
	ok = crypto_pwhash_str_verify(hash ? hash : dummy_hash, pw, strlen(pw)) == 0;
	return ok && hash;
}

void mc_auth_token(char out[MC_AUTH_TOKEN_LEN + 1])
{
	unsigned char raw[MC_AUTH_TOKEN_LEN / 2];

	if (sodium_init() < 0)
		abort(); /* no CSPRNG: never hand out guessable sessions */
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(out, MC_AUTH_TOKEN_LEN + 1, raw, sizeof(raw));
}

void mc_auth_sha256_hex(const void *data, size_t len, char out[MC_AUTH_SHA256_LEN + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(out, MC_AUTH_SHA256_LEN + 1, h, sizeof(h));
}

void mc_auth_form_token(const char *secret, const char *purpose, char out[MC_AUTH_SHA256_LEN + 1])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)secret, strlen(secret));
	crypto_hash_sha256_update(&st, (const unsigned char *)"|", 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)purpose, strlen(purpose));
	crypto_hash_sha256_final(&st, h);
	sodium_bin2hex(out, MC_AUTH_SHA256_LEN + 1, h, sizeof(h));
}

bool mc_auth_equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	if (n != strlen(b))
		return false;
	return sodium_memcmp(a, b, n) == 0;
}

bool mc_auth_hex64(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == '\0';
}
