/* The one escaping writer: every value a template shows goes through it. */

#include "motcham/render/template.h"

#include <stddef.h>
#include <stdint.h>

#include <unistr.h>

/* U+FFFD, written where a value holds what no XML document may: the pages are HTML, but the
 * same values go into XML (the keychain SVG, the Atom feeds, the sitemaps), where one such
 * character makes the whole document unreadable. */
#define REPLACEMENT "\xEF\xBF\xBD"

/* How many bytes at s[0..n) (n > 0) to replace: 0 when s starts a character XML 1.0 allows,
 * else the bytes of the one it does not (a C0 control other than tab, LF and CR; U+FFFE or
 * U+FFFF; or a byte that starts no well-formed UTF-8 sequence, taken alone). */
static size_t unfit(const char *s, size_t n, size_t *len)
{
	unsigned char c = (unsigned char)s[0];
	ucs4_t cp;
	int k;

	*len = 1;
	if (c < 0x80)
		return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
	if ((k = u8_mbtoucr(&cp, (const uint8_t *)s, n)) < 0)
		return 1;
	*len = (size_t)k;
	return cp == 0xFFFE || cp == 0xFFFF ? *len : 0;
}

enum mc_err mc_html_escape(struct mc_buf *out, const char *s, size_t len)
{
	enum mc_err err;
	size_t i, run = 0, step, bad;
	const char *rep;

	for (i = 0; i < len; i += step) {
		step = 1;
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
			if ((unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x80)
				continue;
			if (!(bad = unfit(s + i, len - i, &step)))
				continue;
			rep = REPLACEMENT;
			step = bad;
		}
		if ((err = mc_buf_add(out, s + run, i - run)) != MC_OK)
			return err;
		if ((err = mc_buf_puts(out, rep)) != MC_OK)
			return err;
		run = i + step;
	}
	return mc_buf_add(out, s + run, len - run);
}
