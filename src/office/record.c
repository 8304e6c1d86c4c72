/* Procedures and announcements: two kinds of record kept with the same pages (new, show,
 * create, update, retire), told apart by their struct kind. */
#include <stdio.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/base/token.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/fields.h"
#include "motcham/web/request.h"
#include "private.h"

#define DOCS_HINT "Mỗi dòng một mục: Tên | số bản chính | số bản sao, ví dụ: Tờ khai | 1 | 0."

static const struct mc_field_spec proc_spec[] = {
    {"tthc_code", "Mã thủ tục (mã TTHC)", MC_F_LINE, true, 0, 32, NULL, "Ví dụ 1.001193."},
    {"title", "Tên thủ tục", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"field", "Lĩnh vực", MC_F_LINE, true, 0, 0, NULL, "Ví dụ: Hộ tịch."},
    {"level", "Cấp thực hiện", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"steps", "Trình tự thực hiện", MC_F_TEXT, true, 0, 0, NULL, "Mỗi bước một dòng."},
    {"ways", "Cách thức thực hiện", MC_F_LINE, false, 0, 0, NULL,
     "Trực tiếp, trực tuyến hoặc qua bưu chính."},
    {"place", "Nơi nộp hồ sơ", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"documents", "Thành phần hồ sơ (giấy tờ)", MC_F_TEXT, false, 0, 0, NULL, DOCS_HINT},
    {"forms", "Mẫu đơn, tờ khai", MC_F_TEXT, false, 0, 0, NULL, DOCS_HINT},
    {"who", "Đối tượng thực hiện", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"conditions", "Yêu cầu, điều kiện", MC_F_TEXT, false, 0, 0, NULL, NULL},
    {"duration", "Thời hạn giải quyết", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"fees", "Phí, lệ phí", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"office", "Cơ quan giải quyết", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"result", "Kết quả thực hiện", MC_F_LINE, false, 0, 0, NULL, NULL},
    {"legal_basis", "Căn cứ pháp lý", MC_F_TEXT, false, 0, 0, NULL, "Mỗi văn bản một dòng."},
    {"online_url", "Đường dẫn nộp trực tuyến", MC_F_URL, false, 0, 0, NULL,
     "Để trống nếu không nộp trực tuyến được."},
};

#define PROC_N (sizeof(proc_spec) / sizeof(proc_spec[0]))

static const struct mc_field_spec ann_spec[] = {
    {"title", "Tiêu đề", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"body", "Nội dung", MC_F_TEXT, true, 0, 0, NULL, NULL},
    {"published_on", "Ngày đăng", MC_F_DATE, true, 0, 0, NULL, NULL},
    {"expires_on", "Hết hiệu lực sau ngày", MC_F_DATE, false, 0, 0, NULL,
     "Để trống nếu không có hạn."},
};

#define ANN_N (sizeof(ann_spec) / sizeof(ann_spec[0]))

static enum mc_err proc_rec_cb(void *ctx, const struct mc_procedure *p)
{
	struct rec *r = ctx;
	const char *const v[][2] = {
	    {"tthc_code", p->tthc_code},
	    {"title", p->title},
	    {"field", p->field},
	    {"level", p->level},
	    {"steps", p->steps},
	    {"ways", p->ways},
	    {"place", p->place},
	    {"who", p->who},
	    {"conditions", p->conditions},
	    {"duration", p->duration},
	    {"fees", p->fees},
	    {"office", p->office},
	    {"result", p->result},
	    {"legal_basis", p->legal_basis},
	    {"online_url", p->online_url},
	};
	enum mc_err err = MC_OK;

	r->found = true;
	r->id = p->id;
	r->ward_id = p->ward_id;
	snprintf(r->key, sizeof(r->key), "%s", p->tthc_code ? p->tthc_code : "");
	snprintf(r->retired, sizeof(r->retired), "%s", p->retired_at ? p->retired_at : "");
	for (size_t i = 0; r->f && err == MC_OK && i < sizeof(v) / sizeof(v[0]); i++)
		err = mc_fields_set(r->f, v[i][0], v[i][1]);
	return err;
}

static enum mc_err doc_line_cb(void *ctx, const struct mc_document *d)
{
	struct rec *r = ctx;
	struct mc_buf *b = &r->docs[d->kind == MC_DOC_FORM ? 1 : 0];

	return mc_buf_printf(b, "%s%s | %d | %d", b->len ? "\n" : "", d->name, d->originals,
			     d->copies);
}

static enum mc_err ann_rec_cb(void *ctx, const struct mc_announcement *a)
{
	struct rec *r = ctx;
	enum mc_err err = MC_OK;

	r->found = true;
	r->id = a->id;
	r->ward_id = a->ward_id;
	snprintf(r->key, sizeof(r->key), "%s", a->title ? a->title : "");
	snprintf(r->retired, sizeof(r->retired), "%s", a->retired_at ? a->retired_at : "");
	if (r->f && (err = mc_fields_set(r->f, "title", a->title)) == MC_OK &&
	    (err = mc_fields_set(r->f, "body", a->body)) == MC_OK &&
	    (err = mc_fields_set(r->f, "published_on", a->published_on)) == MC_OK)
		err = mc_fields_set(r->f, "expires_on", a->expires_on);
	return err;
}

const struct kind record_procedure = {
    "/staff/procedures", MC_KIND_PROCEDURE, "Thủ tục", "Thủ tục mới", proc_spec, PROC_N, true};

const struct kind record_announcement = {"/staff/announcements",
					 MC_KIND_ANNOUNCEMENT,
					 "Thông báo",
					 "Thông báo mới",
					 ann_spec,
					 ANN_N,
					 false};

void record_init(struct rec *r, struct mc_fields *f)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	mc_buf_init(&r->docs[0]);
	mc_buf_init(&r->docs[1]);
}

void record_finish(struct rec *r)
{
	mc_buf_finish(&r->docs[0]);
	mc_buf_finish(&r->docs[1]);
}

/* Loads a record and checks access as permit_load does. */
enum mc_err record_load(struct office *c, const struct kind *k, int64_t id, bool write,
			struct rec *r, bool *shown)
{
	enum mc_err err = k->procedure ? mc_store_procedure_get(c->wr, id, proc_rec_cb, r)
				       : mc_store_announcement_get(c->wr, id, ann_rec_cb, r);

	if ((err = page_access(c, err, r->found, r->ward_id, write, shown)) != MC_OK || *shown)
		return err;
	if (k->procedure && r->f)
		err = mc_store_procedure_documents(c->wr, id, doc_line_cb, r);
	if (err == MC_OK && k->procedure && r->f &&
	    (err = mc_fields_set(r->f, "documents", r->docs[0].data)) == MC_OK)
		err = mc_fields_set(r->f, "forms", r->docs[1].data);
	return err;
}

static enum mc_err record_page(struct office *c, const struct kind *k, const struct rec *r,
			       const struct mc_fields *f, int status)
{
	bool can_write = mc_session_can_write(&c->u, r->ward_id);
	struct mc_tobj *w;
	enum mc_err err;

	if ((err = page_start(c, k->noun)) != MC_OK)
		return err;
	if (!(w = mc_tobj_obj(c->root, "where")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(c->root, "heading", "%s: %s", k->noun, r->key)) != MC_OK ||
	    (err = mc_store_ward_by_id(c->wr, r->ward_id, wards_name_cb, w)) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "action", "%s/%lld", k->path, (long long)r->id)) !=
		MC_OK ||
	    (err = mc_tobj_bool(c->root, "can_write", can_write)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "has_errors", f->nerr > 0)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "retired_on", r->retired[0] ? r->retired : NULL)) !=
		MC_OK ||
	    (err = forms_fields(c, f, NULL)) != MC_OK ||
	    (err = codes_add(c, k->code, r->id)) != MC_OK)
		return err;
	if (can_write && !r->retired[0] &&
	    (err = mc_tobj_strf(c->root, "retire_action", "%s/%lld/retire", k->path,
				(long long)r->id)) != MC_OK)
		return err;
	if (k->procedure &&
	    (err = mc_tobj_strf(c->root, "print_link", "/staff/print/procedures/%lld",
				(long long)r->id)) != MC_OK)
		return err;
	if ((err = mc_tobj_str(c->root, "public_kind",
			       k->procedure ? "procedures" : "announcements")) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "id", "%lld", (long long)r->id)) != MC_OK)
		return err;
	return page_show(c, "staff_form", status);
}

/* Saves a new record (rec_id 0) or the record rec_id, key included. */
static enum mc_err save_rec(struct office *c, const struct kind *k, const struct mc_fields *f,
			    int64_t ward_id, int64_t rec_id, const struct docs *d, int64_t *id)
{
	struct mc_procedure p = {.id = rec_id, .ward_id = ward_id};
	struct mc_announcement a = {.id = rec_id, .ward_id = ward_id};

	if (!k->procedure) {
		a.title = mc_fields_get(f, "title");
		a.body = mc_fields_get(f, "body");
		a.published_on = mc_fields_get(f, "published_on");
		a.expires_on = mc_fields_get(f, "expires_on");
		return mc_store_announcement_upsert(c->wr, &a, id, NULL);
	}
	p.tthc_code = mc_fields_get(f, "tthc_code");
	p.title = mc_fields_get(f, "title");
	p.field = mc_fields_get(f, "field");
	p.level = mc_fields_get(f, "level");
	p.steps = mc_fields_get(f, "steps");
	p.ways = mc_fields_get(f, "ways");
	p.place = mc_fields_get(f, "place");
	p.who = mc_fields_get(f, "who");
	p.conditions = mc_fields_get(f, "conditions");
	p.duration = mc_fields_get(f, "duration");
	p.fees = mc_fields_get(f, "fees");
	p.office = mc_fields_get(f, "office");
	p.result = mc_fields_get(f, "result");
	p.legal_basis = mc_fields_get(f, "legal_basis");
	p.online_url = mc_fields_get(f, "online_url");
	return mc_store_procedure_upsert(c->wr, &p, d->v, d->n, id, NULL);
}

static enum mc_err rec_create(struct office *c, const struct kind *k)
{
	struct docs d = {.n = 0};
	struct mc_fields f;
	char token[MC_TOKEN_LEN + 1];
	const char *ward_error;
	int64_t ward_id, id = 0;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, k->spec, k->n);
	if ((err = forms_ward(c, &ward_id, &ward_error, &shown)) != MC_OK || shown)
		goto out;
	if ((err = mc_fields_read(&f, c->rq->form)) != MC_OK ||
	    (!ward_error && (err = record_check(c, k, &f, ward_id, NULL, &d)) != MC_OK))
		goto out;
	if (f.nerr || ward_error) {
		err = forms_new(c, k->new_heading, k->path, &f, ward_id, ward_error, 422);
		goto out;
	}
	if ((err = mc_store_begin(c->wr)) != MC_OK)
		goto out;
	err = save_rec(c, k, &f, ward_id, 0, &d, &id);
	if (err == MC_OK)
		err = mc_store_code_ensure(c->wr, k->code, id, token, NULL);
	if ((err = forms_commit(c, err)) == MC_OK)
		err = page_redirect(c, "%s/%lld", k->path, (long long)id);
out:
	record_docs_finish(&d);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err rec_update(struct office *c, const struct kind *k, int64_t id)
{
	struct docs d = {.n = 0};
	struct mc_fields f;
	struct rec r;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, k->spec, k->n);
	record_init(&r, NULL);
	if ((err = record_load(c, k, id, true, &r, &shown)) != MC_OK || shown)
		goto out;
	if ((err = mc_fields_read(&f, c->rq->form)) != MC_OK ||
	    (err = record_check(c, k, &f, r.ward_id, &r, &d)) != MC_OK)
		goto out;
	if (f.nerr) {
		err = record_page(c, k, &r, &f, 422);
		goto out;
	}
	if ((err = save_rec(c, k, &f, r.ward_id, id, &d, NULL)) == MC_OK)
		err = page_redirect(c, "%s/%lld", k->path, (long long)id);
out:
	record_finish(&r);
	record_docs_finish(&d);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err rec_retire(struct office *c, const struct kind *k, int64_t id)
{
	struct rec r;
	bool shown;
	enum mc_err err;

	record_init(&r, NULL);
	if ((err = record_load(c, k, id, true, &r, &shown)) != MC_OK || shown)
		goto out;
	err = k->procedure ? mc_store_procedure_retire(c->wr, id)
			   : mc_store_announcement_retire(c->wr, id);
	/* Retiring twice changes nothing: the record page says since when. */
	if (err == MC_OK || err == MC_ERR_GONE)
		err = page_redirect(c, "%s/%lld", k->path, (long long)id);
out:
	record_finish(&r);
	return err;
}

static enum mc_err rec_show(struct office *c, const struct kind *k, int64_t id)
{
	struct mc_fields f;
	struct rec r;
	bool shown;
	enum mc_err err;

	mc_fields_init(&f, k->spec, k->n);
	record_init(&r, &f);
	if ((err = record_load(c, k, id, false, &r, &shown)) == MC_OK && !shown)
		err = record_page(c, k, &r, &f, 200);
	record_finish(&r);
	mc_fields_finish(&f);
	return err;
}

static enum mc_err rec_new(struct office *c, const struct kind *k)
{
	struct mc_fields f;
	int64_t ward_id;
	enum mc_err err;

	mc_fields_init(&f, k->spec, k->n);
	err = wards_current(c, c->rq->lookup(c->rq, MC_REQ_ARG, "ward"), &ward_id);
	if (err == MC_OK && !k->procedure)
		err = mc_fields_set(&f, "published_on", c->today);
	if (err == MC_OK && !mc_session_can_write(&c->u, ward_id))
		err = page_forbidden(c);
	else if (err == MC_OK)
		err = forms_new(c, k->new_heading, k->path, &f, ward_id, NULL, 200);
	mc_fields_finish(&f);
	return err;
}

enum mc_err mc_office_procedure_create(struct mc_call *call)
{
	return rec_create(call->scope, &record_procedure);
}

enum mc_err mc_office_procedure_new(struct mc_call *call)
{
	return rec_new(call->scope, &record_procedure);
}

enum mc_err mc_office_procedure_show(struct mc_call *call)
{
	return rec_show(call->scope, &record_procedure, call->id);
}

enum mc_err mc_office_procedure_update(struct mc_call *call)
{
	return rec_update(call->scope, &record_procedure, call->id);
}

enum mc_err mc_office_procedure_retire(struct mc_call *call)
{
	return rec_retire(call->scope, &record_procedure, call->id);
}

enum mc_err mc_office_announcement_create(struct mc_call *call)
{
	return rec_create(call->scope, &record_announcement);
}

enum mc_err mc_office_announcement_new(struct mc_call *call)
{
	return rec_new(call->scope, &record_announcement);
}

enum mc_err mc_office_announcement_show(struct mc_call *call)
{
	return rec_show(call->scope, &record_announcement, call->id);
}

enum mc_err mc_office_announcement_update(struct mc_call *call)
{
	return rec_update(call->scope, &record_announcement, call->id);
}

enum mc_err mc_office_announcement_retire(struct mc_call *call)
{
	return rec_retire(call->scope, &record_announcement, call->id);
}
