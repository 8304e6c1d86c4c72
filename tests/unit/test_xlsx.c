/* .xlsx workbooks: what is handed over, what is left on disk and open, and the refusals.
 * What the cells hold is read back by a real spreadsheet reader in test_exports.py. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "motcham/render/xlsx.h"

static const char *const head[] = {"Phường", "Số giấy phép", "Phản ánh"};
static const double widths[] = {18, 16, 10};

/* Entries in dir other than . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static int open_fds(void)
{
	return entries("/proc/self/fd");
}

static void test_handed_over_unnamed(void **state)
{
	char dir[] = "/tmp/mc-xlsx-XXXXXX", magic[4];
	struct mc_xlsx *x;
	unsigned long long size;
	int fd, fds = open_fds();

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(mc_xlsx_create(dir, &x), MC_OK);
	assert_int_equal(mc_xlsx_head(x, head, widths, 3), MC_OK);
	for (unsigned r = 1; r <= 500; r++) {
		assert_int_equal(mc_xlsx_text(x, r, 0, "=HYPERLINK(\"http://evil.example\")"),
				 MC_OK);
		assert_int_equal(mc_xlsx_text(x, r, 1, r % 2 ? NULL : ""), MC_OK);
		assert_int_equal(mc_xlsx_number(x, r, 2, r), MC_OK);
	}
	assert_int_equal(mc_xlsx_close(x, &fd, &size), MC_OK);
	mc_xlsx_destroy(x);
	assert_true(fd >= 0);
	assert_true(size > 1000);
	assert_int_equal(pread(fd, magic, 4, 0), 4);
	assert_memory_equal(magic, "PK\x03\x04", 4);
	assert_int_equal((unsigned long long)lseek(fd, 0, SEEK_END), size);
	/* Nothing named is left, libxlsxwriter's files included; only fd holds the workbook. */
	assert_int_equal(entries(dir), 0);
	assert_int_equal(open_fds(), fds + 1);
	close(fd);
	assert_int_equal(rmdir(dir), 0);
}

static void test_destroyed_unwritten(void **state)
{
	char dir[] = "/tmp/mc-xlsx-XXXXXX";
	struct mc_xlsx *x;
	int fds = open_fds();

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(mc_xlsx_create(dir, &x), MC_OK);
	assert_int_equal(mc_xlsx_head(x, head, NULL, 3), MC_OK);
	assert_int_equal(mc_xlsx_text(x, 1, 0, "Phường 7"), MC_OK);
	assert_int_equal(entries(dir), 1);
	/* An export that failed half-way: no file, nothing open. */
	mc_xlsx_destroy(x);
	mc_xlsx_destroy(NULL);
	assert_int_equal(entries(dir), 0);
	assert_int_equal(open_fds(), fds);
	assert_int_equal(rmdir(dir), 0);
}

static void test_refusals(void **state)
{
	char dir[] = "/tmp/mc-xlsx-XXXXXX", missing[64];
	struct mc_xlsx *x;
	unsigned long long size;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(missing, sizeof(missing), "%s/none", dir);
	assert_int_equal(mc_xlsx_create(missing, &x), MC_ERR_IO);
	assert_null(x);
	assert_int_equal(mc_xlsx_create(dir, &x), MC_OK);
	assert_int_equal(mc_xlsx_text(x, 0, 0, "the head's row"), MC_ERR_INVALID);
	assert_int_equal(mc_xlsx_text(x, 2, 0, "a"), MC_OK);
	assert_int_equal(mc_xlsx_text(x, 1, 0, "a row back"), MC_ERR_INVALID);
	assert_int_equal(mc_xlsx_text(x, 2, 16384, "past the last column"), MC_ERR_INVALID);
	assert_int_equal(mc_xlsx_number(x, 1048576, 0, 1), MC_ERR_INVALID);
	assert_int_equal(mc_xlsx_number(x, 1, 0, 1), MC_ERR_INVALID);
	assert_int_equal(mc_xlsx_head(x, head, widths, 3), MC_ERR_INVALID);
	assert_int_equal(mc_xlsx_close(x, &fd, &size), MC_OK);
	close(fd);
	assert_int_equal(mc_xlsx_close(x, &fd, &size), MC_ERR_INVALID);
	assert_int_equal(fd, -1);
	assert_int_equal(mc_xlsx_text(x, 3, 0, "after"), MC_ERR_INVALID);
	mc_xlsx_destroy(x);
	assert_int_equal(rmdir(dir), 0);
}

/* The longest text a form takes, made of nothing but Excel's escapes: escaping each would
 * pass a cell's 32,767 characters, and the cell is still written. */
static void test_escapes_past_the_limit(void **state)
{
	char dir[] = "/tmp/mc-xlsx-XXXXXX";
	static char text[20001];
	struct mc_xlsx *x;
	unsigned long long size;
	int fd;

	(void)state;
	for (size_t i = 0; i + 6 < sizeof(text); i += 6)
		memcpy(text + i, "_x0041", 6);
	memset(text + 19998, '_', 2);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(mc_xlsx_create(dir, &x), MC_OK);
	assert_int_equal(mc_xlsx_text(x, 1, 0, text), MC_OK);
	assert_int_equal(mc_xlsx_text(x, 2, 0, "_x0041_x0042_ short"), MC_OK);
	assert_int_equal(mc_xlsx_close(x, &fd, &size), MC_OK);
	mc_xlsx_destroy(x);
	close(fd);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handed_over_unnamed),
	    cmocka_unit_test(test_destroyed_unwritten),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_escapes_past_the_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
