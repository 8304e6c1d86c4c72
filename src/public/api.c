/* GET /api/v1/codes/TOKEN: a code and its record as JSON (jansson). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* Adds key: string or null; text that jansson refuses (not UTF-8) becomes null too. */
static int jstr(json_t *o, const char *key, const char *val)
{
	json_t *j = val ? json_string(val) : NULL;

	return json_object_set_new(o, key, j ? j : json_null());
}

static int jstrs(json_t *o, const struct kv *v, size_t n)
{
	int bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bad |= jstr(o, v[i].key, v[i].val);
	return bad;
}

/* A multi-line field as an array of its non-empty lines. */
static int jlines(json_t *o, const char *key, const char *text)
{
	json_t *a = json_array();
	const char *line;
	size_t len;
	int bad = 0;

	if (!a)
		return -1;
	while (next_line(&text, &line, &len))
		if (len > 0)
			bad |= json_array_append_new(a, json_stringn(line, len));
	return bad | json_object_set_new(o, key, a);
}

static enum mc_err json_send(json_t *j, int status, struct mc_response *r)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	enum mc_err err;

	json_decref(j);
	if (!s)
		return MC_ERR_NOMEM;
	mc_buf_reset(&r->body);
	err = mc_buf_puts(&r->body, s);
	free(s);
	r->status = status;
	r->content_type = JSON_TYPE;
	r->cache = NULL;
	r->etag[0] = '\0';
	return err;
}

static enum mc_err json_error(int status, const char *msg, const struct code_info *ci,
			      struct mc_response *r)
{
	json_t *j = json_object();
	int bad;

	if (!j)
		return MC_ERR_NOMEM;
	bad = jstr(j, "error", msg);
	if (ci) {
		bad |= jstr(j, "token", ci->token);
		bad |= jstr(j, "status", "revoked");
		bad |= jstr(j, "replaced_by", ci->replaced_by[0] ? ci->replaced_by : NULL);
	}
	if (bad) {
		json_decref(j);
		return MC_ERR_NOMEM;
	}
	return json_send(j, status, r);
}

/* State shared by the API callbacks: the record being built and the ward's slug. */
struct api {
	struct mc_store *s;
	json_t *ward;
	json_t *rec;
	json_t *list;
	char slug[SLUG_MAX + 1];
	char today[MC_DATE_LEN + 1];
	struct mc_buf scratch;
	bool bad;
};

static enum mc_err api_ward_cb(void *ctx, const struct mc_ward *w)
{
	struct api *a = ctx;
	const struct kv v[] = {{"slug", w->slug},   {"name", w->name},	 {"address", w->address},
			       {"phone", w->phone}, {"hours", w->hours}, {"intro", w->intro}};

	snprintf(a->slug, sizeof(a->slug), "%s", w->slug);
	a->bad |= json_object_set_new(a->ward, "id", json_integer(w->id)) != 0;
	a->bad |= jstrs(a->ward, v, sizeof(v) / sizeof(v[0])) != 0;
	a->bad |= json_object_set_new(a->ward, "sample", json_boolean(w->sample)) != 0;
	return MC_OK;
}

static enum mc_err api_ann_cb(void *ctx, const struct mc_announcement *an)
{
	struct api *a = ctx;
	const struct kv v[] = {{"title", an->title},
			       {"body", an->body},
			       {"published_on", an->published_on},
			       {"expires_on", an->expires_on},
			       {"updated_at", an->updated_at}};

	a->bad |= json_object_set_new(a->rec, "id", json_integer(an->id)) != 0;
	a->bad |= jstrs(a->rec, v, sizeof(v) / sizeof(v[0])) != 0;
	return MC_OK;
}

static enum mc_err api_proc_cb(void *ctx, const struct mc_procedure *p)
{
	struct api *a = ctx;
	struct kv v[PROCEDURE_KV_MAX + 1];
	size_t n = procedure_kv(p, v);

	v[n++] = (struct kv){"updated_at", p->updated_at};
	a->bad |= json_object_set_new(a->rec, "id", json_integer(p->id)) != 0;
	a->bad |= jstrs(a->rec, v, n) != 0;
	a->bad |= jlines(a->rec, "steps", p->steps) != 0;
	a->bad |= jlines(a->rec, "legal_basis", p->legal_basis) != 0;
	return MC_OK;
}

static enum mc_err api_doc_cb(void *ctx, const struct mc_document *d)
{
	struct api *a = ctx;
	json_t *j =
	    json_pack("{s:s,s:s?,s:i,s:i}", "kind", d->kind == MC_DOC_FORM ? "form" : "paper",
		      "name", d->name, "originals", d->originals, "copies", d->copies);

	a->bad |= json_array_append_new(a->list, j) != 0;
	return MC_OK;
}

static enum mc_err api_permit_cb(void *ctx, const struct mc_permit *p)
{
	struct api *a = ctx;
	enum mc_permit_verdict vd = permit_verdict(p, a->today);
	const struct kv v[] = {
	    {"number", p->number},
	    {"kind", p->kind},
	    {"address", p->address},
	    {"scope", p->scope},
	    {"contractor", p->contractor},
	    {"office", p->office},
	    {"issued_on", p->issued_on},
	    {"starts_on", p->starts_on},
	    {"ends_on", p->ends_on},
	    {"status", p->status},
	    {"status_reason", p->status_reason},
	    {"updated_at", p->updated_at},
	    {"verdict", mc_permit_verdict_name(vd)},
	};

	mc_buf_reset(&a->scratch);
	if (p->owner_name && mc_utf8_mask_name(p->owner_name, &a->scratch) != MC_OK)
		mc_buf_reset(&a->scratch);
	a->bad |= json_object_set_new(a->rec, "id", json_integer(p->id)) != 0;
	a->bad |= jstrs(a->rec, v, sizeof(v) / sizeof(v[0])) != 0;
	a->bad |= jstr(a->rec, "owner", a->scratch.len ? a->scratch.data : NULL) != 0;
	a->bad |= json_object_set_new(a->rec, "floors", json_integer(p->floors)) != 0;
	a->bad |= json_object_set_new(a->rec, "area_m2", json_real(p->area_m2)) != 0;
	a->bad |= json_object_set_new(a->rec, "height_m", json_real(p->height_m)) != 0;
	a->bad |= json_object_set_new(a->rec, "allowed_today",
				      json_boolean(vd == MC_VERDICT_ALLOWED)) != 0;
	return MC_OK;
}

static enum mc_err api_insp_cb(void *ctx, const struct mc_inspection *i)
{
	struct api *a = ctx;
	json_t *j = json_object();

	if (j) {
		const struct kv v[] = {{"on_date", i->on_date},
				       {"inspector", i->inspector},
				       {"result", i->result},
				       {"note", i->note}};
		a->bad |= jstrs(j, v, sizeof(v) / sizeof(v[0])) != 0;
	}
	a->bad |= json_array_append_new(a->list, j) != 0;
	return MC_OK;
}

/* Reads the record behind ci into a->rec (the ward's own record for a ward code) and says
 * which URL section it lives under (NULL for the ward home). */
static enum mc_err api_record(struct api *a, const struct code_info *ci, const char **section)
{
	int64_t id = ci->target_id;
	enum mc_err err;

	*section = NULL;
	if (strcmp(ci->kind, MC_KIND_WARD) == 0) {
		a->rec = json_incref(a->ward);
		return MC_OK;
	}
	if (!(a->rec = json_object()) || !(a->list = json_array()))
		return MC_ERR_NOMEM;
	a->bad |= json_object_set(a->rec, "ward", a->ward) != 0;
	if (strcmp(ci->kind, MC_KIND_PROCEDURE) == 0) {
		*section = "procedures";
		if ((err = mc_store_procedure_get(a->s, id, api_proc_cb, a)) != MC_OK)
			return err;
		a->bad |= json_object_set(a->rec, "documents", a->list) != 0;
		return mc_store_procedure_documents(a->s, id, api_doc_cb, a);
	}
	if (strcmp(ci->kind, MC_KIND_ANNOUNCEMENT) == 0) {
		*section = "announcements";
		return mc_store_announcement_get(a->s, id, api_ann_cb, a);
	}
	if (strcmp(ci->kind, MC_KIND_PERMIT) == 0) {
		*section = "permits";
		if ((err = mc_store_permit_get(a->s, id, api_permit_cb, a)) != MC_OK)
			return err;
		a->bad |= json_object_set(a->rec, "inspections", a->list) != 0;
		return mc_store_permit_inspections(a->s, id, api_insp_cb, a);
	}
	return MC_ERR_NOTFOUND;
}

static enum mc_err api_build(struct mc_pages *p, struct api *a, const struct code_info *ci,
			     json_t **out)
{
	const char *section = NULL;
	json_t *j = json_object(), *url;
	enum mc_err err;

	if (!j || !(a->ward = json_object()))
		goto nomem;
	/* The ward comes first: every URL needs its slug. */
	if ((err = mc_store_ward_by_id(a->s, ci->ward_id, api_ward_cb, a)) != MC_OK ||
	    (err = api_record(a, ci, &section)) != MC_OK)
		goto fail;
	if (section)
		url = json_sprintf("%s/w/%s/%s/%" PRId64, p->base_url, a->slug, section,
				   ci->target_id);
	else
		url = json_sprintf("%s/w/%s", p->base_url, a->slug);
	a->bad |= jstr(j, "token", ci->token) != 0;
	a->bad |= jstr(j, "kind", ci->kind) != 0;
	a->bad |= jstr(j, "status", "active") != 0;
	a->bad |= json_object_set_new(j, "replaced_by", json_null()) != 0;
	a->bad |= json_object_set_new(j, "url", url) != 0;
	a->bad |= json_object_set(j, "record", a->rec) != 0;
	if (a->bad)
		goto nomem;
	*out = j;
	return MC_OK;
nomem:
	err = MC_ERR_NOMEM;
fail:
	json_decref(j);
	return err;
}

static enum mc_err api_answer(struct mc_pages *p, struct mc_store *s, const char *token,
			      struct mc_response *r)
{
	struct api a = {.s = s};
	struct code_info ci;
	json_t *j = NULL;
	enum mc_err err = code_resolve(s, token, &ci);

	switch (err) {
	case MC_OK:
		break;
	case MC_ERR_INVALID:
	case MC_ERR_NOTFOUND:
		return json_error(404, MSG_CODE_UNKNOWN, NULL, r);
	case MC_ERR_CHECK:
		return json_error(404, MSG_CODE_MISTYPED, NULL, r);
	case MC_ERR_GONE:
		return json_error(410, MSG_CODE_GONE, &ci, r);
	default:
		return err;
	}
	mc_buf_init(&a.scratch);
	mc_date_today(a.today);
	err = api_build(p, &a, &ci, &j);
	json_decref(a.ward);
	json_decref(a.rec);
	json_decref(a.list);
	mc_buf_finish(&a.scratch);
	if (err == MC_ERR_NOTFOUND)
		return json_error(404, MSG_CODE_UNKNOWN, NULL, r);
	if (err != MC_OK)
		return err;
	return json_send(j, 200, r);
}

enum mc_err mc_pages_api_code(struct mc_call *c)
{
	return api_answer(c->site->pages, c->s, c->arg, c->r);
}
