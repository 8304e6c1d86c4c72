/* The images of `motcham gen`: encoders on every core, each code drawn as PNG or SVG, and
 * the files written in list order by the calling thread. */

#include "motcham/print/gen.h"

#include "private.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "motcham/base/buf.h"
#include "motcham/render/png.h"
#include "motcham/render/qr.h"
#include "motcham/render/svg.h"

#define MAX_THREADS 16

struct worker {
	const struct gen_job *job;
	struct gen_list *l;
	size_t first;  /* takes items first, first + stride, ... */
	size_t stride; /* the number of workers */
};

static void fail_item(struct gen_item *it, enum mc_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_item(struct gen_item *it, enum mc_err err, const char *fmt, ...)
{
	va_list ap;

	it->err = err;
	va_start(ap, fmt);
	vsnprintf(it->msg, sizeof(it->msg), fmt, ap);
	va_end(ap);
}

/* Pixels per module that keep the printed side within size_mm; 0 when even 1 is too big. */
static int scale_for(const struct gen_job *j, const struct mc_qr *qr, struct gen_item *it)
{
	int mods = qr->width + 2 * j->margin;
	double px = j->size_mm / 25.4 * j->dpi, need = (double)mods * 25.4 / j->dpi * 10;
	long tenths = (long)need;
	int scale = (int)(px / mods);

	if (scale >= 1)
		return scale;
	if (tenths < need)
		tenths++;
	fail_item(it, MC_ERR_INVALID,
		  "--size-mm %g is too small for version %d (%d modules with the quiet zone) at "
		  "%d dpi: need at least %.1f mm",
		  j->size_mm, qr->version, mods, j->dpi, tenths / 10.0);
	return 0;
}

static enum mc_err render(const struct gen_job *j, const struct mc_qr *qr, struct gen_item *it,
			  struct mc_buf *img)
{
	int scale = j->scale;
	enum mc_err err;

	if (j->format == MC_GEN_SVG)
		return mc_svg_write(qr, j->margin, j->size_mm, img);
	if (scale == 0 && (scale = scale_for(j, qr, it)) == 0)
		return it->err;
	err = mc_png_write(qr, scale, j->margin, j->dpi, img);
	if (err == MC_ERR_INVALID)
		fail_item(it, err, "a %d px/module image of version %d is over 20000 pixels a side",
			  scale, qr->version);
	return err;
}

/* Encodes an item into it->img (or records why not). */
static void encode_one(const struct gen_job *j, struct gen_item *it)
{
	struct mc_qr qr;
	enum mc_err err;

	if ((err = mc_qr_encode(it->url, j->ecc, &qr)) != MC_OK) {
		fail_item(it, err, "encoding %s: %s", it->url, mc_strerror(err));
		return;
	}
	it->version = qr.version;
	err = render(j, &qr, it, &it->img);
	mc_qr_finish(&qr);
	if (err != MC_OK && it->err == MC_OK)
		fail_item(it, err, "drawing the image: %s", mc_strerror(err));
}

static void write_one(const struct gen_job *j, struct gen_item *it)
{
	char name[MC_TOKEN_LEN + 8], eb[128];

	snprintf(name, sizeof(name), "%s.%s", it->token, j->format == MC_GEN_SVG ? "svg" : "png");
	if (it->err == MC_OK && gen_write_file(j->out_dir, name, &it->img) != MC_OK)
		fail_item(it, MC_ERR_IO, "writing %s/%s: %s", j->out_dir, name,
			  strerror_r(errno, eb, sizeof(eb)));
	mc_buf_finish(&it->img);
}

static void *work(void *arg)
{
	struct worker *w = arg;

	for (size_t i = w->first; i < w->l->n; i += w->stride) {
		encode_one(w->job, &w->l->v[i]);
		pthread_mutex_lock(&w->l->lock);
		w->l->v[i].ready = true;
		/* Waking the writer for items it is not waiting on cost ~5% of a run. */
		if (w->l->waiting == i)
			pthread_cond_signal(&w->l->done);
		pthread_mutex_unlock(&w->l->lock);
	}
	return NULL;
}

/* Encoders on every core, and this thread writes the files in list order as they come:
 * creating files is the file system's work, and two threads creating files in one
 * directory only wait on each other. An encoder that cannot start has its items encoded
 * here instead. */
void gen_run_workers(const struct gen_job *j, struct gen_list *l)
{
	struct worker w[MAX_THREADS];
	pthread_t t[MAX_THREADS];
	bool started[MAX_THREADS] = {false};
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i, n = cores < 1 ? 1 : cores > MAX_THREADS ? MAX_THREADS : (size_t)cores;

	for (i = 0; i < n; i++) {
		w[i] = (struct worker){j, l, i, n};
		if (i < l->n)
			started[i] = pthread_create(&t[i], NULL, work, &w[i]) == 0;
	}
	for (i = 0; i < l->n; i++) {
		struct gen_item *it = &l->v[i];

		if (!started[i % n]) {
			encode_one(j, it);
		} else {
			pthread_mutex_lock(&l->lock);
			l->waiting = i;
			while (!it->ready)
				pthread_cond_wait(&l->done, &l->lock);
			l->waiting = SIZE_MAX;
			pthread_mutex_unlock(&l->lock);
		}
		write_one(j, it);
	}
	for (i = 0; i < n; i++)
		if (started[i])
			pthread_join(t[i], NULL);
}
