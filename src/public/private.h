/* The residents' pages' internals, shared by the files of src/public/ and listed by file.
 * A page gathers records into a struct page (its template data dies with it) and renders one
 * template; every value goes through the template layer's escaping. */
#ifndef MOTCHAM_PUBLIC_PRIVATE_H
#define MOTCHAM_PUBLIC_PRIVATE_H

#include "motcham/domain/check.h"
#include "motcham/domain/permit.h"
#include "motcham/public/pages.h"
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/base/auth.h"
#include "motcham/base/date.h"
#include "motcham/render/png.h"
#include "motcham/render/qr.h"
#include "motcham/store/store.h"
#include "motcham/web/call.h"
#include "motcham/web/fields.h"
#include "motcham/web/request.h"
#include "motcham/render/svg.h"
#include "motcham/render/template.h"
#include "motcham/base/token.h"
#include "motcham/base/utf8.h"

#define HTML_TYPE "text/html; charset=utf-8"
#define JSON_TYPE "application/json; charset=utf-8"
#define PNG_TYPE "image/png"
#define SVG_TYPE "image/svg+xml; charset=utf-8"
#define IMAGE_CACHE "public, max-age=86400"
#define SEARCH_MAX 200
#define SEARCH_LIMIT 50
#define SLUG_MAX 64
#define KIND_MAX 16

#define MSG_CODE_UNKNOWN "Không tìm thấy mã"
#define MSG_CODE_MISTYPED "Mã có vẻ bị nhập sai, kiểm tra lại các ký tự"
#define MSG_CODE_GONE "Mã này đã ngừng sử dụng"

struct mc_pages {
	struct mc_template *tpl;
	char *base_url; /* without a trailing '/' */
};

/* Everything one HTML page gathers before rendering; the data tree dies with the page. */
struct page {
	struct mc_pages *p;
	struct mc_store *s;
	struct mc_tdata *d;
	struct mc_tobj *root;
	int64_t ward_id;
	int64_t merged_into;
	int64_t record_ward; /* ward of the record just read, to refuse other wards' ids */
	struct mc_tobj *list_a, *list_b;
	int count;
	struct mc_buf scratch;
	char today[MC_DATE_LEN + 1];
	const struct code_info *via;	  /* the active code this page was reached by, or NULL */
	char slug[MC_CHECK_SLUG_MAX + 1]; /* the ward's, once page_ward_cb has run */
	struct mc_buf share;		  /* what a shared link says of the page (share.c) */
};

/* A resolved code, copied out of the store callback. */
struct code_info {
	char token[MC_TOKEN_LEN + 1];
	char kind[KIND_MAX];
	char replaced_by[MC_TOKEN_LEN + 1];
	int64_t id;
	int64_t target_id;
	int64_t ward_id;
	bool revoked;
};

struct kv {
	const char *key;
	const char *val;
};

/* page.c: a page's life, templates, error pages. */
enum mc_err add_qr(struct page *pg, const char *kind, int64_t id);
enum mc_err page_error(struct mc_pages *p, int status, const char *heading, const char *detail,
		       const char *replacement, struct mc_response *r);
/* page_error with the report lookup form (ref_form) instead of the code form. */
enum mc_err page_error_form(struct mc_pages *p, int status, const char *heading, const char *detail,
			    const char *replacement, bool ref_form, struct mc_response *r);
enum mc_err load_ward_slug(struct page *pg, const char *slug);
enum mc_err page_finish(struct page *pg, enum mc_err err, struct mc_response *r);
enum mc_err page_init(struct page *pg, struct mc_pages *p, struct mc_store *s);
enum mc_err page_render(struct mc_pages *p, const struct mc_tobj *root, const char *name,
			int status, struct mc_response *r);
enum mc_err page_ward_cb(void *ctx, const struct mc_ward *w);

/* A string for printf: "" for NULL. */
static inline const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* share.c: what a link to the page shows when shared (meta description, canonical URL, Open
 * Graph and Twitter tags, the preview image). */
enum mc_err share_text(struct page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum mc_err share_meta(struct page *pg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* data.c: record fields as template values. */
bool next_line(const char **cur, const char **line, size_t *len);
enum mc_err set_all(struct mc_tobj *o, const struct kv *v, size_t n);
enum mc_err set_lines(struct mc_tobj *o, const char *key, const char *text, bool numbered);
enum mc_err set_number(struct mc_tobj *o, const char *key, double v);
enum mc_err set_paragraphs(struct mc_tobj *o, const char *key, const char *text);
enum mc_err set_tel(struct mc_tobj *o, const char *phone);
const char *web_url(const char *u);

/* ward.c: GET /w/SLUG. */
enum mc_err ward_render(struct page *pg, struct mc_response *r);

/* procedure.c: GET /w/SLUG/procedures/ID. A procedure's fields as the page and the API name
 * them (the address only when it may be linked). */
#define PROCEDURE_KV_MAX 13
size_t procedure_kv(const struct mc_procedure *p, struct kv v[PROCEDURE_KV_MAX]);
enum mc_err procedure_render(struct page *pg, int64_t id, struct mc_response *r);

/* announcement.c: GET /w/SLUG/announcements/ID. */
enum mc_err announcement_render(struct page *pg, int64_t id, struct mc_response *r);

/* permit.c: GET /w/SLUG/permits/ID. */
enum mc_err permit_render(struct page *pg, int64_t id, struct mc_response *r);
enum mc_permit_verdict permit_verdict(const struct mc_permit *p, const char *today);

/* report.c: POST /w/SLUG/permits/ID/report. */
#define REPORT_N 3
/* The report form's fields, shown empty on the permit page. */
extern const struct mc_field_spec report_spec[REPORT_N];

/* code.c: GET /q/TOKEN. */
enum mc_err code_resolve(struct mc_store *s, const char *token, struct code_info *ci);

#endif
