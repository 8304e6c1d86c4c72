#include "motcham/public/pages.h"
#include "motcham/domain/permit.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/base/auth.h"
#include "motcham/base/date.h"
#include "motcham/render/png.h"
#include "motcham/render/qr.h"
#include "motcham/store/store.h"
#include "motcham/web/call.h"
#include "motcham/web/request.h"
#include "motcham/render/svg.h"
#include "motcham/render/template.h"
#include "motcham/base/token.h"
#include "motcham/base/utf8.h"

#define HTML_TYPE "text/html; charset=utf-8"
#define JSON_TYPE "application/json; charset=utf-8"
#define PNG_TYPE "image/png"
#define SVG_TYPE "image/svg+xml; charset=utf-8"
#define IMAGE_CACHE "public, max-age=86400"
#define SEARCH_MAX 200
#define SEARCH_LIMIT 50
#define SLUG_MAX 64
#define KIND_MAX 16

#define MSG_CODE_UNKNOWN "Không tìm thấy mã"
#define MSG_CODE_MISTYPED "Mã có vẻ bị nhập sai, kiểm tra lại các ký tự"
#define MSG_CODE_GONE "Mã này đã ngừng sử dụng"

struct mc_pages {
	struct mc_template *tpl;
	char *base_url; /* without a trailing '/' */
};

/* Everything one HTML page gathers before rendering; the data tree dies with the page. */
struct page {
	struct mc_pages *p;
	struct mc_store *s;
	struct mc_tdata *d;
	struct mc_tobj *root;
	int64_t ward_id;
	int64_t merged_into;
	int64_t record_ward; /* ward of the record just read, to refuse other wards' ids */
	struct mc_tobj *list_a, *list_b;
	int count;
	struct mc_buf scratch;
	char today[MC_DATE_LEN + 1];
	const struct code_info *via; /* the active code this page was reached by, or NULL */
};

/* A resolved code, copied out of the store callback. */
struct code_info {
	char token[MC_TOKEN_LEN + 1];
	char kind[KIND_MAX];
	char replaced_by[MC_TOKEN_LEN + 1];
	int64_t id;
	int64_t target_id;
	int64_t ward_id;
	bool revoked;
};

struct kv {
	const char *key;
	const char *val;
};

enum mc_err mc_pages_create(const struct mc_pages_config *cfg, struct mc_pages **out,
			    struct mc_buf *errs)
{
	struct mc_pages *p = NULL;
	struct mc_buf probe;
	enum mc_err err = MC_ERR_NOMEM;
	size_t len;

	*out = NULL;
	mc_buf_init(&probe);
	/* Refusing a base URL the QR layer cannot encode here beats a 500 on every image. */
	if (mc_qr_url(cfg->base_url, "0", &probe) != MC_OK) {
		if (errs)
			mc_buf_printf(errs, "base URL \"%s\" cannot go into a QR code\n",
				      cfg->base_url ? cfg->base_url : "");
		err = MC_ERR_INVALID;
		goto fail;
	}
	if (sodium_init() < 0 || !(p = calloc(1, sizeof(*p))) ||
	    !(p->base_url = strdup(cfg->base_url)))
		goto fail;
	len = strlen(p->base_url);
	while (len > 0 && p->base_url[len - 1] == '/')
		p->base_url[--len] = '\0';
	if ((err = mc_template_load(cfg->templates_dir, &p->tpl, errs)) != MC_OK)
		goto fail;
	mc_buf_finish(&probe);
	*out = p;
	return MC_OK;
fail:
	mc_buf_finish(&probe);
	mc_pages_destroy(p);
	return err;
}

void mc_pages_destroy(struct mc_pages *p)
{
	if (!p)
		return;
	mc_template_destroy(p->tpl);
	free(p->base_url);
	free(p);
}

/* ---- small data helpers -------------------------------------------------------------- */

static enum mc_err set_all(struct mc_tobj *o, const struct kv *v, size_t n)
{
	enum mc_err err;
	size_t i;

	for (i = 0; i < n; i++)
		if ((err = mc_tobj_str(o, v[i].key, v[i].val)) != MC_OK)
			return err;
	return MC_OK;
}

/* Dates are shown the Vietnamese way, DD/MM/YYYY; anything else is shown as stored. */
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
static enum mc_err set_number(struct mc_tobj *o, const char *key, double v)
{
	char tmp[48], *dot;
	size_t len;

	if (!(v > 0) || v > 1e9)
		return mc_tobj_str(o, key, NULL);
	snprintf(tmp, sizeof(tmp), "%.2f", v);
	len = strlen(tmp);
	while (tmp[len - 1] == '0')
		tmp[--len] = '\0';
	if (tmp[len - 1] == '.')
		tmp[--len] = '\0';
	if ((dot = strchr(tmp, '.')) != NULL)
		*dot = ',';
	return mc_tobj_str(o, key, tmp);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Yields the lines of text one at a time, trimmed of blanks. */
static bool next_line(const char **cur, const char **line, size_t *len)
{
	const char *p = *cur, *end;

	if (!p || !*p)
		return false;
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	*cur = *end ? end + 1 : end;
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	*line = p;
	*len = (size_t)(end - p);
	return true;
}

/* Drops a typed step number ("1.", "2)") since the page's <ol> numbers the steps. */
static void strip_number(const char **line, size_t *len)
{
	size_t i = 0;

	while (i < *len && i < 3 && (*line)[i] >= '0' && (*line)[i] <= '9')
		i++;
	if (i == 0 || i + 1 >= *len || ((*line)[i] != '.' && (*line)[i] != ')') ||
	    (*line)[i + 1] != ' ')
		return;
	*line += i + 2;
	*len -= i + 2;
}

/* o.key = {items: [{text}...]} with one item per non-empty line, or false. */
static enum mc_err set_lines(struct mc_tobj *o, const char *key, const char *text, bool numbered)
{
	struct mc_tobj *list = NULL, *it;
	const char *line;
	enum mc_err err;
	size_t len;

	while (next_line(&text, &line, &len)) {
		if (numbered)
			strip_number(&line, &len);
		if (len == 0)
			continue;
		if (!list && !(list = mc_tobj_obj(o, key)))
			return MC_ERR_NOMEM;
		if (!(it = mc_tobj_push(list, "items")))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_strn(it, "text", line, len)) != MC_OK)
			return err;
	}
	return list ? MC_OK : mc_tobj_bool(o, key, false);
}

/* o.key = [{lines: [{text}...]}...]: paragraphs split on blank lines, or false. */
static enum mc_err set_paragraphs(struct mc_tobj *o, const char *key, const char *text)
{
	struct mc_tobj *para = NULL, *it;
	const char *line;
	enum mc_err err;
	bool any = false;
	size_t len;

	while (next_line(&text, &line, &len)) {
		if (len == 0) {
			para = NULL;
			continue;
		}
		if (!para && !(para = mc_tobj_push(o, key)))
			return MC_ERR_NOMEM;
		if (!(it = mc_tobj_push(para, "lines")))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_strn(it, "text", line, len)) != MC_OK)
			return err;
		any = true;
	}
	return any ? MC_OK : mc_tobj_bool(o, key, false);
}

/* A tel: link needs only the digits (and a leading +). */
static enum mc_err set_tel(struct mc_tobj *o, const char *phone)
{
	char tel[32];
	size_t n = 0;

	for (; phone && *phone && n + 1 < sizeof(tel); phone++)
		if ((*phone >= '0' && *phone <= '9') || (*phone == '+' && n == 0))
			tel[n++] = *phone;
	tel[n] = '\0';
	return mc_tobj_str(o, "tel", n >= 3 ? tel : NULL);
}

/* Only plain web links may become an href: escaping does not stop "javascript:". */
static const char *web_url(const char *u)
{
	if (u && (strncmp(u, "https://", 8) == 0 || strncmp(u, "http://", 7) == 0))
		return u;
	return NULL;
}

static bool valid_slug(const char *slug)
{
	size_t i;

	for (i = 0; slug && slug[i]; i++)
		if (i >= SLUG_MAX || !((slug[i] >= 'a' && slug[i] <= 'z') ||
				       (slug[i] >= '0' && slug[i] <= '9') || slug[i] == '-'))
			return false;
	return slug && i > 0;
}

/* Cuts s to at most max bytes without splitting a UTF-8 sequence. */
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

/* ---- page life cycle ----------------------------------------------------------------- */

static enum mc_err page_init(struct page *pg, struct mc_pages *p, struct mc_store *s)
{
	memset(pg, 0, sizeof(*pg));
	pg->p = p;
	pg->s = s;
	mc_buf_init(&pg->scratch);
	mc_date_today(pg->today);
	if (!(pg->d = mc_tdata_create()))
		return MC_ERR_NOMEM;
	pg->root = mc_tdata_root(pg->d);
	return MC_OK;
}

static enum mc_err render(struct mc_pages *p, const struct mc_tobj *root, const char *name,
			  int status, struct mc_response *r)
{
	mc_buf_reset(&r->body);
	r->status = status;
	r->content_type = HTML_TYPE;
	r->cache = NULL;
	r->etag[0] = '\0';
	return mc_template_render(p->tpl, name, root, &r->body);
}

enum mc_err mc_pages_render(struct mc_pages *p, const char *name, const struct mc_tobj *root,
			    int status, struct mc_response *r)
{
	return render(p, root, name, status, r);
}

const char *mc_pages_base_url(const struct mc_pages *p)
{
	return p->base_url;
}

/* Ends a page: a missing record becomes the 404 page and bad input the 400 page; any other
 * failure leaves no half-written body behind. */
static enum mc_err page_finish(struct page *pg, enum mc_err err, struct mc_response *r)
{
	mc_tdata_destroy(pg->d);
	mc_buf_finish(&pg->scratch);
	pg->d = NULL;
	if (err == MC_ERR_NOTFOUND)
		return mc_pages_error(pg->p, 404, r);
	if (err == MC_ERR_INVALID)
		return mc_pages_error(pg->p, 400, r);
	if (err != MC_OK)
		mc_buf_reset(&r->body);
	return err;
}

static enum mc_err ward_cb(void *ctx, const struct mc_ward *w)
{
	struct page *pg = ctx;
	struct mc_tobj *o = mc_tobj_obj(pg->root, "ward");
	const struct kv v[] = {
	    {"slug", w->slug}, {"name", w->name}, {"address", w->address}, {"phone", w->phone}};
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	pg->ward_id = w->id;
	pg->merged_into = w->merged_into;
	if ((err = set_all(o, v, sizeof(v) / sizeof(v[0]))) != MC_OK ||
	    (err = mc_tobj_bool(o, "sample", w->sample)) != MC_OK ||
	    (err = set_tel(o, w->phone)) != MC_OK ||
	    (err = set_lines(o, "hours", w->hours, false)) != MC_OK)
		return err;
	return set_paragraphs(o, "intro", w->intro);
}

static enum mc_err load_ward_slug(struct page *pg, const char *slug)
{
	if (!valid_slug(slug))
		return MC_ERR_NOTFOUND;
	return mc_store_ward_by_slug(pg->s, slug, ward_cb, pg);
}

static enum mc_err set_qr(struct page *pg, const char *token)
{
	struct mc_tobj *o = mc_tobj_obj(pg->root, "qr");

	return o ? mc_tobj_str(o, "token", token) : MC_ERR_NOMEM;
}

static enum mc_err qr_cb(void *ctx, const struct mc_code *c)
{
	return set_qr(ctx, c->token);
}

/* A record without an active code simply has no QR on its page. A page reached by scanning
 * shows the code that was scanned: it is active, and on a large database looking up the
 * newest one again was one more random index page read per uncached page. */
static enum mc_err add_qr(struct page *pg, const char *kind, int64_t id)
{
	enum mc_err err;

	if (pg->via && pg->via->target_id == id && strcmp(pg->via->kind, kind) == 0)
		return set_qr(pg, pg->via->token);
	err = mc_store_code_for_target(pg->s, kind, id, qr_cb, pg);
	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

/* ---- error pages --------------------------------------------------------------------- */

static const struct {
	int status;
	const char *heading;
	const char *detail;
} error_texts[] = {
    {400, "Yêu cầu không hợp lệ", "Địa chỉ hoặc dữ liệu gửi lên không đúng."},
    {404, "Không tìm thấy trang", "Trang bạn tìm không có hoặc đã được chuyển đi."},
    {405, "Phương thức không được hỗ trợ", "Trang này chỉ dùng để xem."},
    {410, "Trang đã ngừng sử dụng", NULL},
    {413, "Yêu cầu quá lớn", "Dữ liệu gửi lên vượt quá giới hạn cho phép."},
    {414, "Địa chỉ quá dài", NULL},
    {429, "Quá nhiều yêu cầu", "Vui lòng thử lại sau ít phút."},
    {500, "Lỗi hệ thống", "Đã có lỗi xảy ra. Vui lòng thử lại sau."},
    {503, "Hệ thống đang bận", "Vui lòng thử lại sau ít phút."},
};

static enum mc_err error_page(struct mc_pages *p, int status, const char *heading,
			      const char *detail, const char *replacement, struct mc_response *r)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *o;
	enum mc_err err = MC_ERR_NOMEM;

	if (!d)
		return err;
	o = mc_tdata_root(d);
	if ((err = mc_tobj_str(o, "title", heading)) != MC_OK ||
	    (err = mc_tobj_str(o, "heading", heading)) != MC_OK ||
	    (err = mc_tobj_str(o, "detail", detail)) != MC_OK ||
	    (err = mc_tobj_str(o, "replacement", replacement)) != MC_OK ||
	    (err = mc_tobj_bool(o, "code_form", status == 404 || status == 410)) != MC_OK ||
	    (err = mc_tobj_strf(o, "status", "%d", status)) != MC_OK)
		goto fail;
	err = render(p, o, "error", status, r);
fail:
	mc_tdata_destroy(d);
	if (err != MC_OK)
		mc_buf_reset(&r->body);
	return err;
}

enum mc_err mc_pages_error(struct mc_pages *p, int status, struct mc_response *r)
{
	size_t i;

	for (i = 0; i < sizeof(error_texts) / sizeof(error_texts[0]); i++)
		if (error_texts[i].status == status)
			return error_page(p, status, error_texts[i].heading, error_texts[i].detail,
					  NULL, r);
	return error_page(p, status, "Đã có lỗi xảy ra", NULL, NULL, r);
}

/* ---- ward home ----------------------------------------------------------------------- */

static enum mc_err ann_item_cb(void *ctx, const struct mc_announcement *a)
{
	struct page *pg = ctx;
	struct mc_tobj *it;
	enum mc_err err;

	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "announcements")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(it, "id", "%" PRId64, a->id)) != MC_OK ||
	    (err = mc_tobj_str(it, "title", a->title)) != MC_OK)
		return err;
	return set_date(it, "date", a->published_on);
}

/* Procedures come sorted by field, so a new group starts whenever the field changes. */
static enum mc_err proc_item_cb(void *ctx, const struct mc_procedure *p)
{
	struct page *pg = ctx;
	const char *field = p->field ? p->field : "Lĩnh vực khác";
	struct mc_tobj *it;
	enum mc_err err;

	if (!pg->list_b || strcmp(pg->scratch.data, field) != 0) {
		if (!(pg->list_b = mc_tobj_push(pg->root, "fields")))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_str(pg->list_b, "field", field)) != MC_OK)
			return err;
		mc_buf_reset(&pg->scratch);
		if ((err = mc_buf_puts(&pg->scratch, field)) != MC_OK)
			return err;
	}
	if (!(it = mc_tobj_push(pg->list_b, "items")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(it, "id", "%" PRId64, p->id)) != MC_OK)
		return err;
	return mc_tobj_str(it, "title", p->title);
}

static enum mc_err merged_from_cb(void *ctx, const struct mc_ward *w)
{
	struct page *pg = ctx;
	struct mc_tobj *o = mc_tobj_obj(pg->root, "merged_from");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "slug", w->slug)) != MC_OK)
		return err;
	return mc_tobj_str(o, "name", w->name);
}

static enum mc_err ward_page(struct page *pg, struct mc_response *r)
{
	enum mc_err err;

	/* A merged ward's codes and address open the ward it became, naming the old one, so
	 * keychains printed before the merge keep working. */
	if (pg->merged_into &&
	    (err = mc_store_ward_by_id(pg->s, pg->ward_id, merged_from_cb, pg)) != MC_OK)
		return err;
	for (int hops = 0; pg->merged_into && hops < 8; hops++)
		if ((err = mc_store_ward_by_id(pg->s, pg->merged_into, ward_cb, pg)) != MC_OK)
			return err;
	if ((err = mc_tobj_str(pg->root, "title", "Thủ tục, thông báo")) != MC_OK ||
	    (err = mc_store_announcement_each_current(pg->s, pg->ward_id, pg->today, ann_item_cb,
						      pg)) != MC_OK ||
	    (err = mc_store_procedure_each(pg->s, pg->ward_id, proc_item_cb, pg)) != MC_OK ||
	    (err = add_qr(pg, MC_KIND_WARD, pg->ward_id)) != MC_OK)
		return err;
	return render(pg->p, pg->root, "ward", 200, r);
}

enum mc_err mc_pages_ward(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = ward_page(&pg, c->r);
	return page_finish(&pg, err, c->r);
}

/* ---- home ---------------------------------------------------------------------------- */

static enum mc_err ward_item_cb(void *ctx, const struct mc_ward *w)
{
	struct page *pg = ctx;
	struct mc_tobj *it;
	enum mc_err err;

	pg->ward_id = w->id;
	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "wards")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(it, "slug", w->slug)) != MC_OK ||
	    (err = mc_tobj_str(it, "name", w->name)) != MC_OK)
		return err;
	return mc_tobj_str(it, "address", w->address);
}

static enum mc_err home_page(struct page *pg, struct mc_response *r)
{
	enum mc_err err;
	int n = 0;

	if ((err = mc_store_ward_count(pg->s, &n)) != MC_OK ||
	    (err = mc_store_ward_each(pg->s, ward_item_cb, pg)) != MC_OK)
		return err;
	if (n == 1 && pg->ward_id) {
		/* One ward: its home is the useful page; the list would be one link. */
		if ((err = mc_store_ward_by_id(pg->s, pg->ward_id, ward_cb, pg)) != MC_OK)
			return err;
		pg->list_a = NULL;
		if ((err = mc_tobj_str(pg->root, "wards", NULL)) != MC_OK)
			return err;
		return ward_page(pg, r);
	}
	if ((err = mc_tobj_str(pg->root, "title", "Tra cứu một chạm")) != MC_OK)
		return err;
	return render(pg->p, pg->root, "home", 200, r);
}

enum mc_err mc_pages_home(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK)
		err = home_page(&pg, c->r);
	return page_finish(&pg, err, c->r);
}

/* ---- procedure ----------------------------------------------------------------------- */

static enum mc_err proc_cb(void *ctx, const struct mc_procedure *p)
{
	struct page *pg = ctx;
	struct mc_tobj *o = mc_tobj_obj(pg->root, "proc");
	const struct kv v[] = {
	    {"title", p->title},
	    {"tthc_code", p->tthc_code},
	    {"field", p->field},
	    {"level", p->level},
	    {"ways", p->ways},
	    {"place", p->place},
	    {"who", p->who},
	    {"conditions", p->conditions},
	    {"duration", p->duration},
	    {"fees", p->fees},
	    {"office", p->office},
	    {"result", p->result},
	    {"online_url", web_url(p->online_url)},
	};
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	pg->record_ward = p->ward_id;
	if ((err = set_all(o, v, sizeof(v) / sizeof(v[0]))) != MC_OK ||
	    (err = set_date(o, "updated", p->updated_at)) != MC_OK ||
	    (err = set_date(o, "retired", p->retired_at)) != MC_OK ||
	    (err = mc_tobj_str(pg->root, "title", p->title)) != MC_OK ||
	    (err = set_lines(pg->root, "steps", p->steps, true)) != MC_OK)
		return err;
	return set_lines(pg->root, "legal", p->legal_basis, false);
}

static enum mc_err doc_cb(void *ctx, const struct mc_document *d)
{
	struct page *pg = ctx;
	bool form = d->kind == MC_DOC_FORM;
	struct mc_tobj **list = form ? &pg->list_b : &pg->list_a;
	struct mc_tobj *it;
	enum mc_err err;

	if (!*list && !(*list = mc_tobj_obj(pg->root, form ? "forms" : "papers")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(*list, "items")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(it, "name", d->name)) != MC_OK ||
	    (err = mc_tobj_strf(it, "originals", "%d", d->originals)) != MC_OK)
		return err;
	return mc_tobj_strf(it, "copies", "%d", d->copies);
}

static enum mc_err procedure_page(struct page *pg, int64_t id, struct mc_response *r)
{
	enum mc_err err;

	if ((err = mc_store_procedure_get(pg->s, id, proc_cb, pg)) != MC_OK)
		return err;
	if (pg->record_ward != pg->ward_id)
		return MC_ERR_NOTFOUND;
	if ((err = mc_store_procedure_documents(pg->s, id, doc_cb, pg)) != MC_OK ||
	    (err = add_qr(pg, MC_KIND_PROCEDURE, id)) != MC_OK)
		return err;
	return render(pg->p, pg->root, "procedure", 200, r);
}

enum mc_err mc_pages_procedure(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = procedure_page(&pg, c->id, c->r);
	return page_finish(&pg, err, c->r);
}

/* ---- announcement -------------------------------------------------------------------- */

static enum mc_err ann_cb(void *ctx, const struct mc_announcement *a)
{
	struct page *pg = ctx;
	struct mc_tobj *o = mc_tobj_obj(pg->root, "ann");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	pg->record_ward = a->ward_id;
	if ((err = mc_tobj_str(o, "title", a->title)) != MC_OK ||
	    (err = mc_tobj_str(pg->root, "title", a->title)) != MC_OK ||
	    (err = set_date(o, "published", a->published_on)) != MC_OK ||
	    (err = set_date(o, "expires", a->expires_on)) != MC_OK ||
	    (err = set_date(o, "updated", a->updated_at)) != MC_OK ||
	    (err = set_date(o, "retired", a->retired_at)) != MC_OK ||
	    (err = mc_tobj_bool(o, "expired",
				!a->retired_at && a->expires_on &&
				    strcmp(a->expires_on, pg->today) < 0)) != MC_OK)
		return err;
	return set_paragraphs(o, "paragraphs", a->body);
}

static enum mc_err announcement_page(struct page *pg, int64_t id, struct mc_response *r)
{
	enum mc_err err;

	if ((err = mc_store_announcement_get(pg->s, id, ann_cb, pg)) != MC_OK)
		return err;
	if (pg->record_ward != pg->ward_id)
		return MC_ERR_NOTFOUND;
	if ((err = add_qr(pg, MC_KIND_ANNOUNCEMENT, id)) != MC_OK)
		return err;
	return render(pg->p, pg->root, "announcement", 200, r);
}

enum mc_err mc_pages_announcement(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = announcement_page(&pg, c->id, c->r);
	return page_finish(&pg, err, c->r);
}

/* ---- permit -------------------------------------------------------------------------- */

enum verdict { V_ALLOWED, V_NOT_STARTED, V_EXPIRED, V_SUSPENDED, V_REVOKED, V_COMPLETED, V_OTHER };

static const struct {
	const char *api; /* name in the JSON API */
	const char *why; /* the reason line under the banner */
} verdicts[] = {
    [V_ALLOWED] = {"allowed", NULL},
    [V_NOT_STARTED] = {"not_started", "Chưa đến ngày khởi công"},
    [V_EXPIRED] = {"expired", "Giấy phép đã hết hạn"},
    [V_SUSPENDED] = {"suspended", "Đang bị đình chỉ"},
    [V_REVOKED] = {"revoked", "Đã bị thu hồi"},
    [V_COMPLETED] = {"completed", "Công trình đã hoàn thành"},
    [V_OTHER] = {"unknown", "Giấy phép không ở trạng thái cho phép thi công"},
};

/* Work is allowed only on an issued or in-progress permit within its dates (ISO dates
 * compare as strings). */
static enum verdict permit_verdict(const struct mc_permit *p, const char *today)
{
	const char *st = p->status ? p->status : "";

	if (strcmp(st, MC_STATUS_SUSPENDED) == 0)
		return V_SUSPENDED;
	if (strcmp(st, MC_STATUS_REVOKED) == 0)
		return V_REVOKED;
	if (strcmp(st, MC_STATUS_COMPLETED) == 0)
		return V_COMPLETED;
	if ((strcmp(st, MC_STATUS_ISSUED) != 0 && strcmp(st, MC_STATUS_IN_PROGRESS) != 0) ||
	    !p->starts_on || !p->ends_on)
		return V_OTHER;
	if (strcmp(today, p->starts_on) < 0)
		return V_NOT_STARTED;
	if (strcmp(p->ends_on, today) < 0)
		return V_EXPIRED;
	return V_ALLOWED;
}

static const char *status_label(enum verdict v, const char *status)
{
	switch (v) {
	case V_EXPIRED:
		return "Hết hạn";
	case V_SUSPENDED:
		return "Đình chỉ";
	case V_REVOKED:
		return "Thu hồi";
	case V_COMPLETED:
		return "Đã hoàn thành";
	default:
		break;
	}
	return mc_label_of(mc_permit_statuses, status);
}

static enum mc_err set_verdict(struct page *pg, const struct mc_permit *p)
{
	enum verdict v = permit_verdict(p, pg->today);
	struct mc_tobj *o = pg->root;
	bool reason = v == V_SUSPENDED || v == V_REVOKED;
	enum mc_err err;

	if ((err = mc_tobj_bool(o, "allowed", v == V_ALLOWED)) != MC_OK ||
	    (err = mc_tobj_str(o, "verdict",
			       v == V_ALLOWED ? "Được phép thi công hôm nay"
					      : "Không được phép thi công hôm nay")) != MC_OK ||
	    (err = mc_tobj_str(o, "why", verdicts[v].why)) != MC_OK ||
	    (err = mc_tobj_str(o, "reason", reason ? p->status_reason : NULL)) != MC_OK)
		return err;
	return set_date(o, "today", pg->today);
}

static enum mc_err set_owner(struct page *pg, struct mc_tobj *o, const char *owner)
{
	enum mc_err err;

	mc_buf_reset(&pg->scratch);
	if (!owner || !*owner)
		return mc_tobj_str(o, "owner", NULL);
	/* A name that cannot be masked is not shown at all. */
	if ((err = mc_utf8_mask_name(owner, &pg->scratch)) != MC_OK)
		return err == MC_ERR_NOMEM ? err : mc_tobj_str(o, "owner", NULL);
	return mc_tobj_strn(o, "owner", pg->scratch.data, pg->scratch.len);
}

static enum mc_err permit_cb(void *ctx, const struct mc_permit *p)
{
	struct page *pg = ctx;
	struct mc_tobj *o = mc_tobj_obj(pg->root, "permit");
	const struct kv v[] = {{"number", p->number},
			       {"kind", mc_label_of(mc_permit_kinds, p->kind)},
			       {"address", p->address},
			       {"scope", p->scope},
			       {"contractor", p->contractor},
			       {"office", p->office},
			       {"status", status_label(permit_verdict(p, pg->today), p->status)}};
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	pg->record_ward = p->ward_id;
	if ((err = set_all(o, v, sizeof(v) / sizeof(v[0]))) != MC_OK ||
	    (err = mc_tobj_strf(o, "id", "%" PRId64, p->id)) != MC_OK ||
	    (err = mc_tobj_strf(pg->root, "title", "Giấy phép %s", p->number)) != MC_OK ||
	    (err = (p->floors > 0 ? mc_tobj_strf(o, "floors", "%d", p->floors)
				  : mc_tobj_str(o, "floors", NULL))) != MC_OK ||
	    (err = set_number(o, "area", p->area_m2)) != MC_OK ||
	    (err = set_number(o, "height", p->height_m)) != MC_OK ||
	    (err = set_date(o, "issued", p->issued_on)) != MC_OK ||
	    (err = set_date(o, "starts", p->starts_on)) != MC_OK ||
	    (err = set_date(o, "ends", p->ends_on)) != MC_OK ||
	    (err = set_date(o, "updated", p->updated_at)) != MC_OK ||
	    (err = set_owner(pg, o, p->owner_name)) != MC_OK)
		return err;
	return set_verdict(pg, p);
}

static enum mc_err insp_cb(void *ctx, const struct mc_inspection *i)
{
	struct page *pg = ctx;
	const struct kv v[] = {
	    {"inspector", i->inspector}, {"result", i->result}, {"note", i->note}};
	struct mc_tobj *it;
	enum mc_err err;

	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "inspections")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	if ((err = set_all(it, v, sizeof(v) / sizeof(v[0]))) != MC_OK)
		return err;
	return set_date(it, "date", i->on_date);
}

/* Only a well-formed content hash may become a link. */
static bool sha256_hex(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static const char *mime_label(const char *mime)
{
	if (mime && strcmp(mime, "application/pdf") == 0)
		return "PDF";
	if (mime && strcmp(mime, "image/jpeg") == 0)
		return "Ảnh JPEG";
	if (mime && strcmp(mime, "image/png") == 0)
		return "Ảnh PNG";
	return "Tệp";
}

/* "850 byte", "12 KB", "1,4 MB": sizes as people read them. */
static enum mc_err set_size(struct mc_tobj *o, const char *key, long long n)
{
	if (n < 0)
		return mc_tobj_str(o, key, NULL);
	if (n < 1024)
		return mc_tobj_strf(o, key, "%lld byte", n);
	if (n < 1024 * 1024)
		return mc_tobj_strf(o, key, "%lld KB", (n + 1023) / 1024);
	return mc_tobj_strf(o, key, "%lld,%lld MB", n / (1024 * 1024),
			    (n % (1024 * 1024)) * 10 / (1024 * 1024));
}

static enum mc_err file_cb(void *ctx, const struct mc_file *f)
{
	struct page *pg = ctx;
	struct mc_tobj *it;
	enum mc_err err;

	if (!f->public || !sha256_hex(f->sha256))
		return MC_OK;
	if (!pg->list_b && !(pg->list_b = mc_tobj_obj(pg->root, "files")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_b, "items")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(it, "sha256", f->sha256)) != MC_OK ||
	    (err = mc_tobj_str(it, "name", f->name && *f->name ? f->name : "Tệp đính kèm")) !=
		MC_OK ||
	    (err = mc_tobj_str(it, "type", mime_label(f->mime))) != MC_OK)
		return err;
	return set_size(it, "size", f->size);
}

/* The concern form carries a token tied to this permit, so a post can be checked as coming
 * from this page without any account or session. */
static enum mc_err set_report(struct page *pg, int64_t permit_id)
{
	char secret[65], purpose[48], tok[MC_AUTH_SHA256_LEN + 1];
	struct mc_tobj *o;
	enum mc_err err = mc_store_secret(pg->s, secret);

	if (err == MC_ERR_NOTFOUND)
		return MC_OK; /* a database without a secret cannot check posts: no form */
	if (err != MC_OK)
		return err;
	snprintf(purpose, sizeof(purpose), "report:%" PRId64, permit_id);
	mc_auth_form_token(secret, purpose, tok);
	sodium_memzero(secret, sizeof(secret));
	if (!(o = mc_tobj_obj(pg->root, "report")))
		return MC_ERR_NOMEM;
	return mc_tobj_str(o, "token", tok);
}

static enum mc_err permit_page(struct page *pg, int64_t id, struct mc_response *r)
{
	enum mc_err err;

	if ((err = mc_store_permit_get(pg->s, id, permit_cb, pg)) != MC_OK)
		return err;
	if (pg->record_ward != pg->ward_id)
		return MC_ERR_NOTFOUND;
	if ((err = mc_store_permit_inspections(pg->s, id, insp_cb, pg)) != MC_OK ||
	    (err = mc_store_file_each(pg->s, id, true, file_cb, pg)) != MC_OK ||
	    (err = set_report(pg, id)) != MC_OK || (err = add_qr(pg, MC_KIND_PERMIT, id)) != MC_OK)
		return err;
	return render(pg->p, pg->root, "permit", 200, r);
}

enum mc_err mc_pages_permit(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = permit_page(&pg, c->id, c->r);
	return page_finish(&pg, err, c->r);
}

/* ---- search -------------------------------------------------------------------------- */

static enum mc_err hit_cb(void *ctx, const struct mc_procedure *p)
{
	struct page *pg = ctx;
	struct mc_tobj *it;
	enum mc_err err;

	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "results")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	pg->count++;
	if ((err = mc_tobj_strf(it, "id", "%" PRId64, p->id)) != MC_OK ||
	    (err = mc_tobj_str(it, "title", p->title)) != MC_OK)
		return err;
	return mc_tobj_str(it, "field", p->field);
}

static enum mc_err search_page(struct page *pg, const char *q, struct mc_response *r)
{
	size_t len = q ? utf8_cut(q, SEARCH_MAX) : 0;
	enum mc_err err;

	if (q && !mc_utf8_valid(q, len))
		return MC_ERR_INVALID;
	if ((err = mc_tobj_str(pg->root, "title", "Tìm thủ tục")) != MC_OK ||
	    (err = mc_tobj_strn(pg->root, "q", q ? q : "", len)) != MC_OK ||
	    (q && (err = mc_utf8_fold(q, len, &pg->scratch)) != MC_OK))
		return err;
	if (pg->scratch.len > 0) {
		if ((err = mc_store_procedure_search(pg->s, pg->ward_id, pg->scratch.data,
						     SEARCH_LIMIT, hit_cb, pg)) != MC_OK ||
		    (err = mc_tobj_bool(pg->root, "searched", true)) != MC_OK ||
		    (err = mc_tobj_strf(pg->root, "count", "%d", pg->count)) != MC_OK)
			return err;
	}
	return render(pg->p, pg->root, "search", 200, r);
}

enum mc_err mc_pages_search(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = search_page(&pg, c->rq->lookup(c->rq, MC_REQ_ARG, "q"), c->r);
	return page_finish(&pg, err, c->r);
}

/* ---- codes --------------------------------------------------------------------------- */

static enum mc_err code_cb(void *ctx, const struct mc_code *c)
{
	struct code_info *ci = ctx;

	snprintf(ci->token, sizeof(ci->token), "%s", c->token);
	snprintf(ci->kind, sizeof(ci->kind), "%s", c->target_kind ? c->target_kind : "");
	snprintf(ci->replaced_by, sizeof(ci->replaced_by), "%s",
		 c->replaced_by ? c->replaced_by : "");
	ci->id = c->id;
	ci->target_id = c->target_id;
	ci->ward_id = c->ward_id;
	ci->revoked = c->revoked_at != NULL;
	return MC_OK;
}

/* MC_OK for an active code, MC_ERR_GONE for a revoked one (ci filled in both cases),
 * MC_ERR_INVALID / MC_ERR_CHECK for text that is not a token or is mistyped,
 * MC_ERR_NOTFOUND for an unknown one; anything else is a real failure. */
static enum mc_err resolve(struct mc_store *s, const char *token, struct code_info *ci)
{
	char canon[MC_TOKEN_LEN + 1];
	size_t len = token ? strnlen(token, MC_TOKEN_INPUT_MAX + 1) : 0;
	enum mc_err err;

	memset(ci, 0, sizeof(*ci));
	if (len == 0 || len > MC_TOKEN_INPUT_MAX)
		return MC_ERR_INVALID;
	if ((err = mc_token_normalize(token, len, canon)) != MC_OK)
		return err;
	if ((err = mc_store_code_get(s, canon, code_cb, ci)) != MC_OK)
		return err;
	return ci->revoked ? MC_ERR_GONE : MC_OK;
}

static enum mc_err target_page(struct page *pg, const struct code_info *ci, struct mc_response *r)
{
	enum mc_err err;

	if ((err = mc_store_ward_by_id(pg->s, ci->ward_id, ward_cb, pg)) != MC_OK)
		return err;
	if (strcmp(ci->kind, MC_KIND_WARD) == 0)
		return ward_page(pg, r);
	if (strcmp(ci->kind, MC_KIND_PROCEDURE) == 0)
		return procedure_page(pg, ci->target_id, r);
	if (strcmp(ci->kind, MC_KIND_ANNOUNCEMENT) == 0)
		return announcement_page(pg, ci->target_id, r);
	if (strcmp(ci->kind, MC_KIND_PERMIT) == 0)
		return permit_page(pg, ci->target_id, r);
	return MC_ERR_NOTFOUND;
}

static enum mc_err code_answer(struct mc_pages *p, struct mc_store *s, const char *token,
			       struct mc_response *r)
{
	struct code_info ci;
	struct page pg;
	enum mc_err err = resolve(s, token, &ci);

	switch (err) {
	case MC_OK:
		if ((err = page_init(&pg, p, s)) == MC_OK) {
			pg.via = &ci;
			err = target_page(&pg, &ci, r);
		}
		if (err == MC_OK)
			r->code_id = ci.id;
		return page_finish(&pg, err, r);
	case MC_ERR_INVALID:
	case MC_ERR_NOTFOUND:
		r->scan_miss = 1;
		return error_page(p, 404, MSG_CODE_UNKNOWN,
				  "Hãy kiểm tra lại mã in trên móc khoá hoặc thông báo.", NULL, r);
	case MC_ERR_CHECK:
		r->scan_miss = 2;
		return error_page(p, 404, MSG_CODE_MISTYPED,
				  "Các chữ dễ nhầm: số 0 và chữ O, số 1 và chữ I, L.", NULL, r);
	case MC_ERR_GONE:
		return error_page(p, 410, MSG_CODE_GONE,
				  ci.replaced_by[0]
				      ? "Mã này đã được thay bằng mã mới."
				      : "Vui lòng liên hệ bộ phận một cửa của phường.",
				  ci.replaced_by[0] ? ci.replaced_by : NULL, r);
	default:
		return err;
	}
}

enum mc_err mc_pages_code(struct mc_call *c)
{
	return code_answer(c->site->pages, c->s, c->arg, c->r);
}

enum mc_err mc_pages_code_query(struct mc_call *c)
{
	const char *t = c->rq->lookup(c->rq, MC_REQ_ARG, "t");

	return t ? code_answer(c->site->pages, c->s, t, c->r)
		 : mc_pages_error(c->site->pages, 404, c->r);
}

/* ---- QR images ----------------------------------------------------------------------- */

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
	err = resolve(s, token, &ci);
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

/* ---- JSON API ------------------------------------------------------------------------ */

/* Adds key: string or null; text that jansson refuses (not UTF-8) becomes null too. */
static int jstr(json_t *o, const char *key, const char *val)
{
	json_t *j = val ? json_string(val) : NULL;

	return json_object_set_new(o, key, j ? j : json_null());
}

static int jstrs(json_t *o, const struct kv *v, size_t n)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bad |= jstr(o, v[i].key, v[i].val);
	return bad;
}

/* A multi-line field as an array of its non-empty lines. */
static int jlines(json_t *o, const char *key, const char *text)
{
	json_t *a = json_array();
	const char *line;
	size_t len;
	int bad = 0;

	if (!a)
		return -1;
	while (next_line(&text, &line, &len))
		if (len > 0)
			bad |= json_array_append_new(a, json_stringn(line, len));
	return bad | json_object_set_new(o, key, a);
}

static enum mc_err json_send(json_t *j, int status, struct mc_response *r)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	enum mc_err err;

	json_decref(j);
	if (!s)
		return MC_ERR_NOMEM;
	mc_buf_reset(&r->body);
	err = mc_buf_puts(&r->body, s);
	free(s);
	r->status = status;
	r->content_type = JSON_TYPE;
	r->cache = NULL;
	r->etag[0] = '\0';
	return err;
}

static enum mc_err json_error(int status, const char *msg, const struct code_info *ci,
			      struct mc_response *r)
{
	json_t *j = json_object();
	int bad;

	if (!j)
		return MC_ERR_NOMEM;
	bad = jstr(j, "error", msg);
	if (ci) {
		bad |= jstr(j, "token", ci->token);
		bad |= jstr(j, "status", "revoked");
		bad |= jstr(j, "replaced_by", ci->replaced_by[0] ? ci->replaced_by : NULL);
	}
	if (bad) {
		json_decref(j);
		return MC_ERR_NOMEM;
	}
	return json_send(j, status, r);
}

/* State shared by the API callbacks: the record being built and the ward's slug. */
struct api {
	struct mc_store *s;
	json_t *ward;
	json_t *rec;
	json_t *list;
	char slug[SLUG_MAX + 1];
	char today[MC_DATE_LEN + 1];
	struct mc_buf scratch;
	bool bad;
};

static enum mc_err api_ward_cb(void *ctx, const struct mc_ward *w)
{
	struct api *a = ctx;
	const struct kv v[] = {{"slug", w->slug},   {"name", w->name},	 {"address", w->address},
			       {"phone", w->phone}, {"hours", w->hours}, {"intro", w->intro}};

	snprintf(a->slug, sizeof(a->slug), "%s", w->slug);
	a->bad |= json_object_set_new(a->ward, "id", json_integer(w->id)) != 0;
	a->bad |= jstrs(a->ward, v, sizeof(v) / sizeof(v[0])) != 0;
	a->bad |= json_object_set_new(a->ward, "sample", json_boolean(w->sample)) != 0;
	return MC_OK;
}

static enum mc_err api_ann_cb(void *ctx, const struct mc_announcement *an)
{
	struct api *a = ctx;
	const struct kv v[] = {{"title", an->title},
			       {"body", an->body},
			       {"published_on", an->published_on},
			       {"expires_on", an->expires_on},
			       {"updated_at", an->updated_at}};

	a->bad |= json_object_set_new(a->rec, "id", json_integer(an->id)) != 0;
	a->bad |= jstrs(a->rec, v, sizeof(v) / sizeof(v[0])) != 0;
	return MC_OK;
}

static enum mc_err api_proc_cb(void *ctx, const struct mc_procedure *p)
{
	struct api *a = ctx;
	const struct kv v[] = {
	    {"tthc_code", p->tthc_code},
	    {"title", p->title},
	    {"field", p->field},
	    {"level", p->level},
	    {"ways", p->ways},
	    {"place", p->place},
	    {"who", p->who},
	    {"conditions", p->conditions},
	    {"duration", p->duration},
	    {"fees", p->fees},
	    {"office", p->office},
	    {"result", p->result},
	    {"online_url", web_url(p->online_url)},
	    {"updated_at", p->updated_at},
	};

	a->bad |= json_object_set_new(a->rec, "id", json_integer(p->id)) != 0;
	a->bad |= jstrs(a->rec, v, sizeof(v) / sizeof(v[0])) != 0;
	a->bad |= jlines(a->rec, "steps", p->steps) != 0;
	a->bad |= jlines(a->rec, "legal_basis", p->legal_basis) != 0;
	return MC_OK;
}

static enum mc_err api_doc_cb(void *ctx, const struct mc_document *d)
{
	struct api *a = ctx;
	json_t *j =
	    json_pack("{s:s,s:s?,s:i,s:i}", "kind", d->kind == MC_DOC_FORM ? "form" : "paper",
		      "name", d->name, "originals", d->originals, "copies", d->copies);

	a->bad |= json_array_append_new(a->list, j) != 0;
	return MC_OK;
}

static enum mc_err api_permit_cb(void *ctx, const struct mc_permit *p)
{
	struct api *a = ctx;
	enum verdict vd = permit_verdict(p, a->today);
	const struct kv v[] = {
	    {"number", p->number},
	    {"kind", p->kind},
	    {"address", p->address},
	    {"scope", p->scope},
	    {"contractor", p->contractor},
	    {"office", p->office},
	    {"issued_on", p->issued_on},
	    {"starts_on", p->starts_on},
	    {"ends_on", p->ends_on},
	    {"status", p->status},
	    {"status_reason", p->status_reason},
	    {"updated_at", p->updated_at},
	    {"verdict", verdicts[vd].api},
	};

	mc_buf_reset(&a->scratch);
	if (p->owner_name && mc_utf8_mask_name(p->owner_name, &a->scratch) != MC_OK)
		mc_buf_reset(&a->scratch);
	a->bad |= json_object_set_new(a->rec, "id", json_integer(p->id)) != 0;
	a->bad |= jstrs(a->rec, v, sizeof(v) / sizeof(v[0])) != 0;
	a->bad |= jstr(a->rec, "owner", a->scratch.len ? a->scratch.data : NULL) != 0;
	a->bad |= json_object_set_new(a->rec, "floors", json_integer(p->floors)) != 0;
	a->bad |= json_object_set_new(a->rec, "area_m2", json_real(p->area_m2)) != 0;
	a->bad |= json_object_set_new(a->rec, "height_m", json_real(p->height_m)) != 0;
	a->bad |= json_object_set_new(a->rec, "allowed_today", json_boolean(vd == V_ALLOWED)) != 0;
	return MC_OK;
}

static enum mc_err api_insp_cb(void *ctx, const struct mc_inspection *i)
{
	struct api *a = ctx;
	json_t *j = json_object();

	if (j) {
		const struct kv v[] = {{"on_date", i->on_date},
				       {"inspector", i->inspector},
				       {"result", i->result},
				       {"note", i->note}};
		a->bad |= jstrs(j, v, sizeof(v) / sizeof(v[0])) != 0;
	}
	a->bad |= json_array_append_new(a->list, j) != 0;
	return MC_OK;
}

/* Reads the record behind ci into a->rec (the ward's own record for a ward code) and says
 * which URL section it lives under (NULL for the ward home). */
static enum mc_err api_record(struct api *a, const struct code_info *ci, const char **section)
{
	int64_t id = ci->target_id;
	enum mc_err err;

	*section = NULL;
	if (strcmp(ci->kind, MC_KIND_WARD) == 0) {
		a->rec = json_incref(a->ward);
		return MC_OK;
	}
	if (!(a->rec = json_object()) || !(a->list = json_array()))
		return MC_ERR_NOMEM;
	a->bad |= json_object_set(a->rec, "ward", a->ward) != 0;
	if (strcmp(ci->kind, MC_KIND_PROCEDURE) == 0) {
		*section = "procedures";
		if ((err = mc_store_procedure_get(a->s, id, api_proc_cb, a)) != MC_OK)
			return err;
		a->bad |= json_object_set(a->rec, "documents", a->list) != 0;
		return mc_store_procedure_documents(a->s, id, api_doc_cb, a);
	}
	if (strcmp(ci->kind, MC_KIND_ANNOUNCEMENT) == 0) {
		*section = "announcements";
		return mc_store_announcement_get(a->s, id, api_ann_cb, a);
	}
	if (strcmp(ci->kind, MC_KIND_PERMIT) == 0) {
		*section = "permits";
		if ((err = mc_store_permit_get(a->s, id, api_permit_cb, a)) != MC_OK)
			return err;
		a->bad |= json_object_set(a->rec, "inspections", a->list) != 0;
		return mc_store_permit_inspections(a->s, id, api_insp_cb, a);
	}
	return MC_ERR_NOTFOUND;
}

static enum mc_err api_build(struct mc_pages *p, struct api *a, const struct code_info *ci,
			     json_t **out)
{
	const char *section = NULL;
	json_t *j = json_object(), *url;
	enum mc_err err;

	if (!j || !(a->ward = json_object()))
		goto nomem;
	/* The ward comes first: every URL needs its slug. */
	if ((err = mc_store_ward_by_id(a->s, ci->ward_id, api_ward_cb, a)) != MC_OK ||
	    (err = api_record(a, ci, &section)) != MC_OK)
		goto fail;
	if (section)
		url = json_sprintf("%s/w/%s/%s/%" PRId64, p->base_url, a->slug, section,
				   ci->target_id);
	else
		url = json_sprintf("%s/w/%s", p->base_url, a->slug);
	a->bad |= jstr(j, "token", ci->token) != 0;
	a->bad |= jstr(j, "kind", ci->kind) != 0;
	a->bad |= jstr(j, "status", "active") != 0;
	a->bad |= json_object_set_new(j, "replaced_by", json_null()) != 0;
	a->bad |= json_object_set_new(j, "url", url) != 0;
	a->bad |= json_object_set(j, "record", a->rec) != 0;
	if (a->bad)
		goto nomem;
	*out = j;
	return MC_OK;
nomem:
	err = MC_ERR_NOMEM;
fail:
	json_decref(j);
	return err;
}

static enum mc_err api_answer(struct mc_pages *p, struct mc_store *s, const char *token,
			      struct mc_response *r)
{
	struct api a = {.s = s};
	struct code_info ci;
	json_t *j = NULL;
	enum mc_err err = resolve(s, token, &ci);

	switch (err) {
	case MC_OK:
		break;
	case MC_ERR_INVALID:
	case MC_ERR_NOTFOUND:
		return json_error(404, MSG_CODE_UNKNOWN, NULL, r);
	case MC_ERR_CHECK:
		return json_error(404, MSG_CODE_MISTYPED, NULL, r);
	case MC_ERR_GONE:
		return json_error(410, MSG_CODE_GONE, &ci, r);
	default:
		return err;
	}
	mc_buf_init(&a.scratch);
	mc_date_today(a.today);
	err = api_build(p, &a, &ci, &j);
	json_decref(a.ward);
	json_decref(a.rec);
	json_decref(a.list);
	mc_buf_finish(&a.scratch);
	if (err == MC_ERR_NOTFOUND)
		return json_error(404, MSG_CODE_UNKNOWN, NULL, r);
	if (err != MC_OK)
		return err;
	return json_send(j, 200, r);
}

enum mc_err mc_pages_api_code(struct mc_call *c)
{
	return api_answer(c->site->pages, c->s, c->arg, c->r);
}
