#ifndef MOTCHAM_SVG_H
#define MOTCHAM_SVG_H

#include "motcham/base/buf.h"
#include "motcham/render/qr.h"

/* Appends an SVG image of qr to out: a white background and every dark module in one
 * compact <path>, margin modules of quiet zone, viewBox in modules. With size_mm > 0 the
 * width and height are set in millimetres, otherwise the image scales to its container.
 * MC_ERR_INVALID for margin < 0; out is unchanged on failure. */
enum mc_err mc_svg_write(const struct mc_qr *qr, int margin, double size_mm, struct mc_buf *out);

#endif
