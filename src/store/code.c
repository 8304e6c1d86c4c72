/* Codes: the tokens printed as QR codes, each naming one record. */
#include "private.h"

#include <stdio.h>
#include <string.h>

static enum mc_err code_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_code c = {
	    .id = db_col_int64(st, 0),
	    .token = col_text(st, 1),
	    .target_kind = col_text(st, 2),
	    .target_id = db_col_int64(st, 3),
	    .created_at = col_text(st, 4),
	    .revoked_at = col_text(st, 5),
	    .replaced_by = col_text(st, 6),
	    .title = col_text(st, 7),
	    .ward_id = db_col_int64(st, 8),
	};
	return v->fn.code(v->ctx, &c);
}

static enum mc_err target_exists(struct mc_store *s, const char *kind, int64_t target_id)
{
	struct db_stmt *st;
	int64_t id = 0;
	enum mc_err err;

	PREPARE(s, ST_TARGET_EXISTS, st);
	bind_text(st, 1, kind);
	db_bind_int64(st, 2, target_id);
	err = query_id(st, &id);
	return err == MC_OK && id == 0 ? MC_ERR_NOTFOUND : err;
}

/* Inserts a code for the target: with the given token (MC_ERR_EXISTS when it is taken), or
 * (given NULL) with a fresh one written into token. */
static enum mc_err create_write(struct mc_store *s, const char *kind, int64_t target_id,
				const char *given, char token[MC_TOKEN_LEN + 1], int64_t *rowid)
{
	char now[UTC_LEN + 1];
	struct db_stmt *st;
	enum mc_err err;

	mc_buf_reset(&s->before);
	if ((err = target_exists(s, kind, target_id)) != MC_OK ||
	    (err = stmt(s, ST_CODE_INSERT, &st)) != MC_OK)
		return err;
	utc_now(now);
	/* 40 random bits make a collision rare; a few retries make it harmless. A taken token
	 * inserts no row (NOTFOUND) rather than failing, which would end the transaction. */
	for (int tries = 0; tries < (given ? 1 : 8); tries++) {
		if (given)
			snprintf(token, MC_TOKEN_LEN + 1, "%s", given);
		else
			mc_token_make(token);
		bind_text(st, 1, token);
		bind_text(st, 2, kind);
		db_bind_int64(st, 3, target_id);
		bind_text(st, 4, now);
		if ((err = query_id(st, rowid)) != MC_ERR_NOTFOUND)
			break;
		err = MC_ERR_EXISTS;
	}
	return err;
}

enum mc_err mc_store_code_create(struct mc_store *s, const char *kind, int64_t target_id,
				 char token[MC_TOKEN_LEN + 1])
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = create_write(s, kind, target_id, NULL, token, &rowid);
	return end_write(s, err, owned, E_CODE, rowid, "create");
}

enum mc_err mc_store_code_create_as(struct mc_store *s, const char *kind, int64_t target_id,
				    const char *token)
{
	char copy[MC_TOKEN_LEN + 1];
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if (!token || strlen(token) != MC_TOKEN_LEN)
		return MC_ERR_INVALID;
	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = create_write(s, kind, target_id, token, copy, &rowid);
	return end_write(s, err, owned, E_CODE, rowid, "create");
}

struct token_copy {
	char *token;
};

static enum mc_err copy_token(void *ctx, const struct mc_code *c)
{
	struct token_copy *t = ctx;

	snprintf(t->token, MC_TOKEN_LEN + 1, "%s", c->token);
	return MC_OK;
}

enum mc_err mc_store_code_ensure(struct mc_store *s, const char *kind, int64_t target_id,
				 char token[MC_TOKEN_LEN + 1], bool *created)
{
	struct token_copy t = {token};
	enum mc_err err;

	err = mc_store_code_for_target(s, kind, target_id, copy_token, &t);
	if (created)
		*created = false;
	if (err != MC_ERR_NOTFOUND)
		return err;
	if ((err = mc_store_code_create(s, kind, target_id, token)) == MC_OK && created)
		*created = true;
	return err;
}

enum mc_err mc_store_code_get(struct mc_store *s, const char *token, mc_store_code_fn fn, void *ctx)
{
	struct visit v = {.fn.code = fn, .ctx = ctx};

	return walk_text(s, ST_CODE_GET, token, code_row, &v, true);
}

enum mc_err mc_store_code_for_target(struct mc_store *s, const char *kind, int64_t target_id,
				     mc_store_code_fn fn, void *ctx)
{
	struct visit v = {.fn.code = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_CODE_FOR_TARGET, st);
	bind_text(st, 1, kind);
	db_bind_int64(st, 2, target_id);
	return walk(st, code_row, &v, true);
}

enum mc_err mc_store_code_history(struct mc_store *s, const char *kind, int64_t target_id,
				  mc_store_code_fn fn, void *ctx)
{
	struct visit v = {.fn.code = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_CODE_HISTORY, st);
	bind_text(st, 1, kind);
	db_bind_int64(st, 2, target_id);
	return walk(st, code_row, &v, false);
}

enum mc_err mc_store_code_each(struct mc_store *s, const char *kind, mc_store_code_fn fn, void *ctx)
{
	struct visit v = {.fn.code = fn, .ctx = ctx};

	return walk_text(s, kind ? ST_CODE_EACH_KIND : ST_CODE_EACH, kind, code_row, &v, false);
}

struct code_state {
	int64_t id;
	bool revoked;
};

static enum mc_err read_state(void *ctx, const struct mc_code *c)
{
	struct code_state *cs = ctx;

	cs->id = c->id;
	cs->revoked = c->revoked_at != NULL;
	return MC_OK;
}

static enum mc_err revoke_write(struct mc_store *s, const char *token, const char *replacement,
				int64_t *id)
{
	struct code_state old = {0}, repl = {0};
	char now[UTC_LEN + 1];
	struct db_stmt *st;
	enum mc_err err;

	if ((err = mc_store_code_get(s, token, read_state, &old)) != MC_OK)
		return err;
	if (old.revoked)
		return MC_ERR_GONE;
	if (replacement) {
		if ((err = mc_store_code_get(s, replacement, read_state, &repl)) != MC_OK)
			return err;
		if (repl.revoked || repl.id == old.id)
			return MC_ERR_INVALID;
	}
	if ((err = remember(s, E_CODE, old.id)) != MC_OK)
		return err;
	PREPARE(s, ST_CODE_REVOKE, st);
	db_bind_int64(st, 1, old.id);
	if (replacement)
		db_bind_int64(st, 2, repl.id);
	utc_now(now);
	bind_text(st, 3, now);
	*id = old.id;
	return exec_stmt(st);
}

enum mc_err mc_store_code_revoke(struct mc_store *s, const char *token, const char *replacement)
{
	int64_t id = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = revoke_write(s, token, replacement, &id);
	return end_write(s, err, owned, E_CODE, id, "revoke");
}

struct revoked_at {
	int64_t id;
	char at[UTC_LEN + 1]; /* "" while in use */
};

static enum mc_err read_revoked(void *ctx, const struct mc_code *c)
{
	struct revoked_at *r = ctx;

	r->id = c->id;
	snprintf(r->at, sizeof(r->at), "%s", c->revoked_at ? c->revoked_at : "");
	return MC_OK;
}

static enum mc_err restore_write(struct mc_store *s, const char *token, const char *since,
				 int64_t *id)
{
	struct revoked_at r = {0};
	struct db_stmt *st;
	enum mc_err err;

	if ((err = mc_store_code_get(s, token, read_revoked, &r)) != MC_OK)
		return err;
	if (!r.at[0])
		return MC_ERR_INVALID;
	/* Times are stored as UTC text of one width: they compare as strings. */
	if (strcmp(r.at, since) < 0)
		return MC_ERR_GONE;
	if ((err = remember(s, E_CODE, r.id)) != MC_OK)
		return err;
	PREPARE(s, ST_CODE_RESTORE, st);
	db_bind_int64(st, 1, r.id);
	*id = r.id;
	return exec_stmt(st);
}

enum mc_err mc_store_code_restore(struct mc_store *s, const char *token, const char *since)
{
	int64_t id = 0;
	bool owned;
	enum mc_err err;

	if (!since)
		return MC_ERR_INVALID;
	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = restore_write(s, token, since, &id);
	return end_write(s, err, owned, E_CODE, id, "restore");
}
