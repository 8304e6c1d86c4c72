/* Building permit rows: one permit a row, keyed by its number; kind and status in English
 * or Vietnamese, measures within bounds, dates in order. */

#include "private.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "motcham/domain/permit.h"
#include "motcham/store/store.h"

enum {
	R_NUMBER,
	R_KIND,
	R_ADDRESS,
	R_OWNER,
	R_SCOPE,
	R_FLOORS,
	R_AREA,
	R_HEIGHT,
	R_CONTRACTOR,
	R_OFFICE,
	R_ISSUED,
	R_STARTS,
	R_ENDS,
	R_STATUS,
	R_REASON,
	R_WARD,
	R_N
};
static const struct col permit_cols[R_N] = {
    [R_NUMBER] = {"number", true, LINE, SHORT_MAX},
    [R_KIND] = {"kind", true, LINE, SHORT_MAX},
    [R_ADDRESS] = {"address", true, LINE, SHORT_MAX},
    [R_OWNER] = {"owner_name", true, LINE, SHORT_MAX},
    [R_SCOPE] = {"scope", true, TEXT, TEXT_MAX},
    [R_FLOORS] = {"floors", false, LINE, SHORT_MAX},
    [R_AREA] = {"area_m2", false, LINE, SHORT_MAX},
    [R_HEIGHT] = {"height_m", false, LINE, SHORT_MAX},
    [R_CONTRACTOR] = {"contractor", false, LINE, SHORT_MAX},
    [R_OFFICE] = {"office", true, LINE, SHORT_MAX},
    [R_ISSUED] = {"issued_on", true, LINE, SHORT_MAX},
    [R_STARTS] = {"starts_on", true, LINE, SHORT_MAX},
    [R_ENDS] = {"ends_on", true, LINE, SHORT_MAX},
    [R_STATUS] = {"status", true, LINE, SHORT_MAX},
    [R_REASON] = {"status_reason", false, LINE, SHORT_MAX},
    [R_WARD] = {"ward", false, LINE, SHORT_MAX},
};

static const struct word permit_kinds[] = {
    {MC_PERMIT_REPAIR, "repair", "sua chua"},
    {MC_PERMIT_RENOVATION, "renovation", "cai tao"},
    {MC_PERMIT_NEW_BUILD, "new build", "xay moi"},
    {NULL, NULL, NULL},
};

static const struct word statuses[] = {
    {MC_STATUS_ISSUED, "issued", "da cap"},
    {MC_STATUS_IN_PROGRESS, "in progress", "dang thi cong"},
    {MC_STATUS_SUSPENDED, "suspended", "dinh chi"},
    {MC_STATUS_REVOKED, "revoked", "thu hoi"},
    {MC_STATUS_COMPLETED, "completed", "hoan thanh"},
    {NULL, NULL, NULL},
};

static const struct range floors_range = {0, 50, false, true, "a whole number from 0 to 50"};
static const struct range area_range = {0, 100000, true, false, "a number above 0, at most 100000"};
static const struct range height_range = {0, 300, true, false, "a number above 0, at most 300"};

static enum mc_err permit_checks(struct imp *im, struct mc_permit *p)
{
	double floors;
	enum mc_err err;

	if ((err = cell_pick(im, R_KIND, permit_kinds,
			     "repair, renovation, new_build (sửa chữa, cải tạo, xây mới)",
			     &p->kind)) ||
	    (err = cell_pick(im, R_STATUS, statuses,
			     "issued, in_progress, suspended, revoked, completed (đã cấp, đang thi "
			     "công, đình chỉ, thu hồi, hoàn thành)",
			     &p->status)) ||
	    (err = cell_measure(im, R_FLOORS, &floors_range, &floors)) ||
	    (err = cell_measure(im, R_AREA, &area_range, &p->area_m2)) ||
	    (err = cell_measure(im, R_HEIGHT, &height_range, &p->height_m)) ||
	    (err = cell_date(im, R_ISSUED)) || (err = cell_date(im, R_STARTS)) ||
	    (err = cell_date(im, R_ENDS)) || (err = cell_not_before(im, R_STARTS, R_ISSUED)) ||
	    (err = cell_not_before(im, R_ENDS, R_STARTS)))
		return err;
	p->floors = (int)floors;
	if ((strcmp(p->status, MC_STATUS_SUSPENDED) == 0 ||
	     strcmp(p->status, MC_STATUS_REVOKED) == 0) &&
	    !im->v[R_REASON])
		return import_reject(im, "column status_reason: a %s permit needs a reason",
				     p->status);
	return import_row_ward(im, &p->ward_id);
}

static enum mc_err copy_status(void *ctx, const struct mc_permit *p)
{
	snprintf(ctx, 32, "%s", p->status ? p->status : "");
	return MC_OK;
}

/* A row for a permit already stored may keep its status or move it only as the staff pages
 * may (mc_permit_can_move, which the store holds to as well): a file cannot un-revoke a
 * permit, reopen a completed one or lift a suspension that staff would have to lift. */
static enum mc_err status_move(struct imp *im, const struct mc_permit *p)
{
	char from[32] = "";
	int64_t id = 0;
	enum mc_err err = mc_store_permit_id(im->s, p->number, &id);

	if (err == MC_ERR_NOTFOUND || (err == MC_OK && !id))
		return MC_OK;
	if (err != MC_OK || (err = mc_store_permit_get(im->s, id, copy_status, from)) != MC_OK)
		return err;
	if (!strcmp(from, p->status) || mc_permit_can_move(from, p->status))
		return MC_OK;
	return import_reject(im,
			     "column status: permit %s is %s, and a permit cannot go from %s to "
			     "%s (on the staff pages neither)",
			     p->number, from, from, p->status);
}

static enum mc_err take_permit(struct imp *im)
{
	struct mc_permit p = {0};
	char **v = im->v;
	int64_t id;
	bool created;
	enum mc_err err;

	if ((err = permit_checks(im, &p)) != MC_OK)
		return err;
	p.number = v[R_NUMBER];
	p.address = v[R_ADDRESS];
	p.owner_name = v[R_OWNER];
	p.scope = v[R_SCOPE];
	p.contractor = v[R_CONTRACTOR];
	p.office = v[R_OFFICE];
	p.issued_on = v[R_ISSUED];
	p.starts_on = v[R_STARTS];
	p.ends_on = v[R_ENDS];
	p.status_reason = v[R_REASON];
	if ((err = status_move(im, &p)) != MC_OK)
		return err;
	if ((err = import_db(im, mc_store_permit_upsert(im->s, &p, &id, &created))) != MC_OK)
		return err;
	return import_settle(im, MC_KIND_PERMIT, id, created, "the same permit number");
}

const struct kind permit_kind = {"permit", permit_cols, R_N, R_WARD, take_permit};
