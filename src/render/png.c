#include "motcham/render/png.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

#define SIDE_MAX 20000
/* Measured on a version 3 symbol at 8 px/module: level 1 gives 570 bytes in 28 us, 6 gives
 * 380 bytes in 90 us, 9 gives no gain for 500 us. */
#define ZLEVEL 1

struct geom {
	int scale;
	int margin;
	int dpi;
	png_uint_32 side; /* pixels per side, quiet zone included */
	size_t rowbytes;
};

struct sink {
	struct mc_buf *buf;
	enum mc_err err; /* why a write callback gave up, so NOMEM is not reported as PNG */
};

static void on_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void on_write(png_structp png, png_bytep data, size_t n)
{
	struct sink *s = png_get_io_ptr(png);

	if (mc_buf_add(s->buf, data, n) != MC_OK) {
		s->err = MC_ERR_NOMEM;
		png_error(png, "out of memory");
	}
}

static void on_flush(png_structp png)
{
	(void)png;
}

/* Clears n bits from bit px on: whole bytes at once, since at 8 px a module every module is
 * one byte and a bit at a time was 5% of gen. */
static void clear_bits(png_bytep row, size_t px, size_t n)
{
	size_t whole;

	for (; n > 0 && (px & 7); px++, n--)
		row[px >> 3] &= (png_byte) ~(0x80u >> (px & 7));
	whole = n >> 3;
	memset(row + (px >> 3), 0, whole);
	px += whole << 3;
	n -= whole << 3;
	for (; n > 0; px++, n--)
		row[px >> 3] &= (png_byte) ~(0x80u >> (px & 7));
}

/* Packs module row y (or a quiet-zone row when y is out of range) into row; 1 bits are white. */
static void pack_row(const struct mc_qr *qr, const struct geom *g, int y, png_bytep row)
{
	const unsigned char *m;
	size_t x, run, scale = (size_t)g->scale, w = (size_t)qr->width;

	memset(row, 0xff, g->rowbytes);
	if (y < 0 || y >= qr->width)
		return;
	m = qr->modules + (size_t)y * w;
	for (x = 0; x < w; x += run) {
		for (run = 1; x + run < w && (m[x + run] != 0) == (m[x] != 0); run++)
			;
		if (m[x])
			clear_bits(row, (x + (size_t)g->margin) * scale, run * scale);
	}
}

/* Called after setjmp: its loop counters live here, not in the frame longjmp returns to. */
static void write_rows(png_structp png, const struct mc_qr *qr, const struct geom *g, png_bytep row)
{
	int y, s;

	for (y = -g->margin; y < qr->width + g->margin; y++) {
		pack_row(qr, g, y, row);
		for (s = 0; s < g->scale; s++)
			png_write_row(png, row);
	}
}

static void write_header(png_structp png, png_infop info, const struct geom *g)
{
	png_uint_32 ppm;

	png_set_IHDR(png, info, g->side, g->side, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	if (g->dpi > 0) {
		/* Rounded by hand: the build does not link libm. */
		ppm = (png_uint_32)(g->dpi / 0.0254 + 0.5);
		png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
	}
	/* Each module row is repeated scale times: the Up filter turns every repeat into zeros,
	 * which even the fastest zlib level squeezes to nothing. */
	png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
	png_set_compression_level(png, ZLEVEL);
	png_write_info(png, info);
}

static enum mc_err encode(const struct mc_qr *qr, const struct geom *g, png_bytep row,
			  struct sink *sink)
{
	png_structp png;
	png_infop info;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_error, on_warning);
	if (!png)
		return MC_ERR_NOMEM;
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return MC_ERR_NOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return sink->err != MC_OK ? sink->err : MC_ERR_PNG;
	}
	png_set_write_fn(png, sink, on_write, on_flush);
	write_header(png, info, g);
	write_rows(png, qr, g, row);
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return MC_OK;
}

static enum mc_err check_geom(const struct mc_qr *qr, int scale, int margin, int dpi,
			      struct geom *g)
{
	long side;

	if (!qr || !qr->modules || qr->width < 1 || qr->width > 177)
		return MC_ERR_INVALID;
	if (scale < 1 || scale > SIDE_MAX || margin < 0 || margin > SIDE_MAX || dpi < 0 ||
	    dpi > 1000000)
		return MC_ERR_INVALID;
	side = ((long)qr->width + 2L * margin) * scale;
	if (side > SIDE_MAX)
		return MC_ERR_INVALID;
	g->scale = scale;
	g->margin = margin;
	g->dpi = dpi;
	g->side = (png_uint_32)side;
	g->rowbytes = ((size_t)side + 7) / 8;
	return MC_OK;
}

enum mc_err mc_png_write(const struct mc_qr *qr, int scale, int margin, int dpi, struct mc_buf *out)
{
	struct geom g;
	struct mc_buf tmp;
	struct sink sink = {&tmp, MC_OK};
	png_bytep row = NULL;
	enum mc_err err;

	mc_buf_init(&tmp);
	if ((err = check_geom(qr, scale, margin, dpi, &g)) != MC_OK)
		goto fail;
	err = MC_ERR_NOMEM;
	if (!(row = malloc(g.rowbytes)))
		goto fail;
	if ((err = encode(qr, &g, row, &sink)) != MC_OK)
		goto fail;
	err = mc_buf_add(out, tmp.data, tmp.len);
fail:
	free(row);
	mc_buf_finish(&tmp);
	return err;
}
