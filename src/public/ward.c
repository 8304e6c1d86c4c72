/* GET /w/SLUG: a ward's home. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static enum mc_err ann_item_cb(void *ctx, const struct mc_announcement *a)
{
	struct page *pg = ctx;
	struct mc_tobj *it;
	enum mc_err err;

	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "announcements")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(it, "id", "%" PRId64, a->id)) != MC_OK ||
	    (err = mc_tobj_str(it, "title", a->title)) != MC_OK)
		return err;
	return mc_tobj_date(it, "date", a->published_on);
}

/* Procedures come sorted by field, so a new group starts whenever the field changes. */
static enum mc_err proc_item_cb(void *ctx, const struct mc_procedure *p)
{
	struct page *pg = ctx;
	const char *field = p->field ? p->field : "Lĩnh vực khác";
	struct mc_tobj *it;
	enum mc_err err;

	if (!pg->list_b || strcmp(pg->scratch.data, field) != 0) {
		if (!(pg->list_b = mc_tobj_push(pg->root, "fields")))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_str(pg->list_b, "field", field)) != MC_OK)
			return err;
		mc_buf_reset(&pg->scratch);
		if ((err = mc_buf_puts(&pg->scratch, field)) != MC_OK)
			return err;
	}
	if (!(it = mc_tobj_push(pg->list_b, "items")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(it, "id", "%" PRId64, p->id)) != MC_OK)
		return err;
	return mc_tobj_str(it, "title", p->title);
}

static enum mc_err merged_from_cb(void *ctx, const struct mc_ward *w)
{
	struct page *pg = ctx;
	struct mc_tobj *o = mc_tobj_obj(pg->root, "merged_from");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "slug", w->slug)) != MC_OK)
		return err;
	return mc_tobj_str(o, "name", w->name);
}

enum mc_err ward_render(struct page *pg, struct mc_response *r)
{
	enum mc_err err;

	/* A merged ward's codes and address open the ward it became, naming the old one, so
	 * keychains printed before the merge keep working. */
	if (pg->merged_into &&
	    (err = mc_store_ward_by_id(pg->s, pg->ward_id, merged_from_cb, pg)) != MC_OK)
		return err;
	for (int hops = 0; pg->merged_into && hops < 8; hops++)
		if ((err = mc_store_ward_by_id(pg->s, pg->merged_into, page_ward_cb, pg)) != MC_OK)
			return err;
	if ((err = mc_tobj_str(pg->root, "title", "Thủ tục, thông báo")) != MC_OK ||
	    (err = mc_store_announcement_each_current(pg->s, pg->ward_id, pg->today, ann_item_cb,
						      pg)) != MC_OK ||
	    (err = mc_store_procedure_each(pg->s, pg->ward_id, proc_item_cb, pg)) != MC_OK ||
	    (err = add_qr(pg, MC_KIND_WARD, pg->ward_id)) != MC_OK)
		return err;
	if ((err = share_meta(pg, "/w/%s", pg->slug)) != MC_OK)
		return err;
	return page_render(pg->p, pg->root, "ward", 200, r);
}

enum mc_err mc_pages_ward(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = ward_render(&pg, c->r);
	return page_finish(&pg, err, c->r);
}
