/* C2SP signed notes and their keys (note.h). Every byte that is signed or compared goes
 * through here: key ids, the two signature types' messages, the line format. */
#include "motcham/log/note.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define KEY_LEN 32
#define SIG_LEN crypto_sign_BYTES
#define COSIG_LEN (8 + SIG_LEN)
#define SIG_B64_MAX 8192 /* a line's base64 we decode (post-quantum ones run to 5 kB) */

static const char dash[] = "\xe2\x80\x94 "; /* U+2014 and a space */

struct mc_note_signer {
	char name[MC_NOTE_NAME_MAX + 1];
	uint32_t id;
	unsigned char type;
	unsigned char pk[KEY_LEN];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

struct mc_note_verifier {
	char name[MC_NOTE_NAME_MAX + 1];
	uint32_t id;
	unsigned char type;
	unsigned char pk[KEY_LEN];
};

/* The length of the UTF-8 sequence at s (n bytes left) and its code point, or 0 when it is
 * not valid UTF-8 (overlong forms and surrogates included). */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, c = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, c = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, c = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Unicode's White_Space property. */
static bool is_space(uint32_t c)
{
	return c == ' ' || (c >= 0x09 && c <= 0x0d) || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

/* UTF-8 without ASCII control characters (below U+0020), newlines allowed or not. */
static bool clean_text(const char *s, size_t n, bool newlines)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c;
	size_t l;

	for (size_t i = 0; i < n; i += l) {
		if (!(l = utf8_char(p + i, n - i, &c)))
			return false;
		if (c < 0x20 && !(newlines && c == '\n'))
			return false;
	}
	return true;
}

bool mc_note_name_ok(const char *name, size_t len)
{
	const unsigned char *p = (const unsigned char *)name;
	uint32_t c;
	size_t l;

	if (len == 0 || len > MC_NOTE_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i += l) {
		if (!(l = utf8_char(p + i, len - i, &c)) || c < 0x20 || c == 0x7f || c == '+' ||
		    is_space(c))
			return false;
	}
	return true;
}

static uint32_t key_id(const char *name, unsigned char type, const unsigned char pk[KEY_LEN])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	const unsigned char nl = '\n';

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)name, strlen(name));
	crypto_hash_sha256_update(&st, &nl, 1);
	crypto_hash_sha256_update(&st, &type, 1);
	crypto_hash_sha256_update(&st, pk, KEY_LEN);
	crypto_hash_sha256_final(&st, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

static bool known_type(unsigned type)
{
	return type == MC_NOTE_ED25519 || type == MC_NOTE_COSIG;
}

/* Appends base64(data) in the standard alphabet with padding. */
static enum mc_err put_b64(struct mc_buf *out, const unsigned char *data, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	enum mc_err err;

	if ((err = mc_buf_reserve(out, len)) != MC_OK)
		return err;
	sodium_bin2base64(out->data + out->len, len, data, n, sodium_base64_VARIANT_ORIGINAL);
	out->len += len - 1;
	return MC_OK;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

bool b64_decode(const char *b64, size_t n, unsigned char *out, size_t max, size_t *got)
{
	const char *end = NULL;
	size_t pad = 0;

	if (n == 0 || n % 4)
		return false;
	/* The alphabet is checked here: libsodium's decoder takes some bytes above 0x7f for
	 * letters, so one root or signature would have several spellings. */
	while (pad < 2 && b64[n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < n - pad; i++)
		if (!b64_char(b64[i]))
			return false;
	return sodium_base642bin(out, max, b64, n, NULL, got, &end,
				 sodium_base64_VARIANT_ORIGINAL) == 0 &&
	       end == b64 + n;
}

static bool get_b64(const char *b64, size_t n, unsigned char *out, size_t max, size_t *got)
{
	return b64_decode(b64, n, out, max, got);
}

enum mc_err mc_note_keygen(const char *name, enum mc_note_type type, struct mc_buf *skey,
			   struct mc_buf *vkey)
{
	unsigned char seed[1 + crypto_sign_SEEDBYTES], pk[1 + KEY_LEN],
	    sk[crypto_sign_SECRETKEYBYTES];
	uint32_t id;
	enum mc_err err;

	if (!name || !mc_note_name_ok(name, strlen(name)) || !known_type(type))
		return MC_ERR_INVALID;
	seed[0] = pk[0] = (unsigned char)type;
	randombytes_buf(seed + 1, crypto_sign_SEEDBYTES);
	crypto_sign_seed_keypair(pk + 1, sk, seed + 1);
	id = key_id(name, (unsigned char)type, pk + 1);
	err = mc_buf_printf(skey, "PRIVATE+KEY+%s+%08x+", name, id);
	if (err == MC_OK)
		err = put_b64(skey, seed, sizeof(seed));
	if (err == MC_OK)
		err = mc_buf_printf(vkey, "%s+%08x+", name, id);
	if (err == MC_OK)
		err = put_b64(vkey, pk, sizeof(pk));
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk, sizeof(sk));
	return err;
}

/* Reads "NAME+KEYID+base64(type || 32 bytes)" into name, *id, *type and key. */
static enum mc_err parse_key(const char *text, char name[MC_NOTE_NAME_MAX + 1], uint32_t *id,
			     unsigned char *type, unsigned char key[KEY_LEN])
{
	unsigned char raw[1 + KEY_LEN + 1];
	const char *plus, *hex, *b64, *end;
	char idtext[9];
	size_t got = 0, n;
	bool ok;

	while (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r')
		text++;
	end = text + strlen(text);
	while (end > text &&
	       (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
		end--;
	if (!(plus = memchr(text, '+', (size_t)(end - text))))
		return MC_ERR_INVALID;
	n = (size_t)(plus - text);
	hex = plus + 1;
	if (!mc_note_name_ok(text, n) || end - hex < 10 || hex[8] != '+')
		return MC_ERR_INVALID;
	for (int i = 0; i < 8; i++)
		if (!((hex[i] >= '0' && hex[i] <= '9') || (hex[i] >= 'a' && hex[i] <= 'f')))
			return MC_ERR_INVALID;
	b64 = hex + 9;
	ok = get_b64(b64, (size_t)(end - b64), raw, sizeof(raw), &got);
	if (!ok || got != 1 + KEY_LEN || !known_type(raw[0]))
		return MC_ERR_INVALID;
	memcpy(name, text, n);
	name[n] = '\0';
	memcpy(idtext, hex, 8);
	idtext[8] = '\0';
	*id = (uint32_t)strtoul(idtext, NULL, 16);
	*type = raw[0];
	memcpy(key, raw + 1, KEY_LEN);
	sodium_memzero(raw, sizeof(raw));
	return MC_OK;
}

enum mc_err mc_note_signer_parse(const char *skey, struct mc_note_signer **out)
{
	static const char prefix[] = "PRIVATE+KEY+";
	unsigned char seed[KEY_LEN];
	struct mc_note_signer *k;
	enum mc_err err;

	*out = NULL;
	while (*skey == ' ' || *skey == '\t' || *skey == '\n' || *skey == '\r')
		skey++;
	if (strncmp(skey, prefix, sizeof(prefix) - 1))
		return MC_ERR_INVALID;
	if (!(k = calloc(1, sizeof(*k))))
		return MC_ERR_NOMEM;
	err = parse_key(skey + sizeof(prefix) - 1, k->name, &k->id, &k->type, seed);
	if (err == MC_OK) {
		crypto_sign_seed_keypair(k->pk, k->sk, seed);
		if (key_id(k->name, k->type, k->pk) != k->id)
			err = MC_ERR_INVALID;
	}
	sodium_memzero(seed, sizeof(seed));
	if (err != MC_OK) {
		mc_note_signer_destroy(k);
		return err;
	}
	*out = k;
	return MC_OK;
}

void mc_note_signer_destroy(struct mc_note_signer *k)
{
	if (!k)
		return;
	sodium_memzero(k, sizeof(*k));
	free(k);
}

const char *mc_note_signer_name(const struct mc_note_signer *k)
{
	return k->name;
}

enum mc_note_type mc_note_signer_type(const struct mc_note_signer *k)
{
	return (enum mc_note_type)k->type;
}

enum mc_err mc_note_signer_vkey(const struct mc_note_signer *k, struct mc_buf *vkey)
{
	unsigned char pk[1 + KEY_LEN];
	enum mc_err err;

	pk[0] = k->type;
	memcpy(pk + 1, k->pk, KEY_LEN);
	if ((err = mc_buf_printf(vkey, "%s+%08x+", k->name, k->id)) != MC_OK)
		return err;
	return put_b64(vkey, pk, sizeof(pk));
}

enum mc_err mc_note_verifier_parse(const char *vkey, struct mc_note_verifier **out)
{
	struct mc_note_verifier *v;
	enum mc_err err;

	*out = NULL;
	if (!(v = calloc(1, sizeof(*v))))
		return MC_ERR_NOMEM;
	err = parse_key(vkey, v->name, &v->id, &v->type, v->pk);
	if (err == MC_OK && key_id(v->name, v->type, v->pk) != v->id)
		err = MC_ERR_INVALID;
	if (err != MC_OK) {
		free(v);
		return err;
	}
	*out = v;
	return MC_OK;
}

void mc_note_verifier_destroy(struct mc_note_verifier *v)
{
	free(v);
}

const char *mc_note_verifier_name(const struct mc_note_verifier *v)
{
	return v->name;
}

uint32_t mc_note_verifier_id(const struct mc_note_verifier *v)
{
	return v->id;
}

enum mc_note_type mc_note_verifier_type(const struct mc_note_verifier *v)
{
	return (enum mc_note_type)v->type;
}

static bool note_text_ok(const char *text, size_t len)
{
	return len > 0 && len <= MC_NOTE_MAX && text[len - 1] == '\n' &&
	       clean_text(text, len, true);
}

/* The message a signature of type signs: the text, or for a cosignature the text after
 * the cosignature header and its time line. */
static enum mc_err message(unsigned char type, uint64_t t, const char *text, size_t len,
			   struct mc_buf *out)
{
	enum mc_err err = MC_OK;

	if (type == MC_NOTE_COSIG)
		err = mc_buf_printf(out, "cosignature/v1\ntime %llu\n", (unsigned long long)t);
	return err == MC_OK ? mc_buf_add(out, text, len) : err;
}

static void put_be(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;

	for (int i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

enum mc_err mc_note_sign(const struct mc_note_signer *k, const char *text, size_t len,
			 uint64_t timestamp, struct mc_buf *line)
{
	unsigned char sig[4 + COSIG_LEN];
	size_t at = 4;
	struct mc_buf msg;
	enum mc_err err;

	if (!note_text_ok(text, len) || (k->type == MC_NOTE_COSIG && timestamp > INT64_MAX))
		return MC_ERR_INVALID;
	mc_buf_init(&msg);
	if ((err = message(k->type, timestamp, text, len, &msg)) != MC_OK)
		goto out;
	put_be(sig, k->id, 4);
	if (k->type == MC_NOTE_COSIG) {
		put_be(sig + 4, timestamp, 8);
		at += 8;
	}
	crypto_sign_detached(sig + at, NULL, (const unsigned char *)msg.data, msg.len, k->sk);
	if ((err = mc_buf_printf(line, "%s%s ", dash, k->name)) == MC_OK &&
	    (err = put_b64(line, sig, at + SIG_LEN)) == MC_OK)
		err = mc_buf_putc(line, '\n');
out:
	mc_buf_finish(&msg);
	return err;
}

/* One signature line [p, p + n), newline excluded. */
static enum mc_err parse_sig(const char *p, size_t n, struct mc_note_sig *sig)
{
	unsigned char raw[SIG_B64_MAX];
	const char *sp;
	size_t got;

	if (n < sizeof(dash) - 1 || memcmp(p, dash, sizeof(dash) - 1))
		return MC_ERR_INVALID;
	sig->name = p + sizeof(dash) - 1;
	if (!(sp = memchr(sig->name, ' ', n - (sizeof(dash) - 1))))
		return MC_ERR_INVALID;
	sig->name_len = (size_t)(sp - sig->name);
	sig->b64 = sp + 1;
	sig->b64_len = (size_t)(p + n - sig->b64);
	if (!mc_note_name_ok(sig->name, sig->name_len) || sig->b64_len > SIG_B64_MAX ||
	    !get_b64(sig->b64, sig->b64_len, raw, sizeof(raw), &got) || got < 5)
		return MC_ERR_INVALID;
	sig->id = (uint32_t)get_be(raw, 4);
	return MC_OK;
}

enum mc_err mc_note_parse(const char *data, size_t len, struct mc_note *out)
{
	const char *sigs = NULL, *p, *nl, *end = data + len;
	enum mc_err err;

	memset(out, 0, sizeof(*out));
	if (len > MC_NOTE_MAX)
		return MC_ERR_TOOBIG;
	if (len < 2 || data[len - 1] != '\n' || !clean_text(data, len, true))
		return MC_ERR_INVALID;
	/* The text ends at the last blank line; signature lines never contain one. */
	for (p = data; p + 1 < end; p++)
		if (p[0] == '\n' && p[1] == '\n')
			sigs = p + 2;
	if (!sigs || sigs == end)
		return MC_ERR_INVALID;
	out->text = data;
	out->text_len = (size_t)(sigs - 1 - data);
	for (p = sigs; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (out->nsig == MC_NOTE_SIGS_MAX)
			return MC_ERR_TOOBIG;
		if ((err = parse_sig(p, (size_t)(nl - p), &out->sig[out->nsig])) != MC_OK)
			return err;
		out->sig[out->nsig].line = p;
		out->sig[out->nsig].line_len = (size_t)(nl + 1 - p);
		out->nsig++;
	}
	return MC_OK;
}

/* Checks one line by v's key. */
static bool sig_ok(const struct mc_note *n, const struct mc_note_sig *s,
		   const struct mc_note_verifier *v)
{
	unsigned char raw[4 + COSIG_LEN];
	size_t got = 0, at = v->type == MC_NOTE_COSIG ? 12 : 4;
	struct mc_buf msg;
	uint64_t t = 0;
	bool ok;

	if (!get_b64(s->b64, s->b64_len, raw, sizeof(raw), &got) || got != at + SIG_LEN)
		return false;
	if (v->type == MC_NOTE_COSIG && (t = get_be(raw + 4, 8)) > INT64_MAX)
		return false;
	mc_buf_init(&msg);
	ok = message(v->type, t, n->text, n->text_len, &msg) == MC_OK &&
	     crypto_sign_verify_detached(raw + at, (const unsigned char *)msg.data, msg.len,
					 v->pk) == 0;
	mc_buf_finish(&msg);
	return ok;
}

enum mc_err mc_note_verify(const struct mc_note *n, const struct mc_note_verifier *v, size_t *which)
{
	size_t name_len = strlen(v->name);
	bool any = false;

	for (size_t i = 0; i < n->nsig; i++) {
		const struct mc_note_sig *s = &n->sig[i];

		if (s->id != v->id || s->name_len != name_len || memcmp(s->name, v->name, name_len))
			continue;
		if (!sig_ok(n, s, v))
			return MC_ERR_CHECK;
		if (!any && which)
			*which = i;
		any = true;
	}
	return any ? MC_OK : MC_ERR_NOTFOUND;
}

enum mc_err mc_note_sig_time(const struct mc_note_sig *sig, uint64_t *t)
{
	unsigned char raw[4 + COSIG_LEN];
	size_t got = 0;

	if (!get_b64(sig->b64, sig->b64_len, raw, sizeof(raw), &got) || got != 4 + COSIG_LEN)
		return MC_ERR_INVALID;
	*t = get_be(raw + 4, 8);
	return *t > INT64_MAX ? MC_ERR_INVALID : MC_OK;
}

struct mc_note_keyring {
	struct mc_note_verifier **keys;
	size_t n;
};

enum mc_err mc_note_keyring_parse(const char *list, struct mc_note_keyring **out,
				  struct mc_buf *why)
{
	struct mc_note_keyring *r;
	const char *p = list, *end;
	char one[1024];
	enum mc_err err = MC_OK;

	*out = NULL;
	if (!(r = calloc(1, sizeof(*r))))
		return MC_ERR_NOMEM;
	while (err == MC_OK && *p) {
		struct mc_note_verifier **grown;

		if (*p == ',' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			p++;
			continue;
		}
		end = p + strcspn(p, ", \t\r\n");
		if ((size_t)(end - p) >= sizeof(one)) {
			err = MC_ERR_INVALID;
			mc_buf_printf(why, "a key of %zu bytes", (size_t)(end - p));
			break;
		}
		memcpy(one, p, (size_t)(end - p));
		one[end - p] = '\0';
		p = end;
		if (!(grown = realloc(r->keys, (r->n + 1) * sizeof(*grown)))) {
			err = MC_ERR_NOMEM;
			break;
		}
		r->keys = grown;
		if ((err = mc_note_verifier_parse(one, &r->keys[r->n])) != MC_OK)
			mc_buf_printf(why, "not a verifier key: %s", one);
		else
			r->n++;
	}
	if (err == MC_OK && r->n == 0) {
		err = MC_ERR_INVALID;
		mc_buf_puts(why, "no key");
	}
	if (err != MC_OK) {
		mc_note_keyring_destroy(r);
		return err;
	}
	*out = r;
	return MC_OK;
}

void mc_note_keyring_destroy(struct mc_note_keyring *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		mc_note_verifier_destroy(r->keys[i]);
	free(r->keys);
	free(r);
}

size_t mc_note_keyring_count(const struct mc_note_keyring *r)
{
	return r ? r->n : 0;
}

const struct mc_note_verifier *mc_note_keyring_key(const struct mc_note_keyring *r, size_t i)
{
	return r->keys[i];
}
