/* The supervisors' lists (/supervise/permits): the permits that need attention, with
 * filters, pages, and export as CSV or as an .xlsx workbook. Every query value is checked
 * against a closed set (list, status, date field), a calendar date or an existing ward before
 * it reaches the store, so links can be rebuilt from the checked values without escaping. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/domain/permit.h"
#include "motcham/office/office.h"
#include "motcham/office/supervise.h"
#include "motcham/render/csv.h"
#include "motcham/render/template.h"
#include "motcham/render/xlsx.h"
#include "motcham/store/store.h"
#include "motcham/web/response.h"
#include "private.h"

#define PAGE_DIGITS 7

const struct list_def supervise_lists[] = {
    {"all", MC_SUP_ALL, "Tất cả giấy phép"},
    {"overdue", MC_SUP_OVERDUE, "Thi công quá thời hạn giấy phép"},
    {"expiring", MC_SUP_EXPIRING, "Giấy phép hết hạn trong 7 ngày tới"},
    {"halted", MC_SUP_HALTED, "Giấy phép bị đình chỉ hoặc thu hồi"},
    {"reported", MC_SUP_REPORTED, "Giấy phép có phản ánh chưa xử lý"},
};

#define NLISTS (sizeof(supervise_lists) / sizeof(supervise_lists[0]))

static bool parse_digits(const char *s, int max, long long *out)
{
	size_t n = strlen(s);

	if (n == 0 || n > (size_t)max || strspn(s, "0123456789") != n || s[0] == '0')
		return false;
	*out = strtoll(s, NULL, 10);
	return *out > 0;
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

enum mc_err supervise_list_filter(struct office *c, const struct query *q)
{
	struct ward_opts wo = {c->root, q->ward};
	struct mc_tobj *f = mc_tobj_obj(c->root, "filter");
	enum mc_err err = MC_OK;

	if (!f)
		return MC_ERR_NOMEM;
	for (size_t i = 0; err == MC_OK && i < NLISTS; i++)
		err = push_opt(c->root, "f_lists", supervise_lists[i].name,
			       supervise_lists[i].title, &supervise_lists[i] == q->def);
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
		err = mc_store_ward_each(c->wr, ward_opt_cb, &wo);
	return err;
}

/* ---- parsing the filters ------------------------------------------------------------- */

static const char *parse_list(struct query *q, const char *v)
{
	q->def = &supervise_lists[0];
	for (size_t i = 0; v && i < NLISTS; i++)
		if (!strcmp(v, supervise_lists[i].name))
			q->def = &supervise_lists[i];
	return v && strcmp(v, q->def->name) ? "Danh sách không có." : NULL;
}

static const char *parse_ward(struct office *c, struct query *q, const char *v)
{
	enum mc_err err;

	if (!v)
		return NULL;
	if (strlen(v) > SLUG_MAX || strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(v))
		return "Mã phường không hợp lệ.";
	err = mc_store_ward_id(c->wr, v, &q->ward_id);
	if (err == MC_ERR_NOTFOUND)
		return "Không có phường này.";
	if (err != MC_OK)
		return "";
	snprintf(q->ward, sizeof(q->ward), "%s", v);
	return NULL;
}

static const char *parse_dates(struct office *c, struct query *q)
{
	const char *date = page_arg(c, "date"), *from = page_arg(c, "from"),
		   *to = page_arg(c, "to");

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
static const char *parse_query(struct office *c, struct query *q)
{
	const char *why, *v;

	memset(q, 0, sizeof(*q));
	q->page = 1;
	if ((why = parse_list(q, page_arg(c, "list"))) ||
	    (why = parse_ward(c, q, page_arg(c, "ward"))) || (why = parse_dates(c, q)))
		return why;
	if ((v = page_arg(c, "status"))) {
		for (size_t i = 0; mc_permit_statuses[i].value; i++)
			if (!strcmp(v, mc_permit_statuses[i].value))
				q->status = mc_permit_statuses[i].value;
		if (!q->status)
			return "Trạng thái không có.";
	}
	if ((v = page_arg(c, "page")) && !parse_digits(v, PAGE_DIGITS, &q->page))
		return "Số trang không hợp lệ.";
	if ((v = page_arg(c, "format")) && strcmp(v, "csv") && strcmp(v, "xlsx") &&
	    strcmp(v, "html"))
		return "Chỉ xuất được tệp CSV hoặc Excel (.xlsx).";
	q->csv = v && !strcmp(v, "csv");
	q->xlsx = v && !strcmp(v, "xlsx");
	return NULL;
}

static void to_filter(const struct office *c, const struct query *q, struct mc_sup_filter *f)
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

/* ---- lists --------------------------------------------------------------------------- */

static enum mc_err row_cb(void *ctx, const struct mc_sup_permit *sp)
{
	struct office *c = ctx;
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
	return sp->open_reports ? page_count(o, "open_reports", sp->open_reports) : MC_OK;
}

static enum mc_err pager(struct office *c, const struct query *q, long long count)
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
	    (err = page_count(o, "page", q->page)) != MC_OK ||
	    (err = page_count(o, "pages", pages)) != MC_OK)
		goto done;
	if (q->page > 1 && (err = page_count(o, "prev", q->page - 1)) != MC_OK)
		goto done;
	if (q->page < pages)
		err = page_count(o, "next", q->page + 1);
done:
	mc_buf_finish(&qs);
	return err;
}

static enum mc_err csv_export(struct office *c, const struct query *q,
			      const struct mc_sup_filter *f);
static enum mc_err xlsx_export(struct office *c, const struct query *q,
			       const struct mc_sup_filter *f);

static enum mc_err list_page(struct office *c)
{
	struct mc_sup_filter f;
	struct query q;
	const char *why = parse_query(c, &q);
	long long count = 0;
	enum mc_err err;

	if (why)
		return *why ? page_message(c, 400, "Bộ lọc không hợp lệ", why) : MC_ERR_DB;
	to_filter(c, &q, &f);
	if (q.csv)
		return csv_export(c, &q, &f);
	if (q.xlsx)
		return xlsx_export(c, &q, &f);
	if ((err = mc_store_sup_permit_count(c->wr, &f, &count)) != MC_OK)
		return err;
	if ((q.page - 1) * MC_SUPERVISE_PAGE >= count && q.page > 1)
		return page_message(c, 404, "Không có trang này",
				    "Danh sách không dài đến trang này.");
	if ((err = page_start(c, q.def->title)) != MC_OK ||
	    (err = supervise_list_filter(c, &q)) != MC_OK || (err = pager(c, &q, count)) != MC_OK ||
	    (err = page_count(c->root, "count", count)) ||
	    (err = mc_tobj_str(c->root, "soon", c->soon)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "list", q.def->name)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "any", count > 0)) != MC_OK)
		return err;
	err = mc_store_sup_permits(c->wr, &f, MC_SUPERVISE_PAGE, (q.page - 1) * MC_SUPERVISE_PAGE,
				   row_cb, c);
	return err == MC_OK ? page_show(c, "supervise_list", 200) : err;
}

/* ---- CSV ----------------------------------------------------------------------------- */

static enum mc_err csv_row(struct mc_buf *b, const char *const *cells, size_t n)
{
	enum mc_err err = MC_OK;

	for (size_t i = 0; err == MC_OK && i < n; i++)
		err = mc_csv_cell(b, cells[i], i + 1 == n ? 0 : ',');
	return err;
}

static const char *const csv_head[] = {
    "Phường",		"Số giấy phép",	  "Loại",	  "Địa chỉ",
    "Chủ đầu tư",	"Nội dung",	  "Trạng thái",	  "Lý do",
    "Ngày cấp",		"Ngày khởi công", "Ngày hết hạn", "Phản ánh chưa xử lý",
    "Phản ánh cũ nhất",
};

#define CSV_COLS (sizeof(csv_head) / sizeof(csv_head[0]))
#define OPEN_COL 11 /* "Phản ánh chưa xử lý": a count, a number in the workbook */

/* A permit's row of the exports, as text; open receives the count of open reports. */
static void export_cells(const struct mc_sup_permit *sp, char open[24], const char *cells[CSV_COLS])
{
	const struct mc_permit *p = &sp->permit;

	snprintf(open, 24, "%lld", sp->open_reports);
	cells[0] = sp->ward_name;
	cells[1] = p->number;
	cells[2] = mc_label_of(mc_permit_kinds, p->kind);
	cells[3] = p->address;
	cells[4] = p->owner_name;
	cells[5] = p->scope;
	cells[6] = mc_label_of(mc_permit_statuses, p->status);
	cells[7] = p->status_reason;
	cells[8] = p->issued_on;
	cells[9] = p->starts_on;
	cells[10] = p->ends_on;
	cells[OPEN_COL] = open;
	cells[12] = sp->oldest_report;
}

static enum mc_err csv_cb(void *ctx, const struct mc_sup_permit *sp)
{
	struct mc_buf *b = ctx;
	char open[24];
	const char *cells[CSV_COLS];

	export_cells(sp, open, cells);
	return csv_row(b, cells, CSV_COLS);
}

static enum mc_err csv_export(struct office *c, const struct query *q,
			      const struct mc_sup_filter *f)
{
	struct mc_buf *b = &c->r->body;
	enum mc_err err;

	mc_buf_reset(b);
	if ((err = mc_buf_add(b, "\xEF\xBB\xBF", 3)) != MC_OK ||
	    (err = csv_row(b, csv_head, CSV_COLS)) != MC_OK ||
	    (err = mc_store_sup_permits(c->wr, f, MC_SUPERVISE_CSV_MAX, 0, csv_cb, b)) != MC_OK)
		return err;
	c->r->status = 200;
	c->r->content_type = "text/csv; charset=utf-8";
	c->r->cache = "private, no-store";
	snprintf(c->r->disposition, sizeof(c->r->disposition),
		 "attachment; filename=\"giam-sat-%s-%s.csv\"", q->def->name, c->today);
	return MC_OK;
}

/* ---- .xlsx ---------------------------------------------------------------------------- */

/* Each column about as wide as what it mostly holds, in characters. */
static const double xlsx_widths[] = {18, 16, 14, 36, 24, 40, 14, 30, 12, 12, 12, 10, 14};

_Static_assert(sizeof(xlsx_widths) / sizeof(xlsx_widths[0]) == CSV_COLS, "a width a column");

struct xlsx_rows {
	struct mc_xlsx *x;
	unsigned row;
};

static enum mc_err xlsx_cb(void *ctx, const struct mc_sup_permit *sp)
{
	struct xlsx_rows *xr = ctx;
	char open[24];
	const char *cells[CSV_COLS];
	enum mc_err err = MC_OK;

	export_cells(sp, open, cells);
	xr->row++;
	for (unsigned i = 0; err == MC_OK && i < CSV_COLS; i++)
		err = i == OPEN_COL ? mc_xlsx_number(xr->x, xr->row, i, (double)sp->open_reports)
				    : mc_xlsx_text(xr->x, xr->row, i, cells[i]);
	return err;
}

struct xlsx_file {
	struct mc_xlsx *x;
	int fd;
	unsigned long long size;
	enum mc_err err;
};

static void xlsx_close(void *arg)
{
	struct xlsx_file *k = arg;

	k->err = mc_xlsx_close(k->x, &k->fd, &k->size);
}

/* The workbook is sent from its (unnamed) temporary file, never held in memory; an error
 * anywhere leaves no file and gives the error page instead. */
static enum mc_err xlsx_export(struct office *c, const struct query *q,
			       const struct mc_sup_filter *f)
{
	struct xlsx_file k = {.fd = -1, .err = MC_ERR_INTERNAL};
	struct xlsx_rows xr = {0};
	enum mc_err err;

	if ((err = mc_xlsx_create(NULL, &k.x)) != MC_OK ||
	    (err = mc_xlsx_head(k.x, csv_head, xlsx_widths, CSV_COLS)) != MC_OK)
		goto done;
	xr.x = k.x;
	if ((err = mc_store_sup_permits(c->wr, f, MC_SUPERVISE_CSV_MAX, 0, xlsx_cb, &xr)) != MC_OK)
		goto done;
	/* Compressing takes about as long as writing the rows and needs no database: staff
	 * pages have the write connection meanwhile. The supervisors' gate sets no actor on
	 * it, so there is none to set aside (office_release). */
	if (c->call->release)
		c->call->release(c->call, xlsx_close, &k);
	else
		xlsx_close(&k);
	if ((err = k.err) != MC_OK)
		goto done;
	mc_buf_reset(&c->r->body);
	c->r->fd = k.fd;
	c->r->fd_size = k.size;
	k.fd = -1;
	c->r->status = 200;
	c->r->content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	c->r->cache = "private, no-store";
	snprintf(c->r->disposition, sizeof(c->r->disposition),
		 "attachment; filename=\"giam-sat-%s-%s.xlsx\"", q->def->name, c->today);
done:
	if (k.fd >= 0)
		close(k.fd);
	mc_xlsx_destroy(k.x);
	return err;
}

enum mc_err mc_supervise_list(struct mc_call *call)
{
	return list_page(call->scope);
}
