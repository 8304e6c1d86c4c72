/* The pages staff add to a ward's lobby screens (/staff/kiosk/slides/...): a title and a few
 * lines shown from one day to another, each for its own number of seconds; made, edited and
 * taken off the screens through the store's audited writes. */
#include <stdio.h>
#include <string.h>

#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/store/kiosk.h"
#include "motcham/store/store.h"
#include "motcham/web/fields.h"
#include "motcham/web/request.h"
#include "private.h"

static const struct mc_field_spec slide_spec[] = {
    {"title", "Tiêu đề", MC_F_LINE, true, 0, 200, NULL, NULL},
    {"body", "Nội dung", MC_F_TEXT, true, 0, 2000, NULL,
     "Vài dòng ngắn: màn hình hiện khoảng 600 ký tự đầu."},
    {"shows_from", "Hiện từ ngày", MC_F_DATE, true, 0, 0, NULL, NULL},
    {"shows_until", "Đến hết ngày", MC_F_DATE, false, 0, 0, NULL, "Để trống nếu không có hạn."},
    {"seconds", "Thời gian mỗi lượt (giây)", MC_F_INT, true, MC_KIOSK_SECONDS_MIN,
     MC_KIOSK_SECONDS_MAX, NULL, "Từ 5 đến 120 giây; thường là 12."},
};
#define SLIDE_N (sizeof(slide_spec) / sizeof(slide_spec[0]))

/* A stored page, as its edit form needs it. */
struct slide_rec {
	bool found;
	int64_t id, ward_id;
	char title[600];
	char retired[32];
	struct mc_fields *f; /* receives the stored values when set */
};

static enum mc_err rec_cb(void *ctx, const struct mc_kiosk_slide *sl)
{
	struct slide_rec *r = ctx;
	enum mc_err err = MC_OK;

	r->found = true;
	r->id = sl->id;
	r->ward_id = sl->ward_id;
	snprintf(r->title, sizeof(r->title), "%s", sl->title ? sl->title : "");
	snprintf(r->retired, sizeof(r->retired), "%s", sl->retired_at ? sl->retired_at : "");
	if (r->f && (err = mc_fields_set(r->f, "title", sl->title)) == MC_OK &&
	    (err = mc_fields_set(r->f, "body", sl->body)) == MC_OK &&
	    (err = mc_fields_set(r->f, "shows_from", sl->shows_from)) == MC_OK &&
	    (err = mc_fields_set(r->f, "shows_until", sl->shows_until)) == MC_OK)
		err = mc_fields_setf(r->f, "seconds", "%d", sl->seconds);
	return err;
}

/* The form page: a new page for ward_id (r NULL) or the stored page r. */
static enum mc_err slide_page(struct office *c, const struct slide_rec *r, int64_t ward_id,
			      const struct mc_fields *f, int status)
{
	bool can_write = mc_session_can_write(&c->u, ward_id);
	struct mc_tobj *w;
	enum mc_err err;

	if ((err = page_start(c, r ? "Trang thêm" : "Trang mới trên màn hình sảnh")) != MC_OK)
		return err;
	if (!(w = mc_tobj_obj(c->root, "where")))
		return MC_ERR_NOMEM;
	if ((err = mc_store_ward_by_id(c->wr, ward_id, wards_name_cb, w)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "can_write", can_write)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "has_errors", f->nerr > 0)) != MC_OK ||
	    (err = forms_fields(c, f, NULL)) != MC_OK)
		return err;
	if (!r)
		err = mc_tobj_str(c->root, "action", "/staff/kiosk/slides");
	else if ((err = mc_tobj_strf(c->root, "heading", "Trang thêm: %s", r->title)) == MC_OK &&
		 (err = mc_tobj_strf(c->root, "action", "/staff/kiosk/slides/%lld",
				     (long long)r->id)) == MC_OK &&
		 (err = mc_tobj_str(c->root, "retired_on", r->retired[0] ? r->retired : NULL)) ==
		     MC_OK &&
		 can_write && !r->retired[0])
		err = mc_tobj_strf(c->root, "retire_action", "/staff/kiosk/slides/%lld/retire",
				   (long long)r->id);
	return err == MC_OK ? page_show(c, "staff_kiosk_slide", status) : err;
}

static enum mc_err load(struct office *c, int64_t id, bool write, struct slide_rec *r, bool *shown)
{
	enum mc_err err = mc_store_kiosk_slide_get(c->wr, id, rec_cb, r);

	return page_access(c, err, r->found, r->ward_id, write, shown);
}

/* Reads and checks the form into f: MC_OK with the problems in f (nothing saved yet). */
static enum mc_err check(struct mc_fields *f, const struct mc_request *rq)
{
	enum mc_err err = mc_fields_read(f, rq->form);

	if (err == MC_OK)
		err = forms_check_dates(f, "shows_from", "shows_until",
					"Ngày kết thúc phải từ ngày bắt đầu trở đi.");
	return err;
}

static struct mc_kiosk_slide posted(const struct mc_fields *f, int64_t id, int64_t ward_id)
{
	return (struct mc_kiosk_slide){.id = id,
				       .ward_id = ward_id,
				       .title = mc_fields_get(f, "title"),
				       .body = mc_fields_get(f, "body"),
				       .shows_from = mc_fields_get(f, "shows_from"),
				       .shows_until = mc_fields_get(f, "shows_until"),
				       .seconds = mc_fields_int(f, "seconds")};
}

static enum mc_err slide_new(struct office *c)
{
	struct mc_fields f;
	int64_t ward_id;
	enum mc_err err;

	mc_fields_init(&f, slide_spec, SLIDE_N);
	if ((err = wards_current(c, page_arg(c, "ward"), &ward_id)) == MC_OK &&
	    (err = mc_fields_set(&f, "shows_from", c->today)) == MC_OK &&
	    (err = mc_fields_setf(&f, "seconds", "%d", MC_KIOSK_SECONDS)) == MC_OK)
		err = !ward_id				     ? page_not_found(c)
		      : mc_session_can_write(&c->u, ward_id) ? slide_page(c, NULL, ward_id, &f, 200)
							     : page_forbidden(c);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err slide_create(struct office *c)
{
	struct mc_fields f;
	struct mc_kiosk_slide sl;
	const char *ward_error;
	int64_t ward_id;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, slide_spec, SLIDE_N);
	if ((err = forms_ward(c, &ward_id, &ward_error, &shown)) != MC_OK || shown)
		goto out;
	if (ward_error) {
		err = page_refuse(c, ward_error, "/staff/kiosk");
		goto out;
	}
	if ((err = check(&f, c->rq)) != MC_OK)
		goto out;
	if (f.nerr) {
		err = slide_page(c, NULL, ward_id, &f, 422);
		goto out;
	}
	sl = posted(&f, 0, ward_id);
	if ((err = mc_store_kiosk_slide_upsert(c->wr, &sl, NULL)) == MC_OK)
		err = kiosk_done(c, ward_id, "slides");
out:
	mc_fields_finish(&f);
	return err;
}

static enum mc_err slide_show(struct office *c, int64_t id)
{
	struct mc_fields f;
	struct slide_rec r = {.f = &f};
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, slide_spec, SLIDE_N);
	if ((err = load(c, id, false, &r, &shown)) == MC_OK && !shown)
		err = slide_page(c, &r, r.ward_id, &f, 200);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err slide_update(struct office *c, int64_t id)
{
	struct mc_fields f;
	struct slide_rec r = {.f = NULL};
	struct mc_kiosk_slide sl;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, slide_spec, SLIDE_N);
	if ((err = load(c, id, true, &r, &shown)) != MC_OK || shown ||
	    (err = check(&f, c->rq)) != MC_OK)
		goto out;
	if (f.nerr) {
		err = slide_page(c, &r, r.ward_id, &f, 422);
		goto out;
	}
	sl = posted(&f, id, r.ward_id);
	if ((err = mc_store_kiosk_slide_upsert(c->wr, &sl, NULL)) == MC_OK)
		err = kiosk_done(c, r.ward_id, "slides");
out:
	mc_fields_finish(&f);
	return err;
}

static enum mc_err slide_retire(struct office *c, int64_t id)
{
	struct slide_rec r = {.f = NULL};
	bool shown;
	enum mc_err err;

	if ((err = load(c, id, true, &r, &shown)) != MC_OK || shown)
		return err;
	/* Taken off twice changes nothing: the page says since when. */
	err = mc_store_kiosk_slide_retire(c->wr, id);
	return err == MC_OK || err == MC_ERR_GONE ? kiosk_done(c, r.ward_id, "slides") : err;
}

struct slide_list {
	struct list l;
	const char *today;
};

static enum mc_err list_cb(void *ctx, const struct mc_kiosk_slide *sl)
{
	struct slide_list *sls = ctx;
	struct mc_tobj *o = page_list_push(&sls->l);
	const char *state = sl->retired_at			     ? "Đã gỡ"
			    : strcmp(sl->shows_from, sls->today) > 0 ? "Sắp hiện"
			    : sl->shows_until && strcmp(sl->shows_until, sls->today) < 0
				? "Đã hết hạn"
				: "Đang hiện";
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)sl->id)) != MC_OK ||
	    (err = mc_tobj_str(o, "title", sl->title)) != MC_OK ||
	    (err = mc_tobj_date(o, "from", sl->shows_from)) != MC_OK ||
	    (err = mc_tobj_date(o, "until", sl->shows_until)) != MC_OK ||
	    (err = mc_tobj_strf(o, "seconds", "%d", sl->seconds)) != MC_OK)
		return err;
	return mc_tobj_str(o, "state", state);
}

enum mc_err kiosk_slides_list(struct office *c, struct mc_tobj *parent, int64_t ward_id)
{
	struct slide_list sls = {{parent, "slides", NULL}, c->today};

	return mc_store_kiosk_slide_each(c->wr, ward_id, list_cb, &sls);
}

enum mc_err mc_office_kiosk_slide_new(struct mc_call *call)
{
	return slide_new(call->scope);
}

enum mc_err mc_office_kiosk_slide_create(struct mc_call *call)
{
	return slide_create(call->scope);
}

enum mc_err mc_office_kiosk_slide_show(struct mc_call *call)
{
	return slide_show(call->scope, call->id);
}

enum mc_err mc_office_kiosk_slide_update(struct mc_call *call)
{
	return slide_update(call->scope, call->id);
}

enum mc_err mc_office_kiosk_slide_retire(struct mc_call *call)
{
	return slide_retire(call->scope, call->id);
}
