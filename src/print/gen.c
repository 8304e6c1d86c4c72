/* `motcham gen`: the options checked, the codes selected, a folder made, the images made
 * (gen_encode.c) and the manifest written. */

#include "motcham/print/gen.h"

#include "private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "motcham/base/buf.h"
#include "motcham/store/store.h"
#include "motcham/base/token.h"
#include "motcham/render/csv.h"

#define DEFAULT_SCALE 8
#define DEFAULT_MARGIN 4
#define DEFAULT_DPI 300
#define OUT_DIR_MAX 3900 /* leaves room for "/TOKEN.png.tmp" under PATH_MAX */

static void say(FILE *errs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(FILE *errs, const char *fmt, ...)
{
	va_list ap;

	if (!errs)
		return;
	fputs("motcham gen: ", errs);
	va_start(ap, fmt);
	vfprintf(errs, fmt, ap);
	va_end(ap);
	fputc('\n', errs);
}

/* User input echoed in messages: no control characters reach the terminal. */
static void printable(const char *in, char *out, size_t cap)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < cap; i++)
		out[i] = ((unsigned char)in[i] < 0x20 || in[i] == 0x7f) ? '?' : in[i];
	out[i] = '\0';
}

static bool valid_kind(const char *k)
{
	return strcmp(k, MC_KIND_WARD) == 0 || strcmp(k, MC_KIND_ANNOUNCEMENT) == 0 ||
	       strcmp(k, MC_KIND_PROCEDURE) == 0 || strcmp(k, MC_KIND_PERMIT) == 0;
}

static enum mc_err check_selection(const struct mc_gen_opts *o, FILE *errs)
{
	int n = (o->all ? 1 : 0) + (o->token ? 1 : 0) + (o->kind ? 1 : 0);

	if (n != 1) {
		say(errs, "give exactly one of --all, --token or --kind");
		return MC_ERR_INVALID;
	}
	if (o->kind && !valid_kind(o->kind)) {
		say(errs, "unknown kind (expected ward, announcement, procedure or permit)");
		return MC_ERR_INVALID;
	}
	if (o->token && strnlen(o->token, MC_TOKEN_INPUT_MAX + 1) > MC_TOKEN_INPUT_MAX) {
		say(errs, "--token is too long to be a code");
		return MC_ERR_INVALID;
	}
	return MC_OK;
}

static enum mc_err check_output(const struct mc_gen_opts *o, FILE *errs)
{
	struct mc_buf probe;
	enum mc_err err;

	if (!o->out_dir || !*o->out_dir || strnlen(o->out_dir, OUT_DIR_MAX + 1) > OUT_DIR_MAX) {
		say(errs, "an output directory (--out) of at most %d bytes is required",
		    OUT_DIR_MAX);
		return MC_ERR_INVALID;
	}
	if (!o->base_url) {
		say(errs, "a base URL (--base-url) is required");
		return MC_ERR_INVALID;
	}
	mc_buf_init(&probe);
	err = mc_qr_url(o->base_url, "0", &probe);
	mc_buf_finish(&probe);
	if (err == MC_ERR_INVALID)
		say(errs, "base URL must be http:// or https://, at most 200 characters of "
			  "0-9 A-Z $ %% * + - . / : (no query, fragment or spaces)");
	return err;
}

static enum mc_err check_size(const struct mc_gen_opts *o, FILE *errs)
{
	if (o->scale != 0 && (o->scale < 1 || o->scale > 100)) {
		say(errs, "--scale must be 1..100 pixels per module");
		return MC_ERR_INVALID;
	}
	if (o->margin > 40) {
		say(errs, "--margin must be 0..40 modules");
		return MC_ERR_INVALID;
	}
	if (o->dpi != 0 && (o->dpi < 72 || o->dpi > 2400)) {
		say(errs, "--dpi must be 72..2400");
		return MC_ERR_INVALID;
	}
	if (o->size_mm != 0 && !(o->size_mm >= 5 && o->size_mm <= 1000)) {
		say(errs, "--size-mm must be 5..1000");
		return MC_ERR_INVALID;
	}
	if (o->scale != 0 && o->size_mm != 0) {
		say(errs, "give either --scale or --size-mm, not both");
		return MC_ERR_INVALID;
	}
	if (o->scale != 0 && o->format == MC_GEN_SVG) {
		say(errs, "--scale applies to PNG only; use --size-mm for SVG");
		return MC_ERR_INVALID;
	}
	return MC_OK;
}

static enum mc_err check_opts(const struct mc_gen_opts *o, struct gen_job *j, FILE *errs)
{
	enum mc_err err;

	if ((err = check_selection(o, errs)) != MC_OK || (err = check_output(o, errs)) != MC_OK ||
	    (err = check_size(o, errs)) != MC_OK)
		return err;
	if (o->format != MC_GEN_PNG && o->format != MC_GEN_SVG)
		return MC_ERR_INVALID;
	if (o->ecc_set && (unsigned)o->ecc > MC_QR_ECC_H)
		return MC_ERR_INVALID;
	j->format = o->format;
	j->out_dir = o->out_dir;
	j->ecc = o->ecc_set ? o->ecc : MC_QR_ECC_Q;
	j->scale = o->scale ? o->scale : (o->size_mm != 0 ? 0 : DEFAULT_SCALE);
	j->size_mm = o->size_mm;
	j->dpi = o->dpi ? o->dpi : DEFAULT_DPI;
	j->margin = o->margin < 0 ? DEFAULT_MARGIN : o->margin;
	return MC_OK;
}

/* Tokens become file names: only the canonical alphabet may get that far. */
static bool safe_token(const char *t)
{
	size_t i;

	for (i = 0; t[i]; i++)
		if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'A' && t[i] <= 'Z')))
			return false;
	return i == MC_TOKEN_LEN;
}

static enum mc_err add_item(void *ctx, const struct mc_code *c)
{
	struct gen_list *l = ctx;
	struct gen_item *it, *v;
	struct mc_buf url;
	enum mc_err err;
	size_t cap;

	if (!c->token || !safe_token(c->token) || !c->target_kind) {
		say(l->errs, "the database holds a malformed code; run migrate or check the data");
		return MC_ERR_INTERNAL;
	}
	if (l->n == l->cap) {
		cap = l->cap ? l->cap * 2 : 64;
		if (!(v = realloc(l->v, cap * sizeof(*v))))
			return MC_ERR_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	it = &l->v[l->n];
	memset(it, 0, sizeof(*it));
	memcpy(it->token, c->token, MC_TOKEN_LEN + 1);
	mc_buf_init(&url);
	if ((err = mc_qr_url(l->base_url, c->token, &url)) != MC_OK)
		goto fail;
	err = MC_ERR_NOMEM;
	if (!(it->url = mc_buf_steal(&url)) || !(it->kind = strdup(c->target_kind)) ||
	    !(it->title = strdup(c->title ? c->title : "")))
		goto fail;
	l->n++;
	return MC_OK;
fail:
	free(it->url);
	free(it->kind);
	mc_buf_finish(&url);
	return err;
}

/* --token: a revoked code must not be printed again, so say what replaced it. */
static enum mc_err add_active(void *ctx, const struct mc_code *c)
{
	struct gen_list *l = ctx;

	if (c->revoked_at) {
		if (c->replaced_by)
			say(l->errs,
			    "code %s was revoked on %.10s; print its replacement %s instead",
			    c->token, c->revoked_at, c->replaced_by);
		else
			say(l->errs, "code %s was revoked on %.10s and has no replacement",
			    c->token, c->revoked_at);
		return MC_ERR_GONE;
	}
	return add_item(ctx, c);
}

static enum mc_err select_token(struct mc_store *s, const char *typed, struct gen_list *l)
{
	char tok[MC_TOKEN_LEN + 1], shown[MC_TOKEN_INPUT_MAX + 1];
	enum mc_err err;

	printable(typed, shown, sizeof(shown));
	err = mc_token_normalize(typed, strlen(typed), tok);
	if (err == MC_ERR_CHECK) {
		say(l->errs,
		    "'%s' is not a valid code: its check character does not match "
		    "(mistyped or misread?)",
		    shown);
		return err;
	}
	if (err != MC_OK) {
		say(l->errs, "'%s' is not a code (expected %d characters 0-9 A-Z)", shown,
		    MC_TOKEN_LEN);
		return err;
	}
	err = mc_store_code_get(s, tok, add_active, l);
	if (err == MC_ERR_NOTFOUND)
		say(l->errs, "no code %s in the database", tok);
	return err;
}

static enum mc_err collect(struct mc_store *s, const struct mc_gen_opts *o, struct gen_list *l)
{
	enum mc_err err;

	if (o->token)
		return select_token(s, o->token, l);
	err = mc_store_code_each(s, o->all ? NULL : o->kind, add_item, l);
	if (err == MC_OK && l->n == 0) {
		say(l->errs, "no active codes%s%s", o->all ? "" : " of kind ",
		    o->all ? "" : o->kind);
		err = MC_ERR_NOTFOUND;
	}
	if (err != MC_OK && err != MC_ERR_NOTFOUND && err != MC_ERR_INTERNAL)
		say(l->errs, "reading codes: %s (%s)", mc_strerror(err), mc_store_errmsg(s));
	return err;
}

static void list_free(struct gen_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].kind);
		free(l->v[i].title);
		free(l->v[i].url);
		mc_buf_finish(&l->v[i].img);
	}
	free(l->v);
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->done);
}

static enum mc_err write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return MC_ERR_IO;
		p += w;
		n -= (size_t)w;
	}
	return MC_OK;
}

/* Writes dir/name in place. Images are written so, one file-system operation each, since at
 * ten thousand codes a temporary name and a rename doubled the directory work; the manifest,
 * written last and atomically, lists only images that were written whole. On failure the
 * file is removed and MC_ERR_IO returned with errno set. */
enum mc_err gen_write_file(const char *dir, const char *name, const struct mc_buf *b)
{
	char path[PATH_MAX];
	enum mc_err err;
	int fd, saved;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return MC_ERR_IO;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return MC_ERR_IO;
	err = write_all(fd, b->data ? b->data : "", b->len);
	saved = errno;
	if (close(fd) != 0 && err == MC_OK) {
		saved = errno;
		err = MC_ERR_IO;
	}
	if (err != MC_OK) {
		unlink(path);
		errno = saved;
	}
	return err;
}

/* Readers (a print shop script, the web server) never see a half-written manifest: it is
 * written whole beside its final name, then renamed. On failure returns MC_ERR_IO with
 * errno set. */
static enum mc_err write_atomic(const char *dir, const char *name, const struct mc_buf *b)
{
	char path[PATH_MAX], tmp_name[NAME_MAX + 1], tmp[PATH_MAX];
	int saved;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path) ||
	    snprintf(tmp_name, sizeof(tmp_name), "%s.tmp", name) >= (int)sizeof(tmp_name) ||
	    snprintf(tmp, sizeof(tmp), "%s/%s", dir, tmp_name) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return MC_ERR_IO;
	}
	if (gen_write_file(dir, tmp_name, b) != MC_OK)
		return MC_ERR_IO;
	if (rename(tmp, path) != 0) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return MC_ERR_IO;
	}
	return MC_OK;
}

static enum mc_err csv_row(struct mc_buf *b, const struct gen_item *it, const struct gen_job *j)
{
	char version[16], file[MC_TOKEN_LEN + 8];
	enum mc_err err;

	snprintf(version, sizeof(version), "%d", it->version);
	snprintf(file, sizeof(file), "%s.%s", it->token, j->format == MC_GEN_SVG ? "svg" : "png");
	if ((err = mc_csv_cell(b, it->token, ',')) != MC_OK ||
	    (err = mc_csv_cell(b, it->kind, ',')) != MC_OK ||
	    (err = mc_csv_cell(b, it->title, ',')) != MC_OK ||
	    (err = mc_csv_cell(b, it->url, ',')) != MC_OK ||
	    (err = mc_csv_cell(b, version, ',')) != MC_OK ||
	    (err = mc_csv_cell(b, mc_qr_ecc_name(j->ecc), ',')) != MC_OK)
		return err;
	return mc_csv_cell(b, file, 0);
}

/* Lists the images that were written, in selection order. */
static enum mc_err write_manifest(const struct gen_job *j, const struct gen_list *l, FILE *errs)
{
	struct mc_buf b;
	enum mc_err err;
	size_t i;

	mc_buf_init(&b);
	err = mc_buf_puts(&b, "token,kind,title,url,version,ecc,file\r\n");
	for (i = 0; err == MC_OK && i < l->n; i++)
		if (l->v[i].err == MC_OK)
			err = csv_row(&b, &l->v[i], j);
	if (err == MC_OK && (err = write_atomic(j->out_dir, "manifest.csv", &b)) != MC_OK)
		say(errs, "writing %s/manifest.csv: %s", j->out_dir, strerror(errno));
	mc_buf_finish(&b);
	return err;
}

/* mkdir -p: the print shop's folder may be several levels deep and not there yet. */
static enum mc_err make_dir(const char *dir, FILE *errs)
{
	char path[OUT_DIR_MAX + 1], *p, c;
	struct stat st;
	int e = 0;

	snprintf(path, sizeof(path), "%s", dir);
	for (p = path + 1; e == 0; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (p[-1] != '/' && mkdir(path, 0755) != 0 && errno != EEXIST)
			e = errno;
		*p = c;
		if (c == '\0')
			break;
	}
	if (e == 0 && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return MC_OK;
	if (e == 0)
		e = errno == ENOENT || errno == 0 ? ENOTDIR : errno;
	say(errs, "cannot create directory %s: %s", dir, strerror(e));
	return MC_ERR_IO;
}

/* Prints item problems in list order; returns the first item error, MC_OK if none. */
static enum mc_err report(const struct gen_list *l, size_t *written)
{
	enum mc_err first = MC_OK;
	size_t i;

	*written = 0;
	for (i = 0; i < l->n; i++) {
		if (l->v[i].err == MC_OK) {
			(*written)++;
			continue;
		}
		say(l->errs, "%s: %s", l->v[i].token, l->v[i].msg);
		if (first == MC_OK)
			first = l->v[i].err;
	}
	return first;
}

enum mc_err mc_gen_run(struct mc_store *s, const struct mc_gen_opts *o, FILE *errs)
{
	struct gen_list l = {.base_url = o->base_url,
			     .errs = errs,
			     .waiting = SIZE_MAX,
			     .lock = PTHREAD_MUTEX_INITIALIZER,
			     .done = PTHREAD_COND_INITIALIZER};
	struct gen_job j;
	enum mc_err err, item_err;
	size_t written;

	if ((err = check_opts(o, &j, errs)) != MC_OK)
		goto fail;
	if ((err = collect(s, o, &l)) != MC_OK)
		goto fail;
	if ((err = make_dir(o->out_dir, errs)) != MC_OK)
		goto fail;
	gen_run_workers(&j, &l);
	item_err = report(&l, &written);
	if (written > 0 && (err = write_manifest(&j, &l, errs)) != MC_OK)
		goto fail;
	err = item_err;
fail:
	list_free(&l);
	return err;
}
