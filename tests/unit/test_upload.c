/* Uploads: type by content only, content-addressed files, safe names and headers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <zlib.h>

#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
#include "motcham/render/csv.h"
#include "motcham/web/form.h"
#include "motcham/web/upload.h"

static void test_sniff_by_content(void **state)
{
	static const char png[] = "\x89PNG\r\n\x1a\nrest";
	static const char jpeg[] = "\xFF\xD8\xFF\xE0rest";

	(void)state;
	assert_string_equal(mc_upload_sniff("%PDF-1.7\n", 9), MC_MIME_PDF);
	assert_string_equal(mc_upload_sniff(png, sizeof(png) - 1), MC_MIME_PNG);
	assert_string_equal(mc_upload_sniff(jpeg, sizeof(jpeg) - 1), MC_MIME_JPEG);
	assert_null(mc_upload_sniff("%PDF", 4)); /* too short to be sure */
	assert_null(mc_upload_sniff(png, 7));
	assert_null(mc_upload_sniff("<html><body>", 12));
	assert_null(mc_upload_sniff("GIF89a", 6));
	assert_null(mc_upload_sniff(NULL, 0));
	assert_null(mc_upload_sniff("", 0));
}

static void test_save_and_load(void **state)
{
	char dir[] = "/tmp/mc-upload-XXXXXX", sha[65], sha2[65], want[65], path[128];
	static const char data[] = "%PDF-1.4 hồ sơ";
	struct mc_buf b;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(mc_upload_save(NULL, dir, data, sizeof(data) - 1, sha), MC_OK);
	mc_auth_sha256_hex(data, sizeof(data) - 1, want);
	assert_string_equal(sha, want);
	/* Saving the same bytes again is harmless and gives the same name. */
	assert_int_equal(mc_upload_save(NULL, dir, data, sizeof(data) - 1, sha2), MC_OK);
	assert_string_equal(sha, sha2);
	snprintf(path, sizeof(path), "%s/%s", dir, sha);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((size_t)st.st_size, sizeof(data) - 1);
	mc_buf_init(&b);
	assert_int_equal(mc_upload_load(NULL, dir, sha, 1024, &b), MC_OK);
	assert_int_equal(b.len, sizeof(data) - 1);
	assert_memory_equal(b.data, data, b.len);
	mc_buf_reset(&b);
	assert_int_equal(mc_upload_load(NULL, dir, sha, 4, &b), MC_ERR_TOOBIG);
	mc_buf_reset(&b);
	assert_int_equal(mc_upload_load(NULL, dir, "../../etc/passwd", 1024, &b), MC_ERR_INVALID);
	want[0] = want[0] == '0' ? '1' : '0';
	assert_int_equal(mc_upload_load(NULL, dir, want, 1024, &b), MC_ERR_NOTFOUND);
	mc_buf_finish(&b);
	unlink(path);
	assert_int_equal(rmdir(dir), 0); /* no temporary file left behind */
}

static void expect_name(const char *in, const char *want)
{
	struct mc_buf b;

	mc_buf_init(&b);
	assert_int_equal(mc_upload_display_name(in, &b), MC_OK);
	assert_string_equal(b.data, want);
	mc_buf_finish(&b);
}

static void test_display_name(void **state)
{
	(void)state;
	expect_name("C:\\Users\\lan\\Giấy phép.pdf", "Giấy phép.pdf");
	expect_name("/home/lan/ban-ve.png", "ban-ve.png");
	expect_name("e\xCC\x82\xCC\x81.pdf", "\xE1\xBA\xBF.pdf"); /* e + marks → ế (NFC) */
	expect_name("", "tep");
	expect_name(NULL, "tep");
	expect_name("bad\xFF.pdf", "tep");
	expect_name("dir/", "tep");
}

static void test_disposition_is_ascii(void **state)
{
	char d[256];

	(void)state;
	mc_upload_disposition("ảnh công trình.png", d);
	assert_non_null(strstr(d, "filename=\"anh_cong_trinh.png\""));
	assert_non_null(strstr(d, "filename*=UTF-8''%E1%BA%A3nh%20c%C3%B4ng%20tr%C3%ACnh.png"));
	for (const char *p = d; *p; p++)
		assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7F);
	mc_upload_disposition("a\"b\r\nc.pdf", d);
	assert_null(strchr(d + strlen("attachment; filename=\""), '\r'));
	assert_non_null(strstr(d, "filename=\"a_b_c.pdf\""));
	mc_upload_disposition(".hidden", d);
	assert_non_null(strstr(d, "filename=\"tep\""));
}

/* One PNG chunk with its CRC, appended to b. */
static void png_chunk(struct mc_buf *b, const char *type, const void *data, uint32_t n)
{
	unsigned char be[4] = {n >> 24, n >> 16, n >> 8, n};
	uint32_t crc;

	assert_int_equal(mc_buf_add(b, be, 4), MC_OK);
	assert_int_equal(mc_buf_add(b, type, 4), MC_OK);
	assert_int_equal(mc_buf_add(b, data, n), MC_OK);
	crc = (uint32_t)crc32(crc32(0, (const unsigned char *)type, 4), data, n);
	be[0] = crc >> 24, be[1] = crc >> 16, be[2] = crc >> 8, be[3] = crc;
	assert_int_equal(mc_buf_add(b, be, 4), MC_OK);
}

static void test_image_end(void **state)
{
	static const unsigned char ihdr[13] = {0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0};
	/* SOI, an APP0 of 2 bytes, SOS with its data (a stuffed 0xFF00, a restart), EOI. */
	static const unsigned char jpg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 'x',  'y',
					    0xFF, 0xDA, 0x00, 0x04, 'a',  'b',	0x01, 0xFF,
					    0x00, 0x02, 0xFF, 0xD0, 0x03, 0xFF, 0xD9};
	struct mc_buf png, b;
	size_t end;

	(void)state;
	mc_buf_init(&png);
	mc_buf_init(&b);
	assert_int_equal(mc_buf_add(&png, "\x89PNG\r\n\x1a\n", 8), MC_OK);
	png_chunk(&png, "IHDR", ihdr, sizeof(ihdr));
	png_chunk(&png, "IEND", "", 0);
	assert_int_equal(mc_upload_image_end(png.data, png.len, MC_MIME_PNG, &end), MC_OK);
	assert_int_equal(end, png.len);
	/* HTML after IEND is refused; zero padding is cut off. */
	assert_int_equal(mc_buf_add(&b, png.data, png.len), MC_OK);
	assert_int_equal(mc_buf_puts(&b, "<html><script>x</script>"), MC_OK);
	assert_int_equal(mc_upload_image_end(b.data, b.len, MC_MIME_PNG, &end), MC_ERR_CHECK);
	mc_buf_reset(&b);
	assert_int_equal(mc_buf_add(&b, png.data, png.len), MC_OK);
	assert_int_equal(mc_buf_add(&b, "\0\0\0", 3), MC_OK);
	assert_int_equal(mc_upload_image_end(b.data, b.len, MC_MIME_PNG, &end), MC_OK);
	assert_int_equal(end, png.len);
	/* A wrong CRC, or no IEND, is not a whole image. */
	png.data[20] ^= 1;
	assert_int_equal(mc_upload_image_end(png.data, png.len, MC_MIME_PNG, &end), MC_ERR_CHECK);
	assert_int_equal(mc_upload_image_end(png.data, png.len - 12, MC_MIME_PNG, &end),
			 MC_ERR_CHECK);

	assert_int_equal(mc_upload_image_end(jpg, sizeof(jpg), MC_MIME_JPEG, &end), MC_OK);
	assert_int_equal(end, sizeof(jpg));
	assert_int_equal(mc_upload_image_end(jpg, sizeof(jpg) - 1, MC_MIME_JPEG, &end),
			 MC_ERR_CHECK);
	mc_buf_reset(&b);
	assert_int_equal(mc_buf_add(&b, jpg, sizeof(jpg)), MC_OK);
	assert_int_equal(mc_buf_add(&b, jpg, sizeof(jpg)), MC_OK); /* a second picture */
	assert_int_equal(mc_upload_image_end(b.data, b.len, MC_MIME_JPEG, &end), MC_OK);
	assert_int_equal(end, sizeof(jpg));
	assert_int_equal(mc_buf_puts(&b, "<svg onload=x>"), MC_OK);
	assert_int_equal(mc_upload_image_end(b.data, b.len, MC_MIME_JPEG, &end), MC_OK);
	mc_buf_reset(&b);
	assert_int_equal(mc_buf_add(&b, jpg, sizeof(jpg)), MC_OK);
	assert_int_equal(mc_buf_puts(&b, "PK\x03\x04"), MC_OK);
	assert_int_equal(mc_upload_image_end(b.data, b.len, MC_MIME_JPEG, &end), MC_ERR_CHECK);
	/* The type must be the content's. */
	assert_int_equal(mc_upload_image_end(jpg, sizeof(jpg), MC_MIME_PNG, &end), MC_ERR_CHECK);
	mc_buf_finish(&png);
	mc_buf_finish(&b);
}

static void expect_pdf(const char *body, bool ok)
{
	struct mc_buf b;
	const char *why = NULL;

	mc_buf_init(&b);
	assert_int_equal(mc_buf_printf(&b, "%%PDF-1.7\n1 0 obj\n%s\nendobj\n%%%%EOF\n", body),
			 MC_OK);
	assert_int_equal(mc_upload_pdf_check(b.data, b.len, &why), ok ? MC_OK : MC_ERR_CHECK);
	assert_true(ok ? why == NULL : why != NULL);
	mc_buf_finish(&b);
}

static void test_pdf_check(void **state)
{
	(void)state;
	expect_pdf("<< /Type /Catalog /Pages 2 0 R >>", true);
	expect_pdf("<< /Title (about /JavaScript and /JS) >>", true); /* a string, not a name */
	expect_pdf("<< /Title <2F4A53> >>", true);		      /* a hex string */
	expect_pdf("% /JS in a comment\n<< /Type /Catalog >>", true);
	expect_pdf("<< /Length 9 >>\nstream\n/JS (x) >>\nendstream", true); /* stream data */
	expect_pdf("<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>", false);
	expect_pdf("<< /OpenAction << /S /J#61vaScript >> >>", false);
	expect_pdf("<</AA<</O<</S/Launch/F(cmd)>>>>>>", false);
	expect_pdf("<< /Names << /EmbeddedFiles 3 0 R >> >>", false);
	expect_pdf("<< /AcroForm << /XFA 4 0 R >> >>", false);
	/* An object stream in another encoding cannot be read, so it is not taken. */
	expect_pdf("<< /Type /ObjStm /Filter /ASCIIHexDecode /Length 4 >>\nstream\n2F4A\n"
		   "endstream",
		   false);
	expect_pdf("<< /Type /ObjStm /Filter /FlateDecode /Length 4 >>\nstream\nnope\nendstream",
		   false);
}

static void test_download_name(void **state)
{
	char out[256], longname[400];

	(void)state;
	mc_upload_download_name("bao-cao.html", MC_MIME_PDF, out);
	assert_string_equal(out, "bao-cao.pdf");
	mc_upload_download_name("ban-ve.png.svg", MC_MIME_PNG, out);
	assert_string_equal(out, "ban-ve.png.png");
	mc_upload_download_name("anh", MC_MIME_JPEG, out);
	assert_string_equal(out, "anh.jpg");
	mc_upload_download_name(".html", "text/html", out);
	assert_string_equal(out, "tep.bin");
	mc_upload_download_name(NULL, MC_MIME_PDF, out);
	assert_string_equal(out, "tep.pdf");
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	mc_upload_download_name(longname, MC_MIME_PDF, out);
	assert_int_equal(strlen(out), 255);
	assert_string_equal(out + 251, ".pdf");
}

/* A form with a spool directory keeps the file on disk; checking and keeping it links it
 * under its hash, and finishing the form leaves nothing else behind. */
static void test_spooled_upload(void **state)
{
	char dir[] = "/tmp/mc-spool-XXXXXX", path[128];
	static const char pdf[] = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
	const struct mc_form_field *f;
	struct mc_upload u;
	struct mc_form form;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	mc_form_init(&form);
	mc_form_spool(&form, dir);
	assert_int_equal(mc_form_append(&form, "file", "a.pdf", "x", pdf, 0, 10), MC_OK);
	assert_int_equal(
	    mc_form_append(&form, "file", "a.pdf", "x", pdf + 10, 10, sizeof(pdf) - 11), MC_OK);
	assert_non_null(f = mc_form_file(&form, "file"));
	assert_int_equal(f->size, sizeof(pdf) - 1);
	assert_int_equal(f->value.len, 0); /* not in memory */
	assert_true(f->fd >= 0);
	assert_int_equal(mc_upload_check(f, true, &u), MC_OK);
	assert_int_equal(u.status, 415); /* a photo must be an image */
	assert_int_equal(mc_upload_check(f, false, &u), MC_OK);
	assert_null(u.why);
	assert_string_equal(u.mime, MC_MIME_PDF);
	assert_int_equal(mc_upload_keep(NULL, dir, f, &u), MC_OK);
	mc_form_finish(&form);
	snprintf(path, sizeof(path), "%s/%s", dir, u.sha);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal((size_t)st.st_size, sizeof(pdf) - 1);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0); /* the spooled file went with the form */
}

static void expect_cell(const char *text, const char *want)
{
	struct mc_buf b;

	mc_buf_init(&b);
	assert_int_equal(mc_csv_cell(&b, text, ','), MC_OK);
	assert_string_equal(b.data, want);
	mc_buf_finish(&b);
}

static void test_csv_cells(void **state)
{
	(void)state;
	expect_cell("Phường 7", "Phường 7,");
	expect_cell(NULL, ",");
	expect_cell("=1+2", "\"'=1+2\",");
	expect_cell("  @SUM(A1)", "\"'  @SUM(A1)\",");
	expect_cell("-5", "\"'-5\",");
	expect_cell("\xEF\xBC\x9D"
		    "1",
		    "\"'\xEF\xBC\x9D"
		    "1\",");
	expect_cell("a;b", "\"a;b\",");
	expect_cell("a;=1+1", "\"a;'=1+1\",");
	expect_cell("a, \"+1\"", "\"a,' \"\"+1\"\"\",");
	expect_cell("x\n-1", "\"x\n'-1\",");
	expect_cell("say \"hi\"", "\"say \"\"hi\"\"\",");
	assert_true(mc_csv_risky("\tx"));
	assert_false(mc_csv_risky("x=1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_image_end),
	    cmocka_unit_test(test_pdf_check),
	    cmocka_unit_test(test_download_name),
	    cmocka_unit_test(test_spooled_upload),
	    cmocka_unit_test(test_csv_cells),
	    cmocka_unit_test(test_sniff_by_content),
	    cmocka_unit_test(test_save_and_load),
	    cmocka_unit_test(test_display_name),
	    cmocka_unit_test(test_disposition_is_ascii),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
