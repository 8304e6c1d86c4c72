#ifndef MOTCHAM_LOG_NOTE_H
#define MOTCHAM_LOG_NOTE_H

/* C2SP signed notes (c2sp.org/signed-note): a text ending in a newline, a blank line, and
 * signature lines "— NAME base64(key id || signature)\n". Two signature types: Ed25519 over
 * the text (0x01, a log's checkpoint) and the timestamped Ed25519 cosignature of
 * c2sp.org/tlog-cosignature (0x04, a witness's), signed over "cosignature/v1\ntime T\n"
 * followed by the text. A key id is the first four bytes of SHA-256(name || 0x0A || type ||
 * public key), big-endian. Base64 is RFC 4648's standard alphabet with padding.
 *
 * Keys are written as the Go note package writes them: a verifier key (vkey)
 * "NAME+KEYID+base64(type || public key)" and a signer key
 * "PRIVATE+KEY+NAME+KEYID+base64(type || 32-byte seed)", KEYID as 8 lower-case hex. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

#define MC_NOTE_NAME_MAX 255	/* bytes of a key name */
#define MC_NOTE_MAX (64 * 1024) /* bytes of a note we read */
#define MC_NOTE_SIGS_MAX 32	/* signature lines of a note we read (the spec asks 16) */

enum mc_note_type {
	MC_NOTE_ED25519 = 0x01, /* a note signature */
	MC_NOTE_COSIG = 0x04,	/* a witness's timestamped cosignature */
};

struct mc_note_signer;
struct mc_note_verifier;

/* A new key pair named name (a schema-less URL is the custom): the signer key into skey and
 * the verifier key into vkey (both appended, no newline). MC_ERR_INVALID for a bad name. */
enum mc_err mc_note_keygen(const char *name, enum mc_note_type type, struct mc_buf *skey,
			   struct mc_buf *vkey);
/* True when name may name a key: 1 to MC_NOTE_NAME_MAX bytes of UTF-8, no space (any
 * Unicode white space), no '+', no control character. */
bool mc_note_name_ok(const char *name, size_t len);

/* Reads a signer key (surrounding white space ignored). *out owned by the caller
 * (mc_note_signer_destroy, which wipes it); MC_ERR_INVALID for anything malformed, a key id
 * that does not match or an unknown type. */
enum mc_err mc_note_signer_parse(const char *skey, struct mc_note_signer **out);
void mc_note_signer_destroy(struct mc_note_signer *k);
const char *mc_note_signer_name(const struct mc_note_signer *k);
enum mc_note_type mc_note_signer_type(const struct mc_note_signer *k);
/* Appends the signer's verifier key. */
enum mc_err mc_note_signer_vkey(const struct mc_note_signer *k, struct mc_buf *vkey);

/* Reads a verifier key, as mc_note_signer_parse does. */
enum mc_err mc_note_verifier_parse(const char *vkey, struct mc_note_verifier **out);
void mc_note_verifier_destroy(struct mc_note_verifier *v);
const char *mc_note_verifier_name(const struct mc_note_verifier *v);
uint32_t mc_note_verifier_id(const struct mc_note_verifier *v);
enum mc_note_type mc_note_verifier_type(const struct mc_note_verifier *v);

/* A list of verifier keys (a log's known witnesses). Parsed from vkeys separated by commas
 * or white space; MC_ERR_INVALID names none or a malformed one (its text in why). *out owned
 * by the caller (mc_note_keyring_destroy, which accepts NULL). */
struct mc_note_keyring;
enum mc_err mc_note_keyring_parse(const char *list, struct mc_note_keyring **out,
				  struct mc_buf *why);
void mc_note_keyring_destroy(struct mc_note_keyring *r);
size_t mc_note_keyring_count(const struct mc_note_keyring *r);
/* Key i (0 .. count - 1); borrowed from r. */
const struct mc_note_verifier *mc_note_keyring_key(const struct mc_note_keyring *r, size_t i);

/* Appends the signature line "— NAME base64(...)\n" of text[0 .. len) by k. For a
 * cosignature, timestamp is the time it states (POSIX seconds); otherwise unused.
 * MC_ERR_INVALID when text is not a note text (UTF-8, no control character but newline,
 * ending in a newline). */
enum mc_err mc_note_sign(const struct mc_note_signer *k, const char *text, size_t len,
			 uint64_t timestamp, struct mc_buf *line);

/* One signature line of a parsed note; pointers into the note. */
struct mc_note_sig {
	const char *line; /* the whole line, newline included */
	size_t line_len;
	const char *name;
	size_t name_len;
	uint32_t id;
	const char *b64; /* base64 of key id || signature */
	size_t b64_len;
};

/* A parsed note: text (final newline included, blank line not) and its signature lines,
 * pointing into the bytes given to mc_note_parse, which must outlive it. */
struct mc_note {
	const char *text;
	size_t text_len;
	struct mc_note_sig sig[MC_NOTE_SIGS_MAX];
	size_t nsig;
};

/* Splits and checks a signed note: at most MC_NOTE_MAX bytes of UTF-8 without control
 * characters but newline, a text, the last blank line, then 1 to MC_NOTE_SIGS_MAX
 * well-formed signature lines. MC_ERR_INVALID otherwise, MC_ERR_TOOBIG past the limits. */
enum mc_err mc_note_parse(const char *data, size_t len, struct mc_note *out);
/* Checks n's signatures by v: MC_OK when at least one line with v's name and key id
 * verifies and none fails; MC_ERR_CHECK when one fails; MC_ERR_NOTFOUND when none is v's.
 * Lines of other keys are ignored. *which (may be NULL) gets the index of the first line
 * that verified. */
enum mc_err mc_note_verify(const struct mc_note *n, const struct mc_note_verifier *v,
			   size_t *which);
/* The time a cosignature line states, into *t. MC_ERR_INVALID for a line that is not one. */
enum mc_err mc_note_sig_time(const struct mc_note_sig *sig, uint64_t *t);

#endif
