/* One-sheet .xlsx workbooks (xlsx.h) with Debian's libxlsxwriter. Text goes in with
 * worksheet_write_string only, so it is a string cell whatever it starts with (no '=' makes
 * a formula, no apostrophe is needed). Debian's libxlsxwriter (1.1.4) writes only to a file
 * it opens by name (output_buffer came in 1.1.5), so the workbook is a temporary file made
 * here, given back as an open descriptor with its name already removed: it is sent from
 * there, never held in memory, and gone when the descriptor is closed. */
#include "motcham/render/xlsx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "motcham/base/buf.h"

/* The most characters a cell holds: Excel's limit, and libxlsxwriter's. */
#define CELL_MAX 32767

struct mc_xlsx {
	lxw_workbook *wb; /* NULL once closed */
	lxw_worksheet *ws;
	lxw_format *bold;
	char *path;	    /* the temporary file's name while it has one, else NULL */
	int fd;		    /* the temporary file, open since mkstemp made it */
	unsigned row;	    /* the row being written: no cell may go before it */
	struct mc_buf text; /* a cell's text as written */
};

static enum mc_err err_of(lxw_error e)
{
	switch (e) {
	case LXW_NO_ERROR:
		return MC_OK;
	case LXW_ERROR_MEMORY_MALLOC_FAILED:
		return MC_ERR_NOMEM;
	case LXW_ERROR_CREATING_XLSX_FILE:
	case LXW_ERROR_CREATING_TMPFILE:
	case LXW_ERROR_READING_TMPFILE:
	case LXW_ERROR_ZIP_FILE_OPERATION:
	case LXW_ERROR_ZIP_PARAMETER_ERROR:
	case LXW_ERROR_ZIP_BAD_ZIP_FILE:
	case LXW_ERROR_ZIP_INTERNAL_ERROR:
	case LXW_ERROR_ZIP_FILE_ADD:
	case LXW_ERROR_ZIP_CLOSE:
		return MC_ERR_IO;
	case LXW_ERROR_WORKSHEET_INDEX_OUT_OF_RANGE:
		return MC_ERR_INVALID;
	default:
		return MC_ERR_INTERNAL;
	}
}

/* Removes the file's name, once. */
static void forget_name(struct mc_xlsx *x)
{
	if (x->path) {
		unlink(x->path);
		free(x->path);
		x->path = NULL;
	}
}

enum mc_err mc_xlsx_create(const char *dir, struct mc_xlsx **out)
{
	lxw_workbook_options opts = {.constant_memory = LXW_TRUE, .use_zip64 = LXW_FALSE};
	struct mc_xlsx *x;
	struct mc_buf path;
	enum mc_err err = MC_ERR_NOMEM;

	*out = NULL;
	if (!dir)
		dir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	if (!(x = calloc(1, sizeof(*x))))
		return MC_ERR_NOMEM;
	x->fd = -1;
	mc_buf_init(&x->text);
	mc_buf_init(&path);
	if (mc_buf_printf(&path, "%s/motcham-xlsx-XXXXXX", dir) != MC_OK)
		goto fail;
	if ((x->fd = mkostemp(path.data, O_CLOEXEC)) < 0) {
		err = errno == ENOMEM ? MC_ERR_NOMEM : MC_ERR_IO;
		goto fail;
	}
	x->path = mc_buf_steal(&path);
	opts.tmpdir = (char *)dir;
	if (!x->path || !(x->wb = workbook_new_opt(x->path, &opts)) ||
	    !(x->bold = workbook_add_format(x->wb)))
		goto fail;
	/* In constant-memory mode the sheet's rows go to a temporary file of libxlsxwriter's
	 * own in dir: failing here, it could not make one. */
	if (!(x->ws = workbook_add_worksheet(x->wb, NULL))) {
		err = MC_ERR_IO;
		goto fail;
	}
	format_set_bold(x->bold);
	*out = x;
	return MC_OK;
fail:
	mc_buf_finish(&path);
	mc_xlsx_destroy(x);
	return err;
}

/* Excel and LibreOffice read _xHHHH_ in a string as the character U+HHHH (ECMA-376,
 * ST_Xstring), and libxlsxwriter writes such text as it is: typed "_x202E_" would show as a
 * right-to-left override (which the forms refuse), "_x003D_" as '='. So the '_' that opens
 * one is written as _x005F_, the escape of '_' itself, and the cell shows what was typed. */
static bool hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool opens_escape(const char *p)
{
	return p[0] == '_' && p[1] == 'x' && hex(p[2]) && hex(p[3]) && hex(p[4]) && hex(p[5]) &&
	       p[6] == '_';
}

/* Characters as libxlsxwriter counts them against CELL_MAX: UTF-8 lead bytes. */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

/* text as the cell is to hold it, in x->text; text itself when it needs no escape, or when
 * its escapes would pass CELL_MAX (3,000 of them in one cell: it is still a string). */
static enum mc_err escaped(struct mc_xlsx *x, const char *text, const char **out)
{
	size_t n = 0;
	enum mc_err err = MC_OK;

	*out = text;
	for (const char *p = strchr(text, '_'); p; p = strchr(p + 1, '_'))
		n += opens_escape(p);
	if (!n || chars(text) + 6 * n > CELL_MAX)
		return MC_OK;
	mc_buf_reset(&x->text);
	for (const char *p = text; err == MC_OK && *p; p++)
		err =
		    opens_escape(p) ? mc_buf_puts(&x->text, "_x005F_") : mc_buf_putc(&x->text, *p);
	if (err == MC_OK)
		*out = x->text.data;
	return err;
}

/* Whether a cell may go at row, col: on an open workbook, on a sheet, not before the row
 * being written. It is then the row being written. */
static bool place(struct mc_xlsx *x, unsigned row, unsigned col)
{
	if (!x->wb || row < x->row || row >= LXW_ROW_MAX || col >= LXW_COL_MAX)
		return false;
	x->row = row;
	return true;
}

static enum mc_err cell(struct mc_xlsx *x, unsigned row, unsigned col, const char *text,
			lxw_format *f)
{
	const char *v;
	enum mc_err err;

	if (!place(x, row, col))
		return MC_ERR_INVALID;
	if ((err = escaped(x, text ? text : "", &v)) != MC_OK)
		return err;
	return err_of(worksheet_write_string(x->ws, row, (lxw_col_t)col, v, f));
}

enum mc_err mc_xlsx_head(struct mc_xlsx *x, const char *const *titles, const double *widths,
			 size_t n)
{
	enum mc_err err = MC_OK;

	if (!x->wb || x->row > 0 || n > LXW_COL_MAX)
		return MC_ERR_INVALID;
	/* Widths first: in constant-memory mode a column's width goes before its cells. */
	for (size_t i = 0; err == MC_OK && widths && i < n; i++)
		err = err_of(
		    worksheet_set_column(x->ws, (lxw_col_t)i, (lxw_col_t)i, widths[i], NULL));
	for (size_t i = 0; err == MC_OK && i < n; i++)
		err = cell(x, 0, (unsigned)i, titles[i], x->bold);
	if (err == MC_OK)
		worksheet_freeze_panes(x->ws, 1, 0);
	return err;
}

enum mc_err mc_xlsx_text(struct mc_xlsx *x, unsigned row, unsigned col, const char *text)
{
	return row == 0 ? MC_ERR_INVALID : cell(x, row, col, text, NULL);
}

enum mc_err mc_xlsx_number(struct mc_xlsx *x, unsigned row, unsigned col, double n)
{
	if (row == 0 || !place(x, row, col))
		return MC_ERR_INVALID;
	return err_of(worksheet_write_number(x->ws, row, (lxw_col_t)col, n, NULL));
}

enum mc_err mc_xlsx_close(struct mc_xlsx *x, int *fd, unsigned long long *size)
{
	struct stat mine, named;
	enum mc_err err;

	*fd = -1;
	*size = 0;
	if (!x->wb)
		return MC_ERR_INVALID;
	/* workbook_close frees the workbook whatever it returns. */
	err = err_of(workbook_close(x->wb));
	x->wb = NULL;
	/* libxlsxwriter wrote to the name: it must still be the file made for it, or what is
	 * sent would not be what it wrote. */
	if (err == MC_OK &&
	    (fstat(x->fd, &mine) != 0 || stat(x->path, &named) != 0 ||
	     mine.st_dev != named.st_dev || mine.st_ino != named.st_ino || mine.st_size <= 0))
		err = MC_ERR_IO;
	forget_name(x);
	if (err != MC_OK)
		return err;
	*fd = x->fd;
	*size = (unsigned long long)mine.st_size;
	x->fd = -1;
	return MC_OK;
}

void mc_xlsx_destroy(struct mc_xlsx *x)
{
	if (!x)
		return;
	/* Freed without being written: lxw_workbook_free (1.1.4) leaves the sheet's file of
	 * rows open, so it is closed here (only workbook_close closes it otherwise). */
	if (x->wb && x->ws && x->ws->optimize_tmpfile) {
		fclose(x->ws->optimize_tmpfile);
		x->ws->optimize_tmpfile = NULL;
		x->ws->file = NULL;
	}
	lxw_workbook_free(x->wb);
	forget_name(x);
	if (x->fd >= 0)
		close(x->fd);
	mc_buf_finish(&x->text);
	free(x);
}
