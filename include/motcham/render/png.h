#ifndef MOTCHAM_PNG_H
#define MOTCHAM_PNG_H

#include "motcham/base/buf.h"
#include "motcham/render/qr.h"

/* Appends a 1-bit greyscale PNG of qr to out: scale pixels per module, margin modules of
 * quiet zone on every side, and a pHYs chunk for dpi dots per inch (dpi 0: no pHYs).
 * MC_ERR_INVALID for scale < 1, margin < 0 or an image over 20000 pixels a side;
 * MC_ERR_PNG when libpng fails (its longjmp is caught here); out is unchanged on failure. */
enum mc_err mc_png_write(const struct mc_qr *qr, int scale, int margin, int dpi,
			 struct mc_buf *out);

#endif
