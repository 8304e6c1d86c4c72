#ifndef MOTCHAM_IMPORT_PRIVATE_H
#define MOTCHAM_IMPORT_PRIVATE_H

/* The CSV import's internals, shared by the files of src/import/ and by nothing else. A file
 * is read (csv.c), its header tells its kind apart, each row's cells are cleaned and checked
 * (cells.c) and handed to its kind (procedures.c, permits.c, announcements.c, inspections.c,
 * wards.c), all inside the one transaction the driver (import.c) keeps or rolls back. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "motcham/base/buf.h"
#include "motcham/import/csvimport.h"
#include "motcham/store/store.h"

/* Bounds on what a file may ask of us: the ones several files share (each file keeps its own). */
#define CELLS_MAX 64
#define SHORT_MAX 500
#define TEXT_MAX 20000
/* Before NFC a cell may be longer than its limit; far longer is refused without a look. */
#define CELL_RAW_MAX (4 * TEXT_MAX)
#define DOCS_MAX 100
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

struct imp;

/* One kind of file, told apart by its header (csv.c): its columns and what takes a row. */
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

/* One file being imported: everything the files below share. */
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
	long shift_days; /* added to every date read (the demo's dates follow today) */
};

/* Blank space in a cell or a header name. */
static inline bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* import.c: the all-or-nothing driver, its messages, and what every kind of row shares on its
 * way into the store. */

/* Prints "FILE:LINE: message" to errs (line 0: the file as a whole); the first hundred
 * messages only, the rest counted. */
void import_report(struct imp *im, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reports why the current row is refused; the caller returns what this returns. */
enum mc_err import_reject(struct imp *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* How many bytes of a value to quote in a message: long values are cut at a character. */
int import_shown(const char *s);
/* Takes the row csv.c has just read: the header first, then one record a row. */
enum mc_err import_row(struct imp *im);
/* The ward of rows without a ward cell: the one the caller named, else the only one. */
enum mc_err import_default_ward(struct imp *im);
/* The ward of the current row: its ward cell, else the default. */
enum mc_err import_row_ward(struct imp *im, int64_t *id);
/* Passes err on, except that the store's refusal of the row (MC_ERR_INVALID, MC_ERR_EXISTS)
 * becomes the row's rejection. */
enum mc_err import_db(struct imp *im, enum mc_err err);
/* After an upsert: refuses a second row for the same record, gives a new record its code
 * (kind NULL: records without codes) and counts it. */
enum mc_err import_settle(struct imp *im, const char *kind, int64_t id, bool created,
			  const char *what);

/* csv.c: reading the file (bounds, BOM, libcsv) and its header row. */

/* Reads im->path whole and feeds it to libcsv, each row to import_row. */
enum mc_err csv_read(struct imp *im);
/* Reads the header row: tells the kind of file apart and maps its columns. */
enum mc_err csv_header(struct imp *im);
/* True when every cell of the current row is blank. */
bool csv_row_blank(const struct imp *im);

/* cells.c: the rules a cell's text must follow, and the checks that apply them to a column
 * of the current row, reporting a refusal (MC_ERR_INVALID). */

/* Cleans every cell of the current row into im->v and checks lengths and required columns. */
enum mc_err cell_clean_row(struct imp *im);
/* Column c, when not empty, is a valid date (YYYY-MM-DD). */
enum mc_err cell_date(struct imp *im, int c);
/* Column later's date is not before column earlier's (when both are given). */
enum mc_err cell_not_before(struct imp *im, int later, int earlier);

/* A stored word and its spellings, folded (see mc_utf8_fold). */
struct word {
	const char *value;
	const char *en;
	const char *vi;
};

/* Column c is one of words (ending in a NULL value); help lists them for the message. */
enum mc_err cell_pick(struct imp *im, int c, const struct word *words, const char *help,
		      const char **out);

/* The numbers a measure may take. */
struct range {
	double lo, hi;
	bool lo_open; /* lo itself is not allowed */
	bool whole;
	const char *text;
};

/* Column c is a number in r; an empty cell reads as 0: not known. */
enum mc_err cell_measure(struct imp *im, int c, const struct range *r, double *out);
/* Column c, when not empty, is a procedure code (mã TTHC) like 1.001193. */
enum mc_err cell_tthc(struct imp *im, int c);
/* Column c, when not empty, is an http(s):// address. */
enum mc_err cell_url(struct imp *im, int c);
/* Column c, when not empty, is a slug: 1 to 64 of a-z, 0-9 and -. */
enum mc_err cell_slug(struct imp *im, int c);
/* Column c, when not empty, is 1, 0, yes or no. */
enum mc_err cell_yes_no(struct imp *im, int c, bool *out);
/* Appends column c's document lines to im->docs as kind; *n counts them. */
enum mc_err cell_docs(struct imp *im, int c, enum mc_doc_kind kind, size_t *n);

/* procedures.c, permits.c, announcements.c, inspections.c, wards.c: one kind of row each. */
extern const struct kind procedure_kind;
extern const struct kind permit_kind;
extern const struct kind announcement_kind;
extern const struct kind inspection_kind;
extern const struct kind ward_kind;

#endif
