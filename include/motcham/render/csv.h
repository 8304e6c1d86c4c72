#ifndef MOTCHAM_CSV_H
#define MOTCHAM_CSV_H

/* CSV for people's spreadsheets (RFC 4180, written once for every export: the supervisors'
 * lists, gen's manifest.csv). Text typed by others must stay text when the file is opened
 * in Excel or LibreOffice, whichever list separator they use (',' or ';'). */

#include <stdbool.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

/* Whether a spreadsheet could take text as a formula or a command: its first character
 * other than spaces and quotes is =, +, -, @ (or their full-width forms), or it starts with
 * a tab, a carriage return or a line feed. */
bool mc_csv_risky(const char *text);
/* Appends text (NULL: empty) as one cell, then sep, or CRLF when sep is 0. A cell is quoted,
 * its quotes doubled, when it holds a ',' a ';' a quote, a tab or a line break; a risky one
 * (mc_csv_risky) gets a leading apostrophe inside the quotes, which shows it as the text it
 * is, and so does every place inside it where a reader with another separator would start a
 * field that is a formula (after a ',' ';' tab or line break, past spaces and quotes). */
enum mc_err mc_csv_cell(struct mc_buf *b, const char *text, char sep);

#endif
