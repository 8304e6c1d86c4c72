/* The procedure poster: one procedure on an A4 sheet for the office wall, its key facts
 * and documents, and the QR to the full guide. */

#include "motcham/print/print.h"

#include "private.h"

#include <inttypes.h>
#include <stdio.h>

#include "motcham/render/template.h"
#include "motcham/store/store.h"

/* Cuts (see print_cut). */
#define TITLE_MAX 180
#define PLACE_MAX 240
#define SHORT_MAX 120
#define DOCS_MAX 8
#define DOC_NAME_MAX 120

static enum mc_err proc_cb(void *ctx, const struct mc_procedure *p)
{
	struct print_job *j = ctx;
	struct mc_tobj *o = mc_tobj_obj(j->root, "proc");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	j->ward_id = p->ward_id;
	if ((err = print_cut(j->root, "title", p->title, TITLE_MAX)) != MC_OK ||
	    (err = mc_tobj_strf(j->root, "back", "/staff/procedures/%" PRId64, p->id)) != MC_OK ||
	    (err = print_cut(o, "title", p->title, TITLE_MAX)) != MC_OK ||
	    (err = print_cut(o, "tthc_code", p->tthc_code, 64)) != MC_OK ||
	    (err = print_cut(o, "duration", p->duration, SHORT_MAX)) != MC_OK ||
	    (err = print_cut(o, "fees", p->fees, SHORT_MAX)) != MC_OK ||
	    (err = print_cut(o, "place", p->place, PLACE_MAX)) != MC_OK ||
	    (err = print_cut(o, "office", p->office, SHORT_MAX)) != MC_OK ||
	    (err = mc_tobj_bool(o, "online", p->online_url != NULL)) != MC_OK)
		return err;
	if (p->retired_at)
		return mc_tobj_str(j->root, "warning",
				   "Thủ tục này đã ngừng áp dụng: không dán thông báo này.");
	return MC_OK;
}

static enum mc_err doc_cb(void *ctx, const struct mc_document *d)
{
	struct print_job *j = ctx;
	struct mc_tobj *it;
	char counts[64] = "";
	enum mc_err err;

	if (++j->ndocs > DOCS_MAX)
		return MC_OK;
	if (!j->docs && !(j->docs = mc_tobj_obj(j->root, "docs")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(j->docs, "items")))
		return MC_ERR_NOMEM;
	if (d->originals > 0 && d->copies > 0)
		snprintf(counts, sizeof(counts), "%d bản chính, %d bản sao", d->originals,
			 d->copies);
	else if (d->originals > 0)
		snprintf(counts, sizeof(counts), "%d bản chính", d->originals);
	else if (d->copies > 0)
		snprintf(counts, sizeof(counts), "%d bản sao", d->copies);
	if ((err = print_cut(it, "name", d->name, DOC_NAME_MAX)) != MC_OK ||
	    (err = mc_tobj_str(it, "counts", counts[0] ? counts : NULL)) != MC_OK)
		return err;
	return mc_tobj_bool(it, "form", d->kind == MC_DOC_FORM);
}

enum mc_err mc_print_procedure_poster(struct mc_pages *p, struct mc_store *s, int64_t procedure_id,
				      struct mc_response *r)
{
	struct print_job j;
	enum mc_err err;

	if ((err = print_job_init(&j, p, s)) != MC_OK ||
	    (err = mc_store_procedure_get(s, procedure_id, proc_cb, &j)) != MC_OK ||
	    (err = print_ward(&j, j.ward_id)) != MC_OK ||
	    (err = mc_store_procedure_documents(s, procedure_id, doc_cb, &j)) != MC_OK ||
	    (err = print_find_code(&j, MC_KIND_PROCEDURE, procedure_id)) != MC_OK)
		return print_job_finish(&j, err, r);
	if (j.ndocs > DOCS_MAX)
		err = mc_tobj_strf(j.root, "more", "và %d giấy tờ khác: xem đầy đủ khi quét mã",
				   j.ndocs - DOCS_MAX);
	if (err == MC_OK)
		err = print_render(&j, "print_procedure", r);
	return print_job_finish(&j, err, r);
}
