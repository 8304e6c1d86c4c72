#include "motcham/render/qr.h"

#include <errno.h>
#include <qrencode.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A base URL longer than this would push the symbol to versions too dense to print small. */
#define BASE_URL_MAX 200
/* Capacity of version 40-L in numeric mode, the densest there is. */
#define TEXT_MAX 7089

static QRecLevel ecc_level(enum mc_qr_ecc ecc)
{
	switch (ecc) {
	case MC_QR_ECC_L:
		return QR_ECLEVEL_L;
	case MC_QR_ECC_M:
		return QR_ECLEVEL_M;
	case MC_QR_ECC_Q:
		return QR_ECLEVEL_Q;
	case MC_QR_ECC_H:
		return QR_ECLEVEL_H;
	}
	return QR_ECLEVEL_Q;
}

enum mc_err mc_qr_encode(const char *text, enum mc_qr_ecc ecc, struct mc_qr *out)
{
	QRcode *code;
	size_t n, i;

	memset(out, 0, sizeof(*out));
	if (!text || !*text || (unsigned)ecc > MC_QR_ECC_H)
		return MC_ERR_INVALID;
	/* Nothing longer fits even version 40-L; spare libqrencode the attempt. */
	if (strnlen(text, TEXT_MAX + 1) > TEXT_MAX)
		return MC_ERR_QR;
	/* Version 0 lets libqrencode pick the smallest version; casesensitive 0 lets it use
	 * alphanumeric mode for upper-case text. */
	errno = 0;
	code = QRcode_encodeString(text, 0, ecc_level(ecc), QR_MODE_8, 0);
	if (!code)
		return errno == ENOMEM ? MC_ERR_NOMEM : MC_ERR_QR;
	if (code->width < 21 || code->width > 177 || code->version < 1 || code->version > 40) {
		QRcode_free(code);
		return MC_ERR_QR;
	}
	n = (size_t)code->width * (size_t)code->width;
	out->modules = malloc(n);
	if (!out->modules) {
		QRcode_free(code);
		return MC_ERR_NOMEM;
	}
	/* libqrencode packs extra flags into the upper bits; bit 0 alone is the colour. */
	for (i = 0; i < n; i++)
		out->modules[i] = code->data[i] & 1;
	out->version = code->version;
	out->width = code->width;
	out->ecc = ecc;
	QRcode_free(code);
	return MC_OK;
}

void mc_qr_finish(struct mc_qr *qr)
{
	if (!qr)
		return;
	free(qr->modules);
	memset(qr, 0, sizeof(*qr));
}

static bool url_char_ok(char c)
{
	/* The QR alphanumeric set, minus space, which a URL cannot carry bare. */
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c && strchr("$%*+-./:", c));
}

static char upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

static size_t scheme_len(const char *s)
{
	if (strncasecmp(s, "http://", 7) == 0)
		return 7;
	if (strncasecmp(s, "https://", 8) == 0)
		return 8;
	return 0;
}

static bool all_url_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!url_char_ok(upper(s[i])))
			return false;
	return true;
}

enum mc_err mc_qr_url(const char *base_url, const char *token, struct mc_buf *out)
{
	size_t blen, tlen, skip, i;
	enum mc_err err;

	if (!base_url || !token)
		return MC_ERR_INVALID;
	blen = strnlen(base_url, BASE_URL_MAX + 1);
	tlen = strnlen(token, 64 + 1);
	if (blen > BASE_URL_MAX || tlen == 0 || tlen > 64)
		return MC_ERR_INVALID;
	if ((skip = scheme_len(base_url)) == 0)
		return MC_ERR_INVALID;
	while (blen > skip && base_url[blen - 1] == '/')
		blen--;
	/* A host is required, and a path must not start right after the scheme. */
	if (blen == skip || base_url[skip] == '/')
		return MC_ERR_INVALID;
	if (!all_url_chars(base_url, blen) || !all_url_chars(token, tlen) || strchr(token, '/'))
		return MC_ERR_INVALID;
	if ((err = mc_buf_reserve(out, blen + 3 + tlen)) != MC_OK)
		return err;
	for (i = 0; i < blen; i++)
		out->data[out->len++] = upper(base_url[i]);
	memcpy(out->data + out->len, "/Q/", 3);
	out->len += 3;
	for (i = 0; i < tlen; i++)
		out->data[out->len++] = upper(token[i]);
	out->data[out->len] = '\0';
	return MC_OK;
}

enum mc_err mc_qr_ecc_parse(const char *s, enum mc_qr_ecc *out)
{
	static const char names[] = "LMQH";
	const char *p;

	if (!s || !s[0] || s[1])
		return MC_ERR_INVALID;
	p = strchr(names, upper(s[0]));
	if (!p || !*p)
		return MC_ERR_INVALID;
	*out = (enum mc_qr_ecc)(p - names);
	return MC_OK;
}

const char *mc_qr_ecc_name(enum mc_qr_ecc ecc)
{
	switch (ecc) {
	case MC_QR_ECC_L:
		return "L";
	case MC_QR_ECC_M:
		return "M";
	case MC_QR_ECC_Q:
		return "Q";
	case MC_QR_ECC_H:
		return "H";
	}
	return "?";
}
