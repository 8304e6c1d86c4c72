/* The supervisors' side. Everything here only reads: supervisors write nothing, and an
 * admin who wants to change a record does it on the staff pages, where it is audited. Every
 * query value is checked against a closed set (list, status, date field), a calendar date or
 * an existing ward before it reaches the store, so links can be rebuilt from the checked
 * values without escaping. */
#include "motcham/office/supervise.h"
#include "motcham/office/office.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "motcham/store/audit.h"
#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/public/pages.h"
#include "motcham/domain/permit.h"
#include "motcham/web/call.h"
#include "motcham/web/request.h"
#include "motcham/office/session.h"
#include "motcham/store/store.h"
#include "motcham/render/template.h"

#define ID_DIGITS 18
#define PAGE_DIGITS 7
#define SLUG_MAX 64
#define VALUE_MAX 300 /* bytes of one old or new value shown in the timeline */
#define SOON_DAYS 7
#define DAY_SECONDS 86400

struct list_def {
	const char *name;
	enum mc_sup_list list;
	const char *title;
};

static const struct list_def lists[] = {
    {"all", MC_SUP_ALL, "Tất cả giấy phép"},
    {"overdue", MC_SUP_OVERDUE, "Thi công quá thời hạn giấy phép"},
    {"expiring", MC_SUP_EXPIRING, "Giấy phép hết hạn trong 7 ngày tới"},
    {"halted", MC_SUP_HALTED, "Giấy phép bị đình chỉ hoặc thu hồi"},
    {"reported", MC_SUP_REPORTED, "Giấy phép có phản ánh chưa xử lý"},
};
#define NLISTS (sizeof(lists) / sizeof(lists[0]))

static const struct mc_label entities[] = {
    {"permit", "Giấy phép"},	{"code", "Mã QR"},	{"file", "Tệp hồ sơ"},
    {"inspection", "Kiểm tra"}, {"report", "Phản ánh"}, {NULL, NULL},
};

static const struct mc_label actions[] = {
    {"create", "Tạo mới"},	  {"update", "Sửa thông tin"},
    {"status", "Đổi trạng thái"}, {"attach", "Đính kèm"},
    {"revoke", "Thu hồi mã"},	  {"review", "Đã xử lý"},
    {"merge", "Sáp nhập phường"}, {NULL, NULL},
};

static const struct mc_label fields[] = {
    {"ward_id", "Phường (mã số)"},
    {"number", "Số giấy phép"},
    {"kind", "Loại"},
    {"address", "Địa chỉ"},
    {"owner_name", "Chủ đầu tư"},
    {"scope", "Nội dung"},
    {"floors", "Số tầng"},
    {"area_m2", "Diện tích (m²)"},
    {"height_m", "Chiều cao (m)"},
    {"contractor", "Đơn vị thi công"},
    {"office", "Cơ quan cấp"},
    {"issued_on", "Ngày cấp"},
    {"starts_on", "Ngày khởi công"},
    {"ends_on", "Ngày hết hạn"},
    {"status", "Trạng thái"},
    {"status_reason", "Lý do"},
    {"on_date", "Ngày kiểm tra"},
    {"inspector", "Người kiểm tra"},
    {"result", "Kết quả"},
    {"note", "Ghi chú"},
    {"reviewed_at", "Xử lý lúc"},
    {"review_note", "Ghi chú xử lý"},
    {"revoked_at", "Thu hồi lúc"},
    {NULL, NULL},
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
	bool csv;
};

/* One request's state. */
struct sup {
	struct mc_pages *pages;
	struct mc_store *s;
	const struct mc_request *rq;
	struct mc_response *r;
	struct mc_session_user u;
	char today[MC_DATE_LEN + 1], soon[MC_DATE_LEN + 1];
	struct mc_tdata *d;
	struct mc_tobj *root;
};

static bool parse_digits(const char *s, int max, long long *out)
{
	size_t n = strlen(s);

	if (n == 0 || n > (size_t)max || strspn(s, "0123456789") != n || s[0] == '0')
		return false;
	*out = strtoll(s, NULL, 10);
	return *out > 0;
}

static const char *arg(const struct sup *c, const char *name)
{
	const char *v = c->rq->lookup(c->rq, MC_REQ_ARG, name);

	return v && *v ? v : NULL;
}

/* ---- page scaffolding ---------------------------------------------------------------- */

static enum mc_err page(struct sup *c, const char *title)
{
	struct mc_tobj *me;
	enum mc_err err;

	mc_tdata_destroy(c->d);
	if (!(c->d = mc_tdata_create()))
		return MC_ERR_NOMEM;
	c->root = mc_tdata_root(c->d);
	if ((err = mc_tobj_str(c->root, "title", title)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "heading", title)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "today", c->today)) != MC_OK)
		return err;
	if (!c->u.id)
		return MC_OK;
	if (!(me = mc_tobj_obj(c->root, "me")))
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(me, "who", c->u.name)) != MC_OK ||
	    (err = mc_tobj_str(me, "role_label", mc_session_role_label(c->u.role))) != MC_OK)
		return err;
	return mc_tobj_str(c->root, "csrf", c->u.csrf);
}

static enum mc_err show(struct sup *c, const char *tpl, int status)
{
	enum mc_err err = mc_pages_render(c->pages, tpl, c->root, status, c->r);

	c->r->cache = "private, no-store";
	mc_tdata_destroy(c->d);
	c->d = NULL;
	c->root = NULL;
	return err;
}

static enum mc_err message(struct sup *c, int status, const char *heading, const char *detail)
{
	enum mc_err err;

	if ((err = page(c, heading)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "detail", detail)) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "status", "%d", status)) != MC_OK)
		return err;
	return show(c, "staff_message", status);
}

static enum mc_err not_found(struct sup *c)
{
	return message(c, 404, "Không tìm thấy", "Hồ sơ hoặc trang bạn tìm không có.");
}

static enum mc_err add_count(struct mc_tobj *o, const char *key, long long n)
{
	return mc_tobj_strf(o, key, "%lld", n);
}

/* Appends an item to parent.key.items, making parent.key on first use: a template shows
 * the list's frame only when it has items. */
static struct mc_tobj *lazy_push(struct mc_tobj *parent, const char *key, struct mc_tobj **obj)
{
	if (!*obj && !(*obj = mc_tobj_obj(parent, key)))
		return NULL;
	return mc_tobj_push(*obj, "items");
}

/* ---- the filter form ----------------------------------------------------------------- */

struct ward_opts {
	struct mc_tobj *root;
	const char *selected;
};

static enum mc_err ward_opt_cb(void *ctx, const struct mc_ward *w)
{
	struct ward_opts *wo = ctx;
	struct mc_tobj *o = mc_tobj_push(wo->root, "f_wards");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "slug", w->slug)) != MC_OK ||
	    (err = mc_tobj_str(o, "name", w->name)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "selected", w->slug && !strcmp(w->slug, wo->selected));
}

static enum mc_err push_opt(struct mc_tobj *root, const char *key, const char *value,
			    const char *label, bool selected)
{
	struct mc_tobj *o = mc_tobj_push(root, key);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "value", value)) != MC_OK ||
	    (err = mc_tobj_str(o, "label", label)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "selected", selected);
}

static enum mc_err add_filter(struct sup *c, const struct query *q)
{
	struct ward_opts wo = {c->root, q->ward};
	struct mc_tobj *f = mc_tobj_obj(c->root, "filter");
	enum mc_err err = MC_OK;

	if (!f)
		return MC_ERR_NOMEM;
	for (size_t i = 0; err == MC_OK && i < NLISTS; i++)
		err = push_opt(c->root, "f_lists", lists[i].name, lists[i].title,
			       &lists[i] == q->def);
	for (size_t i = 0; err == MC_OK && mc_permit_statuses[i].value; i++)
		err = push_opt(c->root, "f_statuses", mc_permit_statuses[i].value,
			       mc_permit_statuses[i].label,
			       q->status && !strcmp(q->status, mc_permit_statuses[i].value));
	if (err == MC_OK)
		err = mc_tobj_bool(f, "by_end", q->by_end);
	if (err == MC_OK)
		err = mc_tobj_str(f, "from", q->from);
	if (err == MC_OK)
		err = mc_tobj_str(f, "to", q->to);
	if (err == MC_OK)
		err = mc_store_ward_each(c->s, ward_opt_cb, &wo);
	return err;
}

/* ---- parsing the filters ------------------------------------------------------------- */

static const char *parse_list(struct query *q, const char *v)
{
	q->def = &lists[0];
	for (size_t i = 0; v && i < NLISTS; i++)
		if (!strcmp(v, lists[i].name))
			q->def = &lists[i];
	return v && strcmp(v, q->def->name) ? "Danh sách không có." : NULL;
}

static const char *parse_ward(struct sup *c, struct query *q, const char *v)
{
	enum mc_err err;

	if (!v)
		return NULL;
	if (strlen(v) > SLUG_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v))
		return "Mã phường không hợp lệ.";
	err = mc_store_ward_id(c->s, v, &q->ward_id);
	if (err == MC_ERR_NOTFOUND)
		return "Không có phường này.";
	if (err != MC_OK)
		return "";
	snprintf(q->ward, sizeof(q->ward), "%s", v);
	return NULL;
}

static const char *parse_dates(struct sup *c, struct query *q)
{
	const char *date = arg(c, "date"), *from = arg(c, "from"), *to = arg(c, "to");

	if (date && strcmp(date, "issued") && strcmp(date, "ends"))
		return "Chỉ lọc được theo ngày cấp hoặc ngày hết hạn.";
	q->by_end = date && !strcmp(date, "ends");
	if ((from && !mc_date_valid(from)) || (to && !mc_date_valid(to)))
		return "Ngày phải viết theo dạng NĂM-THÁNG-NGÀY, ví dụ 2026-01-31.";
	snprintf(q->from, sizeof(q->from), "%s", from ? from : "");
	snprintf(q->to, sizeof(q->to), "%s", to ? to : "");
	if (from && to && strcmp(from, to) > 0)
		return "Ngày bắt đầu của khoảng lọc phải trước ngày kết thúc.";
	return NULL;
}

/* Fills q from the query string; the reason when a value is not acceptable ("" when the
 * store failed), else NULL. */
static const char *parse_query(struct sup *c, struct query *q)
{
	const char *why, *v;

	memset(q, 0, sizeof(*q));
	q->page = 1;
	if ((why = parse_list(q, arg(c, "list"))) || (why = parse_ward(c, q, arg(c, "ward"))) ||
	    (why = parse_dates(c, q)))
		return why;
	if ((v = arg(c, "status"))) {
		for (size_t i = 0; mc_permit_statuses[i].value; i++)
			if (!strcmp(v, mc_permit_statuses[i].value))
				q->status = mc_permit_statuses[i].value;
		if (!q->status)
			return "Trạng thái không có.";
	}
	if ((v = arg(c, "page")) && !parse_digits(v, PAGE_DIGITS, &q->page))
		return "Số trang không hợp lệ.";
	if ((v = arg(c, "format")) && strcmp(v, "csv") && strcmp(v, "html"))
		return "Chỉ xuất được tệp CSV.";
	q->csv = v && !strcmp(v, "csv");
	return NULL;
}

static void to_filter(const struct sup *c, const struct query *q, struct mc_sup_filter *f)
{
	*f = (struct mc_sup_filter){
	    .list = q->def->list,
	    .ward_id = q->ward_id,
	    .status = q->status,
	    .by_end = q->by_end,
	    .from = q->from[0] ? q->from : NULL,
	    .to = q->to[0] ? q->to : NULL,
	    .today = c->today,
	    .soon = c->soon,
	};
}

/* The query string of q without page and format; every part was checked to be URL-safe. */
static enum mc_err query_string(const struct query *q, struct mc_buf *out)
{
	enum mc_err err = mc_buf_printf(out, "list=%s", q->def->name);

	if (err == MC_OK && q->ward[0])
		err = mc_buf_printf(out, "&ward=%s", q->ward);
	if (err == MC_OK && q->status)
		err = mc_buf_printf(out, "&status=%s", q->status);
	if (err == MC_OK && q->by_end)
		err = mc_buf_puts(out, "&date=ends");
	if (err == MC_OK && q->from[0])
		err = mc_buf_printf(out, "&from=%s", q->from);
	if (err == MC_OK && q->to[0])
		err = mc_buf_printf(out, "&to=%s", q->to);
	return err;
}

/* ---- the dashboard ------------------------------------------------------------------- */

struct board {
	struct mc_tobj *root;
	struct mc_sup_ward total;
	int wards;
};

static enum mc_err ward_counts(struct mc_tobj *o, const struct mc_sup_ward *w)
{
	static const char *const keys[5] = {"issued", "in_progress", "suspended", "revoked",
					    "completed"};
	enum mc_err err = MC_OK;

	for (int i = 0; err == MC_OK && i < 5; i++)
		err = add_count(o, keys[i], w->by_status[i]);
	if (err == MC_OK)
		err = add_count(o, "total", w->total);
	if (err == MC_OK)
		err = add_count(o, "overdue", w->overdue);
	if (err == MC_OK)
		err = add_count(o, "expiring", w->expiring);
	if (err == MC_OK)
		err = add_count(o, "halted", w->by_status[2] + w->by_status[3]);
	if (err == MC_OK)
		err = add_count(o, "reported", w->reported);
	return err;
}

static enum mc_err board_ward_cb(void *ctx, const struct mc_sup_ward *w)
{
	struct board *b = ctx;
	struct mc_tobj *o = mc_tobj_push(b->root, "wards");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "slug", w->slug)) != MC_OK ||
	    (err = mc_tobj_str(o, "name", w->name)) != MC_OK ||
	    (err = mc_tobj_strf(o, "ward_q", "&ward=%s", w->slug ? w->slug : "")) != MC_OK)
		return err;
	b->total.total += w->total;
	for (int i = 0; i < 5; i++)
		b->total.by_status[i] += w->by_status[i];
	b->total.overdue += w->overdue;
	b->total.expiring += w->expiring;
	b->total.reported += w->reported;
	b->wards++;
	return ward_counts(o, w);
}

static enum mc_err last_hash(void *ctx, const struct mc_audit *a)
{
	snprintf(ctx, MC_AUTH_SHA256_LEN + 1, "%s", a->hash ? a->hash : "");
	return MC_OK;
}

/* The chain head is read at once (the newest entry); walking the whole chain takes time
 * on the one write connection, so it happens only when a supervisor asks (?verify=1). */
static enum mc_err add_chain(struct sup *c)
{
	struct mc_audit_check chk;
	struct mc_tobj *o = mc_tobj_obj(c->root, "chain");
	char head[MC_AUTH_SHA256_LEN + 1] = "";
	long long last = 0;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_store_content_version(c->s, &last)) != MC_OK ||
	    (err = mc_store_audit_each(c->s, last - 1, NULL, 0, last_hash, head)) != MC_OK ||
	    (err = add_count(o, "entries", last)) != MC_OK ||
	    (err = mc_tobj_str(o, "head", head)) != MC_OK)
		return err;
	if (!arg(c, "verify"))
		return MC_OK;
	if ((err = mc_audit_verify(c->s, &chk)) != MC_OK ||
	    (err = mc_tobj_bool(o, "checked", true)) != MC_OK)
		return err;
	if (!chk.first_bad)
		return mc_tobj_bool(o, "ok", true);
	if ((err = mc_tobj_strf(o, "first_bad", "%lld", (long long)chk.first_bad)) != MC_OK)
		return err;
	return mc_tobj_str(o, "why", chk.why);
}

static enum mc_err dashboard(struct sup *c)
{
	struct board b = {0};
	struct query q = {.def = &lists[0]};
	struct mc_tobj *total;
	enum mc_err err;

	if ((err = page(c, "Giám sát xây dựng")) != MC_OK)
		return err;
	b.root = c->root;
	if ((err = mc_store_sup_wards(c->s, 0, c->today, c->soon, board_ward_cb, &b)) != MC_OK)
		return err;
	if (!(total = mc_tobj_obj(c->root, "total")))
		return MC_ERR_NOMEM;
	if ((err = ward_counts(total, &b.total)) != MC_OK ||
	    (err = add_count(c->root, "ward_count", b.wards)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "soon", c->soon)) != MC_OK ||
	    (err = add_chain(c)) != MC_OK || (err = add_filter(c, &q)) != MC_OK)
		return err;
	return show(c, "supervise_home", 200);
}

/* ---- lists --------------------------------------------------------------------------- */

static enum mc_err row_cb(void *ctx, const struct mc_sup_permit *sp)
{
	struct sup *c = ctx;
	const struct mc_permit *p = &sp->permit;
	struct mc_tobj *o = mc_tobj_push(c->root, "rows");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)p->id)) != MC_OK ||
	    (err = mc_tobj_str(o, "number", p->number)) != MC_OK ||
	    (err = mc_tobj_str(o, "ward_name", sp->ward_name)) != MC_OK ||
	    (err = mc_tobj_str(o, "address", p->address)) != MC_OK ||
	    (err = mc_tobj_str(o, "owner_name", p->owner_name)) != MC_OK ||
	    (err = mc_tobj_str(o, "kind_label", mc_label_of(mc_permit_kinds, p->kind))) != MC_OK ||
	    (err = mc_tobj_str(o, "status", p->status)) != MC_OK ||
	    (err = mc_tobj_str(o, "status_label", mc_label_of(mc_permit_statuses, p->status))) !=
		MC_OK ||
	    (err = mc_tobj_str(o, "status_reason", p->status_reason)) != MC_OK ||
	    (err = mc_tobj_str(o, "issued_on", p->issued_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "ends_on", p->ends_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "oldest_report", sp->oldest_report)) != MC_OK ||
	    (err = mc_tobj_bool(o, "expired",
				mc_permit_expired_on(p->status, p->ends_on, c->today))) != MC_OK)
		return err;
	return sp->open_reports ? add_count(o, "open_reports", sp->open_reports) : MC_OK;
}

static enum mc_err pager(struct sup *c, const struct query *q, long long count)
{
	long long pages = count ? (count + MC_SUPERVISE_PAGE - 1) / MC_SUPERVISE_PAGE : 1;
	struct mc_tobj *o = mc_tobj_obj(c->root, "pager");
	struct mc_buf qs;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	mc_buf_init(&qs);
	if ((err = query_string(q, &qs)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "qs", qs.data)) != MC_OK ||
	    (err = add_count(o, "page", q->page)) != MC_OK ||
	    (err = add_count(o, "pages", pages)) != MC_OK)
		goto done;
	if (q->page > 1 && (err = add_count(o, "prev", q->page - 1)) != MC_OK)
		goto done;
	if (q->page < pages)
		err = add_count(o, "next", q->page + 1);
done:
	mc_buf_finish(&qs);
	return err;
}

static enum mc_err csv_export(struct sup *c, const struct query *q, const struct mc_sup_filter *f);

static enum mc_err list_page(struct sup *c)
{
	struct mc_sup_filter f;
	struct query q;
	const char *why = parse_query(c, &q);
	long long count = 0;
	enum mc_err err;

	if (why)
		return *why ? message(c, 400, "Bộ lọc không hợp lệ", why) : MC_ERR_DB;
	to_filter(c, &q, &f);
	if (q.csv)
		return csv_export(c, &q, &f);
	if ((err = mc_store_sup_permit_count(c->s, &f, &count)) != MC_OK)
		return err;
	if ((q.page - 1) * MC_SUPERVISE_PAGE >= count && q.page > 1)
		return message(c, 404, "Không có trang này", "Danh sách không dài đến trang này.");
	if ((err = page(c, q.def->title)) != MC_OK || (err = add_filter(c, &q)) != MC_OK ||
	    (err = pager(c, &q, count)) != MC_OK || (err = add_count(c->root, "count", count)) ||
	    (err = mc_tobj_str(c->root, "soon", c->soon)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "list", q.def->name)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "any", count > 0)) != MC_OK)
		return err;
	err = mc_store_sup_permits(c->s, &f, MC_SUPERVISE_PAGE, (q.page - 1) * MC_SUPERVISE_PAGE,
				   row_cb, c);
	return err == MC_OK ? show(c, "supervise_list", 200) : err;
}

/* ---- CSV ----------------------------------------------------------------------------- */

/* One RFC 4180 cell. A cell that Excel would run as a formula (=, +, -, @ first) gets a
 * leading apostrophe: the export is opened by people, and addresses and reasons are typed
 * by other people. */
static enum mc_err csv_cell(struct mc_buf *b, const char *v, bool last)
{
	enum mc_err err = MC_OK;

	v = v ? v : "";
	if (strpbrk(v, ",\"\r\n") || (*v && strchr("=+-@\t\r", *v))) {
		err = mc_buf_putc(b, '"');
		if (err == MC_OK && *v && strchr("=+-@\t\r", *v))
			err = mc_buf_putc(b, '\'');
		for (; err == MC_OK && *v; v++)
			err = *v == '"' ? mc_buf_puts(b, "\"\"") : mc_buf_putc(b, *v);
		if (err == MC_OK)
			err = mc_buf_putc(b, '"');
	} else {
		err = mc_buf_puts(b, v);
	}
	if (err == MC_OK)
		err = mc_buf_puts(b, last ? "\r\n" : ",");
	return err;
}

static enum mc_err csv_row(struct mc_buf *b, const char *const *cells, size_t n)
{
	enum mc_err err = MC_OK;

	for (size_t i = 0; err == MC_OK && i < n; i++)
		err = csv_cell(b, cells[i], i + 1 == n);
	return err;
}

static const char *const csv_head[] = {
    "Phường",		"Số giấy phép",	  "Loại",	  "Địa chỉ",
    "Chủ đầu tư",	"Nội dung",	  "Trạng thái",	  "Lý do",
    "Ngày cấp",		"Ngày khởi công", "Ngày hết hạn", "Phản ánh chưa xử lý",
    "Phản ánh cũ nhất",
};
#define CSV_COLS (sizeof(csv_head) / sizeof(csv_head[0]))

static enum mc_err csv_cb(void *ctx, const struct mc_sup_permit *sp)
{
	struct mc_buf *b = ctx;
	const struct mc_permit *p = &sp->permit;
	char open[24];
	const char *cells[CSV_COLS] = {
	    sp->ward_name,
	    p->number,
	    mc_label_of(mc_permit_kinds, p->kind),
	    p->address,
	    p->owner_name,
	    p->scope,
	    mc_label_of(mc_permit_statuses, p->status),
	    p->status_reason,
	    p->issued_on,
	    p->starts_on,
	    p->ends_on,
	    open,
	    sp->oldest_report,
	};

	snprintf(open, sizeof(open), "%lld", sp->open_reports);
	return csv_row(b, cells, CSV_COLS);
}

static enum mc_err csv_export(struct sup *c, const struct query *q, const struct mc_sup_filter *f)
{
	struct mc_buf *b = &c->r->body;
	enum mc_err err;

	mc_buf_reset(b);
	if ((err = mc_buf_add(b, "\xEF\xBB\xBF", 3)) != MC_OK ||
	    (err = csv_row(b, csv_head, CSV_COLS)) != MC_OK ||
	    (err = mc_store_sup_permits(c->s, f, MC_SUPERVISE_CSV_MAX, 0, csv_cb, b)) != MC_OK)
		return err;
	c->r->status = 200;
	c->r->content_type = "text/csv; charset=utf-8";
	c->r->cache = "private, no-store";
	snprintf(c->r->disposition, sizeof(c->r->disposition),
		 "attachment; filename=\"giam-sat-%s-%s.csv\"", q->def->name, c->today);
	return MC_OK;
}

/* ---- one permit ---------------------------------------------------------------------- */

struct one {
	struct sup *c;
	struct mc_tobj *o; /* the permit's object on the page */
	struct mc_tobj *timeline;
	int64_t ward_id;
};

static enum mc_err permit_cb(void *ctx, const struct mc_permit *p)
{
	struct one *x = ctx;
	struct sup *c = x->c;
	struct mc_tobj *o = x->o = mc_tobj_obj(c->root, "permit");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	x->ward_id = p->ward_id;
	if ((err = mc_tobj_strf(o, "id", "%lld", (long long)p->id)) != MC_OK ||
	    (err = mc_tobj_strf(o, "ward_id", "%lld", (long long)p->ward_id)) != MC_OK ||
	    (err = mc_tobj_str(o, "number", p->number)) != MC_OK ||
	    (err = mc_tobj_str(o, "kind_label", mc_label_of(mc_permit_kinds, p->kind))) != MC_OK ||
	    (err = mc_tobj_str(o, "address", p->address)) != MC_OK ||
	    (err = mc_tobj_str(o, "owner_name", p->owner_name)) != MC_OK ||
	    (err = mc_tobj_str(o, "scope", p->scope)) != MC_OK ||
	    (err = mc_tobj_strf(o, "floors", "%d", p->floors)) != MC_OK ||
	    (err = mc_tobj_strf(o, "area_m2", "%g", p->area_m2)) != MC_OK ||
	    (err = mc_tobj_strf(o, "height_m", "%g", p->height_m)) != MC_OK ||
	    (err = mc_tobj_str(o, "contractor", p->contractor)) != MC_OK ||
	    (err = mc_tobj_str(o, "office", p->office)) != MC_OK ||
	    (err = mc_tobj_str(o, "issued_on", p->issued_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "starts_on", p->starts_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "ends_on", p->ends_on)) != MC_OK ||
	    (err = mc_tobj_str(o, "status", p->status)) != MC_OK ||
	    (err = mc_tobj_str(o, "status_label", mc_label_of(mc_permit_statuses, p->status))) !=
		MC_OK ||
	    (err = mc_tobj_str(o, "status_reason", p->status_reason)) != MC_OK)
		return err;
	if ((err = mc_tobj_str(c->root, "heading", p->number)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "expired", mc_permit_expired_on(p->status, p->ends_on, c->today));
}

static enum mc_err ward_cb(void *ctx, const struct mc_ward *w)
{
	struct mc_tobj *o = ctx;
	enum mc_err err;

	if ((err = mc_tobj_str(o, "ward_name", w->name)) != MC_OK)
		return err;
	return mc_tobj_str(o, "ward_slug", w->slug);
}

static enum mc_err code_cb(void *ctx, const struct mc_code *code)
{
	return mc_tobj_str(ctx, "token", code->token);
}

/* Appends a JSON value as text for a person, cut at a character boundary when long. */
static enum mc_err value_text(struct mc_tobj *o, const char *key, const json_t *v,
			      const struct mc_label *names)
{
	char *dumped = NULL;
	const char *s;
	size_t n;
	enum mc_err err;

	if (!v || json_is_null(v))
		return MC_OK;
	if (json_is_string(v)) {
		s = mc_label_of(names, json_string_value(v));
	} else if (!(s = dumped = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT))) {
		return MC_ERR_NOMEM;
	}
	n = strlen(s);
	if (n > VALUE_MAX) {
		n = VALUE_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		err = mc_tobj_strf(o, key, "%.*s…", (int)n, s);
	} else {
		err = mc_tobj_str(o, key, s);
	}
	free(dumped);
	return err;
}

static enum mc_err push_change(struct mc_tobj *entry, struct mc_tobj **list, const char *key,
			       const json_t *was, const json_t *now)
{
	struct mc_tobj *o = lazy_push(entry, "changes", list);
	const struct mc_label *names = !strcmp(key, "status") ? mc_permit_statuses
				       : !strcmp(key, "kind") ? mc_permit_kinds
							      : NULL;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "field", mc_label_of(fields, key))) != MC_OK ||
	    (err = value_text(o, "before", was, names)) != MC_OK)
		return err;
	return value_text(o, "after", now, names);
}

/* What an entry changed: every field whose value differs between before and after (for a
 * new record, every field that has a value). */
static enum mc_err add_changes(struct mc_tobj *entry, const char *before, const char *after)
{
	json_t *b = before ? json_loads(before, 0, NULL) : NULL;
	json_t *a = after ? json_loads(after, 0, NULL) : NULL;
	struct mc_tobj *list = NULL;
	const char *key;
	json_t *v;
	enum mc_err err = MC_OK;

	if ((before && !json_is_object(b)) || (after && !json_is_object(a))) {
		err = mc_tobj_bool(entry, "unreadable", true);
		goto done;
	}
	json_object_foreach(a, key, v)
	{
		const json_t *old = b ? json_object_get(b, key) : NULL;

		if ((old && json_equal(old, v)) || (!old && json_is_null(v)))
			continue;
		if ((err = push_change(entry, &list, key, old, v)) != MC_OK)
			goto done;
	}
	json_object_foreach(b, key, v)
	{
		if (!json_is_null(v) && !(a && json_object_get(a, key)) &&
		    (err = push_change(entry, &list, key, v, NULL)) != MC_OK)
			goto done;
	}
done:
	json_decref(a);
	json_decref(b);
	return err;
}

static enum mc_err timeline_cb(void *ctx, const struct mc_audit *a)
{
	struct one *x = ctx;
	struct mc_tobj *o = lazy_push(x->c->root, "timeline", &x->timeline);
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_strf(o, "audit_id", "%lld", (long long)a->id)) != MC_OK ||
	    (err = mc_tobj_str(o, "at", a->at)) != MC_OK ||
	    (err = mc_tobj_str(o, "actor", a->actor)) != MC_OK ||
	    (err = mc_tobj_str(o, "entity", a->entity)) != MC_OK ||
	    (err = mc_tobj_str(o, "entity_label", mc_label_of(entities, a->entity))) != MC_OK ||
	    (err = mc_tobj_str(o, "action", a->action)) != MC_OK ||
	    (err = mc_tobj_str(o, "action_label", mc_label_of(actions, a->action))) != MC_OK)
		return err;
	return add_changes(o, a->before, a->after);
}

static enum mc_err insp_cb(void *ctx, const struct mc_inspection *i)
{
	struct mc_tobj *o = mc_tobj_push(ctx, "inspections");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "on_date", i->on_date)) != MC_OK ||
	    (err = mc_tobj_str(o, "inspector", i->inspector)) != MC_OK ||
	    (err = mc_tobj_str(o, "result", i->result)) != MC_OK)
		return err;
	return mc_tobj_str(o, "note", i->note);
}

static enum mc_err report_cb(void *ctx, const struct mc_report *rep)
{
	struct mc_tobj *o = mc_tobj_push(ctx, "reports");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "ref", rep->ref)) != MC_OK ||
	    (err = mc_tobj_str(o, "category", mc_label_of(mc_report_categories, rep->category))) !=
		MC_OK ||
	    (err = mc_tobj_str(o, "description", rep->description)) != MC_OK ||
	    (err = mc_tobj_str(o, "contact", rep->contact)) != MC_OK ||
	    (err = mc_tobj_str(o, "photo", rep->photo_sha256)) != MC_OK ||
	    (err = mc_tobj_str(o, "created", rep->created_at)) != MC_OK ||
	    (err = mc_tobj_str(o, "reviewed", rep->reviewed_at)) != MC_OK)
		return err;
	return mc_tobj_str(o, "review_note", rep->review_note);
}

static enum mc_err file_cb(void *ctx, const struct mc_file *f)
{
	struct mc_tobj *o = mc_tobj_push(ctx, "files");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "sha256", f->sha256)) != MC_OK ||
	    (err = mc_tobj_str(o, "name", f->name)) != MC_OK ||
	    (err = mc_tobj_str(o, "mime", f->mime)) != MC_OK ||
	    (err = mc_tobj_strf(o, "size", "%lld", f->size)) != MC_OK ||
	    (err = mc_tobj_str(o, "created", f->created_at)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "public", f->public);
}

static enum mc_err permit_page(struct sup *c, int64_t id)
{
	struct one x = {.c = c};
	enum mc_err err;

	if ((err = page(c, "Hồ sơ giấy phép")) != MC_OK)
		return err;
	if ((err = mc_store_permit_get(c->s, id, permit_cb, &x)) == MC_ERR_NOTFOUND)
		return not_found(c);
	if (err == MC_OK)
		err = mc_store_ward_by_id(c->s, x.ward_id, ward_cb, x.o);
	if (err == MC_OK || err == MC_ERR_NOTFOUND)
		err = mc_store_code_for_target(c->s, MC_KIND_PERMIT, id, code_cb, x.o);
	if (err == MC_OK || err == MC_ERR_NOTFOUND)
		err = mc_store_sup_permit_audit(c->s, id, timeline_cb, &x);
	if (err == MC_OK)
		err = mc_store_permit_inspections(c->s, id, insp_cb, c->root);
	if (err == MC_OK)
		err = mc_store_sup_permit_reports(c->s, id, report_cb, c->root);
	if (err == MC_OK)
		err = mc_store_file_each(c->s, id, false, file_cb, c->root);
	return err == MC_OK ? show(c, "supervise_permit", 200) : err;
}

/* ---- the entry point ----------------------------------------------------------------- */

static void set_days(struct sup *c)
{
	time_t now = time(NULL);

	mc_date_of(now, c->today);
	mc_date_of(now + SOON_DAYS * DAY_SECONDS, c->soon);
}

/* No live session: a page view goes to the sign-in form, anything else is refused. */
static enum mc_err signed_out(struct sup *c)
{
	memset(&c->u, 0, sizeof(c->u));
	if (strcmp(c->rq->method, "GET") && strcmp(c->rq->method, "HEAD"))
		return message(c, 403, "Phiên làm việc đã hết hạn", "Vui lòng đăng nhập lại.");
	snprintf(c->r->location, sizeof(c->r->location), "%s", "/staff/login");
	mc_buf_reset(&c->r->body);
	c->r->status = 303;
	c->r->cache = "private, no-store";
	return MC_OK;
}

enum mc_err mc_supervise_gate(struct mc_call *call, mc_handler_fn fn)
{
	struct sup c = {.pages = call->site->pages, .s = call->s, .rq = call->rq, .r = call->r};
	enum mc_err err;

	set_days(&c);
	err = mc_session_get(c.s, c.rq, (long long)time(NULL), &c.u);
	if (err == MC_ERR_NOTFOUND)
		err = signed_out(&c);
	else if (err == MC_OK && !mc_session_all_wards(&c.u))
		err = message(&c, 403, "Không được phép",
			      "Trang giám sát dành cho cán bộ giám sát và quản trị viên.");
	else if (err == MC_OK && strcmp(c.rq->method, "GET") && strcmp(c.rq->method, "HEAD"))
		err = message(&c, 405, "Phương thức không được hỗ trợ",
			      "Trang giám sát chỉ để xem, không nhận biểu mẫu.");
	else if (err == MC_OK) {
		call->scope = &c;
		err = fn(call);
		call->scope = NULL;
	}
	mc_tdata_destroy(c.d);
	return err;
}

enum mc_err mc_supervise_home(struct mc_call *call)
{
	return dashboard(call->scope);
}

enum mc_err mc_supervise_list(struct mc_call *call)
{
	return list_page(call->scope);
}

enum mc_err mc_supervise_permit(struct mc_call *call)
{
	return permit_page(call->scope, call->id);
}

enum mc_err mc_supervise_not_found(struct mc_call *call)
{
	return not_found(call->scope);
}
