/* Permits, their inspections, and their status moves. */
#include "private.h"

#include <stdio.h>
#include <string.h>

#include "motcham/base/date.h"
#include "motcham/domain/permit.h"

enum mc_err permit_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_permit p = {
	    .id = db_col_int64(st, 0),
	    .ward_id = db_col_int64(st, 1),
	    .number = col_text(st, 2),
	    .kind = col_text(st, 3),
	    .address = col_text(st, 4),
	    .owner_name = col_text(st, 5),
	    .scope = col_text(st, 6),
	    .floors = db_col_int(st, 7),
	    .area_m2 = db_col_double(st, 8),
	    .height_m = db_col_double(st, 9),
	    .contractor = col_text(st, 10),
	    .office = col_text(st, 11),
	    .issued_on = col_text(st, 12),
	    .starts_on = col_text(st, 13),
	    .ends_on = col_text(st, 14),
	    .status = col_text(st, 15),
	    .status_reason = col_text(st, 16),
	    .updated_at = col_text(st, 17),
	};
	return v->fn.permit(v->ctx, &p);
}

enum mc_err mc_store_permit_id(struct mc_store *s, const char *number, int64_t *id)
{
	struct db_stmt *st;

	PREPARE(s, ST_PERMIT_ID, st);
	bind_text(st, 1, number);
	return query_id(st, id);
}

/* The stored status of permit id into from[32]. */
static enum mc_err read_status(struct mc_store *s, int64_t id, char from[32])
{
	struct db_stmt *st;
	enum mc_err err;
	bool row;

	from[0] = '\0';
	PREPARE(s, ST_PERMIT_STATUS, st);
	db_bind_int64(st, 1, id);
	if ((err = db_step(st, &row)) == MC_OK && row)
		snprintf(from, 32, "%s", col_text(st, 0) ? col_text(st, 0) : "");
	else if (err == MC_OK)
		err = MC_ERR_NOTFOUND;
	done(st);
	return err;
}

/* An update may keep a permit's status or move it as the staff pages may
 * (mc_permit_can_move): an import or an edit never un-revokes one. */
static enum mc_err status_kept_or_moved(struct mc_store *s, int64_t id, const char *status)
{
	char from[32];
	enum mc_err err = read_status(s, id, from);

	if (err != MC_OK)
		return err;
	return !status || !strcmp(from, status) || mc_permit_can_move(from, status)
		   ? MC_OK
		   : MC_ERR_INVALID;
}

static enum mc_err permit_write(struct mc_store *s, const struct mc_permit *p, int64_t *id,
				bool *created)
{
	char today[MC_DATE_LEN + 1];
	struct db_stmt *st;
	int64_t old = 0;
	enum mc_err err;

	if (!p->number)
		return MC_ERR_INVALID;
	err = mc_store_permit_id(s, p->number, &old);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	if ((err = by_id(&old, p->id)) != MC_OK ||
	    (old && (err = status_kept_or_moved(s, old, p->status)) != MC_OK) ||
	    (err = remember_known(s, E_PERMIT, old, p->id)) != MC_OK)
		return err;
	PREPARE(s, old ? ST_PERMIT_UPDATE : ST_PERMIT_INSERT, st);
	mc_date_today(today);
	db_bind_int64(st, 1, p->ward_id);
	bind_text(st, 2, p->number);
	bind_text(st, 3, p->kind);
	bind_text(st, 4, p->address);
	bind_text(st, 5, p->owner_name);
	bind_text(st, 6, p->scope);
	db_bind_int64(st, 7, p->floors);
	db_bind_double(st, 8, p->area_m2);
	db_bind_double(st, 9, p->height_m);
	bind_text(st, 10, p->contractor);
	bind_text(st, 11, p->office);
	bind_text(st, 12, p->issued_on);
	bind_text(st, 13, p->starts_on);
	bind_text(st, 14, p->ends_on);
	bind_text(st, 15, p->status);
	bind_text(st, 16, p->status_reason);
	bind_text(st, 17, today);
	if (old)
		db_bind_int64(st, 18, old);
	return finish_upsert(st, old, id, created);
}

enum mc_err mc_store_permit_get(struct mc_store *s, int64_t id, mc_store_permit_fn fn, void *ctx)
{
	struct visit v = {.fn.permit = fn, .ctx = ctx};

	return walk_int(s, ST_PERMIT_GET, id, permit_row, &v, true);
}

enum mc_err mc_store_permit_each(struct mc_store *s, int64_t ward_id, mc_store_permit_fn fn,
				 void *ctx)
{
	struct visit v = {.fn.permit = fn, .ctx = ctx};

	return walk_int(s, ST_PERMIT_EACH, ward_id, permit_row, &v, false);
}

enum mc_err mc_store_permit_page(struct mc_store *s, int64_t ward_id, long long limit,
				 long long offset, mc_store_permit_fn fn, void *ctx)
{
	struct visit v = {.fn.permit = fn, .ctx = ctx};

	return walk_page(s, ST_PERMIT_PAGE, ward_id, limit, offset, permit_row, &v);
}

enum mc_err mc_store_permit_count(struct mc_store *s, int64_t ward_id, long long *n)
{
	return count_int(s, ST_PERMIT_COUNT, ward_id, n);
}

static enum mc_err insp_write(struct mc_store *s, const struct mc_inspection *i, int64_t *id,
			      bool *created)
{
	struct db_stmt *st;
	int64_t old;
	enum mc_err err;

	if (!i->on_date || !i->inspector)
		return MC_ERR_INVALID;
	PREPARE(s, ST_INSP_ID, st);
	db_bind_int64(st, 1, i->permit_id);
	bind_text(st, 2, i->on_date);
	bind_text(st, 3, i->inspector);
	if ((err = find_old(st, &old)) != MC_OK)
		return err;
	if ((err = remember(s, E_INSP, old)) != MC_OK)
		return err;
	PREPARE(s, old ? ST_INSP_UPDATE : ST_INSP_INSERT, st);
	db_bind_int64(st, 1, i->permit_id);
	bind_text(st, 2, i->on_date);
	bind_text(st, 3, i->inspector);
	bind_text(st, 4, i->result);
	bind_text(st, 5, i->note);
	if (old)
		db_bind_int64(st, 6, old);
	return finish_upsert(st, old, id, created);
}

static enum mc_err insp_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_inspection i = {
	    .id = db_col_int64(st, 0),
	    .permit_id = db_col_int64(st, 1),
	    .on_date = col_text(st, 2),
	    .inspector = col_text(st, 3),
	    .result = col_text(st, 4),
	    .note = col_text(st, 5),
	};
	return v->fn.insp(v->ctx, &i);
}

enum mc_err mc_store_permit_inspections(struct mc_store *s, int64_t permit_id,
					mc_store_inspection_fn fn, void *ctx)
{
	struct visit v = {.fn.insp = fn, .ctx = ctx};

	return walk_int(s, ST_INSP_EACH, permit_id, insp_row, &v, false);
}

enum mc_err mc_store_permit_upsert(struct mc_store *s, const struct mc_permit *p, int64_t *id,
				   bool *created)
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	err = permit_write(s, p, &rowid, created);
	if (id)
		*id = rowid;
	return end_write(s, err, owned, E_PERMIT, rowid, NULL);
}

enum mc_err mc_store_inspection_upsert(struct mc_store *s, const struct mc_inspection *i,
				       int64_t *id, bool *created)
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	err = insp_write(s, i, &rowid, created);
	if (id)
		*id = rowid;
	return end_write(s, err, owned, E_INSP, rowid, NULL);
}

static enum mc_err status_write(struct mc_store *s, int64_t id, const char *status,
				const char *reason)
{
	char today[MC_DATE_LEN + 1], from[32];
	struct db_stmt *st;
	enum mc_err err;

	if ((err = read_status(s, id, from)) != MC_OK)
		return err;
	if (!mc_permit_can_move(from, status) ||
	    (mc_permit_needs_reason(status) && (!reason || !*reason)))
		return MC_ERR_INVALID;
	if ((err = remember(s, E_PERMIT, id)) != MC_OK)
		return err;
	PREPARE(s, ST_PERMIT_SET_STATUS, st);
	mc_date_today(today);
	db_bind_int64(st, 1, id);
	bind_text(st, 2, status);
	bind_text(st, 3, mc_permit_needs_reason(status) ? reason : NULL);
	bind_text(st, 4, today);
	return exec_stmt(st);
}

enum mc_err mc_store_permit_set_status(struct mc_store *s, int64_t permit_id, const char *status,
				       const char *reason)
{
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = status_write(s, permit_id, status, reason);
	return end_write(s, err, owned, E_PERMIT, permit_id, "status");
}
