/* The rules of a procedure or announcement form beyond each field's own: document lines,
 * the procedure code (mã TTHC), a key no other record of the ward has, and date order. */
#include <stdlib.h>
#include <string.h>

#include "motcham/domain/check.h"
#include "motcham/store/store.h"
#include "motcham/web/fields.h"
#include "private.h"

/* One document line, by the rule the CSV import uses too (domain/check.h). Returns a message
 * for a bad line, NULL when fine. */
static const char *parse_doc(char *line, struct mc_document *d)
{
	struct mc_doc_line dl;

	switch (mc_check_doc_line(line, &dl)) {
	case MC_DOC_LINE_SHAPE:
		return "viết theo mẫu: Tên | số bản chính | số bản sao.";
	case MC_DOC_LINE_NO_NAME:
		return "thiếu tên giấy tờ.";
	case MC_DOC_LINE_ORIGINALS:
	case MC_DOC_LINE_COPIES:
		return "số bản chính và số bản sao phải là số từ 0 đến 20.";
	case MC_DOC_LINE_OK:
		break;
	}
	d->name = dl.name;
	d->originals = dl.originals;
	d->copies = dl.copies;
	return NULL;
}

static enum mc_err parse_docs(struct mc_fields *f, const char *name, enum mc_doc_kind kind,
			      struct docs *d)
{
	const char *text = mc_fields_get(f, name), *msg;
	char *line, *next;
	int k = 0;

	if (!text || !mc_fields_ok(f, name))
		return MC_OK;
	if (!(d->copy[kind] = strdup(text)))
		return MC_ERR_NOMEM;
	for (line = d->copy[kind]; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		k++;
		if (!*mc_check_trim(line))
			continue;
		if (d->n == DOCS_MAX)
			return mc_fields_fail(f, name, "Nhiều nhất %d giấy tờ và mẫu đơn.",
					      DOCS_MAX);
		if ((msg = parse_doc(line, &d->v[d->n])) != NULL)
			return mc_fields_fail(f, name, "Dòng %d: %s", k, msg);
		d->v[d->n++].kind = kind;
	}
	return MC_OK;
}

void record_docs_finish(struct docs *d)
{
	free(d->copy[0]);
	free(d->copy[1]);
}

struct key_find {
	const char *key;
	int64_t id;
};

static enum mc_err proc_key_cb(void *ctx, const struct mc_procedure *p)
{
	struct key_find *kf = ctx;

	if (p->tthc_code && !strcmp(p->tthc_code, kf->key))
		kf->id = p->id;
	return MC_OK;
}

static enum mc_err ann_key_cb(void *ctx, const struct mc_announcement *a)
{
	struct key_find *kf = ctx;

	if (a->title && !strcmp(a->title, kf->key))
		kf->id = a->id;
	return MC_OK;
}

/* Procedures are known by (ward, mã TTHC) and announcements by (ward, title): a key, new or
 * edited, must not be another record's. */
static enum mc_err check_key(struct office *c, const struct kind *k, struct mc_fields *f,
			     int64_t ward_id, const struct rec *current)
{
	const char *name = k->procedure ? "tthc_code" : "title";
	struct key_find kf = {.key = mc_fields_get(f, name)};
	enum mc_err err;

	if (!mc_fields_ok(f, name))
		return MC_OK;
	if (k->procedure && !mc_check_tthc(kf.key))
		return mc_fields_fail(f, name, "%s",
				      "Mã TTHC gồm các số cách nhau bởi dấu chấm, ví dụ 1.001193.");
	err = k->procedure ? mc_store_procedure_each_all(c->wr, ward_id, proc_key_cb, &kf)
			   : mc_store_announcement_each(c->wr, ward_id, ann_key_cb, &kf);
	if (err != MC_OK)
		return err;
	if (kf.id && (!current || kf.id != current->id))
		return mc_fields_fail(f, name, "%s",
				      k->procedure ? "Phường đã có thủ tục với mã này."
						   : "Phường đã có thông báo với tiêu đề này.");
	return MC_OK;
}

enum mc_err record_check(struct office *c, const struct kind *k, struct mc_fields *f,
			 int64_t ward_id, const struct rec *current, struct docs *d)
{
	enum mc_err err;

	if ((err = check_key(c, k, f, ward_id, current)) != MC_OK)
		return err;
	if (!k->procedure)
		return forms_check_dates(f, "published_on", "expires_on",
					 "Ngày hết hiệu lực không được trước ngày đăng.");
	if ((err = parse_docs(f, "documents", MC_DOC_PAPER, d)) != MC_OK)
		return err;
	return parse_docs(f, "forms", MC_DOC_FORM, d);
}
