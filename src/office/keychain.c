/* The ward's keychain code (/staff/keychain): the one code printed on thousands of keychains.
 * Only an admin may retire it, and only after a confirmation page that names the ward and
 * the replacement and asks for the ward's slug typed back; a retirement can be undone for
 * RESTORE_DAYS days. Ordinary staff see the codes and nothing to press: one of them could
 * otherwise turn every keychain of the ward into a dead end with one post. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "motcham/base/token.h"
#include "motcham/domain/check.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/public/pages.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"
#include "private.h"

#define RESTORE_DAYS 7
#define UTC_TEXT 21 /* "YYYY-MM-DDTHH:MM:SSZ" and its NUL, as the store writes times */

struct ward_names {
	char slug[SLUG_MAX + 1];
	char name[256];
};

static enum mc_err copy_names(void *ctx, const struct mc_ward *w)
{
	struct ward_names *n = ctx;

	snprintf(n->slug, sizeof(n->slug), "%s", w->slug ? w->slug : "");
	snprintf(n->name, sizeof(n->name), "%s", w->name ? w->name : "");
	return MC_OK;
}

/* The earliest retirement that may still be undone at now. */
static void restore_since(long long now, char out[UTC_TEXT])
{
	time_t t = (time_t)(now - RESTORE_DAYS * 86400LL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, UTC_TEXT, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

struct listing {
	struct office *c;
	bool admin;
	char since[UTC_TEXT];
};

static enum mc_err code_item(void *ctx, const struct mc_code *code)
{
	struct listing *l = ctx;
	struct mc_tobj *o = mc_tobj_push(l->c->root, "codes");
	bool active = !code->revoked_at;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "token", code->token)) != MC_OK ||
	    (err = mc_tobj_strf(o, "url", "%s/q/%s", mc_pages_base_url(l->c->pages),
				code->token)) != MC_OK ||
	    (err = mc_tobj_bool(o, "active", active)) != MC_OK ||
	    (err = mc_tobj_str(o, "revoked_at", code->revoked_at)) != MC_OK ||
	    (err = mc_tobj_str(o, "replaced_by", code->replaced_by)) != MC_OK ||
	    (err = mc_tobj_bool(o, "can_retire", l->admin && active)) != MC_OK)
		return err;
	return mc_tobj_bool(o, "can_restore",
			    l->admin && !active && strcmp(code->revoked_at, l->since) >= 0);
}

static enum mc_err keychain_page(struct office *c)
{
	struct listing l = {.c = c, .admin = mc_session_is_admin(&c->u)};
	int64_t ward_id;
	enum mc_err err = wards_current(c, page_arg(c, "ward"), &ward_id);

	if (err != MC_OK)
		return err;
	if (!ward_id)
		return page_not_found(c);
	if (!mc_session_can_read(&c->u, ward_id))
		return page_forbidden(c);
	restore_since(c->now, l.since);
	if ((err = page_start(c, "Mã móc khoá")) != MC_OK ||
	    (err = mc_store_ward_by_id(c->wr, ward_id, wards_name_cb, c->root)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "admin", l.admin)) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "restore_days", "%d", RESTORE_DAYS)) != MC_OK ||
	    (err = mc_store_code_history(c->wr, MC_KIND_WARD, ward_id, code_item, &l)) != MC_OK)
		return err;
	return page_show(c, "staff_keychain", 200);
}

enum mc_err mc_office_keychain(struct mc_call *call)
{
	return keychain_page(call->scope);
}

static enum mc_err admins_only(struct office *c)
{
	return page_message(c, 403, "Không được phép",
			    "Chỉ quản trị viên mới được ngừng dùng hoặc dùng lại mã móc khoá của "
			    "phường: mã này được in trên móc khoá phát cho người dân.");
}

/* The page that asks before retiring: the ward, its code, the replacement (a code of the
 * ward in use, or one drawn now and made on confirming), and the slug to type back. */
static enum mc_err confirm_page(struct office *c, int status, const char *token, const char *repl,
				bool fresh, const struct ward_names *w, const char *error)
{
	enum mc_err err;

	if ((err = page_start(c, "Xác nhận ngừng dùng mã móc khoá")) != MC_OK ||
	    (err = mc_tobj_str(c->root, "token", token)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "replacement", repl)) != MC_OK ||
	    (err = mc_tobj_bool(c->root, "fresh", fresh)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "ward_name", w->name)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "ward_slug", w->slug)) != MC_OK ||
	    (err = mc_tobj_strf(c->root, "restore_days", "%d", RESTORE_DAYS)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "confirm_error", error)) != MC_OK)
		return err;
	return page_show(c, "staff_keychain_confirm", status);
}

struct repl_hit {
	bool found, active;
	char kind[16];
	int64_t target;
};

static enum mc_err repl_cb(void *ctx, const struct mc_code *code)
{
	struct repl_hit *h = ctx;

	h->found = true;
	h->active = !code->revoked_at;
	snprintf(h->kind, sizeof(h->kind), "%s", code->target_kind ? code->target_kind : "");
	h->target = code->target_id;
	return MC_OK;
}

/* Checks the replacement posted: a fresh one must be free, any other a code of this ward
 * in use. NULL when it will do, else what to tell the admin. */
static enum mc_err check_replacement(struct office *c, const char *token, const char *repl,
				     bool fresh, int64_t ward_id, const char **why)
{
	struct repl_hit h = {.found = false};
	enum mc_err err = mc_store_code_get(c->wr, repl, repl_cb, &h);

	*why = NULL;
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	if (fresh && h.found)
		*why = "Mã mới trùng với một mã đã có. Vui lòng làm lại từ đầu.";
	else if (!fresh && (!h.found || !h.active || strcmp(h.kind, MC_KIND_WARD) ||
			    h.target != ward_id || !strcmp(repl, token)))
		*why = "Mã thay thế phải là một mã móc khoá khác, đang dùng, của chính phường "
		       "này (để trống để tạo mã mới).";
	return MC_OK;
}

static enum mc_err retire_write(struct office *c, const char *token, const char *repl, bool fresh,
				int64_t ward_id)
{
	enum mc_err err = mc_store_begin(c->wr);

	if (err != MC_OK)
		return err;
	if (fresh)
		err = mc_store_code_create_as(c->wr, MC_KIND_WARD, ward_id, repl);
	if (err == MC_OK)
		err = mc_store_code_revoke(c->wr, token, repl);
	return forms_commit(c, err);
}

enum mc_err keychain_retire(struct office *c, const char *token, int64_t ward_id)
{
	const char *typed = mc_form_get(c->rq->form, "replacement");
	const char *fresh_in = mc_form_get(c->rq->form, "fresh");
	const char *confirm = mc_form_get(c->rq->form, "confirm");
	bool fresh = fresh_in && !strcmp(fresh_in, "1");
	char repl[MC_TOKEN_LEN + 1], back[96], typed_slug[SLUG_MAX + 16];
	struct ward_names w = {"", ""};
	const char *why;
	enum mc_err err;

	if (!mc_session_is_admin(&c->u))
		return admins_only(c);
	if ((err = mc_store_ward_by_id(c->wr, ward_id, copy_names, &w)) != MC_OK)
		return err;
	snprintf(back, sizeof(back), "/staff/keychain?ward=%s", w.slug);
	/* No replacement named: one is drawn and shown, and only the confirmation that carries
	 * it back may make it. */
	if (!typed || !typed[strspn(typed, " \t")]) {
		mc_token_make(repl);
		return confirm_page(c, 200, token, repl, true, &w, NULL);
	}
	if (strlen(typed) > MC_TOKEN_INPUT_MAX ||
	    mc_token_normalize(typed, strlen(typed), repl) != MC_OK)
		return page_refuse(c, "Mã thay thế không đúng dạng. Kiểm tra lại mã đã nhập.",
				   back);
	if ((err = check_replacement(c, token, repl, fresh, ward_id, &why)) != MC_OK)
		return err;
	if (why)
		return page_refuse(c, why, back);
	if (!confirm)
		return confirm_page(c, 200, token, repl, fresh, &w, NULL);
	snprintf(typed_slug, sizeof(typed_slug), "%s", confirm);
	if (strcmp(mc_check_trim(typed_slug), w.slug))
		return confirm_page(c, 422, token, repl, fresh, &w,
				    "Chưa đúng: gõ lại đúng mã định danh của phường để xác nhận.");
	err = retire_write(c, token, repl, fresh, ward_id);
	if (err == MC_ERR_GONE)
		return page_refuse(c, "Mã này đã ngừng sử dụng từ trước.", back);
	if (err == MC_ERR_EXISTS || err == MC_ERR_INVALID)
		return page_refuse(c, "Mã thay thế không dùng được. Vui lòng làm lại từ đầu.",
				   back);
	return err == MC_OK ? page_redirect(c, "%s", back) : err;
}

enum mc_err keychain_restore(struct office *c, const char *token, int64_t ward_id)
{
	struct ward_names w = {"", ""};
	char since[UTC_TEXT], back[96], late[128];
	enum mc_err err;

	if (!mc_session_is_admin(&c->u))
		return admins_only(c);
	if ((err = mc_store_ward_by_id(c->wr, ward_id, copy_names, &w)) != MC_OK)
		return err;
	snprintf(back, sizeof(back), "/staff/keychain?ward=%s", w.slug);
	restore_since(c->now, since);
	err = mc_store_code_restore(c->wr, token, since);
	if (err == MC_ERR_INVALID)
		return page_refuse(c, "Mã này đang được dùng.", back);
	if (err == MC_ERR_GONE) {
		snprintf(late, sizeof(late),
			 "Đã quá %d ngày kể từ khi mã ngừng dùng: không thể dùng lại mã này nữa.",
			 RESTORE_DAYS);
		return page_refuse(c, late, back);
	}
	return err == MC_OK ? page_redirect(c, "%s", back) : err;
}
