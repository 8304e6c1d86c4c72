/* The log's signed checkpoints and the witnesses' cosignatures of them (store/log.h). Not
 * audited: an audit entry is a leaf, and signing a leaf for each checkpoint would grow the
 * tree every time it is signed. */
#include "private.h"

#include <string.h>
#include <time.h>

#include "motcham/store/log.h"

/* Now, in UTC, as the other timestamps of the database are written. */
static void stamp(char out[21])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* True when the stored note of size was signed over exactly text. */
static enum mc_err same_text(struct mc_store *s, int64_t size, const char *text, bool *same,
			     bool *found)
{
	struct db_stmt *st;
	const char *note;
	size_t n = strlen(text);
	bool row;
	enum mc_err err;

	PREPARE(s, ST_CKPT_NOTE, st);
	db_bind_int64(st, 1, size);
	err = db_step(st, &row);
	*found = err == MC_OK && row;
	note = *found ? db_col_text(st, 0) : NULL;
	*same = note && !strncmp(note, text, n) && note[n] == '\n';
	done(st);
	return err;
}

enum mc_err mc_store_log_checkpoint_put(struct mc_store *s, int64_t size, const char *root,
					const char *text, const char *note)
{
	struct db_stmt *st;
	char now[21];
	bool owned, same = false, found = false;
	enum mc_err err;

	if (size < 0 || !root || !text || !note || strncmp(note, text, strlen(text)))
		return MC_ERR_INVALID;
	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = same_text(s, size, text, &same, &found);
	if (err == MC_OK && found && !same && (err = stmt(s, ST_COSIG_CLEAR, &st)) == MC_OK) {
		db_bind_int64(st, 1, size);
		err = exec_stmt(st);
	}
	if (err == MC_OK && (err = stmt(s, ST_CKPT_PUT, &st)) == MC_OK) {
		db_bind_int64(st, 1, size);
		bind_text(st, 2, root);
		bind_text(st, 3, note);
		stamp(now);
		bind_text(st, 4, now);
		err = exec_stmt(st);
	}
	return tx_end(s, err, owned);
}

static enum mc_err checkpoint_row(struct db_stmt *st, const struct visit *v)
{
	const struct mc_store_checkpoint c = {
	    .size = db_col_int64(st, 0),
	    .root = col_text(st, 1),
	    .note = col_text(st, 2),
	    .signed_at = col_text(st, 3),
	};
	return v->fn.checkpoint(v->ctx, &c);
}

enum mc_err mc_store_log_checkpoint(struct mc_store *s, int64_t size, mc_store_checkpoint_fn fn,
				    void *ctx)
{
	struct visit v = {.fn.checkpoint = fn, .ctx = ctx};

	if (size < 0)
		return walk_int(s, ST_CKPT_LATEST, 0, checkpoint_row, &v, true);
	return walk_int(s, ST_CKPT_GET, size, checkpoint_row, &v, true);
}

enum mc_err mc_store_log_cosignature_put(struct mc_store *s, const struct mc_store_cosignature *c)
{
	struct db_stmt *st;
	int64_t size;
	char now[21];
	enum mc_err err;

	if (!c->name || !c->key_id || !c->line)
		return MC_ERR_INVALID;
	PREPARE(s, ST_CKPT_SIZE, st);
	db_bind_int64(st, 1, c->size);
	if ((err = query_id(st, &size)) != MC_OK)
		return err;
	PREPARE(s, ST_COSIG_PUT, st);
	db_bind_int64(st, 1, c->size);
	bind_text(st, 2, c->name);
	bind_text(st, 3, c->key_id);
	db_bind_int64(st, 4, c->cosigned_at);
	bind_text(st, 5, c->line);
	stamp(now);
	bind_text(st, 6, now);
	return exec_stmt(st);
}

static enum mc_err cosignature_row(struct db_stmt *st, const struct visit *v)
{
	const struct mc_store_cosignature c = {
	    .size = db_col_int64(st, 0),
	    .name = col_text(st, 1),
	    .key_id = col_text(st, 2),
	    .cosigned_at = db_col_int64(st, 3),
	    .line = col_text(st, 4),
	    .received_at = col_text(st, 5),
	};
	return v->fn.cosignature(v->ctx, &c);
}

enum mc_err mc_store_log_cosignature_each(struct mc_store *s, int64_t size,
					  mc_store_cosignature_fn fn, void *ctx)
{
	struct visit v = {.fn.cosignature = fn, .ctx = ctx};

	return walk_int(s, ST_COSIG_EACH, size, cosignature_row, &v, false);
}
