/* The ward staff's side. Every request runs on the one write connection: sign-in state,
 * CSRF and role checks come first, and a refused request returns before anything is
 * written. Pages are plain HTML forms (no JavaScript); a form with bad input comes back
 * with status 422, the typed values and a message next to each bad field. */
#include "motcham/office/staff.h"
#include "motcham/office/office.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "motcham/base/auth.h"
#include "motcham/base/date.h"
#include "motcham/web/fields.h"
#include "motcham/web/form.h"
#include "motcham/public/pages.h"
#include "motcham/domain/permit.h"
#include "motcham/print/print.h"
#include "motcham/web/call.h"
#include "motcham/web/request.h"
#include "motcham/office/session.h"
#include "motcham/store/store.h"
#include "motcham/office/supervise.h"
#include "motcham/render/template.h"
#include "motcham/base/token.h"
#include "motcham/web/upload.h"
#include "motcham/base/utf8.h"

#define DOCS_MAX 100
#define ID_DIGITS 18

struct mc_staff {
	struct mc_pages *pages;
	char *files_dir;
};

struct ward_item {
	int64_t id;
	char slug[65];
	char *name;
};

struct wards {
	struct ward_item *v;
	struct mc_label *opts; /* slug/name pairs, NULL-terminated */
	size_t n, cap;
};

/* One request's state. */
struct ctx {
	struct mc_staff *st;
	struct mc_store *wr;
	const struct mc_request *rq;
	struct mc_response *r;
	struct mc_session_user u;
	bool get, post;
	long long now;
	char today[MC_DATE_LEN + 1];
	struct mc_call *call; /* the request as the route table matched it */
	struct mc_tdata *d;
	struct mc_tobj *root;
	struct wards wards;
};

/* A list shown only when it has items: the template sees parent.key.items, and no
 * parent.key at all when the list is empty. */
struct list {
	struct mc_tobj *parent;
	const char *key;
	struct mc_tobj *obj;
};

static struct mc_tobj *list_push(struct list *l)
{
	if (!l->obj && !(l->obj = mc_tobj_obj(l->parent, l->key)))
		return NULL;
	return mc_tobj_push(l->obj, "items");
}

/* ---- wards --------------------------------------------------------------------------- */

static enum mc_err ward_push(void *ctx, const struct mc_ward *w)
{
	struct wards *ws = ctx;
	struct ward_item *v;

	if (ws->n == ws->cap) {
		size_t cap = ws->cap ? 2 * ws->cap : 8;

		if (!(v = realloc(ws->v, cap * sizeof(*v))))
			return MC_ERR_NOMEM;
		ws->v = v;
		ws->cap = cap;
	}
	v = &ws->v[ws->n];
	v->id = w->id;
	snprintf(v->slug, sizeof(v->slug), "%s", w->slug ? w->slug : "");
	if (!(v->name = strdup(w->name ? w->name : "")))
		return MC_ERR_NOMEM;
	ws->n++;
	return MC_OK;
}

static void wards_free(struct wards *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		free(ws->v[i].name);
	free(ws->v);
	free(ws->opts);
	memset(ws, 0, sizeof(*ws));
}

static enum mc_err wards_load(struct ctx *c)
{
	struct wards *ws = &c->wards;
	enum mc_err err;

	if (ws->opts)
		return MC_OK;
	if ((err = mc_store_ward_each(c->wr, ward_push, ws)) != MC_OK)
		return err;
	if (!(ws->opts = calloc(ws->n + 1, sizeof(*ws->opts))))
		return MC_ERR_NOMEM;
	for (size_t i = 0; i < ws->n; i++) {
		ws->opts[i].value = ws->v[i].slug;
		ws->opts[i].label = ws->v[i].name;
	}
	return MC_OK;
}

static const struct ward_item *ward_find(struct ctx *c, int64_t id, const char *slug)
{
	for (size_t i = 0; i < c->wards.n; i++)
		if ((slug && !strcmp(c->wards.v[i].slug, slug)) ||
		    (!slug && c->wards.v[i].id == id))
			return &c->wards.v[i];
	return NULL;
}

/* The ward a page is about: staff always their own; supervisors and admins pick one with
 * ?ward=SLUG, the first ward by default. 0 when there is no ward at all. */
static enum mc_err current_ward(struct ctx *c, const char *slug, int64_t *id)
{
	const struct ward_item *w;
	enum mc_err err;

	*id = 0;
	if (!mc_session_all_wards(&c->u)) {
		*id = c->u.ward_id;
		return MC_OK;
	}
	if ((err = wards_load(c)) != MC_OK)
		return err;
	w = slug ? ward_find(c, 0, slug) : NULL;
	if (!w && c->wards.n)
		w = &c->wards.v[0];
	*id = w ? w->id : 0;
	return MC_OK;
}

static enum mc_err ward_name_cb(void *ctx, const struct mc_ward *w)
{
	struct mc_tobj *o = ctx;
	enum mc_err err;

	if ((err = mc_tobj_str(o, "ward_name", w->name)) != MC_OK)
		return err;
	return mc_tobj_str(o, "ward_slug", w->slug);
}

/* ---- pages --------------------------------------------------------------------------- */

static enum mc_err add_me(struct ctx *c)
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
		err = mc_store_ward_by_id(c->wr, c->u.ward_id, ward_name_cb, me);
		if (err != MC_OK && err != MC_ERR_NOTFOUND)
			return err;
	}
	return MC_OK;
}

/* Starts the data of a page titled title. */
static enum mc_err page(struct ctx *c, const char *title)
{
	enum mc_err err;

	mc_tdata_destroy(c->d);
	if (!(c->d = mc_tdata_create()))
		return MC_ERR_NOMEM;
	c->root = mc_tdata_root(c->d);
	if ((err = mc_tobj_str(c->root, "title", title)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "heading", title)) != MC_OK)
		return err;
	return add_me(c);
}

static enum mc_err show(struct ctx *c, const char *tpl, int status)
{
	enum mc_err err = mc_pages_render(c->st->pages, tpl, c->root, status, c->r);

	c->r->cache = "private, no-store";
	mc_tdata_destroy(c->d);
	c->d = NULL;
	c->root = NULL;
	return err;
}

static enum mc_err message(struct ctx *c, int status, const char *heading, const char *detail)
{
	enum mc_err err;

	if ((err = page(c, heading)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "detail", detail)) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "status", "%d", status)) != MC_OK)
		return err;
	return show(c, "staff_message", status);
}

static enum mc_err forbidden(struct ctx *c)
{
	return message(c, 403, "Không được phép",
		       "Tài khoản của bạn không có quyền xem hoặc thay đổi nội dung này.");
}

static enum mc_err not_found(struct ctx *c)
{
	return message(c, 404, "Không tìm thấy", "Hồ sơ hoặc trang bạn tìm không có.");
}

static enum mc_err bad_method(struct ctx *c)
{
	return message(c, 405, "Phương thức không được hỗ trợ",
		       "Trang này không nhận yêu cầu kiểu này.");
}

static enum mc_err redirect(struct ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static enum mc_err redirect(struct ctx *c, const char *fmt, ...)
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

/* Adds the code of a record to the page: token, public URL, and whether it may be retired. */
static enum mc_err code_cb(void *ctx, const struct mc_code *code)
{
	struct ctx *c = ctx;
	struct mc_tobj *o = mc_tobj_obj(c->root, "code");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "token", code->token)) != MC_OK)
		return err;
	return mc_tobj_strf(o, "url", "%s/q/%s", mc_pages_base_url(c->st->pages), code->token);
}

static enum mc_err add_code(struct ctx *c, const char *kind, int64_t id)
{
	enum mc_err err = mc_store_code_for_target(c->wr, kind, id, code_cb, c);

	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

/* The ward picker for a new record made by an admin (staff always write to their ward). */
static enum mc_err add_ward_choice(struct ctx *c, int64_t selected)
{
	struct mc_tobj *o;
	enum mc_err err;

	if (strcmp(c->u.role, MC_ROLE_ADMIN))
		return MC_OK;
	if ((err = wards_load(c)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "ward_choice", true)) != MC_OK)
		return err;
	for (size_t i = 0; i < c->wards.n; i++) {
		if (!(o = mc_tobj_push(c->root, "wards")))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_str(o, "slug", c->wards.v[i].slug)) != MC_OK ||
		    (err = mc_tobj_str(o, "name", c->wards.v[i].name)) != MC_OK ||
		    (err = mc_tobj_bool(o, "selected", c->wards.v[i].id == selected)) != MC_OK)
			return err;
	}
	return MC_OK;
}

/* The ward a new record goes to: staff their own; an admin the posted ward, else their
 * own ward, else the first ward (as on the dashboard). *ok false for an unknown ward. */
static enum mc_err posted_ward(struct ctx *c, int64_t *id, bool *ok)
{
	const char *slug = mc_form_get(c->rq->form, "ward");
	const struct ward_item *w;
	enum mc_err err;

	*ok = true;
	*id = c->u.ward_id;
	if (strcmp(c->u.role, MC_ROLE_ADMIN))
		return MC_OK;
	if ((err = wards_load(c)) != MC_OK)
		return err;
	if (!slug || !*slug) {
		if (!c->u.ward_id && c->wards.n)
			*id = c->wards.v[0].id;
		*ok = *id != 0;
		return MC_OK;
	}
	w = ward_find(c, 0, slug);
	*ok = w != NULL;
	*id = w ? w->id : 0;
	return MC_OK;
}

static enum mc_err add_fields(struct ctx *c, const struct mc_fields *f, const char *obj)
{
	struct mc_tobj *o = obj ? mc_tobj_obj(c->root, obj) : c->root;

	if (!o)
		return MC_ERR_NOMEM;
	return mc_fields_tobj(f, o, "fields");
}

/* ---- sign in and out ----------------------------------------------------------------- */

#define MSG_LOGIN_BAD "Tên đăng nhập hoặc mật khẩu không đúng."
#define MSG_LOGIN_LOCKED "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau."

static enum mc_err login_page(struct ctx *c, int status, const char *error, const char *name,
			      const char *csrf)
{
	char fresh[MC_AUTH_TOKEN_LEN + 1];
	enum mc_err err;

	/* Double submit: with no session yet, the form's token must match a cookie that only
	 * our own page can have set. */
	if (!csrf) {
		mc_auth_token(fresh);
		mc_session_login_cookie(fresh, c->rq->https, c->r->cookie);
		csrf = fresh;
	}
	if ((err = page(c, "Đăng nhập")) != MC_OK ||
	    (err = mc_tobj_str(c->root, "login_csrf", csrf)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "login_error", error)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "login_name", name)) != MC_OK)
		return err;
	return show(c, "staff_login", status);
}

static enum mc_err login(struct ctx *c)
{
	const char *cookie = c->rq->lookup(c->rq, MC_REQ_COOKIE, MC_SESSION_LOGIN_COOKIE);
	const char *csrf = mc_form_get(c->rq->form, "csrf");
	const char *name = mc_form_get(c->rq->form, "name");
	const char *pw = mc_form_get(c->rq->form, "password");
	char token[MC_AUTH_TOKEN_LEN + 1];
	enum mc_login_result res;
	enum mc_err err;

	if (!mc_auth_hex64(cookie) || !csrf || !mc_auth_equal(cookie, csrf))
		return login_page(c, 403, "Trang đăng nhập đã hết hạn. Vui lòng đăng nhập lại.",
				  NULL, NULL);
	if ((err = mc_session_login(c->wr, name, pw, c->rq->client_key, c->now, &res, token,
				    &c->r->delay_ms)) != MC_OK)
		return err;
	if (name && (strlen(name) > 64 || !mc_utf8_valid(name, strlen(name))))
		name = NULL;
	if (res == MC_LOGIN_LOCKED)
		return login_page(c, 429, MSG_LOGIN_LOCKED, name, cookie);
	if (res == MC_LOGIN_BAD)
		return login_page(c, 401, MSG_LOGIN_BAD, name, cookie);
	mc_session_cookie(token, c->rq->https, c->r->cookie);
	return redirect(c, "%s", "/staff");
}

static enum mc_err logout(struct ctx *c)
{
	enum mc_err err = mc_session_logout(c->wr, &c->u);

	if (err != MC_OK)
		return err;
	mc_session_cookie(NULL, c->rq->https, c->r->cookie);
	return redirect(c, "%s", "/staff/login");
}

/* ---- dashboard ----------------------------------------------------------------------- */

static enum mc_err dash_proc(void *ctx, const struct mc_procedure *p)
{
	struct mc_tobj *o = list_push(ctx);
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
	struct mc_tobj *o = list_push(ctx);
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

struct dash {
	struct ctx *c;
	struct mc_tobj *o;
	struct list permits, procedures, announcements;
	int open;
	int64_t ward_id;
};

static enum mc_err dash_permit(void *ctx, const struct mc_permit *p)
{
	struct dash *d = ctx;
	struct mc_tobj *o = list_push(&d->permits);
	bool expired = mc_permit_expired_on(p->status, p->ends_on, d->c->today);
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

static enum mc_err count_open(void *ctx, const struct mc_report *rep)
{
	struct dash *d = ctx;

	if (!rep->reviewed_at)
		d->open++;
	return MC_OK;
}

static enum mc_err ward_pick(struct ctx *c, int64_t ward_id)
{
	struct mc_tobj *o;
	enum mc_err err;

	if (!mc_session_all_wards(&c->u))
		return MC_OK;
	for (size_t i = 0; i < c->wards.n; i++) {
		if (!(o = mc_tobj_push(c->root, "picker")))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_str(o, "slug", c->wards.v[i].slug)) != MC_OK ||
		    (err = mc_tobj_str(o, "name", c->wards.v[i].name)) != MC_OK ||
		    (err = mc_tobj_bool(o, "selected", c->wards.v[i].id == ward_id)) != MC_OK)
			return err;
	}
	return MC_OK;
}

/* ---- scan statistics on the dashboard ------------------------------------------------ */

#define SCAN_TOP 10

static enum mc_err scan_item_cb(void *ctx, const struct mc_scan_count *sc)
{
	struct list *l = ctx;
	struct mc_tobj *o = list_push(l);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)sc->target_id)) != MC_OK ||
	    (err = mc_tobj_str(o, "title", sc->title)) != MC_OK ||
	    (err = mc_tobj_str(o, "token", sc->token)) != MC_OK)
		return err;
	return mc_tobj_strf(o, "count", "%lld", sc->count);
}

/* The most scanned procedures and permits of the ward since days ago (ward-local dates), and
 * the scans of unknown and mistyped codes, which cannot be told apart by ward. */
static enum mc_err scan_window(struct ctx *c, struct mc_tobj *board, int64_t ward_id, int days)
{
	struct mc_tobj *o = mc_tobj_push(board, "scans");
	struct list procs, permits;
	char since[MC_DATE_LEN + 1];
	long long unknown = 0, mistyped = 0;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	procs = (struct list){o, "top_procedures", NULL};
	permits = (struct list){o, "top_permits", NULL};
	mc_date_of(time(NULL) - (time_t)days * 86400, since);
	if ((err = mc_store_scan_top(c->wr, ward_id, since, MC_KIND_PROCEDURE, SCAN_TOP,
				     scan_item_cb, &procs)) != MC_OK ||
	    (err = mc_store_scan_top(c->wr, ward_id, since, MC_KIND_PERMIT, SCAN_TOP, scan_item_cb,
				     &permits)) != MC_OK ||
	    (err = mc_store_scan_miss_count(c->wr, since, "unknown", &unknown)) != MC_OK ||
	    (err = mc_store_scan_miss_count(c->wr, since, "mistyped", &mistyped)) != MC_OK)
		return err;
	if ((err = mc_tobj_strf(o, "days", "%d", days)) != MC_OK ||
	    (err = mc_tobj_str(o, "since", since)) != MC_OK ||
	    (err = mc_tobj_strf(o, "unknown", "%lld", unknown)) != MC_OK)
		return err;
	return mc_tobj_strf(o, "mistyped", "%lld", mistyped);
}

static enum mc_err dashboard(struct ctx *c)
{
	struct dash d = {.c = c};
	struct mc_tobj *w;
	enum mc_err err;

	if ((err = current_ward(c, c->rq->lookup(c->rq, MC_REQ_ARG, "ward"), &d.ward_id)) !=
		MC_OK ||
	    (err = page(c, "Bảng điều khiển")) != MC_OK ||
	    (err = ward_pick(c, d.ward_id)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "all_wards", mc_session_all_wards(&c->u))) != MC_OK)
		return err;
	if (!d.ward_id)
		return show(c, "staff_home", 200);
	if (!(w = d.o = mc_tobj_obj(c->root, "board")))
		return MC_ERR_NOMEM;
	d.permits = (struct list){w, "permits", NULL};
	d.procedures = (struct list){w, "procedures", NULL};
	d.announcements = (struct list){w, "announcements", NULL};
	err = mc_store_ward_by_id(c->wr, d.ward_id, ward_name_cb, w);
	if (err == MC_OK)
		err = mc_store_procedure_each_all(c->wr, d.ward_id, dash_proc, &d.procedures);
	if (err == MC_OK)
		err = mc_store_announcement_each(c->wr, d.ward_id, dash_ann, &d.announcements);
	if (err == MC_OK)
		err = mc_store_permit_each(c->wr, d.ward_id, dash_permit, &d);
	if (err == MC_OK)
		err = mc_store_report_each(c->wr, d.ward_id, count_open, &d);
	if (err == MC_OK)
		err = mc_tobj_strf(w, "open_reports", "%d", d.open);
	if (err == MC_OK)
		err = mc_tobj_bool(w, "can_write", mc_session_can_write(&c->u, d.ward_id));
	if (err == MC_OK)
		err = scan_window(c, w, d.ward_id, 7);
	if (err == MC_OK)
		err = scan_window(c, w, d.ward_id, 30);
	return err == MC_OK ? show(c, "staff_home", 200) : err;
}

/* ---- permits ------------------------------------------------------------------------- */

static const struct mc_field_spec permit_spec[] = {
    {"number", "Số giấy phép", MC_F_LINE, true, 0, 64, NULL, "Ví dụ 15/GPSC-UBND."},
    {"kind", "Loại công trình", MC_F_ENUM, true, 0, 0, mc_permit_kinds, NULL},
    {"address", "Địa chỉ công trình", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"owner_name", "Chủ đầu tư (họ và tên)", MC_F_LINE, true, 0, 0, NULL,
     "Trang công khai chỉ hiện họ và chữ cái đầu của tên."},
    {"scope", "Nội dung thi công", MC_F_TEXT, true, 0, 0, NULL, NULL},
    {"floors", "Số tầng", MC_F_INT, false, 0, 50, NULL, "Từ 0 đến 50."},
    {"area_m2", "Diện tích sàn (m²)", MC_F_REAL, false, 0, 100000, NULL, NULL},
    {"height_m", "Chiều cao (m)", MC_F_REAL, false, 0, 300, NULL, NULL},
    {"contractor", "Đơn vị thi công", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"office", "Cơ quan cấp phép", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"issued_on", "Ngày cấp", MC_F_DATE, true, 0, 0, NULL, NULL},
    {"starts_on", "Được thi công từ ngày", MC_F_DATE, true, 0, 0, NULL, NULL},
    {"ends_on", "Đến ngày", MC_F_DATE, true, 0, 0, NULL, NULL},
};
#define PERMIT_N (sizeof(permit_spec) / sizeof(permit_spec[0]))

static const struct mc_field_spec status_spec[] = {
    {"status", "Tình trạng mới", MC_F_ENUM, true, 0, 0, mc_permit_statuses, NULL},
    {"reason", "Lý do", MC_F_TEXT, false, 0, 2000, NULL,
     "Bắt buộc khi đình chỉ hoặc thu hồi; hiện trên trang công khai."},
};

static const struct mc_field_spec insp_spec[] = {
    {"on_date", "Ngày kiểm tra", MC_F_DATE, true, 0, 0, NULL, NULL},
    {"inspector", "Người kiểm tra", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"result", "Kết quả", MC_F_LINE, true, 0, 0, NULL, "Ví dụ: Đúng giấy phép."},
    {"note", "Ghi chú", MC_F_TEXT, false, 0, 0, NULL, NULL},
};

struct permit_rec {
	bool found;
	int64_t id, ward_id;
	char number[600];
	char status[32];
	char *reason;
	char starts_on[MC_DATE_LEN + 1], ends_on[MC_DATE_LEN + 1];
	struct mc_fields *f; /* receives the stored values when set */
	struct mc_tobj *o;   /* receives a summary when set */
	const char *today;
};

static enum mc_err permit_fill(struct mc_fields *f, const struct mc_permit *p)
{
	const char *const v[][2] = {
	    {"number", p->number},	 {"kind", p->kind},
	    {"address", p->address},	 {"owner_name", p->owner_name},
	    {"scope", p->scope},	 {"contractor", p->contractor},
	    {"office", p->office},	 {"issued_on", p->issued_on},
	    {"starts_on", p->starts_on}, {"ends_on", p->ends_on},
	};
	enum mc_err err = MC_OK;

	for (size_t i = 0; err == MC_OK && i < sizeof(v) / sizeof(v[0]); i++)
		err = mc_fields_set(f, v[i][0], v[i][1]);
	if (err == MC_OK)
		err = mc_fields_setf(f, "floors", "%d", p->floors);
	if (err == MC_OK && p->area_m2 > 0)
		err = mc_fields_setf(f, "area_m2", "%g", p->area_m2);
	if (err == MC_OK && p->height_m > 0)
		err = mc_fields_setf(f, "height_m", "%g", p->height_m);
	return err;
}

static enum mc_err permit_summary(struct permit_rec *rec, const struct mc_permit *p)
{
	struct mc_tobj *o = rec->o;
	bool expired = mc_permit_expired_on(p->status, p->ends_on, rec->today);
	enum mc_err err;

	if ((err = mc_tobj_str(o, "number", p->number)) != MC_OK ||
	    (err = mc_tobj_str(o, "address", p->address)) != MC_OK ||
	    (err = mc_tobj_str(o, "status", p->status)) != MC_OK ||
	    (err = mc_tobj_str(o, "status_label", mc_label_of(mc_permit_statuses, p->status))) !=
		MC_OK ||
	    (err = mc_tobj_str(o, "reason", p->status_reason)) != MC_OK ||
	    (err = mc_tobj_str(o, "starts_on", p->starts_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "ends_on", p->ends_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "updated", p->updated_at)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "expired", expired);
}

static enum mc_err permit_cb(void *ctx, const struct mc_permit *p)
{
	struct permit_rec *rec = ctx;
	enum mc_err err;

	rec->found = true;
	rec->id = p->id;
	rec->ward_id = p->ward_id;
	snprintf(rec->number, sizeof(rec->number), "%s", p->number ? p->number : "");
	snprintf(rec->status, sizeof(rec->status), "%s", p->status ? p->status : "");
	free(rec->reason);
	rec->reason = NULL;
	if (p->status_reason && !(rec->reason = strdup(p->status_reason)))
		return MC_ERR_NOMEM;
	snprintf(rec->starts_on, sizeof(rec->starts_on), "%s", p->starts_on ? p->starts_on : "");
	snprintf(rec->ends_on, sizeof(rec->ends_on), "%s", p->ends_on ? p->ends_on : "");
	if (rec->f && (err = permit_fill(rec->f, p)) != MC_OK)
		return err;
	return rec->o ? permit_summary(rec, p) : MC_OK;
}

/* Loads permit id and checks the user may read it (write: may change it). On anything
 * but MC_OK with *shown false, the caller returns err; with *shown true a 404/403 page
 * has been made. */
static enum mc_err load_permit(struct ctx *c, int64_t id, bool write, struct permit_rec *rec,
			       bool *shown)
{
	enum mc_err err = mc_store_permit_get(c->wr, id, permit_cb, rec);

	*shown = false;
	if (err == MC_ERR_NOTFOUND || (err == MC_OK && !rec->found)) {
		*shown = true;
		return not_found(c);
	}
	if (err != MC_OK)
		return err;
	if (write ? !mc_session_can_write(&c->u, rec->ward_id)
		  : !mc_session_can_read(&c->u, rec->ward_id)) {
		*shown = true;
		return forbidden(c);
	}
	return MC_OK;
}

static enum mc_err insp_cb(void *ctx, const struct mc_inspection *i)
{
	struct mc_tobj *o = list_push(ctx);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "on_date", i->on_date)) != MC_OK ||
	    (err = mc_tobj_str(o, "inspector", i->inspector)) != MC_OK ||
	    (err = mc_tobj_str(o, "result", i->result)) != MC_OK)
		return err;
	return mc_tobj_str(o, "note", i->note);
}

static enum mc_err file_cb(void *ctx, const struct mc_file *f)
{
	struct mc_tobj *o = list_push(ctx);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "sha256", f->sha256)) != MC_OK ||
	    (err = mc_tobj_str(o, "file_name", f->name)) != MC_OK ||
	    (err = mc_tobj_str(o, "mime", f->mime)) != MC_OK ||
	    (err = mc_tobj_strf(o, "size_kb", "%.1f", (double)f->size / 1024.0)) != MC_OK ||
	    (err = mc_tobj_str(o, "created", f->created_at)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "public", f->public);
}

/* The status form offers only the moves the rules allow from the current status. */
static enum mc_err add_status_form(struct ctx *c, const char *from, struct mc_fields *stf)
{
	struct mc_label moves[sizeof(mc_permit_statuses) / sizeof(mc_permit_statuses[0])];
	size_t n = 0;

	for (const struct mc_label *o = mc_permit_statuses; o->value; o++)
		if (mc_permit_can_move(from, o->value))
			moves[n++] = *o;
	moves[n] = (struct mc_label){NULL, NULL};
	if (n == 0)
		return MC_OK;
	mc_fields_options(stf, "status", moves);
	return add_fields(c, stf, "status_form");
}

struct permit_forms {
	struct mc_fields *edit, *status, *insp;
	const char *upload_error;
};

static enum mc_err permit_sections(struct ctx *c, struct permit_rec *rec,
				   const struct permit_forms *pf)
{
	struct list insp = {c->root, "inspections", NULL}, files = {c->root, "files", NULL};
	struct mc_tobj *w;
	enum mc_err err;

	if (!(w = mc_tobj_obj(c->root, "where")))
		return MC_ERR_NOMEM;
	if ((err = mc_store_ward_by_id(c->wr, rec->ward_id, ward_name_cb, w)) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "id", "%lld", (long long)rec->id)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "can_write", mc_session_can_write(&c->u, rec->ward_id))) !=
		MC_OK ||
	    (err = add_fields(c, pf->edit, "edit")) != MC_OK ||
	    (err = add_status_form(c, rec->status, pf->status)) != MC_OK ||
	    (err = add_fields(c, pf->insp, "insp_form")) != MC_OK ||
	    (err = mc_tobj_str(c->root, "upload_error", pf->upload_error)) != MC_OK ||
	    (err = mc_store_permit_inspections(c->wr, rec->id, insp_cb, &insp)) != MC_OK ||
	    (err = mc_store_file_each(c->wr, rec->id, false, file_cb, &files)) != MC_OK)
		return err;
	return add_code(c, MC_KIND_PERMIT, rec->id);
}

static bool any_errors(const struct permit_forms *pf)
{
	return pf->edit->nerr || pf->status->nerr || pf->insp->nerr || pf->upload_error;
}

/* Shows the permit's page: a form given in pf keeps what was typed, the others (NULL)
 * start from the stored record. */
static enum mc_err permit_page(struct ctx *c, int64_t id, int status, struct permit_forms *pf)
{
	struct permit_rec rec = {.today = c->today};
	struct permit_forms use = *pf;
	struct mc_fields edit, stf, insp;
	bool shown;
	enum mc_err err;

	mc_fields_init(&edit, permit_spec, PERMIT_N);
	mc_fields_init(&stf, status_spec, 2);
	mc_fields_init(&insp, insp_spec, 4);
	if (!use.edit)
		use.edit = rec.f = &edit;
	use.status = use.status ? use.status : &stf;
	if (!use.insp && (err = mc_fields_set(&insp, "on_date", c->today)) != MC_OK)
		goto out;
	use.insp = use.insp ? use.insp : &insp;
	if ((err = page(c, "Giấy phép xây dựng")) != MC_OK)
		goto out;
	if (!(rec.o = mc_tobj_obj(c->root, "permit"))) {
		err = MC_ERR_NOMEM;
		goto out;
	}
	if ((err = load_permit(c, id, false, &rec, &shown)) != MC_OK || shown)
		goto out;
	if ((err = mc_tobj_strf(c->root, "heading", "Giấy phép số %s", rec.number)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "has_errors", any_errors(&use))) != MC_OK ||
	    (err = permit_sections(c, &rec, &use)) != MC_OK)
		goto out;
	err = show(c, "staff_permit", status);
out:
	free(rec.reason);
	mc_fields_finish(&edit);
	mc_fields_finish(&stf);
	mc_fields_finish(&insp);
	return err;
}

/* A new-record form (also shown again with 422 when a create fails). */
static enum mc_err new_form(struct ctx *c, const char *heading, const char *action,
			    const struct mc_fields *f, int64_t ward_id, const char *ward_error,
			    int status)
{
	enum mc_err err;

	if ((err = page(c, heading)) != MC_OK ||
	    (err = add_ward_choice(c, ward_id ? ward_id : c->u.ward_id)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "action", action)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "ward_error", ward_error)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "has_errors", f->nerr || ward_error)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "can_write", true)) != MC_OK ||
	    (err = add_fields(c, f, NULL)) != MC_OK)
		return err;
	return show(c, "staff_form", status);
}

static enum mc_err check_dates(struct mc_fields *f, const char *a, const char *b, const char *msg)
{
	if (mc_fields_ok(f, a) && mc_fields_ok(f, b) &&
	    strcmp(mc_fields_get(f, a), mc_fields_get(f, b)) > 0)
		return mc_fields_fail(f, b, "%s", msg);
	return MC_OK;
}

/* Cross-field rules of a permit; current is the permit being edited (NULL: a new one). */
static enum mc_err check_permit(struct ctx *c, struct mc_fields *f,
				const struct permit_rec *current)
{
	const char *number = mc_fields_get(f, "number");
	int64_t other = 0;
	enum mc_err err;

	if ((err = check_dates(f, "issued_on", "starts_on",
			       "Ngày bắt đầu thi công không được trước ngày cấp.")) != MC_OK ||
	    (err = check_dates(f, "starts_on", "ends_on",
			       "Ngày kết thúc không được trước ngày bắt đầu.")) != MC_OK)
		return err;
	if (!mc_fields_ok(f, "number"))
		return MC_OK;
	err = mc_store_permit_id(c->wr, number, &other);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	if (err == MC_OK && (!current || other != current->id))
		return mc_fields_fail(f, "number", "%s",
				      "Số giấy phép này đã được dùng cho một giấy phép khác.");
	return MC_OK;
}

static void permit_from(const struct mc_fields *f, struct mc_permit *p)
{
	p->number = mc_fields_get(f, "number");
	p->kind = mc_fields_get(f, "kind");
	p->address = mc_fields_get(f, "address");
	p->owner_name = mc_fields_get(f, "owner_name");
	p->scope = mc_fields_get(f, "scope");
	p->floors = mc_fields_int(f, "floors");
	p->area_m2 = mc_fields_real(f, "area_m2");
	p->height_m = mc_fields_real(f, "height_m");
	p->contractor = mc_fields_get(f, "contractor");
	p->office = mc_fields_get(f, "office");
	p->issued_on = mc_fields_get(f, "issued_on");
	p->starts_on = mc_fields_get(f, "starts_on");
	p->ends_on = mc_fields_get(f, "ends_on");
}

/* Runs a write in one transaction: a half-made record never stays behind. */
static enum mc_err finish_tx(struct ctx *c, enum mc_err err)
{
	if (err == MC_OK)
		err = mc_store_commit(c->wr);
	if (err != MC_OK)
		mc_store_rollback(c->wr);
	return err;
}

static enum mc_err permit_create(struct ctx *c)
{
	struct mc_fields f;
	struct mc_permit p = {.status = MC_STATUS_ISSUED};
	char token[MC_TOKEN_LEN + 1];
	const char *ward_error = NULL;
	int64_t ward_id, id = 0;
	bool ok;
	enum mc_err err;

	mc_fields_init(&f, permit_spec, PERMIT_N);
	if ((err = posted_ward(c, &ward_id, &ok)) != MC_OK)
		goto out;
	if (!ok)
		ward_error = "Vui lòng chọn phường.";
	else if (!mc_session_can_write(&c->u, ward_id)) {
		err = forbidden(c);
		goto out;
	}
	if ((err = mc_fields_read(&f, c->rq->form)) != MC_OK ||
	    (err = check_permit(c, &f, NULL)) != MC_OK)
		goto out;
	if (f.nerr || ward_error) {
		err = new_form(c, "Giấy phép mới", "/staff/permits", &f, ward_id, ward_error, 422);
		goto out;
	}
	permit_from(&f, &p);
	p.ward_id = ward_id;
	if ((err = mc_store_begin(c->wr)) != MC_OK)
		goto out;
	err = mc_store_permit_upsert(c->wr, &p, &id, NULL);
	if (err == MC_OK)
		err = mc_store_code_ensure(c->wr, MC_KIND_PERMIT, id, token, NULL);
	if ((err = finish_tx(c, err)) == MC_OK)
		err = redirect(c, "/staff/permits/%lld", (long long)id);
out:
	mc_fields_finish(&f);
	return err;
}

static enum mc_err permit_update(struct ctx *c, int64_t id)
{
	struct permit_rec rec = {.today = c->today};
	struct permit_forms pf = {0};
	struct mc_permit p = {0};
	struct mc_fields f;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, permit_spec, PERMIT_N);
	if ((err = load_permit(c, id, true, &rec, &shown)) != MC_OK || shown)
		goto out;
	if ((err = mc_fields_read(&f, c->rq->form)) != MC_OK ||
	    (err = check_permit(c, &f, &rec)) != MC_OK)
		goto out;
	if (f.nerr) {
		pf.edit = &f;
		err = permit_page(c, id, 422, &pf);
		goto out;
	}
	permit_from(&f, &p);
	p.id = id;
	p.ward_id = rec.ward_id;
	p.status = rec.status;
	p.status_reason = rec.reason;
	if ((err = mc_store_permit_upsert(c->wr, &p, NULL, NULL)) == MC_OK)
		err = redirect(c, "/staff/permits/%lld", (long long)id);
out:
	free(rec.reason);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err permit_status(struct ctx *c, int64_t id)
{
	struct permit_rec rec = {.today = c->today};
	struct permit_forms pf = {0};
	struct mc_fields f;
	const char *to;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, status_spec, 2);
	if ((err = load_permit(c, id, true, &rec, &shown)) != MC_OK || shown)
		goto out;
	if ((err = mc_fields_read(&f, c->rq->form)) != MC_OK)
		goto out;
	to = mc_fields_get(&f, "status");
	if (mc_fields_ok(&f, "status") && !strcmp(to, rec.status))
		err = mc_fields_fail(&f, "status", "Giấy phép đang ở tình trạng «%s».",
				     mc_label_of(mc_permit_statuses, to));
	else if (mc_fields_ok(&f, "status") && !mc_permit_can_move(rec.status, to))
		err = mc_fields_fail(&f, "status", "Không thể chuyển từ «%s» sang «%s».",
				     mc_label_of(mc_permit_statuses, rec.status),
				     mc_label_of(mc_permit_statuses, to));
	if (err == MC_OK && mc_fields_ok(&f, "status") && mc_permit_needs_reason(to) &&
	    !mc_fields_get(&f, "reason"))
		err = mc_fields_fail(&f, "reason", "%s",
				     "Vui lòng ghi lý do khi đình chỉ hoặc thu hồi giấy phép.");
	if (err != MC_OK)
		goto out;
	if (f.nerr) {
		pf.status = &f;
		err = permit_page(c, id, 422, &pf);
		goto out;
	}
	err = mc_store_permit_set_status(c->wr, id, to, mc_fields_get(&f, "reason"));
	if (err == MC_OK)
		err = redirect(c, "/staff/permits/%lld", (long long)id);
out:
	free(rec.reason);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err permit_inspection(struct ctx *c, int64_t id)
{
	struct permit_rec rec = {.today = c->today};
	struct permit_forms pf = {0};
	struct mc_inspection i = {.permit_id = id};
	struct mc_fields f;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, insp_spec, 4);
	if ((err = load_permit(c, id, true, &rec, &shown)) != MC_OK || shown)
		goto out;
	if ((err = mc_fields_read(&f, c->rq->form)) != MC_OK)
		goto out;
	if (mc_fields_ok(&f, "on_date") && strcmp(mc_fields_get(&f, "on_date"), c->today) > 0 &&
	    (err = mc_fields_fail(&f, "on_date", "%s", "Ngày kiểm tra không được sau hôm nay.")) !=
		MC_OK)
		goto out;
	if (f.nerr) {
		pf.insp = &f;
		err = permit_page(c, id, 422, &pf);
		goto out;
	}
	i.on_date = mc_fields_get(&f, "on_date");
	i.inspector = mc_fields_get(&f, "inspector");
	i.result = mc_fields_get(&f, "result");
	i.note = mc_fields_get(&f, "note");
	if ((err = mc_store_inspection_upsert(c->wr, &i, NULL, NULL)) == MC_OK)
		err = redirect(c, "/staff/permits/%lld", (long long)id);
out:
	free(rec.reason);
	mc_fields_finish(&f);
	return err;
}

static bool checked(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"));
}

static enum mc_err permit_file(struct ctx *c, int64_t id)
{
	const struct mc_form_field *file = mc_form_file(c->rq->form, "file");
	struct permit_rec rec = {.today = c->today};
	struct permit_forms pf = {0};
	struct mc_file mf = {.permit_id = id};
	struct mc_buf name;
	char sha[65];
	bool shown;
	enum mc_err err;

	mc_buf_init(&name);
	if ((err = load_permit(c, id, true, &rec, &shown)) != MC_OK || shown)
		goto out;
	if (!file) {
		pf.upload_error = "Vui lòng chọn một tệp để tải lên.";
		err = permit_page(c, id, 422, &pf);
	} else if (file->value.len > MC_UPLOAD_MAX) {
		pf.upload_error = "Tệp quá lớn: tối đa 10 MB.";
		err = permit_page(c, id, 413, &pf);
	} else if (!(mf.mime = mc_upload_sniff(file->value.data, file->value.len))) {
		pf.upload_error = "Chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp).";
		err = permit_page(c, id, 415, &pf);
	} else if ((err = mc_upload_display_name(file->filename, &name)) == MC_OK &&
		   (err = mc_upload_save(c->st->files_dir, file->value.data, file->value.len,
					 sha)) == MC_OK) {
		mf.sha256 = sha;
		mf.size = (long long)file->value.len;
		mf.name = name.data;
		mf.public = checked(mc_form_get(c->rq->form, "public"));
		if ((err = mc_store_file_add(c->wr, &mf, NULL)) == MC_OK)
			err = redirect(c, "/staff/permits/%lld", (long long)id);
	}
out:
	free(rec.reason);
	mc_buf_finish(&name);
	return err;
}

static enum mc_err permit_new(struct ctx *c)
{
	struct mc_fields f;
	int64_t ward_id;
	enum mc_err err;

	mc_fields_init(&f, permit_spec, PERMIT_N);
	err = current_ward(c, c->rq->lookup(c->rq, MC_REQ_ARG, "ward"), &ward_id);
	if (err == MC_OK && !mc_session_can_write(&c->u, ward_id))
		err = forbidden(c);
	else if (err == MC_OK)
		err = new_form(c, "Giấy phép mới", "/staff/permits", &f, ward_id, NULL, 200);
	mc_fields_finish(&f);
	return err;
}

/* ---- procedures and announcements ---------------------------------------------------- */

#define DOCS_HINT "Mỗi dòng một mục: Tên | số bản chính | số bản sao, ví dụ: Tờ khai | 1 | 0."

static const struct mc_field_spec proc_spec[] = {
    {"tthc_code", "Mã thủ tục (mã TTHC)", MC_F_LINE, true, 0, 32, NULL, "Ví dụ 1.001193."},
    {"title", "Tên thủ tục", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"field", "Lĩnh vực", MC_F_LINE, true, 0, 0, NULL, "Ví dụ: Hộ tịch."},
    {"level", "Cấp thực hiện", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"steps", "Trình tự thực hiện", MC_F_TEXT, true, 0, 0, NULL, "Mỗi bước một dòng."},
    {"ways", "Cách thức thực hiện", MC_F_LINE, false, 0, 0, NULL,
     "Trực tiếp, trực tuyến hoặc qua bưu chính."},
    {"place", "Nơi nộp hồ sơ", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"documents", "Thành phần hồ sơ (giấy tờ)", MC_F_TEXT, false, 0, 0, NULL, DOCS_HINT},
    {"forms", "Mẫu đơn, tờ khai", MC_F_TEXT, false, 0, 0, NULL, DOCS_HINT},
    {"who", "Đối tượng thực hiện", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"conditions", "Yêu cầu, điều kiện", MC_F_TEXT, false, 0, 0, NULL, NULL},
    {"duration", "Thời hạn giải quyết", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"fees", "Phí, lệ phí", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"office", "Cơ quan giải quyết", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"result", "Kết quả thực hiện", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"legal_basis", "Căn cứ pháp lý", MC_F_TEXT, false, 0, 0, NULL, "Mỗi văn bản một dòng."},
    {"online_url", "Đường dẫn nộp trực tuyến", MC_F_URL, false, 0, 0, NULL,
     "Để trống nếu không nộp trực tuyến được."},
};
#define PROC_N (sizeof(proc_spec) / sizeof(proc_spec[0]))

static const struct mc_field_spec ann_spec[] = {
    {"title", "Tiêu đề", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"body", "Nội dung", MC_F_TEXT, true, 0, 0, NULL, NULL},
    {"published_on", "Ngày đăng", MC_F_DATE, true, 0, 0, NULL, NULL},
    {"expires_on", "Hết hiệu lực sau ngày", MC_F_DATE, false, 0, 0, NULL,
     "Để trống nếu không có hạn."},
};
#define ANN_N (sizeof(ann_spec) / sizeof(ann_spec[0]))

/* What the edit pages need to know about a stored procedure or announcement. */
struct rec {
	bool found;
	int64_t id, ward_id;
	char key[600]; /* tthc_code or title: the store's natural key */
	char retired[32];
	struct mc_fields *f;
	struct mc_buf docs[2]; /* papers, forms as "Name | originals | copies" lines */
};

static enum mc_err proc_rec_cb(void *ctx, const struct mc_procedure *p)
{
	struct rec *r = ctx;
	const char *const v[][2] = {
	    {"tthc_code", p->tthc_code},
	    {"title", p->title},
	    {"field", p->field},
	    {"level", p->level},
	    {"steps", p->steps},
	    {"ways", p->ways},
	    {"place", p->place},
	    {"who", p->who},
	    {"conditions", p->conditions},
	    {"duration", p->duration},
	    {"fees", p->fees},
	    {"office", p->office},
	    {"result", p->result},
	    {"legal_basis", p->legal_basis},
	    {"online_url", p->online_url},
	};
	enum mc_err err = MC_OK;

	r->found = true;
	r->id = p->id;
	r->ward_id = p->ward_id;
	snprintf(r->key, sizeof(r->key), "%s", p->tthc_code ? p->tthc_code : "");
	snprintf(r->retired, sizeof(r->retired), "%s", p->retired_at ? p->retired_at : "");
	for (size_t i = 0; r->f && err == MC_OK && i < sizeof(v) / sizeof(v[0]); i++)
		err = mc_fields_set(r->f, v[i][0], v[i][1]);
	return err;
}

static enum mc_err doc_line_cb(void *ctx, const struct mc_document *d)
{
	struct rec *r = ctx;
	struct mc_buf *b = &r->docs[d->kind == MC_DOC_FORM ? 1 : 0];

	return mc_buf_printf(b, "%s%s | %d | %d", b->len ? "\n" : "", d->name, d->originals,
			     d->copies);
}

static enum mc_err ann_rec_cb(void *ctx, const struct mc_announcement *a)
{
	struct rec *r = ctx;
	enum mc_err err = MC_OK;

	r->found = true;
	r->id = a->id;
	r->ward_id = a->ward_id;
	snprintf(r->key, sizeof(r->key), "%s", a->title ? a->title : "");
	snprintf(r->retired, sizeof(r->retired), "%s", a->retired_at ? a->retired_at : "");
	if (r->f && (err = mc_fields_set(r->f, "title", a->title)) == MC_OK &&
	    (err = mc_fields_set(r->f, "body", a->body)) == MC_OK &&
	    (err = mc_fields_set(r->f, "published_on", a->published_on)) == MC_OK)
		err = mc_fields_set(r->f, "expires_on", a->expires_on);
	return err;
}

/* The two kinds of record kept with the same kind of page. */
struct kind {
	const char *path; /* "/staff/procedures" */
	const char *code; /* MC_KIND_* */
	const char *noun; /* for headings */
	const char *new_heading;
	const struct mc_field_spec *spec;
	size_t n;
	bool procedure;
};

static const struct kind proc_kind = {
    "/staff/procedures", MC_KIND_PROCEDURE, "Thủ tục", "Thủ tục mới", proc_spec, PROC_N, true};
static const struct kind ann_kind = {"/staff/announcements",
				     MC_KIND_ANNOUNCEMENT,
				     "Thông báo",
				     "Thông báo mới",
				     ann_spec,
				     ANN_N,
				     false};

static void rec_init(struct rec *r, struct mc_fields *f)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	mc_buf_init(&r->docs[0]);
	mc_buf_init(&r->docs[1]);
}

static void rec_finish(struct rec *r)
{
	mc_buf_finish(&r->docs[0]);
	mc_buf_finish(&r->docs[1]);
}

/* Loads a record and checks access as load_permit does. */
static enum mc_err load_rec(struct ctx *c, const struct kind *k, int64_t id, bool write,
			    struct rec *r, bool *shown)
{
	enum mc_err err = k->procedure ? mc_store_procedure_get(c->wr, id, proc_rec_cb, r)
				       : mc_store_announcement_get(c->wr, id, ann_rec_cb, r);

	*shown = false;
	if (err == MC_ERR_NOTFOUND || (err == MC_OK && !r->found)) {
		*shown = true;
		return not_found(c);
	}
	if (err != MC_OK)
		return err;
	if (write ? !mc_session_can_write(&c->u, r->ward_id)
		  : !mc_session_can_read(&c->u, r->ward_id)) {
		*shown = true;
		return forbidden(c);
	}
	if (k->procedure && r->f)
		err = mc_store_procedure_documents(c->wr, id, doc_line_cb, r);
	if (err == MC_OK && k->procedure && r->f &&
	    (err = mc_fields_set(r->f, "documents", r->docs[0].data)) == MC_OK)
		err = mc_fields_set(r->f, "forms", r->docs[1].data);
	return err;
}

static enum mc_err record_page(struct ctx *c, const struct kind *k, const struct rec *r,
			       const struct mc_fields *f, int status)
{
	bool can_write = mc_session_can_write(&c->u, r->ward_id);
	struct mc_tobj *w;
	enum mc_err err;

	if ((err = page(c, k->noun)) != MC_OK)
		return err;
	if (!(w = mc_tobj_obj(c->root, "where")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(c->root, "heading", "%s: %s", k->noun, r->key)) != MC_OK ||
	    (err = mc_store_ward_by_id(c->wr, r->ward_id, ward_name_cb, w)) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "action", "%s/%lld", k->path, (long long)r->id)) !=
		MC_OK ||
	    (err = mc_tobj_bool(c->root, "can_write", can_write)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "has_errors", f->nerr > 0)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "retired_on", r->retired[0] ? r->retired : NULL)) !=
		MC_OK ||
	    (err = add_fields(c, f, NULL)) != MC_OK || (err = add_code(c, k->code, r->id)) != MC_OK)
		return err;
	if (can_write && !r->retired[0] &&
	    (err = mc_tobj_strf(c->root, "retire_action", "%s/%lld/retire", k->path,
				(long long)r->id)) != MC_OK)
		return err;
	if (k->procedure &&
	    (err = mc_tobj_strf(c->root, "print_link", "/staff/print/procedures/%lld",
				(long long)r->id)) != MC_OK)
		return err;
	if ((err = mc_tobj_str(c->root, "public_kind",
			       k->procedure ? "procedures" : "announcements")) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "id", "%lld", (long long)r->id)) != MC_OK)
		return err;
	return show(c, "staff_form", status);
}

struct docs {
	struct mc_document v[DOCS_MAX];
	size_t n;
	char *copy[2];
};

static void docs_finish(struct docs *d)
{
	free(d->copy[0]);
	free(d->copy[1]);
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	return s;
}

static bool count_ok(const char *s, int *out)
{
	size_t n = strlen(s);

	if (n < 1 || n > 2 || strspn(s, "0123456789") != n)
		return false;
	*out = atoi(s);
	return *out <= 20;
}

/* One document line: "Name | originals | copies", the counts optional (1 and 0), as in
 * the CSV import. Returns a message for a bad line, NULL when fine. */
static const char *parse_doc(char *line, struct mc_document *d)
{
	char *part[3] = {line, NULL, NULL}, *bar;
	size_t np = 1;

	while ((bar = strchr(part[np - 1], '|')) != NULL) {
		if (np == 3)
			return "viết theo mẫu: Tên | số bản chính | số bản sao.";
		*bar = '\0';
		part[np++] = bar + 1;
	}
	d->name = trim(part[0]);
	d->originals = 1;
	d->copies = 0;
	if (!*d->name)
		return "thiếu tên giấy tờ.";
	if ((np > 1 && !count_ok(trim(part[1]), &d->originals)) ||
	    (np > 2 && !count_ok(trim(part[2]), &d->copies)))
		return "số bản chính và số bản sao phải là số từ 0 đến 20.";
	return NULL;
}

static enum mc_err parse_docs(struct mc_fields *f, const char *name, enum mc_doc_kind kind,
			      struct docs *d)
{
	const char *text = mc_fields_get(f, name), *msg;
	char *line, *next;
	int k = 0;

	if (!text || !mc_fields_ok(f, name))
		return MC_OK;
	if (!(d->copy[kind] = strdup(text)))
		return MC_ERR_NOMEM;
	for (line = d->copy[kind]; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		k++;
		if (!*trim(line))
			continue;
		if (d->n == DOCS_MAX)
			return mc_fields_fail(f, name, "Nhiều nhất %d giấy tờ và mẫu đơn.",
					      DOCS_MAX);
		if ((msg = parse_doc(line, &d->v[d->n])) != NULL)
			return mc_fields_fail(f, name, "Dòng %d: %s", k, msg);
		d->v[d->n++].kind = kind;
	}
	return MC_OK;
}

static bool tthc_ok(const char *s)
{
	size_t n = strlen(s);

	if (n > 20 || n == 0 || !strchr("0123456789", s[0]) || !strchr("0123456789", s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && !(s[i] == '.' && s[i + 1] != '.'))
			return false;
	return true;
}

struct key_find {
	const char *key;
	int64_t id;
};

static enum mc_err proc_key_cb(void *ctx, const struct mc_procedure *p)
{
	struct key_find *kf = ctx;

	if (p->tthc_code && !strcmp(p->tthc_code, kf->key))
		kf->id = p->id;
	return MC_OK;
}

static enum mc_err ann_key_cb(void *ctx, const struct mc_announcement *a)
{
	struct key_find *kf = ctx;

	if (a->title && !strcmp(a->title, kf->key))
		kf->id = a->id;
	return MC_OK;
}

/* Procedures are known by (ward, mã TTHC) and announcements by (ward, title): a key, new or
 * edited, must not be another record's. */
static enum mc_err check_key(struct ctx *c, const struct kind *k, struct mc_fields *f,
			     int64_t ward_id, const struct rec *current)
{
	const char *name = k->procedure ? "tthc_code" : "title";
	struct key_find kf = {.key = mc_fields_get(f, name)};
	enum mc_err err;

	if (!mc_fields_ok(f, name))
		return MC_OK;
	if (k->procedure && !tthc_ok(kf.key))
		return mc_fields_fail(f, name, "%s",
				      "Mã TTHC gồm các số cách nhau bởi dấu chấm, ví dụ 1.001193.");
	err = k->procedure ? mc_store_procedure_each_all(c->wr, ward_id, proc_key_cb, &kf)
			   : mc_store_announcement_each(c->wr, ward_id, ann_key_cb, &kf);
	if (err != MC_OK)
		return err;
	if (kf.id && (!current || kf.id != current->id))
		return mc_fields_fail(f, name, "%s",
				      k->procedure ? "Phường đã có thủ tục với mã này."
						   : "Phường đã có thông báo với tiêu đề này.");
	return MC_OK;
}

static enum mc_err check_rec(struct ctx *c, const struct kind *k, struct mc_fields *f,
			     int64_t ward_id, const struct rec *current, struct docs *d)
{
	enum mc_err err;

	if ((err = check_key(c, k, f, ward_id, current)) != MC_OK)
		return err;
	if (!k->procedure)
		return check_dates(f, "published_on", "expires_on",
				   "Ngày hết hiệu lực không được trước ngày đăng.");
	if ((err = parse_docs(f, "documents", MC_DOC_PAPER, d)) != MC_OK)
		return err;
	return parse_docs(f, "forms", MC_DOC_FORM, d);
}

/* Saves a new record (rec_id 0) or the record rec_id, key included. */
static enum mc_err save_rec(struct ctx *c, const struct kind *k, const struct mc_fields *f,
			    int64_t ward_id, int64_t rec_id, const struct docs *d, int64_t *id)
{
	struct mc_procedure p = {.id = rec_id, .ward_id = ward_id};
	struct mc_announcement a = {.id = rec_id, .ward_id = ward_id};

	if (!k->procedure) {
		a.title = mc_fields_get(f, "title");
		a.body = mc_fields_get(f, "body");
		a.published_on = mc_fields_get(f, "published_on");
		a.expires_on = mc_fields_get(f, "expires_on");
		return mc_store_announcement_upsert(c->wr, &a, id, NULL);
	}
	p.tthc_code = mc_fields_get(f, "tthc_code");
	p.title = mc_fields_get(f, "title");
	p.field = mc_fields_get(f, "field");
	p.level = mc_fields_get(f, "level");
	p.steps = mc_fields_get(f, "steps");
	p.ways = mc_fields_get(f, "ways");
	p.place = mc_fields_get(f, "place");
	p.who = mc_fields_get(f, "who");
	p.conditions = mc_fields_get(f, "conditions");
	p.duration = mc_fields_get(f, "duration");
	p.fees = mc_fields_get(f, "fees");
	p.office = mc_fields_get(f, "office");
	p.result = mc_fields_get(f, "result");
	p.legal_basis = mc_fields_get(f, "legal_basis");
	p.online_url = mc_fields_get(f, "online_url");
	return mc_store_procedure_upsert(c->wr, &p, d->v, d->n, id, NULL);
}

static enum mc_err rec_create(struct ctx *c, const struct kind *k)
{
	struct docs d = {.n = 0};
	struct mc_fields f;
	char token[MC_TOKEN_LEN + 1];
	const char *ward_error = NULL;
	int64_t ward_id, id = 0;
	bool ok;
	enum mc_err err;

	mc_fields_init(&f, k->spec, k->n);
	if ((err = posted_ward(c, &ward_id, &ok)) != MC_OK)
		goto out;
	if (!ok)
		ward_error = "Vui lòng chọn phường.";
	else if (!mc_session_can_write(&c->u, ward_id)) {
		err = forbidden(c);
		goto out;
	}
	if ((err = mc_fields_read(&f, c->rq->form)) != MC_OK ||
	    (ok && (err = check_rec(c, k, &f, ward_id, NULL, &d)) != MC_OK))
		goto out;
	if (f.nerr || ward_error) {
		err = new_form(c, k->new_heading, k->path, &f, ward_id, ward_error, 422);
		goto out;
	}
	if ((err = mc_store_begin(c->wr)) != MC_OK)
		goto out;
	err = save_rec(c, k, &f, ward_id, 0, &d, &id);
	if (err == MC_OK)
		err = mc_store_code_ensure(c->wr, k->code, id, token, NULL);
	if ((err = finish_tx(c, err)) == MC_OK)
		err = redirect(c, "%s/%lld", k->path, (long long)id);
out:
	docs_finish(&d);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err rec_update(struct ctx *c, const struct kind *k, int64_t id)
{
	struct docs d = {.n = 0};
	struct mc_fields f;
	struct rec r;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, k->spec, k->n);
	rec_init(&r, NULL);
	if ((err = load_rec(c, k, id, true, &r, &shown)) != MC_OK || shown)
		goto out;
	if ((err = mc_fields_read(&f, c->rq->form)) != MC_OK ||
	    (err = check_rec(c, k, &f, r.ward_id, &r, &d)) != MC_OK)
		goto out;
	if (f.nerr) {
		err = record_page(c, k, &r, &f, 422);
		goto out;
	}
	if ((err = save_rec(c, k, &f, r.ward_id, id, &d, NULL)) == MC_OK)
		err = redirect(c, "%s/%lld", k->path, (long long)id);
out:
	rec_finish(&r);
	docs_finish(&d);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err rec_retire(struct ctx *c, const struct kind *k, int64_t id)
{
	struct rec r;
	bool shown;
	enum mc_err err;

	rec_init(&r, NULL);
	if ((err = load_rec(c, k, id, true, &r, &shown)) != MC_OK || shown)
		goto out;
	err = k->procedure ? mc_store_procedure_retire(c->wr, id)
			   : mc_store_announcement_retire(c->wr, id);
	/* Retiring twice changes nothing: the record page says since when. */
	if (err == MC_OK || err == MC_ERR_GONE)
		err = redirect(c, "%s/%lld", k->path, (long long)id);
out:
	rec_finish(&r);
	return err;
}

static enum mc_err rec_show(struct ctx *c, const struct kind *k, int64_t id)
{
	struct mc_fields f;
	struct rec r;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, k->spec, k->n);
	rec_init(&r, &f);
	if ((err = load_rec(c, k, id, false, &r, &shown)) == MC_OK && !shown)
		err = record_page(c, k, &r, &f, 200);
	rec_finish(&r);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err rec_new(struct ctx *c, const struct kind *k)
{
	struct mc_fields f;
	int64_t ward_id;
	enum mc_err err;

	mc_fields_init(&f, k->spec, k->n);
	err = current_ward(c, c->rq->lookup(c->rq, MC_REQ_ARG, "ward"), &ward_id);
	if (err == MC_OK && !k->procedure)
		err = mc_fields_set(&f, "published_on", c->today);
	if (err == MC_OK && !mc_session_can_write(&c->u, ward_id))
		err = forbidden(c);
	else if (err == MC_OK)
		err = new_form(c, k->new_heading, k->path, &f, ward_id, NULL, 200);
	mc_fields_finish(&f);
	return err;
}

/* ---- files, codes, reports, print ---------------------------------------------------- */

struct file_hit {
	bool found;
	int64_t permit_id, ward_id;
	char mime[32];
	char name[256];
};

static enum mc_err file_hit_cb(void *ctx, const struct mc_file *f)
{
	struct file_hit *h = ctx;

	h->found = true;
	h->permit_id = f->permit_id;
	snprintf(h->mime, sizeof(h->mime), "%s", f->mime ? f->mime : "");
	snprintf(h->name, sizeof(h->name), "%s", f->name ? f->name : "");
	return MC_OK;
}

/* A resident's photo is not a dossier file: find the report that holds it. */
struct photo_find {
	const char *sha;
	struct file_hit *hit;
};

static enum mc_err photo_cb(void *ctx, const struct mc_report *rep)
{
	struct photo_find *pf = ctx;

	if (!rep->photo_sha256 || strcmp(rep->photo_sha256, pf->sha))
		return MC_OK;
	pf->hit->found = true;
	pf->hit->ward_id = rep->ward_id;
	snprintf(pf->hit->mime, sizeof(pf->hit->mime), "%s",
		 rep->photo_mime ? rep->photo_mime : "");
	snprintf(pf->hit->name, sizeof(pf->hit->name), "anh-phan-anh-%s", rep->ref);
	return MC_ERR_EXISTS; /* found: stop the walk */
}

static enum mc_err staff_file(struct ctx *c, const char *sha)
{
	struct file_hit h = {.found = false};
	struct photo_find pf = {.sha = sha, .hit = &h};
	struct permit_rec rec = {.today = c->today};
	bool shown = false;
	enum mc_err err;

	if (!mc_auth_hex64(sha))
		return not_found(c);
	err = mc_store_file_by_hash(c->wr, sha, false, file_hit_cb, &h);
	if (err == MC_OK && h.found) {
		err = load_permit(c, h.permit_id, false, &rec, &shown);
		free(rec.reason);
	} else if (err == MC_OK || err == MC_ERR_NOTFOUND) {
		err = mc_store_report_each(c->wr, 0, photo_cb, &pf);
		if (err == MC_ERR_EXISTS || err == MC_OK)
			err = MC_OK;
		if (err == MC_OK && !h.found)
			return not_found(c);
		if (err == MC_OK && !mc_session_can_read(&c->u, h.ward_id))
			return forbidden(c);
	}
	if (err != MC_OK || shown)
		return err;
	err = mc_upload_answer(c->st->files_dir, sha, h.mime, h.name, "private, no-store", c->r);
	return err == MC_ERR_NOTFOUND ? not_found(c) : err;
}

static enum mc_err refuse(struct ctx *c, const char *detail, const char *back)
{
	enum mc_err err;

	if ((err = page(c, "Chưa thực hiện được")) != MC_OK ||
	    (err = mc_tobj_str(c->root, "detail", detail)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "back", back)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "status", "422")) != MC_OK)
		return err;
	return show(c, "staff_message", 422);
}

struct code_hit {
	bool found;
	char kind[16];
	int64_t target, ward_id;
};

static enum mc_err code_hit_cb(void *ctx, const struct mc_code *code)
{
	struct code_hit *h = ctx;

	h->found = true;
	snprintf(h->kind, sizeof(h->kind), "%s", code->target_kind ? code->target_kind : "");
	h->target = code->target_id;
	h->ward_id = code->ward_id;
	return MC_OK;
}

static void record_url(const struct code_hit *h, char out[128])
{
	if (!strcmp(h->kind, MC_KIND_PERMIT))
		snprintf(out, 128, "/staff/permits/%lld", (long long)h->target);
	else if (!strcmp(h->kind, MC_KIND_PROCEDURE))
		snprintf(out, 128, "/staff/procedures/%lld", (long long)h->target);
	else if (!strcmp(h->kind, MC_KIND_ANNOUNCEMENT))
		snprintf(out, 128, "/staff/announcements/%lld", (long long)h->target);
	else
		snprintf(out, 128, "%s", "/staff");
}

static enum mc_err lookup_code(struct ctx *c, const char *typed, char token[MC_TOKEN_LEN + 1],
			       struct code_hit *h)
{
	enum mc_err err = mc_token_normalize(typed, strlen(typed), token);

	if (err != MC_OK)
		return MC_ERR_NOTFOUND;
	err = mc_store_code_get(c->wr, token, code_hit_cb, h);
	return err == MC_OK && !h->found ? MC_ERR_NOTFOUND : err;
}

static enum mc_err code_retire(struct ctx *c)
{
	const char *typed = mc_form_get(c->rq->form, "replacement");
	char token[MC_TOKEN_LEN + 1], repl[MC_TOKEN_LEN + 1], back[128];
	struct code_hit h = {.found = false}, rh = {.found = false};
	bool has_repl = typed && typed[strspn(typed, " \t")];
	enum mc_err err;

	if (strlen(c->call->arg) > MC_TOKEN_INPUT_MAX ||
	    (err = lookup_code(c, c->call->arg, token, &h)) == MC_ERR_NOTFOUND)
		return not_found(c);
	if (err != MC_OK)
		return err;
	if (!mc_session_can_write(&c->u, h.ward_id))
		return forbidden(c);
	record_url(&h, back);
	if (has_repl) {
		err = strlen(typed) > MC_TOKEN_INPUT_MAX ? MC_ERR_NOTFOUND
							 : lookup_code(c, typed, repl, &rh);
		if (err == MC_ERR_NOTFOUND)
			return refuse(c, "Không tìm thấy mã thay thế. Kiểm tra lại mã đã nhập.",
				      back);
		if (err != MC_OK)
			return err;
		if (!mc_session_can_write(&c->u, rh.ward_id))
			return refuse(c, "Mã thay thế thuộc phường khác.", back);
	}
	err = mc_store_code_revoke(c->wr, token, has_repl ? repl : NULL);
	if (err == MC_ERR_GONE)
		return refuse(c, "Mã này đã ngừng sử dụng từ trước.", back);
	if (err == MC_ERR_INVALID || err == MC_ERR_NOTFOUND)
		return refuse(c, "Mã thay thế phải là một mã khác đang được sử dụng.", back);
	return err == MC_OK ? redirect(c, "%s", back) : err;
}

struct report_list {
	struct ctx *c;
	struct list open, done;
	int64_t want;	 /* review: the report looked for */
	int64_t ward_id; /* its ward, once found */
	bool found;
};

static enum mc_err permit_number_cb(void *ctx, const struct mc_permit *p)
{
	return mc_tobj_str(ctx, "permit_number", p->number);
}

static enum mc_err report_item_cb(void *ctx, const struct mc_report *rep)
{
	struct report_list *rl = ctx;
	struct ctx *c = rl->c;
	struct mc_tobj *o = list_push(rep->reviewed_at ? &rl->done : &rl->open);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)rep->id)) != MC_OK ||
	    (err = mc_tobj_str(o, "ref", rep->ref)) != MC_OK ||
	    (err = mc_tobj_strf(o, "permit_id", "%lld", (long long)rep->permit_id)) != MC_OK ||
	    (err = mc_tobj_str(o, "category", mc_label_of(mc_report_categories, rep->category))) !=
		MC_OK ||
	    (err = mc_tobj_str(o, "description", rep->description)) != MC_OK ||
	    (err = mc_tobj_str(o, "contact", rep->contact)) != MC_OK ||
	    (err = mc_tobj_str(o, "photo", rep->photo_sha256)) != MC_OK ||
	    (err = mc_tobj_str(o, "created", rep->created_at)) != MC_OK ||
	    (err = mc_tobj_str(o, "reviewed", rep->reviewed_at)) != MC_OK ||
	    (err = mc_tobj_str(o, "review_note", rep->review_note)) != MC_OK ||
	    (err = mc_tobj_bool(o, "can_review",
				!rep->reviewed_at && mc_session_can_write(&c->u, rep->ward_id))) !=
		MC_OK)
		return err;
	err = mc_store_permit_get(c->wr, rep->permit_id, permit_number_cb, o);
	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

static enum mc_err reports_page(struct ctx *c)
{
	struct report_list rl = {.c = c};
	int64_t ward_id = mc_session_all_wards(&c->u) ? 0 : c->u.ward_id;
	enum mc_err err;

	if ((err = page(c, "Phản ánh của người dân")) != MC_OK)
		return err;
	rl.open = (struct list){c->root, "open", NULL};
	rl.done = (struct list){c->root, "done", NULL};
	if (ward_id == 0 && !mc_session_all_wards(&c->u))
		return show(c, "staff_reports", 200);
	if ((err = mc_store_report_each(c->wr, ward_id, report_item_cb, &rl)) != MC_OK)
		return err;
	return show(c, "staff_reports", 200);
}

static enum mc_err report_find_cb(void *ctx, const struct mc_report *rep)
{
	struct report_list *rl = ctx;

	if (rep->id != rl->want)
		return MC_OK;
	rl->found = true;
	rl->ward_id = rep->ward_id;
	return MC_ERR_EXISTS; /* found: stop the walk */
}

static enum mc_err report_review(struct ctx *c, int64_t id)
{
	struct report_list rl = {.c = c, .want = id};
	size_t len;
	const char *raw = mc_fields_raw(c->rq->form, "note", &len);
	char msg[160], *note = NULL;
	enum mc_err err = mc_store_report_each(c->wr, 0, report_find_cb, &rl);

	if (err != MC_OK && err != MC_ERR_EXISTS)
		return err;
	if (!rl.found)
		return not_found(c);
	if (!mc_session_can_write(&c->u, rl.ward_id))
		return forbidden(c);
	err = mc_fields_clean(raw ? raw : "", len, 2000, true, &note, msg);
	if (err == MC_ERR_INVALID)
		err = refuse(c, msg, "/staff/reports");
	else if (err == MC_OK)
		err = mc_store_report_review(c->wr, id, note[0] ? note : NULL);
	if (err == MC_ERR_GONE)
		err = refuse(c, "Phản ánh này đã được xử lý trước đó.", "/staff/reports");
	else if (err == MC_OK && c->r->status != 422)
		err = redirect(c, "%s", "/staff/reports");
	free(note);
	return err;
}

static enum mc_err print_keychain(struct ctx *c, bool svg)
{
	int64_t ward_id;
	enum mc_err err = current_ward(c, c->rq->lookup(c->rq, MC_REQ_ARG, "ward"), &ward_id);

	if (err != MC_OK)
		return err;
	if (!ward_id)
		return not_found(c);
	if (!mc_session_can_read(&c->u, ward_id))
		return forbidden(c);
	return svg ? mc_print_keychain_svg(c->st->pages, c->wr, ward_id, c->r)
		   : mc_print_keychain_sheet(c->st->pages, c->wr, ward_id, c->r);
}

/* ---- the entry points ---------------------------------------------------------------- */

enum mc_err mc_staff_create(const struct mc_staff_config *cfg, struct mc_staff **out)
{
	struct mc_staff *st;

	*out = NULL;
	if (!cfg->pages || !cfg->files_dir)
		return MC_ERR_INVALID;
	if (mkdir(cfg->files_dir, 0750) != 0 && errno != EEXIST)
		return MC_ERR_IO;
	if (!(st = calloc(1, sizeof(*st))))
		return MC_ERR_NOMEM;
	st->pages = cfg->pages;
	if (!(st->files_dir = strdup(cfg->files_dir))) {
		free(st);
		return MC_ERR_NOMEM;
	}
	*out = st;
	return MC_OK;
}

void mc_staff_destroy(struct mc_staff *st)
{
	if (!st)
		return;
	free(st->files_dir);
	free(st);
}

const char *mc_staff_files_dir(const struct mc_staff *st)
{
	return st ? st->files_dir : NULL;
}

/* Who is asking, and may they post: no session sends a page view to the sign-in form and
 * refuses a post; a post needs the session's CSRF token and a role that may write. Sets
 * *done when the answer has been made. */
static enum mc_err authenticate(struct ctx *c, enum mc_gate gate, bool *done)
{
	const char *csrf;
	enum mc_err err = mc_session_get(c->wr, c->rq, c->now, &c->u);

	*done = true;
	if (err == MC_ERR_NOTFOUND) {
		memset(&c->u, 0, sizeof(c->u));
		return c->post ? message(c, 403, "Phiên làm việc đã hết hạn",
					 "Vui lòng đăng nhập lại rồi gửi lại biểu mẫu.")
			       : redirect(c, "%s", "/staff/login");
	}
	if (err != MC_OK)
		return err;
	if (c->post) {
		csrf = mc_form_get(c->rq->form, "csrf");
		if (!csrf || !mc_auth_equal(csrf, c->u.csrf))
			return message(c, 403, "Biểu mẫu không hợp lệ",
				       "Biểu mẫu đã cũ hoặc không được gửi từ trang của hệ thống. "
				       "Vui lòng tải lại trang và gửi lại.");
		if (gate == MC_GATE_STAFF && !strcmp(c->u.role, MC_ROLE_SUPERVISOR))
			return forbidden(c);
	}
	*done = false;
	return MC_OK;
}

enum mc_err mc_office_gate(enum mc_gate gate, struct mc_call *call, mc_handler_fn fn)
{
	struct ctx *c;
	bool done;
	enum mc_err err;

	if (gate == MC_GATE_SUPERVISE)
		return mc_supervise_gate(call, fn);
	if (!call->site->staff)
		return mc_pages_error(call->site->pages, 503, call->r);
	if (!(c = calloc(1, sizeof(*c))))
		return MC_ERR_NOMEM;
	c->st = call->site->staff;
	c->wr = call->s;
	c->rq = call->rq;
	c->r = call->r;
	c->call = call;
	c->now = (long long)time(NULL);
	mc_date_today(c->today);
	c->post = !strcmp(call->rq->method, "POST");
	c->get = !strcmp(call->rq->method, "GET") || !strcmp(call->rq->method, "HEAD");
	call->scope = c;
	if (gate == MC_GATE_LOGIN)
		err = fn(call);
	else if ((err = authenticate(c, gate, &done)) == MC_OK && !done &&
		 (err = mc_store_set_actor(c->wr, c->u.id, c->u.name)) == MC_OK)
		err = fn(call);
	/* The connection outlives this request: later writes must not carry this user. */
	mc_store_set_actor(c->wr, 0, "system");
	call->scope = NULL;
	mc_tdata_destroy(c->d);
	wards_free(&c->wards);
	free(c);
	return err;
}

/* ---- the handlers of the route table -------------------------------------------------- */

enum mc_err mc_office_login_page(struct mc_call *call)
{
	return login_page(call->scope, 200, NULL, NULL, NULL);
}

enum mc_err mc_office_login(struct mc_call *call)
{
	return login(call->scope);
}

enum mc_err mc_office_logout(struct mc_call *call)
{
	return logout(call->scope);
}

enum mc_err mc_office_dashboard(struct mc_call *call)
{
	return dashboard(call->scope);
}

enum mc_err mc_office_permit_create(struct mc_call *call)
{
	return permit_create(call->scope);
}

enum mc_err mc_office_permit_new(struct mc_call *call)
{
	return permit_new(call->scope);
}

enum mc_err mc_office_permit_show(struct mc_call *call)
{
	return permit_page(call->scope, call->id, 200, &(struct permit_forms){0});
}

enum mc_err mc_office_permit_update(struct mc_call *call)
{
	return permit_update(call->scope, call->id);
}

enum mc_err mc_office_permit_status(struct mc_call *call)
{
	return permit_status(call->scope, call->id);
}

enum mc_err mc_office_permit_inspection(struct mc_call *call)
{
	return permit_inspection(call->scope, call->id);
}

enum mc_err mc_office_permit_file(struct mc_call *call)
{
	return permit_file(call->scope, call->id);
}

enum mc_err mc_office_procedure_create(struct mc_call *call)
{
	return rec_create(call->scope, &proc_kind);
}

enum mc_err mc_office_procedure_new(struct mc_call *call)
{
	return rec_new(call->scope, &proc_kind);
}

enum mc_err mc_office_procedure_show(struct mc_call *call)
{
	return rec_show(call->scope, &proc_kind, call->id);
}

enum mc_err mc_office_procedure_update(struct mc_call *call)
{
	return rec_update(call->scope, &proc_kind, call->id);
}

enum mc_err mc_office_procedure_retire(struct mc_call *call)
{
	return rec_retire(call->scope, &proc_kind, call->id);
}

enum mc_err mc_office_announcement_create(struct mc_call *call)
{
	return rec_create(call->scope, &ann_kind);
}

enum mc_err mc_office_announcement_new(struct mc_call *call)
{
	return rec_new(call->scope, &ann_kind);
}

enum mc_err mc_office_announcement_show(struct mc_call *call)
{
	return rec_show(call->scope, &ann_kind, call->id);
}

enum mc_err mc_office_announcement_update(struct mc_call *call)
{
	return rec_update(call->scope, &ann_kind, call->id);
}

enum mc_err mc_office_announcement_retire(struct mc_call *call)
{
	return rec_retire(call->scope, &ann_kind, call->id);
}

enum mc_err mc_office_reports(struct mc_call *call)
{
	return reports_page(call->scope);
}

enum mc_err mc_office_report_review(struct mc_call *call)
{
	return report_review(call->scope, call->id);
}

enum mc_err mc_office_code_retire(struct mc_call *call)
{
	return code_retire(call->scope);
}

enum mc_err mc_office_file(struct mc_call *call)
{
	return staff_file(call->scope, call->arg);
}

enum mc_err mc_office_print_keychain(struct mc_call *call)
{
	return print_keychain(call->scope, false);
}

enum mc_err mc_office_print_keychain_svg(struct mc_call *call)
{
	return print_keychain(call->scope, true);
}

enum mc_err mc_office_print_permit(struct mc_call *call)
{
	struct ctx *c = call->scope;
	struct permit_rec prec = {.today = c->today};
	bool shown;
	enum mc_err err = load_permit(c, call->id, false, &prec, &shown);

	free(prec.reason);
	if (err != MC_OK || shown)
		return err;
	return mc_print_permit_notice(c->st->pages, c->wr, call->id, c->r);
}

enum mc_err mc_office_print_procedure(struct mc_call *call)
{
	struct ctx *c = call->scope;
	struct rec r;
	bool shown;
	enum mc_err err;

	rec_init(&r, NULL);
	err = load_rec(c, &proc_kind, call->id, false, &r, &shown);
	rec_finish(&r);
	if (err != MC_OK || shown)
		return err;
	return mc_print_procedure_poster(c->st->pages, c->wr, call->id, c->r);
}

enum mc_err mc_office_not_found(struct mc_call *call)
{
	return call->wrong_method ? bad_method(call->scope) : not_found(call->scope);
}
