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

#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sniff_by_content),
	    cmocka_unit_test(test_save_and_load),
	    cmocka_unit_test(test_display_name),
	    cmocka_unit_test(test_disposition_is_ascii),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
