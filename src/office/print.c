/* The office's print routes (/staff/print/...): the role check, then src/print renders. */
#include <stdlib.h>

#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/print/print.h"
#include "motcham/web/call.h"
#include "motcham/web/request.h"
#include "private.h"

static enum mc_err print_keychain(struct office *c, bool svg)
{
	int64_t ward_id;
	enum mc_err err = wards_current(c, c->rq->lookup(c->rq, MC_REQ_ARG, "ward"), &ward_id);

	if (err != MC_OK)
		return err;
	if (!ward_id)
		return page_not_found(c);
	if (!mc_session_can_read(&c->u, ward_id))
		return page_forbidden(c);
	return svg ? mc_print_keychain_svg(c->st->pages, c->wr, ward_id, c->r)
		   : mc_print_keychain_sheet(c->st->pages, c->wr, ward_id, c->r);
}

enum mc_err mc_office_print_keychain(struct mc_call *call)
{
	return print_keychain(call->scope, false);
}

enum mc_err mc_office_print_keychain_svg(struct mc_call *call)
{
	return print_keychain(call->scope, true);
}

enum mc_err mc_office_print_permit(struct mc_call *call)
{
	struct office *c = call->scope;
	struct permit_rec prec = {.today = c->today};
	bool shown;
	enum mc_err err = permit_load(c, call->id, false, &prec, &shown);

	free(prec.reason);
	if (err != MC_OK || shown)
		return err;
	return mc_print_permit_notice(c->st->pages, c->wr, call->id, c->r);
}

enum mc_err mc_office_print_procedure(struct mc_call *call)
{
	struct office *c = call->scope;
	struct rec r;
	bool shown;
	enum mc_err err;

	record_init(&r, NULL);
	err = record_load(c, &record_procedure, call->id, false, &r, &shown);
	record_finish(&r);
	if (err != MC_OK || shown)
		return err;
	return mc_print_procedure_poster(c->st->pages, c->wr, call->id, c->r);
}
