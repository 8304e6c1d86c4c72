/* GET /w/SLUG/feed.atom: the ward's current announcements as an Atom feed (RFC 4287), so a
 * resident's feed reader (or the ward's own web site) learns of a new notice without asking
 * at the counter. Written through the escaping templates like every page: their escapes are
 * XML's too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define ATOM_TYPE "application/atom+xml; charset=utf-8"

/* A ward-local day as an RFC 3339 time: its midnight in UTC+7. */
static enum mc_err set_day(struct mc_tobj *o, const char *key, const char *day)
{
	return mc_date_valid(day) ? mc_tobj_strf(o, key, "%sT00:00:00+07:00", day)
				  : mc_tobj_str(o, key, NULL);
}

static enum mc_err entry_cb(void *ctx, const struct mc_announcement *a)
{
	struct page *pg = ctx;
	const char *updated =
	    a->updated_at && mc_date_valid(a->updated_at) ? a->updated_at : a->published_on;
	struct mc_tobj *it;
	enum mc_err err;

	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "entries")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	/* The feed is "updated" when its newest entry is. */
	if (updated && (!pg->scratch.len || strcmp(updated, pg->scratch.data) > 0)) {
		mc_buf_reset(&pg->scratch);
		if ((err = mc_buf_puts(&pg->scratch, updated)) != MC_OK)
			return err;
	}
	if ((err = mc_tobj_str(it, "title", a->title)) != MC_OK ||
	    (err = mc_tobj_strf(it, "url", "%s/w/%s/announcements/%" PRId64, pg->p->base_url,
				pg->slug, a->id)) != MC_OK ||
	    (err = set_day(it, "published", a->published_on)) != MC_OK ||
	    (err = set_day(it, "updated", updated)) != MC_OK)
		return err;
	return mc_tobj_str(it, "body", a->body);
}

static enum mc_err feed_render(struct page *pg, struct mc_response *r)
{
	enum mc_err err;

	if ((err = mc_store_announcement_each_current(pg->s, pg->ward_id, pg->today, entry_cb,
						      pg)) != MC_OK ||
	    (err = mc_tobj_strf(pg->root, "feed_url", "%s/w/%s/feed.atom", pg->p->base_url,
				pg->slug)) != MC_OK ||
	    (err = mc_tobj_strf(pg->root, "ward_url", "%s/w/%s", pg->p->base_url, pg->slug)) !=
		MC_OK ||
	    (err = set_day(pg->root, "feed_updated",
			   pg->scratch.len ? pg->scratch.data : pg->today)) != MC_OK ||
	    (err = page_render(pg->p, pg->root, "feed_atom", 200, r)) != MC_OK)
		return err;
	r->content_type = ATOM_TYPE;
	return MC_OK;
}

enum mc_err mc_pages_feed(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = feed_render(&pg, c->r);
	return page_finish(&pg, err, c->r);
}
