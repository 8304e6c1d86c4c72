/* A permit's staff page (/staff/permits/ID): the record, its edit, status and inspection
 * forms, its dossier files and its code; and loading a permit with the role check every
 * permit route makes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/domain/permit.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/fields.h"
#include "private.h"

const struct mc_field_spec permit_spec[] = {
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

const struct mc_field_spec permit_status_spec[] = {
    {"status", "Tình trạng mới", MC_F_ENUM, true, 0, 0, mc_permit_statuses, NULL},
    {"reason", "Lý do", MC_F_TEXT, false, 0, 2000, NULL,
     "Bắt buộc khi đình chỉ hoặc thu hồi; hiện trên trang công khai."},
};

const struct mc_field_spec permit_insp_spec[] = {
    {"on_date", "Ngày kiểm tra", MC_F_DATE, true, 0, 0, NULL, NULL},
    {"inspector", "Người kiểm tra", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"result", "Kết quả", MC_F_LINE, true, 0, 0, NULL, "Ví dụ: Đúng giấy phép."},
    {"note", "Ghi chú", MC_F_TEXT, false, 0, 0, NULL, NULL},
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
enum mc_err permit_load(struct office *c, int64_t id, bool write, struct permit_rec *rec,
			bool *shown)
{
	enum mc_err err = mc_store_permit_get(c->wr, id, permit_cb, rec);

	return page_access(c, err, rec->found, rec->ward_id, write, shown);
}

/* An inspection as the staff and supervisors' permit pages show it. */
enum mc_err permit_insp_item(struct mc_tobj *o, const struct mc_inspection *i)
{
	enum mc_err err;

	if ((err = mc_tobj_str(o, "on_date", i->on_date)) != MC_OK ||
	    (err = mc_tobj_str(o, "inspector", i->inspector)) != MC_OK ||
	    (err = mc_tobj_str(o, "result", i->result)) != MC_OK)
		return err;
	return mc_tobj_str(o, "note", i->note);
}

static enum mc_err insp_cb(void *ctx, const struct mc_inspection *i)
{
	struct mc_tobj *o = page_list_push(ctx);

	return o ? permit_insp_item(o, i) : MC_ERR_NOMEM;
}

static enum mc_err file_cb(void *ctx, const struct mc_file *f)
{
	struct mc_tobj *o = page_list_push(ctx);
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
static enum mc_err add_status_form(struct office *c, const char *from, struct mc_fields *stf)
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
	return forms_fields(c, stf, "status_form");
}

static enum mc_err permit_sections(struct office *c, struct permit_rec *rec,
				   const struct permit_forms *pf)
{
	struct list insp = {c->root, "inspections", NULL}, files = {c->root, "files", NULL};
	struct mc_tobj *w;
	enum mc_err err;

	if (!(w = mc_tobj_obj(c->root, "where")))
		return MC_ERR_NOMEM;
	if ((err = mc_store_ward_by_id(c->wr, rec->ward_id, wards_name_cb, w)) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "id", "%lld", (long long)rec->id)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "can_write", mc_session_can_write(&c->u, rec->ward_id))) !=
		MC_OK ||
	    (err = forms_fields(c, pf->edit, "edit")) != MC_OK ||
	    (err = add_status_form(c, rec->status, pf->status)) != MC_OK ||
	    (err = forms_fields(c, pf->insp, "insp_form")) != MC_OK ||
	    (err = mc_tobj_str(c->root, "upload_error", pf->upload_error)) != MC_OK ||
	    (err = mc_store_permit_inspections(c->wr, rec->id, insp_cb, &insp)) != MC_OK ||
	    (err = mc_store_file_each(c->wr, rec->id, false, file_cb, &files)) != MC_OK)
		return err;
	return codes_add(c, MC_KIND_PERMIT, rec->id);
}

static bool any_errors(const struct permit_forms *pf)
{
	return pf->edit->nerr || pf->status->nerr || pf->insp->nerr || pf->upload_error;
}

/* Shows the permit's page: a form given in pf keeps what was typed, the others (NULL)
 * start from the stored record. */
enum mc_err permit_page(struct office *c, int64_t id, int status, struct permit_forms *pf)
{
	struct permit_rec rec = {.today = c->today};
	struct permit_forms use = *pf;
	struct mc_fields edit, stf, insp;
	bool shown;
	enum mc_err err;

	mc_fields_init(&edit, permit_spec, PERMIT_N);
	mc_fields_init(&stf, permit_status_spec, 2);
	mc_fields_init(&insp, permit_insp_spec, 4);
	if (!use.edit)
		use.edit = rec.f = &edit;
	use.status = use.status ? use.status : &stf;
	if (!use.insp && (err = mc_fields_set(&insp, "on_date", c->today)) != MC_OK)
		goto out;
	use.insp = use.insp ? use.insp : &insp;
	if ((err = page_start(c, "Giấy phép xây dựng")) != MC_OK)
		goto out;
	if (!(rec.o = mc_tobj_obj(c->root, "permit"))) {
		err = MC_ERR_NOMEM;
		goto out;
	}
	if ((err = permit_load(c, id, false, &rec, &shown)) != MC_OK || shown)
		goto out;
	if ((err = mc_tobj_strf(c->root, "heading", "Giấy phép số %s", rec.number)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "has_errors", any_errors(&use))) != MC_OK ||
	    (err = permit_sections(c, &rec, &use)) != MC_OK)
		goto out;
	err = page_show(c, "staff_permit", status);
out:
	free(rec.reason);
	mc_fields_finish(&edit);
	mc_fields_finish(&stf);
	mc_fields_finish(&insp);
	return err;
}

enum mc_err mc_office_permit_show(struct mc_call *call)
{
	return permit_page(call->scope, call->id, 200, &(struct permit_forms){0});
}
