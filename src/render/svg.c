#include "motcham/render/svg.h"

#include <math.h>
#include <stdbool.h>

/* Appends one subpath per horizontal run of dark modules. After "z" the pen is back at the
 * run's start, so the next run is reached with a short relative move. */
static enum mc_err add_runs(const struct mc_qr *qr, int margin, struct mc_buf *b)
{
	int x, y, n, px = 0, py = 0;
	bool first = true;
	enum mc_err err;
	const unsigned char *m;

	for (y = 0; y < qr->width; y++) {
		m = qr->modules + (size_t)y * (size_t)qr->width;
		for (x = 0; x < qr->width; x += n) {
			for (n = 0; x + n < qr->width && m[x + n]; n++)
				;
			if (n == 0) {
				n = 1;
				continue;
			}
			if (first)
				err = mc_buf_printf(b, "M%d %d", x + margin, y + margin);
			else
				err = mc_buf_printf(b, "m%d %d", x - px, y - py);
			if (err != MC_OK)
				return err;
			if ((err = mc_buf_printf(b, "h%dv1h-%dz", n, n)) != MC_OK)
				return err;
			first = false;
			px = x;
			py = y;
		}
	}
	return MC_OK;
}

static enum mc_err add_svg(const struct mc_qr *qr, int margin, double size_mm, struct mc_buf *b)
{
	int w = qr->width + 2 * margin;
	enum mc_err err;

	if ((err =
		 mc_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\"",
			       w, w)) != MC_OK)
		return err;
	if (size_mm > 0 &&
	    (err = mc_buf_printf(b, " width=\"%gmm\" height=\"%gmm\"", size_mm, size_mm)) != MC_OK)
		return err;
	if ((err = mc_buf_printf(b,
				 " shape-rendering=\"crispEdges\">"
				 "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path d=\"",
				 w, w)) != MC_OK)
		return err;
	if ((err = add_runs(qr, margin, b)) != MC_OK)
		return err;
	return mc_buf_puts(b, "\"/></svg>\n");
}

enum mc_err mc_svg_write(const struct mc_qr *qr, int margin, double size_mm, struct mc_buf *out)
{
	struct mc_buf tmp;
	enum mc_err err;

	if (!qr || !qr->modules || qr->width < 1 || qr->width > 177)
		return MC_ERR_INVALID;
	if (margin < 0 || margin > 1000 || isnan(size_mm) || size_mm < 0 || size_mm > 100000)
		return MC_ERR_INVALID;
	mc_buf_init(&tmp);
	if ((err = add_svg(qr, margin, size_mm, &tmp)) == MC_OK)
		err = mc_buf_add(out, tmp.data, tmp.len);
	mc_buf_finish(&tmp);
	return err;
}
