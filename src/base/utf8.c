#include "motcham/base/utf8.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

/* Most fields are short: normalising into the stack avoids a malloc per field. */
#define STACK_NORM 512

bool mc_utf8_valid(const char *s, size_t len)
{
	if (!s)
		return len == 0;
	if (u8_check((const uint8_t *)s, len))
		return false;
	/* Bytes of multi-byte sequences are all >= 0x80, so a byte scan finds every control. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
			return false;
	}
	return true;
}

static bool is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

/* Whether valid UTF-8 is already NFC because every code point in it is below U+0300 or a
 * precomposed Latin letter of U+1E00..U+1EFF (all of Vietnamese: ế, ữ, ỹ ...). By Unicode's
 * normalization data each such code point is NFC_Quick_Check=Yes with canonical combining
 * class 0, so no reordering or composition can touch it; only a code point that could
 * combine with the one before it (a Maybe: combining marks and the like, all outside
 * these ranges) or one that never stays (a No) needs the full u8_normalize. */
static bool already_nfc(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s, *end = p + len;
	ucs4_t uc;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		p += u8_mbtouc_unsafe(&uc, p, (size_t)(end - p));
		if (uc >= 0x300 && (uc < 0x1E00 || uc > 0x1EFF))
			return false;
	}
	return true;
}

/* Normalises into stack[STACK_NORM] when it fits; the caller frees the result if it is
 * not stack. NULL with *err set on failure. */
static uint8_t *normalize(uninorm_t nf, const char *s, size_t len, uint8_t *stack, size_t *n,
			  enum mc_err *err)
{
	uint8_t *r;

	*n = STACK_NORM;
	r = u8_normalize(nf, (const uint8_t *)s, len, stack, n);
	if (!r)
		*err = errno == ENOMEM ? MC_ERR_NOMEM : MC_ERR_INTERNAL;
	return r;
}

enum mc_err mc_utf8_nfc(const char *s, size_t len, struct mc_buf *out)
{
	uint8_t stack[STACK_NORM], *r;
	enum mc_err err = MC_OK;
	size_t n;

	if (!mc_utf8_valid(s, len))
		return MC_ERR_INVALID;
	/* Also covers the empty string, which u8_normalize may not. */
	if (already_nfc(s, len))
		return mc_buf_add(out, s, len);
	if (!(r = normalize(UNINORM_NFC, s, len, stack, &n, &err)))
		return err;
	err = mc_buf_add(out, r, n);
	if (r != stack)
		free(r);
	return err;
}

/* Marks stay inside a word: after NFD only spacing (Mc) and enclosing (Me) ones remain
 * here, and they belong to the letter before them (e.g. in Indic scripts). */
static bool is_word_char(ucs4_t uc)
{
	if (uc < 0x80)
		return (uc >= 'a' && uc <= 'z') || (uc >= 'A' && uc <= 'Z') ||
		       (uc >= '0' && uc <= '9');
	return uc_is_general_category_withtable(uc, UC_CATEGORY_MASK_L | UC_CATEGORY_MASK_N |
							UC_CATEGORY_MASK_Mc | UC_CATEGORY_MASK_Me);
}

static ucs4_t fold_char(ucs4_t uc)
{
	if (uc < 0x80)
		return uc >= 'A' && uc <= 'Z' ? uc - 'A' + 'a' : uc;
	/* đ/Đ are letters of their own, not d plus a mark, so NFD leaves them alone. */
	if (uc == 0x0110 || uc == 0x0111)
		return 'd';
	return uc_tolower(uc);
}

/* s must be valid UTF-8 in NFD (or ASCII). */
static enum mc_err fold_nfd(const uint8_t *s, size_t n, struct mc_buf *out)
{
	size_t start = out->len;
	bool gap = false;
	enum mc_err err;
	uint8_t enc[6];
	ucs4_t uc;
	int k;

	if ((err = mc_buf_add(out, "", 0)) != MC_OK)
		return err;
	for (size_t i = 0; i < n; i += (size_t)k) {
		k = u8_mbtouc(&uc, s + i, n - i);
		if (uc >= 0x80 && uc_is_general_category_withtable(uc, UC_CATEGORY_MASK_Mn))
			continue;
		uc = fold_char(uc);
		if (!is_word_char(uc)) {
			gap = true;
			continue;
		}
		if (gap && out->len > start && (err = mc_buf_putc(out, ' ')) != MC_OK)
			return err;
		gap = false;
		if ((err = mc_buf_add(out, enc, (size_t)u8_uctomb(enc, uc, sizeof enc))) != MC_OK)
			return err;
	}
	return MC_OK;
}

enum mc_err mc_utf8_fold(const char *s, size_t len, struct mc_buf *out)
{
	uint8_t stack[STACK_NORM], *r = NULL;
	size_t start = out->len, n;
	enum mc_err err = MC_OK;

	if (!mc_utf8_valid(s, len))
		return MC_ERR_INVALID;
	/* ASCII is its own NFD: skip the normalisation. */
	if (is_ascii(s, len)) {
		err = fold_nfd((const uint8_t *)s, len, out);
		goto done;
	}
	if (!(r = normalize(UNINORM_NFD, s, len, stack, &n, &err)))
		goto done;
	err = fold_nfd(r, n, out);
done:
	if (r != stack)
		free(r);
	/* Leave out as it was on failure, as mc_buf does. */
	if (err != MC_OK && out->data) {
		out->len = start;
		out->data[start] = '\0';
	}
	return err;
}

static bool is_space(ucs4_t uc)
{
	return uc == ' ' || uc == '\t' || uc == '\n' || uc == '\r' || uc == 0x00a0;
}

/* Appends the word at s[0..n) whole (the family name) or as its first letter and a dot;
 * the letter keeps any marks NFC could not compose into it. Returns the word's length. */
static size_t mask_word(const uint8_t *s, size_t n, bool whole, struct mc_buf *out,
			enum mc_err *err)
{
	size_t keep, end;
	ucs4_t uc;

	keep = (size_t)u8_mbtouc(&uc, s, n);
	while (keep < n) {
		int k = u8_mbtouc(&uc, s + keep, n - keep);

		if (!uc_is_general_category_withtable(uc, UC_CATEGORY_MASK_M))
			break;
		keep += (size_t)k;
	}
	end = keep;
	while (end < n) {
		int k = u8_mbtouc(&uc, s + end, n - end);

		if (is_space(uc))
			break;
		end += (size_t)k;
	}
	if ((*err = mc_buf_add(out, s, whole ? end : keep)) == MC_OK && !whole)
		*err = mc_buf_putc(out, '.');
	return end;
}

static enum mc_err mask_nfc(const uint8_t *s, size_t n, struct mc_buf *out)
{
	enum mc_err err = MC_OK;
	bool first = true;
	size_t i = 0;
	ucs4_t uc;

	if ((err = mc_buf_add(out, "", 0)) != MC_OK)
		return err;
	while (i < n && err == MC_OK) {
		int k = u8_mbtouc(&uc, s + i, n - i);

		if (is_space(uc)) {
			i += (size_t)k;
			continue;
		}
		if (!first && (err = mc_buf_putc(out, ' ')) != MC_OK)
			break;
		i += mask_word(s + i, n - i, first, out, &err);
		first = false;
	}
	return err;
}

enum mc_err mc_utf8_mask_name(const char *name, struct mc_buf *out)
{
	struct mc_buf nfc;
	size_t start = out->len;
	enum mc_err err;

	mc_buf_init(&nfc);
	if (!name) {
		err = MC_ERR_INVALID;
		goto done;
	}
	if ((err = mc_utf8_nfc(name, strlen(name), &nfc)) != MC_OK)
		goto done;
	err = mask_nfc((const uint8_t *)nfc.data, nfc.len, out);
done:
	if (err != MC_OK && out->data) {
		out->len = start;
		out->data[start] = '\0';
	}
	mc_buf_finish(&nfc);
	return err;
}

size_t mc_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}
