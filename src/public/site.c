/* What search engines and link previews ask a site for: GET /robots.txt (the public pages
 * may be indexed, the office's may not), GET /sitemap.xml (an index of one map per ward) and
 * GET /w/SLUG/sitemap.xml (the ward's public record pages: its home, procedures, current
 * announcements and permits, newest first, at most the protocol's 50,000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

#define XML_TYPE "application/xml; charset=utf-8"
#define TEXT_TYPE "text/plain; charset=utf-8"
#define SITEMAP_MAX 50000 /* URLs one sitemap may hold (sitemaps.org) */

enum mc_err mc_pages_robots(struct mc_call *c)
{
	struct mc_response *r = c->r;

	mc_buf_reset(&r->body);
	r->status = 200;
	r->content_type = TEXT_TYPE;
	r->cache = "public, max-age=86400";
	return mc_buf_printf(&r->body,
			     "User-agent: *\n"
			     "Allow: /\n"
			     "Disallow: /staff\n"
			     "Disallow: /supervise\n"
			     "Disallow: /api/\n"
			     "Sitemap: %s/sitemap.xml\n",
			     c->site->pages->base_url);
}

/* Adds the URL of the ward's home (kind NULL) or of one of its records (kind "procedures" ...)
 * with its last change (a ward-local day, may be NULL). Stops the walk with MC_ERR_FULL once
 * the map holds as many as it may. */
static enum mc_err add_url(struct page *pg, const char *lastmod, const char *kind, int64_t id)
{
	struct mc_tobj *it;
	enum mc_err err;

	if (pg->count == SITEMAP_MAX)
		return MC_ERR_FULL;
	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "urls")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	mc_buf_reset(&pg->scratch);
	err = kind ? mc_buf_printf(&pg->scratch, "%s/w/%s/%s/%" PRId64, pg->p->base_url, pg->slug,
				   kind, id)
		   : mc_buf_printf(&pg->scratch, "%s/w/%s", pg->p->base_url, pg->slug);
	if (err != MC_OK || (err = mc_tobj_str(it, "loc", pg->scratch.data)) != MC_OK)
		return err;
	pg->count++;
	return mc_tobj_str(it, "lastmod", lastmod && mc_date_valid(lastmod) ? lastmod : NULL);
}

static enum mc_err proc_url_cb(void *ctx, const struct mc_procedure *p)
{
	return add_url(ctx, p->updated_at, "procedures", p->id);
}

static enum mc_err ann_url_cb(void *ctx, const struct mc_announcement *a)
{
	return add_url(ctx, a->updated_at, "announcements", a->id);
}

static enum mc_err permit_url_cb(void *ctx, const struct mc_permit *p)
{
	return add_url(ctx, p->updated_at, "permits", p->id);
}

static enum mc_err xml(struct page *pg, const char *tpl, struct mc_response *r)
{
	enum mc_err err = page_render(pg->p, pg->root, tpl, 200, r);

	if (err == MC_OK) {
		r->content_type = XML_TYPE;
		r->cache = "public, max-age=3600";
	}
	return err;
}

static enum mc_err ward_map(struct page *pg, struct mc_response *r)
{
	enum mc_err err = add_url(pg, NULL, NULL, 0);

	if (err == MC_OK)
		err = mc_store_procedure_each(pg->s, pg->ward_id, proc_url_cb, pg);
	if (err == MC_OK)
		err = mc_store_announcement_each_current(pg->s, pg->ward_id, pg->today, ann_url_cb,
							 pg);
	if (err == MC_OK)
		err = mc_store_permit_each(pg->s, pg->ward_id, permit_url_cb, pg);
	if (err != MC_OK && err != MC_ERR_FULL)
		return err;
	return xml(pg, "sitemap", r);
}

enum mc_err mc_pages_sitemap_ward(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = pg.merged_into ? MC_ERR_NOTFOUND : ward_map(&pg, c->r);
	return page_finish(&pg, err, c->r);
}

static enum mc_err map_cb(void *ctx, const struct mc_ward *w)
{
	struct page *pg = ctx;
	struct mc_tobj *it;

	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "maps")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	return mc_tobj_strf(it, "loc", "%s/w/%s/sitemap.xml", pg->p->base_url, or_empty(w->slug));
}

enum mc_err mc_pages_sitemap(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = mc_store_ward_each(c->s, map_cb, &pg)) == MC_OK)
		err = xml(&pg, "sitemap_index", c->r);
	return page_finish(&pg, err, c->r);
}
