/* Staff file download (/staff/files/SHA256): a permit's dossier file or a resident's photo,
 * for whoever may read its ward. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/base/auth.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/store/store.h"
#include "motcham/web/upload.h"
#include "private.h"

struct file_hit {
	bool found;
	int64_t permit_id, ward_id;
	char mime[32];
	char name[256];
};

static enum mc_err file_hit_cb(void *ctx, const struct mc_file *f)
{
	struct file_hit *h = ctx;

	h->found = true;
	h->permit_id = f->permit_id;
	snprintf(h->mime, sizeof(h->mime), "%s", f->mime ? f->mime : "");
	snprintf(h->name, sizeof(h->name), "%s", f->name ? f->name : "");
	return MC_OK;
}

/* A resident's photo is not a dossier file: find the report that holds it. */
struct photo_find {
	const char *sha;
	struct file_hit *hit;
};

static enum mc_err photo_cb(void *ctx, const struct mc_report *rep)
{
	struct photo_find *pf = ctx;

	if (!rep->photo_sha256 || strcmp(rep->photo_sha256, pf->sha))
		return MC_OK;
	pf->hit->found = true;
	pf->hit->ward_id = rep->ward_id;
	snprintf(pf->hit->mime, sizeof(pf->hit->mime), "%s",
		 rep->photo_mime ? rep->photo_mime : "");
	snprintf(pf->hit->name, sizeof(pf->hit->name), "anh-phan-anh-%s", rep->ref);
	return MC_ERR_EXISTS; /* found: stop the walk */
}

static enum mc_err staff_file(struct office *c, const char *sha)
{
	struct file_hit h = {.found = false};
	struct photo_find pf = {.sha = sha, .hit = &h};
	struct permit_rec rec = {.today = c->today};
	bool shown = false;
	enum mc_err err;

	if (!mc_auth_hex64(sha))
		return page_not_found(c);
	err = mc_store_file_by_hash(c->wr, sha, false, file_hit_cb, &h);
	if (err == MC_OK && h.found) {
		err = permit_load(c, h.permit_id, false, &rec, &shown);
		free(rec.reason);
	} else if (err == MC_OK || err == MC_ERR_NOTFOUND) {
		err = mc_store_report_each(c->wr, 0, photo_cb, &pf);
		if (err == MC_ERR_EXISTS || err == MC_OK)
			err = MC_OK;
		if (err == MC_OK && !h.found)
			return page_not_found(c);
		if (err == MC_OK && !mc_session_can_read(&c->u, h.ward_id))
			return page_forbidden(c);
	}
	if (err != MC_OK || shown)
		return err;
	err = mc_upload_answer(c->wr, c->st->files_dir, c->st->uploads.downloads, sha, h.mime,
			       h.name, "private, no-store", c->r);
	return err == MC_ERR_NOTFOUND ? page_not_found(c) : err;
}

enum mc_err mc_office_file(struct mc_call *call)
{
	return staff_file(call->scope, call->arg);
}
