/* GET /q/TOKEN and /q?t=TOKEN: what a printed code points to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "private.h"

static enum mc_err code_cb(void *ctx, const struct mc_code *c)
{
	struct code_info *ci = ctx;

	snprintf(ci->token, sizeof(ci->token), "%s", c->token);
	snprintf(ci->kind, sizeof(ci->kind), "%s", c->target_kind ? c->target_kind : "");
	snprintf(ci->replaced_by, sizeof(ci->replaced_by), "%s",
		 c->replaced_by ? c->replaced_by : "");
	ci->id = c->id;
	ci->target_id = c->target_id;
	ci->ward_id = c->ward_id;
	ci->revoked = c->revoked_at != NULL;
	return MC_OK;
}

/* MC_OK for an active code, MC_ERR_GONE for a revoked one (ci filled in both cases),
 * MC_ERR_INVALID / MC_ERR_CHECK for text that is not a token or is mistyped,
 * MC_ERR_NOTFOUND for an unknown one; anything else is a real failure. */
enum mc_err code_resolve(struct mc_store *s, const char *token, struct code_info *ci)
{
	char canon[MC_TOKEN_LEN + 1];
	size_t len = token ? strnlen(token, MC_TOKEN_INPUT_MAX + 1) : 0;
	enum mc_err err;

	memset(ci, 0, sizeof(*ci));
	if (len == 0 || len > MC_TOKEN_INPUT_MAX)
		return MC_ERR_INVALID;
	if ((err = mc_token_normalize(token, len, canon)) != MC_OK)
		return err;
	if ((err = mc_store_code_get(s, canon, code_cb, ci)) != MC_OK)
		return err;
	return ci->revoked ? MC_ERR_GONE : MC_OK;
}

static enum mc_err target_page(struct page *pg, const struct code_info *ci, struct mc_response *r)
{
	enum mc_err err;

	if ((err = mc_store_ward_by_id(pg->s, ci->ward_id, page_ward_cb, pg)) != MC_OK)
		return err;
	if (strcmp(ci->kind, MC_KIND_WARD) == 0)
		return ward_render(pg, r);
	if (strcmp(ci->kind, MC_KIND_PROCEDURE) == 0)
		return procedure_render(pg, ci->target_id, r);
	if (strcmp(ci->kind, MC_KIND_ANNOUNCEMENT) == 0)
		return announcement_render(pg, ci->target_id, r);
	if (strcmp(ci->kind, MC_KIND_PERMIT) == 0)
		return permit_render(pg, ci->target_id, r);
	return MC_ERR_NOTFOUND;
}

static enum mc_err code_answer(struct mc_pages *p, struct mc_store *s, const char *token,
			       struct mc_response *r)
{
	struct code_info ci;
	struct page pg;
	enum mc_err err = code_resolve(s, token, &ci);

	switch (err) {
	case MC_OK:
		if ((err = page_init(&pg, p, s)) == MC_OK) {
			pg.via = &ci;
			err = target_page(&pg, &ci, r);
		}
		if (err == MC_OK)
			r->code_id = ci.id;
		return page_finish(&pg, err, r);
	case MC_ERR_INVALID:
	case MC_ERR_NOTFOUND:
		r->scan_miss = 1;
		return page_error(p, 404, MSG_CODE_UNKNOWN,
				  "Hãy kiểm tra lại mã in trên móc khoá hoặc thông báo.", NULL, r);
	case MC_ERR_CHECK:
		r->scan_miss = 2;
		return page_error(p, 404, MSG_CODE_MISTYPED,
				  "Các chữ dễ nhầm: số 0 và chữ O, số 1 và chữ I, L.", NULL, r);
	case MC_ERR_GONE:
		return page_error(p, 410, MSG_CODE_GONE,
				  ci.replaced_by[0]
				      ? "Mã này đã được thay bằng mã mới."
				      : "Vui lòng liên hệ bộ phận một cửa của phường.",
				  ci.replaced_by[0] ? ci.replaced_by : NULL, r);
	default:
		return err;
	}
}

enum mc_err mc_pages_code(struct mc_call *c)
{
	return code_answer(c->site->pages, c->s, c->arg, c->r);
}

enum mc_err mc_pages_code_query(struct mc_call *c)
{
	const char *t = c->rq->lookup(c->rq, MC_REQ_ARG, "t");

	return t ? code_answer(c->site->pages, c->s, t, c->r)
		 : mc_pages_error(c->site->pages, 404, c->r);
}
