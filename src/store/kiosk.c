/* The lobby kiosk's records: featured procedures in order, added pages with their days,
 * urgent notices; and the screens' heartbeats, which are not records (never audited). */
#include "private.h"

#include <string.h>

#include "motcham/base/date.h"

static bool seconds_ok(int seconds)
{
	return seconds >= MC_KIOSK_SECONDS_MIN && seconds <= MC_KIOSK_SECONDS_MAX;
}

/* ---- featured procedures ---- */

static enum mc_err feature_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_kiosk_feature f = {
	    .id = db_col_int64(st, 0),
	    .ward_id = db_col_int64(st, 1),
	    .procedure_id = db_col_int64(st, 2),
	    .pos = db_col_int(st, 3),
	    .seconds = db_col_int(st, 4),
	    .title = col_text(st, 5),
	    .field = col_text(st, 6),
	    .duration = col_text(st, 7),
	    .fees = col_text(st, 8),
	    .place = col_text(st, 9),
	    .retired_at = col_text(st, 10),
	};
	return v->fn.feature(v->ctx, &f);
}

enum mc_err mc_store_kiosk_feature_each(struct mc_store *s, int64_t ward_id, bool with_retired,
					mc_store_kiosk_feature_fn fn, void *ctx)
{
	struct visit v = {.fn.feature = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_KIOSK_FEATURE_EACH, st);
	db_bind_int64(st, 1, ward_id);
	db_bind_int64(st, 2, with_retired ? 1 : 0);
	return walk(st, feature_row, &v, false);
}

enum mc_err mc_store_kiosk_feature_get(struct mc_store *s, int64_t id, mc_store_kiosk_feature_fn fn,
				       void *ctx)
{
	struct visit v = {.fn.feature = fn, .ctx = ctx};

	return walk_int(s, ST_KIOSK_FEATURE_GET, id, feature_row, &v, true);
}

struct feature_new {
	int64_t ward_id, procedure_id;
	int seconds;
};

static void bind_feature(struct db_stmt *st, const void *rec)
{
	const struct feature_new *f = rec;

	db_bind_int64(st, 1, f->ward_id);
	db_bind_int64(st, 2, f->procedure_id);
	db_bind_int64(st, 3, f->seconds);
}

enum mc_err mc_store_kiosk_feature_add(struct mc_store *s, int64_t ward_id, int64_t procedure_id,
				       int seconds, int64_t *id)
{
	struct feature_new f = {ward_id, procedure_id, seconds};

	if (!seconds_ok(seconds))
		return MC_ERR_INVALID;
	/* The insert selects the procedure in use in that ward: none, no row, MC_ERR_NOTFOUND. */
	return audited_insert(s, ST_KIOSK_FEATURE_INSERT, bind_feature, &f, 0, E_KIOSK_FEATURE,
			      "create", id);
}

struct place {
	int64_t id, ward_id;
	int pos;
	bool found;
};

static enum mc_err place_cb(void *ctx, const struct mc_kiosk_feature *f)
{
	struct place *p = ctx;

	*p = (struct place){f->id, f->ward_id, f->pos, true};
	return MC_OK;
}

/* The neighbour of here before it (up) or after it, in the list's order; found false at the
 * end of the list. */
static enum mc_err neighbour(struct mc_store *s, const struct place *here, bool up,
			     struct place *out)
{
	struct db_stmt *st;
	bool row;
	enum mc_err err;

	out->found = false;
	PREPARE(s, up ? ST_KIOSK_FEATURE_PREV : ST_KIOSK_FEATURE_NEXT, st);
	db_bind_int64(st, 1, here->ward_id);
	db_bind_int64(st, 2, here->pos);
	db_bind_int64(st, 3, here->id);
	if ((err = db_step(st, &row)) == MC_OK && row)
		*out = (struct place){db_col_int64(st, 0), here->ward_id, db_col_int(st, 1), true};
	done(st);
	return err;
}

/* One audited write: feature id takes position pos. */
static enum mc_err set_pos(struct mc_store *s, int64_t id, int pos)
{
	struct db_stmt *st;
	enum mc_err err;

	if ((err = remember(s, E_KIOSK_FEATURE, id)) != MC_OK)
		return err;
	if ((err = stmt(s, ST_KIOSK_FEATURE_SET_POS, &st)) == MC_OK) {
		db_bind_int64(st, 1, id);
		db_bind_int64(st, 2, pos);
		err = exec_stmt(st);
	}
	if (err == MC_OK)
		err = audit(s, E_KIOSK_FEATURE, id, "move", &s->before);
	mc_buf_reset(&s->before);
	return err;
}

enum mc_err mc_store_kiosk_feature_move(struct mc_store *s, int64_t id, bool up)
{
	struct place here = {0}, other;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = mc_store_kiosk_feature_get(s, id, place_cb, &here);
	if (err == MC_OK)
		err = neighbour(s, &here, up, &other);
	/* Equal positions (never made here, but harmless) still swap places: the one moved
	 * goes one step past the other. */
	if (err == MC_OK && other.found && other.pos == here.pos)
		other.pos += up ? -1 : 1;
	if (err == MC_OK && other.found && (err = set_pos(s, here.id, other.pos)) == MC_OK)
		err = set_pos(s, other.id, here.pos);
	return tx_end(s, err, owned);
}

enum mc_err mc_store_kiosk_feature_remove(struct mc_store *s, int64_t id)
{
	struct db_stmt *st;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	if ((err = remember(s, E_KIOSK_FEATURE, id)) == MC_OK && !s->before.len)
		err = MC_ERR_NOTFOUND;
	if (err == MC_OK && (err = stmt(s, ST_KIOSK_FEATURE_DELETE, &st)) == MC_OK) {
		db_bind_int64(st, 1, id);
		err = exec_stmt(st);
	}
	return end_write(s, err, owned, E_KIOSK_FEATURE, id, "delete");
}

/* ---- added pages ---- */

static enum mc_err slide_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_kiosk_slide sl = {
	    .id = db_col_int64(st, 0),
	    .ward_id = db_col_int64(st, 1),
	    .title = col_text(st, 2),
	    .body = col_text(st, 3),
	    .shows_from = col_text(st, 4),
	    .shows_until = col_text(st, 5),
	    .seconds = db_col_int(st, 6),
	    .updated_at = col_text(st, 7),
	    .retired_at = col_text(st, 8),
	};
	return v->fn.slide(v->ctx, &sl);
}

static bool slide_ok(const struct mc_kiosk_slide *sl)
{
	return sl->title && sl->body && sl->shows_from && mc_date_valid(sl->shows_from) &&
	       (!sl->shows_until ||
		(mc_date_valid(sl->shows_until) && strcmp(sl->shows_from, sl->shows_until) <= 0)) &&
	       seconds_ok(sl->seconds);
}

enum mc_err mc_store_kiosk_slide_upsert(struct mc_store *s, const struct mc_kiosk_slide *sl,
					int64_t *id)
{
	char today[MC_DATE_LEN + 1];
	struct db_stmt *st;
	int64_t rowid = sl->id;
	bool owned;
	enum mc_err err;

	if (!slide_ok(sl))
		return MC_ERR_INVALID;
	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	if (sl->id && (err = remember_known(s, E_KIOSK_SLIDE, sl->id, sl->id)) != MC_OK)
		goto out;
	if ((err = stmt(s, sl->id ? ST_KIOSK_SLIDE_UPDATE : ST_KIOSK_SLIDE_INSERT, &st)) != MC_OK)
		goto out;
	mc_date_today(today);
	if (sl->id)
		db_bind_int64(st, 1, sl->id);
	else
		db_bind_int64(st, 1, sl->ward_id);
	bind_text(st, 2, sl->title);
	bind_text(st, 3, sl->body);
	bind_text(st, 4, sl->shows_from);
	bind_text(st, 5, sl->shows_until);
	db_bind_int64(st, 6, sl->seconds);
	bind_text(st, 7, today);
	err = sl->id ? exec_stmt(st) : query_id(st, &rowid);
out:
	if (id)
		*id = err == MC_OK ? rowid : 0;
	return end_write(s, err, owned, E_KIOSK_SLIDE, rowid, NULL);
}

enum mc_err mc_store_kiosk_slide_get(struct mc_store *s, int64_t id, mc_store_kiosk_slide_fn fn,
				     void *ctx)
{
	struct visit v = {.fn.slide = fn, .ctx = ctx};

	return walk_int(s, ST_KIOSK_SLIDE_GET, id, slide_row, &v, true);
}

enum mc_err mc_store_kiosk_slide_each(struct mc_store *s, int64_t ward_id,
				      mc_store_kiosk_slide_fn fn, void *ctx)
{
	struct visit v = {.fn.slide = fn, .ctx = ctx};

	return walk_int(s, ST_KIOSK_SLIDE_EACH, ward_id, slide_row, &v, false);
}

enum mc_err mc_store_kiosk_slide_each_current(struct mc_store *s, int64_t ward_id,
					      const char *today, mc_store_kiosk_slide_fn fn,
					      void *ctx)
{
	struct visit v = {.fn.slide = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_KIOSK_SLIDE_CURRENT, st);
	db_bind_int64(st, 1, ward_id);
	bind_text(st, 2, today);
	return walk(st, slide_row, &v, false);
}

enum mc_err mc_store_kiosk_slide_retire(struct mc_store *s, int64_t id)
{
	return retire(s, ST_KIOSK_SLIDE_RETIRE, E_KIOSK_SLIDE, id);
}

/* ---- urgent notices ---- */

static enum mc_err notice_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_kiosk_notice n = {
	    .id = db_col_int64(st, 0),
	    .ward_id = db_col_int64(st, 1),
	    .title = col_text(st, 2),
	    .body = col_text(st, 3),
	    .created_at = db_col_int64(st, 4),
	    .expires_at = db_col_int64(st, 5),
	    .lifted_at = db_col_null(st, 6) ? 0 : db_col_int64(st, 6),
	};
	return v->fn.notice(v->ctx, &n);
}

static void bind_notice(struct db_stmt *st, const void *rec)
{
	const struct mc_kiosk_notice *n = rec;

	db_bind_int64(st, 1, n->ward_id);
	bind_text(st, 2, n->title);
	bind_text(st, 3, n->body);
	db_bind_int64(st, 4, n->created_at);
	db_bind_int64(st, 5, n->expires_at);
}

enum mc_err mc_store_kiosk_notice_add(struct mc_store *s, const struct mc_kiosk_notice *n,
				      int64_t *id)
{
	if (!n->title || !*n->title || n->expires_at <= n->created_at)
		return MC_ERR_INVALID;
	return audited_insert(s, ST_KIOSK_NOTICE_INSERT, bind_notice, n, 0, E_KIOSK_NOTICE,
			      "create", id);
}

enum mc_err mc_store_kiosk_notice_get(struct mc_store *s, int64_t id, mc_store_kiosk_notice_fn fn,
				      void *ctx)
{
	struct visit v = {.fn.notice = fn, .ctx = ctx};

	return walk_int(s, ST_KIOSK_NOTICE_GET, id, notice_row, &v, true);
}

enum mc_err mc_store_kiosk_notice_lift(struct mc_store *s, int64_t id, long long now)
{
	struct db_stmt *st;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	if ((err = remember(s, E_KIOSK_NOTICE, id)) == MC_OK && !s->before.len)
		err = MC_ERR_NOTFOUND;
	if (err == MC_OK && (err = stmt(s, ST_KIOSK_NOTICE_LIFT, &st)) == MC_OK) {
		db_bind_int64(st, 1, id);
		db_bind_int64(st, 2, now);
		err = exec_stmt(st);
		if (err == MC_OK && db_changes(s->db) == 0)
			err = MC_ERR_GONE;
	}
	return end_write(s, err, owned, E_KIOSK_NOTICE, id, "lift");
}

static enum mc_err notices(struct mc_store *s, enum stmt_id sid, int64_t ward_id, long long t,
			   mc_store_kiosk_notice_fn fn, void *ctx, bool one)
{
	struct visit v = {.fn.notice = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, sid, st);
	db_bind_int64(st, 1, ward_id);
	db_bind_int64(st, 2, t);
	return walk(st, notice_row, &v, one);
}

enum mc_err mc_store_kiosk_notice_current(struct mc_store *s, int64_t ward_id, long long now,
					  mc_store_kiosk_notice_fn fn, void *ctx)
{
	return notices(s, ST_KIOSK_NOTICE_CURRENT, ward_id, now, fn, ctx, true);
}

enum mc_err mc_store_kiosk_notice_each_since(struct mc_store *s, int64_t ward_id, long long since,
					     mc_store_kiosk_notice_fn fn, void *ctx)
{
	return notices(s, ST_KIOSK_NOTICE_RECENT, ward_id, since, fn, ctx, false);
}

/* ---- heartbeats ---- */

static void bind_screen(struct db_stmt *st, const struct mc_kiosk_beat *b)
{
	db_bind_int64(st, 1, b->ward_id);
	bind_text(st, 2, b->screen);
	db_bind_int64(st, 3, b->now);
	bind_text(st, 4, b->slide);
	if (b->width > 0)
		db_bind_int64(st, 5, b->width);
	else
		st->ops->bind_null(st, 5);
	if (b->height > 0)
		db_bind_int64(st, 6, b->height);
	else
		st->ops->bind_null(st, 6);
}

/* A screen the store does not know yet: room is made by forgetting long-silent ones. */
static enum mc_err new_screen(struct mc_store *s, const struct mc_kiosk_beat *b,
			      enum mc_kiosk_beat_result *res)
{
	struct db_stmt *st;
	int64_t n = 0;
	enum mc_err err;

	PREPARE(s, ST_KIOSK_SCREEN_PRUNE, st);
	db_bind_int64(st, 1, b->ward_id);
	db_bind_int64(st, 2, b->now - MC_KIOSK_FORGET);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	PREPARE(s, ST_KIOSK_SCREEN_COUNT, st);
	db_bind_int64(st, 1, b->ward_id);
	if ((err = query_id(st, &n)) != MC_OK)
		return err;
	if (n >= MC_KIOSK_SCREENS) {
		*res = MC_BEAT_TOO_MANY;
		return MC_OK;
	}
	PREPARE(s, ST_KIOSK_SCREEN_INSERT, st);
	bind_screen(st, b);
	return exec_stmt(st);
}

static enum mc_err beat(struct mc_store *s, const struct mc_kiosk_beat *b,
			enum mc_kiosk_beat_result *res)
{
	struct db_stmt *st;
	int64_t last;
	enum mc_err err;

	PREPARE(s, ST_KIOSK_BEAT, st);
	bind_screen(st, b);
	db_bind_int64(st, 7, b->now - MC_KIOSK_BEAT_GAP);
	if ((err = exec_stmt(st)) != MC_OK || db_changes(s->db) > 0)
		return err;
	PREPARE(s, ST_KIOSK_SCREEN_LAST, st);
	db_bind_int64(st, 1, b->ward_id);
	bind_text(st, 2, b->screen);
	err = query_id(st, &last);
	if (err == MC_OK)
		*res = MC_BEAT_TOO_SOON;
	return err == MC_ERR_NOTFOUND ? new_screen(s, b, res) : err;
}

enum mc_err mc_store_kiosk_beat(struct mc_store *s, const struct mc_kiosk_beat *b,
				enum mc_kiosk_beat_result *res)
{
	bool owned;
	enum mc_err err;

	*res = MC_BEAT_OK;
	if (!b->screen || !*b->screen || strlen(b->screen) > MC_KIOSK_SCREEN_MAX ||
	    (b->slide && strlen(b->slide) > MC_KIOSK_SLIDE_KEY_MAX))
		return MC_ERR_INVALID;
	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = beat(s, b, res);
	return tx_end(s, err, owned);
}

static enum mc_err screen_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_kiosk_screen k = {
	    .screen = col_text(st, 0),
	    .first_at = db_col_int64(st, 1),
	    .last_at = db_col_int64(st, 2),
	    .slide = col_text(st, 3),
	    .width = db_col_int(st, 4),
	    .height = db_col_int(st, 5),
	};
	return v->fn.screen(v->ctx, &k);
}

enum mc_err mc_store_kiosk_screen_each(struct mc_store *s, int64_t ward_id,
				       mc_store_kiosk_screen_fn fn, void *ctx)
{
	struct visit v = {.fn.screen = fn, .ctx = ctx};

	return walk_int(s, ST_KIOSK_SCREEN_EACH, ward_id, screen_row, &v, false);
}
