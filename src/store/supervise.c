/* The supervision queries: the supervisor dashboard's lists and counts, and a permit's
 * history, each entry of it checked before anyone sees it. */
#include "private.h"

#include "motcham/store/audit.h"

/* The caller's callback for rows no member of struct visit carries. */
struct sup_visit {
	mc_store_sup_permit_fn permit;
	mc_store_sup_ward_fn ward;
	mc_store_checked_fn checked;
	struct mc_buf *canon; /* scratch for the checks */
	void *ctx;
};

static void bind_filter(struct db_stmt *st, const struct mc_sup_filter *f)
{
	db_bind_int64(st, 1, (int)f->list);
	db_bind_int64(st, 2, f->ward_id);
	bind_text(st, 3, f->status);
	bind_text(st, 4, f->by_end ? "ends" : "issued");
	bind_text(st, 5, f->from);
	bind_text(st, 6, f->to);
	bind_text(st, 7, f->today);
	bind_text(st, 8, f->soon);
}

/* Lets permit_row fill the permit part of a supervision row. */
static enum mc_err copy_permit(void *ctx, const struct mc_permit *p)
{
	*(struct mc_permit *)ctx = *p;
	return MC_OK;
}

static enum mc_err sup_permit_row(struct db_stmt *st, const struct visit *v)
{
	const struct sup_visit *sv = v->ctx;
	struct mc_sup_permit p = {
	    .ward_slug = col_text(st, 18),
	    .ward_name = col_text(st, 19),
	    .open_reports = db_col_int64(st, 20),
	    .oldest_report = col_text(st, 21),
	};
	struct visit inner = {.fn.permit = copy_permit, .ctx = &p.permit};
	enum mc_err err;

	if ((err = permit_row(st, &inner)) != MC_OK)
		return err;
	return sv->permit(sv->ctx, &p);
}

enum mc_err mc_store_sup_permits(struct mc_store *s, const struct mc_sup_filter *f, int limit,
				 long long offset, mc_store_sup_permit_fn fn, void *ctx)
{
	struct sup_visit sv = {.permit = fn, .ctx = ctx};
	struct visit v = {.ctx = &sv};
	struct db_stmt *st;

	if (limit < 0 || offset < 0)
		return MC_ERR_INVALID;
	PREPARE(s, ST_SUP_PERMITS, st);
	bind_filter(st, f);
	db_bind_int64(st, 9, limit);
	db_bind_int64(st, 10, offset);
	return walk(st, sup_permit_row, &v, false);
}

enum mc_err mc_store_sup_permit_count(struct mc_store *s, const struct mc_sup_filter *f,
				      long long *n)
{
	struct db_stmt *st;
	int64_t count = 0;
	enum mc_err err;

	PREPARE(s, ST_SUP_PERMIT_COUNT, st);
	bind_filter(st, f);
	err = query_id(st, &count);
	*n = count;
	return err;
}

static enum mc_err sup_ward_row(struct db_stmt *st, const struct visit *v)
{
	const struct sup_visit *sv = v->ctx;
	struct mc_sup_ward w = {
	    .ward_id = db_col_int64(st, 0),
	    .slug = col_text(st, 1),
	    .name = col_text(st, 2),
	    .total = db_col_int64(st, 3),
	    .overdue = db_col_int64(st, 9),
	    .expiring = db_col_int64(st, 10),
	    .reported = db_col_int64(st, 11),
	};

	for (int i = 0; i < 5; i++)
		w.by_status[i] = db_col_int64(st, 4 + i);
	return sv->ward(sv->ctx, &w);
}

enum mc_err mc_store_sup_wards(struct mc_store *s, int64_t ward_id, const char *today,
			       const char *soon, mc_store_sup_ward_fn fn, void *ctx)
{
	struct sup_visit sv = {.ward = fn, .ctx = ctx};
	struct visit v = {.ctx = &sv};
	struct db_stmt *st;

	PREPARE(s, ST_SUP_WARDS, st);
	db_bind_int64(st, 1, ward_id);
	bind_text(st, 2, today);
	bind_text(st, 3, soon);
	return walk(st, sup_ward_row, &v, false);
}

/* Lets audit_row fill the entry part of a checked row. */
static enum mc_err copy_audit(void *ctx, const struct mc_audit *a)
{
	*(struct mc_audit *)ctx = *a;
	return MC_OK;
}

/* An audit row and what it links to (the columns of AUDIT_LINKS after the entry's), for
 * sv->checked: the entry itself only when it verifies. */
static enum mc_err checked_row(struct db_stmt *st, const struct visit *v)
{
	const struct sup_visit *sv = v->ctx;
	struct mc_audit a = {0};
	struct visit inner = {.fn.audit = copy_audit, .ctx = &a};
	struct mc_audit_links l;
	const char *why;
	enum mc_err err;

	if ((err = audit_row(st, &inner)) != MC_OK)
		return err;
	l = (struct mc_audit_links){
	    .prev = col_text(st, 11),
	    .leaf = col_text(st, 12),
	    .tree = true,
	};
	if ((err = mc_audit_check_entry(&a, &l, sv->canon, &why)) != MC_OK)
		return err;
	if (why)
		a = (struct mc_audit){.id = a.id};
	return sv->checked(sv->ctx, &a, why);
}

/* walk_int over a statement of audit rows with their links, each checked for fn. */
static enum mc_err walk_checked(struct mc_store *s, enum stmt_id id, int64_t key, bool one,
				mc_store_checked_fn fn, void *ctx)
{
	struct mc_buf canon;
	struct sup_visit sv = {.checked = fn, .canon = &canon, .ctx = ctx};
	struct visit v = {.ctx = &sv};
	enum mc_err err;

	mc_buf_init(&canon);
	err = walk_int(s, id, key, checked_row, &v, one);
	mc_buf_finish(&canon);
	return err;
}

enum mc_err mc_store_sup_permit_audit(struct mc_store *s, int64_t permit_id, mc_store_checked_fn fn,
				      void *ctx)
{
	return walk_checked(s, ST_SUP_AUDIT, permit_id, false, fn, ctx);
}

enum mc_err mc_store_sup_audit_entry(struct mc_store *s, int64_t id, mc_store_checked_fn fn,
				     void *ctx)
{
	return walk_checked(s, ST_SUP_AUDIT_ENTRY, id, true, fn, ctx);
}

enum mc_err mc_store_sup_permit_reports(struct mc_store *s, int64_t permit_id,
					mc_store_report_fn fn, void *ctx)
{
	struct visit v = {.fn.report = fn, .ctx = ctx};

	return walk_int(s, ST_SUP_REPORTS, permit_id, report_row, &v, false);
}
