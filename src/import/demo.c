#include "motcham/import/demo.h"

#include "motcham/import/csvimport.h"

#include <stdbool.h>
#include <stdint.h>

#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/store/store.h"

/* The day data/ is written around: every date in it moves by the days from this to today, so
 * the sample always shows permits not started, under way, ending soon and expired. */
#define ANCHOR "2026-11-25"

/* The ward first, since the other files belong to it; permits before their inspections. */
static const char *const files[] = {
    "ward.csv", "procedures.csv", "announcements.csv", "permits.csv", "inspections.csv",
};

struct demo_ward {
	struct mc_buf slug;
	bool sample;
};

static enum mc_err copy_ward(void *ctx, const struct mc_ward *w)
{
	struct demo_ward *d = ctx;

	d->sample = w->sample;
	mc_buf_reset(&d->slug);
	return mc_buf_puts(&d->slug, w->slug);
}

/* Imports ward.csv, which must hold the one sample ward, and writes its slug to d. */
static enum mc_err load_ward(struct mc_store *s, const char *path, long shift, struct demo_ward *d,
			     FILE *errs)
{
	struct mc_import_stats st;
	char token[MC_TOKEN_LEN + 1];
	int64_t id = 0;
	bool made;
	enum mc_err err;

	if ((err = mc_csvimport_shifted(s, path, NULL, shift, &st, errs, &id)) != MC_OK)
		return err;
	if (st.rows != 1 || !id) {
		fprintf(errs, "%s: the demo needs exactly one ward, found %ld\n", path, st.rows);
		return MC_ERR_INVALID;
	}
	if ((err = mc_store_ward_by_id(s, id, copy_ward, d)) != MC_OK)
		return err;
	if (!d->sample) {
		fprintf(errs, "%s: the demo ward must be marked sample (sample=1)\n", path);
		return MC_ERR_INVALID;
	}
	/* The ward's own code is the one printed on the keychains. */
	return mc_store_code_ensure(s, MC_KIND_WARD, id, token, &made);
}

static long days_since_anchor(void)
{
	char today[MC_DATE_LEN + 1];
	long a, t;

	mc_date_today(today);
	return mc_date_days(ANCHOR, &a) && mc_date_days(today, &t) ? t - a : 0;
}

static enum mc_err load_files(struct mc_store *s, const char *data_dir, FILE *errs)
{
	struct demo_ward d = {{NULL, 0, 0}, false};
	struct mc_buf path;
	long shift = days_since_anchor();
	size_t i;
	enum mc_err err = MC_OK;

	mc_buf_init(&d.slug);
	mc_buf_init(&path);
	for (i = 0; i < sizeof files / sizeof files[0] && err == MC_OK; i++) {
		mc_buf_reset(&path);
		if ((err = mc_buf_printf(&path, "%s/%s", data_dir, files[i])) != MC_OK)
			break;
		if (i == 0)
			err = load_ward(s, path.data, shift, &d, errs);
		else
			err = mc_csvimport_shifted(s, path.data, d.slug.data, shift, NULL, errs,
						   NULL);
	}
	mc_buf_finish(&path);
	mc_buf_finish(&d.slug);
	return err;
}

enum mc_err mc_demo_load(struct mc_store *s, const char *data_dir, FILE *errs)
{
	enum mc_err err;

	if (!errs)
		errs = stderr;
	if (!s || !data_dir)
		return MC_ERR_INVALID;
	/* One transaction for all files: the demo is there whole or not at all. */
	if ((err = mc_store_begin(s)) != MC_OK)
		goto fail;
	if ((err = load_files(s, data_dir, errs)) != MC_OK)
		goto fail;
	err = mc_store_commit(s);
fail:
	/* The rows' own problems went to errs already; the caller names the failure. */
	if (err != MC_OK)
		mc_store_rollback(s);
	return err;
}
