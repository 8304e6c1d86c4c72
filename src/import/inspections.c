/* Inspection rows: one visit to a permitted site a row, keyed by permit, date and
 * inspector; the permit must exist already. */

#include "private.h"

#include <stdbool.h>
#include <stdint.h>

#include "motcham/store/store.h"

enum { I_PERMIT, I_DATE, I_INSPECTOR, I_RESULT, I_NOTE, I_N };
static const struct col inspection_cols[I_N] = {
    [I_PERMIT] = {"permit_number", true, LINE, SHORT_MAX},
    [I_DATE] = {"on_date", true, LINE, SHORT_MAX},
    [I_INSPECTOR] = {"inspector", true, LINE, SHORT_MAX},
    [I_RESULT] = {"result", true, LINE, SHORT_MAX},
    [I_NOTE] = {"note", false, TEXT, TEXT_MAX},
};

static enum mc_err take_inspection(struct imp *im)
{
	struct mc_inspection in = {0};
	const char *number = im->v[I_PERMIT];
	int64_t id;
	bool created;
	enum mc_err err;

	if ((err = cell_date(im, I_DATE)) != MC_OK)
		return err;
	err = mc_store_permit_id(im->s, number, &in.permit_id);
	if (err == MC_ERR_NOTFOUND)
		return import_reject(im, "column permit_number: there is no permit \"%.*s\"",
				     import_shown(number), number);
	if (err != MC_OK)
		return err;
	in.on_date = im->v[I_DATE];
	in.inspector = im->v[I_INSPECTOR];
	in.result = im->v[I_RESULT];
	in.note = im->v[I_NOTE];
	if ((err = import_db(im, mc_store_inspection_upsert(im->s, &in, &id, &created))) != MC_OK)
		return err;
	return import_settle(im, NULL, id, created, "the same permit, on_date and inspector");
}

const struct kind inspection_kind = {"inspection", inspection_cols, I_N, -1, take_inspection};
