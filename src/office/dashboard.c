/* The staff dashboard (/staff): the ward's newest permits, procedures and announcements (the
 * lists themselves are lists.c's), its open resident reports, and how often its codes were
 * scanned. */
#include <time.h>

#include "motcham/base/date.h"
#include "motcham/domain/permit.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/request.h"
#include "private.h"

struct dash {
	struct office *c;
	int open;
	int64_t ward_id;
};

static enum mc_err count_open(void *ctx, const struct mc_report *rep)
{
	struct dash *d = ctx;

	if (!rep->reviewed_at)
		d->open++;
	return MC_OK;
}

#define SCAN_TOP 10
/* The newest of each list the dashboard shows; the rest are a page away (lists.c). */
#define HOME_LIST 10

static enum mc_err scan_item_cb(void *ctx, const struct mc_scan_count *sc)
{
	struct list *l = ctx;
	struct mc_tobj *o = page_list_push(l);
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
static enum mc_err scan_window(struct office *c, struct mc_tobj *board, int64_t ward_id, int days)
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

static enum mc_err dashboard(struct office *c)
{
	struct dash d = {.c = c};
	struct mc_tobj *w;
	long long total = 0;
	enum mc_err err;

	if ((err = wards_current(c, c->rq->lookup(c->rq, MC_REQ_ARG, "ward"), &d.ward_id)) !=
		MC_OK ||
	    (err = page_start(c, "Bảng điều khiển")) != MC_OK ||
	    (err = wards_picker(c, d.ward_id)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "all_wards", mc_session_all_wards(&c->u))) != MC_OK)
		return err;
	if (!d.ward_id)
		return page_show(c, "staff_home", 200);
	if (!(w = mc_tobj_obj(c->root, "board")))
		return MC_ERR_NOMEM;
	err = mc_store_ward_by_id(c->wr, d.ward_id, wards_name_cb, w);
	for (int k = LISTS_PERMITS; k <= LISTS_ANNOUNCEMENTS && err == MC_OK; k++)
		err = lists_add(c, w, k, d.ward_id, HOME_LIST, 0, &total);
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
	return err == MC_OK ? page_show(c, "staff_home", 200) : err;
}

enum mc_err mc_office_dashboard(struct mc_call *call)
{
	return dashboard(call->scope);
}
