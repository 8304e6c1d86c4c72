/* GET /w/SLUG/announcements/ID: one announcement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static enum mc_err ann_cb(void *ctx, const struct mc_announcement *a)
{
	struct page *pg = ctx;
	struct mc_tobj *o = mc_tobj_obj(pg->root, "ann");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	pg->record_ward = a->ward_id;
	if ((err = mc_tobj_str(o, "title", a->title)) != MC_OK ||
	    (err = mc_tobj_str(pg->root, "title", a->title)) != MC_OK ||
	    (err = mc_tobj_date(o, "published", a->published_on)) != MC_OK ||
	    (err = mc_tobj_date(o, "expires", a->expires_on)) != MC_OK ||
	    (err = mc_tobj_date(o, "updated", a->updated_at)) != MC_OK ||
	    (err = mc_tobj_date(o, "retired", a->retired_at)) != MC_OK ||
	    (err = mc_tobj_bool(o, "expired",
				!a->retired_at && a->expires_on &&
				    strcmp(a->expires_on, pg->today) < 0)) != MC_OK ||
	    (err = share_text(pg, "%s", or_empty(a->body))) != MC_OK)
		return err;
	return set_paragraphs(o, "paragraphs", a->body);
}

enum mc_err announcement_render(struct page *pg, int64_t id, struct mc_response *r)
{
	enum mc_err err;

	if ((err = mc_store_announcement_get(pg->s, id, ann_cb, pg)) != MC_OK)
		return err;
	if (pg->record_ward != pg->ward_id)
		return MC_ERR_NOTFOUND;
	if ((err = add_qr(pg, MC_KIND_ANNOUNCEMENT, id)) != MC_OK ||
	    (err = share_meta(pg, "/w/%s/announcements/%" PRId64, pg->slug, id)) != MC_OK)
		return err;
	return page_render(pg->p, pg->root, "announcement", 200, r);
}

enum mc_err mc_pages_announcement(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = announcement_render(&pg, c->id, c->r);
	return page_finish(&pg, err, c->r);
}
