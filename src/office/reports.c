/* Residents' reports (/staff/reports): the open and the reviewed ones; answering one with a
 * public reply (what the resident reads at /r/REF) and an internal note, kept under review
 * or marked reviewed; erasing what the resident wrote, on their request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "motcham/domain/permit.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/fields.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"
#include "motcham/web/response.h"
#include "private.h"

/* Bytes of a reply or a note. */
#define TEXT_MAX 2000

/* Reports on one page of the list, open ones first. */
#define REPORTS_PAGE 30

struct report_list {
	struct office *c;
	struct list open, done;
	long long seen, first; /* reports walked so far; the first one this page shows */
	int64_t want;	       /* review: the report looked for */
	int64_t ward_id;       /* its ward, once found */
	bool found;
};

static enum mc_err permit_number_cb(void *ctx, const struct mc_permit *p)
{
	return mc_tobj_str(ctx, "permit_number", p->number);
}

/* A report as the staff list and the supervisors' permit page show it. */
enum mc_err reports_item(struct mc_tobj *o, const struct mc_report *rep)
{
	enum mc_err err;

	if ((err = mc_tobj_str(o, "ref", rep->ref)) != MC_OK ||
	    (err = mc_tobj_str(o, "category", mc_label_of(mc_report_categories, rep->category))) !=
		MC_OK ||
	    (err = mc_tobj_str(o, "description", rep->description)) != MC_OK ||
	    (err = mc_tobj_str(o, "erased", rep->erased_at)) != MC_OK ||
	    (err = mc_tobj_str(o, "contact", rep->contact)) != MC_OK ||
	    (err = mc_tobj_str(o, "photo", rep->photo_sha256)) != MC_OK ||
	    (err = mc_tobj_str(o, "created", rep->created_at)) != MC_OK ||
	    (err = mc_tobj_str(o, "reviewed", rep->reviewed_at)) != MC_OK ||
	    (err = mc_tobj_str(o, "opened", rep->opened_at)) != MC_OK ||
	    (err = mc_tobj_str(o, "public_reply", rep->public_reply)) != MC_OK ||
	    (err = mc_tobj_str(o, "replied", rep->replied_at)) != MC_OK)
		return err;
	return mc_tobj_str(o, "review_note", rep->review_note);
}

static enum mc_err report_item_cb(void *ctx, const struct mc_report *rep)
{
	struct report_list *rl = ctx;
	struct office *c = rl->c;
	struct mc_tobj *o;
	enum mc_err err;

	/* The walk counts them all; only this page's become items. */
	if (rl->seen++ < rl->first || rl->seen > rl->first + REPORTS_PAGE)
		return MC_OK;
	if (!(o = page_list_push(rep->reviewed_at ? &rl->done : &rl->open)))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)rep->id)) != MC_OK ||
	    (err = mc_tobj_strf(o, "permit_id", "%lld", (long long)rep->permit_id)) != MC_OK ||
	    (err = reports_item(o, rep)) != MC_OK ||
	    (err = mc_tobj_bool(o, "can_review",
				!rep->reviewed_at && mc_session_can_write(&c->u, rep->ward_id))) !=
		MC_OK ||
	    (err = mc_tobj_bool(o, "can_reply", mc_session_can_write(&c->u, rep->ward_id))) !=
		MC_OK ||
	    (err = mc_tobj_bool(o, "can_erase",
				!rep->erased_at && mc_session_can_write(&c->u, rep->ward_id))) !=
		MC_OK)
		return err;
	err = mc_store_permit_get(c->wr, rep->permit_id, permit_number_cb, o);
	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

static enum mc_err reports_page(struct office *c)
{
	long long page = lists_page_asked(c);
	struct report_list rl = {.c = c, .first = (page - 1) * REPORTS_PAGE};
	int64_t ward_id = mc_session_all_wards(&c->u) ? 0 : c->u.ward_id;
	enum mc_err err;

	if (!page)
		return page_message(c, 400, "Số trang không hợp lệ", "Trang phải là một số từ 1.");
	if ((err = page_start(c, "Phản ánh của người dân")) != MC_OK)
		return err;
	rl.open = (struct list){c->root, "open", NULL};
	rl.done = (struct list){c->root, "done", NULL};
	if (ward_id == 0 && !mc_session_all_wards(&c->u))
		return page_show(c, "staff_reports", 200);
	if ((err = mc_store_report_each(c->wr, ward_id, report_item_cb, &rl)) != MC_OK)
		return err;
	if (rl.first >= rl.seen && page > 1)
		return page_message(c, 404, "Không có trang này", "Danh sách không dài đến vậy.");
	if ((err = lists_pager(c, page, rl.seen, REPORTS_PAGE)) != MC_OK)
		return err;
	return page_show(c, "staff_reports", 200);
}

static enum mc_err report_find_cb(void *ctx, const struct mc_report *rep)
{
	struct report_list *rl = ctx;

	if (rep->id != rl->want)
		return MC_OK;
	rl->found = true;
	rl->ward_id = rep->ward_id;
	return MC_ERR_EXISTS; /* found: stop the walk */
}

/* One posted text of the review form, checked; *out owned (never NULL) on MC_OK. */
static enum mc_err posted_text(struct office *c, const char *name, char **out, char msg[160])
{
	size_t len = 0;
	const char *raw = mc_fields_raw(c->rq->form, name, &len);

	return mc_fields_clean(raw ? raw : "", len, TEXT_MAX, true, out, msg);
}

/* done: mark the report reviewed (/review); else save the answer and keep it under review
 * (/reply). The review form without a reply field (as it was before replies) only reviews. */
static enum mc_err report_answer(struct office *c, int64_t id, bool done)
{
	struct report_list rl = {.c = c, .want = id};
	size_t len;
	bool with_reply = mc_fields_raw(c->rq->form, "reply", &len) != NULL;
	char msg[160], *note = NULL, *reply = NULL;
	enum mc_err err = mc_store_report_each(c->wr, 0, report_find_cb, &rl);

	if (err != MC_OK && err != MC_ERR_EXISTS)
		return err;
	if (!rl.found)
		return page_not_found(c);
	if (!mc_session_can_write(&c->u, rl.ward_id))
		return page_forbidden(c);
	err = posted_text(c, "note", &note, msg);
	if (err == MC_OK)
		err = posted_text(c, "reply", &reply, msg);
	if (err == MC_ERR_INVALID)
		err = page_refuse(c, msg, "/staff/reports");
	else if (err == MC_OK && done && !with_reply)
		err = mc_store_report_review(c->wr, id, note[0] ? note : NULL);
	else if (err == MC_OK)
		err = mc_store_report_answer(c->wr, id, reply[0] ? reply : NULL,
					     note[0] ? note : NULL, done);
	if (err == MC_ERR_GONE)
		err = page_refuse(c, "Phản ánh này đã được xử lý trước đó.", "/staff/reports");
	else if (err == MC_OK && c->r->status != 422)
		err = page_redirect(c, "/staff/reports#r-%lld", (long long)id);
	free(note);
	free(reply);
	return err;
}

struct erase_target {
	int64_t ward_id;
	char ref[32];
};

static enum mc_err erase_target_cb(void *ctx, const struct mc_report *rep)
{
	struct erase_target *t = ctx;

	t->ward_id = rep->ward_id;
	snprintf(t->ref, sizeof(t->ref), "%s", rep->ref);
	return MC_OK;
}

/* Erases a resident's words, contact and photo on their request (Decree 13/2023): the
 * form confirms by the report's reference. The audit trail keeps what it held, sealed, and
 * an entry for the erasure. */
static enum mc_err report_erase(struct office *c, int64_t id)
{
	struct erase_target t = {0};
	const char *confirm = mc_form_get(c->rq->form, "confirm");
	char photo[65], path[4096];
	enum mc_err err = mc_store_report_get(c->wr, id, erase_target_cb, &t);

	if (err == MC_ERR_NOTFOUND)
		return page_not_found(c);
	if (err != MC_OK)
		return err;
	if (!mc_session_can_write(&c->u, t.ward_id))
		return page_forbidden(c);
	if (!confirm || strcmp(confirm, t.ref))
		return page_refuse(c,
				   "Vui lòng đánh dấu ô xác nhận để xoá dữ liệu cá nhân của phản "
				   "ánh này.",
				   "/staff/reports");
	err = mc_store_report_erase(c->wr, id, photo);
	if (err == MC_ERR_GONE)
		return page_refuse(c, "Dữ liệu cá nhân của phản ánh này đã được xoá trước đó.",
				   "/staff/reports");
	if (err != MC_OK)
		return err;
	/* Beside a SQLite database the photo is a file of its own; no record names it now. */
	if (photo[0] && c->st->files_dir &&
	    (size_t)snprintf(path, sizeof(path), "%s/%s", c->st->files_dir, photo) < sizeof(path))
		unlink(path);
	/* On PostgreSQL, this node's copy for downloads; other nodes' go within a day. */
	if (photo[0])
		mc_upload_spool_forget(c->st->uploads.downloads, photo);
	return page_redirect(c, "/staff/reports#r-%lld", (long long)id);
}

enum mc_err mc_office_reports(struct mc_call *call)
{
	return reports_page(call->scope);
}

enum mc_err mc_office_report_review(struct mc_call *call)
{
	return report_answer(call->scope, call->id, true);
}

enum mc_err mc_office_report_reply(struct mc_call *call)
{
	return report_answer(call->scope, call->id, false);
}

enum mc_err mc_office_report_erase(struct mc_call *call)
{
	return report_erase(call->scope, call->id);
}
