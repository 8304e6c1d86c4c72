/* The one escaping writer: every value a template shows goes through it. */

#include "motcham/render/template.h"

#include <stddef.h>

enum mc_err mc_html_escape(struct mc_buf *out, const char *s, size_t len)
{
	enum mc_err err;
	size_t i, run = 0;
	const char *rep;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		if ((err = mc_buf_add(out, s + run, i - run)) != MC_OK)
			return err;
		if ((err = mc_buf_puts(out, rep)) != MC_OK)
			return err;
		run = i + 1;
	}
	return mc_buf_add(out, s + run, len - run);
}
