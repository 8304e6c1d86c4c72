/* GET /: the list of wards, or the ward home when there is only one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static enum mc_err ward_item_cb(void *ctx, const struct mc_ward *w)
{
	struct page *pg = ctx;
	struct mc_tobj *it;
	enum mc_err err;

	pg->ward_id = w->id;
	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "wards")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(it, "slug", w->slug)) != MC_OK ||
	    (err = mc_tobj_str(it, "name", w->name)) != MC_OK)
		return err;
	return mc_tobj_str(it, "address", w->address);
}

static enum mc_err home_page(struct page *pg, struct mc_response *r)
{
	enum mc_err err;
	int n = 0;

	if ((err = mc_store_ward_count(pg->s, &n)) != MC_OK ||
	    (err = mc_store_ward_each(pg->s, ward_item_cb, pg)) != MC_OK)
		return err;
	if (n == 1 && pg->ward_id) {
		/* One ward: its home is the useful page; the list would be one link. */
		if ((err = mc_store_ward_by_id(pg->s, pg->ward_id, page_ward_cb, pg)) != MC_OK)
			return err;
		pg->list_a = NULL;
		if ((err = mc_tobj_str(pg->root, "wards", NULL)) != MC_OK)
			return err;
		return ward_render(pg, r);
	}
	if ((err = mc_tobj_str(pg->root, "title", "Tra cứu một chạm")) != MC_OK ||
	    (err = share_text(pg, "Tra cứu thủ tục hành chính, thông báo và giấy phép xây dựng "
				  "của các phường, xã bằng mã QR một chạm.")) != MC_OK ||
	    (err = share_meta(pg, "/")) != MC_OK)
		return err;
	return page_render(pg->p, pg->root, "home", 200, r);
}

enum mc_err mc_pages_home(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK)
		err = home_page(&pg, c->r);
	return page_finish(&pg, err, c->r);
}
