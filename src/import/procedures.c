/* Procedure guide rows (thủ tục hành chính): one procedure a row, its documents and forms
 * one a line, keyed by ward and mã TTHC. */

#include "private.h"

#include <stdbool.h>
#include <stdint.h>

#include "motcham/store/store.h"

enum {
	P_TTHC,
	P_TITLE,
	P_FIELD,
	P_LEVEL,
	P_STEPS,
	P_WAYS,
	P_PLACE,
	P_DOCS,
	P_FORMS,
	P_WHO,
	P_CONDITIONS,
	P_DURATION,
	P_FEES,
	P_OFFICE,
	P_RESULT,
	P_LEGAL,
	P_URL,
	P_WARD,
	P_N
};
static const struct col procedure_cols[P_N] = {
    [P_TTHC] = {"tthc_code", true, LINE, SHORT_MAX},
    [P_TITLE] = {"title", true, LINE, SHORT_MAX},
    [P_FIELD] = {"field", true, LINE, SHORT_MAX},
    [P_LEVEL] = {"level", false, LINE, SHORT_MAX},
    [P_STEPS] = {"steps", true, LIST, TEXT_MAX},
    [P_WAYS] = {"ways", false, LINE, SHORT_MAX},
    [P_PLACE] = {"place", false, LINE, SHORT_MAX},
    [P_DOCS] = {"documents", false, LIST, TEXT_MAX},
    [P_FORMS] = {"forms", false, LIST, TEXT_MAX},
    [P_WHO] = {"who", false, LINE, SHORT_MAX},
    [P_CONDITIONS] = {"conditions", false, TEXT, TEXT_MAX},
    [P_DURATION] = {"duration", true, LINE, SHORT_MAX},
    [P_FEES] = {"fees", false, LINE, SHORT_MAX},
    [P_OFFICE] = {"office", true, LINE, SHORT_MAX},
    [P_RESULT] = {"result", false, LINE, SHORT_MAX},
    [P_LEGAL] = {"legal_basis", false, LIST, TEXT_MAX},
    [P_URL] = {"online_url", false, LINE, SHORT_MAX},
    [P_WARD] = {"ward", false, LINE, SHORT_MAX},
};

static enum mc_err take_procedure(struct imp *im)
{
	struct mc_procedure p = {0};
	char **v = im->v;
	size_t ndocs = 0;
	int64_t id;
	bool created;
	enum mc_err err;

	if ((err = cell_tthc(im, P_TTHC)) != MC_OK || (err = cell_url(im, P_URL)) != MC_OK ||
	    (err = import_row_ward(im, &p.ward_id)) != MC_OK ||
	    (err = cell_docs(im, P_DOCS, MC_DOC_PAPER, &ndocs)) != MC_OK ||
	    (err = cell_docs(im, P_FORMS, MC_DOC_FORM, &ndocs)) != MC_OK)
		return err;
	p.tthc_code = v[P_TTHC];
	p.title = v[P_TITLE];
	p.field = v[P_FIELD];
	p.level = v[P_LEVEL];
	p.steps = v[P_STEPS];
	p.ways = v[P_WAYS];
	p.place = v[P_PLACE];
	p.who = v[P_WHO];
	p.conditions = v[P_CONDITIONS];
	p.duration = v[P_DURATION];
	p.fees = v[P_FEES];
	p.office = v[P_OFFICE];
	p.result = v[P_RESULT];
	p.legal_basis = v[P_LEGAL];
	p.online_url = v[P_URL];
	err = import_db(im, mc_store_procedure_upsert(im->s, &p, im->docs, ndocs, &id, &created));
	if (err != MC_OK)
		return err;
	return import_settle(im, MC_KIND_PROCEDURE, id, created, "the same ward and tthc_code");
}

const struct kind procedure_kind = {"procedure", procedure_cols, P_N, P_WARD, take_procedure};
