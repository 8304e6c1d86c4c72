/* What a link to a public page shows when a resident shares it in Zalo or Facebook: a
 * description, the canonical URL (the record's stable page, also when the page was reached by
 * /q/TOKEN), Open Graph and Twitter tags, and a preview image; and that image itself: the
 * ward's keychain code, large (GET /w/SLUG/preview.png, GET /preview.png for the site). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define DESCRIPTION_MAX 200 /* bytes; search results show about 160 characters */
#define PREVIEW_MIN 640	    /* pixels a side: over the 600 x 315 the link previews ask for */

enum mc_err share_text(struct page *pg, const char *fmt, ...)
{
	va_list ap;
	enum mc_err err;

	mc_buf_reset(&pg->share);
	va_start(ap, fmt);
	err = mc_buf_vprintf(&pg->share, fmt, ap);
	va_end(ap);
	return err;
}

/* One line of at most DESCRIPTION_MAX bytes, cut at a space, with an ellipsis when cut. */
static enum mc_err describe(const char *text, struct mc_buf *out)
{
	size_t n, cut;
	bool space = true;
	enum mc_err err = MC_OK;

	for (const char *p = text ? text : ""; *p && err == MC_OK; p++) {
		bool blank = *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r';

		if (blank && !space)
			err = mc_buf_putc(out, ' ');
		else if (!blank)
			err = mc_buf_putc(out, *p);
		space = blank;
	}
	if (err != MC_OK || (n = out->len) <= DESCRIPTION_MAX)
		return err;
	cut = mc_utf8_cut(out->data, n, DESCRIPTION_MAX - 3);
	while (cut > DESCRIPTION_MAX / 2 && out->data[cut] != ' ')
		cut--;
	out->len = cut;
	out->data[cut] = '\0';
	return mc_buf_puts(out, "…");
}

enum mc_err share_meta(struct page *pg, const char *fmt, ...)
{
	struct mc_tobj *o = mc_tobj_obj(pg->root, "meta");
	struct mc_buf path, text;
	va_list ap;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	mc_buf_init(&path);
	mc_buf_init(&text);
	va_start(ap, fmt);
	err = mc_buf_vprintf(&path, fmt, ap);
	va_end(ap);
	if (err == MC_OK)
		err = describe(pg->share.data, &text);
	if (err == MC_OK)
		err = mc_tobj_strf(o, "canonical", "%s%s", pg->p->base_url, path.data);
	if (err == MC_OK)
		err = mc_tobj_str(o, "description", text.data);
	if (err == MC_OK)
		err = pg->slug[0] ? mc_tobj_strf(o, "image", "%s/w/%s/preview.png", pg->p->base_url,
						 pg->slug)
				  : mc_tobj_strf(o, "image", "%s/preview.png", pg->p->base_url);
	mc_buf_finish(&path);
	mc_buf_finish(&text);
	return err;
}

/* ---- the preview image ----------------------------------------------------------------- */

static enum mc_err ward_code_cb(void *ctx, const struct mc_code *c)
{
	return mc_buf_puts(ctx, c->token);
}

static enum mc_err preview(const char *text, struct mc_response *r)
{
	struct mc_qr qr = {0};
	int scale;
	enum mc_err err;

	if ((err = mc_qr_encode(text, MC_QR_ECC_Q, &qr)) != MC_OK)
		return err;
	scale = (PREVIEW_MIN + qr.width + 8 - 1) / (qr.width + 8);
	mc_buf_reset(&r->body);
	if ((err = mc_png_write(&qr, scale, 4, 0, &r->body)) == MC_OK) {
		r->status = 200;
		r->content_type = PNG_TYPE;
		r->cache = IMAGE_CACHE;
	}
	mc_qr_finish(&qr);
	return err;
}

enum mc_err mc_pages_preview(struct mc_call *c)
{
	struct mc_pages *p = c->site->pages;
	struct mc_buf token, url;
	int64_t ward_id;
	enum mc_err err;

	if (!c->slug) {
		/* The site's own: its address, the way a printed code carries one. */
		mc_buf_init(&url);
		err = mc_buf_puts(&url, p->base_url);
		for (size_t i = 0; err == MC_OK && i < url.len; i++)
			if (url.data[i] >= 'a' && url.data[i] <= 'z')
				url.data[i] = (char)(url.data[i] - 32);
		if (err == MC_OK)
			err = preview(url.data, c->r);
		mc_buf_finish(&url);
		return err;
	}
	err = mc_store_ward_id(c->s, c->slug, &ward_id);
	if (err == MC_ERR_NOTFOUND)
		return mc_pages_error(p, 404, c->r);
	if (err != MC_OK)
		return err;
	mc_buf_init(&token);
	mc_buf_init(&url);
	err = mc_store_code_for_target(c->s, MC_KIND_WARD, ward_id, ward_code_cb, &token);
	if (err == MC_OK && token.len && (err = mc_qr_url(p->base_url, token.data, &url)) == MC_OK)
		err = preview(url.data, c->r);
	else if (err == MC_ERR_NOTFOUND || (err == MC_OK && !token.len))
		err = mc_pages_error(p, 404, c->r);
	mc_buf_finish(&token);
	mc_buf_finish(&url);
	return err;
}
