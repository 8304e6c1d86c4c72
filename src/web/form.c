#include "motcham/web/form.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void mc_form_init(struct mc_form *f)
{
	memset(f, 0, sizeof(*f));
}

void mc_form_spool(struct mc_form *f, const char *dir)
{
	f->spool_dir = dir;
}

void mc_form_finish(struct mc_form *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].filename);
		free(f->v[i].content_type);
		mc_buf_finish(&f->v[i].value);
		if (f->v[i].fd >= 0)
			close(f->v[i].fd);
		if (f->v[i].spool_path)
			unlink(f->v[i].spool_path);
		free(f->v[i].spool_path);
	}
	free(f->v);
	mc_form_init(f);
}

/* A temporary file for an upload in dir: unnamed where the file system can (O_TMPFILE: a
 * crash leaves nothing behind), else a named one that finish removes. */
static enum mc_err spool_open(struct mc_form_field *fld, const char *dir)
{
	char path[4096];
	int fd;

#ifdef O_TMPFILE
	if ((fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0640)) >= 0) {
		fld->fd = fd;
		return MC_OK;
	}
#endif
	if ((size_t)snprintf(path, sizeof(path), "%s/.up-XXXXXX", dir) >= sizeof(path))
		return MC_ERR_IO;
	if ((fd = mkostemp(path, O_CLOEXEC)) < 0)
		return errno == ENOSPC || errno == EDQUOT ? MC_ERR_FULL : MC_ERR_IO;
	if (!(fld->spool_path = strdup(path))) {
		close(fd);
		unlink(path);
		return MC_ERR_NOMEM;
	}
	fld->fd = fd;
	return fchmod(fd, 0640) == 0 ? MC_OK : MC_ERR_IO;
}

static enum mc_err spool_write(struct mc_form_field *fld, const char *data, size_t size)
{
	while (size > 0) {
		ssize_t n = write(fld->fd, data, size);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 && (errno == ENOSPC || errno == EDQUOT) ? MC_ERR_FULL
									     : MC_ERR_IO;
		data += n;
		size -= (size_t)n;
	}
	return MC_OK;
}

static bool good_name(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 0 && n <= MC_FORM_MAX_NAME &&
	       strspn(name,
		      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-[].") == n;
}

static enum mc_err new_field(struct mc_form *f, const char *name, const char *filename,
			     const char *content_type)
{
	struct mc_form_field *fld;

	if (f->n == MC_FORM_MAX_FIELDS)
		return MC_ERR_TOOBIG;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct mc_form_field *v = realloc(f->v, cap * sizeof(*v));

		if (!v)
			return MC_ERR_NOMEM;
		f->v = v;
		f->cap = cap;
	}
	fld = &f->v[f->n];
	memset(fld, 0, sizeof(*fld));
	fld->fd = -1;
	mc_buf_init(&fld->value);
	fld->name = strdup(name);
	fld->filename = filename ? strdup(filename) : NULL;
	fld->content_type = content_type ? strdup(content_type) : NULL;
	f->n++;
	if (!fld->name || (filename && !fld->filename) || (content_type && !fld->content_type))
		return MC_ERR_NOMEM;
	/* An empty value must still read as "" rather than NULL; mc_buf_reserve alone would
	 * leave a fresh allocation unterminated. */
	return mc_buf_add(&fld->value, "", 0);
}

static struct mc_form_field *last_named(struct mc_form *f, const char *name)
{
	for (size_t i = f->n; i-- > 0;)
		if (!strcmp(f->v[i].name, name))
			return &f->v[i];
	return NULL;
}

enum mc_err mc_form_append(struct mc_form *f, const char *name, const char *filename,
			   const char *content_type, const char *data, size_t off, size_t size)
{
	struct mc_form_field *fld;
	enum mc_err err;

	if (!good_name(name))
		return MC_ERR_INVALID;
	if (size > MC_FORM_MAX_TOTAL - f->total)
		return MC_ERR_TOOBIG;
	if (off == 0 && (err = new_field(f, name, filename, content_type)) != MC_OK)
		return err;
	if (!(fld = last_named(f, name)))
		return MC_ERR_INVALID; /* a continuation without a start */
	if ((fld->filename ? fld->size : fld->value.len) + size >
	    (fld->filename ? MC_FORM_MAX_FILE : MC_FORM_MAX_TEXT))
		return MC_ERR_TOOBIG;
	if (fld->filename && f->spool_dir && size > 0) {
		if (fld->fd < 0 && (err = spool_open(fld, f->spool_dir)) != MC_OK)
			return err;
		err = spool_write(fld, data, size);
	} else {
		err = mc_buf_add(&fld->value, data, size);
	}
	if (err != MC_OK)
		return err;
	if (fld->filename)
		fld->size += size;
	f->total += size;
	return MC_OK;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes one urlencoded component into out. */
static enum mc_err decode(const char *s, size_t len, struct mc_buf *out)
{
	enum mc_err err = MC_OK;

	mc_buf_reset(out);
	for (size_t i = 0; err == MC_OK && i < len; i++) {
		if (s[i] == '+') {
			err = mc_buf_putc(out, ' ');
		} else if (s[i] == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return MC_ERR_INVALID;
			err = mc_buf_putc(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			err = mc_buf_putc(out, s[i]);
		}
	}
	/* The caller reads the result as a C string even when it is empty. */
	return err == MC_OK ? mc_buf_add(out, "", 0) : err;
}

enum mc_err mc_form_parse_urlencoded(struct mc_form *f, const char *body, size_t len)
{
	struct mc_buf key, val;
	enum mc_err err = MC_OK;
	size_t i = 0;

	mc_buf_init(&key);
	mc_buf_init(&val);
	while (err == MC_OK && i < len) {
		const char *pair = body + i, *amp = memchr(pair, '&', len - i), *eq;
		size_t plen = amp ? (size_t)(amp - pair) : len - i;

		i += plen + 1;
		if (plen == 0)
			continue;
		eq = memchr(pair, '=', plen);
		err = decode(pair, eq ? (size_t)(eq - pair) : plen, &key);
		if (err == MC_OK)
			err = decode(eq ? eq + 1 : pair + plen,
				     eq ? plen - (size_t)(eq - pair) - 1 : 0, &val);
		if (err == MC_OK && strlen(key.data) != key.len)
			err = MC_ERR_INVALID;
		if (err == MC_OK)
			err = mc_form_append(f, key.data, NULL, NULL, val.data, 0, val.len);
	}
	mc_buf_finish(&key);
	mc_buf_finish(&val);
	return err;
}

const char *mc_form_get(const struct mc_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!f->v[i].filename && !strcmp(f->v[i].name, name))
			return f->v[i].value.data ? f->v[i].value.data : "";
	return NULL;
}

const struct mc_form_field *mc_form_file(const struct mc_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].filename && f->v[i].size && !strcmp(f->v[i].name, name))
			return &f->v[i];
	return NULL;
}
