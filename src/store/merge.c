/* Merging one ward into another. */
#include "private.h"

#include <stdlib.h>

/* Moves the rows listed by sel (ids, bound to from and into) to ward into with upd, one
 * audited "merge" entry each. */
static enum mc_err move_rows(struct mc_store *s, enum stmt_id sel, enum stmt_id upd, enum entity e,
			     int64_t from, int64_t into, long *moved)
{
	int64_t *ids = NULL, *grown;
	size_t n = 0, cap = 0;
	struct db_stmt *st;
	enum mc_err err;
	bool row;

	PREPARE(s, sel, st);
	db_bind_int64(st, 1, from);
	db_bind_int64(st, 2, into);
	while ((err = db_step(st, &row)) == MC_OK && row) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(grown = realloc(ids, cap * sizeof(*ids)))) {
				err = MC_ERR_NOMEM;
				break;
			}
			ids = grown;
		}
		ids[n++] = db_col_int64(st, 0);
	}
	done(st);
	for (size_t i = 0; err == MC_OK && i < n; i++) {
		if ((err = remember(s, e, ids[i])) != MC_OK)
			break;
		if ((err = stmt(s, upd, &st)) != MC_OK)
			break;
		db_bind_int64(st, 1, ids[i]);
		db_bind_int64(st, 2, into);
		if ((err = exec_stmt(st)) == MC_OK)
			err = audit(s, e, ids[i], "merge", &s->before);
	}
	if (err == MC_OK && moved)
		*moved = (long)n;
	free(ids);
	return err;
}

struct ward_state {
	int64_t id;
	int64_t merged_into;
};

static enum mc_err read_ward_state(void *ctx, const struct mc_ward *w)
{
	struct ward_state *ws = ctx;

	ws->id = w->id;
	ws->merged_into = w->merged_into;
	return MC_OK;
}

static enum mc_err merge_write(struct mc_store *s, const char *from_slug, const char *into_slug,
			       struct mc_merge_stats *ms)
{
	struct ward_state from = {0}, into = {0};
	struct db_stmt *st;
	enum mc_err err;

	if ((err = mc_store_ward_by_slug(s, from_slug, read_ward_state, &from)) != MC_OK ||
	    (err = mc_store_ward_by_slug(s, into_slug, read_ward_state, &into)) != MC_OK)
		return err;
	if (from.id == into.id || into.merged_into)
		return MC_ERR_INVALID;
	if (from.merged_into)
		return MC_ERR_GONE;
	if ((err = move_rows(s, ST_MERGE_PERMITS, ST_MOVE_PERMIT, E_PERMIT, from.id, into.id,
			     &ms->permits)) != MC_OK ||
	    (err = move_rows(s, ST_MERGE_PROCS, ST_MOVE_PROC, E_PROC, from.id, into.id,
			     &ms->procedures)) != MC_OK ||
	    (err = move_rows(s, ST_MERGE_ANNS, ST_MOVE_ANN, E_ANN, from.id, into.id,
			     &ms->announcements)) != MC_OK ||
	    (err = move_rows(s, ST_MERGE_USERS, ST_MOVE_USER, E_USER, from.id, into.id,
			     &ms->users)) != MC_OK)
		return err;
	if ((err = remember(s, E_WARD, from.id)) != MC_OK)
		return err;
	PREPARE(s, ST_WARD_MERGE, st);
	db_bind_int64(st, 1, from.id);
	db_bind_int64(st, 2, into.id);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	ms->from_id = from.id;
	return MC_OK;
}

enum mc_err mc_store_ward_merge(struct mc_store *s, const char *from_slug, const char *into_slug,
				struct mc_merge_stats *stats)
{
	struct mc_merge_stats ms = {0};
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = merge_write(s, from_slug, into_slug, &ms);
	if (stats)
		*stats = ms;
	return end_write(s, err, owned, E_WARD, ms.from_id, "merge");
}
