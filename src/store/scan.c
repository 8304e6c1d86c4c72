/* Scan statistics (not audited: counts, not records). */
#include "private.h"

enum mc_err mc_store_scan_add(struct mc_store *s, int64_t code_id, const char *day, long long n)
{
	struct db_stmt *st;

	PREPARE(s, ST_SCAN_ADD, st);
	db_bind_int64(st, 1, code_id);
	bind_text(st, 2, day);
	db_bind_int64(st, 3, n);
	return exec_stmt(st);
}

enum mc_err mc_store_scan_miss_add(struct mc_store *s, const char *day, const char *reason,
				   long long n)
{
	struct db_stmt *st;

	PREPARE(s, ST_SCAN_MISS_ADD, st);
	bind_text(st, 1, day);
	bind_text(st, 2, reason);
	db_bind_int64(st, 3, n);
	return exec_stmt(st);
}

static enum mc_err scan_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_scan_count c = {
	    .token = col_text(st, 0),
	    .kind = col_text(st, 1),
	    .title = col_text(st, 2),
	    .target_id = db_col_int64(st, 3),
	    .count = db_col_int64(st, 4),
	};
	return v->fn.scan(v->ctx, &c);
}

enum mc_err mc_store_scan_top(struct mc_store *s, int64_t ward_id, const char *since,
			      const char *kind, int limit, mc_store_scan_fn fn, void *ctx)
{
	struct visit v = {.fn.scan = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_SCAN_TOP, st);
	db_bind_int64(st, 1, ward_id);
	bind_text(st, 2, since);
	bind_text(st, 3, kind);
	db_bind_int64(st, 4, limit);
	return walk(st, scan_row, &v, false);
}

enum mc_err mc_store_scan_miss_count(struct mc_store *s, const char *since, const char *reason,
				     long long *n)
{
	struct db_stmt *st;
	int64_t count = 0;
	enum mc_err err;

	PREPARE(s, ST_SCAN_MISS_COUNT, st);
	bind_text(st, 1, since);
	bind_text(st, 2, reason);
	err = query_id(st, &count);
	*n = count;
	return err;
}

enum mc_err mc_store_scan_total(struct mc_store *s, int64_t code_id, long long *n)
{
	return count_int(s, ST_SCAN_TOTAL, code_id, n);
}
