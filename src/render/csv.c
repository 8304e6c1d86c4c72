/* CSV cells that stay text in a spreadsheet (csv.h). A cell is split only where it is not
 * quoted, so every separator either program may use is quoted; a formula is run only from
 * a cell's start, so a risky start is defused with an apostrophe. */
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

bool mc_csv_risky(const char *text)
{
	const char *p = text ? text : "";

	if (*p == '\t' || *p == '\r' || *p == '\n')
		return true;
	while (*p == ' ')
		p++;
	return (*p && strchr("=+-@", *p)) || (*p && p[1] && full_width_trigger(p));
}

enum mc_err mc_csv_cell(struct mc_buf *b, const char *text, char sep)
{
	const char *v = text ? text : "";
	bool risky = mc_csv_risky(v);
	enum mc_err err = MC_OK;

	if (risky || strpbrk(v, ",;\"\t\r\n")) {
		err = mc_buf_putc(b, '"');
		if (err == MC_OK && risky)
			err = mc_buf_putc(b, '\'');
		for (; err == MC_OK && *v; v++)
			err = *v == '"' ? mc_buf_puts(b, "\"\"") : mc_buf_putc(b, *v);
		if (err == MC_OK)
			err = mc_buf_putc(b, '"');
	} else {
		err = mc_buf_puts(b, v);
	}
	if (err == MC_OK)
		err = sep ? mc_buf_putc(b, sep) : mc_buf_puts(b, "\r\n");
	return err;
}
