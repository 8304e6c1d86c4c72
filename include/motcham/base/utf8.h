#ifndef MOTCHAM_UTF8_H
#define MOTCHAM_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/buf.h"

/* True when s[0..len) is well-formed UTF-8 with no NUL and no C0 control other than
 * tab, LF and CR. */
bool mc_utf8_valid(const char *s, size_t len);

/* Appends s[0..len) to out in Unicode NFC (libunistring), so "ế" typed as e + two
 * combining marks is stored as one code point. MC_ERR_INVALID if s is not valid UTF-8. */
enum mc_err mc_utf8_nfc(const char *s, size_t len, struct mc_buf *out);

/* Appends a search key for s: lower-case, Vietnamese diacritics removed, đ → d, runs of
 * non-alphanumerics turned into one space, trimmed. "Đăng ký Khai sinh" → "dang ky khai sinh".
 * MC_ERR_INVALID if s is not valid UTF-8. */
enum mc_err mc_utf8_fold(const char *s, size_t len, struct mc_buf *out);

/* Appends a masked personal name for public pages: the family name kept, every other word
 * shortened to its first letter and a dot. "Nguyễn Văn An" → "Nguyễn V. A.". */
enum mc_err mc_utf8_mask_name(const char *name, struct mc_buf *out);

/* How many of the first len bytes of s to keep so that at most max remain without splitting a
 * UTF-8 sequence. */
size_t mc_utf8_cut(const char *s, size_t len, size_t max);

#endif
