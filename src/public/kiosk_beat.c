/* POST /kiosk/SLUG/beat: a lobby screen says it is alive and what it shows, so staff see a
 * dead screen. No account: the screen names itself with its own random id; the body is a
 * few short fields (the route reads at most a few kilobytes); a screen may beat once every
 * MC_KIOSK_BEAT_GAP seconds, a ward keeps MC_KIOSK_SCREENS screens, and each client (keyed
 * by a hash of its address, never the address) is held to BEATS_MAX beats a window, so no
 * one can fill the table or keep the write connection busy. Beats are not audited. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "motcham/web/fields.h"
#include "motcham/web/form.h"
#include "motcham/store/kiosk.h"
#include "private.h"

#define BEATS_MAX 600	 /* beats a client may send a window: 1 a second, for a whole office */
#define BEATS_WINDOW 600 /* seconds */
#define BEATS_LOCK 300	 /* a client over the limit waits this long */
#define SIZE_MAX_PX 20000
#define ID_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
#define KEY_CHARS "abcdefghijklmnopqrstuvwxyz0123456789:_-"

struct ward_ref {
	int64_t id, merged_into;
};

static enum mc_err ward_ref_cb(void *ctx, const struct mc_ward *w)
{
	struct ward_ref *ref = ctx;

	ref->id = w->id;
	ref->merged_into = w->merged_into;
	return MC_OK;
}

/* The field as sent when it is 1 to max bytes of chars only; NULL otherwise, and *bad set
 * unless it is absent and optional. */
static const char *plain(const struct mc_call *c, const char *name, size_t max, const char *chars,
			 bool required, bool *bad)
{
	size_t len;
	const char *v = c->rq->form ? mc_fields_raw(c->rq->form, name, &len) : NULL;

	if (!v || len == 0) {
		*bad |= required;
		return NULL;
	}
	if (len > max || strspn(v, chars) != len) {
		*bad = true;
		return NULL;
	}
	return v;
}

static int pixels(const struct mc_call *c, const char *name, bool *bad)
{
	const char *v = plain(c, name, 5, "0123456789", false, bad);
	long n = v ? strtol(v, NULL, 10) : 0;

	if (n > SIZE_MAX_PX)
		*bad = true;
	return n > SIZE_MAX_PX ? 0 : (int)n;
}

enum mc_err mc_pages_kiosk_beat(struct mc_call *c)
{
	static const struct mc_throttle_rule beats = {BEATS_MAX, BEATS_WINDOW, BEATS_LOCK,
						      BEATS_LOCK};
	struct mc_pages *p = c->site->pages;
	struct ward_ref ref = {0};
	struct mc_kiosk_beat b = {0};
	enum mc_kiosk_beat_result res;
	char key[80];
	int failures;
	long long locked_until;
	bool bad = false;
	enum mc_err err;

	err = mc_store_ward_by_slug(c->s, c->slug, ward_ref_cb, &ref);
	for (int hops = 0; err == MC_OK && ref.merged_into && hops < 8; hops++)
		err = mc_store_ward_by_id(c->s, ref.merged_into, ward_ref_cb, &ref);
	if (err == MC_ERR_NOTFOUND)
		return mc_pages_error(p, 404, c->r);
	if (err != MC_OK)
		return err;
	b = (struct mc_kiosk_beat){.ward_id = ref.id, .now = (long long)time(NULL)};
	b.screen = plain(c, "screen", MC_KIOSK_SCREEN_MAX, ID_CHARS, true, &bad);
	b.slide = plain(c, "slide", MC_KIOSK_SLIDE_KEY_MAX, KEY_CHARS, false, &bad);
	b.width = pixels(c, "w", &bad);
	b.height = pixels(c, "h", &bad);
	if (bad)
		return mc_pages_error(p, 400, c->r);
	/* Every beat that gets this far counts against its client, refused ones too. */
	snprintf(key, sizeof(key), "kiosk:%s", c->rq->client_key ? c->rq->client_key : "");
	if ((err = mc_store_throttle_get(c->s, key, b.now, &failures, &locked_until)) != MC_OK)
		return err;
	if (locked_until > b.now)
		return mc_pages_error(p, 429, c->r);
	if ((err = mc_store_throttle_fail(c->s, key, b.now, &beats, NULL)) != MC_OK ||
	    (err = mc_store_kiosk_beat(c->s, &b, &res)) != MC_OK)
		return err;
	if (res != MC_BEAT_OK)
		return mc_pages_error(p, 429, c->r);
	mc_buf_reset(&c->r->body);
	c->r->status = 204;
	c->r->cache = "no-store";
	return MC_OK;
}
