#include "motcham/print/print.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/public/pages.h"
#include "motcham/render/qr.h"
#include "motcham/store/store.h"
#include "motcham/render/svg.h"
#include "motcham/render/template.h"
#include "motcham/base/token.h"
#include "motcham/base/utf8.h"

#define SVG_TYPE "image/svg+xml; charset=utf-8"
#define SLUG_MAX 64

/* Whatever staff typed, one A4 page must stay one page: long fields are cut here and the
 * full text is one scan away. */
#define TITLE_MAX 180
#define SCOPE_MAX 300
#define FIELD_MAX 160
#define NUMBER_MAX 60
#define PLACE_MAX 240
#define SHORT_MAX 120
#define DOCS_MAX 8
#define DOC_NAME_MAX 120
#define CAPTION_CHARS 18

/* Keychain sheet geometry in mm; assets/print.css draws the same grid for the HTML sheet. */
#define KC_COLS 7
#define KC_ROWS 8
#define KC_CELL_W 27.0
#define KC_CELL_H 34.0
#define KC_QR 20.0
#define KC_QR_TOP 3.0
#define KC_LEFT ((210.0 - KC_COLS * KC_CELL_W) / 2)
#define KC_TOP ((297.0 - KC_ROWS * KC_CELL_H) / 2)

/* One print job: the data tree of the page and what the callbacks found. */
struct job {
	struct mc_pages *p;
	struct mc_store *s;
	struct mc_tdata *d;
	struct mc_tobj *root;
	struct mc_tobj *docs;
	int64_t ward_id;
	int64_t code_id;
	int ndocs;
	char token[MC_TOKEN_LEN + 1];
	char slug[SLUG_MAX + 1];
	char short_name[128];
};

static enum mc_err job_init(struct job *j, struct mc_pages *p, struct mc_store *s)
{
	memset(j, 0, sizeof(*j));
	j->p = p;
	j->s = s;
	if (!(j->d = mc_tdata_create()))
		return MC_ERR_NOMEM;
	j->root = mc_tdata_root(j->d);
	return MC_OK;
}

/* A failed job leaves no half-made body behind: the caller decides what to answer. */
static enum mc_err job_finish(struct job *j, enum mc_err err, struct mc_response *r)
{
	mc_tdata_destroy(j->d);
	j->d = NULL;
	if (err != MC_OK)
		mc_buf_reset(&r->body);
	return err;
}

/* ---- text helpers -------------------------------------------------------------------- */

/* Bytes of s to keep so that at most max bytes remain, never splitting a UTF-8 sequence. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t len = strnlen(s, max + 1);

	if (len <= max)
		return len;
	len = max;
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	return len;
}

static enum mc_err set_cut(struct mc_tobj *o, const char *key, const char *s, size_t max)
{
	size_t len;

	if (!s || !*s)
		return mc_tobj_str(o, key, NULL);
	len = utf8_cut(s, max);
	if (s[len] == '\0')
		return mc_tobj_str(o, key, s);
	return mc_tobj_strf(o, key, "%.*s…", (int)len, s);
}

/* Dates are printed the Vietnamese way, DD/MM/YYYY; anything else as stored. */
static enum mc_err set_date(struct mc_tobj *o, const char *key, const char *iso)
{
	char day[MC_DATE_LEN + 1];

	if (!iso || strlen(iso) < MC_DATE_LEN)
		return mc_tobj_str(o, key, iso);
	memcpy(day, iso, MC_DATE_LEN);
	day[MC_DATE_LEN] = '\0';
	if (!mc_date_valid(day))
		return mc_tobj_str(o, key, iso);
	return mc_tobj_strf(o, key, "%.2s/%.2s/%.4s", day + 8, day + 5, day);
}

/* Decimal comma, at most two decimals, no trailing zeros: 85.50 -> "85,5". */
static void fmt_number(double v, char out[48])
{
	char *dot;
	size_t len;

	snprintf(out, 48, "%.2f", v);
	len = strlen(out);
	while (len > 1 && out[len - 1] == '0')
		out[--len] = '\0';
	if (len > 1 && out[len - 1] == '.')
		out[--len] = '\0';
	if ((dot = strchr(out, '.')) != NULL)
		*dot = ',';
}

/* "ABCDEFGHJ" -> "ABCD-EFGH-J": groups are easier to read out and type; /q/ ignores '-'. */
static void group_token(const char *t, char out[MC_TOKEN_LEN + 3])
{
	snprintf(out, MC_TOKEN_LEN + 3, "%.4s-%.4s-%.1s", t, t + 4, t + 8);
}

static const struct {
	const char *word;
	const char *abbr;
} abbrs[] = {
    {"Phường ", "P."},	  {"Quận ", "Q."},    {"Xã ", "X."},	     {"Huyện ", "H."},
    {"Thị trấn ", "TT."}, {"Thị xã ", "TX."}, {"Thành phố ", "TP."}, {"Tỉnh ", "T."},
};

/* Appends the administrative word at s shortened ("Phường 7" -> "P.7", "Phường Bến Nghé" ->
 * "P. Bến Nghé") and says how many bytes of s it stood for. */
static enum mc_err add_abbr(struct mc_buf *b, const char *s, size_t *used)
{
	size_t i, n;

	for (i = 0; i < sizeof(abbrs) / sizeof(abbrs[0]); i++) {
		n = strlen(abbrs[i].word);
		if (strncmp(s, abbrs[i].word, n) != 0)
			continue;
		*used = n;
		if (s[n] >= '0' && s[n] <= '9')
			return mc_buf_puts(b, abbrs[i].abbr);
		return mc_buf_printf(b, "%s ", abbrs[i].abbr);
	}
	*used = 0;
	return MC_OK;
}

/* A keychain caption has room for about CAPTION_CHARS characters. */
static void short_name(const char *name, char *out, size_t cap)
{
	struct mc_buf b;
	size_t used, i, chars = 0, keep = 0;
	bool word_start = true;
	enum mc_err err = MC_OK;

	mc_buf_init(&b);
	for (; name && *name && err == MC_OK; name++) {
		if (word_start && (err = add_abbr(&b, name, &used)) == MC_OK && used > 0) {
			name += used - 1;
			word_start = false;
			continue;
		}
		word_start = *name == ' ' || *name == ',';
		err = mc_buf_putc(&b, *name);
	}
	for (i = 0; i < b.len; i++) {
		if (((unsigned char)b.data[i] & 0xC0) == 0x80)
			continue;
		if (chars == CAPTION_CHARS - 1)
			keep = i;
		chars++;
	}
	if (chars > CAPTION_CHARS)
		snprintf(out, cap, "%.*s…", (int)keep, b.data);
	else
		snprintf(out, cap, "%s", b.data ? b.data : "");
	mc_buf_finish(&b);
}

/* ---- records ------------------------------------------------------------------------- */

static bool valid_slug(const char *slug)
{
	size_t n = slug ? strlen(slug) : 0;

	return n > 0 && n <= SLUG_MAX && strspn(slug, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static enum mc_err ward_cb(void *ctx, const struct mc_ward *w)
{
	struct job *j = ctx;
	struct mc_tobj *o = mc_tobj_obj(j->root, "ward");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	j->ward_id = w->id;
	snprintf(j->slug, sizeof(j->slug), "%s", valid_slug(w->slug) ? w->slug : "ward");
	short_name(w->name, j->short_name, sizeof(j->short_name));
	if ((err = mc_tobj_str(o, "name", w->name)) != MC_OK ||
	    (err = mc_tobj_str(o, "slug", j->slug)) != MC_OK)
		return err;
	return mc_tobj_str(o, "short", j->short_name);
}

static enum mc_err code_cb(void *ctx, const struct mc_code *c)
{
	struct job *j = ctx;

	snprintf(j->token, sizeof(j->token), "%s", c->token);
	return MC_OK;
}

/* The newest of the ward's active codes is the one on the keychains now handed out. */
static enum mc_err ward_code_cb(void *ctx, const struct mc_code *c)
{
	struct job *j = ctx;

	if (c->target_id == j->ward_id && c->id > j->code_id) {
		j->code_id = c->id;
		snprintf(j->token, sizeof(j->token), "%s", c->token);
	}
	return MC_OK;
}

/* Leaves j->token empty when the record has no active code. */
static enum mc_err find_code(struct job *j, const char *kind, int64_t id)
{
	enum mc_err err;

	j->token[0] = '\0';
	if (strcmp(kind, MC_KIND_WARD) == 0)
		return mc_store_code_each(j->s, MC_KIND_WARD, ward_code_cb, j);
	err = mc_store_code_for_target(j->s, kind, id, code_cb, j);
	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

static enum mc_err set_qr(struct job *j)
{
	struct mc_tobj *o = mc_tobj_obj(j->root, "qr");
	char grouped[MC_TOKEN_LEN + 3];
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	group_token(j->token, grouped);
	if ((err = mc_tobj_str(o, "token", j->token)) != MC_OK ||
	    (err = mc_tobj_str(o, "grouped", grouped)) != MC_OK)
		return err;
	return mc_tobj_strf(o, "url", "%s/q/%s", mc_pages_base_url(j->p), j->token);
}

/* A record without an active code cannot be printed: say so instead of printing a page
 * that leads nowhere. GET pages do not write, so no code is made here. */
static enum mc_err render_job(struct job *j, const char *name, struct mc_response *r)
{
	enum mc_err err;

	if (!j->token[0]) {
		if ((err = mc_tobj_str(j->root, "title", "Chưa có mã QR")) != MC_OK)
			return err;
		return mc_pages_render(j->p, "print_missing", j->root, 409, r);
	}
	if ((err = set_qr(j)) != MC_OK)
		return err;
	return mc_pages_render(j->p, name, j->root, 200, r);
}

/* ---- permit notice ------------------------------------------------------------------- */

static const char *kind_label(const char *kind)
{
	if (kind && strcmp(kind, MC_PERMIT_REPAIR) == 0)
		return "Sửa chữa nhà ở";
	if (kind && strcmp(kind, MC_PERMIT_RENOVATION) == 0)
		return "Cải tạo nhà ở";
	if (kind && strcmp(kind, MC_PERMIT_NEW_BUILD) == 0)
		return "Xây dựng mới nhà ở";
	return kind;
}

/* Shown on screen only: staff should think twice before posting such a notice. */
static const char *status_warning(const char *status)
{
	if (status && strcmp(status, MC_STATUS_SUSPENDED) == 0)
		return "Giấy phép đang bị đình chỉ: không dán thông báo này.";
	if (status && strcmp(status, MC_STATUS_REVOKED) == 0)
		return "Giấy phép đã bị thu hồi: không dán thông báo này.";
	if (status && strcmp(status, MC_STATUS_COMPLETED) == 0)
		return "Công trình đã hoàn thành.";
	return NULL;
}

/* "2 tầng · 85,5 m² · cao 7,25 m", or nothing. */
static enum mc_err set_size(struct mc_tobj *o, const struct mc_permit *p)
{
	char area[48], height[48], line[200] = "";
	size_t n = 0;

	if (p->floors > 0 && p->floors <= 1000)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%d tầng", p->floors);
	if (p->area_m2 > 0 && p->area_m2 < 1e9) {
		fmt_number(p->area_m2, area);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%sdiện tích sàn %s m²",
				      n ? " · " : "", area);
	}
	if (p->height_m > 0 && p->height_m < 1e9 && n < sizeof(line)) {
		fmt_number(p->height_m, height);
		snprintf(line + n, sizeof(line) - n, "%scao %s m", n ? " · " : "", height);
	}
	return mc_tobj_str(o, "size", line[0] ? line : NULL);
}

static enum mc_err set_owner(struct mc_tobj *o, const char *owner)
{
	struct mc_buf b;
	enum mc_err err;

	if (!owner || !*owner)
		return MC_OK;
	mc_buf_init(&b);
	/* A wall is a public page too: the owner's name is masked as on the web. */
	err = mc_utf8_mask_name(owner, &b);
	if (err == MC_OK)
		err = mc_tobj_strn(o, "owner", b.data, b.len);
	else if (err != MC_ERR_NOMEM)
		err = MC_OK;
	mc_buf_finish(&b);
	return err;
}

static enum mc_err permit_cb(void *ctx, const struct mc_permit *p)
{
	struct job *j = ctx;
	struct mc_tobj *o = mc_tobj_obj(j->root, "permit");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	j->ward_id = p->ward_id;
	if ((err = mc_tobj_strf(j->root, "title", "Thông báo giấy phép %s", p->number)) != MC_OK ||
	    (err = mc_tobj_strf(j->root, "back", "/staff/permits/%" PRId64, p->id)) != MC_OK ||
	    (err = mc_tobj_str(j->root, "warning", status_warning(p->status))) != MC_OK ||
	    (err = set_cut(o, "number", p->number, NUMBER_MAX)) != MC_OK ||
	    (err = mc_tobj_str(o, "kind", kind_label(p->kind))) != MC_OK ||
	    (err = set_cut(o, "address", p->address, FIELD_MAX)) != MC_OK ||
	    (err = set_cut(o, "scope", p->scope, SCOPE_MAX)) != MC_OK ||
	    (err = set_cut(o, "contractor", p->contractor, FIELD_MAX)) != MC_OK ||
	    (err = set_cut(o, "office", p->office, FIELD_MAX)) != MC_OK ||
	    (err = set_date(o, "issued", p->issued_on)) != MC_OK ||
	    (err = set_date(o, "starts", p->starts_on)) != MC_OK ||
	    (err = set_date(o, "ends", p->ends_on)) != MC_OK || (err = set_size(o, p)) != MC_OK)
		return err;
	return set_owner(o, p->owner_name);
}

enum mc_err mc_print_permit_notice(struct mc_pages *p, struct mc_store *s, int64_t permit_id,
				   struct mc_response *r)
{
	struct job j;
	enum mc_err err;

	if ((err = job_init(&j, p, s)) == MC_OK &&
	    (err = mc_store_permit_get(s, permit_id, permit_cb, &j)) == MC_OK &&
	    (err = mc_store_ward_by_id(s, j.ward_id, ward_cb, &j)) == MC_OK &&
	    (err = find_code(&j, MC_KIND_PERMIT, permit_id)) == MC_OK)
		err = render_job(&j, "print_permit", r);
	return job_finish(&j, err, r);
}

/* ---- procedure poster ---------------------------------------------------------------- */

static enum mc_err proc_cb(void *ctx, const struct mc_procedure *p)
{
	struct job *j = ctx;
	struct mc_tobj *o = mc_tobj_obj(j->root, "proc");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	j->ward_id = p->ward_id;
	if ((err = set_cut(j->root, "title", p->title, TITLE_MAX)) != MC_OK ||
	    (err = mc_tobj_strf(j->root, "back", "/staff/procedures/%" PRId64, p->id)) != MC_OK ||
	    (err = set_cut(o, "title", p->title, TITLE_MAX)) != MC_OK ||
	    (err = set_cut(o, "tthc_code", p->tthc_code, 64)) != MC_OK ||
	    (err = set_cut(o, "duration", p->duration, SHORT_MAX)) != MC_OK ||
	    (err = set_cut(o, "fees", p->fees, SHORT_MAX)) != MC_OK ||
	    (err = set_cut(o, "place", p->place, PLACE_MAX)) != MC_OK ||
	    (err = set_cut(o, "office", p->office, SHORT_MAX)) != MC_OK ||
	    (err = mc_tobj_bool(o, "online", p->online_url != NULL)) != MC_OK)
		return err;
	if (p->retired_at)
		return mc_tobj_str(j->root, "warning",
				   "Thủ tục này đã ngừng áp dụng: không dán thông báo này.");
	return MC_OK;
}

static enum mc_err doc_cb(void *ctx, const struct mc_document *d)
{
	struct job *j = ctx;
	struct mc_tobj *it;
	char counts[64] = "";
	enum mc_err err;

	if (++j->ndocs > DOCS_MAX)
		return MC_OK;
	if (!j->docs && !(j->docs = mc_tobj_obj(j->root, "docs")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(j->docs, "items")))
		return MC_ERR_NOMEM;
	if (d->originals > 0 && d->copies > 0)
		snprintf(counts, sizeof(counts), "%d bản chính, %d bản sao", d->originals,
			 d->copies);
	else if (d->originals > 0)
		snprintf(counts, sizeof(counts), "%d bản chính", d->originals);
	else if (d->copies > 0)
		snprintf(counts, sizeof(counts), "%d bản sao", d->copies);
	if ((err = set_cut(it, "name", d->name, DOC_NAME_MAX)) != MC_OK ||
	    (err = mc_tobj_str(it, "counts", counts[0] ? counts : NULL)) != MC_OK)
		return err;
	return mc_tobj_bool(it, "form", d->kind == MC_DOC_FORM);
}

enum mc_err mc_print_procedure_poster(struct mc_pages *p, struct mc_store *s, int64_t procedure_id,
				      struct mc_response *r)
{
	struct job j;
	enum mc_err err;

	if ((err = job_init(&j, p, s)) != MC_OK ||
	    (err = mc_store_procedure_get(s, procedure_id, proc_cb, &j)) != MC_OK ||
	    (err = mc_store_ward_by_id(s, j.ward_id, ward_cb, &j)) != MC_OK ||
	    (err = mc_store_procedure_documents(s, procedure_id, doc_cb, &j)) != MC_OK ||
	    (err = find_code(&j, MC_KIND_PROCEDURE, procedure_id)) != MC_OK)
		return job_finish(&j, err, r);
	if (j.ndocs > DOCS_MAX)
		err = mc_tobj_strf(j.root, "more", "và %d giấy tờ khác: xem đầy đủ khi quét mã",
				   j.ndocs - DOCS_MAX);
	if (err == MC_OK)
		err = render_job(&j, "print_procedure", r);
	return job_finish(&j, err, r);
}

/* ---- keychain sheet ------------------------------------------------------------------ */

static enum mc_err keychain_job(struct job *j, int64_t ward_id)
{
	enum mc_err err;
	int i;

	if ((err = mc_store_ward_by_id(j->s, ward_id, ward_cb, j)) != MC_OK ||
	    (err = find_code(j, MC_KIND_WARD, ward_id)) != MC_OK ||
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
	struct job j;
	enum mc_err err;

	if ((err = job_init(&j, p, s)) == MC_OK && (err = keychain_job(&j, ward_id)) == MC_OK)
		err = render_job(&j, "print_keychain", r);
	return job_finish(&j, err, r);
}

/* The symbol once, as mc_svg_write makes it, less its opening "<svg" and final newline:
 * each label re-opens it with its own position and size. */
static enum mc_err symbol_body(struct job *j, struct mc_buf *out)
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

static enum mc_err svg_label(struct job *j, const struct mc_buf *sym, int col, int row,
			     struct mc_buf *b)
{
	double x = KC_LEFT + col * KC_CELL_W, y = KC_TOP + row * KC_CELL_H;
	double cx = x + KC_CELL_W / 2, base = y + KC_QR_TOP + KC_QR;
	char grouped[MC_TOKEN_LEN + 3];
	enum mc_err err;

	group_token(j->token, grouped);
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
static enum mc_err svg_sheet(struct job *j, const struct mc_buf *sym, struct mc_buf *b)
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
	struct job j;
	enum mc_err err;

	mc_buf_init(&sym);
	if ((err = job_init(&j, p, s)) != MC_OK || (err = keychain_job(&j, ward_id)) != MC_OK)
		goto done;
	if (!j.token[0]) {
		err = render_job(&j, NULL, r);
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
	return job_finish(&j, err, r);
}
