/* GET /w/SLUG/search?q=: procedures by title, without regard to diacritics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static enum mc_err hit_cb(void *ctx, const struct mc_procedure *p)
{
	struct page *pg = ctx;
	struct mc_tobj *it;
	enum mc_err err;

	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "results")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	pg->count++;
	if ((err = mc_tobj_strf(it, "id", "%" PRId64, p->id)) != MC_OK ||
	    (err = mc_tobj_str(it, "title", p->title)) != MC_OK)
		return err;
	return mc_tobj_str(it, "field", p->field);
}

static enum mc_err search_page(struct page *pg, const char *q, struct mc_response *r)
{
	size_t len = q ? mc_utf8_cut(q, strlen(q), SEARCH_MAX) : 0;
	enum mc_err err;

	if (q && !mc_utf8_valid(q, len))
		return MC_ERR_INVALID;
	if ((err = mc_tobj_str(pg->root, "title", "Tìm thủ tục")) != MC_OK ||
	    (err = mc_tobj_strn(pg->root, "q", q ? q : "", len)) != MC_OK ||
	    (q && (err = mc_utf8_fold(q, len, &pg->scratch)) != MC_OK))
		return err;
	if (pg->scratch.len > 0) {
		if ((err = mc_store_procedure_search(pg->s, pg->ward_id, pg->scratch.data,
						     SEARCH_LIMIT, hit_cb, pg)) != MC_OK ||
		    (err = mc_tobj_bool(pg->root, "searched", true)) != MC_OK ||
		    (err = mc_tobj_strf(pg->root, "count", "%d", pg->count)) != MC_OK)
			return err;
	}
	if ((err = share_text(pg, "Tìm thủ tục hành chính theo tên, có dấu hay không dấu.")) !=
		MC_OK ||
	    (err = share_meta(pg, "/w/%s/search", pg->slug)) != MC_OK)
		return err;
	return page_render(pg->p, pg->root, "search", 200, r);
}

enum mc_err mc_pages_search(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = search_page(&pg, c->rq->lookup(c->rq, MC_REQ_ARG, "q"), c->r);
	return page_finish(&pg, err, c->r);
}
