/* CSV cells that stay text in a spreadsheet (csv.h). Excel and LibreOffice run a formula
 * from the start of a field, and a reader whose separator is not ours splits our cells where
 * we did not: at a ';' or ',' inside a quoted cell, or at a line break. So a trigger at the
 * cell's start, and one just after any such character inside it, is defused with an
 * apostrophe, whatever quotes or spaces stand between. */
#include "motcham/render/csv.h"

#include <string.h>

/* The full-width = + - @ (U+FF1D, U+FF0B, U+FF0D, U+FF20): some spreadsheets take them for
 * the ASCII ones. */
static bool full_width_trigger(const char *s)
{
	return (unsigned char)s[0] == 0xEF && (unsigned char)s[1] == 0xBC &&
	       ((unsigned char)s[2] == 0x9D || (unsigned char)s[2] == 0x8B ||
		(unsigned char)s[2] == 0x8D || (unsigned char)s[2] == 0xA0);
}

static bool trigger(const char *p)
{
	return (*p && strchr("=+-@", *p)) || (p[0] && p[1] && full_width_trigger(p));
}

/* Where another reader may start a field: its separators, and a line break. */
static bool boundary(char c)
{
	return c == ',' || c == ';' || c == '\t' || c == '\r' || c == '\n';
}

/* A field starting at p would be a formula, past spaces and quotes. */
static bool field_risky(const char *p)
{
	while (*p == ' ' || *p == '"')
		p++;
	return trigger(p);
}

bool mc_csv_risky(const char *text)
{
	const char *p = text ? text : "";

	return *p == '\t' || *p == '\r' || *p == '\n' || field_risky(p);
}

enum mc_err mc_csv_cell(struct mc_buf *b, const char *text, char sep)
{
	const char *v = text ? text : "";
	bool risky = mc_csv_risky(v);
	enum mc_err err = MC_OK;

	if (!risky && !strpbrk(v, ",;\"\t\r\n"))
		err = mc_buf_puts(b, v);
	else {
		err = mc_buf_putc(b, '"');
		if (err == MC_OK && risky)
			err = mc_buf_putc(b, '\'');
		for (; err == MC_OK && *v; v++) {
			err = *v == '"' ? mc_buf_puts(b, "\"\"") : mc_buf_putc(b, *v);
			if (err == MC_OK && boundary(*v) && field_risky(v + 1))
				err = mc_buf_putc(b, '\'');
		}
		if (err == MC_OK)
			err = mc_buf_putc(b, '"');
	}
	if (err == MC_OK)
		err = sep ? mc_buf_putc(b, sep) : mc_buf_puts(b, "\r\n");
	return err;
}
