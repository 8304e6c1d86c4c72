/* GET /kiosk/SLUG and GET /kiosk/SLUG/feed.json: a ward's lobby screen. Both are made from
 * one gathering of the ward's records: the slides (current announcements, the procedures
 * staff feature or else the most scanned, the pages staff added, the ward itself), the urgent
 * notice on screen, and every procedure by field for the touch list. The feed carries the
 * content as the templates made it, so the screen's script never builds markup, and the
 * slides as data, under an ETag of the whole: a screen polling every few seconds gets 304
 * until something changes. Neither answer is kept by the page cache: an urgent notice ends at
 * its expiry time, which no record change announces. */
#include <time.h>

#include "motcham/store/kiosk.h"
#include "private.h"

/* The one page that runs a script: its own, from /assets/, talking only to this site. */
#define KIOSK_CSP                                                                                  \
	"default-src 'none'; script-src 'self'; connect-src 'self'; worker-src 'self'; "           \
	"style-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; "            \
	"frame-ancestors 'none'"
#define ANN_MAX 20   /* current announcements on screen, newest first */
#define TOP_MAX 5    /* most scanned procedures shown when staff feature none */
#define TOP_DAYS 30  /* ... counted over this many days */
#define TEXT_MAX 600 /* bytes of a text on screen: the rest is one scan away */
#define HOPS_MAX 8   /* merged wards followed to the ward they became */

static const char *const weekdays[7] = {"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư",
					"Thứ Năm",  "Thứ Sáu", "Thứ Bảy"};

struct kiosk {
	struct page pg;
	json_t *ward;	      /* the feed's ward: slug and name */
	json_t *slides;	      /* the feed's list, made alongside the template data */
	json_t *urgent;	      /* the feed's urgent notice, or NULL */
	struct mc_tobj *last; /* the slide being filled */
	struct mc_buf cut;    /* a text cut to TEXT_MAX */
	char ward_token[MC_TOKEN_LEN + 1];
	int nslides, nann, nfeatured;
	int64_t top[TOP_MAX];
	int ntop;
	time_t now;
};

/* What a slide is about: shown as kind_label and title for seconds, with the code token. */
struct slide_def {
	const char *kind; /* the key's kind: announcement, procedure, slide, ward */
	int64_t id;
	const char *label;
	const char *title;
	int seconds;
	const char *token; /* "" when the record has no active code */
};

static enum mc_err token_cb(void *ctx, const struct mc_code *c)
{
	snprintf(ctx, MC_TOKEN_LEN + 1, "%s", c->token);
	return MC_OK;
}

/* The record's active code into token; "" when it has none. */
static enum mc_err code_of(struct kiosk *k, const char *kind, int64_t id,
			   char token[MC_TOKEN_LEN + 1])
{
	enum mc_err err;

	token[0] = '\0';
	err = mc_store_code_for_target(k->pg.s, kind, id, token_cb, token);
	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

/* o.paragraphs of text, cut to TEXT_MAX bytes (with an ellipsis) where it is longer. */
static enum mc_err set_text(struct kiosk *k, struct mc_tobj *o, const char *text)
{
	size_t len = text ? strlen(text) : 0, keep = text ? mc_utf8_cut(text, len, TEXT_MAX) : 0;
	enum mc_err err;

	if (keep == len)
		return set_paragraphs(o, "paragraphs", text);
	mc_buf_reset(&k->cut);
	if ((err = mc_buf_add(&k->cut, text, keep)) != MC_OK ||
	    (err = mc_buf_puts(&k->cut, "…")) != MC_OK)
		return err;
	return set_paragraphs(o, "paragraphs", k->cut.data);
}

/* o.facts.items: the labelled values that are there. */
static enum mc_err set_facts(struct mc_tobj *o, const struct kv *v, size_t n)
{
	struct mc_tobj *list = NULL, *it;
	enum mc_err err;

	for (size_t i = 0; i < n; i++) {
		if (!v[i].val)
			continue;
		if ((!list && !(list = mc_tobj_obj(o, "facts"))) ||
		    !(it = mc_tobj_push(list, "items")))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_str(it, "label", v[i].key)) != MC_OK ||
		    (err = mc_tobj_str(it, "text", v[i].val)) != MC_OK)
			return err;
	}
	return MC_OK;
}

static enum mc_err procedure_facts(struct mc_tobj *o, const char *field, const char *duration,
				   const char *fees, const char *place)
{
	const struct kv v[] = {{"Lĩnh vực", field},
			       {"Thời hạn giải quyết", duration},
			       {"Phí, lệ phí", fees},
			       {"Nơi nộp hồ sơ", place}};

	return set_facts(o, v, sizeof(v) / sizeof(v[0]));
}

/* Adds a slide to the template data (k->last) and to the feed's list. */
static enum mc_err slide_add(struct kiosk *k, const struct slide_def *d)
{
	struct mc_tobj *o = mc_tobj_push(k->pg.root, "slides");
	char key[MC_KIOSK_SLIDE_KEY_MAX + 1];
	struct mc_buf url;
	json_t *j;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	k->last = o;
	mc_buf_init(&url);
	snprintf(key, sizeof(key), "%s:%" PRId64, d->kind, d->id);
	if ((err = mc_tobj_str(o, "key", key)) != MC_OK ||
	    (err = mc_tobj_str(o, "kind_label", d->label)) != MC_OK ||
	    (err = mc_tobj_str(o, "title", d->title)) != MC_OK ||
	    (err = mc_tobj_strf(o, "seconds", "%d", d->seconds)) != MC_OK ||
	    (err = mc_tobj_bool(o, "first", k->nslides == 0)) != MC_OK ||
	    (err = mc_tobj_str(o, "token", d->token[0] ? d->token : NULL)) != MC_OK ||
	    (d->token[0] && (err = mc_qr_url(k->pg.p->base_url, d->token, &url)) != MC_OK))
		goto out;
	j = json_pack("{s:s, s:s, s:I, s:s, s:i, s:s?, s:s?}", "key", key, "kind", d->kind, "id",
		      (json_int_t)d->id, "title", d->title ? d->title : "", "seconds", d->seconds,
		      "token", d->token[0] ? d->token : NULL, "url", url.data);
	if (!j || json_array_append_new(k->slides, j) != 0)
		err = MC_ERR_NOMEM;
	k->nslides++;
out:
	mc_buf_finish(&url);
	return err;
}

static enum mc_err ann_cb(void *ctx, const struct mc_announcement *a)
{
	struct kiosk *k = ctx;
	char token[MC_TOKEN_LEN + 1];
	enum mc_err err;

	if (k->nann++ >= ANN_MAX)
		return MC_OK;
	if ((err = code_of(k, MC_KIND_ANNOUNCEMENT, a->id, token)) != MC_OK ||
	    (err = slide_add(k, &(struct slide_def){MC_KIND_ANNOUNCEMENT, a->id, "Thông báo",
						    a->title, MC_KIOSK_SECONDS, token})) != MC_OK ||
	    (err = mc_tobj_date(k->last, "date", a->published_on)) != MC_OK)
		return err;
	return set_text(k, k->last, a->body);
}

static enum mc_err feature_cb(void *ctx, const struct mc_kiosk_feature *f)
{
	struct kiosk *k = ctx;
	char token[MC_TOKEN_LEN + 1];
	enum mc_err err;

	k->nfeatured++;
	if ((err = code_of(k, MC_KIND_PROCEDURE, f->procedure_id, token)) != MC_OK ||
	    (err = slide_add(k, &(struct slide_def){MC_KIND_PROCEDURE, f->procedure_id,
						    "Thủ tục hành chính", f->title, f->seconds,
						    token})) != MC_OK)
		return err;
	return procedure_facts(k->last, f->field, f->duration, f->fees, f->place);
}

static enum mc_err top_cb(void *ctx, const struct mc_scan_count *c)
{
	struct kiosk *k = ctx;

	if (k->ntop < TOP_MAX)
		k->top[k->ntop++] = c->target_id;
	return MC_OK;
}

static enum mc_err top_proc_cb(void *ctx, const struct mc_procedure *p)
{
	struct kiosk *k = ctx;
	char token[MC_TOKEN_LEN + 1];
	enum mc_err err;

	if (p->retired_at || p->ward_id != k->pg.ward_id)
		return MC_OK;
	if ((err = code_of(k, MC_KIND_PROCEDURE, p->id, token)) != MC_OK ||
	    (err = slide_add(k, &(struct slide_def){MC_KIND_PROCEDURE, p->id,
						    "Thủ tục được tra cứu nhiều", p->title,
						    MC_KIOSK_SECONDS, token})) != MC_OK)
		return err;
	return procedure_facts(k->last, p->field, p->duration, p->fees, p->place);
}

/* The featured procedures; without any, the ward's most scanned of the last TOP_DAYS. */
static enum mc_err add_procedures(struct kiosk *k)
{
	char since[MC_DATE_LEN + 1];
	enum mc_err err;

	if ((err = mc_store_kiosk_feature_each(k->pg.s, k->pg.ward_id, false, feature_cb, k)) !=
		MC_OK ||
	    k->nfeatured)
		return err;
	mc_date_of(k->now - (time_t)TOP_DAYS * 86400, since);
	if ((err = mc_store_scan_top(k->pg.s, k->pg.ward_id, since, MC_KIND_PROCEDURE, TOP_MAX,
				     top_cb, k)) != MC_OK)
		return err;
	for (int i = 0; i < k->ntop && err == MC_OK; i++)
		err = mc_store_procedure_get(k->pg.s, k->top[i], top_proc_cb, k);
	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

static enum mc_err page_slide_cb(void *ctx, const struct mc_kiosk_slide *sl)
{
	struct kiosk *k = ctx;
	enum mc_err err;

	if ((err = slide_add(k, &(struct slide_def){"slide", sl->id, "Thông tin", sl->title,
						    sl->seconds, k->ward_token})) != MC_OK)
		return err;
	return set_text(k, k->last, sl->body);
}

/* The ward's own slide, last: where it is, and its code for everything else. */
static enum mc_err ward_slide_cb(void *ctx, const struct mc_ward *w)
{
	struct kiosk *k = ctx;
	const struct kv v[] = {{"Địa chỉ", w->address}, {"Điện thoại", w->phone}};
	enum mc_err err;

	if (!(k->ward = json_pack("{s:s, s:s}", "slug", w->slug, "name", w->name)))
		return MC_ERR_NOMEM;
	if ((err = slide_add(k, &(struct slide_def){MC_KIND_WARD, w->id, "Tra cứu một chạm",
						    w->name, MC_KIOSK_SECONDS, k->ward_token})) !=
		MC_OK ||
	    (err = set_facts(k->last, v, sizeof(v) / sizeof(v[0]))) != MC_OK)
		return err;
	return set_paragraphs(k->last, "paragraphs",
			      "Quét mã để tra cứu thủ tục hành chính, thông báo và giấy phép xây "
			      "dựng của phường trên điện thoại.");
}

static enum mc_err urgent_cb(void *ctx, const struct mc_kiosk_notice *n)
{
	struct kiosk *k = ctx;
	struct mc_tobj *o = mc_tobj_obj(k->pg.root, "urgent");
	struct tm tm;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if (!mc_date_local((time_t)n->expires_at, &tm))
		return MC_ERR_INVALID;
	if ((err = mc_tobj_strf(o, "id", "%" PRId64, n->id)) != MC_OK ||
	    (err = mc_tobj_str(o, "title", n->title)) != MC_OK ||
	    (err = mc_tobj_strf(o, "until", "%02d:%02d %02d/%02d", tm.tm_hour, tm.tm_min,
				tm.tm_mday, tm.tm_mon + 1)) != MC_OK ||
	    (err = set_text(k, o, n->body)) != MC_OK)
		return err;
	k->urgent = json_pack("{s:I, s:s, s:s?, s:I}", "id", (json_int_t)n->id, "title", n->title,
			      "body", n->body, "expires_at", (json_int_t)n->expires_at);
	return k->urgent ? MC_OK : MC_ERR_NOMEM;
}

/* The touch list: every procedure of the ward by field (they come sorted by field), each
 * with what its full-screen view shows. */
static enum mc_err list_cb(void *ctx, const struct mc_procedure *p)
{
	struct kiosk *k = ctx;
	const char *field = p->field ? p->field : "Lĩnh vực khác";
	char token[MC_TOKEN_LEN + 1];
	struct mc_tobj *it;
	enum mc_err err;

	if (!k->pg.list_b || strcmp(k->pg.scratch.data, field) != 0) {
		if (!(k->pg.list_b = mc_tobj_push(k->pg.root, "fields")))
			return MC_ERR_NOMEM;
		mc_buf_reset(&k->pg.scratch);
		if ((err = mc_tobj_str(k->pg.list_b, "field", field)) != MC_OK ||
		    (err = mc_buf_puts(&k->pg.scratch, field)) != MC_OK)
			return err;
	}
	if (!(it = mc_tobj_push(k->pg.list_b, "items")))
		return MC_ERR_NOMEM;
	if ((err = code_of(k, MC_KIND_PROCEDURE, p->id, token)) != MC_OK ||
	    (err = mc_tobj_strf(it, "id", "%" PRId64, p->id)) != MC_OK ||
	    (err = mc_tobj_str(it, "title", p->title)) != MC_OK ||
	    (err = mc_tobj_str(it, "kind_label", field)) != MC_OK ||
	    (err = mc_tobj_str(it, "token", token[0] ? token : NULL)) != MC_OK)
		return err;
	return procedure_facts(it, NULL, p->duration, p->fees, p->place);
}

/* Gathers everything the screen shows for the ward of slug (the ward it became, if merged). */
static enum mc_err gather(struct kiosk *k, const char *slug)
{
	enum mc_err err;

	if ((err = load_ward_slug(&k->pg, slug)) != MC_OK)
		return err;
	for (int hops = 0; k->pg.merged_into && hops < HOPS_MAX; hops++)
		if ((err = mc_store_ward_by_id(k->pg.s, k->pg.merged_into, page_ward_cb, &k->pg)) !=
		    MC_OK)
			return err;
	if ((err = code_of(k, MC_KIND_WARD, k->pg.ward_id, k->ward_token)) != MC_OK ||
	    (err = mc_store_announcement_each_current(k->pg.s, k->pg.ward_id, k->pg.today, ann_cb,
						      k)) != MC_OK ||
	    (err = add_procedures(k)) != MC_OK ||
	    (err = mc_store_kiosk_slide_each_current(k->pg.s, k->pg.ward_id, k->pg.today,
						     page_slide_cb, k)) != MC_OK ||
	    (err = mc_store_ward_by_id(k->pg.s, k->pg.ward_id, ward_slide_cb, k)) != MC_OK)
		return err;
	err =
	    mc_store_kiosk_notice_current(k->pg.s, k->pg.ward_id, (long long)k->now, urgent_cb, k);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	return mc_store_procedure_each(k->pg.s, k->pg.ward_id, list_cb, k);
}

/* The feed's text into out and its ETag (a hash of the text). */
static enum mc_err feed_text(struct kiosk *k, struct mc_buf *out, char etag[40])
{
	unsigned char h[16];
	char hex[2 * sizeof(h) + 1], *s = NULL;
	struct mc_buf html;
	json_t *j;
	enum mc_err err;

	mc_buf_init(&html);
	if ((err = mc_template_render(k->pg.p->tpl, "kiosk_content", k->pg.root, &html)) != MC_OK)
		goto out;
	j = json_pack("{s:O, s:O?, s:O, s:s%}", "ward", k->ward, "urgent", k->urgent, "slides",
		      k->slides, "html", html.data ? html.data : "", html.len);
	if (!j || !(s = json_dumps(j, JSON_COMPACT)) || (err = mc_buf_puts(out, s)) != MC_OK)
		err = err != MC_OK ? err : MC_ERR_NOMEM;
	json_decref(j);
	free(s);
	if (err != MC_OK)
		goto out;
	crypto_generichash(h, sizeof(h), (const unsigned char *)out->data, out->len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(etag, 40, "\"%s\"", hex);
out:
	mc_buf_finish(&html);
	return err;
}

static enum mc_err kiosk_init(struct kiosk *k, struct mc_call *c)
{
	enum mc_err err;

	memset(k, 0, sizeof(*k));
	mc_buf_init(&k->cut);
	k->now = time(NULL);
	if ((err = page_init(&k->pg, c->site->pages, c->s)) != MC_OK)
		return err;
	return (k->slides = json_array()) ? MC_OK : MC_ERR_NOMEM;
}

static enum mc_err kiosk_finish(struct kiosk *k, enum mc_err err, struct mc_response *r)
{
	json_decref(k->ward);
	json_decref(k->slides);
	json_decref(k->urgent);
	mc_buf_finish(&k->cut);
	return page_finish(&k->pg, err, r);
}

/* What the page shows outside the feed's content: the day and time it was made (the
 * screen's script keeps them current) and the feed's ETag, for the script's first poll. */
static enum mc_err page_extras(struct kiosk *k, const char *etag)
{
	struct tm tm;
	enum mc_err err;

	if (!mc_date_local(k->now, &tm))
		return MC_ERR_INVALID;
	if ((err = mc_tobj_str(k->pg.root, "title", "Màn hình thông tin")) != MC_OK ||
	    (err = mc_tobj_str(k->pg.root, "etag", etag)) != MC_OK ||
	    (err = mc_tobj_strf(k->pg.root, "time", "%lld", (long long)k->now)) != MC_OK ||
	    (err = mc_tobj_strf(k->pg.root, "today_vn", "%s, %02d/%02d/%04d",
				weekdays[tm.tm_wday % 7], tm.tm_mday, tm.tm_mon + 1,
				tm.tm_year + 1900)) != MC_OK)
		return err;
	return mc_tobj_strf(k->pg.root, "clock", "%02d:%02d", tm.tm_hour, tm.tm_min);
}

enum mc_err mc_pages_kiosk(struct mc_call *c)
{
	struct kiosk k;
	struct mc_buf feed;
	char etag[40];
	enum mc_err err;

	mc_buf_init(&feed);
	if ((err = kiosk_init(&k, c)) == MC_OK && (err = gather(&k, c->slug)) == MC_OK &&
	    (err = feed_text(&k, &feed, etag)) == MC_OK && (err = page_extras(&k, etag)) == MC_OK &&
	    (err = page_render(k.pg.p, k.pg.root, "kiosk", 200, c->r)) == MC_OK)
		c->r->csp = KIOSK_CSP;
	mc_buf_finish(&feed);
	return kiosk_finish(&k, err, c->r);
}

enum mc_err mc_pages_kiosk_feed(struct mc_call *c)
{
	struct kiosk k;
	char etag[40];
	enum mc_err err;

	mc_buf_reset(&c->r->body);
	if ((err = kiosk_init(&k, c)) == MC_OK && (err = gather(&k, c->slug)) == MC_OK &&
	    (err = feed_text(&k, &c->r->body, etag)) == MC_OK) {
		c->r->status = 200;
		c->r->content_type = JSON_TYPE;
		snprintf(c->r->etag, sizeof(c->r->etag), "%s", etag);
	}
	return kiosk_finish(&k, err, c->r);
}
