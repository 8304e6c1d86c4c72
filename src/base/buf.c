#include "motcham/base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mc_buf_init(struct mc_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}

void mc_buf_finish(struct mc_buf *b)
{
	if (!b)
		return;
	free(b->data);
	mc_buf_init(b);
}

void mc_buf_reset(struct mc_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

enum mc_err mc_buf_reserve(struct mc_buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > (size_t)-1 / 2 - b->len)
		return MC_ERR_NOMEM;
	need = b->len + n + 1;
	if (need <= b->cap)
		return MC_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return MC_ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0'; /* the promise in buf.h holds from the first allocation */
	return MC_OK;
}

enum mc_err mc_buf_add(struct mc_buf *b, const void *p, size_t n)
{
	enum mc_err err;

	if ((err = mc_buf_reserve(b, n)) != MC_OK)
		return err;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return MC_OK;
}

enum mc_err mc_buf_puts(struct mc_buf *b, const char *s)
{
	return mc_buf_add(b, s, strlen(s));
}

enum mc_err mc_buf_putc(struct mc_buf *b, char c)
{
	return mc_buf_add(b, &c, 1);
}

enum mc_err mc_buf_vprintf(struct mc_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	enum mc_err err;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return MC_ERR_INTERNAL;
	if ((err = mc_buf_reserve(b, (size_t)n)) != MC_OK)
		return err;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return MC_OK;
}

enum mc_err mc_buf_printf(struct mc_buf *b, const char *fmt, ...)
{
	va_list ap;
	enum mc_err err;

	va_start(ap, fmt);
	err = mc_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

char *mc_buf_steal(struct mc_buf *b)
{
	char *p;

	if (!b->data && mc_buf_reserve(b, 0) != MC_OK)
		return NULL;
	p = b->data;
	mc_buf_init(b);
	return p;
}
