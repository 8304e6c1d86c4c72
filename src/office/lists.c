/* The ward's lists on the staff side, a page at a time (GET /staff/permits, /staff/procedures
 * and /staff/announcements, ?ward=SLUG&page=N), and their first items on the dashboard: a ward
 * with thousands of permits keeps every staff page within the page budget. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/domain/permit.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/request.h"
#include "private.h"

/* Items on one page of a list. */
#define LIST_PAGE 50
/* Digits of a page number: more pages than a ward will ever have. */
#define PAGE_DIGITS 6

struct listing {
	struct office *c;
	struct list l;
};

static enum mc_err dash_proc(void *ctx, const struct mc_procedure *p)
{
	struct listing *ls = ctx;
	struct mc_tobj *o = page_list_push(&ls->l);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)p->id)) != MC_OK ||
	    (err = mc_tobj_str(o, "title", p->title)) != MC_OK ||
	    (err = mc_tobj_str(o, "tthc_code", p->tthc_code)) != MC_OK ||
	    (err = mc_tobj_str(o, "field", p->field)) != MC_OK)
		return err;
	return mc_tobj_str(o, "retired_on", p->retired_at);
}

static enum mc_err dash_ann(void *ctx, const struct mc_announcement *a)
{
	struct listing *ls = ctx;
	struct mc_tobj *o = page_list_push(&ls->l);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)a->id)) != MC_OK ||
	    (err = mc_tobj_str(o, "title", a->title)) != MC_OK ||
	    (err = mc_tobj_str(o, "published_on", a->published_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "expires_on", a->expires_on)) != MC_OK)
		return err;
	return mc_tobj_str(o, "retired_on", a->retired_at);
}

static enum mc_err dash_permit(void *ctx, const struct mc_permit *p)
{
	struct listing *ls = ctx;
	struct mc_tobj *o = page_list_push(&ls->l);
	bool expired = mc_permit_expired_on(p->status, p->ends_on, ls->c->today);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)p->id)) != MC_OK ||
	    (err = mc_tobj_str(o, "number", p->number)) != MC_OK ||
	    (err = mc_tobj_str(o, "address", p->address)) != MC_OK ||
	    (err = mc_tobj_str(o, "status_label", mc_label_of(mc_permit_statuses, p->status))) !=
		MC_OK ||
	    (err = mc_tobj_str(o, "status", p->status)) != MC_OK ||
	    (err = mc_tobj_str(o, "ends_on", p->ends_on)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "expired", expired);
}

static const struct lists_kind {
	const char *key;  /* the list's name in the templates, and its path under /staff/ */
	const char *flag; /* tells the list page's template which items it shows */
	const char *heading;
} kinds[] = {
    [LISTS_PERMITS] = {"permits", "is_permits", "Giấy phép xây dựng"},
    [LISTS_PROCEDURES] = {"procedures", "is_procedures", "Thủ tục hành chính"},
    [LISTS_ANNOUNCEMENTS] = {"announcements", "is_announcements", "Thông báo"},
};

enum mc_err lists_add(struct office *c, struct mc_tobj *o, enum lists_which k, int64_t ward_id,
		      long long limit, long long offset, long long *total)
{
	struct listing ls = {.c = c, .l = {o, kinds[k].key, NULL}};
	char key[32];
	enum mc_err err;

	switch (k) {
	case LISTS_PERMITS:
		if ((err = mc_store_permit_count(c->wr, ward_id, total)) == MC_OK)
			err = mc_store_permit_page(c->wr, ward_id, limit, offset, dash_permit, &ls);
		break;
	case LISTS_PROCEDURES:
		if ((err = mc_store_procedure_count(c->wr, ward_id, total)) == MC_OK)
			err =
			    mc_store_procedure_page(c->wr, ward_id, limit, offset, dash_proc, &ls);
		break;
	default:
		if ((err = mc_store_announcement_count(c->wr, ward_id, total)) == MC_OK)
			err = mc_store_announcement_page(c->wr, ward_id, limit, offset, dash_ann,
							 &ls);
		break;
	}
	snprintf(key, sizeof(key), "%s_total", kinds[k].key);
	if (err == MC_OK)
		err = page_count(o, key, *total);
	snprintf(key, sizeof(key), "%s_more", kinds[k].key);
	if (err == MC_OK)
		err = mc_tobj_bool(o, key, *total > offset + limit);
	return err;
}

long long lists_page_asked(struct office *c)
{
	const char *v = page_arg(c, "page");
	size_t n = v ? strlen(v) : 0;

	if (!v)
		return 1;
	if (n == 0 || n > PAGE_DIGITS || strspn(v, "0123456789") != n || v[0] == '0')
		return 0;
	return strtoll(v, NULL, 10);
}

enum mc_err lists_pager(struct office *c, long long page, long long total, long long per_page)
{
	long long pages = total ? (total + per_page - 1) / per_page : 1;
	struct mc_tobj *o = mc_tobj_obj(c->root, "pager");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = page_count(o, "page", page)) != MC_OK ||
	    (err = page_count(o, "pages", pages)) != MC_OK)
		return err;
	if (page > 1 && (err = page_count(o, "prev", page - 1)) != MC_OK)
		return err;
	return page < pages ? page_count(o, "next", page + 1) : MC_OK;
}

static enum mc_err list_page(struct office *c, enum lists_which k)
{
	struct mc_tobj *w;
	long long page = lists_page_asked(c), total = 0;
	int64_t ward_id = 0;
	enum mc_err err;

	if (!page)
		return page_message(c, 400, "Số trang không hợp lệ", "Trang phải là một số từ 1.");
	if ((err = wards_current(c, c->rq->lookup(c->rq, MC_REQ_ARG, "ward"), &ward_id)) != MC_OK ||
	    (err = page_start(c, kinds[k].heading)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "heading", kinds[k].heading)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "list", kinds[k].key)) != MC_OK)
		return err;
	if (!ward_id)
		return page_show(c, "staff_list", 200);
	if (!(w = mc_tobj_obj(c->root, "board")))
		return MC_ERR_NOMEM;
	if ((err = mc_store_ward_by_id(c->wr, ward_id, wards_name_cb, w)) != MC_OK ||
	    (err = mc_tobj_bool(w, kinds[k].flag, true)) != MC_OK ||
	    (err = lists_add(c, w, k, ward_id, LIST_PAGE, (page - 1) * LIST_PAGE, &total)) != MC_OK)
		return err;
	if ((page - 1) * LIST_PAGE >= total && page > 1)
		return page_message(c, 404, "Không có trang này", "Danh sách không dài đến vậy.");
	if ((err = lists_pager(c, page, total, LIST_PAGE)) != MC_OK)
		return err;
	return page_show(c, "staff_list", 200);
}

enum mc_err mc_office_permit_list(struct mc_call *call)
{
	return list_page(call->scope, LISTS_PERMITS);
}

enum mc_err mc_office_procedure_list(struct mc_call *call)
{
	return list_page(call->scope, LISTS_PROCEDURES);
}

enum mc_err mc_office_announcement_list(struct mc_call *call)
{
	return list_page(call->scope, LISTS_ANNOUNCEMENTS);
}
