/* The scaffolding every staff and supervisor page is built with: a page's data and the
 * signed-in user block, rendering, the message pages (403, 404, 405, 422) and redirects. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/public/pages.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/request.h"
#include "motcham/web/response.h"
#include "private.h"

struct mc_tobj *page_list_push(struct list *l)
{
	if (!l->obj && !(l->obj = mc_tobj_obj(l->parent, l->key)))
		return NULL;
	return mc_tobj_push(l->obj, "items");
}

const char *page_arg(const struct office *c, const char *name)
{
	const char *v = c->rq->lookup(c->rq, MC_REQ_ARG, name);

	return v && *v ? v : NULL;
}

enum mc_err page_count(struct mc_tobj *o, const char *key, long long n)
{
	return mc_tobj_strf(o, key, "%lld", n);
}

static enum mc_err add_me(struct office *c)
{
	struct mc_tobj *me;
	enum mc_err err;

	if (!c->u.id)
		return MC_OK;
	if (!(me = mc_tobj_obj(c->root, "me")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(me, "who", c->u.name)) != MC_OK ||
	    (err = mc_tobj_str(me, "role_label", mc_session_role_label(c->u.role))) != MC_OK ||
	    (err = mc_tobj_str(c->root, "csrf", c->u.csrf)) != MC_OK)
		return err;
	if (c->u.ward_id) {
		err = mc_store_ward_by_id(c->wr, c->u.ward_id, wards_name_cb, me);
		if (err != MC_OK && err != MC_ERR_NOTFOUND)
			return err;
	}
	return MC_OK;
}

/* Starts the data of a page titled title: the supervisors' board says what day its counts
 * are of, and every page shows who is signed in. */
enum mc_err page_start(struct office *c, const char *title)
{
	enum mc_err err;

	mc_tdata_destroy(c->d);
	if (!(c->d = mc_tdata_create()))
		return MC_ERR_NOMEM;
	c->root = mc_tdata_root(c->d);
	if ((err = mc_tobj_str(c->root, "title", title)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "heading", title)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "today", c->today)) != MC_OK)
		return err;
	return add_me(c);
}

enum mc_err page_show(struct office *c, const char *tpl, int status)
{
	enum mc_err err = mc_pages_render(c->pages, tpl, c->root, status, c->r);

	c->r->cache = "private, no-store";
	mc_tdata_destroy(c->d);
	c->d = NULL;
	c->root = NULL;
	return err;
}

enum mc_err page_message(struct office *c, int status, const char *heading, const char *detail)
{
	enum mc_err err;

	if ((err = page_start(c, heading)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "detail", detail)) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "status", "%d", status)) != MC_OK)
		return err;
	return page_show(c, "staff_message", status);
}

enum mc_err page_forbidden(struct office *c)
{
	return page_message(c, 403, "Không được phép",
			    "Tài khoản của bạn không có quyền xem hoặc thay đổi nội dung này.");
}

enum mc_err page_not_found(struct office *c)
{
	return page_message(c, 404, "Không tìm thấy", "Hồ sơ hoặc trang bạn tìm không có.");
}

enum mc_err page_bad_method(struct office *c)
{
	return page_message(c, 405, "Phương thức không được hỗ trợ",
			    "Trang này không nhận yêu cầu kiểu này.");
}

enum mc_err page_access(struct office *c, enum mc_err err, bool found, int64_t ward_id, bool write,
			bool *shown)
{
	*shown = false;
	if (err == MC_ERR_NOTFOUND || (err == MC_OK && !found)) {
		*shown = true;
		return page_not_found(c);
	}
	if (err != MC_OK)
		return err;
	if (write ? !mc_session_can_write(&c->u, ward_id) : !mc_session_can_read(&c->u, ward_id)) {
		*shown = true;
		return page_forbidden(c);
	}
	return MC_OK;
}

enum mc_err page_redirect(struct office *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->r->location, sizeof(c->r->location), fmt, ap);
	va_end(ap);
	mc_buf_reset(&c->r->body);
	c->r->status = 303;
	c->r->cache = "private, no-store";
	return MC_OK;
}

enum mc_err page_refuse(struct office *c, const char *detail, const char *back)
{
	enum mc_err err;

	if ((err = page_start(c, "Chưa thực hiện được")) != MC_OK ||
	    (err = mc_tobj_str(c->root, "detail", detail)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "back", back)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "status", "422")) != MC_OK)
		return err;
	return page_show(c, "staff_message", 422);
}

enum mc_err mc_office_not_found(struct mc_call *call)
{
	return call->wrong_method ? page_bad_method(call->scope) : page_not_found(call->scope);
}

enum mc_err mc_supervise_not_found(struct mc_call *call)
{
	return page_not_found(call->scope);
}
