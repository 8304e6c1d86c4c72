/* Reading a CSV file: its bounds, the byte order mark, libcsv fed a line at a time so that
 * every message can name its line, and the header row that tells the kind of file apart and
 * maps its columns. */

#include "private.h"

#include <csv.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/base/utf8.h"
#include "motcham/store/store.h"

#define FILE_MAX (50L * 1024 * 1024)
#define ROW_BYTES_MAX (4L * 1024 * 1024)
#define PIECE_MAX 65536

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
		return &procedure_kind;
	if (has(im, "permit_number"))
		return &inspection_kind;
	if (has(im, "number") && has(im, "owner_name"))
		return &permit_kind;
	if (has(im, "published_on"))
		return &announcement_kind;
	if (has(im, "slug") && has(im, "name"))
		return &ward_kind;
	return NULL;
}

/* Header names: trimmed, ASCII lower-cased, NUL-separated in im->hdr. */
static enum mc_err header_names(struct imp *im)
{
	const char *raw;
	size_t i, j, n;
	enum mc_err err;

	if (im->too_many) {
		import_report(im, im->row_line, "the header has more than %d columns", CELLS_MAX);
		return MC_ERR_INVALID;
	}
	for (i = 0; i < im->ncells; i++) {
		raw = im->len[i] ? im->cells.data + im->off[i] : "";
		n = im->len[i];
		if (n > SHORT_MAX || !mc_utf8_valid(raw, n)) {
			import_report(im, im->row_line, "header column %zu is not a column name",
				      i + 1);
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
			import_report(im, im->row_line, "header column %zu has no name", i + 1);
		else if (c < 0)
			import_report(im, im->row_line, "unknown column \"%.*s\" in a %s file",
				      import_shown(name), name, im->kind->name);
		else if (present[c])
			import_report(im, im->row_line, "column %s appears twice", name);
		bad |= c < 0 || present[c];
		if (c >= 0)
			present[c] = true;
		im->map[i] = c;
	}
	for (i = 0; i < im->kind->ncols; i++) {
		if (im->kind->cols[i].required && !present[i]) {
			import_report(im, im->row_line, "missing required column %s",
				      im->kind->cols[i].name);
			bad = true;
		}
	}
	im->ward_present = im->kind->ward_col >= 0 && present[im->kind->ward_col];
	return bad ? MC_ERR_INVALID : MC_OK;
}

enum mc_err csv_header(struct imp *im)
{
	enum mc_err err;

	if ((err = header_names(im)) != MC_OK)
		return err;
	if (!(im->kind = detect(im))) {
		import_report(
		    im, im->row_line,
		    "cannot tell what the file holds: the header needs tthc_code (procedures), "
		    "number and owner_name (permits), published_on (announcements), "
		    "permit_number (inspections) or slug and name (wards)");
		return MC_ERR_INVALID;
	}
	if ((err = map_header(im)) != MC_OK)
		return err;
	if (im->kind->ward_col < 0)
		return MC_OK;
	if ((err = import_default_ward(im)) != MC_OK)
		return err;
	if (!im->default_ward && !im->ward_present) {
		import_report(im, im->row_line, "no ward column and %s", im->default_why.data);
		return MC_ERR_INVALID;
	}
	return MC_OK;
}

/* Spreadsheets like to end with rows of empty cells. */
bool csv_row_blank(const struct imp *im)
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
		err = import_row(im);
		if (err == MC_ERR_DB || err == MC_ERR_BUSY || err == MC_ERR_FULL)
			import_report(im, im->row_line, "stopped: %s: %s", mc_strerror(err),
				      mc_store_errmsg(im->s));
		else if (err && err != MC_ERR_INVALID && err != MC_ERR_TOOBIG)
			import_report(im, im->row_line, "stopped: %s", mc_strerror(err));
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
		import_report(
		    im, im->line,
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
		import_report(im, im->row_line,
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
		import_report(im, 0,
			      "lines end in CR alone: save the file with LF or CRLF line ends");
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
		import_report(im, im->row_line, "a quoted cell is never closed");
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
		import_report(im, 0, "cannot open: %s", strerror(errno));
		return errno == ENOENT ? MC_ERR_NOTFOUND : MC_ERR_IO;
	}
	while (err == MC_OK && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (out->len + got > (size_t)FILE_MAX) {
			import_report(im, 0, "larger than %ld MB", FILE_MAX >> 20);
			err = MC_ERR_TOOBIG;
		} else {
			err = mc_buf_add(out, chunk, got);
		}
	}
	if (err == MC_OK && ferror(f)) {
		import_report(im, 0, "cannot read: %s", strerror(errno));
		err = MC_ERR_IO;
	}
	fclose(f);
	return err;
}

enum mc_err csv_read(struct imp *im)
{
	static const char bom[] = "\xEF\xBB\xBF";
	struct mc_buf data;
	size_t skip;
	enum mc_err err;

	mc_buf_init(&data);
	/* An empty file leaves data.data NULL, and NULL + 0 is undefined behaviour. */
	if ((err = read_file(im, &data)) != MC_OK || (err = mc_buf_add(&data, "", 0)) != MC_OK)
		goto fail;
	skip = data.len >= 3 && memcmp(data.data, bom, 3) == 0 ? 3 : 0;
	err = parse(im, data.data + skip, data.len - skip);
fail:
	mc_buf_finish(&data);
	return err;
}
