/* Failed-attempt throttling: a count of failures per key, and locks that grow. */
#include "private.h"

/* A key whose last lock ended a day ago starts its locks again at the rule's shortest. */
#define THROTTLE_FORGET 86400

struct throttle_row {
	int failures;
	long long first_at, locked_until;
	int locks;
};

enum mc_err mc_store_throttle_get(struct mc_store *s, const char *key, long long now, int *failures,
				  long long *locked_until)
{
	struct db_stmt *st;
	enum mc_err err;
	bool row;

	*failures = 0;
	*locked_until = 0;
	PREPARE(s, ST_THROTTLE_GET, st);
	bind_text(st, 1, key);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, 3600); /* failures older than an hour are forgotten */
	if ((err = db_step(st, &row)) == MC_OK && row) {
		*failures = db_col_int(st, 0);
		*locked_until = db_col_int64(st, 1);
	}
	done(st);
	return err;
}

static enum mc_err read_row(struct mc_store *s, const char *key, struct throttle_row *r)
{
	struct db_stmt *st;
	enum mc_err err;
	bool row;

	*r = (struct throttle_row){0};
	PREPARE(s, ST_THROTTLE_ROW, st);
	bind_text(st, 1, key);
	if ((err = db_step(st, &row)) == MC_OK && row)
		*r = (struct throttle_row){.failures = db_col_int(st, 0),
					   .first_at = db_col_int64(st, 1),
					   .locked_until = db_col_int64(st, 2),
					   .locks = db_col_int(st, 3)};
	done(st);
	return err;
}

/* One more failure at now, by the rule: a lock lasts rule->lock doubled once for each lock
 * before it, at most rule->lock_max, and the count starts again after it. */
static bool count_failure(struct throttle_row *r, long long now,
			  const struct mc_throttle_rule *rule)
{
	long long lock = rule->lock;

	if (r->locked_until && r->locked_until < now - THROTTLE_FORGET)
		r->locks = 0;
	if (r->failures == 0 || r->first_at <= now - rule->window) {
		r->failures = 0;
		r->first_at = now;
	}
	if (++r->failures < rule->max)
		return false;
	for (int i = 0; i < r->locks && lock < rule->lock_max; i++)
		lock *= 2;
	r->locked_until = now + (lock < rule->lock_max ? lock : rule->lock_max);
	r->locks++;
	r->failures = 0;
	r->first_at = now;
	return true;
}

static enum mc_err fail_write(struct mc_store *s, const char *key, long long now,
			      const struct mc_throttle_rule *rule, struct mc_throttle *out)
{
	struct throttle_row r;
	struct db_stmt *st;
	bool locked;
	enum mc_err err;

	if ((err = read_row(s, key, &r)) != MC_OK)
		return err;
	locked = count_failure(&r, now, rule);
	PREPARE(s, ST_THROTTLE_PUT, st);
	bind_text(st, 1, key);
	db_bind_int64(st, 2, r.failures);
	db_bind_int64(st, 3, r.first_at);
	db_bind_int64(st, 4, r.locked_until);
	db_bind_int64(st, 5, r.locks);
	if ((err = exec_stmt(st)) == MC_OK && out)
		*out = (struct mc_throttle){.failures = r.failures,
					    .locks = r.locks,
					    .locked_until = r.locked_until,
					    .locked_now = locked};
	return err;
}

enum mc_err mc_store_throttle_fail(struct mc_store *s, const char *key, long long now,
				   const struct mc_throttle_rule *rule, struct mc_throttle *out)
{
	bool owned;
	enum mc_err err;

	/* Read and written in one transaction: two nodes on one database count both. */
	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = fail_write(s, key, now, rule, out);
	return tx_end(s, err, owned);
}

enum mc_err mc_store_throttle_clear(struct mc_store *s, const char *key)
{
	struct db_stmt *st;

	PREPARE(s, ST_THROTTLE_CLEAR, st);
	bind_text(st, 1, key);
	return exec_stmt(st);
}
