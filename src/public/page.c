/* The life of a public page (made, filled, rendered, finished), the templates and the
 * error pages every public answer may fall back to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/domain/check.h"
#include "private.h"

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

/* ---- page life cycle ----------------------------------------------------------------- */

enum mc_err page_init(struct page *pg, struct mc_pages *p, struct mc_store *s)
{
	memset(pg, 0, sizeof(*pg));
	pg->p = p;
	pg->s = s;
	mc_buf_init(&pg->scratch);
	mc_buf_init(&pg->share);
	mc_date_today(pg->today);
	if (!(pg->d = mc_tdata_create()))
		return MC_ERR_NOMEM;
	pg->root = mc_tdata_root(pg->d);
	return MC_OK;
}

enum mc_err page_render(struct mc_pages *p, const struct mc_tobj *root, const char *name,
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
	return page_render(p, root, name, status, r);
}

const char *mc_pages_base_url(const struct mc_pages *p)
{
	return p->base_url;
}

/* Ends a page: a missing record becomes the 404 page and bad input the 400 page; any other
 * failure leaves no half-written body behind. */
enum mc_err page_finish(struct page *pg, enum mc_err err, struct mc_response *r)
{
	mc_tdata_destroy(pg->d);
	mc_buf_finish(&pg->scratch);
	mc_buf_finish(&pg->share);
	pg->d = NULL;
	if (err == MC_ERR_NOTFOUND)
		return mc_pages_error(pg->p, 404, r);
	if (err == MC_ERR_INVALID)
		return mc_pages_error(pg->p, 400, r);
	if (err != MC_OK)
		mc_buf_reset(&r->body);
	return err;
}

enum mc_err page_ward_cb(void *ctx, const struct mc_ward *w)
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
	snprintf(pg->slug, sizeof(pg->slug), "%s", or_empty(w->slug));
	if ((err = share_text(pg, "%s. %s", or_empty(w->name),
			      w->intro ? w->intro : or_empty(w->address))) != MC_OK)
		return err;
	if ((err = set_all(o, v, sizeof(v) / sizeof(v[0]))) != MC_OK ||
	    (err = mc_tobj_bool(o, "sample", w->sample)) != MC_OK ||
	    (err = set_tel(o, w->phone)) != MC_OK ||
	    (err = set_lines(o, "hours", w->hours, false)) != MC_OK)
		return err;
	return set_paragraphs(o, "intro", w->intro);
}

enum mc_err load_ward_slug(struct page *pg, const char *slug)
{
	if (!mc_check_slug(slug))
		return MC_ERR_NOTFOUND;
	return mc_store_ward_by_slug(pg->s, slug, page_ward_cb, pg);
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
enum mc_err add_qr(struct page *pg, const char *kind, int64_t id)
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

enum mc_err page_error(struct mc_pages *p, int status, const char *heading, const char *detail,
		       const char *replacement, struct mc_response *r)
{
	return page_error_form(p, status, heading, detail, replacement, false, r);
}

enum mc_err page_error_form(struct mc_pages *p, int status, const char *heading, const char *detail,
			    const char *replacement, bool ref_form, struct mc_response *r)
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
	    (err = mc_tobj_bool(o, "ref_form", ref_form)) != MC_OK ||
	    (err = mc_tobj_bool(o, "code_form", !ref_form && (status == 404 || status == 410))) !=
		MC_OK ||
	    (err = mc_tobj_strf(o, "status", "%d", status)) != MC_OK)
		goto fail;
	err = page_render(p, o, "error", status, r);
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
			return page_error(p, status, error_texts[i].heading, error_texts[i].detail,
					  NULL, r);
	return page_error(p, status, "Đã có lỗi xảy ra", NULL, NULL, r);
}
