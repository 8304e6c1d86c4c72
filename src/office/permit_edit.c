/* The forms that change a permit's record: a new permit, an edit, a status move (only the
 * moves the rules allow) and an inspection. */
#include <stdlib.h>
#include <string.h>

#include "motcham/base/token.h"
#include "motcham/domain/permit.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/store/store.h"
#include "motcham/web/fields.h"
#include "motcham/web/request.h"
#include "private.h"

/* Cross-field rules of a permit; current is the permit being edited (NULL: a new one). */
static enum mc_err check_permit(struct office *c, struct mc_fields *f,
				const struct permit_rec *current)
{
	const char *number = mc_fields_get(f, "number");
	int64_t other = 0;
	enum mc_err err;

	if ((err = forms_check_dates(f, "issued_on", "starts_on",
				     "Ngày bắt đầu thi công không được trước ngày cấp.")) !=
		MC_OK ||
	    (err = forms_check_dates(f, "starts_on", "ends_on",
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

static enum mc_err permit_create(struct office *c)
{
	struct mc_fields f;
	struct mc_permit p = {.status = MC_STATUS_ISSUED};
	char token[MC_TOKEN_LEN + 1];
	const char *ward_error;
	int64_t ward_id, id = 0;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, permit_spec, PERMIT_N);
	if ((err = forms_ward(c, &ward_id, &ward_error, &shown)) != MC_OK || shown)
		goto out;
	if ((err = mc_fields_read(&f, c->rq->form)) != MC_OK ||
	    (err = check_permit(c, &f, NULL)) != MC_OK)
		goto out;
	if (f.nerr || ward_error) {
		err = forms_new(c, "Giấy phép mới", "/staff/permits", &f, ward_id, ward_error, 422);
		goto out;
	}
	permit_from(&f, &p);
	p.ward_id = ward_id;
	if ((err = mc_store_begin(c->wr)) != MC_OK)
		goto out;
	err = mc_store_permit_upsert(c->wr, &p, &id, NULL);
	if (err == MC_OK)
		err = mc_store_code_ensure(c->wr, MC_KIND_PERMIT, id, token, NULL);
	if ((err = forms_commit(c, err)) == MC_OK)
		err = page_redirect(c, "/staff/permits/%lld", (long long)id);
out:
	mc_fields_finish(&f);
	return err;
}

static enum mc_err permit_update(struct office *c, int64_t id)
{
	struct permit_rec rec = {.today = c->today};
	struct permit_forms pf = {0};
	struct mc_permit p = {0};
	struct mc_fields f;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, permit_spec, PERMIT_N);
	if ((err = permit_load(c, id, true, &rec, &shown)) != MC_OK || shown)
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
		err = page_redirect(c, "/staff/permits/%lld", (long long)id);
out:
	free(rec.reason);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err permit_new(struct office *c)
{
	struct mc_fields f;
	int64_t ward_id;
	enum mc_err err;

	mc_fields_init(&f, permit_spec, PERMIT_N);
	err = wards_current(c, c->rq->lookup(c->rq, MC_REQ_ARG, "ward"), &ward_id);
	if (err == MC_OK && !mc_session_can_write(&c->u, ward_id))
		err = page_forbidden(c);
	else if (err == MC_OK)
		err = forms_new(c, "Giấy phép mới", "/staff/permits", &f, ward_id, NULL, 200);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err permit_status(struct office *c, int64_t id)
{
	struct permit_rec rec = {.today = c->today};
	struct permit_forms pf = {0};
	struct mc_fields f;
	const char *to;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, permit_status_spec, 2);
	if ((err = permit_load(c, id, true, &rec, &shown)) != MC_OK || shown)
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
		err = page_redirect(c, "/staff/permits/%lld", (long long)id);
out:
	free(rec.reason);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err permit_inspection(struct office *c, int64_t id)
{
	struct permit_rec rec = {.today = c->today};
	struct permit_forms pf = {0};
	struct mc_inspection i = {.permit_id = id};
	struct mc_fields f;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, permit_insp_spec, 4);
	if ((err = permit_load(c, id, true, &rec, &shown)) != MC_OK || shown)
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
		err = page_redirect(c, "/staff/permits/%lld", (long long)id);
out:
	free(rec.reason);
	mc_fields_finish(&f);
	return err;
}

enum mc_err mc_office_permit_create(struct mc_call *call)
{
	return permit_create(call->scope);
}

enum mc_err mc_office_permit_new(struct mc_call *call)
{
	return permit_new(call->scope);
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
