/* A permit as supervisors see it (/supervise/permits/ID): the record, its whole history
 * from the audit trail field by field (each entry with its tlog-proof, /supervise/proofs/ID),
 * its inspections, reports and files. The history shows only entries that verify (the store
 * checks each): any other is a warning with its number and nothing of what it says. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/domain/permit.h"
#include "motcham/log/log.h"
#include "motcham/office/office.h"
#include "motcham/render/template.h"
#include "motcham/store/audit.h"
#include "motcham/store/store.h"
#include "motcham/web/response.h"
#include "private.h"

#define VALUE_MAX 300 /* bytes of one old or new value shown in the timeline */

static const struct mc_label entities[] = {
    {"permit", "Giấy phép"},	{"code", "Mã QR"},	{"file", "Tệp hồ sơ"},
    {"inspection", "Kiểm tra"}, {"report", "Phản ánh"}, {NULL, NULL},
};

static const struct mc_label actions[] = {
    {"create", "Tạo mới"},
    {"update", "Sửa thông tin"},
    {"status", "Đổi trạng thái"},
    {"attach", "Đính kèm"},
    {"revoke", "Thu hồi mã"},
    {"review", "Đã xử lý"},
    {"merge", "Sáp nhập phường"},
    {"restore", "Dùng lại mã"},
    {"erase", "Xoá dữ liệu cá nhân"},
    {NULL, NULL},
};

static const struct mc_label fields[] = {
    {"ward_id", "Phường (mã số)"},
    {"number", "Số giấy phép"},
    {"kind", "Loại"},
    {"address", "Địa chỉ"},
    {"owner_name", "Chủ đầu tư"},
    {"scope", "Nội dung"},
    {"floors", "Số tầng"},
    {"area_m2", "Diện tích (m²)"},
    {"height_m", "Chiều cao (m)"},
    {"contractor", "Đơn vị thi công"},
    {"office", "Cơ quan cấp"},
    {"issued_on", "Ngày cấp"},
    {"starts_on", "Ngày khởi công"},
    {"ends_on", "Ngày hết hạn"},
    {"status", "Trạng thái"},
    {"status_reason", "Lý do"},
    {"on_date", "Ngày kiểm tra"},
    {"inspector", "Người kiểm tra"},
    {"result", "Kết quả"},
    {"note", "Ghi chú"},
    {"reviewed_at", "Xử lý lúc"},
    {"review_note", "Ghi chú xử lý"},
    {"revoked_at", "Thu hồi lúc"},
    {"description", "Mô tả của người dân"},
    {"contact", "Liên hệ"},
    {"erased_at", "Xoá dữ liệu cá nhân lúc"},
    {NULL, NULL},
};

struct one {
	struct office *c;
	struct mc_tobj *o; /* the permit's object on the page */
	struct list timeline;
	long long hidden; /* entries of it that did not verify */
	int64_t ward_id;
};

static enum mc_err permit_cb(void *ctx, const struct mc_permit *p)
{
	struct one *x = ctx;
	struct office *c = x->c;
	struct mc_tobj *o = x->o = mc_tobj_obj(c->root, "permit");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	x->ward_id = p->ward_id;
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)p->id)) != MC_OK ||
	    (err = mc_tobj_strf(o, "ward_id", "%lld", (long long)p->ward_id)) != MC_OK ||
	    (err = mc_tobj_str(o, "number", p->number)) != MC_OK ||
	    (err = mc_tobj_str(o, "kind_label", mc_label_of(mc_permit_kinds, p->kind))) != MC_OK ||
	    (err = mc_tobj_str(o, "address", p->address)) != MC_OK ||
	    (err = mc_tobj_str(o, "owner_name", p->owner_name)) != MC_OK ||
	    (err = mc_tobj_str(o, "scope", p->scope)) != MC_OK ||
	    (err = mc_tobj_strf(o, "floors", "%d", p->floors)) != MC_OK ||
	    (err = mc_tobj_strf(o, "area_m2", "%g", p->area_m2)) != MC_OK ||
	    (err = mc_tobj_strf(o, "height_m", "%g", p->height_m)) != MC_OK ||
	    (err = mc_tobj_str(o, "contractor", p->contractor)) != MC_OK ||
	    (err = mc_tobj_str(o, "office", p->office)) != MC_OK ||
	    (err = mc_tobj_str(o, "issued_on", p->issued_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "starts_on", p->starts_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "ends_on", p->ends_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "status", p->status)) != MC_OK ||
	    (err = mc_tobj_str(o, "status_label", mc_label_of(mc_permit_statuses, p->status))) !=
		MC_OK ||
	    (err = mc_tobj_str(o, "status_reason", p->status_reason)) != MC_OK)
		return err;
	if ((err = mc_tobj_str(c->root, "heading", p->number)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "expired", mc_permit_expired_on(p->status, p->ends_on, c->today));
}

static enum mc_err code_cb(void *ctx, const struct mc_code *code)
{
	return mc_tobj_str(ctx, "token", code->token);
}

/* Appends a JSON value as text for a person, cut at a character boundary when long. */
static enum mc_err value_text(struct mc_tobj *o, const char *key, const json_t *v,
			      const struct mc_label *names)
{
	char *dumped = NULL;
	const char *s;
	size_t n;
	enum mc_err err;

	if (!v || json_is_null(v))
		return MC_OK;
	/* A resident's words are sealed in the trail (report.c): the report shows them, or
	 * that they were erased. */
	if (json_is_string(v) && mc_store_report_sealed(json_string_value(v))) {
		s = "(dữ liệu cá nhân, được mã hoá: xem ở mục Phản ánh)";
	} else if (json_is_string(v)) {
		s = mc_label_of(names, json_string_value(v));
	} else if (!(s = dumped =
			 json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(15)))) {
		return MC_ERR_NOMEM;
	}
	n = strlen(s);
	if (n > VALUE_MAX) {
		n = VALUE_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		err = mc_tobj_strf(o, key, "%.*s…", (int)n, s);
	} else {
		err = mc_tobj_str(o, key, s);
	}
	free(dumped);
	return err;
}

static enum mc_err push_change(struct list *changes, const char *key, const json_t *was,
			       const json_t *now)
{
	struct mc_tobj *o = page_list_push(changes);
	const struct mc_label *names = !strcmp(key, "status") ? mc_permit_statuses
				       : !strcmp(key, "kind") ? mc_permit_kinds
							      : NULL;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "field", mc_label_of(fields, key))) != MC_OK ||
	    (err = value_text(o, "before", was, names)) != MC_OK)
		return err;
	return value_text(o, "after", now, names);
}

/* What an entry changed: every field whose value differs between before and after (for a
 * new record, every field that has a value). */
static enum mc_err add_changes(struct mc_tobj *entry, const char *before, const char *after)
{
	json_t *b = before ? json_loads(before, 0, NULL) : NULL;
	json_t *a = after ? json_loads(after, 0, NULL) : NULL;
	struct list changes = {entry, "changes", NULL};
	const char *key;
	json_t *v;
	enum mc_err err = MC_OK;

	if ((before && !json_is_object(b)) || (after && !json_is_object(a))) {
		err = mc_tobj_bool(entry, "unreadable", true);
		goto done;
	}
	json_object_foreach(a, key, v)
	{
		const json_t *old = b ? json_object_get(b, key) : NULL;

		if ((old && json_equal(old, v)) || (!old && json_is_null(v)))
			continue;
		if ((err = push_change(&changes, key, old, v)) != MC_OK)
			goto done;
	}
	json_object_foreach(b, key, v)
	{
		if (!json_is_null(v) && !(a && json_object_get(a, key)) &&
		    (err = push_change(&changes, key, v, NULL)) != MC_OK)
			goto done;
	}
done:
	json_decref(a);
	json_decref(b);
	return err;
}

static enum mc_err timeline_cb(void *ctx, const struct mc_audit *a, const char *why)
{
	struct one *x = ctx;
	struct mc_tobj *o = page_list_push(&x->timeline);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if (why) {
		/* What the entry says may be a forger's: only that it is there, and where to
		 * look (`motcham audit verify` names what did not match). */
		x->hidden++;
		if ((err = mc_tobj_strf(o, "audit_id", "%lld", (long long)a->id)) != MC_OK)
			return err;
		return mc_tobj_bool(o, "hidden", true);
	}
	if ((err = mc_tobj_strf(o, "audit_id", "%lld", (long long)a->id)) != MC_OK ||
	    (err = mc_tobj_str(o, "at", a->at)) != MC_OK ||
	    (err = mc_tobj_str(o, "actor", a->actor)) != MC_OK ||
	    (err = mc_tobj_str(o, "entity", a->entity)) != MC_OK ||
	    (err = mc_tobj_str(o, "entity_label", mc_label_of(entities, a->entity))) != MC_OK ||
	    (err = mc_tobj_str(o, "action", a->action)) != MC_OK ||
	    (err = mc_tobj_str(o, "action_label", mc_label_of(actions, a->action))) != MC_OK)
		return err;
	return add_changes(o, a->before, a->after);
}

static enum mc_err insp_cb(void *ctx, const struct mc_inspection *i)
{
	struct mc_tobj *o = mc_tobj_push(ctx, "inspections");

	return o ? permit_insp_item(o, i) : MC_ERR_NOMEM;
}

static enum mc_err report_cb(void *ctx, const struct mc_report *rep)
{
	struct mc_tobj *o = mc_tobj_push(ctx, "reports");

	return o ? reports_item(o, rep) : MC_ERR_NOMEM;
}

static enum mc_err file_cb(void *ctx, const struct mc_file *f)
{
	struct mc_tobj *o = mc_tobj_push(ctx, "files");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "sha256", f->sha256)) != MC_OK ||
	    (err = mc_tobj_str(o, "name", f->name)) != MC_OK ||
	    (err = mc_tobj_str(o, "mime", f->mime)) != MC_OK ||
	    (err = mc_tobj_strf(o, "size", "%lld", f->size)) != MC_OK ||
	    (err = mc_tobj_str(o, "created", f->created_at)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "public", f->public);
}

static enum mc_err history_page(struct office *c, int64_t id)
{
	struct one x = {.c = c};
	enum mc_err err;

	if ((err = page_start(c, "Hồ sơ giấy phép")) != MC_OK)
		return err;
	x.timeline = (struct list){c->root, "timeline", NULL};
	if ((err = mc_store_permit_get(c->wr, id, permit_cb, &x)) == MC_ERR_NOTFOUND)
		return page_not_found(c);
	if (err == MC_OK)
		err = mc_store_ward_by_id(c->wr, x.ward_id, wards_name_cb, x.o);
	if (err == MC_OK || err == MC_ERR_NOTFOUND)
		err = mc_store_code_for_target(c->wr, MC_KIND_PERMIT, id, code_cb, x.o);
	if (err == MC_OK || err == MC_ERR_NOTFOUND)
		err = mc_store_sup_permit_audit(c->wr, id, timeline_cb, &x);
	if (err == MC_OK && x.hidden)
		err = page_count(x.timeline.obj, "hidden_count", x.hidden);
	if (err == MC_OK)
		err = mc_store_permit_inspections(c->wr, id, insp_cb, c->root);
	if (err == MC_OK)
		err = mc_store_sup_permit_reports(c->wr, id, report_cb, c->root);
	if (err == MC_OK)
		err = mc_store_file_each(c->wr, id, false, file_cb, c->root);
	return err == MC_OK ? page_show(c, "supervise_permit", 200) : err;
}

enum mc_err mc_supervise_permit(struct mc_call *call)
{
	return history_page(call->scope, call->id);
}

static enum mc_err verified_cb(void *ctx, const struct mc_audit *a, const char *why)
{
	(void)a;
	*(bool *)ctx = !why;
	return MC_OK;
}

/* An entry's proof of inclusion in the published log, to hand to anyone who holds the
 * log's key: the entry itself (it may hold personal data: a supervisor decides who gets it),
 * its inclusion proof and the latest checkpoint with its cosignatures. An entry that does
 * not verify is not handed out, as its timeline does not show it. */
enum mc_err mc_supervise_proof(struct mc_call *call)
{
	struct office *c = call->scope;
	char detail[200];
	bool verified = false;
	enum mc_err err = mc_store_sup_audit_entry(c->wr, call->id, verified_cb, &verified);

	if (err == MC_OK && !verified) {
		snprintf(detail, sizeof(detail),
			 "Mục nhật ký #%lld không khớp chuỗi kiểm tra — nội dung bị ẩn; chạy "
			 "motcham audit verify.",
			 (long long)call->id);
		return page_message(c, 409, "Mục nhật ký không khớp chuỗi kiểm tra", detail);
	}
	if (err == MC_OK)
		err = mc_log_entry_proof(c->wr, call->id, &call->r->body);
	if (err == MC_ERR_NOTFOUND)
		return page_not_found(c);
	if (err == MC_ERR_BUSY)
		return page_message(
		    c, 503, "Chưa có bằng chứng",
		    "Mục nhật ký này chưa nằm trong điểm kiểm tra đã ký nào; thử lại "
		    "sau vài giây (máy chủ cần chạy với --log-key).");
	if (err != MC_OK)
		return err;
	call->r->status = 200;
	call->r->content_type = "text/plain; charset=utf-8";
	snprintf(call->r->disposition, sizeof(call->r->disposition),
		 "attachment; filename=\"audit-%lld.tlog-proof\"", (long long)call->id);
	return MC_OK;
}
