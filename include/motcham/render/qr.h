#ifndef MOTCHAM_QR_H
#define MOTCHAM_QR_H

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

enum mc_qr_ecc { MC_QR_ECC_L = 0, MC_QR_ECC_M, MC_QR_ECC_Q, MC_QR_ECC_H };

/* A QR symbol as a module matrix. Caller-owned: filled by mc_qr_encode, freed by
 * mc_qr_finish. */
struct mc_qr {
	int version; /* 1..40, the smallest that holds the text at this ECC level */
	int width;   /* modules per side, without quiet zone */
	enum mc_qr_ecc ecc;
	unsigned char *modules; /* width * width bytes, row-major, 1 = dark, 0 = light */
};

/* Encodes text with libqrencode (version chosen automatically, the smallest that fits;
 * upper-case input is put in alphanumeric mode). MC_ERR_QR when the text does not fit or
 * libqrencode fails, MC_ERR_NOMEM; *out is left empty on failure. */
enum mc_err mc_qr_encode(const char *text, enum mc_qr_ecc ecc, struct mc_qr *out);
/* Frees the matrix; accepts NULL. */
void mc_qr_finish(struct mc_qr *qr);

/* Appends the text a printed code carries: base_url (trailing '/' dropped) + "/Q/" + token,
 * all upper-cased so that it fits QR alphanumeric mode. MC_ERR_INVALID when base_url is not
 * http:// or https:// or has characters outside the alphanumeric set once upper-cased. */
enum mc_err mc_qr_url(const char *base_url, const char *token, struct mc_buf *out);

/* Parses "L", "M", "Q" or "H" (either case). MC_ERR_INVALID otherwise. */
enum mc_err mc_qr_ecc_parse(const char *s, enum mc_qr_ecc *out);
/* "L", "M", "Q" or "H". */
const char *mc_qr_ecc_name(enum mc_qr_ecc ecc);

#endif
