#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "motcham/base/date.h"
#include "motcham/public/pages.h"
#include "motcham/store/store.h"
#include "motcham/base/token.h"
#include "call.h"

#define BASE_URL "http://127.0.0.1:8080"
#define EVIL "<script>alert(\"x\")</script> & 'quotes'"
#define OWNER "Nguyễn Văn An"
#define MAX_PAGE (30 * 1024)

struct fx {
	char dir[64];
	char db[96];
	struct mc_store *s;
	struct mc_pages *p;
	struct mc_response r;
	int64_t ward, ward2, proc, proc2, ann, ann_old, permit[6];
	char tok_proc[MC_TOKEN_LEN + 1], tok_ward[MC_TOKEN_LEN + 1];
	char tok_permit[MC_TOKEN_LEN + 1], tok_old[MC_TOKEN_LEN + 1];
	char tok_ann[MC_TOKEN_LEN + 1];
	long css_size;
};

enum { P_OK, P_EXPIRED, P_FUTURE, P_SUSPENDED, P_REVOKED, P_DONE };

static void day_offset(int days, char out[MC_DATE_LEN + 1])
{
	mc_date_of(time(NULL) + (time_t)days * 86400, out);
}

static const char *src_dir(void)
{
	const char *d = getenv("MOTCHAM_SRC");

	return d && *d ? d : ".";
}

static void add_wards(struct fx *f)
{
	struct mc_ward w = {.slug = "phuong-7",
			    .name = "Phường 7, Quận 8",
			    .address = "1 Đường Số 1, Phường 7",
			    .phone = "028 3850 0000",
			    .hours = "Thứ Hai – Thứ Sáu: 7:30 – 17:00\nThứ Bảy: 7:30 – 11:30",
			    .intro = "Đoạn một.\n\nĐoạn hai " EVIL,
			    .sample = true};
	struct mc_ward w2 = {.slug = "phuong-9", .name = "Phường 9"};

	assert_int_equal(mc_store_ward_upsert(f->s, &w, &f->ward), MC_OK);
	assert_int_equal(mc_store_ward_upsert(f->s, &w2, &f->ward2), MC_OK);
}

static void add_procedures(struct fx *f)
{
	struct mc_procedure p = {.ward_id = f->ward,
				 .tthc_code = "1.001193",
				 .title = "Đăng ký khai sinh " EVIL,
				 .field = "Hộ tịch",
				 .level = "Cấp xã",
				 .steps = "1. Nộp hồ sơ\n2. Nhận kết quả\n\n",
				 .ways = "Trực tiếp\nTrực tuyến",
				 .fees = "Miễn phí",
				 .legal_basis = "Luật Hộ tịch 2014\nNghị định 123/2015/NĐ-CP",
				 .online_url = "javascript:alert(1)"};
	struct mc_document docs[] = {{MC_DOC_PAPER, "Giấy chứng sinh", 1, 0},
				     {MC_DOC_FORM, "Tờ khai đăng ký khai sinh", 1, 0},
				     {MC_DOC_PAPER, "CCCD của cha/mẹ", 0, 2}};
	struct mc_procedure p2 = {
	    .ward_id = f->ward2, .tthc_code = "2.000001", .title = "Khác", .field = "Khác"};

	assert_int_equal(mc_store_procedure_upsert(f->s, &p, docs, 3, &f->proc, NULL), MC_OK);
	assert_int_equal(mc_store_procedure_upsert(f->s, &p2, NULL, 0, &f->proc2, NULL), MC_OK);
}

static void add_announcements(struct fx *f)
{
	char past[MC_DATE_LEN + 1], old[MC_DATE_LEN + 1], older[MC_DATE_LEN + 1];
	struct mc_announcement a = {.ward_id = f->ward,
				    .title = "Lịch tiếp dân tháng này",
				    .body = "Dòng một\nDòng hai\n\nĐoạn sau " EVIL};
	struct mc_announcement b = {
	    .ward_id = f->ward, .title = "Thông báo cũ đã hết hạn", .body = "Cũ."};

	day_offset(-1, past);
	day_offset(-10, older);
	day_offset(-5, old);
	a.published_on = past;
	b.published_on = older;
	b.expires_on = old;
	assert_int_equal(mc_store_announcement_upsert(f->s, &a, &f->ann, NULL), MC_OK);
	assert_int_equal(mc_store_announcement_upsert(f->s, &b, &f->ann_old, NULL), MC_OK);
}

static void add_permits(struct fx *f)
{
	static const char *const numbers[] = {"1/GPSC", "2/GPSC", "3/GPSC",
					      "4/GPSC", "5/GPSC", "6/GPSC"};
	static const char *const statuses[] = {MC_STATUS_IN_PROGRESS, MC_STATUS_ISSUED,
					       MC_STATUS_ISSUED,      MC_STATUS_SUSPENDED,
					       MC_STATUS_REVOKED,     MC_STATUS_COMPLETED};
	char d[4][MC_DATE_LEN + 1];
	struct mc_inspection in = {.inspector = "Tổ kiểm tra", .result = "Đạt"};
	int i;

	day_offset(-30, d[0]);
	day_offset(-2, d[1]);
	day_offset(3, d[2]);
	day_offset(60, d[3]);
	for (i = 0; i < 6; i++) {
		struct mc_permit p = {.ward_id = f->ward,
				      .number = numbers[i],
				      .kind = MC_PERMIT_REPAIR,
				      .address = "12 Hẻm 5",
				      .owner_name = OWNER,
				      .scope = "Sửa mái",
				      .office = "UBND Phường 7",
				      .floors = 2,
				      .area_m2 = 85.5,
				      .height_m = 7.25,
				      .issued_on = d[0],
				      .starts_on = i == P_FUTURE ? d[2] : d[0],
				      .ends_on = i == P_EXPIRED ? d[1] : d[3],
				      .status = statuses[i],
				      .status_reason = "Vi phạm " EVIL};
		assert_int_equal(mc_store_permit_upsert(f->s, &p, &f->permit[i], NULL), MC_OK);
	}
	in.permit_id = f->permit[P_OK];
	in.on_date = d[1];
	assert_int_equal(mc_store_inspection_upsert(f->s, &in, NULL, NULL), MC_OK);
}

static void add_codes(struct fx *f)
{
	char tok[MC_TOKEN_LEN + 1];

	assert_int_equal(mc_store_code_create(f->s, MC_KIND_PROCEDURE, f->proc, f->tok_old), MC_OK);
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_PROCEDURE, f->proc, f->tok_proc),
			 MC_OK);
	assert_int_equal(mc_store_code_revoke(f->s, f->tok_old, f->tok_proc), MC_OK);
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_WARD, f->ward, f->tok_ward), MC_OK);
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_PERMIT, f->permit[P_OK], f->tok_permit),
			 MC_OK);
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_ANNOUNCEMENT, f->ann, f->tok_ann),
			 MC_OK);
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_PROCEDURE, f->proc2, tok), MC_OK);
}

static int setup(void **state)
{
	struct mc_pages_config cfg = {.base_url = BASE_URL};
	char tdir[512], css[512];
	struct fx *f = calloc(1, sizeof(*f));
	struct stat st;

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mc_pages_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
	assert_int_equal(mc_store_open(f->db, MC_STORE_CREATE, &f->s), MC_OK);
	assert_int_equal(mc_store_migrate(f->s), MC_OK);
	add_wards(f);
	add_procedures(f);
	add_announcements(f);
	add_permits(f);
	add_codes(f);
	snprintf(tdir, sizeof(tdir), "%s/templates", src_dir());
	snprintf(css, sizeof(css), "%s/assets/style.css", src_dir());
	assert_int_equal(stat(css, &st), 0);
	f->css_size = (long)st.st_size;
	cfg.templates_dir = tdir;
	assert_int_equal(mc_pages_create(&cfg, &f->p, NULL), MC_OK);
	mc_response_init(&f->r);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	char path[160];

	mc_response_finish(&f->r);
	mc_pages_destroy(f->p);
	mc_store_destroy(f->s);
	snprintf(path, sizeof(path), "%s-wal", f->db);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", f->db);
	unlink(path);
	unlink(f->db);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Every HTML page: the status, valid structure markers, nothing inline the CSP would block,
 * and small enough for a slow phone connection together with the stylesheet. */
static const char *html(struct fx *f, int status)
{
	const char *b = f->r.body.data;

	assert_int_equal(f->r.status, status);
	assert_string_equal(f->r.content_type, "text/html; charset=utf-8");
	assert_null(f->r.cache);
	assert_non_null(b);
	assert_non_null(strstr(b, "<html lang=\"vi\">"));
	assert_non_null(strstr(b, "name=\"viewport\""));
	assert_non_null(strstr(b, "href=\"/assets/style.css\""));
	assert_null(strstr(b, "<script"));
	assert_null(strstr(b, "style="));
	assert_null(strstr(b, "<style"));
	assert_only_own_urls(b, BASE_URL);
	assert_true((long)f->r.body.len + f->css_size < MAX_PAGE);
	return b;
}

static void test_procedure_page(void **state)
{
	struct fx *f = *state;
	const char *b;

	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_procedure, f->s, "phuong-7", f->proc, NULL, NULL),
	    MC_OK);
	b = html(f, 200);
	assert_non_null(strstr(b,
			       "Đăng ký khai sinh &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
			       " &amp; &#39;quotes&#39;"));
	assert_non_null(strstr(b, "1.001193"));
	assert_non_null(strstr(b, "<li>Nộp hồ sơ</li>"));
	assert_non_null(strstr(b, "<li>Nghị định 123/2015/NĐ-CP</li>"));
	assert_non_null(strstr(b, "Mẫu đơn, tờ khai"));
	assert_non_null(
	    strstr(b, "<td>CCCD của cha/mẹ</td><td class=\"n\">0</td><td class=\"n\">2</td>"));
	assert_non_null(strstr(b, "Cập nhật: "));
	/* Not a web link, so it must not become an href. */
	assert_null(strstr(b, "javascript:"));
	assert_non_null(strstr(b, "Dữ liệu mẫu"));
	assert_non_null(strstr(b, f->tok_proc));
	assert_null(strstr(b, f->tok_old));
	assert_non_null(strstr(b, "/qr/"));
}

static void test_wrong_ward_is_404(void **state)
{
	struct fx *f = *state;

	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_procedure, f->s, "phuong-9", f->proc, NULL, NULL),
	    MC_OK);
	assert_non_null(strstr(html(f, 404), "Không tìm thấy trang"));
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_procedure, f->s, "phuong-7", f->proc2, NULL, NULL),
	    MC_OK);
	html(f, 404);
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_permit, f->s, "phuong-9", f->permit[0], NULL, NULL),
	    MC_OK);
	html(f, 404);
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_announcement, f->s, "phuong-9", f->ann, NULL, NULL),
	    MC_OK);
	html(f, 404);
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_procedure, f->s, "phuong-7", 999999, NULL, NULL),
	    MC_OK);
	html(f, 404);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_ward, f->s, "../etc", 0, NULL, NULL),
			 MC_OK);
	html(f, 404);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_ward, f->s, "khong-co", 0, NULL, NULL),
			 MC_OK);
	html(f, 404);
}

static void expect_permit(struct fx *f, int which, const char *want)
{
	const char *b;

	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_permit, f->s, "phuong-7", f->permit[which], NULL, NULL),
	    MC_OK);
	b = html(f, 200);
	if (!strstr(b, want))
		fail_msg("permit %d lacks \"%s\"", which, want);
	assert_null(strstr(b, OWNER));
	assert_non_null(strstr(b, "Nguyễn V. A."));
	assert_non_null(strstr(b, "so sánh với thông báo dán tại công trình"));
	if (which != P_OK)
		assert_null(strstr(b, "Được phép thi công hôm nay"));
}

static void test_permit_pages(void **state)
{
	struct fx *f = *state;
	const char *b;

	expect_permit(f, P_OK, "Được phép thi công hôm nay");
	b = f->r.body.data;
	assert_non_null(strstr(b, "85,5 m²"));
	assert_non_null(strstr(b, "7,25 m"));
	assert_non_null(strstr(b, "Sửa chữa"));
	assert_non_null(strstr(b, "Tổ kiểm tra"));
	assert_non_null(strstr(b, f->tok_permit));
	expect_permit(f, P_EXPIRED, "Giấy phép đã hết hạn");
	expect_permit(f, P_FUTURE, "Chưa đến ngày khởi công");
	expect_permit(f, P_SUSPENDED, "Đang bị đình chỉ");
	assert_non_null(strstr(f->r.body.data, "Vi phạm &lt;script&gt;"));
	expect_permit(f, P_REVOKED, "Đã bị thu hồi");
	expect_permit(f, P_DONE, "Công trình đã hoàn thành");
}

static void test_ward_and_home(void **state)
{
	struct fx *f = *state;
	const char *b;
	char url[64];

	assert_int_equal(page_call(f->p, &f->r, mc_pages_ward, f->s, "phuong-7", 0, NULL, NULL),
			 MC_OK);
	b = html(f, 200);
	assert_non_null(strstr(b, "<h1>Phường 7, Quận 8</h1>"));
	assert_non_null(strstr(b, "Dữ liệu mẫu"));
	assert_non_null(strstr(b, "Lịch tiếp dân tháng này"));
	assert_null(strstr(b, "Thông báo cũ đã hết hạn"));
	assert_non_null(strstr(b, "<h3>Hộ tịch</h3>"));
	snprintf(url, sizeof(url), "/w/phuong-7/procedures/%lld\"", (long long)f->proc);
	assert_non_null(strstr(b, url));
	assert_non_null(strstr(b, "action=\"/w/phuong-7/search\""));
	assert_non_null(strstr(b, "action=\"/q\""));
	assert_non_null(strstr(b, "name=\"t\""));
	assert_non_null(strstr(b, "href=\"tel:02838500000\""));
	assert_non_null(strstr(b, "Thứ Bảy: 7:30 – 11:30"));
	assert_non_null(strstr(b, "Đoạn hai &lt;script&gt;"));
	assert_int_equal(page_call(f->p, &f->r, mc_pages_home, f->s, NULL, 0, NULL, NULL), MC_OK);
	b = html(f, 200);
	assert_non_null(strstr(b, "href=\"/w/phuong-7\""));
	assert_non_null(strstr(b, "href=\"/w/phuong-9\""));
}

static void test_announcement(void **state)
{
	struct fx *f = *state;
	const char *b;

	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_announcement, f->s, "phuong-7", f->ann, NULL, NULL),
	    MC_OK);
	b = html(f, 200);
	assert_non_null(strstr(b,
			       "<p><span class=\"line\">Dòng một</span><span class=\"line\">Dòng "
			       "hai</span></p>"));
	assert_non_null(strstr(b, "Đoạn sau &lt;script&gt;"));
	assert_non_null(strstr(b, "Ngày đăng: "));
}

static void test_search(void **state)
{
	struct fx *f = *state;
	char longq[400];
	const char *b;

	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_search, f->s, "phuong-7", 0, NULL, "KHAI sính"), MC_OK);
	b = html(f, 200);
	assert_non_null(strstr(b, "Tìm thấy 1 thủ tục"));
	assert_non_null(strstr(b, "value=\"KHAI sính\""));
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_search, f->s, "phuong-7", 0, NULL, "\"><b>xyz"), MC_OK);
	b = html(f, 200);
	assert_non_null(strstr(b, "Không tìm thấy thủ tục nào"));
	assert_non_null(strstr(b, "value=\"&quot;&gt;&lt;b&gt;xyz\""));
	assert_int_equal(page_call(f->p, &f->r, mc_pages_search, f->s, "phuong-7", 0, NULL, NULL),
			 MC_OK);
	b = html(f, 200);
	assert_null(strstr(b, "Tìm thấy"));
	assert_null(strstr(b, "Không tìm thấy"));
	/* Over 200 bytes is cut on a character boundary, never split inside "ế". */
	memset(longq, 0, sizeof(longq));
	for (size_t i = 0; i + 3 < 300; i += 3)
		memcpy(longq + i, "ế", 3);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_search, f->s, "phuong-7", 0, NULL, longq),
			 MC_OK);
	html(f, 200);
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_search, f->s, "phuong-7", 0, NULL, "\xff\xfe"), MC_OK);
	html(f, 400);
}

static void test_codes(void **state)
{
	struct fx *f = *state;
	char tok[MC_TOKEN_LEN + 1], typed[MC_TOKEN_LEN + 2], *direct;
	const char *b;

	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_procedure, f->s, "phuong-7", f->proc, NULL, NULL),
	    MC_OK);
	direct = strdup(f->r.body.data);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_code, f->s, NULL, 0, f->tok_proc, NULL),
			 MC_OK);
	html(f, 200);
	assert_string_equal(f->r.body.data, direct);
	free(direct);

	/* Lower case and a dash are accepted as typed. */
	snprintf(tok, sizeof(tok), "%s", f->tok_ward);
	for (char *c = tok; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	snprintf(typed, sizeof(typed), "%.4s-%s", tok, tok + 4);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_code, f->s, NULL, 0, typed, NULL), MC_OK);
	assert_non_null(strstr(html(f, 200), "<h1>Phường 7, Quận 8</h1>"));
	assert_int_equal(page_call(f->p, &f->r, mc_pages_code, f->s, NULL, 0, f->tok_permit, NULL),
			 MC_OK);
	assert_non_null(strstr(html(f, 200), "Được phép thi công hôm nay"));
	assert_int_equal(page_call(f->p, &f->r, mc_pages_code, f->s, NULL, 0, f->tok_ann, NULL),
			 MC_OK);
	assert_non_null(strstr(html(f, 200), "Lịch tiếp dân"));

	assert_int_equal(page_call(f->p, &f->r, mc_pages_code, f->s, NULL, 0, f->tok_old, NULL),
			 MC_OK);
	b = html(f, 410);
	assert_non_null(strstr(b, "Mã này đã ngừng sử dụng"));
	assert_non_null(strstr(b, f->tok_proc));

	/* One wrong character is caught by the check character. */
	snprintf(tok, sizeof(tok), "%s", f->tok_proc);
	tok[2] = tok[2] == 'X' ? 'Y' : 'X';
	assert_int_equal(page_call(f->p, &f->r, mc_pages_code, f->s, NULL, 0, tok, NULL), MC_OK);
	assert_non_null(strstr(html(f, 404), "Mã có vẻ bị nhập sai, kiểm tra lại các ký tự"));
	assert_int_equal(page_call(f->p, &f->r, mc_pages_code, f->s, NULL, 0, "<b>", NULL), MC_OK);
	assert_non_null(strstr(html(f, 404), "Không tìm thấy mã"));
	mc_token_make(tok);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_code, f->s, NULL, 0, tok, NULL), MC_OK);
	assert_non_null(strstr(html(f, 404), "Không tìm thấy mã"));
	assert_int_equal(page_call(f->p, &f->r, mc_pages_code, f->s, NULL, 0, "", NULL), MC_OK);
	html(f, 404);
}

static void test_qr_images(void **state)
{
	struct fx *f = *state;
	char etag[40];

	assert_int_equal(page_call(f->p, &f->r, mc_pages_qr_png, f->s, NULL, 0, f->tok_proc, NULL),
			 MC_OK);
	assert_int_equal(f->r.status, 200);
	assert_string_equal(f->r.content_type, "image/png");
	assert_string_equal(f->r.cache, "public, max-age=86400");
	assert_true(f->r.body.len > 8);
	assert_memory_equal(f->r.body.data, "\x89PNG\r\n\x1a\n", 8);
	assert_int_equal(f->r.etag[0], '"');
	assert_int_equal(f->r.etag[strlen(f->r.etag) - 1], '"');
	snprintf(etag, sizeof(etag), "%s", f->r.etag);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_qr_svg, f->s, NULL, 0, f->tok_proc, NULL),
			 MC_OK);
	assert_string_equal(f->r.content_type, "image/svg+xml; charset=utf-8");
	assert_non_null(strstr(f->r.body.data, "<svg"));
	assert_string_not_equal(f->r.etag, etag);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_qr_png, f->s, NULL, 0, f->tok_proc, NULL),
			 MC_OK);
	assert_string_equal(f->r.etag, etag);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_qr_png, f->s, NULL, 0, "nope", NULL),
			 MC_OK);
	html(f, 404);
	assert_string_equal(f->r.etag, "");
}

static json_t *api(struct fx *f, const char *token, int status)
{
	json_error_t e;
	json_t *j;

	assert_int_equal(page_call(f->p, &f->r, mc_pages_api_code, f->s, NULL, 0, token, NULL),
			 MC_OK);
	assert_int_equal(f->r.status, status);
	assert_string_equal(f->r.content_type, "application/json; charset=utf-8");
	j = json_loads(f->r.body.data, 0, &e);
	assert_non_null(j);
	return j;
}

static void test_api(void **state)
{
	struct fx *f = *state;
	json_t *j, *rec;
	char url[128];

	j = api(f, f->tok_permit, 200);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "active");
	assert_string_equal(json_string_value(json_object_get(j, "kind")), "permit");
	snprintf(url, sizeof(url), BASE_URL "/w/phuong-7/permits/%lld", (long long)f->permit[0]);
	assert_string_equal(json_string_value(json_object_get(j, "url")), url);
	rec = json_object_get(j, "record");
	assert_string_equal(json_string_value(json_object_get(rec, "owner")), "Nguyễn V. A.");
	assert_true(json_is_true(json_object_get(rec, "allowed_today")));
	assert_int_equal(json_array_size(json_object_get(rec, "inspections")), 1);
	assert_null(strstr(f->r.body.data, OWNER));
	assert_null(strstr(f->r.body.data, "\\u"));
	json_decref(j);

	j = api(f, f->tok_proc, 200);
	rec = json_object_get(j, "record");
	assert_string_equal(json_string_value(json_object_get(rec, "title")),
			    "Đăng ký khai sinh " EVIL);
	assert_int_equal(json_array_size(json_object_get(rec, "documents")), 3);
	assert_true(json_is_null(json_object_get(rec, "online_url")));
	json_decref(j);

	j = api(f, f->tok_ward, 200);
	snprintf(url, sizeof(url), BASE_URL "/w/phuong-7");
	assert_string_equal(json_string_value(json_object_get(j, "url")), url);
	json_decref(j);

	j = api(f, f->tok_old, 410);
	assert_string_equal(json_string_value(json_object_get(j, "replaced_by")), f->tok_proc);
	assert_non_null(json_object_get(j, "error"));
	json_decref(j);
	j = api(f, "zzz", 404);
	assert_non_null(json_object_get(j, "error"));
	json_decref(j);
}

static void test_error_pages(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mc_pages_error(f->p, 404, &f->r), MC_OK);
	assert_non_null(strstr(html(f, 404), "Không tìm thấy trang"));
	assert_int_equal(mc_pages_error(f->p, 400, &f->r), MC_OK);
	assert_non_null(strstr(html(f, 400), "Yêu cầu không hợp lệ"));
	assert_int_equal(mc_pages_error(f->p, 503, &f->r), MC_OK);
	assert_non_null(strstr(html(f, 503), "Hệ thống đang bận"));
	assert_int_equal(mc_pages_error(f->p, 418, &f->r), MC_OK);
	html(f, 418);
	assert_true(f->css_size < 6 * 1024);
}

/* With a single ward, / is that ward's home rather than a list of one. */
static void test_single_ward_home(void **state)
{
	struct fx *f = *state;
	struct mc_ward w = {.slug = "xa-mot", .name = "Xã Một"};
	struct mc_store *s = NULL;
	char db[128];

	snprintf(db, sizeof(db), "%s/one.db", f->dir);
	assert_int_equal(mc_store_open(db, MC_STORE_CREATE, &s), MC_OK);
	assert_int_equal(mc_store_migrate(s), MC_OK);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_home, s, NULL, 0, NULL, NULL), MC_OK);
	assert_non_null(strstr(html(f, 200), "Chưa có phường, xã nào"));
	assert_int_equal(mc_store_ward_upsert(s, &w, NULL), MC_OK);
	assert_int_equal(page_call(f->p, &f->r, mc_pages_home, s, NULL, 0, NULL, NULL), MC_OK);
	assert_non_null(strstr(html(f, 200), "<h1>Xã Một</h1>"));
	assert_null(strstr(f->r.body.data, "Dữ liệu mẫu"));
	mc_store_destroy(s);
	unlink(db);
	snprintf(db, sizeof(db), "%s/one.db-wal", f->dir);
	unlink(db);
	snprintf(db, sizeof(db), "%s/one.db-shm", f->dir);
	unlink(db);
}

static void test_bad_config(void **state)
{
	struct mc_pages_config cfg = {.templates_dir = "templates", .base_url = "ftp://x"};
	struct mc_pages *p = NULL;
	struct mc_buf errs;

	(void)state;
	mc_buf_init(&errs);
	assert_int_not_equal(mc_pages_create(&cfg, &p, &errs), MC_OK);
	assert_null(p);
	assert_non_null(errs.data);
	cfg.base_url = BASE_URL;
	cfg.templates_dir = "/nonexistent";
	assert_int_equal(mc_pages_create(&cfg, &p, NULL), MC_ERR_IO);
	assert_null(p);
	mc_buf_finish(&errs);
	mc_pages_destroy(NULL);
	mc_response_finish(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_procedure_page),
	    cmocka_unit_test(test_wrong_ward_is_404),
	    cmocka_unit_test(test_permit_pages),
	    cmocka_unit_test(test_ward_and_home),
	    cmocka_unit_test(test_announcement),
	    cmocka_unit_test(test_search),
	    cmocka_unit_test(test_codes),
	    cmocka_unit_test(test_qr_images),
	    cmocka_unit_test(test_api),
	    cmocka_unit_test(test_error_pages),
	    cmocka_unit_test(test_single_ward_home),
	    cmocka_unit_test(test_bad_config),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
