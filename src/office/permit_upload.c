/* Dossier uploads (/staff/permits/ID/files): PDF, JPEG or PNG by content, kept by hash. */
#include <stdlib.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/office/office.h"
#include "motcham/store/store.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"
#include "motcham/web/upload.h"
#include "private.h"

static bool checked(const char *v)
{
	return v && (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"));
}

static enum mc_err permit_file(struct office *c, int64_t id)
{
	const struct mc_form_field *file = mc_form_file(c->rq->form, "file");
	struct permit_rec rec = {.today = c->today};
	struct permit_forms pf = {0};
	struct mc_file mf = {.permit_id = id};
	struct mc_upload u;
	struct mc_buf name;
	bool shown;
	enum mc_err err;

	mc_buf_init(&name);
	if ((err = permit_load(c, id, true, &rec, &shown)) != MC_OK || shown)
		goto out;
	if (!file) {
		pf.upload_error = "Vui lòng chọn một tệp để tải lên.";
		err = permit_page(c, id, 422, &pf);
	} else if ((err = mc_upload_check(file, false, &u)) != MC_OK) {
		goto out;
	} else if (u.why) {
		pf.upload_error = u.why;
		err = permit_page(c, id, u.status, &pf);
	} else if ((err = mc_upload_display_name(file->filename, &name)) == MC_OK &&
		   (err = mc_store_begin(c->wr)) == MC_OK) {
		/* Counted and kept under the write lock: two uploads cannot both slip under the
		 * quota. The content (where the database keeps it) and its record, or neither. */
		err = mc_upload_room(c->wr, c->st->files_dir, &c->st->uploads, rec.ward_id, u.size,
				     &pf.upload_error);
		if (err == MC_ERR_FULL) {
			mc_store_rollback(c->wr);
			err = permit_page(c, id, 507, &pf);
			goto out;
		}
		if (err == MC_OK)
			err = mc_upload_keep(c->wr, c->st->files_dir, file, &u);
		mf.sha256 = u.sha;
		mf.mime = u.mime;
		mf.size = (long long)u.size;
		mf.name = name.data;
		mf.public = checked(mc_form_get(c->rq->form, "public"));
		if (err == MC_OK)
			err = mc_store_file_add(c->wr, &mf, NULL);
		if ((err = forms_commit(c, err)) == MC_OK)
			err = page_redirect(c, "/staff/permits/%lld", (long long)id);
	}
out:
	free(rec.reason);
	mc_buf_finish(&name);
	return err;
}

enum mc_err mc_office_permit_file(struct mc_call *call)
{
	return permit_file(call->scope, call->id);
}
