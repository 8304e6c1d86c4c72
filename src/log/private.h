#ifndef MOTCHAM_LOG_PRIVATE_H
#define MOTCHAM_LOG_PRIVATE_H

/* The log module's internals, shared between the files of src/log and listed by file. The
 * contract for the rest of motcham is include/motcham/log/. */

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

/* ---- note.c: signed notes ---- */

/* Decodes exactly the whole of b64[0 .. n) (standard alphabet, padded) into out (at most max
 * bytes, *got written); false for anything else, a stray byte or bad padding included. */
bool b64_decode(const char *b64, size_t n, unsigned char *out, size_t max, size_t *got);

/* ---- fetch.c: HTTP for the witness (libcurl) ---- */

/* GETs url into body (at most max bytes) and *status. MC_ERR_IO when it cannot be fetched,
 * MC_ERR_TOOBIG past max; why says so. */
enum mc_err fetch_get(const char *url, size_t max, struct mc_buf *body, long *status,
		      struct mc_buf *why);
/* POSTs one urlencoded form field to url, as fetch_get for the answer. */
enum mc_err fetch_post_form(const char *url, const char *field, const char *value, size_t max,
			    struct mc_buf *body, long *status, struct mc_buf *why);

#endif
