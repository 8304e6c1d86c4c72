/* The all-or-nothing driver of a CSV import: one file's state from start to end, its
 * messages, the step from the header to each row, and what every kind of row shares on its
 * way into the store (its ward, the store's refusals, one row per record, new codes). */

#include "private.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/store/store.h"

#define ROWS_MAX 1000000L
#define MESSAGES_MAX 100
#define SHOW_MAX 60

static void vreport(struct imp *im, long line, const char *fmt, va_list ap)
{
	if (!im->errs || ++im->messages > MESSAGES_MAX)
		return;
	if (line > 0)
		fprintf(im->errs, "%s:%ld: ", im->path, line);
	else
		fprintf(im->errs, "%s: ", im->path);
	vfprintf(im->errs, fmt, ap);
	fputc('\n', im->errs);
}

void import_report(struct imp *im, long line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(im, line, fmt, ap);
	va_end(ap);
}

enum mc_err import_reject(struct imp *im, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(im, im->row_line, fmt, ap);
	va_end(ap);
	return MC_ERR_INVALID;
}

int import_shown(const char *s)
{
	size_t n = strlen(s);

	if (n <= SHOW_MAX)
		return (int)n;
	n = SHOW_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

/* The store refuses some rows by itself (a constraint): the row's fault, not a failure. */
enum mc_err import_db(struct imp *im, enum mc_err err)
{
	if (err == MC_ERR_INVALID || err == MC_ERR_EXISTS)
		return import_reject(im, "the database refused the row: %s",
				     mc_store_errmsg(im->s));
	return err;
}

static size_t slot(const struct seen *t, int64_t id)
{
	size_t mask = t->cap - 1;
	size_t i = (size_t)((uint64_t)id * 0x9E3779B97F4A7C15u) & mask;

	while (t->id[i] != 0 && t->id[i] != id)
		i = (i + 1) & mask;
	return i;
}

static enum mc_err seen_grow(struct seen *t)
{
	struct seen g = {0};
	size_t i, j;

	g.cap = t->cap ? t->cap * 2 : 256;
	g.id = calloc(g.cap, sizeof *g.id);
	g.line = calloc(g.cap, sizeof *g.line);
	if (!g.id || !g.line) {
		free(g.id);
		free(g.line);
		return MC_ERR_NOMEM;
	}
	for (i = 0; i < t->cap; i++) {
		if (!t->id[i])
			continue;
		j = slot(&g, t->id[i]);
		g.id[j] = t->id[i];
		g.line[j] = t->line[i];
	}
	g.n = t->n;
	free(t->id);
	free(t->line);
	*t = g;
	return MC_OK;
}

/* Remembers that the row at line wrote record id; *first gets the earlier line, or 0. */
static enum mc_err seen_add(struct seen *t, int64_t id, long line, long *first)
{
	enum mc_err err;
	size_t i;

	*first = 0;
	if (id <= 0)
		return MC_ERR_INTERNAL;
	if ((t->n + 1) * 2 > t->cap && (err = seen_grow(t)) != MC_OK)
		return err;
	i = slot(t, id);
	if (t->id[i]) {
		*first = t->line[i];
		return MC_OK;
	}
	t->id[i] = id;
	t->line[i] = line;
	t->n++;
	return MC_OK;
}

enum mc_err import_settle(struct imp *im, const char *kind, int64_t id, bool created,
			  const char *what)
{
	char token[MC_TOKEN_LEN + 1];
	bool made;
	long first;
	enum mc_err err;

	if ((err = seen_add(&im->seen, id, im->row_line, &first)) != MC_OK)
		return err;
	if (first)
		return import_reject(im, "%s as line %ld: one row per record", what, first);
	if (created && kind && (err = mc_store_code_ensure(im->s, kind, id, token, &made)) != MC_OK)
		return err;
	if (created)
		im->st.created++;
	else
		im->st.updated++;
	return MC_OK;
}

static enum mc_err only_ward(void *ctx, const struct mc_ward *w)
{
	*(int64_t *)ctx = w->id;
	return MC_OK;
}

enum mc_err import_default_ward(struct imp *im)
{
	enum mc_err err;
	int n = 0;

	if (im->ward_slug) {
		err = mc_store_ward_id(im->s, im->ward_slug, &im->default_ward);
		if (err != MC_ERR_NOTFOUND)
			return err;
		im->default_ward = 0;
		return mc_buf_printf(&im->default_why, "there is no ward with slug \"%.*s\"",
				     import_shown(im->ward_slug), im->ward_slug);
	}
	if ((err = mc_store_ward_count(im->s, &n)) != MC_OK)
		return err;
	if (n == 1)
		return mc_store_ward_each(im->s, only_ward, &im->default_ward);
	return mc_buf_puts(
	    &im->default_why,
	    n == 0 ? "there is no ward yet: import a ward file first"
		   : "there are several wards: name one in a ward column or by its slug");
}

enum mc_err import_row_ward(struct imp *im, int64_t *id)
{
	const char *slug = im->v[im->kind->ward_col];
	enum mc_err err;

	if (!slug) {
		if (!im->default_ward)
			return import_reject(im, "column ward is empty and %s",
					     im->default_why.data);
		*id = im->default_ward;
		return MC_OK;
	}
	if (im->ward_cache.len && strcmp(im->ward_cache.data, slug) == 0) {
		*id = im->ward_cache_id;
		return MC_OK;
	}
	err = mc_store_ward_id(im->s, slug, id);
	if (err == MC_ERR_NOTFOUND)
		return import_reject(im, "column ward: there is no ward with slug \"%.*s\"",
				     import_shown(slug), slug);
	if (err != MC_OK)
		return err;
	mc_buf_reset(&im->ward_cache);
	im->ward_cache_id = *id;
	return mc_buf_puts(&im->ward_cache, slug);
}

enum mc_err import_row(struct imp *im)
{
	enum mc_err err;

	if (!im->kind)
		return csv_header(im);
	if (csv_row_blank(im))
		return MC_OK;
	if (++im->st.rows > ROWS_MAX) {
		import_report(im, im->row_line, "more than %ld rows: split the file", ROWS_MAX);
		return MC_ERR_TOOBIG;
	}
	err = cell_clean_row(im);
	if (err == MC_OK)
		err = im->kind->take(im);
	if (err == MC_ERR_INVALID) {
		im->st.rejected++;
		err = MC_OK;
	}
	return err;
}

static void imp_finish(struct imp *im)
{
	size_t i;

	if (!im)
		return;
	mc_buf_finish(&im->hdr);
	mc_buf_finish(&im->cells);
	for (i = 0; i < COLS_MAX; i++)
		mc_buf_finish(&im->val[i]);
	mc_buf_finish(&im->tmp);
	mc_buf_finish(&im->default_why);
	mc_buf_finish(&im->ward_cache);
	free(im->seen.id);
	free(im->seen.line);
	free(im);
}

static struct imp *imp_new(struct mc_store *s, const char *path, const char *ward_slug, FILE *errs)
{
	struct imp *im = calloc(1, sizeof *im);
	size_t i;

	if (!im)
		return NULL;
	im->s = s;
	im->path = path;
	im->ward_slug = ward_slug;
	im->errs = errs;
	im->line = 1;
	mc_buf_init(&im->hdr);
	mc_buf_init(&im->cells);
	for (i = 0; i < COLS_MAX; i++)
		mc_buf_init(&im->val[i]);
	mc_buf_init(&im->tmp);
	mc_buf_init(&im->default_why);
	mc_buf_init(&im->ward_cache);
	return im;
}

enum mc_err mc_csvimport_in_tx(struct mc_store *s, const char *path, const char *ward_slug,
			       struct mc_import_stats *stats, FILE *errs, int64_t *last_ward)
{
	return mc_csvimport_shifted(s, path, ward_slug, 0, stats, errs, last_ward);
}

enum mc_err mc_csvimport_shifted(struct mc_store *s, const char *path, const char *ward_slug,
				 long shift_days, struct mc_import_stats *stats, FILE *errs,
				 int64_t *last_ward)
{
	struct imp *im = NULL;
	enum mc_err err;

	if (!s || !path)
		return MC_ERR_INVALID;
	if (!(im = imp_new(s, path, ward_slug, errs))) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	im->shift_days = shift_days;
	if ((err = csv_read(im)) != MC_OK)
		goto fail;
	if (!im->kind) {
		import_report(im, 0, "the file is empty: it needs a header row");
		err = MC_ERR_INVALID;
	} else if (im->st.rejected) {
		err = MC_ERR_INVALID;
	}
fail:
	if (im && errs && im->messages > MESSAGES_MAX)
		fprintf(errs, "%s: %ld more problems not shown\n", path,
			im->messages - MESSAGES_MAX);
	if (stats)
		*stats = im ? im->st : (struct mc_import_stats){0};
	if (last_ward)
		*last_ward = im ? im->last_ward : 0;
	imp_finish(im);
	return err;
}

enum mc_err mc_csvimport_file(struct mc_store *s, const char *path, const char *ward_slug,
			      struct mc_import_stats *stats, FILE *errs)
{
	struct mc_import_stats st = {0};
	enum mc_err err;

	if (!s || !path)
		return MC_ERR_INVALID;
	if ((err = mc_store_begin(s)) != MC_OK) {
		if (errs)
			fprintf(errs, "%s: cannot start a transaction: %s\n", path,
				mc_store_errmsg(s));
		goto fail;
	}
	err = mc_csvimport_in_tx(s, path, ward_slug, &st, errs, NULL);
	if (err == MC_OK && (err = mc_store_commit(s)) != MC_OK && errs)
		fprintf(errs, "%s: cannot commit: %s\n", path, mc_store_errmsg(s));
fail:
	if (err != MC_OK) {
		mc_store_rollback(s);
		st.created = st.updated = 0;
	}
	if (stats)
		*stats = st;
	return err;
}
