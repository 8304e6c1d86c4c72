/* GET /w/SLUG/permits/ID: a permit's public record, saying plainly whether work is
 * allowed today. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "private.h"

/* The verdict of a permit's record on the ward's today. */
enum mc_permit_verdict permit_verdict(const struct mc_permit *p, const char *today)
{
	return mc_permit_verdict(p->status, p->starts_on, p->ends_on, today);
}

static const char *status_label(enum mc_permit_verdict v, const char *status)
{
	switch (v) {
	case MC_VERDICT_EXPIRED:
		return "Hết hạn";
	case MC_VERDICT_SUSPENDED:
		return "Đình chỉ";
	case MC_VERDICT_REVOKED:
		return "Thu hồi";
	case MC_VERDICT_COMPLETED:
		return "Đã hoàn thành";
	default:
		break;
	}
	return mc_label_of(mc_permit_statuses, status);
}

static enum mc_err set_verdict(struct page *pg, const struct mc_permit *p)
{
	enum mc_permit_verdict v = permit_verdict(p, pg->today);
	struct mc_tobj *o = pg->root;
	bool reason = v == MC_VERDICT_SUSPENDED || v == MC_VERDICT_REVOKED;
	enum mc_err err;

	if ((err = mc_tobj_bool(o, "allowed", v == MC_VERDICT_ALLOWED)) != MC_OK ||
	    (err = mc_tobj_str(o, "verdict",
			       v == MC_VERDICT_ALLOWED ? "Được phép thi công hôm nay"
						       : "Không được phép thi công hôm nay")) !=
		MC_OK ||
	    (err = mc_tobj_str(o, "why", mc_permit_verdict_reason(v))) != MC_OK ||
	    (err = mc_tobj_str(o, "reason", reason ? p->status_reason : NULL)) != MC_OK)
		return err;
	return mc_tobj_date(o, "today", pg->today);
}

static enum mc_err set_owner(struct page *pg, struct mc_tobj *o, const char *owner)
{
	enum mc_err err;

	mc_buf_reset(&pg->scratch);
	if (!owner || !*owner)
		return mc_tobj_str(o, "owner", NULL);
	/* A name that cannot be masked is not shown at all. */
	if ((err = mc_utf8_mask_name(owner, &pg->scratch)) != MC_OK)
		return err == MC_ERR_NOMEM ? err : mc_tobj_str(o, "owner", NULL);
	return mc_tobj_strn(o, "owner", pg->scratch.data, pg->scratch.len);
}

static enum mc_err permit_cb(void *ctx, const struct mc_permit *p)
{
	struct page *pg = ctx;
	struct mc_tobj *o = mc_tobj_obj(pg->root, "permit");
	const struct kv v[] = {{"number", p->number},
			       {"kind", mc_label_of(mc_permit_kinds, p->kind)},
			       {"address", p->address},
			       {"scope", p->scope},
			       {"contractor", p->contractor},
			       {"office", p->office},
			       {"status", status_label(permit_verdict(p, pg->today), p->status)}};
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	pg->record_ward = p->ward_id;
	if ((err = set_all(o, v, sizeof(v) / sizeof(v[0]))) != MC_OK ||
	    (err = mc_tobj_strf(o, "id", "%" PRId64, p->id)) != MC_OK ||
	    (err = mc_tobj_strf(pg->root, "title", "Giấy phép %s", p->number)) != MC_OK ||
	    (err = (p->floors > 0 ? mc_tobj_strf(o, "floors", "%d", p->floors)
				  : mc_tobj_str(o, "floors", NULL))) != MC_OK ||
	    (err = set_number(o, "area", p->area_m2)) != MC_OK ||
	    (err = set_number(o, "height", p->height_m)) != MC_OK ||
	    (err = mc_tobj_date(o, "issued", p->issued_on)) != MC_OK ||
	    (err = mc_tobj_date(o, "starts", p->starts_on)) != MC_OK ||
	    (err = mc_tobj_date(o, "ends", p->ends_on)) != MC_OK ||
	    (err = mc_tobj_date(o, "updated", p->updated_at)) != MC_OK ||
	    (err = set_owner(pg, o, p->owner_name)) != MC_OK ||
	    (err = share_text(pg, "Giấy phép %s (%s): %s. Địa chỉ: %s.", or_empty(p->number),
			      mc_label_of(mc_permit_kinds, or_empty(p->kind)), or_empty(p->scope),
			      or_empty(p->address))) != MC_OK)
		return err;
	return set_verdict(pg, p);
}

static enum mc_err insp_cb(void *ctx, const struct mc_inspection *i)
{
	struct page *pg = ctx;
	const struct kv v[] = {
	    {"inspector", i->inspector}, {"result", i->result}, {"note", i->note}};
	struct mc_tobj *it;
	enum mc_err err;

	if (!pg->list_a && !(pg->list_a = mc_tobj_obj(pg->root, "inspections")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_a, "items")))
		return MC_ERR_NOMEM;
	if ((err = set_all(it, v, sizeof(v) / sizeof(v[0]))) != MC_OK)
		return err;
	return mc_tobj_date(it, "date", i->on_date);
}

/* Only a well-formed content hash may become a link. */
static bool sha256_hex(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static const char *mime_label(const char *mime)
{
	if (mime && strcmp(mime, "application/pdf") == 0)
		return "PDF";
	if (mime && strcmp(mime, "image/jpeg") == 0)
		return "Ảnh JPEG";
	if (mime && strcmp(mime, "image/png") == 0)
		return "Ảnh PNG";
	return "Tệp";
}

/* "850 byte", "12 KB", "1,4 MB": sizes as people read them. */
static enum mc_err set_size(struct mc_tobj *o, const char *key, long long n)
{
	if (n < 0)
		return mc_tobj_str(o, key, NULL);
	if (n < 1024)
		return mc_tobj_strf(o, key, "%lld byte", n);
	if (n < 1024 * 1024)
		return mc_tobj_strf(o, key, "%lld KB", (n + 1023) / 1024);
	return mc_tobj_strf(o, key, "%lld,%lld MB", n / (1024 * 1024),
			    (n % (1024 * 1024)) * 10 / (1024 * 1024));
}

static enum mc_err file_cb(void *ctx, const struct mc_file *f)
{
	struct page *pg = ctx;
	struct mc_tobj *it;
	enum mc_err err;

	if (!f->public || !sha256_hex(f->sha256))
		return MC_OK;
	if (!pg->list_b && !(pg->list_b = mc_tobj_obj(pg->root, "files")))
		return MC_ERR_NOMEM;
	if (!(it = mc_tobj_push(pg->list_b, "items")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(it, "sha256", f->sha256)) != MC_OK ||
	    (err = mc_tobj_str(it, "name", f->name && *f->name ? f->name : "Tệp đính kèm")) !=
		MC_OK ||
	    (err = mc_tobj_str(it, "type", mime_label(f->mime))) != MC_OK)
		return err;
	return set_size(it, "size", f->size);
}

/* The report form as it first shows: the same fields the post checks, empty. */
static enum mc_err empty_form(struct mc_tobj *o)
{
	struct mc_fields f;
	enum mc_err err;

	mc_fields_init(&f, report_spec, REPORT_N);
	err = mc_fields_tobj(&f, o, "fields");
	mc_fields_finish(&f);
	return err;
}

/* The concern form carries a token tied to this permit, so a post can be checked as coming
 * from this page without any account or session. */
static enum mc_err set_report(struct page *pg, int64_t permit_id)
{
	char secret[65], tok[MC_AUTH_SHA256_LEN + 1];
	struct mc_tobj *o;
	enum mc_err err = mc_store_secret(pg->s, secret);

	if (err == MC_ERR_NOTFOUND)
		return MC_OK; /* a database without a secret cannot check posts: no form */
	if (err != MC_OK)
		return err;
	mc_pages_report_token(secret, permit_id, time(NULL), tok);
	sodium_memzero(secret, sizeof(secret));
	if (!(o = mc_tobj_obj(pg->root, "report")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "token", tok)) != MC_OK ||
	    (err = mc_tobj_strf(o, "permit_id", "%" PRId64, permit_id)) != MC_OK)
		return err;
	return empty_form(o);
}

enum mc_err permit_render(struct page *pg, int64_t id, struct mc_response *r)
{
	enum mc_err err;

	if ((err = mc_store_permit_get(pg->s, id, permit_cb, pg)) != MC_OK)
		return err;
	if (pg->record_ward != pg->ward_id)
		return MC_ERR_NOTFOUND;
	if ((err = mc_store_permit_inspections(pg->s, id, insp_cb, pg)) != MC_OK ||
	    (err = mc_store_file_each(pg->s, id, true, file_cb, pg)) != MC_OK ||
	    (err = set_report(pg, id)) != MC_OK ||
	    (err = add_qr(pg, MC_KIND_PERMIT, id)) != MC_OK ||
	    (err = share_meta(pg, "/w/%s/permits/%" PRId64, pg->slug, id)) != MC_OK)
		return err;
	if ((err = page_render(pg->p, pg->root, "permit", 200, r)) == MC_OK)
		r->referrer = "same-origin"; /* its report form: see report.c's same_site */
	return err;
}

enum mc_err mc_pages_permit(struct mc_call *c)
{
	struct page pg;
	enum mc_err err;

	if ((err = page_init(&pg, c->site->pages, c->s)) == MC_OK &&
	    (err = load_ward_slug(&pg, c->slug)) == MC_OK)
		err = permit_render(&pg, c->id, c->r);
	return page_finish(&pg, err, c->r);
}
