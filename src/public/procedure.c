/* GET /w/SLUG/procedures/ID: one administrative procedure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

size_t procedure_kv(const struct mc_procedure *p, struct kv v[PROCEDURE_KV_MAX])
{
	const struct kv all[PROCEDURE_KV_MAX] = {
	    {"tthc_code", p->tthc_code},
	    {"title", p->title},
	    {"field", p->field},
	    {"level", p->level},
	    {"ways", p->ways},
	    {"place", p->place},
	    {"who", p->who},
	    {"conditions", p->conditions},
	    {"duration", p->duration},
	    {"fees", p->fees},
	    {"office", p->office},
	    {"result", p->result},
	    {"online_url", web_url(p->online_url)},
	};

	memcpy(v, all, sizeof(all));
	return PROCEDURE_KV_MAX;
}

static enum mc_err proc_cb(void *ctx, const struct mc_procedure *p)
{
	struct page *pg = ctx;
	struct mc_tobj *o = mc_tobj_obj(pg->root, "proc");
	struct kv v[PROCEDURE_KV_MAX];
	size_t n = procedure_kv(p, v);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	pg->record_ward = p->ward_id;
	if ((err = set_all(o, v, n)) != MC_OK ||
	    (err = mc_tobj_date(o, "updated", p->updated_at)) != MC_OK ||
	    (err = mc_tobj_date(o, "retired", p->retired_at)) != MC_OK ||
	    (err = mc_tobj_str(pg->root, "title", p->title)) != MC_OK ||
	    (err = set_lines(pg->root, "steps", p->steps, true)) != MC_OK ||
	    (err = share_text(pg, "%s. Lĩnh vực: %s. Thời hạn giải quyết: %s. Phí, lệ phí: %s.",
			      or_empty(p->title), or_empty(p->field), or_empty(p->duration),
			      p->fees ? p->fees : "không có")) != MC_OK)
		return err;
	return set_lines(pg->root, "legal", p->legal_basis, false);
}

static enum mc_err doc_cb(void *ctx, const struct mc_document *d)
{
	struct page *pg = ctx;
	bool form = d->kind == MC_DOC_FORM;
	struct mc_tobj **list = form ? &pg->list_b : &pg->list_a;
	struct mc_tobj *it;
	enum mc_err err;

	if (!*list && !(*list = mc_tobj_obj(pg->root, form ? "forms" : "papers")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(*list, "items")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(it, "name", d->name)) != MC_OK ||
	    (err = mc_tobj_strf(it, "originals", "%d", d->originals)) != MC_OK)
		return err;
	return mc_tobj_strf(it, "copies", "%d", d->copies);
}

enum mc_err procedure_render(struct page *pg, int64_t id, struct mc_response *r)
{
	enum mc_err err;

	if ((err = mc_store_procedure_get(pg->s, id, proc_cb, pg)) != MC_OK)
		return err;
	if (pg->record_ward != pg->ward_id)
		return MC_ERR_NOTFOUND;
	if ((err = mc_store_procedure_documents(pg->s, id, doc_cb, pg)) != MC_OK ||
	    (err = add_qr(pg, MC_KIND_PROCEDURE, id)) != MC_OK ||
	    (err = share_meta(pg, "/w/%s/procedures/%" PRId64, pg->slug, id)) != MC_OK)
		return err;
	return page_render(pg->p, pg->root, "procedure", 200, r);
}

enum mc_err mc_pages_procedure(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = procedure_render(&pg, c->id, c->r);
	return page_finish(&pg, err, c->r);
}
