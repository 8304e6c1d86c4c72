/* Staff users. */
#include "private.h"

enum mc_err user_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_user u = {
	    .id = db_col_int64(st, 0),
	    .name = col_text(st, 1),
	    .role = col_text(st, 2),
	    .ward_id = db_col_int64(st, 3),
	    .pw_hash = col_text(st, 4),
	    .disabled_at = col_text(st, 5),
	    .created_at = col_text(st, 6),
	};
	return v->fn.user(v->ctx, &u);
}

static void bind_user(struct db_stmt *st, const void *rec)
{
	const struct mc_user *u = rec;

	bind_text(st, 1, u->name);
	bind_text(st, 2, u->role);
	if (u->ward_id)
		db_bind_int64(st, 3, u->ward_id);
	bind_text(st, 4, u->pw_hash);
}

enum mc_err mc_store_user_add(struct mc_store *s, const struct mc_user *u, int64_t *id)
{
	if (!u->name || !u->role || !u->pw_hash)
		return MC_ERR_INVALID;
	return audited_insert(s, ST_USER_INSERT, bind_user, u, 5, E_USER, "create", id);
}

enum mc_err mc_store_user_by_name(struct mc_store *s, const char *name, mc_store_user_fn fn,
				  void *ctx)
{
	struct visit v = {.fn.user = fn, .ctx = ctx};

	return walk_text(s, ST_USER_BY_NAME, name, user_row, &v, true);
}

enum mc_err mc_store_user_by_id(struct mc_store *s, int64_t id, mc_store_user_fn fn, void *ctx)
{
	struct visit v = {.fn.user = fn, .ctx = ctx};

	return walk_int(s, ST_USER_BY_ID, id, user_row, &v, true);
}

enum mc_err mc_store_user_each(struct mc_store *s, mc_store_user_fn fn, void *ctx)
{
	struct visit v = {.fn.user = fn, .ctx = ctx};

	return walk_int(s, ST_USER_EACH, 0, user_row, &v, false);
}

struct user_state {
	int64_t id;
	bool disabled;
};

static enum mc_err read_user_state(void *ctx, const struct mc_user *u)
{
	struct user_state *us = ctx;

	us->id = u->id;
	us->disabled = u->disabled_at != NULL;
	return MC_OK;
}

static enum mc_err disable_write(struct mc_store *s, const char *name, int64_t *id)
{
	struct user_state us = {0};
	char now[UTC_LEN + 1];
	struct db_stmt *st;
	enum mc_err err;

	utc_now(now);
	if ((err = mc_store_user_by_name(s, name, read_user_state, &us)) != MC_OK)
		return err;
	if (us.disabled)
		return MC_ERR_GONE;
	*id = us.id;
	if ((err = remember(s, E_USER, us.id)) != MC_OK)
		return err;
	PREPARE(s, ST_USER_DISABLE, st);
	db_bind_int64(st, 1, us.id);
	bind_text(st, 2, now);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	PREPARE(s, ST_SESSION_END_USER, st);
	db_bind_int64(st, 1, us.id);
	return exec_stmt(st);
}

enum mc_err mc_store_user_disable(struct mc_store *s, const char *name)
{
	int64_t id = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = disable_write(s, name, &id);
	return end_write(s, err, owned, E_USER, id, "disable");
}

static enum mc_err password_write(struct mc_store *s, int64_t id, const char *pw_hash,
				  const char *keep_session)
{
	struct db_stmt *st;
	enum mc_err err;

	if ((err = remember_known(s, E_USER, id, id)) != MC_OK)
		return err;
	PREPARE(s, ST_USER_SET_PASSWORD, st);
	db_bind_int64(st, 1, id);
	bind_text(st, 2, pw_hash);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	PREPARE(s, ST_SESSION_END_OTHERS, st);
	db_bind_int64(st, 1, id);
	bind_text(st, 2, keep_session ? keep_session : "");
	return exec_stmt(st);
}

enum mc_err mc_store_user_set_password(struct mc_store *s, int64_t id, const char *pw_hash,
				       const char *keep_session)
{
	bool owned;
	enum mc_err err;

	if (!pw_hash || !*pw_hash)
		return MC_ERR_INVALID;
	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = password_write(s, id, pw_hash, keep_session);
	return end_write(s, err, owned, E_USER, id, "password");
}
