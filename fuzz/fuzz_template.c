/* Templates from arbitrary bytes, rendered against a small data tree; and the escaping
 * property: "{{x}}" with x = the input never lets markup through and loses nothing but what
 * no XML may hold (written as U+FFFD). */

#include <stdint.h>
#include <string.h>

#include <unistr.h>

#include "fuzz.h"
#include "motcham/base/buf.h"
#include "motcham/render/template.h"

static struct mc_tdata *make_data(const char *x, size_t xlen)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *root, *o, *ward;
	enum mc_err err = MC_OK;

	FUZZ_CHECK(d != NULL);
	root = mc_tdata_root(d);
	err |= mc_tobj_strn(root, "x", x, xlen);
	err |= mc_tobj_str(root, "title", "Phường 7 <Quận 8> & \"bạn\" 'ơi'");
	err |= mc_tobj_bool(root, "flag", true);
	err |= mc_tobj_bool(root, "off", false);
	err |= mc_tobj_str(root, "empty", "");
	err |= mc_tobj_str(root, "missing", NULL);
	err |= mc_tobj_strf(root, "count", "%d", 3);
	for (int i = 0; i < 3; i++) {
		FUZZ_CHECK((o = mc_tobj_push(root, "items")) != NULL);
		err |= mc_tobj_strf(o, "name", "mục %d <b>", i);
		err |= mc_tobj_bool(o, "first", i == 0);
	}
	FUZZ_CHECK((ward = mc_tobj_obj(root, "ward")) != NULL);
	err |= mc_tobj_str(ward, "name", "Phường 7, Quận 8");
	err |= mc_tobj_str(ward, "slug", "phuong-7-quan-8");
	FUZZ_CHECK((o = mc_tobj_obj(ward, "office")) != NULL);
	err |= mc_tobj_str(o, "phone", "028 3850 0000");
	FUZZ_CHECK(err == MC_OK);
	return d;
}

/* The character at x[k] (its bytes into *len), and how many of them mc_html_escape writes
 * as one U+FFFD (0: none): a C0 control but tab, LF and CR; U+FFFE or U+FFFF, which no XML
 * may hold; a byte that starts no well-formed UTF-8 sequence, alone. */
static size_t replaced(const char *x, size_t k, size_t xlen, size_t *len)
{
	unsigned char c = (unsigned char)x[k];
	ucs4_t cp;
	int n;

	*len = 1;
	if (c < 0x80)
		return c < 0x20 && c != '\t' && c != '\n' && c != '\r';
	if ((n = u8_mbtoucr(&cp, (const uint8_t *)x + k, xlen - k)) < 0)
		return 1;
	*len = (size_t)n;
	return cp == 0xFFFE || cp == 0xFFFF ? *len : 0;
}

/* Undoes mc_html_escape, refusing anything it would not have written: nothing is lost but
 * what XML cannot hold, each such character written as U+FFFD. */
static bool unescape_matches(const char *out, size_t n, const char *x, size_t xlen)
{
	static const char *const ent[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"};
	static const char raw[] = "&<>\"'";
	size_t i = 0, k = 0, len, r;

	while (i < n) {
		size_t e = 0;

		if (k < xlen && (r = replaced(x, k, xlen, &len)) > 0) {
			if (n - i < 3 || memcmp(out + i, "\xEF\xBF\xBD", 3) != 0)
				return false;
			i += 3;
			k += r;
			continue;
		}
		if (k < xlen && len > 1) { /* a character of more bytes passes as it is */
			if (n - i < len || memcmp(out + i, x + k, len) != 0)
				return false;
			i += len;
			k += len;
			continue;
		}
		if (out[i] == '<' || out[i] == '>' || out[i] == '"' || out[i] == '\'')
			return false;
		if (out[i] != '&') {
			if (k >= xlen || x[k++] != out[i++])
				return false;
			continue;
		}
		while (e < 5 && strncmp(out + i, ent[e], strlen(ent[e])) != 0)
			e++;
		if (e == 5 || k >= xlen || x[k++] != raw[e])
			return false;
		i += strlen(ent[e]);
	}
	return k == xlen;
}

static void check_escape(const struct mc_template *t, const struct mc_tobj *root, const char *x,
			 size_t xlen)
{
	struct mc_buf out;

	mc_buf_init(&out);
	FUZZ_CHECK(mc_template_render(t, "esc", root, &out) == MC_OK);
	FUZZ_CHECK(xlen == 0 || out.data != NULL);
	FUZZ_CHECK(out.data == NULL || memchr(out.data, '<', out.len) == NULL);
	FUZZ_CHECK(unescape_matches(out.data ? out.data : "", out.len, x, xlen));
	mc_buf_finish(&out);
}

static void check_render(const struct mc_template *t, const struct mc_tobj *root, bool added,
			 const char *text, size_t len)
{
	struct mc_buf out;
	enum mc_err err;

	mc_buf_init(&out);
	err = mc_template_render(t, "fuzz", root, &out);
	/* A template that failed to parse must not be there at all. */
	FUZZ_CHECK(added ? (err == MC_OK || err == MC_ERR_TEMPLATE) : err == MC_ERR_TEMPLATE);
	/* Text without tags comes out exactly as written. */
	if (added && !memmem(text, len, "{{", 2)) {
		FUZZ_CHECK(err == MC_OK && out.len == len);
		FUZZ_CHECK(len == 0 || memcmp(out.data, text, len) == 0);
	}
	mc_buf_finish(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char header[] = "<h1>{{title}}</h1>{{#items}}<li>{{name}}</li>{{/items}}";
	const char *text = (const char *)data;
	struct mc_template *t = NULL;
	struct mc_tdata *d = make_data(text, size);
	struct mc_buf errs;
	enum mc_err err;

	mc_buf_init(&errs);
	FUZZ_CHECK(mc_template_create(&t) == MC_OK);
	FUZZ_CHECK(mc_template_add(t, "header", header, strlen(header), NULL) == MC_OK);
	FUZZ_CHECK(mc_template_add(t, "esc", "{{x}}", 5, NULL) == MC_OK);
	err = mc_template_add(t, "fuzz", text, size, &errs);
	FUZZ_CHECK(err == MC_OK || err == MC_ERR_TEMPLATE);
	/* Every refusal says why. */
	FUZZ_CHECK(err == MC_OK ? errs.len == 0 : errs.len > 0);
	check_render(t, mc_tdata_root(d), err == MC_OK, text, size);
	check_escape(t, mc_tdata_root(d), text, size);
	mc_buf_finish(&errs);
	mc_template_destroy(t);
	mc_tdata_destroy(d);
	return 0;
}
