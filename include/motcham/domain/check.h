#ifndef MOTCHAM_DOMAIN_CHECK_H
#define MOTCHAM_DOMAIN_CHECK_H

/* The input rules, one function each (like kcgi's validators): the CSV import, the staff
 * forms, the route table and the pages all ask these, so a value one of them accepts the
 * others accept too. Pure functions of the text: no I/O, no messages (each caller words its
 * own refusal, in its own language: the import speaks English to the file's author, the
 * forms Vietnamese to the staff). Dates are base/date.h's mc_date_valid. */

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

#define MC_CHECK_SLUG_MAX 64
#define MC_CHECK_TTHC_MAX 20
#define MC_CHECK_COUNT_MAX 20 /* originals or copies of one document */

/* A ward's slug: 1 to 64 of a-z, 0-9 and -. */
bool mc_check_slug(const char *s);
/* A procedure code (mã TTHC), like 1.001193: digits and single dots, a digit at both ends,
 * at most 20 bytes. */
bool mc_check_tthc(const char *s);
/* A count of originals or copies: one or two digits, 0 to 20. *out receives it. */
bool mc_check_count(const char *s, int *out);
/* A number as people here write it: digits with at most one decimal mark, '.' or ',' (the
 * Vietnamese mark), at least one digit on each side of it; no sign, exponent or grouping.
 * At most 12 digits. *whole tells whether it had no mark. */
bool mc_check_decimal(const char *s, double *out, bool *whole);
/* A web address a page may link to: http:// or https:// in any letter case, then at least
 * one byte and no blank, control byte, quote, angle bracket, backslash or backtick. */
bool mc_check_web_address(const char *s);
/* Writes the scheme of an address that passed mc_check_web_address in lower case, in place
 * ("HTTPS://x" becomes "https://x"), so every stored address looks the same. */
void mc_check_web_address_tidy(char *s);

/* Text a record may hold, beyond well-formed UTF-8 (mc_utf8_valid, checked first): no
 * non-character (U+FDD0 to U+FDEF, and the last two code points of every plane: U+FFFE,
 * U+FFFF, U+1FFFE ... U+10FFFF), which XML and many readers refuse, and no bidirectional
 * embedding, override or isolate (U+202A to U+202E, U+2066 to U+2069), which shows text in
 * another order than it is stored ("permit\u202Etxt.exe"), so a record could read as
 * another. The forms, the import and upload names all ask this one rule. False for the first
 * character refused, its code point into *bad (may be NULL); also false for a sequence that
 * is not UTF-8. */
bool mc_check_text(const char *s, size_t n, unsigned *bad);

/* Tidies text as typed or exported: lines may end in LF, CRLF or CR and all become LF;
 * trailing blanks of each line go, and so do blank lines at both ends (and, for a list of one
 * item per line, blanks before each item and blank lines between items). Writes the result
 * to out, reset first (empty for blank text). MC_ERR_NOMEM. */
enum mc_err mc_check_tidy(const char *s, size_t n, bool list, struct mc_buf *out);
/* In place: drops spaces and tabs at both ends; returns the start of what is left. */
char *mc_check_trim(char *s);

/* One line of a procedure's document list: "Name | originals | copies", each part trimmed,
 * the counts optional (1 original, 0 copies when left out). */
enum mc_doc_fault {
	MC_DOC_LINE_OK,
	MC_DOC_LINE_SHAPE,     /* more than three parts */
	MC_DOC_LINE_NO_NAME,   /* the name is empty */
	MC_DOC_LINE_ORIGINALS, /* the originals are not a count */
	MC_DOC_LINE_COPIES,    /* the copies are not a count */
};
struct mc_doc_line {
	const char *name; /* points into the line */
	int originals, copies;
	const char *part[3]; /* the trimmed parts, for a message to quote (NULL past the last) */
};
/* Reads line in place (it is cut at the bars and trimmed) into d. */
enum mc_doc_fault mc_check_doc_line(char *line, struct mc_doc_line *d);

#endif
