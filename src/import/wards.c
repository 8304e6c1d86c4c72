/* Ward rows: one ward a row, keyed by its slug. A ward belongs to no other ward, so these
 * rows have no ward column. */

#include "private.h"

#include <stdbool.h>
#include <stdint.h>

#include "motcham/store/store.h"

enum { W_SLUG, W_NAME, W_ADDRESS, W_PHONE, W_HOURS, W_INTRO, W_SAMPLE, W_N };
static const struct col ward_cols[W_N] = {
    [W_SLUG] = {"slug", true, LINE, SHORT_MAX},
    [W_NAME] = {"name", true, LINE, SHORT_MAX},
    [W_ADDRESS] = {"address", false, LINE, SHORT_MAX},
    [W_PHONE] = {"phone", false, LINE, SHORT_MAX},
    /* office hours often take a line per group of weekdays, yet stay short */
    [W_HOURS] = {"hours", false, TEXT, SHORT_MAX},
    [W_INTRO] = {"intro", false, TEXT, TEXT_MAX},
    [W_SAMPLE] = {"sample", false, LINE, SHORT_MAX},
};

struct found {
	bool found;
	int64_t merged_into;
};

static enum mc_err ward_found(void *ctx, const struct mc_ward *w)
{
	struct found *f = ctx;

	f->found = true;
	f->merged_into = w->merged_into;
	return MC_OK;
}

static enum mc_err take_ward(struct imp *im)
{
	struct mc_ward w = {0};
	struct found f = {false, 0};
	int64_t id;
	enum mc_err err;

	if ((err = cell_slug(im, W_SLUG)) != MC_OK ||
	    (err = cell_yes_no(im, W_SAMPLE, &w.sample)) != MC_OK)
		return err;
	/* A merge is recorded by the office, not in the file: keep it. */
	err = mc_store_ward_by_slug(im->s, im->v[W_SLUG], ward_found, &f);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	w.slug = im->v[W_SLUG];
	w.name = im->v[W_NAME];
	w.address = im->v[W_ADDRESS];
	w.phone = im->v[W_PHONE];
	w.hours = im->v[W_HOURS];
	w.intro = im->v[W_INTRO];
	w.merged_into = f.merged_into;
	if ((err = import_db(im, mc_store_ward_upsert(im->s, &w, &id))) != MC_OK)
		return err;
	im->last_ward = id;
	return import_settle(im, MC_KIND_WARD, id, !f.found, "the same slug");
}

const struct kind ward_kind = {"ward", ward_cols, W_N, -1, take_ward};
