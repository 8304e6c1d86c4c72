#ifndef MOTCHAM_AUTH_H
#define MOTCHAM_AUTH_H

/* Secrets: password hashes (Argon2id), session and CSRF tokens, privacy-preserving client
 * keys. All randomness and hashing comes from libsodium. */

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/err.h"

/* Length of a password hash string (crypto_pwhash_STRBYTES), NUL included. */
#define MC_AUTH_HASH_MAX 128
/* A random secret token: 32 bytes as 64 lower-case hex characters. */
#define MC_AUTH_TOKEN_LEN 64
/* SHA-256 as 64 hex characters. */
#define MC_AUTH_SHA256_LEN 64

/* Passwords must be 10..256 bytes of valid UTF-8. MC_ERR_INVALID otherwise. */
enum mc_err mc_auth_check_password(const char *pw);
/* Hashes pw with Argon2id (interactive limits) into out. MC_ERR_NOMEM when the KDF cannot
 * get its memory. */
enum mc_err mc_auth_hash_password(const char *pw, char out[MC_AUTH_HASH_MAX]);
/* True when pw matches hash. A NULL hash (no such user) verifies pw against
 * mc_auth_dummy_hash instead and is false: one Argon2id run with the same parameters, so the
 * time taken does not tell whether a user exists. */
bool mc_auth_verify_password(const char *hash, const char *pw);
/* A static Argon2id hash of a password nobody knows, with the parameters of
 * mc_auth_hash_password. */
const char *mc_auth_dummy_hash(void);
/* Writes a fresh random token (hex) and its NUL. */
void mc_auth_token(char out[MC_AUTH_TOKEN_LEN + 1]);
/* Writes SHA-256(data) as hex: sessions are stored by the hash of their token, so a copy of
 * the database does not hold usable cookies. */
void mc_auth_sha256_hex(const void *data, size_t len, char out[MC_AUTH_SHA256_LEN + 1]);
/* A token that proves a form came from one of our pages, without a session: SHA-256 of
 * secret and purpose (e.g. "report:42") as hex. The same inputs give the same token. */
void mc_auth_form_token(const char *secret, const char *purpose, char out[MC_AUTH_SHA256_LEN + 1]);
/* Constant-time comparison of two NUL-terminated strings. */
bool mc_auth_equal(const char *a, const char *b);
/* True when s is exactly 64 lower-case hex characters (a token, its hash or a SHA-256). */
bool mc_auth_hex64(const char *s);

#endif
