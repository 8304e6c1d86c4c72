/* GET /qr/TOKEN.png and .svg: a code's symbol, as the generator prints it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static enum mc_err qr_bytes(struct mc_pages *p, const char *token, bool png, struct mc_buf *url,
			    struct mc_buf *out)
{
	struct mc_qr qr = {0};
	enum mc_err err;

	if ((err = mc_qr_url(p->base_url, token, url)) != MC_OK ||
	    (err = mc_qr_encode(url->data, MC_QR_ECC_Q, &qr)) != MC_OK)
		goto fail;
	err = png ? mc_png_write(&qr, 8, 4, 300, out) : mc_svg_write(&qr, 4, 0, out);
fail:
	mc_qr_finish(&qr);
	return err;
}

/* The image depends only on the URL text and the format, so a hash of both is its ETag. */
static enum mc_err set_etag(struct mc_response *r, struct mc_buf *url, const char *ext)
{
	unsigned char h[16];
	char hex[2 * sizeof(h) + 1];
	enum mc_err err;

	if ((err = mc_buf_printf(url, ".%s", ext)) != MC_OK)
		return err;
	crypto_generichash(h, sizeof(h), (const unsigned char *)url->data, url->len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(r->etag, sizeof(r->etag), "\"%s\"", hex);
	return MC_OK;
}

static enum mc_err qr_answer(struct mc_pages *p, struct mc_store *s, const char *token,
			     const char *ext, struct mc_response *r)
{
	bool png = ext && strcmp(ext, "png") == 0;
	struct code_info ci;
	struct mc_buf url;
	enum mc_err err;

	if (!png && !(ext && strcmp(ext, "svg") == 0))
		return mc_pages_error(p, 404, r);
	err = code_resolve(s, token, &ci);
	/* A revoked code still has its picture: it leads to the page explaining the revocation. */
	if (err == MC_ERR_INVALID || err == MC_ERR_CHECK || err == MC_ERR_NOTFOUND)
		return mc_pages_error(p, 404, r);
	if (err != MC_OK && err != MC_ERR_GONE)
		return err;
	mc_buf_init(&url);
	mc_buf_reset(&r->body);
	if ((err = qr_bytes(p, ci.token, png, &url, &r->body)) != MC_OK ||
	    (err = set_etag(r, &url, ext)) != MC_OK) {
		mc_buf_reset(&r->body);
		goto fail;
	}
	r->status = 200;
	r->content_type = png ? PNG_TYPE : SVG_TYPE;
	r->cache = IMAGE_CACHE;
fail:
	mc_buf_finish(&url);
	return err;
}

enum mc_err mc_pages_qr_png(struct mc_call *c)
{
	return qr_answer(c->site->pages, c->s, c->arg, "png", c->r);
}

enum mc_err mc_pages_qr_svg(struct mc_call *c)
{
	return qr_answer(c->site->pages, c->s, c->arg, "svg", c->r);
}
