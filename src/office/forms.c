/* What the staff forms share. Pages are plain HTML forms (no JavaScript); a form with bad
 * input comes back with status 422, the typed values and a message next to each bad field. */
#include <string.h>

#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/fields.h"
#include "private.h"

enum mc_err forms_fields(struct office *c, const struct mc_fields *f, const char *obj)
{
	struct mc_tobj *o = obj ? mc_tobj_obj(c->root, obj) : c->root;

	if (!o)
		return MC_ERR_NOMEM;
	return mc_fields_tobj(f, o, "fields");
}

/* A new-record form (also shown again with 422 when a create fails). */
enum mc_err forms_new(struct office *c, const char *heading, const char *action,
		      const struct mc_fields *f, int64_t ward_id, const char *ward_error,
		      int status)
{
	enum mc_err err;

	if ((err = page_start(c, heading)) != MC_OK ||
	    (err = wards_choice(c, ward_id ? ward_id : c->u.ward_id)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "action", action)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "ward_error", ward_error)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "has_errors", f->nerr || ward_error)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "can_write", true)) != MC_OK ||
	    (err = forms_fields(c, f, NULL)) != MC_OK)
		return err;
	return page_show(c, "staff_form", status);
}

enum mc_err forms_check_dates(struct mc_fields *f, const char *a, const char *b, const char *msg)
{
	if (mc_fields_ok(f, a) && mc_fields_ok(f, b) &&
	    strcmp(mc_fields_get(f, a), mc_fields_get(f, b)) > 0)
		return mc_fields_fail(f, b, "%s", msg);
	return MC_OK;
}

/* The ward a create writes to (wards_posted). *ward_error says what to fix when no known
 * ward was chosen; a user who may not write there gets the 403 page, with *shown true. */
enum mc_err forms_ward(struct office *c, int64_t *ward_id, const char **ward_error, bool *shown)
{
	bool ok;
	enum mc_err err;

	*ward_error = NULL;
	*shown = false;
	if ((err = wards_posted(c, ward_id, &ok)) != MC_OK)
		return err;
	if (!ok)
		*ward_error = "Vui lòng chọn phường.";
	else if (!mc_session_can_write(&c->u, *ward_id)) {
		*shown = true;
		return page_forbidden(c);
	}
	return MC_OK;
}

/* Runs a write in one transaction: a half-made record never stays behind. */
enum mc_err forms_commit(struct office *c, enum mc_err err)
{
	if (err == MC_OK)
		err = mc_store_commit(c->wr);
	if (err != MC_OK)
		mc_store_rollback(c->wr);
	return err;
}
