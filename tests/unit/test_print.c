#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "motcham/base/auth.h"
#include "motcham/base/date.h"
#include "motcham/public/pages.h"
#include "call.h"
#include "motcham/print/print.h"
#include "motcham/render/qr.h"
#include "motcham/store/store.h"
#include "motcham/render/svg.h"
#include "motcham/base/token.h"
#include "motcham/base/utf8.h"

#define BASE_URL "http://127.0.0.1:8080"
#define EVIL "<b>\"x\" & 'y'</b>"
#define OWNER "Trần Thị Bích"
#define LABELS 56
#define HASH_PUB "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HASH_PRIV "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

struct fx {
	char dir[64];
	char db[96];
	struct mc_store *s;
	struct mc_pages *p;
	struct mc_response r;
	int64_t ward, ward_nocode, permit, permit_nocode, permit_long, proc, proc_many, ann;
	char tok_permit[MC_TOKEN_LEN + 1], tok_ward[MC_TOKEN_LEN + 1];
	char tok_proc[MC_TOKEN_LEN + 1], tok_long[MC_TOKEN_LEN + 1];
	char starts[MC_DATE_LEN + 1], ends[MC_DATE_LEN + 1];
};

static const char *src_dir(void)
{
	const char *d = getenv("MOTCHAM_SRC");

	return d && *d ? d : ".";
}

static void day_offset(int days, char out[MC_DATE_LEN + 1])
{
	mc_date_of(time(NULL) + (time_t)days * 86400, out);
}

/* DD/MM/YYYY of an ISO date, as the pages print it. */
static void vn_date(const char *iso, char out[MC_DATE_LEN + 1])
{
	snprintf(out, MC_DATE_LEN + 1, "%.2s/%.2s/%.4s", iso + 8, iso + 5, iso);
}

static void add_permits(struct fx *f)
{
	struct mc_permit p = {.ward_id = f->ward,
			      .number = "77/GPSC " EVIL,
			      .kind = MC_PERMIT_REPAIR,
			      .address = "12 Hẻm 5, Đường Số 3",
			      .owner_name = OWNER,
			      .scope = "Thay mái tôn, chống thấm sân thượng",
			      .office = "UBND Phường 7",
			      .floors = 3,
			      .area_m2 = 72.5,
			      .height_m = 11,
			      .issued_on = f->starts,
			      .starts_on = f->starts,
			      .ends_on = f->ends,
			      .status = MC_STATUS_ISSUED};
	char *scope = malloc(6001);

	assert_int_equal(mc_store_permit_upsert(f->s, &p, &f->permit, NULL), MC_OK);
	p.number = "78/GPSC";
	assert_int_equal(mc_store_permit_upsert(f->s, &p, &f->permit_nocode, NULL), MC_OK);
	/* 2000 times "ế": a cut in the wrong place would split a character. */
	assert_non_null(scope);
	for (int i = 0; i < 2000; i++)
		memcpy(scope + 3 * i, "ế", 3);
	scope[6000] = '\0';
	p.number = "79/GPSC";
	p.scope = scope;
	assert_int_equal(mc_store_permit_upsert(f->s, &p, &f->permit_long, NULL), MC_OK);
	free(scope);
}

static void add_procedures(struct fx *f)
{
	struct mc_procedure p = {.ward_id = f->ward,
				 .tthc_code = "1.004227",
				 .title = "Cấp giấy phép sửa chữa nhà ở " EVIL,
				 .field = "Xây dựng",
				 .duration = "15 ngày làm việc",
				 .fees = "75.000 đồng",
				 .place = "Bộ phận Một cửa, UBND Phường 7"};
	struct mc_document docs[12];
	char names[12][32];

	for (int i = 0; i < 12; i++) {
		snprintf(names[i], sizeof(names[i]), "Giấy tờ số %d", i + 1);
		docs[i] =
		    (struct mc_document){i == 0 ? MC_DOC_FORM : MC_DOC_PAPER, names[i], i % 2, 2};
	}
	assert_int_equal(mc_store_procedure_upsert(f->s, &p, docs, 2, &f->proc, NULL), MC_OK);
	p.tthc_code = "1.000001";
	p.title = "Thủ tục nhiều giấy tờ";
	assert_int_equal(mc_store_procedure_upsert(f->s, &p, docs, 12, &f->proc_many, NULL), MC_OK);
}

static void add_records(struct fx *f)
{
	struct mc_ward w = {.slug = "phuong-7", .name = "Phường 7, Quận 8"};
	struct mc_ward w2 = {.slug = "xa-b", .name = "Xã Bình Hưng " EVIL};
	struct mc_announcement a = {.ward_id = 0, .title = "Lịch tiếp dân", .body = "Nội dung."};
	char old[MC_TOKEN_LEN + 1];

	day_offset(-3, f->starts);
	day_offset(40, f->ends);
	assert_int_equal(mc_store_ward_upsert(f->s, &w, &f->ward), MC_OK);
	assert_int_equal(mc_store_ward_upsert(f->s, &w2, &f->ward_nocode), MC_OK);
	add_permits(f);
	add_procedures(f);
	a.ward_id = f->ward;
	a.published_on = f->starts;
	assert_int_equal(mc_store_announcement_upsert(f->s, &a, &f->ann, NULL), MC_OK);
	/* Two ward codes: the newer one is on the keychains. */
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_WARD, f->ward, old), MC_OK);
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_WARD, f->ward, f->tok_ward), MC_OK);
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_PERMIT, f->permit, f->tok_permit),
			 MC_OK);
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_PERMIT, f->permit_long, f->tok_long),
			 MC_OK);
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_PROCEDURE, f->proc, f->tok_proc),
			 MC_OK);
	assert_int_equal(mc_store_code_create(f->s, MC_KIND_PROCEDURE, f->proc_many, old), MC_OK);
}

static int setup(void **state)
{
	struct mc_pages_config cfg = {.base_url = BASE_URL "/"};
	struct fx *f = calloc(1, sizeof(*f));
	char tdir[512];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mc_print_XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/t.db", f->dir);
	assert_int_equal(mc_store_open(f->db, MC_STORE_CREATE, &f->s), MC_OK);
	assert_int_equal(mc_store_migrate(f->s), MC_OK);
	add_records(f);
	snprintf(tdir, sizeof(tdir), "%s/templates", src_dir());
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

	if (!f)
		return 0;
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

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Every print page: HTML under the site's CSP (no inline style or script), its own print
 * stylesheet and not the site's header. */
static const char *print_html(struct fx *f, int status)
{
	const char *b = f->r.body.data;

	assert_int_equal(f->r.status, status);
	assert_string_equal(f->r.content_type, "text/html; charset=utf-8");
	assert_non_null(b);
	assert_true(mc_utf8_valid(b, f->r.body.len));
	assert_non_null(strstr(b, "<html lang=\"vi\">"));
	assert_non_null(strstr(b, "href=\"/assets/print.css\""));
	assert_null(strstr(b, "style.css"));
	assert_null(strstr(b, "<header"));
	assert_null(strstr(b, "<script"));
	assert_null(strstr(b, "style="));
	assert_null(strstr(b, "<style"));
	assert_non_null(strstr(b, "Ctrl</kbd>+<kbd>P"));
	return b;
}

static void expect_qr(const char *b, const char *tok)
{
	char want[128];

	snprintf(want, sizeof(want), "src=\"/qr/%s.svg\"", tok);
	assert_non_null(strstr(b, want));
	snprintf(want, sizeof(want), "<strong>%.4s-%.4s-%s</strong>", tok, tok + 4, tok + 8);
	assert_non_null(strstr(b, want));
	snprintf(want, sizeof(want), ">" BASE_URL "/q/%s<", tok);
	assert_non_null(strstr(b, want));
}

static void test_permit_notice(void **state)
{
	struct fx *f = *state;
	char d1[MC_DATE_LEN + 1], d2[MC_DATE_LEN + 1], want[96];
	const char *b;

	assert_int_equal(mc_print_permit_notice(f->p, f->s, f->permit, &f->r), MC_OK);
	b = print_html(f, 200);
	expect_qr(b, f->tok_permit);
	assert_non_null(strstr(b, "77/GPSC &lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"));
	assert_null(strstr(b, EVIL));
	assert_non_null(strstr(b, "12 Hẻm 5, Đường Số 3"));
	assert_non_null(strstr(b, "Sửa chữa nhà ở"));
	assert_non_null(strstr(b, "Thay mái tôn, chống thấm sân thượng"));
	assert_non_null(strstr(b, "UBND Phường 7"));
	assert_non_null(strstr(b, "3 tầng · diện tích sàn 72,5 m² · cao 11 m"));
	vn_date(f->starts, d1);
	vn_date(f->ends, d2);
	snprintf(want, sizeof(want), "từ %s đến %s", d1, d2);
	assert_non_null(strstr(b, want));
	assert_non_null(strstr(b, "Quét mã QR để kiểm tra giấy phép"));
	assert_non_null(strstr(b, "Trần T. B."));
	assert_null(strstr(b, OWNER));
	assert_non_null(strstr(b, "class=\"qr150\""));
}

static void test_long_text_is_cut(void **state)
{
	struct fx *f = *state;
	const char *b, *scope, *end;

	assert_int_equal(mc_print_permit_notice(f->p, f->s, f->permit_long, &f->r), MC_OK);
	b = print_html(f, 200);
	expect_qr(b, f->tok_long);
	scope = strstr(b, "ếếế");
	assert_non_null(scope);
	end = strstr(scope, "…</dd>");
	assert_non_null(end);
	assert_true(end - scope <= 300);
}

static void test_not_found_and_no_code(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mc_print_permit_notice(f->p, f->s, 999999, &f->r), MC_ERR_NOTFOUND);
	assert_int_equal(f->r.body.len, 0);
	assert_int_equal(mc_print_procedure_poster(f->p, f->s, 999999, &f->r), MC_ERR_NOTFOUND);
	assert_int_equal(mc_print_keychain_sheet(f->p, f->s, 999999, &f->r), MC_ERR_NOTFOUND);
	assert_int_equal(mc_print_keychain_svg(f->p, f->s, 999999, &f->r), MC_ERR_NOTFOUND);
	assert_string_equal(f->r.disposition, "");

	/* A record without an active code: a page that says so, not a notice leading nowhere. */
	assert_int_equal(mc_print_permit_notice(f->p, f->s, f->permit_nocode, &f->r), MC_OK);
	assert_non_null(strstr(print_html(f, 409), "Chưa có mã QR"));
	assert_null(strstr(f->r.body.data, "/qr/"));
	assert_int_equal(mc_print_keychain_svg(f->p, f->s, f->ward_nocode, &f->r), MC_OK);
	assert_non_null(strstr(print_html(f, 409), "Chưa có mã QR"));
	assert_string_equal(f->r.disposition, "");
}

static void test_procedure_poster(void **state)
{
	struct fx *f = *state;
	const char *b;

	assert_int_equal(mc_print_procedure_poster(f->p, f->s, f->proc, &f->r), MC_OK);
	b = print_html(f, 200);
	expect_qr(b, f->tok_proc);
	assert_non_null(strstr(b, "Cấp giấy phép sửa chữa nhà ở &lt;b&gt;"));
	assert_non_null(strstr(b, "1.004227"));
	assert_non_null(strstr(b, "15 ngày làm việc"));
	assert_non_null(strstr(b, "75.000 đồng"));
	assert_non_null(strstr(b, "Bộ phận Một cửa, UBND Phường 7"));
	assert_non_null(strstr(b, "Giấy tờ số 1 <em>(mẫu đơn, tờ khai)</em>"));
	assert_non_null(strstr(b, "Giấy tờ số 2 <span class=\"cnt\">· 1 bản chính, 2 bản sao"));
	assert_non_null(strstr(b, "class=\"qr80\""));
	assert_null(strstr(b, "giấy tờ khác"));

	assert_int_equal(mc_print_procedure_poster(f->p, f->s, f->proc_many, &f->r), MC_OK);
	b = print_html(f, 200);
	assert_int_equal(count(b, "<li>"), 8);
	assert_non_null(strstr(b, "và 4 giấy tờ khác"));

	/* A retired procedure still prints, with a warning on screen. */
	assert_int_equal(mc_store_procedure_retire(f->s, f->proc_many), MC_OK);
	assert_int_equal(mc_print_procedure_poster(f->p, f->s, f->proc_many, &f->r), MC_OK);
	assert_non_null(strstr(print_html(f, 200), "đã ngừng áp dụng"));
}

static void test_keychain_sheet(void **state)
{
	struct fx *f = *state;
	char want[64];
	const char *b;

	assert_int_equal(mc_print_keychain_sheet(f->p, f->s, f->ward, &f->r), MC_OK);
	b = print_html(f, 200);
	snprintf(want, sizeof(want), "src=\"/qr/%s.svg\"", f->tok_ward);
	assert_int_equal(count(b, want), LABELS);
	assert_int_equal(count(b, "<span class=\"cap\">P.7, Q.8</span>"), LABELS);
	snprintf(want, sizeof(want), "%.4s-%.4s-%s", f->tok_ward, f->tok_ward + 4, f->tok_ward + 8);
	assert_int_equal(count(b, want), LABELS);
	assert_non_null(strstr(b, "href=\"/staff/print/keychain.svg?ward=phuong-7\""));
}

/* The symbol the generator would make for this token, as one SVG path. */
static char *expected_path(const char *tok)
{
	struct mc_buf url, svg;
	struct mc_qr qr = {0};
	char *d, *end, *out;

	mc_buf_init(&url);
	mc_buf_init(&svg);
	assert_int_equal(mc_qr_url(BASE_URL, tok, &url), MC_OK);
	assert_int_equal(mc_qr_encode(url.data, MC_QR_ECC_Q, &qr), MC_OK);
	assert_int_equal(mc_svg_write(&qr, 4, 0, &svg), MC_OK);
	d = strstr(svg.data, "<path d=\"");
	assert_non_null(d);
	end = strchr(d + 9, '"');
	out = strndup(d, (size_t)(end - d + 1));
	mc_qr_finish(&qr);
	mc_buf_finish(&url);
	mc_buf_finish(&svg);
	return out;
}

static void test_keychain_svg(void **state)
{
	struct fx *f = *state;
	char *path = expected_path(f->tok_ward), want[64];
	const char *b;

	assert_int_equal(mc_print_keychain_svg(f->p, f->s, f->ward, &f->r), MC_OK);
	b = f->r.body.data;
	assert_int_equal(f->r.status, 200);
	assert_string_equal(f->r.content_type, "image/svg+xml; charset=utf-8");
	assert_string_equal(f->r.disposition, "attachment; filename=\"keychain-phuong-7.svg\"");
	assert_true(mc_utf8_valid(b, f->r.body.len));
	assert_non_null(strstr(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"210mm\" "
				  "height=\"297mm\" viewBox=\"0 0 210 297\">"));
	assert_int_equal(count(b, "<svg "), LABELS + 1);
	assert_int_equal(count(b, "</svg>"), LABELS + 1);
	assert_int_equal(count(b, "width=\"24.00\" height=\"24.00\""), LABELS);
	assert_int_equal(count(b, path), LABELS);
	assert_int_equal(count(b, ">P.7, Q.8</text>"), LABELS);
	snprintf(want, sizeof(want), ">%.4s-%.4s-%s</text>", f->tok_ward, f->tok_ward + 4,
		 f->tok_ward + 8);
	assert_int_equal(count(b, want), LABELS);
	assert_null(strstr(b, "<style"));
	/* Every label lies inside the sheet. */
	for (const char *p = strstr(b, "<svg x=\""); p; p = strstr(p + 1, "<svg x=\"")) {
		double x = -1, y = -1;

		assert_int_equal(sscanf(p, "<svg x=\"%lf\" y=\"%lf\"", &x, &y), 2);
		assert_true(x >= 5 && x + 24 <= 205 && y >= 5 && y + 24 <= 292);
	}
	free(path);
}

static void test_keychain_caption_escaped(void **state)
{
	struct fx *f = *state;
	char tok[MC_TOKEN_LEN + 1];
	const char *b;

	assert_int_equal(mc_store_code_create(f->s, MC_KIND_WARD, f->ward_nocode, tok), MC_OK);
	assert_int_equal(mc_print_keychain_svg(f->p, f->s, f->ward_nocode, &f->r), MC_OK);
	b = f->r.body.data;
	assert_int_equal(f->r.status, 200);
	assert_null(strstr(b, "<b>"));
	/* "Xã Bình Hưng <b>..." is cut to 18 characters for a 27 mm label. */
	assert_non_null(strstr(b, ">X. Bình Hưng &lt;b&gt;&quot;…</text>"));
	assert_string_equal(f->r.disposition, "attachment; filename=\"keychain-xa-b.svg\"");
	assert_int_equal(mc_print_keychain_sheet(f->p, f->s, f->ward_nocode, &f->r), MC_OK);
	assert_non_null(strstr(print_html(f, 200), "X. Bình Hưng &lt;b&gt;"));
}

/* The public permit page: public files only, and the resident's concern form. */
static void test_public_permit_page(void **state)
{
	struct fx *f = *state;
	struct mc_file pub = {.permit_id = f->permit,
			      .sha256 = HASH_PUB,
			      .mime = "application/pdf",
			      .size = 1536 * 1024,
			      .name = "Bản vẽ " EVIL ".pdf",
			      .public = true};
	struct mc_file priv = pub;
	char secret[65], tok[MC_AUTH_SHA256_LEN + 1], want[160];
	const char *b;

	priv.sha256 = HASH_PRIV;
	priv.public = false;
	assert_int_equal(mc_store_file_add(f->s, &pub, NULL), MC_OK);
	assert_int_equal(mc_store_file_add(f->s, &priv, NULL), MC_OK);
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_permit, f->s, "phuong-7", f->permit, NULL, NULL),
	    MC_OK);
	b = f->r.body.data;
	assert_int_equal(f->r.status, 200);
	assert_true(f->r.body.len < 24 * 1024);
	assert_null(strstr(b, "style="));
	assert_only_own_urls(b, BASE_URL);
	assert_non_null(strstr(b, "href=\"/files/" HASH_PUB "\""));
	assert_null(strstr(b, HASH_PRIV));
	assert_non_null(strstr(b, "Bản vẽ &lt;b&gt;"));
	assert_non_null(strstr(b, "PDF, 1,5 MB"));

	snprintf(want, sizeof(want),
		 "action=\"/w/phuong-7/permits/%lld/report\" method=\"post\" "
		 "enctype=\"multipart/form-data\"",
		 (long long)f->permit);
	assert_non_null(strstr(b, want));
	assert_int_equal(mc_store_secret(f->s, secret), MC_OK);
	/* The token of the permit and of the day (pages.h). */
	mc_pages_report_token(secret, f->permit, time(NULL), tok);
	snprintf(want, sizeof(want), "name=\"token\" value=\"%s\"", tok);
	assert_non_null(strstr(b, want));
	assert_null(strstr(b, secret));
	assert_non_null(strstr(b, "name=\"category\""));
	assert_non_null(strstr(b, "name=\"description\""));
	assert_non_null(strstr(b, "name=\"contact\""));
	assert_non_null(strstr(b, "name=\"photo\""));
	assert_non_null(strstr(b, "<option value=\"after_expiry\">Thi công khi giấy phép đã hết "
				  "hạn</option>"));
	assert_non_null(strstr(b, "không lưu địa chỉ IP"));

	/* Another permit gets another token. */
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_permit, f->s, "phuong-7", f->permit_nocode, NULL, NULL),
	    MC_OK);
	assert_null(strstr(f->r.body.data, tok));
	assert_null(strstr(f->r.body.data, "/files/"));
}

static void test_retired_pages(void **state)
{
	struct fx *f = *state;
	char today[MC_DATE_LEN + 1], day[MC_DATE_LEN + 1], want[128];

	mc_date_today(today);
	vn_date(today, day);
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_procedure, f->s, "phuong-7", f->proc, NULL, NULL),
	    MC_OK);
	assert_null(strstr(f->r.body.data, "ngừng áp dụng"));
	assert_int_equal(mc_store_procedure_retire(f->s, f->proc), MC_OK);
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_procedure, f->s, "phuong-7", f->proc, NULL, NULL),
	    MC_OK);
	assert_int_equal(f->r.status, 200);
	snprintf(want, sizeof(want), "Thủ tục này đã ngừng áp dụng từ %s", day);
	assert_non_null(strstr(f->r.body.data, want));

	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_announcement, f->s, "phuong-7", f->ann, NULL, NULL),
	    MC_OK);
	assert_null(strstr(f->r.body.data, "hết hiệu lực"));
	assert_int_equal(mc_store_announcement_retire(f->s, f->ann), MC_OK);
	assert_int_equal(
	    page_call(f->p, &f->r, mc_pages_announcement, f->s, "phuong-7", f->ann, NULL, NULL),
	    MC_OK);
	assert_int_equal(f->r.status, 200);
	snprintf(want, sizeof(want), "Thông báo này đã hết hiệu lực từ %s", day);
	assert_non_null(strstr(f->r.body.data, want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_permit_notice),
	    cmocka_unit_test(test_long_text_is_cut),
	    cmocka_unit_test(test_not_found_and_no_code),
	    cmocka_unit_test(test_procedure_poster),
	    cmocka_unit_test(test_keychain_sheet),
	    cmocka_unit_test(test_keychain_svg),
	    cmocka_unit_test(test_keychain_caption_escaped),
	    cmocka_unit_test(test_public_permit_page),
	    cmocka_unit_test(test_retired_pages),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
