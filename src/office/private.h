/* The office's internals, shared by the files of src/office/ and listed by file: the table
 * of contents of the staff and supervisors' pages. Nothing outside src/office includes this:
 * the rest of the program sees office.h (the handlers), session.h and staff.h. */
#ifndef MOTCHAM_OFFICE_PRIVATE_H
#define MOTCHAM_OFFICE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/base/err.h"
#include "motcham/office/session.h"
#include "motcham/store/store.h"
#include "motcham/web/call.h"
#include "motcham/web/fields.h"
#include "motcham/web/upload.h"

struct mc_pages;
struct mc_request;
struct mc_response;
struct mc_tdata;
struct mc_tobj;

#define DOCS_MAX 100
#define SLUG_MAX 64

struct mc_staff {
	struct mc_pages *pages;
	char *files_dir;
	struct mc_upload_limits uploads; /* its spool_dir: files_dir, or the system's */
};

struct ward_item {
	int64_t id;
	char slug[65];
	char *name;
};

struct wards {
	struct ward_item *v;
	struct mc_label *opts; /* slug/name pairs, NULL-terminated */
	size_t n, cap;
};

/* One request's state, staff and supervisors' pages alike: what the gate (gate.c) set up
 * and put in call->scope, and the page being built. */
struct office {
	struct mc_staff *st;	/* NULL on the supervisors' pages: they need no staff side */
	struct mc_pages *pages; /* what page_show renders with */
	struct mc_store *wr;	/* the one read-write connection */
	const struct mc_request *rq;
	struct mc_response *r;
	struct mc_session_user u; /* the signed-in user; all zero when there is none */
	bool get, post;		  /* GET or HEAD; POST */
	long long now;
	char today[MC_DATE_LEN + 1];
	char soon[MC_DATE_LEN + 1]; /* today and a week: "expiring soon" on the board */
	struct mc_call *call;	    /* the request as the route table matched it */
	struct mc_tdata *d;
	struct mc_tobj *root;
	struct wards wards; /* loaded on first use (wards_load) */
};

/* A list shown only when it has items: the template sees parent.key.items, and no
 * parent.key at all when the list is empty. */
struct list {
	struct mc_tobj *parent;
	const char *key;
	struct mc_tobj *obj;
};

/* staff.c: mc_staff_create and the rest of staff.h. */

/* gate.c: mc_office_gate and mc_supervise_gate (office.h), and how a handler lets go of
 * the write connection while a password is hashed (call->release), the actor the gate set
 * taken off for the while and put back after. */
struct mc_session_release office_release(struct office *c);

/* page.c: the scaffolding of every page. A page is started (its data made, with the title,
 * today and the signed-in user block), filled, then shown; the message pages and redirects
 * make a whole answer. Each returns MC_OK with the answer in c->r, or the error that kept
 * it from being made. */
struct mc_tobj *page_list_push(struct list *l);
/* The query-string value name, NULL when missing or empty. */
const char *page_arg(const struct office *c, const char *name);
enum mc_err page_count(struct mc_tobj *o, const char *key, long long n);
enum mc_err page_start(struct office *c, const char *title);
enum mc_err page_show(struct office *c, const char *tpl, int status);
enum mc_err page_message(struct office *c, int status, const char *heading, const char *detail);
enum mc_err page_forbidden(struct office *c);
enum mc_err page_not_found(struct office *c);
enum mc_err page_bad_method(struct office *c);
/* After loading a record of ward_id (err, and whether it was found) for a page: a 404 page
 * when it is missing, a 403 page when the user may not read it (write: may not change it),
 * both with *shown true; else err, with *shown false. */
enum mc_err page_access(struct office *c, enum mc_err err, bool found, int64_t ward_id, bool write,
			bool *shown);
enum mc_err page_redirect(struct office *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* 422: what could not be done, and a link back. */
enum mc_err page_refuse(struct office *c, const char *detail, const char *back);

/* wards.c: the list of wards, the ward a page is about, the ward a new record goes to. */
void wards_free(struct wards *ws);
enum mc_err wards_load(struct office *c);
const struct ward_item *wards_find(struct office *c, int64_t id, const char *slug);
enum mc_err wards_current(struct office *c, const char *slug, int64_t *id);
/* A store callback: sets ward_name and ward_slug of the mc_tobj ctx. */
enum mc_err wards_name_cb(void *ctx, const struct mc_ward *w);
enum mc_err wards_picker(struct office *c, int64_t ward_id);
enum mc_err wards_choice(struct office *c, int64_t selected);
enum mc_err wards_posted(struct office *c, int64_t *id, bool *ok);

/* forms.c: what the staff forms share. */
enum mc_err forms_fields(struct office *c, const struct mc_fields *f, const char *obj);
enum mc_err forms_new(struct office *c, const char *heading, const char *action,
		      const struct mc_fields *f, int64_t ward_id, const char *ward_error,
		      int status);
enum mc_err forms_ward(struct office *c, int64_t *ward_id, const char **ward_error, bool *shown);
enum mc_err forms_check_dates(struct mc_fields *f, const char *a, const char *b, const char *msg);
enum mc_err forms_commit(struct office *c, enum mc_err err);

/* lists.c: the ward's permits, procedures and announcements, a page at a time. */
enum lists_which { LISTS_PERMITS, LISTS_PROCEDURES, LISTS_ANNOUNCEMENTS };
/* Adds at most limit items of the ward's list k from offset as o.KEY.items (KEY "permits",
 * "procedures" or "announcements", absent when there are none), o.KEY_total (how many
 * there are, in *total too) and o.KEY_more (whether more follow). */
enum mc_err lists_add(struct office *c, struct mc_tobj *o, enum lists_which k, int64_t ward_id,
		      long long limit, long long offset, long long *total);
/* The page number the query asks for: 1 when none, 0 when it is not a page number. */
long long lists_page_asked(struct office *c);
/* root.pager for page of a list of total items, per_page a page: page, pages, prev, next. */
enum mc_err lists_pager(struct office *c, long long page, long long total, long long per_page);

/* login.c, password.c, dashboard.c: handlers only. */

/* codes.c: a record's code on its page; retiring codes. */
enum mc_err codes_add(struct office *c, const char *kind, int64_t id);

/* keychain.c: a ward's keychain code, retired (after a confirmation) and put back in use
 * by admins only; codes.c hands it the posts about a ward's code. */
enum mc_err keychain_retire(struct office *c, const char *token, int64_t ward_id);
enum mc_err keychain_restore(struct office *c, const char *token, int64_t ward_id);

/* permit.c: a permit's page, and loading a permit for any permit route. */
struct permit_rec {
	bool found;
	int64_t id, ward_id;
	char number[600];
	char status[32];
	char *reason;
	char starts_on[MC_DATE_LEN + 1], ends_on[MC_DATE_LEN + 1];
	struct mc_fields *f; /* receives the stored values when set */
	struct mc_tobj *o;   /* receives a summary when set */
	const char *today;
};

struct permit_forms {
	struct mc_fields *edit, *status, *insp;
	const char *upload_error;
};

extern const struct mc_field_spec permit_spec[13];
#define PERMIT_N (sizeof(permit_spec) / sizeof(permit_spec[0]))
extern const struct mc_field_spec permit_status_spec[2];
extern const struct mc_field_spec permit_insp_spec[4];
enum mc_err permit_load(struct office *c, int64_t id, bool write, struct permit_rec *rec,
			bool *shown);
enum mc_err permit_page(struct office *c, int64_t id, int status, struct permit_forms *pf);
enum mc_err permit_insp_item(struct mc_tobj *o, const struct mc_inspection *i);

/* permit_edit.c, permit_upload.c: handlers only. */

/* record.c: procedures and announcements, one struct kind each. */
/* What the edit pages need to know about a stored procedure or announcement. */
struct rec {
	bool found;
	int64_t id, ward_id;
	char key[600]; /* tthc_code or title: the store's natural key */
	char retired[32];
	struct mc_fields *f;
	struct mc_buf docs[2]; /* papers, forms as "Name | originals | copies" lines */
};

/* The two kinds of record kept with the same kind of page. */
struct kind {
	const char *path; /* "/staff/procedures" */
	const char *code; /* MC_KIND_* */
	const char *noun; /* for headings */
	const char *new_heading;
	const struct mc_field_spec *spec;
	size_t n;
	bool procedure;
};

extern const struct kind record_procedure, record_announcement;
void record_init(struct rec *r, struct mc_fields *f);
void record_finish(struct rec *r);
enum mc_err record_load(struct office *c, const struct kind *k, int64_t id, bool write,
			struct rec *r, bool *shown);

/* record_check.c: the rules of a record form beyond each field's own. */
struct docs {
	struct mc_document v[DOCS_MAX];
	size_t n;
	char *copy[2];
};

void record_docs_finish(struct docs *d);
enum mc_err record_check(struct office *c, const struct kind *k, struct mc_fields *f,
			 int64_t ward_id, const struct rec *current, struct docs *d);

/* files.c, print.c: handlers only. */

/* reports.c: residents' reports. */
enum mc_err reports_item(struct mc_tobj *o, const struct mc_report *rep);

/* supervise_home.c: the board (handler only). */

/* supervise_list.c: the lists, their filters and the filter form; the lists as CSV and as
 * .xlsx workbooks (render/xlsx.h). */
struct list_def {
	const char *name;
	enum mc_sup_list list;
	const char *title;
};

/* The filters of a list, checked. */
struct query {
	const struct list_def *def;
	char ward[SLUG_MAX + 1];
	int64_t ward_id;
	const char *status; /* one of mc_permit_statuses[] or NULL */
	bool by_end;
	char from[MC_DATE_LEN + 1], to[MC_DATE_LEN + 1];
	long long page;
	bool csv, xlsx; /* format=csv, format=xlsx: the whole list as a file */
};

extern const struct list_def supervise_lists[]; /* the first: every permit */
enum mc_err supervise_list_filter(struct office *c, const struct query *q);

/* supervise_permit.c: handler only. */

/* kiosk.c: the lobby screens' page. After a change, back to it at part (an anchor). */
enum mc_err kiosk_done(struct office *c, int64_t ward_id, const char *part);

/* kiosk_slide.c: the pages staff add to the screens. Their list on the kiosk page, as
 * parent.slides.items. */
enum mc_err kiosk_slides_list(struct office *c, struct mc_tobj *parent, int64_t ward_id);

#endif
