/* The wards a page is about: the list of every ward (loaded once a request, for those who
 * see them all), the ward a page shows, and the ward a new record goes to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"
#include "private.h"

static enum mc_err ward_push(void *ctx, const struct mc_ward *w)
{
	struct wards *ws = ctx;
	struct ward_item *v;

	if (ws->n == ws->cap) {
		size_t cap = ws->cap ? 2 * ws->cap : 8;

		if (!(v = realloc(ws->v, cap * sizeof(*v))))
			return MC_ERR_NOMEM;
		ws->v = v;
		ws->cap = cap;
	}
	v = &ws->v[ws->n];
	v->id = w->id;
	snprintf(v->slug, sizeof(v->slug), "%s", w->slug ? w->slug : "");
	if (!(v->name = strdup(w->name ? w->name : "")))
		return MC_ERR_NOMEM;
	ws->n++;
	return MC_OK;
}

void wards_free(struct wards *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		free(ws->v[i].name);
	free(ws->v);
	free(ws->opts);
	memset(ws, 0, sizeof(*ws));
}

enum mc_err wards_load(struct office *c)
{
	struct wards *ws = &c->wards;
	enum mc_err err;

	if (ws->opts)
		return MC_OK;
	if ((err = mc_store_ward_each(c->wr, ward_push, ws)) != MC_OK)
		return err;
	if (!(ws->opts = calloc(ws->n + 1, sizeof(*ws->opts))))
		return MC_ERR_NOMEM;
	for (size_t i = 0; i < ws->n; i++) {
		ws->opts[i].value = ws->v[i].slug;
		ws->opts[i].label = ws->v[i].name;
	}
	return MC_OK;
}

const struct ward_item *wards_find(struct office *c, int64_t id, const char *slug)
{
	for (size_t i = 0; i < c->wards.n; i++)
		if ((slug && !strcmp(c->wards.v[i].slug, slug)) ||
		    (!slug && c->wards.v[i].id == id))
			return &c->wards.v[i];
	return NULL;
}

/* The ward a page is about: staff always their own; supervisors and admins pick one with
 * ?ward=SLUG, the first ward by default. 0 when there is no ward at all. */
enum mc_err wards_current(struct office *c, const char *slug, int64_t *id)
{
	const struct ward_item *w;
	enum mc_err err;

	*id = 0;
	if (!mc_session_all_wards(&c->u)) {
		*id = c->u.ward_id;
		return MC_OK;
	}
	if ((err = wards_load(c)) != MC_OK)
		return err;
	w = slug ? wards_find(c, 0, slug) : NULL;
	if (!w && c->wards.n)
		w = &c->wards.v[0];
	*id = w ? w->id : 0;
	return MC_OK;
}

enum mc_err wards_name_cb(void *ctx, const struct mc_ward *w)
{
	struct mc_tobj *o = ctx;
	enum mc_err err;

	if ((err = mc_tobj_str(o, "ward_name", w->name)) != MC_OK)
		return err;
	return mc_tobj_str(o, "ward_slug", w->slug);
}

/* Every loaded ward as an item of the page's list key, the one with id selected marked. */
static enum mc_err push_wards(struct office *c, const char *key, int64_t selected)
{
	struct mc_tobj *o;
	enum mc_err err;

	for (size_t i = 0; i < c->wards.n; i++) {
		if (!(o = mc_tobj_push(c->root, key)))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_str(o, "slug", c->wards.v[i].slug)) != MC_OK ||
		    (err = mc_tobj_str(o, "name", c->wards.v[i].name)) != MC_OK ||
		    (err = mc_tobj_bool(o, "selected", c->wards.v[i].id == selected)) != MC_OK)
			return err;
	}
	return MC_OK;
}

/* The ward picker of the dashboard, for those who see every ward (wards_current has loaded
 * the list). */
enum mc_err wards_picker(struct office *c, int64_t ward_id)
{
	if (!mc_session_all_wards(&c->u))
		return MC_OK;
	return push_wards(c, "picker", ward_id);
}

/* The ward picker for a new record made by an admin (staff always write to their ward). */
enum mc_err wards_choice(struct office *c, int64_t selected)
{
	enum mc_err err;

	if (strcmp(c->u.role, MC_ROLE_ADMIN))
		return MC_OK;
	if ((err = wards_load(c)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "ward_choice", true)) != MC_OK)
		return err;
	return push_wards(c, "wards", selected);
}

/* The ward a new record goes to: staff their own; an admin the posted ward, else their
 * own ward, else the first ward (as on the dashboard). *ok false for an unknown ward. */
enum mc_err wards_posted(struct office *c, int64_t *id, bool *ok)
{
	const char *slug = mc_form_get(c->rq->form, "ward");
	const struct ward_item *w;
	enum mc_err err;

	*ok = true;
	*id = c->u.ward_id;
	if (strcmp(c->u.role, MC_ROLE_ADMIN))
		return MC_OK;
	if ((err = wards_load(c)) != MC_OK)
		return err;
	if (!slug || !*slug) {
		if (!c->u.ward_id && c->wards.n)
			*id = c->wards.v[0].id;
		*ok = *id != 0;
		return MC_OK;
	}
	w = wards_find(c, 0, slug);
	*ok = w != NULL;
	*id = w ? w->id : 0;
	return MC_OK;
}
