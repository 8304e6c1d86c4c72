/* The QR codes of records: the code block of a record's page, and retiring a code
 * (/staff/codes/TOKEN/retire), with a replacement or without; a ward's keychain code goes to
 * keychain.c, for admins only. */
#include <stdio.h>
#include <string.h>

#include "motcham/base/token.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/public/pages.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"
#include "private.h"

/* Adds the code of a record to the page: token, public URL, and whether it may be retired. */
static enum mc_err code_cb(void *ctx, const struct mc_code *code)
{
	struct office *c = ctx;
	struct mc_tobj *o = mc_tobj_obj(c->root, "code");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "token", code->token)) != MC_OK)
		return err;
	return mc_tobj_strf(o, "url", "%s/q/%s", mc_pages_base_url(c->st->pages), code->token);
}

enum mc_err codes_add(struct office *c, const char *kind, int64_t id)
{
	enum mc_err err = mc_store_code_for_target(c->wr, kind, id, code_cb, c);

	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

struct code_hit {
	bool found;
	char kind[16];
	int64_t target, ward_id;
};

static enum mc_err code_hit_cb(void *ctx, const struct mc_code *code)
{
	struct code_hit *h = ctx;

	h->found = true;
	snprintf(h->kind, sizeof(h->kind), "%s", code->target_kind ? code->target_kind : "");
	h->target = code->target_id;
	h->ward_id = code->ward_id;
	return MC_OK;
}

static void record_url(const struct code_hit *h, char out[128])
{
	if (!strcmp(h->kind, MC_KIND_PERMIT))
		snprintf(out, 128, "/staff/permits/%lld", (long long)h->target);
	else if (!strcmp(h->kind, MC_KIND_PROCEDURE))
		snprintf(out, 128, "/staff/procedures/%lld", (long long)h->target);
	else if (!strcmp(h->kind, MC_KIND_ANNOUNCEMENT))
		snprintf(out, 128, "/staff/announcements/%lld", (long long)h->target);
	else
		snprintf(out, 128, "%s", "/staff");
}

static enum mc_err lookup_code(struct office *c, const char *typed, char token[MC_TOKEN_LEN + 1],
			       struct code_hit *h)
{
	enum mc_err err = mc_token_normalize(typed, strlen(typed), token);

	if (err != MC_OK)
		return MC_ERR_NOTFOUND;
	err = mc_store_code_get(c->wr, token, code_hit_cb, h);
	return err == MC_OK && !h->found ? MC_ERR_NOTFOUND : err;
}

static enum mc_err code_retire(struct office *c)
{
	const char *typed = mc_form_get(c->rq->form, "replacement");
	char token[MC_TOKEN_LEN + 1], repl[MC_TOKEN_LEN + 1], back[128];
	struct code_hit h = {.found = false}, rh = {.found = false};
	bool has_repl = typed && typed[strspn(typed, " \t")];
	enum mc_err err;

	if (strlen(c->call->arg) > MC_TOKEN_INPUT_MAX ||
	    (err = lookup_code(c, c->call->arg, token, &h)) == MC_ERR_NOTFOUND)
		return page_not_found(c);
	if (err != MC_OK)
		return err;
	if (!strcmp(h.kind, MC_KIND_WARD))
		return mc_session_can_read(&c->u, h.target) ? keychain_retire(c, token, h.target)
							    : page_forbidden(c);
	if (!mc_session_can_write(&c->u, h.ward_id))
		return page_forbidden(c);
	record_url(&h, back);
	if (has_repl) {
		err = strlen(typed) > MC_TOKEN_INPUT_MAX ? MC_ERR_NOTFOUND
							 : lookup_code(c, typed, repl, &rh);
		if (err == MC_ERR_NOTFOUND)
			return page_refuse(
			    c, "Không tìm thấy mã thay thế. Kiểm tra lại mã đã nhập.", back);
		if (err != MC_OK)
			return err;
		if (!mc_session_can_write(&c->u, rh.ward_id))
			return page_refuse(c, "Mã thay thế thuộc phường khác.", back);
	}
	err = mc_store_code_revoke(c->wr, token, has_repl ? repl : NULL);
	if (err == MC_ERR_GONE)
		return page_refuse(c, "Mã này đã ngừng sử dụng từ trước.", back);
	if (err == MC_ERR_INVALID || err == MC_ERR_NOTFOUND)
		return page_refuse(c, "Mã thay thế phải là một mã khác đang được sử dụng.", back);
	return err == MC_OK ? page_redirect(c, "%s", back) : err;
}

enum mc_err mc_office_code_retire(struct mc_call *call)
{
	return code_retire(call->scope);
}

/* Only a ward's keychain code comes back: any other retired code stays retired. */
static enum mc_err code_restore(struct office *c)
{
	char token[MC_TOKEN_LEN + 1];
	struct code_hit h = {.found = false};
	enum mc_err err;

	if (strlen(c->call->arg) > MC_TOKEN_INPUT_MAX ||
	    (err = lookup_code(c, c->call->arg, token, &h)) == MC_ERR_NOTFOUND)
		return page_not_found(c);
	if (err != MC_OK)
		return err;
	if (strcmp(h.kind, MC_KIND_WARD) || !mc_session_can_read(&c->u, h.target))
		return page_forbidden(c);
	return keychain_restore(c, token, h.target);
}

enum mc_err mc_office_code_restore(struct mc_call *call)
{
	return code_restore(call->scope);
}
