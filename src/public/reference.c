/* GET /r/REF and /r?ref=REF: where a resident follows up a report by the reference number
 * the receipt gave. The page says where the report stands (received, being reviewed,
 * reviewed), when, and the ward's public reply; never what the resident wrote, their contact
 * or their photo: anyone holding the number may open it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "private.h"

#define REF_PREFIX "PA-"
#define REF_DATA 8

/* Reads a reference as typed: any case, '-' and spaces ignored, the "PA" prefix optional, O
 * read as 0 and I, L as 1 as on the printed codes. False when it cannot be one. */
static bool ref_normalize(const char *in, char out[sizeof(REF_PREFIX) + REF_DATA])
{
	static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	char raw[MC_TOKEN_INPUT_MAX + 1];
	size_t n = 0, skip = 0;

	for (; in && *in; in++) {
		char ch = *in >= 'a' && *in <= 'z' ? (char)(*in - 'a' + 'A') : *in;

		if (ch == '-' || ch == ' ')
			continue;
		if (n == MC_TOKEN_INPUT_MAX)
			return false;
		raw[n++] = ch;
	}
	if (n == REF_DATA + 2 && raw[0] == 'P' && raw[1] == 'A')
		skip = 2;
	else if (n != REF_DATA)
		return false;
	memcpy(out, REF_PREFIX, strlen(REF_PREFIX));
	for (size_t i = 0; i < REF_DATA; i++) {
		char ch = raw[skip + i];

		if (ch == 'O')
			ch = '0';
		else if (ch == 'I' || ch == 'L')
			ch = '1';
		if (!ch || !strchr(alphabet, ch))
			return false;
		out[strlen(REF_PREFIX) + i] = ch;
	}
	out[strlen(REF_PREFIX) + REF_DATA] = '\0';
	return true;
}

/* "2026-12-02T00:27:10Z" (UTC, as the store writes it) shown in the ward's time:
 * "02/12/2026 lúc 07:27". Anything else is left out. */
static enum mc_err set_when(struct mc_tobj *o, const char *key, const char *utc)
{
	struct tm tm = {0};
	char out[48];
	time_t t;

	if (!utc || !strptime(utc, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return MC_OK;
	t = timegm(&tm) + 7 * 3600;
	if (!gmtime_r(&t, &tm) || !strftime(out, sizeof(out), "%d/%m/%Y lúc %H:%M", &tm))
		return MC_OK;
	return mc_tobj_str(o, key, out);
}

static enum mc_err step(struct mc_tobj *root, const char *label, const char *at, bool reached,
			bool current)
{
	struct mc_tobj *o = mc_tobj_push(root, "steps");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "label", label)) != MC_OK ||
	    (err = mc_tobj_bool(o, "reached", reached)) != MC_OK ||
	    (err = mc_tobj_bool(o, "current", current)) != MC_OK)
		return err;
	return reached ? set_when(o, "at", at) : MC_OK;
}

struct found {
	struct page *pg;
	bool any;
	int64_t permit_id;
};

/* Only what is safe for whoever holds the number: the report's own text, contact, photo and
 * the staff's internal note stay on the staff side. */
static enum mc_err report_cb(void *ctx, const struct mc_report *rep)
{
	struct found *f = ctx;
	struct mc_tobj *root = f->pg->root;
	bool opened = rep->opened_at || rep->reviewed_at, done = rep->reviewed_at != NULL;
	const char *status = done ? "Đã xử lý" : opened ? "Đang xem xét" : "Đã nhận";
	enum mc_err err;

	f->any = true;
	f->permit_id = rep->permit_id;
	f->pg->record_ward = rep->ward_id;
	if ((err = mc_tobj_str(root, "ref", rep->ref)) != MC_OK ||
	    (err = mc_tobj_str(root, "status", status)) != MC_OK ||
	    (err = mc_tobj_str(root, "category",
			       mc_label_of(mc_report_categories, rep->category))) != MC_OK ||
	    (err = mc_tobj_strf(root, "permit_id", "%" PRId64, rep->permit_id)) != MC_OK ||
	    (err = step(root, "Đã nhận", rep->created_at, true, !opened)) != MC_OK ||
	    (err = step(root, "Đang xem xét", rep->opened_at ? rep->opened_at : rep->reviewed_at,
			opened, opened && !done)) != MC_OK ||
	    (err = step(root, "Đã xử lý", rep->reviewed_at, done, done)) != MC_OK ||
	    (err = mc_tobj_str(root, "reply", rep->public_reply)) != MC_OK)
		return err;
	return rep->public_reply ? set_when(root, "replied", rep->replied_at) : MC_OK;
}

static enum mc_err permit_cb(void *ctx, const struct mc_permit *p)
{
	return mc_tobj_str(ctx, "permit_number", p->number);
}

/* The error page, with the lookup form again rather than the code form. */
static enum mc_err not_found(struct mc_pages *p, struct mc_response *r)
{
	return page_error_form(
	    p, 404, "Không tìm thấy phản ánh",
	    "Hãy kiểm tra lại số tham chiếu trên trang biên nhận, dạng PA-XXXXXXXX.", NULL, true,
	    r);
}

static enum mc_err reference_answer(struct mc_pages *p, struct mc_store *s, const char *typed,
				    struct mc_response *r)
{
	char ref[sizeof(REF_PREFIX) + REF_DATA];
	struct page pg;
	struct found f = {.pg = &pg};
	enum mc_err err;

	if (!ref_normalize(typed, ref))
		return not_found(p, r);
	if ((err = page_init(&pg, p, s)) != MC_OK)
		return page_finish(&pg, err, r);
	err = mc_store_report_by_ref(s, ref, report_cb, &f);
	if (err == MC_ERR_NOTFOUND || (err == MC_OK && !f.any)) {
		page_finish(&pg, MC_OK, r);
		return not_found(p, r);
	}
	if (err == MC_OK)
		err = mc_store_ward_by_id(s, pg.record_ward, page_ward_cb, &pg);
	if (err == MC_OK)
		err = mc_store_permit_get(s, f.permit_id, permit_cb, pg.root);
	if (err == MC_OK)
		err = mc_tobj_strf(pg.root, "title", "Phản ánh %s", ref);
	if (err == MC_OK)
		err = mc_tobj_bool(pg.root, "noindex", true);
	if (err == MC_OK)
		err = page_render(p, pg.root, "public_reference", 200, r);
	/* The status moves while the page's address stays: always ask again. */
	r->cache = "no-cache";
	return page_finish(&pg, err, r);
}

enum mc_err mc_pages_reference(struct mc_call *c)
{
	return reference_answer(c->site->pages, c->s, c->arg, c->r);
}

/* The lookup form sends the number as typed; its page lives at one address the resident
 * can keep, so a well-formed number is sent there. */
enum mc_err mc_pages_reference_query(struct mc_call *c)
{
	char ref[sizeof(REF_PREFIX) + REF_DATA];

	if (!ref_normalize(c->rq->lookup(c->rq, MC_REQ_ARG, "ref"), ref))
		return not_found(c->site->pages, c->r);
	mc_buf_reset(&c->r->body);
	snprintf(c->r->location, sizeof(c->r->location), "/r/%s", ref);
	c->r->status = 303;
	c->r->content_type = HTML_TYPE;
	c->r->cache = "no-cache";
	return MC_OK;
}
