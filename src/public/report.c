/* POST /w/SLUG/permits/ID/report: a resident's concern about a permit. No account: the
 * form carries a token tied to the permit (so it came from the permit's page), each client
 * may send a few an hour (keyed by a hash of its address, never the address), and an
 * optional photo is checked by its content before it is kept. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "motcham/base/auth.h"
#include "motcham/base/token.h"
#include "motcham/domain/permit.h"
#include "motcham/public/pages.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/call.h"
#include "motcham/web/fields.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"
#include "motcham/web/upload.h"
#include "private.h"

#define REPORTS_PER_HOUR 5
#define REF_TRIES 8
#define DAY_SECONDS 86400
#define WARD_UTC_OFFSET (7 * 3600) /* Vietnam: the day the page cache turns with */

void mc_pages_report_token(const char *secret, int64_t permit_id, time_t now, char out[65])
{
	char purpose[64];

	snprintf(purpose, sizeof(purpose), "report:%lld:%lld", (long long)permit_id,
		 (long long)((now + WARD_UTC_OFFSET) / DAY_SECONDS));
	mc_auth_form_token(secret, purpose, out);
}

/* The form on the permit page and the page that shows it again with errors are one template
 * (public_report_form) over these fields, so they keep the same labels and order. */
const struct mc_field_spec report_spec[REPORT_N] = {
    {"category", "Vấn đề bạn thấy", MC_F_ENUM, true, 0, 0, mc_report_categories, NULL},
    {"description", "Mô tả việc bạn thấy", MC_F_TEXT, true, 0, 2000, NULL,
     "Từ 10 đến 2000 ký tự: ở đâu, khi nào, việc gì."},
    {"contact", "Số điện thoại hoặc email (không bắt buộc)", MC_F_LINE, false, 0, 200, NULL,
     "Để phường liên hệ lại nếu cần. Không hiện công khai."},
};

struct report_ctx {
	const struct mc_site *site;
	struct mc_store *wr;
	const struct mc_request *rq;
	struct mc_response *r;
	int64_t permit_id;
	char slug[65];
	char token[MC_AUTH_SHA256_LEN + 1];
	struct mc_fields f;
	struct mc_upload photo; /* the photo, as mc_upload_check found it */
	const char *photo_error;
	bool photo_again; /* a good photo came with a form that failed: it must be chosen again */
	const char *form_error;
	struct mc_tdata *d;
	struct mc_tobj *root;
};

/* scheme://host[:port] of url, into out. */
static void origin_of(const char *url, char *out, size_t cap)
{
	const char *host = strstr(url, "://");
	size_t n = host ? (size_t)(host + 3 - url) + strcspn(host + 3, "/?#") : 0;

	snprintf(out, cap, "%.*s", (int)n, url);
}

/* Whether the post came from one of this site's pages, as far as the browser says: what it
 * does not say (an old browser) is left to the form's token. Sec-Fetch-Site, which no page
 * can forge, decides when it is there. An Origin of "null" is what a sandboxed frame sends,
 * and also a page of ours with "no-referrer"; the pages with this form ask for "same-origin"
 * (report_show, permit.c) so that browsers send the real one, and a "null" is taken only
 * with Sec-Fetch-Site saying same-origin. */
static bool same_site(const struct mc_site *site, const struct mc_request *rq)
{
	const char *origin = rq->lookup(rq, MC_REQ_HEADER, "Origin");
	const char *fetch = rq->lookup(rq, MC_REQ_HEADER, "Sec-Fetch-Site");
	const char *host = rq->lookup(rq, MC_REQ_HEADER, "Host");
	char base[512], own[512];

	if (fetch && strcmp(fetch, "same-origin"))
		return false;
	if (!origin || (fetch && !strcmp(origin, "null")))
		return true;
	origin_of(mc_pages_base_url(site->pages), base, sizeof(base));
	if (base[0] && !strcasecmp(origin, base))
		return true;
	if (!host || !*host)
		return false;
	snprintf(own, sizeof(own), "%s://%s", rq->https ? "https" : "http", host);
	return !strcasecmp(origin, own);
}

static enum mc_err pub_ward_cb(void *ctx, const struct mc_ward *w)
{
	struct mc_tobj *o = mc_tobj_obj(ctx, "ward");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "slug", w->slug)) != MC_OK ||
	    (err = mc_tobj_str(o, "name", w->name)) != MC_OK ||
	    (err = mc_tobj_str(o, "phone", w->phone)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "sample", w->sample);
}

struct pub_permit {
	bool found;
	int64_t ward_id;
	struct mc_tobj *o;
};

static enum mc_err pub_permit_cb(void *ctx, const struct mc_permit *p)
{
	struct pub_permit *pp = ctx;

	pp->found = true;
	pp->ward_id = p->ward_id;
	return mc_tobj_str(pp->o, "permit_number", p->number);
}

static enum mc_err report_show(struct report_ctx *x, const char *tpl, int status)
{
	enum mc_err err;

	if ((err = mc_tobj_str(x->root, "token", x->token)) != MC_OK ||
	    (err = mc_tobj_strf(x->root, "permit_id", "%lld", (long long)x->permit_id)) != MC_OK ||
	    (err = mc_tobj_str(x->root, "photo_error", x->photo_error)) != MC_OK ||
	    (err = mc_tobj_bool(x->root, "photo_focus", x->photo_error && !x->f.nerr)) != MC_OK ||
	    (err = mc_tobj_bool(x->root, "photo_again", x->photo_again)) != MC_OK ||
	    (err = mc_tobj_str(x->root, "base_url", mc_pages_base_url(x->site->pages))) != MC_OK ||
	    (err = mc_tobj_str(x->root, "form_error", x->form_error)) != MC_OK ||
	    (err = mc_tobj_bool(x->root, "has_errors", x->f.nerr || x->photo_error)) != MC_OK ||
	    (err = mc_fields_tobj(&x->f, x->root, "fields")) != MC_OK)
		return err;
	err = mc_pages_render(x->site->pages, tpl, x->root, status, x->r);
	x->r->cache = "private, no-store";
	x->r->referrer = "same-origin"; /* the form again: see same_site */
	return err;
}

/* The UTC timestamp an hour ago, in the store's created_at format. */
static void hour_ago(char out[32])
{
	time_t t = time(NULL) - 3600;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Characters, not bytes: "ngắn quá" is 8 of them in 11 bytes (the text is valid UTF-8). */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; s && *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static enum mc_err report_check(struct report_ctx *x, const struct mc_form_field **photo)
{
	const char *desc;
	enum mc_err err;

	if ((err = mc_fields_read(&x->f, x->rq->form)) != MC_OK)
		return err;
	desc = mc_fields_get(&x->f, "description");
	if (mc_fields_ok(&x->f, "description") && chars(desc) < 10 &&
	    (err = mc_fields_fail(&x->f, "description", "%s",
				  "Vui lòng mô tả rõ hơn (ít nhất 10 ký tự).")) != MC_OK)
		return err;
	*photo = mc_form_file(x->rq->form, "photo");
	if (*photo && (err = mc_upload_check(*photo, true, &x->photo)) != MC_OK)
		return err;
	if (*photo)
		x->photo_error = x->photo.why;
	return MC_OK;
}

static enum mc_err report_store(struct report_ctx *x, const struct mc_form_field *photo,
				char ref[16])
{
	struct mc_report rep = {.permit_id = x->permit_id,
				.client_key = x->rq->client_key ? x->rq->client_key : "unknown"};
	char tok[MC_TOKEN_LEN + 1];
	enum mc_err err = MC_ERR_EXISTS;

	rep.category = mc_fields_get(&x->f, "category");
	rep.description = mc_fields_get(&x->f, "description");
	rep.contact = mc_fields_get(&x->f, "contact");
	if (photo) {
		if ((err = mc_upload_keep(x->wr, x->site->files_dir, photo, &x->photo)) != MC_OK)
			return err;
		rep.photo_sha256 = x->photo.sha;
		rep.photo_mime = x->photo.mime;
		rep.photo_size = (long long)x->photo.size;
	}
	if ((err = mc_store_set_actor(x->wr, 0, "resident")) != MC_OK)
		return err;
	err = MC_ERR_EXISTS;
	for (int i = 0; i < REF_TRIES && err == MC_ERR_EXISTS; i++) {
		mc_token_make(tok);
		snprintf(ref, 16, "PA-%.8s", tok);
		rep.ref = ref;
		err = mc_store_report_add(x->wr, &rep, NULL);
	}
	mc_store_set_actor(x->wr, 0, "system");
	return err;
}

static enum mc_err report_run(struct report_ctx *x)
{
	struct pub_permit pp = {.o = x->root};
	const struct mc_form_field *photo = NULL;
	const char *sent;
	char secret[65], yesterday[MC_AUTH_SHA256_LEN + 1], since[32], ref[16];
	time_t now;
	int64_t ward_id = 0;
	int n = 0;
	enum mc_err err;

	err = mc_store_ward_id(x->wr, x->slug, &ward_id);
	if (err == MC_OK)
		err = mc_store_permit_get(x->wr, x->permit_id, pub_permit_cb, &pp);
	if (err == MC_ERR_NOTFOUND || (err == MC_OK && (!pp.found || pp.ward_id != ward_id)))
		return mc_pages_error(x->site->pages, 404, x->r);
	if (err != MC_OK ||
	    (err = mc_store_ward_by_id(x->wr, ward_id, pub_ward_cb, x->root)) != MC_OK ||
	    (err = mc_store_secret(x->wr, secret)) != MC_OK)
		return err;
	now = time(NULL);
	mc_pages_report_token(secret, x->permit_id, now - DAY_SECONDS, yesterday);
	mc_pages_report_token(secret, x->permit_id, now, x->token);
	sodium_memzero(secret, sizeof(secret));
	if (!x->rq->form || strcmp(x->rq->method, "POST"))
		return mc_pages_error(x->site->pages, 405, x->r);
	if (!same_site(x->site, x->rq)) {
		x->form_error = "Biểu mẫu này chỉ gửi được từ trang của phường. Vui lòng mở lại "
				"trang giấy phép rồi gửi phản ánh.";
		return report_show(x, "public_report", 403);
	}
	sent = mc_form_get(x->rq->form, "token");
	if (!sent || (!mc_auth_equal(sent, x->token) && !mc_auth_equal(sent, yesterday))) {
		x->form_error = "Biểu mẫu đã cũ. Vui lòng kiểm tra lại nội dung và gửi lại.";
		return report_show(x, "public_report", 403);
	}
	if ((err = report_check(x, &photo)) != MC_OK)
		return err;
	if (x->f.nerr || x->photo_error) {
		x->photo_again = photo && !x->photo_error;
		return report_show(x, "public_report", 422);
	}
	hour_ago(since);
	/* Counted and written under the database's write lock: reports sent at once to several
	 * nodes cannot all slip under the limit, and a photo is kept with its report or not. */
	if ((err = mc_store_begin(x->wr)) != MC_OK)
		return err;
	err = mc_store_report_count_since(x->wr, x->rq->client_key ? x->rq->client_key : "unknown",
					  since, &n);
	if (err == MC_OK && n >= REPORTS_PER_HOUR) {
		mc_store_rollback(x->wr);
		x->form_error =
		    "Bạn đã gửi nhiều phản ánh trong một giờ qua. Vui lòng thử lại sau.";
		return report_show(x, "public_report", 429);
	}
	if (err == MC_OK && photo) {
		err = mc_upload_room(x->wr, x->site->files_dir, x->site->uploads, ward_id,
				     x->photo.size, &x->photo_error);
		if (err == MC_ERR_FULL) {
			mc_store_rollback(x->wr);
			return report_show(x, "public_report", 507);
		}
	}
	if (err == MC_OK)
		err = report_store(x, photo, ref);
	if (err == MC_OK)
		err = mc_store_commit(x->wr);
	else
		mc_store_rollback(x->wr);
	if (err != MC_OK || (err = mc_tobj_str(x->root, "ref", ref)) != MC_OK)
		return err;
	return report_show(x, "public_report_ok", 200);
}

enum mc_err mc_pages_report(struct mc_call *c)
{
	struct report_ctx *x = calloc(1, sizeof(*x));
	enum mc_err err = MC_ERR_NOMEM;

	if (!x)
		return err;
	x->site = c->site;
	x->wr = c->s;
	x->rq = c->rq;
	x->r = c->r;
	x->permit_id = c->id;
	snprintf(x->slug, sizeof(x->slug), "%s", c->slug ? c->slug : "");
	mc_fields_init(&x->f, report_spec, REPORT_N);
	if ((x->d = mc_tdata_create()) != NULL) {
		x->root = mc_tdata_root(x->d);
		err = mc_tobj_str(x->root, "title", "Phản ánh về công trình");
		if (err == MC_OK)
			err = report_run(x);
	}
	mc_store_set_actor(c->s, 0, "system");
	mc_fields_finish(&x->f);
	mc_tdata_destroy(x->d);
	free(x);
	return err;
}
