/* Changing one's own password (/staff/password): the password in use, the new one twice. The
 * values are taken as typed (never trimmed or normalised, as at sign-in); the check of the
 * old one is a sign-in attempt, throttled as one. */
#include <string.h>

#include "motcham/base/auth.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"
#include "motcham/web/response.h"
#include "private.h"

#define MSG_WRONG "Mật khẩu hiện tại không đúng."
#define MSG_LOCKED "Nhập sai quá nhiều lần, vui lòng thử lại sau."
#define MSG_RULE "Mật khẩu mới phải dài từ 10 đến 256 byte."
#define MSG_SAME "Mật khẩu mới phải khác mật khẩu hiện tại."
#define MSG_AGAIN "Hai lần nhập mật khẩu mới không giống nhau."

enum { PW_OLD, PW_NEW, PW_AGAIN, PW_N };

static const struct {
	const char *name, *label, *autocomplete, *hint;
} pw_fields[PW_N] = {
    [PW_OLD] = {"old", "Mật khẩu hiện tại", "current-password", NULL},
    [PW_NEW] = {"password", "Mật khẩu mới", "new-password", "Từ 10 đến 256 byte."},
    [PW_AGAIN] = {"again", "Nhập lại mật khẩu mới", "new-password", NULL},
};

static enum mc_err field(struct office *c, int i, const char *error, bool focus)
{
	struct mc_tobj *o = mc_tobj_push(c->root, "pw_fields");
	const char *hint = pw_fields[i].hint;
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	if ((err = mc_tobj_str(o, "name", pw_fields[i].name)) != MC_OK ||
	    (err = mc_tobj_str(o, "label", pw_fields[i].label)) != MC_OK ||
	    (err = mc_tobj_str(o, "autocomplete", pw_fields[i].autocomplete)) != MC_OK ||
	    (err = mc_tobj_str(o, "hint", hint)) != MC_OK ||
	    (err = mc_tobj_str(o, "error", error)) != MC_OK ||
	    (err = mc_tobj_bool(o, "required", true)) != MC_OK ||
	    (err = mc_tobj_bool(o, "focus", focus)) != MC_OK)
		return err;
	if (error && hint)
		return mc_tobj_strf(o, "describedby", "e-%s h-%s", pw_fields[i].name,
				    pw_fields[i].name);
	if (error || hint)
		return mc_tobj_strf(o, "describedby", "%s-%s", error ? "e" : "h",
				    pw_fields[i].name);
	return MC_OK;
}

/* The form, with at most one field's message (bad: PW_N for none) or one for the page. */
static enum mc_err form_page(struct office *c, int status, int bad, const char *error,
			     const char *page_error)
{
	enum mc_err err;

	if ((err = page_start(c, "Đổi mật khẩu")) != MC_OK ||
	    (err = mc_tobj_str(c->root, "pw_error", page_error)) != MC_OK)
		return err;
	for (int i = 0; i < PW_N; i++)
		if ((err = field(c, i, i == bad ? error : NULL, i == bad)) != MC_OK)
			return err;
	return page_show(c, "staff_password", status);
}

static const char *raw(struct office *c, int i)
{
	const char *v = mc_form_get(c->rq->form, pw_fields[i].name);

	return v ? v : "";
}

static enum mc_err change(struct office *c)
{
	const char *old = raw(c, PW_OLD), *fresh = raw(c, PW_NEW);
	struct mc_session_release rel = office_release(c);
	enum mc_login_result res;
	enum mc_err err;

	if (mc_auth_check_password(fresh) != MC_OK)
		return form_page(c, 422, PW_NEW, MSG_RULE, NULL);
	if (strcmp(fresh, raw(c, PW_AGAIN)))
		return form_page(c, 422, PW_AGAIN, MSG_AGAIN, NULL);
	if (!strcmp(fresh, old))
		return form_page(c, 422, PW_NEW, MSG_SAME, NULL);
	err = mc_session_change_password(c->wr, &c->u, old, fresh, c->rq->client_key, c->now, &rel,
					 &res, &c->r->delay_ms);
	if (err != MC_OK)
		return err;
	if (res == MC_LOGIN_LOCKED)
		return form_page(c, 429, PW_N, NULL, MSG_LOCKED);
	if (res == MC_LOGIN_BAD)
		return form_page(c, 422, PW_OLD, MSG_WRONG, NULL);
	return page_message(c, 200, "Đã đổi mật khẩu",
			    "Từ nay hãy đăng nhập bằng mật khẩu mới. Các phiên đăng nhập khác "
			    "của bạn đã kết thúc.");
}

enum mc_err mc_office_password_page(struct mc_call *call)
{
	return form_page(call->scope, 200, PW_N, NULL, NULL);
}

enum mc_err mc_office_password(struct mc_call *call)
{
	return change(call->scope);
}
