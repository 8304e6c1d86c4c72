#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <png.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "motcham/render/png.h"
#include "motcham/render/qr.h"
#include "motcham/render/svg.h"

#define URL "HTTPS://MOTCHAM.EXAMPLE.VN/Q/7K3M9PX2Q"

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Returns the data of the first chunk of this type, or NULL; *len gets its length. */
static const unsigned char *find_chunk(const struct mc_buf *b, const char *type, uint32_t *len)
{
	const unsigned char *p = (const unsigned char *)b->data + 8;
	const unsigned char *end = (const unsigned char *)b->data + b->len;

	while (end - p >= 12) {
		*len = be32(p);
		if (memcmp(p + 4, type, 4) == 0)
			return p + 8;
		if ((size_t)(end - p) < 12 + (size_t)*len)
			return NULL;
		p += 12 + *len;
	}
	return NULL;
}

/* Runs zbarimg on bytes written to a temporary file; returns its output, NUL-terminated. */
static void zbar_decode(const struct mc_buf *img, const char *suffix, char *out, size_t cap)
{
	char path[64], cmd[128];
	FILE *f, *p;
	size_t n;
	int fd;

	snprintf(path, sizeof(path), "/tmp/mc_test_qr_XXXXXX%s", suffix);
	fd = mkstemps(path, (int)strlen(suffix));
	assert_true(fd >= 0);
	f = fdopen(fd, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(img->data, 1, img->len, f), img->len);
	assert_int_equal(fclose(f), 0);
	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q %s 2>/dev/null", path);
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	pclose(p);
	unlink(path);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
}

static void test_encode_smallest_version(void **state)
{
	struct mc_qr qr;
	QRcode *smaller;
	size_t i;

	(void)state;
	assert_int_equal(mc_qr_encode(URL, MC_QR_ECC_Q, &qr), MC_OK);
	assert_true(qr.version >= 1 && qr.version <= 40);
	assert_int_equal(qr.width, 17 + 4 * qr.version);
	assert_int_equal(qr.ecc, MC_QR_ECC_Q);
	for (i = 0; i < (size_t)qr.width * (size_t)qr.width; i++)
		assert_true(qr.modules[i] == 0 || qr.modules[i] == 1);
	/* Asked for one version less, libqrencode must grow it back: v-1 does not fit. */
	if (qr.version > 1) {
		smaller = QRcode_encodeString(URL, qr.version - 1, QR_ECLEVEL_Q, QR_MODE_8, 0);
		assert_non_null(smaller);
		assert_int_equal(smaller->version, qr.version);
		QRcode_free(smaller);
	}
	mc_qr_finish(&qr);
	assert_null(qr.modules);
	mc_qr_finish(NULL);
}

static void test_alnum_beats_bytes(void **state)
{
	const char *upper = "HTTPS://TRACUU.PHUONG7QUAN8.HOCHIMINHCITY.GOV.VN/Q/7K3M9PX2Q";
	char lower[128];
	struct mc_qr qr;
	QRcode *bytes;
	size_t i;

	(void)state;
	for (i = 0; upper[i]; i++)
		lower[i] = (char)(upper[i] >= 'A' && upper[i] <= 'Z' ? upper[i] + 32 : upper[i]);
	lower[i] = '\0';
	assert_int_equal(mc_qr_encode(upper, MC_QR_ECC_Q, &qr), MC_OK);
	bytes = QRcode_encodeString(lower, 0, QR_ECLEVEL_Q, QR_MODE_8, 1);
	assert_non_null(bytes);
	assert_true(qr.version <= bytes->version);
	/* 60 characters: 8 bits each against 5.5 must cost at least one version. */
	assert_true(qr.version < bytes->version);
	QRcode_free(bytes);
	mc_qr_finish(&qr);
}

static void test_encode_errors(void **state)
{
	char big[8000];
	struct mc_qr qr;

	(void)state;
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(mc_qr_encode(big, MC_QR_ECC_H, &qr), MC_ERR_QR);
	assert_null(qr.modules);
	assert_int_equal(mc_qr_encode("", MC_QR_ECC_L, &qr), MC_ERR_INVALID);
	assert_int_equal(mc_qr_encode("X", (enum mc_qr_ecc)7, &qr), MC_ERR_INVALID);
}

static void url_ok(const char *base, const char *token, const char *want)
{
	struct mc_buf b;

	mc_buf_init(&b);
	assert_int_equal(mc_qr_url(base, token, &b), MC_OK);
	assert_string_equal(b.data, want);
	mc_buf_finish(&b);
}

static void url_bad(const char *base, const char *token)
{
	struct mc_buf b;

	mc_buf_init(&b);
	assert_int_equal(mc_buf_puts(&b, "keep"), MC_OK);
	assert_int_equal(mc_qr_url(base, token, &b), MC_ERR_INVALID);
	assert_string_equal(b.data, "keep");
	mc_buf_finish(&b);
}

static void test_url(void **state)
{
	char longer[300];

	(void)state;
	url_ok("https://motcham.example.vn", "7k3m9px2q", URL);
	url_ok("https://motcham.example.vn/", "7K3M9PX2Q", URL);
	url_ok("HTTPS://motcham.example.vn//", "7K3M9PX2Q", URL);
	url_ok("http://127.0.0.1:8080/p7-q8", "ABC", "HTTP://127.0.0.1:8080/P7-Q8/Q/ABC");
	url_bad("ftp://motcham.example.vn", "ABC");
	url_bad("motcham.example.vn", "ABC");
	url_bad("https://", "ABC");
	url_bad("https:///x", "ABC");
	url_bad("https://motcham.example.vn/a b", "ABC");
	url_bad("https://motcham.example.vn/?x=1", "ABC");
	url_bad("https://motcham.example.vn/#x", "ABC");
	url_bad("https://phường.vn", "ABC");
	url_bad("https://motcham.example.vn", "");
	url_bad("https://motcham.example.vn", "A_B");
	url_bad("https://motcham.example.vn", "A/B");
	url_bad(NULL, "ABC");
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	memcpy(longer, "https://", 8);
	url_bad(longer, "ABC");
}

static void test_ecc_names(void **state)
{
	enum mc_qr_ecc e;

	(void)state;
	assert_int_equal(mc_qr_ecc_parse("q", &e), MC_OK);
	assert_int_equal(e, MC_QR_ECC_Q);
	assert_int_equal(mc_qr_ecc_parse("H", &e), MC_OK);
	assert_int_equal(e, MC_QR_ECC_H);
	assert_string_equal(mc_qr_ecc_name(MC_QR_ECC_L), "L");
	assert_string_equal(mc_qr_ecc_name(MC_QR_ECC_M), "M");
	assert_int_equal(mc_qr_ecc_parse("", &e), MC_ERR_INVALID);
	assert_int_equal(mc_qr_ecc_parse("X", &e), MC_ERR_INVALID);
	assert_int_equal(mc_qr_ecc_parse("LM", &e), MC_ERR_INVALID);
}

/* Decodes the PNG with libpng and checks every pixel against the module matrix. */
static void check_pixels(const struct mc_buf *b, const struct mc_qr *qr, int scale, int margin)
{
	png_image img;
	unsigned char *px;
	int side = (qr->width + 2 * margin) * scale, x, y, mx, my, dark;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	assert_true(png_image_begin_read_from_memory(&img, b->data, b->len));
	assert_int_equal(img.width, side);
	img.format = PNG_FORMAT_GRAY;
	px = malloc(PNG_IMAGE_SIZE(img));
	assert_non_null(px);
	assert_true(png_image_finish_read(&img, NULL, px, 0, NULL));
	for (y = 0; y < side; y++)
		for (x = 0; x < side; x++) {
			mx = x / scale - margin;
			my = y / scale - margin;
			dark = mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
			       qr->modules[my * qr->width + mx];
			assert_int_equal(px[y * side + x], dark ? 0 : 255);
		}
	free(px);
}

static void test_png(void **state)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	const unsigned char *ihdr, *phys;
	struct mc_qr qr;
	struct mc_buf b;
	uint32_t len;
	char text[256];

	(void)state;
	mc_buf_init(&b);
	assert_int_equal(mc_qr_encode(URL, MC_QR_ECC_Q, &qr), MC_OK);
	assert_int_equal(mc_png_write(&qr, 3, 4, 300, &b), MC_OK);
	assert_true(b.len > 33);
	assert_memory_equal(b.data, sig, 8);
	ihdr = find_chunk(&b, "IHDR", &len);
	assert_non_null(ihdr);
	assert_int_equal(len, 13);
	assert_int_equal(be32(ihdr), (uint32_t)(qr.width + 8) * 3);
	assert_int_equal(be32(ihdr + 4), (uint32_t)(qr.width + 8) * 3);
	assert_int_equal(ihdr[8], 1); /* bit depth */
	assert_int_equal(ihdr[9], 0); /* colour type grey */
	phys = find_chunk(&b, "pHYs", &len);
	assert_non_null(phys);
	assert_int_equal(len, 9);
	assert_int_equal(be32(phys), 11811); /* 300 / 0.0254 = 11811.02 */
	assert_int_equal(be32(phys + 4), 11811);
	assert_int_equal(phys[8], 1); /* metre */
	check_pixels(&b, &qr, 3, 4);
	zbar_decode(&b, ".png", text, sizeof(text));
	assert_string_equal(text, URL);
	mc_buf_reset(&b);
	assert_int_equal(mc_png_write(&qr, 1, 0, 0, &b), MC_OK);
	assert_null(find_chunk(&b, "pHYs", &len));
	check_pixels(&b, &qr, 1, 0);
	mc_buf_finish(&b);
	mc_qr_finish(&qr);
}

static void test_png_rejects(void **state)
{
	struct mc_qr qr;
	struct mc_buf b;

	(void)state;
	mc_buf_init(&b);
	assert_int_equal(mc_buf_puts(&b, "keep"), MC_OK);
	assert_int_equal(mc_qr_encode(URL, MC_QR_ECC_M, &qr), MC_OK);
	assert_int_equal(mc_png_write(&qr, 0, 4, 300, &b), MC_ERR_INVALID);
	assert_int_equal(mc_png_write(&qr, -3, 4, 300, &b), MC_ERR_INVALID);
	assert_int_equal(mc_png_write(&qr, 4, -1, 300, &b), MC_ERR_INVALID);
	assert_int_equal(mc_png_write(&qr, 4, 4, -1, &b), MC_ERR_INVALID);
	assert_int_equal(mc_png_write(&qr, 1000, 4, 300, &b), MC_ERR_INVALID);
	assert_int_equal(mc_png_write(&qr, 1, 20000, 300, &b), MC_ERR_INVALID);
	assert_int_equal(mc_png_write(&qr, 1 << 30, 1 << 30, 300, &b), MC_ERR_INVALID);
	assert_int_equal(mc_svg_write(&qr, -1, 0, &b), MC_ERR_INVALID);
	assert_string_equal(b.data, "keep");
	assert_int_equal(b.len, 4);
	mc_buf_finish(&b);
	mc_qr_finish(&qr);
}

/* Reads the path's "M x y", "m dx dy", "hN v1 h-N z" runs back into a module matrix. */
static void svg_to_matrix(const char *d, int margin, int w, unsigned char *m)
{
	int x = 0, y = 0, n, dx, dy, used, i;

	while (*d && *d != '"') {
		if (sscanf(d, "M%d %d%n", &dx, &dy, &used) == 2) {
			x = dx - margin;
			y = dy - margin;
		} else {
			assert_int_equal(sscanf(d, "m%d %d%n", &dx, &dy, &used), 2);
			x += dx;
			y += dy;
		}
		d += used;
		assert_int_equal(sscanf(d, "h%dv1h-%dz%n", &n, &dx, &used), 2);
		assert_int_equal(n, dx);
		assert_true(x >= 0 && y >= 0 && y < w && n > 0 && x + n <= w);
		for (i = 0; i < n; i++)
			m[y * w + x + i] = 1;
		d += used;
	}
}

static void test_svg(void **state)
{
	struct mc_qr qr;
	struct mc_buf b;
	char want[64];
	unsigned char *m;
	const char *d;

	(void)state;
	mc_buf_init(&b);
	assert_int_equal(mc_qr_encode(URL, MC_QR_ECC_Q, &qr), MC_OK);
	assert_int_equal(mc_svg_write(&qr, 4, 30, &b), MC_OK);
	assert_non_null(strstr(b.data, "<svg"));
	assert_non_null(strstr(b.data, "width=\"30mm\""));
	assert_non_null(strstr(b.data, "height=\"30mm\""));
	assert_non_null(strstr(b.data, "crispEdges"));
	snprintf(want, sizeof(want), "viewBox=\"0 0 %d %d\"", qr.width + 8, qr.width + 8);
	assert_non_null(strstr(b.data, want));
	d = strstr(b.data, "<path");
	assert_non_null(d);
	assert_null(strstr(d + 1, "<path"));
	d = strstr(d, " d=\"");
	assert_non_null(d);
	m = calloc((size_t)qr.width * (size_t)qr.width, 1);
	assert_non_null(m);
	svg_to_matrix(d + 4, 4, qr.width, m);
	assert_memory_equal(m, qr.modules, (size_t)qr.width * (size_t)qr.width);
	free(m);
	mc_buf_reset(&b);
	assert_int_equal(mc_svg_write(&qr, 0, 0, &b), MC_OK);
	assert_null(strstr(b.data, "mm\""));
	mc_buf_finish(&b);
	mc_qr_finish(&qr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_smallest_version),
	    cmocka_unit_test(test_alnum_beats_bytes),
	    cmocka_unit_test(test_encode_errors),
	    cmocka_unit_test(test_url),
	    cmocka_unit_test(test_ecc_names),
	    cmocka_unit_test(test_png),
	    cmocka_unit_test(test_png_rejects),
	    cmocka_unit_test(test_svg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
