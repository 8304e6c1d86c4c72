/* GET /files/SHA256: a dossier file a ward marked public (the permit page links them). */
#include <stdio.h>

#include "motcham/base/auth.h"
#include "motcham/public/pages.h"
#include "motcham/store/store.h"
#include "motcham/web/call.h"
#include "motcham/web/upload.h"

#define PUBLIC_FILE_CACHE "public, max-age=3600"

struct hit {
	bool found;
	char mime[32];
	char name[256];
};

static enum mc_err hit_cb(void *ctx, const struct mc_file *f)
{
	struct hit *h = ctx;

	h->found = true;
	snprintf(h->mime, sizeof(h->mime), "%s", f->mime ? f->mime : "");
	snprintf(h->name, sizeof(h->name), "%s", f->name ? f->name : "");
	return MC_OK;
}

enum mc_err mc_pages_file(struct mc_call *c)
{
	struct hit h = {.found = false};
	enum mc_err err;

	if (!c->site->staff || !mc_auth_hex64(c->arg))
		return mc_pages_error(c->site->pages, 404, c->r);
	err = mc_store_file_by_hash(c->s, c->arg, true, hit_cb, &h);
	if (err == MC_OK && h.found)
		err = mc_upload_answer(c->s, c->site->files_dir,
				       c->site->uploads ? c->site->uploads->downloads : NULL,
				       c->arg, h.mime, h.name, PUBLIC_FILE_CACHE, c->r);
	else if (err == MC_OK)
		err = MC_ERR_NOTFOUND;
	return err == MC_ERR_NOTFOUND ? mc_pages_error(c->site->pages, 404, c->r) : err;
}
