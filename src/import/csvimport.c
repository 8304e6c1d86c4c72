#include "motcham/import/csvimport.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/store/store.h"
#include "motcham/base/utf8.h"

/* Bounds on what a file may ask of us. */
#define FILE_MAX (50L * 1024 * 1024)
#define ROWS_MAX 1000000L
#define CELLS_MAX 64
#define ROW_BYTES_MAX (4L * 1024 * 1024)
#define PIECE_MAX 65536
#define SHORT_MAX 500
#define TEXT_MAX 20000
/* Before NFC a cell may be longer than its limit; far longer is refused without a look. */
#define CELL_RAW_MAX (4 * TEXT_MAX)
#define DOCS_MAX 100
#define MESSAGES_MAX 100
#define SHOW_MAX 60
#define COLS_MAX 20

enum shape {
	LINE, /* one line */
	TEXT, /* free text over several lines */
	LIST, /* one item per line: blank lines dropped */
};

struct col {
	const char *name;
	bool required;
	enum shape shape;
	size_t max; /* bytes, after NFC and trimming */
};

enum { W_SLUG, W_NAME, W_ADDRESS, W_PHONE, W_HOURS, W_INTRO, W_SAMPLE, W_N };
static const struct col ward_cols[W_N] = {
    [W_SLUG] = {"slug", true, LINE, SHORT_MAX},
    [W_NAME] = {"name", true, LINE, SHORT_MAX},
    [W_ADDRESS] = {"address", false, LINE, SHORT_MAX},
    [W_PHONE] = {"phone", false, LINE, SHORT_MAX},
    /* office hours often take a line per group of weekdays, yet stay short */
    [W_HOURS] = {"hours", false, TEXT, SHORT_MAX},
    [W_INTRO] = {"intro", false, TEXT, TEXT_MAX},
    [W_SAMPLE] = {"sample", false, LINE, SHORT_MAX},
};

enum {
	P_TTHC,
	P_TITLE,
	P_FIELD,
	P_LEVEL,
	P_STEPS,
	P_WAYS,
	P_PLACE,
	P_DOCS,
	P_FORMS,
	P_WHO,
	P_CONDITIONS,
	P_DURATION,
	P_FEES,
	P_OFFICE,
	P_RESULT,
	P_LEGAL,
	P_URL,
	P_WARD,
	P_N
};
static const struct col procedure_cols[P_N] = {
    [P_TTHC] = {"tthc_code", true, LINE, SHORT_MAX},
    [P_TITLE] = {"title", true, LINE, SHORT_MAX},
    [P_FIELD] = {"field", true, LINE, SHORT_MAX},
    [P_LEVEL] = {"level", false, LINE, SHORT_MAX},
    [P_STEPS] = {"steps", true, LIST, TEXT_MAX},
    [P_WAYS] = {"ways", false, LINE, SHORT_MAX},
    [P_PLACE] = {"place", false, LINE, SHORT_MAX},
    [P_DOCS] = {"documents", false, LIST, TEXT_MAX},
    [P_FORMS] = {"forms", false, LIST, TEXT_MAX},
    [P_WHO] = {"who", false, LINE, SHORT_MAX},
    [P_CONDITIONS] = {"conditions", false, TEXT, TEXT_MAX},
    [P_DURATION] = {"duration", true, LINE, SHORT_MAX},
    [P_FEES] = {"fees", false, LINE, SHORT_MAX},
    [P_OFFICE] = {"office", true, LINE, SHORT_MAX},
    [P_RESULT] = {"result", false, LINE, SHORT_MAX},
    [P_LEGAL] = {"legal_basis", false, LIST, TEXT_MAX},
    [P_URL] = {"online_url", false, LINE, SHORT_MAX},
    [P_WARD] = {"ward", false, LINE, SHORT_MAX},
};

enum {
	R_NUMBER,
	R_KIND,
	R_ADDRESS,
	R_OWNER,
	R_SCOPE,
	R_FLOORS,
	R_AREA,
	R_HEIGHT,
	R_CONTRACTOR,
	R_OFFICE,
	R_ISSUED,
	R_STARTS,
	R_ENDS,
	R_STATUS,
	R_REASON,
	R_WARD,
	R_N
};
static const struct col permit_cols[R_N] = {
    [R_NUMBER] = {"number", true, LINE, SHORT_MAX},
    [R_KIND] = {"kind", true, LINE, SHORT_MAX},
    [R_ADDRESS] = {"address", true, LINE, SHORT_MAX},
    [R_OWNER] = {"owner_name", true, LINE, SHORT_MAX},
    [R_SCOPE] = {"scope", true, TEXT, TEXT_MAX},
    [R_FLOORS] = {"floors", false, LINE, SHORT_MAX},
    [R_AREA] = {"area_m2", false, LINE, SHORT_MAX},
    [R_HEIGHT] = {"height_m", false, LINE, SHORT_MAX},
    [R_CONTRACTOR] = {"contractor", false, LINE, SHORT_MAX},
    [R_OFFICE] = {"office", true, LINE, SHORT_MAX},
    [R_ISSUED] = {"issued_on", true, LINE, SHORT_MAX},
    [R_STARTS] = {"starts_on", true, LINE, SHORT_MAX},
    [R_ENDS] = {"ends_on", true, LINE, SHORT_MAX},
    [R_STATUS] = {"status", true, LINE, SHORT_MAX},
    [R_REASON] = {"status_reason", false, LINE, SHORT_MAX},
    [R_WARD] = {"ward", false, LINE, SHORT_MAX},
};

enum { A_TITLE, A_BODY, A_PUBLISHED, A_EXPIRES, A_WARD, A_N };
static const struct col announcement_cols[A_N] = {
    [A_TITLE] = {"title", true, LINE, SHORT_MAX},
    [A_BODY] = {"body", true, TEXT, TEXT_MAX},
    [A_PUBLISHED] = {"published_on", true, LINE, SHORT_MAX},
    [A_EXPIRES] = {"expires_on", false, LINE, SHORT_MAX},
    [A_WARD] = {"ward", false, LINE, SHORT_MAX},
};

enum { I_PERMIT, I_DATE, I_INSPECTOR, I_RESULT, I_NOTE, I_N };
static const struct col inspection_cols[I_N] = {
    [I_PERMIT] = {"permit_number", true, LINE, SHORT_MAX},
    [I_DATE] = {"on_date", true, LINE, SHORT_MAX},
    [I_INSPECTOR] = {"inspector", true, LINE, SHORT_MAX},
    [I_RESULT] = {"result", true, LINE, SHORT_MAX},
    [I_NOTE] = {"note", false, TEXT, TEXT_MAX},
};

struct imp;

struct kind {
	const char *name;
	const struct col *cols;
	size_t ncols;
	int ward_col; /* -1: the rows belong to no ward of their own */
	enum mc_err (*take)(struct imp *im);
};

/* Record ids written by this file, to catch a second row for the same record. */
struct seen {
	int64_t *id; /* 0: free slot */
	long *line;
	size_t cap, n;
};

struct imp {
	struct mc_store *s;
	const char *path;
	const char *ward_slug;
	FILE *errs;
	struct mc_import_stats st;
	long messages;
	enum mc_err fatal; /* set by the parser callbacks: stops the import */

	/* where we are: physical lines, counted from 1 */
	long line, row_line;
	bool in_row, row_done;
	long row_bytes;

	/* the header */
	const struct kind *kind; /* NULL until the header row is read */
	struct mc_buf hdr;	 /* lower-cased names, NUL-separated */
	size_t hoff[CELLS_MAX];
	int map[CELLS_MAX]; /* header position -> column of kind */
	size_t nheader;
	bool ward_present;

	/* the current row: raw cells back to back, then cleaned values by column */
	struct mc_buf cells;
	size_t off[CELLS_MAX], len[CELLS_MAX];
	size_t ncells;
	bool too_many;
	struct mc_buf val[COLS_MAX];
	char *v[COLS_MAX]; /* into val; NULL when empty */
	struct mc_buf tmp;
	struct mc_document docs[DOCS_MAX];

	/* wards */
	int64_t default_ward; /* 0 when there is none: default_why says why */
	struct mc_buf default_why;
	struct mc_buf ward_cache;
	int64_t ward_cache_id;
	int64_t last_ward;

	struct seen seen;
};

static void vreport(struct imp *im, long line, const char *fmt, va_list ap)
{
	if (!im->errs || ++im->messages > MESSAGES_MAX)
		return;
	if (line > 0)
		fprintf(im->errs, "%s:%ld: ", im->path, line);
	else
		fprintf(im->errs, "%s: ", im->path);
	vfprintf(im->errs, fmt, ap);
	fputc('\n', im->errs);
}

__attribute__((format(printf, 3, 4))) static void report(struct imp *im, long line, const char *fmt,
							 ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(im, line, fmt, ap);
	va_end(ap);
}

/* Reports why the current row is refused; the caller returns what this returns. */
__attribute__((format(printf, 2, 3))) static enum mc_err reject(struct imp *im, const char *fmt,
								...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(im, im->row_line, fmt, ap);
	va_end(ap);
	return MC_ERR_INVALID;
}

/* How many bytes of a value to quote in a message: long values are cut at a character. */
static int shown(const char *s)
{
	size_t n = strlen(s);

	if (n <= SHOW_MAX)
		return (int)n;
	n = SHOW_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

static const char *colname(const struct imp *im, int c)
{
	return im->kind->cols[c].name;
}

/* The store refuses some rows by itself (a constraint): the row's fault, not a failure. */
static enum mc_err db(struct imp *im, enum mc_err err)
{
	if (err == MC_ERR_INVALID || err == MC_ERR_EXISTS)
		return reject(im, "the database refused the row: %s", mc_store_errmsg(im->s));
	return err;
}

static size_t slot(const struct seen *t, int64_t id)
{
	size_t mask = t->cap - 1;
	size_t i = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15u) & mask;

	while (t->id[i] != 0 && t->id[i] != id)
		i = (i + 1) & mask;
	return i;
}

static enum mc_err seen_grow(struct seen *t)
{
	struct seen g = {0};
	size_t i, j;

	g.cap = t->cap ? t->cap * 2 : 256;
	g.id = calloc(g.cap, sizeof *g.id);
	g.line = calloc(g.cap, sizeof *g.line);
	if (!g.id || !g.line) {
		free(g.id);
		free(g.line);
		return MC_ERR_NOMEM;
	}
	for (i = 0; i < t->cap; i++) {
		if (!t->id[i])
			continue;
		j = slot(&g, t->id[i]);
		g.id[j] = t->id[i];
		g.line[j] = t->line[i];
	}
	g.n = t->n;
	free(t->id);
	free(t->line);
	*t = g;
	return MC_OK;
}

/* Remembers that the row at line wrote record id; *first gets the earlier line, or 0. */
static enum mc_err seen_add(struct seen *t, int64_t id, long line, long *first)
{
	enum mc_err err;
	size_t i;

	*first = 0;
	if (id <= 0)
		return MC_ERR_INTERNAL;
	if ((t->n + 1) * 2 > t->cap && (err = seen_grow(t)) != MC_OK)
		return err;
	i = slot(t, id);
	if (t->id[i]) {
		*first = t->line[i];
		return MC_OK;
	}
	t->id[i] = id;
	t->line[i] = line;
	t->n++;
	return MC_OK;
}

/* After an upsert: refuses a second row for the same record, gives a new record its code
 * (kind NULL: records without codes) and counts it. */
static enum mc_err settle(struct imp *im, const char *kind, int64_t id, bool created,
			  const char *what)
{
	char token[MC_TOKEN_LEN + 1];
	bool made;
	long first;
	enum mc_err err;

	if ((err = seen_add(&im->seen, id, im->row_line, &first)) != MC_OK)
		return err;
	if (first)
		return reject(im, "%s as line %ld: one row per record", what, first);
	if (created && kind && (err = mc_store_code_ensure(im->s, kind, id, token, &made)) != MC_OK)
		return err;
	if (created)
		im->st.created++;
	else
		im->st.updated++;
	return MC_OK;
}

static enum mc_err only_ward(void *ctx, const struct mc_ward *w)
{
	*(int64_t *)ctx = w->id;
	return MC_OK;
}

/* The ward of rows without a ward cell: the one the caller named, else the only one. */
static enum mc_err resolve_default(struct imp *im)
{
	enum mc_err err;
	int n = 0;

	if (im->ward_slug) {
		err = mc_store_ward_id(im->s, im->ward_slug, &im->default_ward);
		if (err != MC_ERR_NOTFOUND)
			return err;
		im->default_ward = 0;
		return mc_buf_printf(&im->default_why, "there is no ward with slug \"%.*s\"",
				     shown(im->ward_slug), im->ward_slug);
	}
	if ((err = mc_store_ward_count(im->s, &n)) != MC_OK)
		return err;
	if (n == 1)
		return mc_store_ward_each(im->s, only_ward, &im->default_ward);
	return mc_buf_puts(
	    &im->default_why,
	    n == 0 ? "there is no ward yet: import a ward file first"
		   : "there are several wards: name one in a ward column or by its slug");
}

static enum mc_err row_ward(struct imp *im, int64_t *id)
{
	const char *slug = im->v[im->kind->ward_col];
	enum mc_err err;

	if (!slug) {
		if (!im->default_ward)
			return reject(im, "column ward is empty and %s", im->default_why.data);
		*id = im->default_ward;
		return MC_OK;
	}
	if (im->ward_cache.len && strcmp(im->ward_cache.data, slug) == 0) {
		*id = im->ward_cache_id;
		return MC_OK;
	}
	err = mc_store_ward_id(im->s, slug, id);
	if (err == MC_ERR_NOTFOUND)
		return reject(im, "column ward: there is no ward with slug \"%.*s\"", shown(slug),
			      slug);
	if (err != MC_OK)
		return err;
	mc_buf_reset(&im->ward_cache);
	im->ward_cache_id = *id;
	return mc_buf_puts(&im->ward_cache, slug);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

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

static enum mc_err clean_cell(struct imp *im, size_t i)
{
	int c = im->map[i];
	const struct col *col = &im->kind->cols[c];
	const char *raw = im->len[i] ? im->cells.data + im->off[i] : "";
	struct mc_buf *out = &im->val[c];
	enum mc_err err;

	if (im->len[i] > CELL_RAW_MAX)
		return reject(im, "column %s: longer than %zu bytes", col->name, col->max);
	if (!mc_utf8_valid(raw, im->len[i]))
		return reject(im, "column %s: not valid UTF-8 text (save the file as UTF-8)",
			      col->name);
	mc_buf_reset(&im->tmp);
	if ((err = mc_utf8_nfc(raw, im->len[i], &im->tmp)) != MC_OK)
		return err;
	if (im->tmp.len && (err = tidy(im->tmp.data, im->tmp.len, col->shape, out)) != MC_OK)
		return err;
	if (col->shape == LINE && out->len && memchr(out->data, '\n', out->len))
		return reject(im, "column %s: must be a single line", col->name);
	if (out->len > col->max)
		return reject(im, "column %s: longer than %zu bytes", col->name, col->max);
	im->v[c] = out->len ? out->data : NULL;
	return MC_OK;
}

static enum mc_err clean_row(struct imp *im)
{
	enum mc_err err;
	size_t i;

	if (im->too_many || im->ncells != im->nheader)
		return reject(im, "the row has %s%zu cells but the header has %zu",
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
			return reject(im, "column %s: required, but empty", im->kind->cols[i].name);
	return MC_OK;
}

static enum mc_err date_in(struct imp *im, int c)
{
	const char *d = im->v[c];

	if (d && !mc_date_valid(d))
		return reject(im, "column %s: \"%.*s\" is not a valid date (YYYY-MM-DD)",
			      colname(im, c), shown(d), d);
	return MC_OK;
}

static enum mc_err not_before(struct imp *im, int later, int earlier)
{
	const char *a = im->v[later], *b = im->v[earlier];

	if (a && b && strcmp(a, b) < 0)
		return reject(im, "column %s: %s is before %s %s", colname(im, later), a,
			      colname(im, earlier), b);
	return MC_OK;
}

/* A stored word and its spellings, folded (see mc_utf8_fold). */
struct word {
	const char *value;
	const char *en;
	const char *vi;
};

static const struct word permit_kinds[] = {
    {MC_PERMIT_REPAIR, "repair", "sua chua"},
    {MC_PERMIT_RENOVATION, "renovation", "cai tao"},
    {MC_PERMIT_NEW_BUILD, "new build", "xay moi"},
    {NULL, NULL, NULL},
};

static const struct word statuses[] = {
    {MC_STATUS_ISSUED, "issued", "da cap"},
    {MC_STATUS_IN_PROGRESS, "in progress", "dang thi cong"},
    {MC_STATUS_SUSPENDED, "suspended", "dinh chi"},
    {MC_STATUS_REVOKED, "revoked", "thu hoi"},
    {MC_STATUS_COMPLETED, "completed", "hoan thanh"},
    {NULL, NULL, NULL},
};

/* Folding lets "Sửa chữa", "sua chua" and "new_build" all match. */
static enum mc_err pick(struct imp *im, int c, const struct word *words, const char *help,
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
	return reject(im, "column %s: \"%.*s\" is not one of %s", colname(im, c), shown(s), s,
		      help);
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

struct range {
	double lo, hi;
	bool lo_open; /* lo itself is not allowed */
	bool whole;
	const char *text;
};

static const struct range floors_range = {0, 50, false, true, "a whole number from 0 to 50"};
static const struct range area_range = {0, 100000, true, false, "a number above 0, at most 100000"};
static const struct range height_range = {0, 300, true, false, "a number above 0, at most 300"};

/* An empty cell reads as 0: not known. */
static enum mc_err measure(struct imp *im, int c, const struct range *r, double *out)
{
	const char *s = im->v[c];
	bool whole;

	*out = 0;
	if (!s)
		return MC_OK;
	if (!decimal(s, out, &whole) || (r->whole && !whole) || *out > r->hi ||
	    (r->lo_open ? *out <= r->lo : *out < r->lo))
		return reject(im, "column %s: \"%.*s\" is not %s", colname(im, c), shown(s), s,
			      r->text);
	return MC_OK;
}

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

static enum mc_err parse_doc(struct imp *im, int c, long k, char *line, struct mc_document *d)
{
	char *part[3];
	size_t np = split(line, '|', part, 3);
	const char *name = colname(im, c);

	if (np > 3)
		return reject(im, "column %s, line %ld: write \"Name | originals | copies\"", name,
			      k);
	if (!*part[0])
		return reject(im, "column %s, line %ld: the document has no name", name, k);
	d->name = part[0];
	d->originals = 1;
	d->copies = 0;
	if (np > 1 && !count_ok(part[1], &d->originals))
		return reject(im, "column %s, line %ld: originals \"%.*s\" is not from 0 to 20",
			      name, k, shown(part[1]), part[1]);
	if (np > 2 && !count_ok(part[2], &d->copies))
		return reject(im, "column %s, line %ld: copies \"%.*s\" is not from 0 to 20", name,
			      k, shown(part[2]), part[2]);
	return MC_OK;
}

/* One document per line: "Name | originals | copies", the counts optional (1 and 0). */
static enum mc_err parse_docs(struct imp *im, int c, enum mc_doc_kind kind, size_t *n)
{
	char *line = im->v[c], *next;
	enum mc_err err;
	long k;

	for (k = 1; line; line = next, k++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (*n == DOCS_MAX)
			return reject(im, "more than %d documents and forms", DOCS_MAX);
		if ((err = parse_doc(im, c, k, line, &im->docs[*n])) != MC_OK)
			return err;
		im->docs[(*n)++].kind = kind;
	}
	return MC_OK;
}

static enum mc_err take_procedure(struct imp *im)
{
	struct mc_procedure p = {0};
	char **v = im->v;
	size_t ndocs = 0;
	int64_t id;
	bool created;
	enum mc_err err;

	if (!tthc_ok(v[P_TTHC]))
		return reject(im, "column tthc_code: \"%.*s\" is not a code like 1.001193",
			      shown(v[P_TTHC]), v[P_TTHC]);
	if (v[P_URL] && !url_ok(v[P_URL]))
		return reject(im, "column online_url: \"%.*s\" is not an http(s):// address",
			      shown(v[P_URL]), v[P_URL]);
	if ((err = row_ward(im, &p.ward_id)) != MC_OK ||
	    (err = parse_docs(im, P_DOCS, MC_DOC_PAPER, &ndocs)) != MC_OK ||
	    (err = parse_docs(im, P_FORMS, MC_DOC_FORM, &ndocs)) != MC_OK)
		return err;
	p.tthc_code = v[P_TTHC];
	p.title = v[P_TITLE];
	p.field = v[P_FIELD];
	p.level = v[P_LEVEL];
	p.steps = v[P_STEPS];
	p.ways = v[P_WAYS];
	p.place = v[P_PLACE];
	p.who = v[P_WHO];
	p.conditions = v[P_CONDITIONS];
	p.duration = v[P_DURATION];
	p.fees = v[P_FEES];
	p.office = v[P_OFFICE];
	p.result = v[P_RESULT];
	p.legal_basis = v[P_LEGAL];
	p.online_url = v[P_URL];
	err = db(im, mc_store_procedure_upsert(im->s, &p, im->docs, ndocs, &id, &created));
	if (err != MC_OK)
		return err;
	return settle(im, MC_KIND_PROCEDURE, id, created, "the same ward and tthc_code");
}

static enum mc_err permit_checks(struct imp *im, struct mc_permit *p)
{
	double floors;
	enum mc_err err;

	if ((err = pick(im, R_KIND, permit_kinds,
			"repair, renovation, new_build (sửa chữa, cải tạo, xây mới)", &p->kind)) ||
	    (err = pick(im, R_STATUS, statuses,
			"issued, in_progress, suspended, revoked, completed (đã cấp, đang thi "
			"công, đình chỉ, thu hồi, hoàn thành)",
			&p->status)) ||
	    (err = measure(im, R_FLOORS, &floors_range, &floors)) ||
	    (err = measure(im, R_AREA, &area_range, &p->area_m2)) ||
	    (err = measure(im, R_HEIGHT, &height_range, &p->height_m)) ||
	    (err = date_in(im, R_ISSUED)) || (err = date_in(im, R_STARTS)) ||
	    (err = date_in(im, R_ENDS)) || (err = not_before(im, R_STARTS, R_ISSUED)) ||
	    (err = not_before(im, R_ENDS, R_STARTS)))
		return err;
	p->floors = (int)floors;
	if ((strcmp(p->status, MC_STATUS_SUSPENDED) == 0 ||
	     strcmp(p->status, MC_STATUS_REVOKED) == 0) &&
	    !im->v[R_REASON])
		return reject(im, "column status_reason: a %s permit needs a reason", p->status);
	return row_ward(im, &p->ward_id);
}

static enum mc_err take_permit(struct imp *im)
{
	struct mc_permit p = {0};
	char **v = im->v;
	int64_t id;
	bool created;
	enum mc_err err;

	if ((err = permit_checks(im, &p)) != MC_OK)
		return err;
	p.number = v[R_NUMBER];
	p.address = v[R_ADDRESS];
	p.owner_name = v[R_OWNER];
	p.scope = v[R_SCOPE];
	p.contractor = v[R_CONTRACTOR];
	p.office = v[R_OFFICE];
	p.issued_on = v[R_ISSUED];
	p.starts_on = v[R_STARTS];
	p.ends_on = v[R_ENDS];
	p.status_reason = v[R_REASON];
	if ((err = db(im, mc_store_permit_upsert(im->s, &p, &id, &created))) != MC_OK)
		return err;
	return settle(im, MC_KIND_PERMIT, id, created, "the same permit number");
}

static enum mc_err take_announcement(struct imp *im)
{
	struct mc_announcement a = {0};
	int64_t id;
	bool created;
	enum mc_err err;

	if ((err = date_in(im, A_PUBLISHED)) || (err = date_in(im, A_EXPIRES)) ||
	    (err = not_before(im, A_EXPIRES, A_PUBLISHED)) || (err = row_ward(im, &a.ward_id)))
		return err;
	a.title = im->v[A_TITLE];
	a.body = im->v[A_BODY];
	a.published_on = im->v[A_PUBLISHED];
	a.expires_on = im->v[A_EXPIRES];
	if ((err = db(im, mc_store_announcement_upsert(im->s, &a, &id, &created))) != MC_OK)
		return err;
	return settle(im, MC_KIND_ANNOUNCEMENT, id, created, "the same ward and title");
}

static enum mc_err take_inspection(struct imp *im)
{
	struct mc_inspection in = {0};
	const char *number = im->v[I_PERMIT];
	int64_t id;
	bool created;
	enum mc_err err;

	if ((err = date_in(im, I_DATE)) != MC_OK)
		return err;
	err = mc_store_permit_id(im->s, number, &in.permit_id);
	if (err == MC_ERR_NOTFOUND)
		return reject(im, "column permit_number: there is no permit \"%.*s\"",
			      shown(number), number);
	if (err != MC_OK)
		return err;
	in.on_date = im->v[I_DATE];
	in.inspector = im->v[I_INSPECTOR];
	in.result = im->v[I_RESULT];
	in.note = im->v[I_NOTE];
	if ((err = db(im, mc_store_inspection_upsert(im->s, &in, &id, &created))) != MC_OK)
		return err;
	return settle(im, NULL, id, created, "the same permit, on_date and inspector");
}

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

static enum mc_err yes_no(struct imp *im, int c, bool *out)
{
	const char *s = im->v[c];

	*out = false;
	if (!s || strcasecmp(s, "0") == 0 || strcasecmp(s, "no") == 0)
		return MC_OK;
	if (strcasecmp(s, "1") == 0 || strcasecmp(s, "yes") == 0) {
		*out = true;
		return MC_OK;
	}
	return reject(im, "column %s: \"%.*s\" is not 1, 0, yes or no", colname(im, c), shown(s),
		      s);
}

struct found {
	bool found;
	int64_t merged_into;
};

static enum mc_err ward_found(void *ctx, const struct mc_ward *w)
{
	struct found *f = ctx;

	f->found = true;
	f->merged_into = w->merged_into;
	return MC_OK;
}

static enum mc_err take_ward(struct imp *im)
{
	struct mc_ward w = {0};
	struct found f = {false, 0};
	int64_t id;
	enum mc_err err;

	if (!slug_ok(im->v[W_SLUG]))
		return reject(im, "column slug: \"%.*s\" is not 1 to 64 of a-z, 0-9 and -",
			      shown(im->v[W_SLUG]), im->v[W_SLUG]);
	if ((err = yes_no(im, W_SAMPLE, &w.sample)) != MC_OK)
		return err;
	/* A merge is recorded by the office, not in the file: keep it. */
	err = mc_store_ward_by_slug(im->s, im->v[W_SLUG], ward_found, &f);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	w.slug = im->v[W_SLUG];
	w.name = im->v[W_NAME];
	w.address = im->v[W_ADDRESS];
	w.phone = im->v[W_PHONE];
	w.hours = im->v[W_HOURS];
	w.intro = im->v[W_INTRO];
	w.merged_into = f.merged_into;
	if ((err = db(im, mc_store_ward_upsert(im->s, &w, &id))) != MC_OK)
		return err;
	im->last_ward = id;
	return settle(im, MC_KIND_WARD, id, !f.found, "the same slug");
}

enum { K_WARD, K_PROCEDURE, K_PERMIT, K_ANNOUNCEMENT, K_INSPECTION };

static const struct kind kinds[] = {
    [K_WARD] = {"ward", ward_cols, W_N, -1, take_ward},
    [K_PROCEDURE] = {"procedure", procedure_cols, P_N, P_WARD, take_procedure},
    [K_PERMIT] = {"permit", permit_cols, R_N, R_WARD, take_permit},
    [K_ANNOUNCEMENT] = {"announcement", announcement_cols, A_N, A_WARD, take_announcement},
    [K_INSPECTION] = {"inspection", inspection_cols, I_N, -1, take_inspection},
};

static const char *hname(const struct imp *im, size_t i)
{
	return im->hdr.data + im->hoff[i];
}

static bool has(const struct imp *im, const char *name)
{
	size_t i;

	for (i = 0; i < im->nheader; i++)
		if (strcmp(hname(im, i), name) == 0)
			return true;
	return false;
}

static const struct kind *detect(const struct imp *im)
{
	if (has(im, "tthc_code"))
		return &kinds[K_PROCEDURE];
	if (has(im, "permit_number"))
		return &kinds[K_INSPECTION];
	if (has(im, "number") && has(im, "owner_name"))
		return &kinds[K_PERMIT];
	if (has(im, "published_on"))
		return &kinds[K_ANNOUNCEMENT];
	if (has(im, "slug") && has(im, "name"))
		return &kinds[K_WARD];
	return NULL;
}

/* Header names: trimmed, ASCII lower-cased, NUL-separated in im->hdr. */
static enum mc_err header_names(struct imp *im)
{
	const char *raw;
	size_t i, j, n;
	enum mc_err err;

	if (im->too_many) {
		report(im, im->row_line, "the header has more than %d columns", CELLS_MAX);
		return MC_ERR_INVALID;
	}
	for (i = 0; i < im->ncells; i++) {
		raw = im->len[i] ? im->cells.data + im->off[i] : "";
		n = im->len[i];
		if (n > SHORT_MAX || !mc_utf8_valid(raw, n)) {
			report(im, im->row_line, "header column %zu is not a column name", i + 1);
			return MC_ERR_INVALID;
		}
		while (n > 0 && is_blank(raw[n - 1]))
			n--;
		for (; n > 0 && is_blank(*raw); n--)
			raw++;
		im->hoff[i] = im->hdr.len;
		if ((err = mc_buf_add(&im->hdr, raw, n)) != MC_OK ||
		    (err = mc_buf_putc(&im->hdr, '\0')) != MC_OK)
			return err;
		for (j = im->hoff[i]; j < im->hoff[i] + n; j++)
			if (im->hdr.data[j] >= 'A' && im->hdr.data[j] <= 'Z')
				im->hdr.data[j] += 'a' - 'A';
	}
	im->nheader = im->ncells;
	return MC_OK;
}

static int find_col(const struct kind *k, const char *name)
{
	size_t c;

	for (c = 0; c < k->ncols; c++)
		if (strcmp(k->cols[c].name, name) == 0)
			return (int)c;
	return -1;
}

/* Reports every problem of the header at once: a typo should take one round, not ten. */
static enum mc_err map_header(struct imp *im)
{
	bool present[COLS_MAX] = {false}, bad = false;
	const char *name;
	size_t i;
	int c;

	for (i = 0; i < im->nheader; i++) {
		name = hname(im, i);
		c = find_col(im->kind, name);
		if (!*name)
			report(im, im->row_line, "header column %zu has no name", i + 1);
		else if (c < 0)
			report(im, im->row_line, "unknown column \"%.*s\" in a %s file",
			       shown(name), name, im->kind->name);
		else if (present[c])
			report(im, im->row_line, "column %s appears twice", name);
		bad |= c < 0 || present[c];
		if (c >= 0)
			present[c] = true;
		im->map[i] = c;
	}
	for (i = 0; i < im->kind->ncols; i++) {
		if (im->kind->cols[i].required && !present[i]) {
			report(im, im->row_line, "missing required column %s",
			       im->kind->cols[i].name);
			bad = true;
		}
	}
	im->ward_present = im->kind->ward_col >= 0 && present[im->kind->ward_col];
	return bad ? MC_ERR_INVALID : MC_OK;
}

static enum mc_err read_header(struct imp *im)
{
	enum mc_err err;

	if ((err = header_names(im)) != MC_OK)
		return err;
	if (!(im->kind = detect(im))) {
		report(im, im->row_line,
		       "cannot tell what the file holds: the header needs tthc_code (procedures), "
		       "number and owner_name (permits), published_on (announcements), "
		       "permit_number (inspections) or slug and name (wards)");
		return MC_ERR_INVALID;
	}
	if ((err = map_header(im)) != MC_OK)
		return err;
	if (im->kind->ward_col < 0)
		return MC_OK;
	if ((err = resolve_default(im)) != MC_OK)
		return err;
	if (!im->default_ward && !im->ward_present) {
		report(im, im->row_line, "no ward column and %s", im->default_why.data);
		return MC_ERR_INVALID;
	}
	return MC_OK;
}

/* Spreadsheets like to end with rows of empty cells. */
static bool row_blank(const struct imp *im)
{
	size_t i, j;

	if (im->too_many)
		return false;
	for (i = 0; i < im->ncells; i++) {
		if (im->len[i] > CELL_RAW_MAX)
			return false;
		for (j = 0; j < im->len[i]; j++)
			if (!is_blank(im->cells.data[im->off[i] + j]))
				return false;
	}
	return true;
}

static enum mc_err take_row(struct imp *im)
{
	enum mc_err err;

	if (!im->kind)
		return read_header(im);
	if (row_blank(im))
		return MC_OK;
	if (++im->st.rows > ROWS_MAX) {
		report(im, im->row_line, "more than %ld rows: split the file", ROWS_MAX);
		return MC_ERR_TOOBIG;
	}
	err = clean_row(im);
	if (err == MC_OK)
		err = im->kind->take(im);
	if (err == MC_ERR_INVALID) {
		im->st.rejected++;
		err = MC_OK;
	}
	return err;
}

static void on_cell(void *s, size_t len, void *data)
{
	struct imp *im = data;
	enum mc_err err = MC_OK;

	if (im->fatal)
		return;
	if (im->ncells == CELLS_MAX) {
		im->too_many = true;
		return;
	}
	im->off[im->ncells] = im->cells.len;
	im->len[im->ncells] = len;
	if (len <= CELL_RAW_MAX)
		err = mc_buf_add(&im->cells, s, len);
	im->ncells++;
	im->fatal = err;
}

static void on_row(int c, void *data)
{
	struct imp *im = data;
	enum mc_err err;

	(void)c;
	im->row_done = true;
	if (!im->fatal) {
		err = take_row(im);
		if (err == MC_ERR_DB || err == MC_ERR_BUSY || err == MC_ERR_FULL)
			report(im, im->row_line, "stopped: %s: %s", mc_strerror(err),
			       mc_store_errmsg(im->s));
		else if (err && err != MC_ERR_INVALID && err != MC_ERR_TOOBIG)
			report(im, im->row_line, "stopped: %s", mc_strerror(err));
		im->fatal = err;
	}
	mc_buf_reset(&im->cells);
	im->ncells = 0;
	im->too_many = false;
}

/* Only LF ends a row, so rows and physical lines agree; a CR before it is blank space. */
static int is_term(unsigned char c)
{
	return c == '\n';
}

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool has_content(const char *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_blank(d[i]))
			return true;
	return false;
}

/* libcsv does not say where a row starts: it is fed a line (or a long line's piece) at a
 * time, and a row begins at the first piece with content while no row is open. */
static enum mc_err feed(struct imp *im, struct csv_parser *p, const char *d, size_t n)
{
	if (!im->in_row)
		im->row_line = im->line;
	im->row_done = false;
	if (csv_parse(p, d, n, on_cell, on_row, im) != n) {
		report(im, im->line,
		       "CSV syntax error: a quote inside a cell must be doubled (\"\"), and a "
		       "quoted cell must be followed by a comma or the end of the line");
		return MC_ERR_INVALID;
	}
	if (im->row_done) {
		im->in_row = false;
		im->row_bytes = 0;
	} else if (im->in_row || has_content(d, n)) {
		im->in_row = true;
		im->row_bytes += (long)n;
	}
	if (d[n - 1] == '\n')
		im->line++;
	if (!im->fatal && im->row_bytes > ROW_BYTES_MAX) {
		report(im, im->row_line,
		       "the row starting here is longer than %ld MB (a quote never "
		       "closed?)",
		       ROW_BYTES_MAX >> 20);
		return MC_ERR_TOOBIG;
	}
	return im->fatal;
}

static size_t piece_end(const char *d, size_t n, size_t i)
{
	size_t lim = n - i < PIECE_MAX ? n : i + PIECE_MAX;
	const char *nl = memchr(d + i, '\n', lim - i);

	return nl ? (size_t)(nl - d) + 1 : lim;
}

static enum mc_err parse(struct imp *im, const char *d, size_t n)
{
	struct csv_parser p;
	size_t i, end;
	enum mc_err err = MC_OK;

	if (n && !memchr(d, '\n', n) && memchr(d, '\r', n)) {
		report(im, 0, "lines end in CR alone: save the file with LF or CRLF line ends");
		return MC_ERR_INVALID;
	}
	/* Strict: a stray quote is an error, not data, and so is a quote never closed. Cells
	 * are copied with their length, so no CSV_APPEND_NULL; an empty cell is "", not NULL. */
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0)
		return MC_ERR_NOMEM;
	csv_set_term_func(&p, is_term);
	csv_set_space_func(&p, is_space);
	csv_set_blk_size(&p, 65536);
	for (i = 0; i < n && err == MC_OK; i = end) {
		end = piece_end(d, n, i);
		err = feed(im, &p, d + i, end - i);
	}
	if (err == MC_OK && csv_fini(&p, on_cell, on_row, im) != 0) {
		report(im, im->row_line, "a quoted cell is never closed");
		err = MC_ERR_INVALID;
	}
	if (err == MC_OK)
		err = im->fatal;
	csv_free(&p);
	return err;
}

static enum mc_err read_file(struct imp *im, struct mc_buf *out)
{
	char chunk[65536];
	FILE *f = fopen(im->path, "rb");
	enum mc_err err = MC_OK;
	size_t got;

	if (!f) {
		report(im, 0, "cannot open: %s", strerror(errno));
		return errno == ENOENT ? MC_ERR_NOTFOUND : MC_ERR_IO;
	}
	while (err == MC_OK && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (out->len + got > (size_t)FILE_MAX) {
			report(im, 0, "larger than %ld MB", FILE_MAX >> 20);
			err = MC_ERR_TOOBIG;
		} else {
			err = mc_buf_add(out, chunk, got);
		}
	}
	if (err == MC_OK && ferror(f)) {
		report(im, 0, "cannot read: %s", strerror(errno));
		err = MC_ERR_IO;
	}
	fclose(f);
	return err;
}

static void imp_finish(struct imp *im)
{
	size_t i;

	if (!im)
		return;
	mc_buf_finish(&im->hdr);
	mc_buf_finish(&im->cells);
	for (i = 0; i < COLS_MAX; i++)
		mc_buf_finish(&im->val[i]);
	mc_buf_finish(&im->tmp);
	mc_buf_finish(&im->default_why);
	mc_buf_finish(&im->ward_cache);
	free(im->seen.id);
	free(im->seen.line);
	free(im);
}

static struct imp *imp_new(struct mc_store *s, const char *path, const char *ward_slug, FILE *errs)
{
	struct imp *im = calloc(1, sizeof *im);
	size_t i;

	if (!im)
		return NULL;
	im->s = s;
	im->path = path;
	im->ward_slug = ward_slug;
	im->errs = errs;
	im->line = 1;
	mc_buf_init(&im->hdr);
	mc_buf_init(&im->cells);
	for (i = 0; i < COLS_MAX; i++)
		mc_buf_init(&im->val[i]);
	mc_buf_init(&im->tmp);
	mc_buf_init(&im->default_why);
	mc_buf_init(&im->ward_cache);
	return im;
}

enum mc_err mc_csvimport_in_tx(struct mc_store *s, const char *path, const char *ward_slug,
			       struct mc_import_stats *stats, FILE *errs, int64_t *last_ward)
{
	static const char bom[] = "\xEF\xBB\xBF";
	struct imp *im = NULL;
	struct mc_buf data;
	size_t skip;
	enum mc_err err;

	mc_buf_init(&data);
	if (!s || !path)
		return MC_ERR_INVALID;
	if (!(im = imp_new(s, path, ward_slug, errs))) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	/* An empty file leaves data.data NULL, and NULL + 0 is undefined behaviour. */
	if ((err = read_file(im, &data)) != MC_OK || (err = mc_buf_add(&data, "", 0)) != MC_OK)
		goto fail;
	skip = data.len >= 3 && memcmp(data.data, bom, 3) == 0 ? 3 : 0;
	if ((err = parse(im, data.data + skip, data.len - skip)) != MC_OK)
		goto fail;
	if (!im->kind) {
		report(im, 0, "the file is empty: it needs a header row");
		err = MC_ERR_INVALID;
	} else if (im->st.rejected) {
		err = MC_ERR_INVALID;
	}
fail:
	if (im && errs && im->messages > MESSAGES_MAX)
		fprintf(errs, "%s: %ld more problems not shown\n", path,
			im->messages - MESSAGES_MAX);
	if (stats)
		*stats = im ? im->st : (struct mc_import_stats){0};
	if (last_ward)
		*last_ward = im ? im->last_ward : 0;
	imp_finish(im);
	mc_buf_finish(&data);
	return err;
}

enum mc_err mc_csvimport_file(struct mc_store *s, const char *path, const char *ward_slug,
			      struct mc_import_stats *stats, FILE *errs)
{
	struct mc_import_stats st = {0};
	enum mc_err err;

	if (!s || !path)
		return MC_ERR_INVALID;
	if ((err = mc_store_begin(s)) != MC_OK) {
		if (errs)
			fprintf(errs, "%s: cannot start a transaction: %s\n", path,
				mc_store_errmsg(s));
		goto fail;
	}
	err = mc_csvimport_in_tx(s, path, ward_slug, &st, errs, NULL);
	if (err == MC_OK && (err = mc_store_commit(s)) != MC_OK && errs)
		fprintf(errs, "%s: cannot commit: %s\n", path, mc_store_errmsg(s));
fail:
	if (err != MC_OK) {
		mc_store_rollback(s);
		st.created = st.updated = 0;
	}
	if (stats)
		*stats = st;
	return err;
}
