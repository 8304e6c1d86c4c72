#include "motcham/domain/check.h"

#include <string.h>
#include <strings.h>

#define DECIMAL_DIGITS 12

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool mc_check_slug(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > MC_CHECK_SLUG_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') && s[i] != '-')
			return false;
	return true;
}

bool mc_check_tthc(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > MC_CHECK_TTHC_MAX || !is_digit(s[0]) || !is_digit(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] == '.' && s[i + 1] != '.'))
			return false;
	return true;
}

bool mc_check_count(const char *s, int *out)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 2 || !is_digit(s[0]) || (n == 2 && !is_digit(s[1])))
		return false;
	*out = n == 2 ? (s[0] - '0') * 10 + (s[1] - '0') : s[0] - '0';
	return *out <= MC_CHECK_COUNT_MAX;
}

/* Read by hand rather than strtod: no locale, no sign, no exponent, no hex, no "inf". */
bool mc_check_decimal(const char *s, double *out, bool *whole)
{
	double x = 0, scale = 1;
	bool mark = false;
	int before = 0, after = 0;

	for (const char *p = s ? s : ""; *p; p++) {
		if ((*p == '.' || *p == ',') && !mark && before) {
			mark = true;
			continue;
		}
		if (!is_digit(*p) || before + after == DECIMAL_DIGITS)
			return false;
		if (mark) {
			after++;
			scale /= 10;
			x += (*p - '0') * scale;
		} else {
			before++;
			x = x * 10 + (*p - '0');
		}
	}
	*out = x;
	*whole = !mark;
	return before > 0 && (!mark || after > 0);
}

static size_t scheme_len(const char *s)
{
	if (strncasecmp(s, "https://", 8) == 0)
		return 8;
	if (strncasecmp(s, "http://", 7) == 0)
		return 7;
	return 0;
}

bool mc_check_web_address(const char *s)
{
	size_t skip = s ? scheme_len(s) : 0;

	if (!skip || !s[skip])
		return false;
	for (s += skip; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s == 0x7f || strchr("\"'<>\\`", *s))
			return false;
	return true;
}

void mc_check_web_address_tidy(char *s)
{
	size_t n = s ? scheme_len(s) : 0;

	for (size_t i = 0; i + 3 < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] + 32);
}

/* The code point at s[0..n) and its length in bytes (0: not a UTF-8 sequence). */
static size_t decode(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len = s[0] < 0x80 ? 1 : s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;

	if (!len || len > n)
		return 0;
	*cp = len == 1 ? s[0] : s[0] & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3F);
	}
	return len;
}

static bool refused(unsigned cp)
{
	return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE ||
	       (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

bool mc_check_text(const char *s, size_t n, unsigned *bad)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned cp = 0;
	size_t len;

	for (size_t i = 0; i < n; i += len) {
		if (u[i] < 0x80) {
			len = 1;
			continue;
		}
		if (!(len = decode(u + i, n - i, &cp)) || refused(cp)) {
			if (bad)
				*bad = len ? cp : 0xFFFD;
			return false;
		}
	}
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum mc_err tidy_line(const char *s, size_t n, bool list, struct mc_buf *out)
{
	enum mc_err err;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (list) {
		while (n > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		if (n == 0)
			return MC_OK;
	}
	if ((err = mc_buf_add(out, s, n)) != MC_OK)
		return err;
	return mc_buf_putc(out, '\n');
}

/* Trailing blanks are invisible, and they break "one item per line". */
enum mc_err mc_check_tidy(const char *s, size_t n, bool list, struct mc_buf *out)
{
	size_t i = 0, start, lead = 0;
	enum mc_err err = MC_OK;

	mc_buf_reset(out);
	while (i < n && err == MC_OK) {
		start = i;
		while (i < n && s[i] != '\n' && s[i] != '\r')
			i++;
		err = tidy_line(s + start, i - start, list, out);
		if (i + 1 < n && s[i] == '\r' && s[i + 1] == '\n')
			i++;
		i++;
	}
	while (out->len > 0 && is_blank(out->data[out->len - 1]))
		out->data[--out->len] = '\0';
	while (lead < out->len && is_blank(out->data[lead]))
		lead++;
	if (lead) {
		memmove(out->data, out->data + lead, out->len - lead + 1);
		out->len -= lead;
	}
	return err;
}

char *mc_check_trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

enum mc_doc_fault mc_check_doc_line(char *line, struct mc_doc_line *d)
{
	char *p = line, *bar;
	size_t np = 0;

	memset(d, 0, sizeof(*d));
	for (;;) {
		if (np == 3)
			return MC_DOC_LINE_SHAPE;
		if ((bar = strchr(p, '|')) != NULL)
			*bar = '\0';
		d->part[np++] = mc_check_trim(p);
		if (!bar)
			break;
		p = bar + 1;
	}
	d->name = d->part[0];
	d->originals = 1;
	d->copies = 0;
	if (!*d->name)
		return MC_DOC_LINE_NO_NAME;
	if (np > 1 && !mc_check_count(d->part[1], &d->originals))
		return MC_DOC_LINE_ORIGINALS;
	if (np > 2 && !mc_check_count(d->part[2], &d->copies))
		return MC_DOC_LINE_COPIES;
	return MC_DOC_LINE_OK;
}
