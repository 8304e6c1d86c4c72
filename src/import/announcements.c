/* Announcement rows: one notice a row, keyed by ward and title. */

#include "private.h"

#include <stdbool.h>
#include <stdint.h>

#include "motcham/store/store.h"

enum { A_TITLE, A_BODY, A_PUBLISHED, A_EXPIRES, A_WARD, A_N };
static const struct col announcement_cols[A_N] = {
    [A_TITLE] = {"title", true, LINE, SHORT_MAX},
    [A_BODY] = {"body", true, TEXT, TEXT_MAX},
    [A_PUBLISHED] = {"published_on", true, LINE, SHORT_MAX},
    [A_EXPIRES] = {"expires_on", false, LINE, SHORT_MAX},
    [A_WARD] = {"ward", false, LINE, SHORT_MAX},
};

static enum mc_err take_announcement(struct imp *im)
{
	struct mc_announcement a = {0};
	int64_t id;
	bool created;
	enum mc_err err;

	if ((err = cell_date(im, A_PUBLISHED)) || (err = cell_date(im, A_EXPIRES)) ||
	    (err = cell_not_before(im, A_EXPIRES, A_PUBLISHED)) ||
	    (err = import_row_ward(im, &a.ward_id)))
		return err;
	a.title = im->v[A_TITLE];
	a.body = im->v[A_BODY];
	a.published_on = im->v[A_PUBLISHED];
	a.expires_on = im->v[A_EXPIRES];
	if ((err = import_db(im, mc_store_announcement_upsert(im->s, &a, &id, &created))) != MC_OK)
		return err;
	return import_settle(im, MC_KIND_ANNOUNCEMENT, id, created, "the same ward and title");
}

const struct kind announcement_kind = {"announcement", announcement_cols, A_N, A_WARD,
				       take_announcement};
