#ifndef MOTCHAM_XLSX_H
#define MOTCHAM_XLSX_H

/* .xlsx workbooks for people's spreadsheets (Debian's libxlsxwriter): one sheet, written a
 * row at a time. Text typed by others is always a string cell, never a formula, whatever it
 * starts with, and Excel and LibreOffice show it as it was typed. */

#include <stddef.h>

#include "motcham/base/err.h"

struct mc_xlsx;

/* A new workbook in a temporary file in dir (NULL: $TMPDIR, else /tmp), where
 * libxlsxwriter keeps its own temporary files too. Rows go in order, each written whole
 * before the next (its constant-memory mode: memory stays small however long the sheet).
 * MC_OK with *out (mc_xlsx_destroy it); MC_ERR_IO when no file can be made in dir,
 * MC_ERR_NOMEM, with *out NULL. */
enum mc_err mc_xlsx_create(const char *dir, struct mc_xlsx **out);
/* Row 0: the n titles in bold, kept in view while the sheet scrolls, and column i about
 * widths[i] characters wide (widths may be NULL). Before any other row. */
enum mc_err mc_xlsx_head(struct mc_xlsx *x, const char *const *titles, const double *widths,
			 size_t n);
/* text (NULL or "": an empty cell) as a string cell at row, col; row is 1 or more and not
 * before a row already written. MC_ERR_INVALID for a row out of order or a cell past the
 * sheet's last row or column, MC_ERR_NOMEM, MC_ERR_IO (libxlsxwriter could not write its
 * temporary file). */
enum mc_err mc_xlsx_text(struct mc_xlsx *x, unsigned row, unsigned col, const char *text);
/* n as a number cell at row, col, under the same rules as mc_xlsx_text. */
enum mc_err mc_xlsx_number(struct mc_xlsx *x, unsigned row, unsigned col, double n);
/* Writes the workbook out and hands it over: MC_OK with *fd open for reading at offset 0
 * on the whole file, *size bytes long, its name already removed (closing *fd frees it);
 * the caller closes *fd. MC_ERR_IO or MC_ERR_NOMEM when it could not be written, with *fd
 * -1 and nothing left on disk. Only mc_xlsx_destroy may follow, either way. */
enum mc_err mc_xlsx_close(struct mc_xlsx *x, int *fd, unsigned long long *size);
/* Frees x (NULL is fine) and removes its temporary file if mc_xlsx_close did not hand it
 * over. */
void mc_xlsx_destroy(struct mc_xlsx *x);

#endif
