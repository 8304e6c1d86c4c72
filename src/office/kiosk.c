/* The lobby screens (/staff/kiosk): each screen's last heartbeat, the silent ones marked; the
 * urgent notice that takes over every screen of the ward until it is lifted or expires; the
 * featured procedures in their order. The pages staff add are kiosk_slide.c. Every change is
 * one of the store's audited writes; supervisors see the page and change nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/store/kiosk.h"
#include "motcham/store/store.h"
#include "motcham/web/fields.h"
#include "motcham/web/request.h"
#include "private.h"

#define SILENT_AFTER 300   /* seconds without a beat before a screen is marked silent */
#define RECENT (7 * 86400) /* notices listed: those of the last week */
#define TITLE_MAX 200	   /* bytes in a notice's title */
#define PROCS_MAX 1000	   /* procedures offered in the feature form */

static const struct mc_label minutes[] = {
    {"15", "15 phút"}, {"30", "30 phút"}, {"60", "1 giờ"},    {"120", "2 giờ"},
    {"240", "4 giờ"},  {"480", "8 giờ"},  {"1440", "24 giờ"}, {NULL, NULL},
};

static const struct mc_field_spec notice_spec[] = {
    {"title", "Nội dung chính", MC_F_LINE, true, 0, TITLE_MAX, NULL,
     "Ngắn gọn, đọc được từ xa, ví dụ: Tạm dừng tiếp nhận hồ sơ đến 14:00."},
    {"body", "Chi tiết (không bắt buộc)", MC_F_TEXT, false, 0, 1000, NULL, NULL},
    {"minutes", "Hiển thị trong", MC_F_ENUM, true, 0, 0, minutes,
     "Hết thời gian này thông báo tự gỡ; có thể gỡ sớm hơn."},
};
#define NOTICE_N (sizeof(notice_spec) / sizeof(notice_spec[0]))

static const struct mc_field_spec feature_spec[] = {
    {"procedure", "Thủ tục", MC_F_ENUM, true, 0, 0, NULL, NULL},
    {"seconds", "Thời gian mỗi lượt (giây)", MC_F_INT, true, MC_KIOSK_SECONDS_MIN,
     MC_KIOSK_SECONDS_MAX, NULL, "Từ 5 đến 120 giây; thường là 12."},
};
#define FEATURE_N (sizeof(feature_spec) / sizeof(feature_spec[0]))

/* The feature form's choices: the ward's procedures in use, ids as text. */
struct choices {
	struct mc_label *v; /* NULL-terminated */
	char (*ids)[24];
	size_t n, cap;
};

/* The page being built, with its two forms (shown again with their messages after a refused
 * post). */
struct kpage {
	struct office *c;
	int64_t ward_id;
	struct mc_fields notice, feature;
	struct choices procs;
	struct list screens, notices, features;
	struct mc_tobj *last;
};

static void choices_free(struct choices *ch)
{
	for (size_t i = 0; i < ch->n; i++)
		free((char *)ch->v[i].label);
	free(ch->v);
	free(ch->ids);
	memset(ch, 0, sizeof(*ch));
}

static enum mc_err choice_cb(void *ctx, const struct mc_procedure *p)
{
	struct choices *ch = ctx;
	struct mc_label *v;
	char(*ids)[24];
	size_t cap;

	if (ch->n == PROCS_MAX)
		return MC_OK;
	if (ch->n + 1 >= ch->cap) {
		cap = ch->cap ? 2 * ch->cap : 32;
		if (!(v = realloc(ch->v, cap * sizeof(*v))))
			return MC_ERR_NOMEM;
		ch->v = v;
		if (!(ids = realloc(ch->ids, cap * sizeof(*ids))))
			return MC_ERR_NOMEM;
		ch->ids = ids;
		ch->cap = cap;
	}
	snprintf(ch->ids[ch->n], sizeof(ch->ids[0]), "%lld", (long long)p->id);
	if (!(ch->v[ch->n].label = strdup(p->title ? p->title : "")))
		return MC_ERR_NOMEM;
	ch->n++;
	return MC_OK;
}

/* Once every choice is in (the arrays no longer move), each label gets its value. */
static void choices_seal(struct choices *ch)
{
	if (!ch->v)
		return;
	for (size_t i = 0; i < ch->n; i++)
		ch->v[i].value = ch->ids[i];
	ch->v[ch->n] = (struct mc_label){NULL, NULL};
}

static enum mc_err kpage_init(struct kpage *kp, struct office *c, int64_t ward_id)
{
	enum mc_err err;

	memset(kp, 0, sizeof(*kp));
	kp->c = c;
	kp->ward_id = ward_id;
	mc_fields_init(&kp->notice, notice_spec, NOTICE_N);
	mc_fields_init(&kp->feature, feature_spec, FEATURE_N);
	if (ward_id &&
	    (err = mc_store_procedure_each(c->wr, ward_id, choice_cb, &kp->procs)) != MC_OK)
		return err;
	choices_seal(&kp->procs);
	return MC_OK;
}

static void kpage_finish(struct kpage *kp)
{
	mc_fields_finish(&kp->notice);
	mc_fields_finish(&kp->feature);
	choices_free(&kp->procs);
}

/* "HH:MM dd/mm/yyyy", ward-local. */
static void when_of(long long t, char out[32])
{
	struct tm tm;

	if (!mc_date_local((time_t)t, &tm))
		snprintf(out, 32, "%s", "?");
	else
		snprintf(out, 32, "%02u:%02u:%02u %02u/%02u/%04u", (unsigned)tm.tm_hour % 100,
			 (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100,
			 (unsigned)tm.tm_mday % 100, (unsigned)(tm.tm_mon + 1) % 100,
			 (unsigned)(tm.tm_year + 1900) % 10000);
}

/* What a screen reports it shows ("procedure:12"), named for people; a record of another
 * ward keeps its bare key. */
struct named {
	char title[256];
	int64_t ward_id;
};

static enum mc_err named_ann(void *ctx, const struct mc_announcement *a)
{
	struct named *n = ctx;

	snprintf(n->title, sizeof(n->title), "%s", a->title ? a->title : "");
	n->ward_id = a->ward_id;
	return MC_OK;
}

static enum mc_err named_proc(void *ctx, const struct mc_procedure *p)
{
	struct named *n = ctx;

	snprintf(n->title, sizeof(n->title), "%s", p->title ? p->title : "");
	n->ward_id = p->ward_id;
	return MC_OK;
}

static enum mc_err named_slide(void *ctx, const struct mc_kiosk_slide *sl)
{
	struct named *n = ctx;

	snprintf(n->title, sizeof(n->title), "%s", sl->title ? sl->title : "");
	n->ward_id = sl->ward_id;
	return MC_OK;
}

static enum mc_err named_notice(void *ctx, const struct mc_kiosk_notice *k)
{
	struct named *n = ctx;

	snprintf(n->title, sizeof(n->title), "%s", k->title ? k->title : "");
	n->ward_id = k->ward_id;
	return MC_OK;
}

/* The record a screen's key names: its kind's label, title and ward. */
static enum mc_err name_of(struct mc_store *s, const char *kind, int64_t id, struct named *n,
			   const char **label)
{
	if (!strcmp(kind, "announcement")) {
		*label = "Thông báo";
		return mc_store_announcement_get(s, id, named_ann, n);
	}
	if (!strcmp(kind, "procedure") || !strcmp(kind, "detail")) {
		*label = kind[0] == 'd' ? "Người dân đang xem" : "Thủ tục";
		return mc_store_procedure_get(s, id, named_proc, n);
	}
	if (!strcmp(kind, "slide")) {
		*label = "Trang thêm";
		return mc_store_kiosk_slide_get(s, id, named_slide, n);
	}
	if (!strcmp(kind, "urgent")) {
		*label = "Thông báo khẩn";
		return mc_store_kiosk_notice_get(s, id, named_notice, n);
	}
	return MC_ERR_NOTFOUND;
}

static enum mc_err showing(struct kpage *kp, struct mc_tobj *o, const char *key)
{
	struct named n = {"", 0};
	const char *colon = key ? strchr(key, ':') : NULL, *label = "";
	long long id = colon ? strtoll(colon + 1, NULL, 10) : 0;
	char kind[16];
	enum mc_err err;

	if (!key)
		return MC_OK;
	if (!strcmp(key, "list"))
		return mc_tobj_str(o, "showing", "Người dân đang xem danh sách thủ tục");
	snprintf(kind, sizeof(kind), "%.*s", colon ? (int)(colon - key) : 0, key);
	if (!strcmp(kind, "ward") && id == kp->ward_id)
		return mc_tobj_str(o, "showing", "Giới thiệu phường và mã tra cứu");
	err = name_of(kp->c->wr, kind, id, &n, &label);
	if (err == MC_OK && n.ward_id == kp->ward_id)
		return mc_tobj_strf(o, "showing", "%s: %s", label, n.title);
	return err == MC_OK || err == MC_ERR_NOTFOUND ? mc_tobj_str(o, "showing", key) : err;
}

static enum mc_err screen_cb(void *ctx, const struct mc_kiosk_screen *k)
{
	struct kpage *kp = ctx;
	struct mc_tobj *o = page_list_push(&kp->screens);
	char last[32];
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	when_of(k->last_at, last);
	if ((err = mc_tobj_str(o, "screen", k->screen)) != MC_OK ||
	    (err = mc_tobj_str(o, "last", last)) != MC_OK ||
	    (err = mc_tobj_bool(o, "silent", kp->c->now - k->last_at > SILENT_AFTER)) != MC_OK ||
	    (k->width && k->height &&
	     (err = mc_tobj_strf(o, "size", "%d×%d", k->width, k->height)) != MC_OK))
		return err;
	return showing(kp, o, k->slide);
}

static enum mc_err notice_cb(void *ctx, const struct mc_kiosk_notice *n)
{
	struct kpage *kp = ctx;
	struct mc_tobj *o = page_list_push(&kp->notices);
	bool live = !n->lifted_at && n->expires_at > kp->c->now;
	char made[32], until[32];
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	when_of(n->created_at, made);
	when_of(n->lifted_at ? n->lifted_at : n->expires_at, until);
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)n->id)) != MC_OK ||
	    (err = mc_tobj_str(o, "title", n->title)) != MC_OK ||
	    (err = mc_tobj_str(o, "body", n->body)) != MC_OK ||
	    (err = mc_tobj_str(o, "made", made)) != MC_OK ||
	    (err = mc_tobj_str(o, "until", until)) != MC_OK ||
	    (err = mc_tobj_bool(o, "lifted", n->lifted_at != 0)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "live", live);
}

static enum mc_err feature_cb(void *ctx, const struct mc_kiosk_feature *f)
{
	struct kpage *kp = ctx;
	struct mc_tobj *o = page_list_push(&kp->features);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_bool(o, "first", kp->last == NULL)) != MC_OK ||
	    (err = mc_tobj_strf(o, "id", "%lld", (long long)f->id)) != MC_OK ||
	    (err = mc_tobj_strf(o, "procedure_id", "%lld", (long long)f->procedure_id)) != MC_OK ||
	    (err = mc_tobj_str(o, "title", f->title)) != MC_OK ||
	    (err = mc_tobj_strf(o, "seconds", "%d", f->seconds)) != MC_OK)
		return err;
	kp->last = o;
	return mc_tobj_str(o, "retired", f->retired_at);
}

/* The page of the ward kp is about, with the forms as they are (status 422: refused). */
static enum mc_err kiosk_page(struct kpage *kp, int status)
{
	struct office *c = kp->c;
	struct mc_tobj *b;
	enum mc_err err;

	if ((err = page_start(c, "Màn hình sảnh")) != MC_OK ||
	    (err = wards_picker(c, kp->ward_id)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "all_wards", mc_session_all_wards(&c->u))) != MC_OK)
		return err;
	if (!kp->ward_id)
		return page_show(c, "staff_kiosk", status);
	if (!(b = mc_tobj_obj(c->root, "board")))
		return MC_ERR_NOMEM;
	kp->screens = (struct list){b, "screens", NULL};
	kp->notices = (struct list){b, "notices", NULL};
	kp->features = (struct list){b, "features", NULL};
	mc_fields_options(&kp->feature, "procedure", kp->procs.v);
	if (!mc_fields_get(&kp->feature, "seconds"))
		err = mc_fields_setf(&kp->feature, "seconds", "%d", MC_KIOSK_SECONDS);
	if (err == MC_OK && !mc_fields_get(&kp->notice, "minutes"))
		err = mc_fields_set(&kp->notice, "minutes", "60");
	if (err == MC_OK)
		err = mc_store_ward_by_id(c->wr, kp->ward_id, wards_name_cb, b);
	if (err == MC_OK)
		err = mc_tobj_bool(b, "can_write", mc_session_can_write(&c->u, kp->ward_id));
	if (err == MC_OK)
		err = mc_store_kiosk_screen_each(c->wr, kp->ward_id, screen_cb, kp);
	if (err == MC_OK)
		err = mc_store_kiosk_notice_each_since(c->wr, kp->ward_id, c->now - RECENT,
						       notice_cb, kp);
	if (err == MC_OK)
		err = mc_store_kiosk_feature_each(c->wr, kp->ward_id, true, feature_cb, kp);
	if (err == MC_OK && kp->last)
		err = mc_tobj_bool(kp->last, "last", true);
	if (err == MC_OK)
		err = kiosk_slides_list(c, b, kp->ward_id);
	if (err == MC_OK && (err = forms_fields(c, &kp->notice, "notice_form")) == MC_OK)
		err = forms_fields(c, &kp->feature, "feature_form");
	return err == MC_OK ? page_show(c, "staff_kiosk", status) : err;
}

static enum mc_err slug_cb(void *ctx, const struct mc_ward *w)
{
	snprintf(ctx, SLUG_MAX + 1, "%s", w->slug ? w->slug : "");
	return MC_OK;
}

/* Back to the ward's page after a change, at the part that changed. */
enum mc_err kiosk_done(struct office *c, int64_t ward_id, const char *part)
{
	char slug[SLUG_MAX + 1] = "";
	enum mc_err err = mc_store_ward_by_id(c->wr, ward_id, slug_cb, slug);

	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	return page_redirect(c, "/staff/kiosk?ward=%s#%s", slug, part);
}

static enum mc_err show(struct office *c)
{
	struct kpage kp;
	int64_t ward_id;
	enum mc_err err;

	if ((err = wards_current(c, page_arg(c, "ward"), &ward_id)) != MC_OK)
		return err;
	if ((err = kpage_init(&kp, c, ward_id)) == MC_OK)
		err = kiosk_page(&kp, 200);
	kpage_finish(&kp);
	return err;
}

/* The ward a post writes to, or the answer already made (*shown): 403, or an unknown ward. */
static enum mc_err posted_ward(struct office *c, int64_t *ward_id, bool *shown)
{
	const char *ward_error;
	enum mc_err err = forms_ward(c, ward_id, &ward_error, shown);

	if (err == MC_OK && !*shown && ward_error) {
		*shown = true;
		err = page_refuse(c, ward_error, "/staff/kiosk");
	}
	return err;
}

static enum mc_err notice_push(struct office *c)
{
	struct kpage kp;
	struct mc_kiosk_notice n = {0};
	int64_t ward_id;
	bool shown;
	enum mc_err err;

	if ((err = posted_ward(c, &ward_id, &shown)) != MC_OK || shown)
		return err;
	if ((err = kpage_init(&kp, c, ward_id)) != MC_OK ||
	    (err = mc_fields_read(&kp.notice, c->rq->form)) != MC_OK)
		goto out;
	if (kp.notice.nerr) {
		err = kiosk_page(&kp, 422);
		goto out;
	}
	n = (struct mc_kiosk_notice){.ward_id = ward_id,
				     .title = mc_fields_get(&kp.notice, "title"),
				     .body = mc_fields_get(&kp.notice, "body"),
				     .created_at = c->now,
				     .expires_at =
					 c->now + 60LL * mc_fields_int(&kp.notice, "minutes")};
	if ((err = mc_store_kiosk_notice_add(c->wr, &n, NULL)) == MC_OK)
		err = kiosk_done(c, ward_id, "urgent");
out:
	kpage_finish(&kp);
	return err;
}

struct held {
	bool found;
	int64_t ward_id;
};

static enum mc_err held_notice(void *ctx, const struct mc_kiosk_notice *n)
{
	*(struct held *)ctx = (struct held){true, n->ward_id};
	return MC_OK;
}

static enum mc_err held_feature(void *ctx, const struct mc_kiosk_feature *f)
{
	*(struct held *)ctx = (struct held){true, f->ward_id};
	return MC_OK;
}

static enum mc_err notice_lift(struct office *c, int64_t id)
{
	struct held h = {0};
	bool shown;
	enum mc_err err = mc_store_kiosk_notice_get(c->wr, id, held_notice, &h);

	if ((err = page_access(c, err, h.found, h.ward_id, true, &shown)) != MC_OK || shown)
		return err;
	/* Lifted or expired already: the screens show it no more either way. */
	err = mc_store_kiosk_notice_lift(c->wr, id, c->now);
	return err == MC_OK || err == MC_ERR_GONE ? kiosk_done(c, h.ward_id, "urgent") : err;
}

static enum mc_err feature_add(struct office *c)
{
	struct kpage kp;
	int64_t ward_id, id;
	bool shown;
	enum mc_err err;

	if ((err = posted_ward(c, &ward_id, &shown)) != MC_OK || shown)
		return err;
	if ((err = kpage_init(&kp, c, ward_id)) != MC_OK)
		goto out;
	mc_fields_options(&kp.feature, "procedure", kp.procs.v);
	if ((err = mc_fields_read(&kp.feature, c->rq->form)) != MC_OK)
		goto out;
	if (!kp.feature.nerr) {
		id = strtoll(mc_fields_get(&kp.feature, "procedure"), NULL, 10);
		err = mc_store_kiosk_feature_add(c->wr, ward_id, id,
						 mc_fields_int(&kp.feature, "seconds"), NULL);
		if (err == MC_ERR_EXISTS)
			err = mc_fields_fail(&kp.feature, "procedure", "%s",
					     "Thủ tục này đã có trong danh sách.");
		else if (err == MC_ERR_NOTFOUND)
			err = mc_fields_fail(&kp.feature, "procedure", "%s",
					     "Không còn thủ tục này trong phường.");
	}
	if (err == MC_OK)
		err = kp.feature.nerr ? kiosk_page(&kp, 422) : kiosk_done(c, ward_id, "features");
out:
	kpage_finish(&kp);
	return err;
}

enum feature_op { MOVE_UP, MOVE_DOWN, REMOVE };

static enum mc_err feature_change(struct office *c, int64_t id, enum feature_op op)
{
	struct held h = {0};
	bool shown;
	enum mc_err err = mc_store_kiosk_feature_get(c->wr, id, held_feature, &h);

	if ((err = page_access(c, err, h.found, h.ward_id, true, &shown)) != MC_OK || shown)
		return err;
	err = op == REMOVE ? mc_store_kiosk_feature_remove(c->wr, id)
			   : mc_store_kiosk_feature_move(c->wr, id, op == MOVE_UP);
	return err == MC_OK ? kiosk_done(c, h.ward_id, "features") : err;
}

enum mc_err mc_office_kiosk(struct mc_call *call)
{
	return show(call->scope);
}

enum mc_err mc_office_kiosk_notice_push(struct mc_call *call)
{
	return notice_push(call->scope);
}

enum mc_err mc_office_kiosk_notice_lift(struct mc_call *call)
{
	return notice_lift(call->scope, call->id);
}

enum mc_err mc_office_kiosk_feature_add(struct mc_call *call)
{
	return feature_add(call->scope);
}

enum mc_err mc_office_kiosk_feature_up(struct mc_call *call)
{
	return feature_change(call->scope, call->id, MOVE_UP);
}

enum mc_err mc_office_kiosk_feature_down(struct mc_call *call)
{
	return feature_change(call->scope, call->id, MOVE_DOWN);
}

enum mc_err mc_office_kiosk_feature_remove(struct mc_call *call)
{
	return feature_change(call->scope, call->id, REMOVE);
}
