/* The keychain sheet: the ward's keychain code repeated on an A4 grid of labels, as an HTML
 * print page and as one SVG file for a print shop. */

#include "motcham/print/print.h"

#include "private.h"

#include <stdio.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/public/pages.h"
#include "motcham/render/qr.h"
#include "motcham/render/svg.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"

#define SVG_TYPE "image/svg+xml; charset=utf-8"

/* Keychain sheet geometry in mm; assets/print.css draws the same grid for the HTML sheet. */
#define KC_COLS 7
#define KC_ROWS 8
#define KC_CELL_W 27.0
#define KC_CELL_H 34.0
#define KC_QR 24.0
#define KC_QR_TOP 1.5
#define KC_LEFT ((210.0 - KC_COLS * KC_CELL_W) / 2)
#define KC_TOP ((297.0 - KC_ROWS * KC_CELL_H) / 2)

static enum mc_err keychain_job(struct print_job *j, int64_t ward_id)
{
	enum mc_err err;
	int i;

	if ((err = print_ward(j, ward_id)) != MC_OK ||
	    (err = print_find_code(j, MC_KIND_WARD, ward_id)) != MC_OK ||
	    (err = mc_tobj_strf(j->root, "title", "Móc khoá mã QR · %s", j->short_name)) != MC_OK ||
	    (err = mc_tobj_str(j->root, "back", "/staff")) != MC_OK ||
	    (err = mc_tobj_strf(j->root, "svg", "/staff/print/keychain.svg?ward=%s", j->slug)) !=
		MC_OK ||
	    (err = mc_tobj_strf(j->root, "count", "%d", KC_COLS * KC_ROWS)) != MC_OK)
		return err;
	for (i = 0; i < KC_COLS * KC_ROWS; i++)
		if (!mc_tobj_push(j->root, "labels"))
			return MC_ERR_NOMEM;
	return MC_OK;
}

enum mc_err mc_print_keychain_sheet(struct mc_pages *p, struct mc_store *s, int64_t ward_id,
				    struct mc_response *r)
{
	struct print_job j;
	enum mc_err err;

	if ((err = print_job_init(&j, p, s)) == MC_OK && (err = keychain_job(&j, ward_id)) == MC_OK)
		err = print_render(&j, "print_keychain", r);
	return print_job_finish(&j, err, r);
}

/* The symbol once, as mc_svg_write makes it, less its opening "<svg" and final newline:
 * each label re-opens it with its own position and size. */
static enum mc_err symbol_body(struct print_job *j, struct mc_buf *out)
{
	struct mc_qr qr = {0};
	struct mc_buf url;
	enum mc_err err;

	mc_buf_init(&url);
	if ((err = mc_qr_url(mc_pages_base_url(j->p), j->token, &url)) != MC_OK ||
	    (err = mc_qr_encode(url.data, MC_QR_ECC_Q, &qr)) != MC_OK ||
	    (err = mc_svg_write(&qr, 4, 0, out)) != MC_OK)
		goto fail;
	if (out->len < 5 || strncmp(out->data, "<svg ", 5) != 0) {
		err = MC_ERR_INTERNAL;
		goto fail;
	}
	while (out->len > 0 && out->data[out->len - 1] == '\n')
		out->data[--out->len] = '\0';
	memmove(out->data, out->data + 4, out->len - 4 + 1);
	out->len -= 4;
fail:
	mc_qr_finish(&qr);
	mc_buf_finish(&url);
	return err;
}

static enum mc_err svg_label(struct print_job *j, const struct mc_buf *sym, int col, int row,
			     struct mc_buf *b)
{
	double x = KC_LEFT + col * KC_CELL_W, y = KC_TOP + row * KC_CELL_H;
	double cx = x + KC_CELL_W / 2, base = y + KC_QR_TOP + KC_QR;
	char grouped[MC_TOKEN_LEN + 3];
	enum mc_err err;

	print_group_token(j->token, grouped);
	if ((err = mc_buf_printf(b, "<svg x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"",
				 cx - KC_QR / 2, y + KC_QR_TOP, KC_QR, KC_QR)) != MC_OK ||
	    (err = mc_buf_add(b, sym->data, sym->len)) != MC_OK ||
	    (err = mc_buf_printf(b, "\n<text x=\"%.2f\" y=\"%.2f\">", cx, base + 3.6)) != MC_OK ||
	    (err = mc_html_escape(b, j->short_name, strlen(j->short_name))) != MC_OK)
		return err;
	return mc_buf_printf(b,
			     "</text>\n<text x=\"%.2f\" y=\"%.2f\" font-family=\"'DejaVu Sans "
			     "Mono',Consolas,monospace\" font-weight=\"bold\">%s</text>\n",
			     cx, base + 7.4, grouped);
}

/* Dashed cutting lines around every label, drawn under the labels. */
static enum mc_err svg_cuts(struct mc_buf *b)
{
	enum mc_err err;
	int i;

	if ((err = mc_buf_puts(b, "<g fill=\"none\" stroke=\"#aaa\" stroke-width=\"0.2\" "
				  "stroke-dasharray=\"1 1\">\n")) != MC_OK)
		return err;
	for (i = 0; i <= KC_COLS; i++)
		if ((err = mc_buf_printf(b, "<path d=\"M%.2f %.2fV%.2f\"/>\n",
					 KC_LEFT + i * KC_CELL_W, KC_TOP,
					 KC_TOP + KC_ROWS * KC_CELL_H)) != MC_OK)
			return err;
	for (i = 0; i <= KC_ROWS; i++)
		if ((err = mc_buf_printf(b, "<path d=\"M%.2f %.2fH%.2f\"/>\n", KC_LEFT,
					 KC_TOP + i * KC_CELL_H, KC_LEFT + KC_COLS * KC_CELL_W)) !=
		    MC_OK)
			return err;
	return mc_buf_puts(b, "</g>\n");
}

/* Presentation attributes rather than a <style> block: the file may be opened under the
 * site's CSP, which refuses inline styles. */
static enum mc_err svg_sheet(struct print_job *j, const struct mc_buf *sym, struct mc_buf *b)
{
	enum mc_err err;
	int row, col;

	if ((err = mc_buf_puts(
		 b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"210mm\" height=\"297mm\" "
		    "viewBox=\"0 0 210 297\">\n<title>Móc khoá mã QR · ")) != MC_OK ||
	    (err = mc_html_escape(b, j->short_name, strlen(j->short_name))) != MC_OK ||
	    (err = mc_buf_puts(
		 b, "</title>\n<rect width=\"210\" height=\"297\" fill=\"#fff\"/>\n")) != MC_OK ||
	    (err = svg_cuts(b)) != MC_OK ||
	    (err = mc_buf_puts(b, "<g font-family=\"'DejaVu Sans',Arial,sans-serif\" "
				  "font-size=\"2.5\" text-anchor=\"middle\" fill=\"#000\">\n")) !=
		MC_OK)
		return err;
	for (row = 0; row < KC_ROWS; row++)
		for (col = 0; col < KC_COLS; col++)
			if ((err = svg_label(j, sym, col, row, b)) != MC_OK)
				return err;
	return mc_buf_puts(b, "</g>\n</svg>\n");
}

enum mc_err mc_print_keychain_svg(struct mc_pages *p, struct mc_store *s, int64_t ward_id,
				  struct mc_response *r)
{
	struct mc_buf sym;
	struct print_job j;
	enum mc_err err;

	mc_buf_init(&sym);
	if ((err = print_job_init(&j, p, s)) != MC_OK || (err = keychain_job(&j, ward_id)) != MC_OK)
		goto done;
	if (!j.token[0]) {
		err = print_render(&j, NULL, r);
		goto done;
	}
	mc_buf_reset(&r->body);
	if ((err = symbol_body(&j, &sym)) != MC_OK ||
	    (err = svg_sheet(&j, &sym, &r->body)) != MC_OK)
		goto done;
	r->status = 200;
	r->content_type = SVG_TYPE;
	r->cache = NULL;
	r->etag[0] = '\0';
	snprintf(r->disposition, sizeof(r->disposition), "attachment; filename=\"keychain-%s.svg\"",
		 j.slug);
done:
	mc_buf_finish(&sym);
	return print_job_finish(&j, err, r);
}
