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
#include "motcham/domain/check.h"

/* --- the rules ----------------------------------------------------------------------------- */

/* The value rules themselves (slug, mã TTHC, counts, document lines, numbers, web
 * addresses, trimming) are domain/check.h's, shared with the staff forms and the pages;
 * what is left here is how a cell's text is tidied before a rule sees it. */

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
	unsigned bad = 0;
	enum mc_err err;

	if (im->len[i] > CELL_RAW_MAX)
		return import_reject(im, "column %s: longer than %zu bytes", col->name, col->max);
	if (!mc_utf8_valid(raw, im->len[i]))
		return import_reject(im, "column %s: not valid UTF-8 text (save the file as UTF-8)",
				     col->name);
	if (!mc_check_text(raw, im->len[i], &bad))
		return import_reject(
		    im,
		    "column %s: U+%04X is not allowed in text (a non-character, or "
		    "a bidirectional override or isolate)",
		    col->name, bad);
	mc_buf_reset(&im->tmp);
	if ((err = mc_utf8_nfc(raw, im->len[i], &im->tmp)) != MC_OK)
		return err;
	if (im->tmp.len &&
	    (err = mc_check_tidy(im->tmp.data, im->tmp.len, col->shape == LIST, out)) != MC_OK)
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
	if (!mc_check_decimal(s, out, &whole) || (r->whole && !whole) || *out > r->hi ||
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
	char moved[MC_DATE_LEN + 1];
	enum mc_err err = check(im, c, mc_date_valid, "a valid date (YYYY-MM-DD)");

	if (err != MC_OK || !im->shift_days || !im->v[c])
		return err;
	if (!mc_date_add(im->v[c], im->shift_days, moved))
		return import_reject(im, "column %s: %s moved by %ld days is out of range",
				     colname(im, c), im->v[c], im->shift_days);
	/* A date is always MC_DATE_LEN bytes, so the cell's buffer holds the moved one. */
	memcpy(im->v[c], moved, MC_DATE_LEN + 1);
	return MC_OK;
}

enum mc_err cell_tthc(struct imp *im, int c)
{
	return check(im, c, mc_check_tthc, "a code like 1.001193");
}

enum mc_err cell_url(struct imp *im, int c)
{
	enum mc_err err = check(im, c, mc_check_web_address, "an http(s):// address");

	if (err == MC_OK && im->v[c])
		mc_check_web_address_tidy(im->v[c]);
	return err;
}

enum mc_err cell_slug(struct imp *im, int c)
{
	return check(im, c, mc_check_slug, "1 to 64 of a-z, 0-9 and -");
}

static enum mc_err parse_doc(struct imp *im, int c, long k, char *line, struct mc_document *d)
{
	struct mc_doc_line dl;
	const char *name = colname(im, c), *const *part = dl.part;

	switch (mc_check_doc_line(line, &dl)) {
	case MC_DOC_LINE_SHAPE:
		return import_reject(im, "column %s, line %ld: write \"Name | originals | copies\"",
				     name, k);
	case MC_DOC_LINE_NO_NAME:
		return import_reject(im, "column %s, line %ld: the document has no name", name, k);
	case MC_DOC_LINE_ORIGINALS:
		return import_reject(im,
				     "column %s, line %ld: originals \"%.*s\" is not from 0 to 20",
				     name, k, import_shown(part[1]), part[1]);
	case MC_DOC_LINE_COPIES:
		return import_reject(im, "column %s, line %ld: copies \"%.*s\" is not from 0 to 20",
				     name, k, import_shown(part[2]), part[2]);
	case MC_DOC_LINE_OK:
		break;
	}
	d->name = dl.name;
	d->originals = dl.originals;
	d->copies = dl.copies;
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
