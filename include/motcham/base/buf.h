#ifndef MOTCHAM_BUF_H
#define MOTCHAM_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "motcham/base/err.h"

/* A growable byte buffer. Caller-owned: mc_buf_init, then mc_buf_finish.
 * data is always NUL-terminated (when non-NULL) so it can be used as a C string;
 * len does not count the terminator. */
struct mc_buf {
	char *data;
	size_t len;
	size_t cap;
};

/* Sets b empty; allocates nothing. */
void mc_buf_init(struct mc_buf *b);
/* Frees the storage; accepts NULL; b is empty afterwards. */
void mc_buf_finish(struct mc_buf *b);
/* Drops the contents, keeps the storage. */
void mc_buf_reset(struct mc_buf *b);
/* Makes room for n more bytes. MC_ERR_NOMEM on failure (b unchanged). */
enum mc_err mc_buf_reserve(struct mc_buf *b, size_t n);
/* Appends n bytes. MC_ERR_NOMEM on failure (b unchanged). */
enum mc_err mc_buf_add(struct mc_buf *b, const void *p, size_t n);
/* Appends a NUL-terminated string. */
enum mc_err mc_buf_puts(struct mc_buf *b, const char *s);
/* Appends one byte. */
enum mc_err mc_buf_putc(struct mc_buf *b, char c);
/* Appends printf-formatted text. */
enum mc_err mc_buf_printf(struct mc_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
enum mc_err mc_buf_vprintf(struct mc_buf *b, const char *fmt, va_list ap);
/* Hands the storage to the caller (free() it) and leaves b empty. Never NULL unless
 * allocation fails: an empty buffer yields "". */
char *mc_buf_steal(struct mc_buf *b);

#endif
