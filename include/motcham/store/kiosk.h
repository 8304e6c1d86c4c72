#ifndef MOTCHAM_STORE_KIOSK_H
#define MOTCHAM_STORE_KIOSK_H

#include <stdbool.h>
#include <stdint.h>

#include "motcham/base/err.h"
#include "motcham/store/store.h"

/* ---- The lobby kiosk (schema version 4) ----
 *
 * What a ward's screens show besides its announcements: the procedures staff feature, in
 * their order; pages staff add for a range of days; and urgent notices that take over every
 * screen of the ward until lifted or expired. Writes to these are audited like any other.
 * Each screen's heartbeat is kept too, but it is not a record: beats are never audited. */

#define MC_KIOSK_SECONDS 12    /* a slide's time on screen unless staff say otherwise */
#define MC_KIOSK_SECONDS_MIN 5 /* the bounds staff may choose from */
#define MC_KIOSK_SECONDS_MAX 120
#define MC_KIOSK_BEAT_GAP 5    /* a screen's beats closer than this (seconds) are refused */
#define MC_KIOSK_SCREENS 32    /* screens one ward keeps track of */
#define MC_KIOSK_FORGET 604800 /* a screen silent this long (a week) is forgotten */
#define MC_KIOSK_SCREEN_MAX 64 /* bytes in a screen's id */
#define MC_KIOSK_SLIDE_KEY_MAX 48

struct mc_kiosk_feature {
	int64_t id;
	int64_t ward_id;
	int64_t procedure_id;
	int pos; /* the order on screen, smallest first */
	int seconds;
	/* The procedure's, read with it. */
	const char *title;
	const char *field;
	const char *duration;
	const char *fees;
	const char *place;
	const char *retired_at;
};
typedef enum mc_err (*mc_store_kiosk_feature_fn)(void *ctx, const struct mc_kiosk_feature *f);

/* The ward's featured procedures in order; retired ones only with_retired (the staff list,
 * so they can be taken off). */
enum mc_err mc_store_kiosk_feature_each(struct mc_store *s, int64_t ward_id, bool with_retired,
					mc_store_kiosk_feature_fn fn, void *ctx);
enum mc_err mc_store_kiosk_feature_get(struct mc_store *s, int64_t id, mc_store_kiosk_feature_fn fn,
				       void *ctx);
/* Features procedure_id last in its ward's list, for seconds (within MC_KIOSK_SECONDS_MIN and
 * _MAX) a turn. MC_ERR_NOTFOUND when ward_id has no such procedure in use, MC_ERR_EXISTS
 * when it is featured already, MC_ERR_INVALID for seconds out of bounds. *id may be NULL. */
enum mc_err mc_store_kiosk_feature_add(struct mc_store *s, int64_t ward_id, int64_t procedure_id,
				       int seconds, int64_t *id);
/* Swaps the feature with the one before it (up true) or after it, one audit entry for each
 * of the two; the first cannot go up nor the last down (MC_OK, nothing written).
 * MC_ERR_NOTFOUND without the feature. */
enum mc_err mc_store_kiosk_feature_move(struct mc_store *s, int64_t id, bool up);
/* Takes a procedure off the list. MC_ERR_NOTFOUND without the feature. */
enum mc_err mc_store_kiosk_feature_remove(struct mc_store *s, int64_t id);

struct mc_kiosk_slide {
	int64_t id; /* 0 for a new one (upsert) */
	int64_t ward_id;
	const char *title;
	const char *body;
	const char *shows_from;	 /* YYYY-MM-DD, the first day on screen */
	const char *shows_until; /* YYYY-MM-DD, the last day, or NULL: until retired */
	int seconds;
	const char *updated_at; /* YYYY-MM-DD, set by the store (read only) */
	const char *retired_at; /* YYYY-MM-DD when retired (read only), else NULL */
};
typedef enum mc_err (*mc_store_kiosk_slide_fn)(void *ctx, const struct mc_kiosk_slide *sl);

/* Adds a page (sl->id 0; the new id in *id, which may be NULL) or changes every field of page
 * sl->id but its ward. MC_ERR_INVALID for a missing field, seconds out of bounds or a range
 * that ends before it starts; MC_ERR_NOTFOUND without the page. */
enum mc_err mc_store_kiosk_slide_upsert(struct mc_store *s, const struct mc_kiosk_slide *sl,
					int64_t *id);
enum mc_err mc_store_kiosk_slide_get(struct mc_store *s, int64_t id, mc_store_kiosk_slide_fn fn,
				     void *ctx);
/* Every page of a ward: those in use first, the latest start first. */
enum mc_err mc_store_kiosk_slide_each(struct mc_store *s, int64_t ward_id,
				      mc_store_kiosk_slide_fn fn, void *ctx);
/* The pages of a ward on screen today (ward-local), not retired, the earliest start first. */
enum mc_err mc_store_kiosk_slide_each_current(struct mc_store *s, int64_t ward_id,
					      const char *today, mc_store_kiosk_slide_fn fn,
					      void *ctx);
/* Takes a page off the screens for good: MC_ERR_NOTFOUND, MC_ERR_GONE when it is already. */
enum mc_err mc_store_kiosk_slide_retire(struct mc_store *s, int64_t id);

struct mc_kiosk_notice {
	int64_t id;
	int64_t ward_id;
	const char *title;
	const char *body;		  /* may be NULL */
	long long created_at, expires_at; /* Unix times; created_at < expires_at */
	long long lifted_at;		  /* Unix time, 0 while not lifted */
};
typedef enum mc_err (*mc_store_kiosk_notice_fn)(void *ctx, const struct mc_kiosk_notice *n);

/* Pushes an urgent notice (title, body, created_at, expires_at of n; *id may be NULL).
 * MC_ERR_INVALID without a title or when it expires before it is made. */
enum mc_err mc_store_kiosk_notice_add(struct mc_store *s, const struct mc_kiosk_notice *n,
				      int64_t *id);
enum mc_err mc_store_kiosk_notice_get(struct mc_store *s, int64_t id, mc_store_kiosk_notice_fn fn,
				      void *ctx);
/* Lifts a notice at now. MC_ERR_NOTFOUND, MC_ERR_GONE when it was lifted or expired
 * already. */
enum mc_err mc_store_kiosk_notice_lift(struct mc_store *s, int64_t id, long long now);
/* The ward's notice on screen at now: the newest not lifted nor expired. MC_ERR_NOTFOUND
 * when there is none. */
enum mc_err mc_store_kiosk_notice_current(struct mc_store *s, int64_t ward_id, long long now,
					  mc_store_kiosk_notice_fn fn, void *ctx);
/* The ward's notices made since (a Unix time), newest first, live or not. */
enum mc_err mc_store_kiosk_notice_each_since(struct mc_store *s, int64_t ward_id, long long since,
					     mc_store_kiosk_notice_fn fn, void *ctx);

/* A screen's heartbeat. */
struct mc_kiosk_beat {
	int64_t ward_id;
	const char *screen; /* the screen's own id, at most MC_KIOSK_SCREEN_MAX bytes */
	const char *slide;  /* what it shows, e.g. "procedure:12", or NULL */
	int width, height;  /* its viewport in CSS pixels, 0 when unknown */
	long long now;	    /* Unix time */
};

enum mc_kiosk_beat_result {
	MC_BEAT_OK,	  /* recorded */
	MC_BEAT_TOO_SOON, /* the screen beat less than MC_KIOSK_BEAT_GAP seconds ago */
	MC_BEAT_TOO_MANY, /* a new screen for a ward that has MC_KIOSK_SCREENS already */
};

/* Records a beat in one transaction (not audited), forgetting the ward's screens silent for
 * MC_KIOSK_FORGET before it counts them; *res says whether it counted. */
enum mc_err mc_store_kiosk_beat(struct mc_store *s, const struct mc_kiosk_beat *b,
				enum mc_kiosk_beat_result *res);

struct mc_kiosk_screen {
	const char *screen;
	const char *slide; /* or NULL */
	long long first_at, last_at;
	int width, height;
};
typedef enum mc_err (*mc_store_kiosk_screen_fn)(void *ctx, const struct mc_kiosk_screen *k);
/* Every screen of a ward the store keeps, by id. */
enum mc_err mc_store_kiosk_screen_each(struct mc_store *s, int64_t ward_id,
				       mc_store_kiosk_screen_fn fn, void *ctx);

#endif
