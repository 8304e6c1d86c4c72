/* A cell's text, from raw bytes to a checked value. The rules come first: pure functions of
 * the text, with no import state, each rule in one function (they are to move to src/domain/
 * and serve the staff forms and public pages too). The checks follow: a rule applied to one
 * column of the current row, a refusal reported with the file's line. */

#include "private.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/base/utf8.h"

/* --- the rules ----------------------------------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* In place: drops spaces and tabs at both ends. */
static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

static enum mc_err tidy_line(const char *s, size_t n, enum shape shape, struct mc_buf *out)
{
	enum mc_err err;

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (shape == LIST) {
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

/* Lines may end in LF, CRLF or CR; inside a value all become LF. Trailing blanks of each
 * line go (invisible, and they break "one item per line"), and so do blank lines at both
 * ends. */
static enum mc_err tidy(const char *s, size_t n, enum shape shape, struct mc_buf *out)
{
	size_t i = 0, start, lead = 0;
	enum mc_err err = MC_OK;

	while (i < n && err == MC_OK) {
		start = i;
		while (i < n && s[i] != '\n' && s[i] != '\r')
			i++;
		err = tidy_line(s + start, i - start, shape, out);
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

/* Slugs: 1 to 64 of a-z, 0-9 and -. */
static bool slug_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z') && s[i] != '-')
			return false;
	return true;
}

/* Procedure codes (mã TTHC), like 1.001193: digits and single dots, a digit at both ends,
 * at most 20 bytes. */
static bool tthc_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n > 20 || !is_digit(s[0]) || !is_digit(s[n - 1]))
		return false;
	for (i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] == '.' && s[i + 1] != '.'))
			return false;
	return true;
}

/* Counts of originals or copies: one or two digits, at most 20. */
static bool count_ok(const char *s, int *out)
{
	size_t n = strlen(s);

	if (n < 1 || n > 2 || !is_digit(s[0]) || (n == 2 && !is_digit(s[1])))
		return false;
	*out = n == 2 ? (s[0] - '0') * 10 + (s[1] - '0') : s[0] - '0';
	return *out <= 20;
}

/* In place: cuts s at sep into at most max trimmed parts; returns max + 1 when there are
 * more. */
static size_t split(char *s, char sep, char **part, size_t max)
{
	size_t n = 0;
	char *end;

	for (;;) {
		if (n == max)
			return n + 1;
		end = strchr(s, sep);
		if (end)
			*end = '\0';
		part[n++] = trim(s);
		if (!end)
			return n;
		s = end + 1;
	}
}

/* What is wrong with a document line, if anything. */
enum doc_fault { DOC_OK, DOC_SHAPE, DOC_NO_NAME, DOC_ORIGINALS, DOC_COPIES };

/* Document lines, in place: "Name | originals | copies", each part trimmed, the counts
 * optional (1 and 0). part receives the parts, for a message to quote. */
static enum doc_fault doc_line(char *line, struct mc_document *d, char *part[3])
{
	size_t np = split(line, '|', part, 3);

	if (np > 3)
		return DOC_SHAPE;
	if (!*part[0])
		return DOC_NO_NAME;
	d->name = part[0];
	d->originals = 1;
	d->copies = 0;
	if (np > 1 && !count_ok(part[1], &d->originals))
		return DOC_ORIGINALS;
	if (np > 2 && !count_ok(part[2], &d->copies))
		return DOC_COPIES;
	return DOC_OK;
}

/* Web addresses: http:// or https:// in any case, then at least one byte and no blank,
 * control byte, quote, angle bracket, backslash or backtick. */
static bool url_ok(const char *s)
{
	size_t skip = 0;

	if (strncasecmp(s, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(s, "http://", 7) == 0)
		skip = 7;
	if (!skip || !s[skip])
		return false;
	for (s += skip; *s; s++)
		if ((unsigned char)*s <= ' ' || strchr("\"'<>\\`", *s))
			return false;
	return true;
}

/* Digits with at most one decimal point: no sign, no exponent, no locale. A comma is
 * refused rather than guessed at: in Vietnamese writing it is the decimal mark, in English
 * the thousands separator. */
static bool decimal(const char *s, double *out, bool *whole)
{
	double x = 0, scale = 1;
	bool mark = false;
	int digits = 0;

	for (; *s; s++) {
		if (*s == '.' && !mark && digits) {
			mark = true;
			continue;
		}
		if (!is_digit(*s) || ++digits > 12)
			return false;
		if (mark) {
			scale /= 10;
			x += (*s - '0') * scale;
		} else {
			x = x * 10 + (*s - '0');
		}
	}
	*out = x;
	*whole = !mark;
	return digits > 0 && s[-1] != '.';
}

/* Dates: a valid day is mc_date_valid's to say (base/date.c); of two given ISO dates the
 * later may not sort before the earlier. */
static bool dates_in_order(const char *earlier, const char *later)
{
	return !(earlier && later && strcmp(later, earlier) < 0);
}

/* --- the checks ---------------------------------------------------------------------------- */

static const char *colname(const struct imp *im, int c)
{
	return im->kind->cols[c].name;
}

static enum mc_err clean_cell(struct imp *im, size_t i)
{
	int c = im->map[i];
	const struct col *col = &im->kind->cols[c];
	const char *raw = im->len[i] ? im->cells.data + im->off[i] : "";
	struct mc_buf *out = &im->val[c];
	enum mc_err err;

	if (im->len[i] > CELL_RAW_MAX)
		return import_reject(im, "column %s: longer than %zu bytes", col->name, col->max);
	if (!mc_utf8_valid(raw, im->len[i]))
		return import_reject(im, "column %s: not valid UTF-8 text (save the file as UTF-8)",
				     col->name);
	mc_buf_reset(&im->tmp);
	if ((err = mc_utf8_nfc(raw, im->len[i], &im->tmp)) != MC_OK)
		return err;
	if (im->tmp.len && (err = tidy(im->tmp.data, im->tmp.len, col->shape, out)) != MC_OK)
		return err;
	if (col->shape == LINE && out->len && memchr(out->data, '\n', out->len))
		return import_reject(im, "column %s: must be a single line", col->name);
	if (out->len > col->max)
		return import_reject(im, "column %s: longer than %zu bytes", col->name, col->max);
	im->v[c] = out->len ? out->data : NULL;
	return MC_OK;
}

enum mc_err cell_clean_row(struct imp *im)
{
	enum mc_err err;
	size_t i;

	if (im->too_many || im->ncells != im->nheader)
		return import_reject(im, "the row has %s%zu cells but the header has %zu",
				     im->too_many ? "over " : "", im->ncells, im->nheader);
	for (i = 0; i < im->kind->ncols; i++) {
		mc_buf_reset(&im->val[i]);
		im->v[i] = NULL;
	}
	for (i = 0; i < im->ncells; i++)
		if ((err = clean_cell(im, i)) != MC_OK)
			return err;
	for (i = 0; i < im->kind->ncols; i++)
		if (im->kind->cols[i].required && !im->v[i])
			return import_reject(im, "column %s: required, but empty",
					     im->kind->cols[i].name);
	return MC_OK;
}

enum mc_err cell_not_before(struct imp *im, int later, int earlier)
{
	const char *a = im->v[later], *b = im->v[earlier];

	if (!dates_in_order(b, a))
		return import_reject(im, "column %s: %s is before %s %s", colname(im, later), a,
				     colname(im, earlier), b);
	return MC_OK;
}

/* Folding lets "Sửa chữa", "sua chua" and "new_build" all match. */
enum mc_err cell_pick(struct imp *im, int c, const struct word *words, const char *help,
		      const char **out)
{
	const char *s = im->v[c];
	enum mc_err err;

	mc_buf_reset(&im->tmp);
	if ((err = mc_utf8_fold(s, strlen(s), &im->tmp)) != MC_OK)
		return err;
	for (; words->value; words++) {
		if (im->tmp.len && (strcmp(im->tmp.data, words->en) == 0 ||
				    strcmp(im->tmp.data, words->vi) == 0)) {
			*out = words->value;
			return MC_OK;
		}
	}
	return import_reject(im, "column %s: \"%.*s\" is not one of %s", colname(im, c),
			     import_shown(s), s, help);
}

/* An empty cell reads as 0: not known. */
enum mc_err cell_measure(struct imp *im, int c, const struct range *r, double *out)
{
	const char *s = im->v[c];
	bool whole;

	*out = 0;
	if (!s)
		return MC_OK;
	if (!decimal(s, out, &whole) || (r->whole && !whole) || *out > r->hi ||
	    (r->lo_open ? *out <= r->lo : *out < r->lo))
		return import_reject(im, "column %s: \"%.*s\" is not %s", colname(im, c),
				     import_shown(s), s, r->text);
	return MC_OK;
}

/* Column c, when not empty, follows rule ok; what says what it must be. */
static enum mc_err check(struct imp *im, int c, bool (*ok)(const char *), const char *what)
{
	const char *s = im->v[c];

	if (s && !ok(s))
		return import_reject(im, "column %s: \"%.*s\" is not %s", colname(im, c),
				     import_shown(s), s, what);
	return MC_OK;
}

enum mc_err cell_date(struct imp *im, int c)
{
	return check(im, c, mc_date_valid, "a valid date (YYYY-MM-DD)");
}

enum mc_err cell_tthc(struct imp *im, int c)
{
	return check(im, c, tthc_ok, "a code like 1.001193");
}

enum mc_err cell_url(struct imp *im, int c)
{
	return check(im, c, url_ok, "an http(s):// address");
}

enum mc_err cell_slug(struct imp *im, int c)
{
	return check(im, c, slug_ok, "1 to 64 of a-z, 0-9 and -");
}

static enum mc_err parse_doc(struct imp *im, int c, long k, char *line, struct mc_document *d)
{
	char *part[3];
	const char *name = colname(im, c);

	switch (doc_line(line, d, part)) {
	case DOC_SHAPE:
		return import_reject(im, "column %s, line %ld: write \"Name | originals | copies\"",
				     name, k);
	case DOC_NO_NAME:
		return import_reject(im, "column %s, line %ld: the document has no name", name, k);
	case DOC_ORIGINALS:
		return import_reject(im,
				     "column %s, line %ld: originals \"%.*s\" is not from 0 to 20",
				     name, k, import_shown(part[1]), part[1]);
	case DOC_COPIES:
		return import_reject(im, "column %s, line %ld: copies \"%.*s\" is not from 0 to 20",
				     name, k, import_shown(part[2]), part[2]);
	case DOC_OK:
		break;
	}
	return MC_OK;
}

/* One document per line: "Name | originals | copies", the counts optional (1 and 0). */
enum mc_err cell_docs(struct imp *im, int c, enum mc_doc_kind kind, size_t *n)
{
	char *line = im->v[c], *next;
	enum mc_err err;
	long k;

	for (k = 1; line; line = next, k++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*n == DOCS_MAX)
			return import_reject(im, "more than %d documents and forms", DOCS_MAX);
		if ((err = parse_doc(im, c, k, line, &im->docs[*n])) != MC_OK)
			return err;
		im->docs[(*n)++].kind = kind;
	}
	return MC_OK;
}

enum mc_err cell_yes_no(struct imp *im, int c, bool *out)
{
	const char *s = im->v[c];

	*out = false;
	if (!s || strcasecmp(s, "0") == 0 || strcasecmp(s, "no") == 0)
		return MC_OK;
	if (strcasecmp(s, "1") == 0 || strcasecmp(s, "yes") == 0) {
		*out = true;
		return MC_OK;
	}
	return import_reject(im, "column %s: \"%.*s\" is not 1, 0, yes or no", colname(im, c),
			     import_shown(s), s);
}
