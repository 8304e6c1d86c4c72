/* Signing in and out (/staff/login, /staff/logout). */
#include <string.h>

#include "motcham/base/auth.h"
#include "motcham/base/utf8.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/render/template.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"
#include "motcham/web/response.h"
#include "private.h"

#define MSG_LOGIN_BAD "Tên đăng nhập hoặc mật khẩu không đúng."
#define MSG_LOGIN_LOCKED "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau."

static enum mc_err login_page(struct office *c, int status, const char *error, const char *name,
			      const char *csrf)
{
	char fresh[MC_AUTH_TOKEN_LEN + 1];
	enum mc_err err;

	/* Double submit: with no session yet, the form's token must match a cookie that only
	 * our own page can have set. */
	if (!csrf) {
		mc_auth_token(fresh);
		mc_session_login_cookie(fresh, c->rq->https, c->r->cookie);
		csrf = fresh;
	}
	if ((err = page_start(c, "Đăng nhập")) != MC_OK ||
	    (err = mc_tobj_str(c->root, "login_csrf", csrf)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "login_error", error)) != MC_OK ||
	    (err = mc_tobj_str(c->root, "login_name", name)) != MC_OK)
		return err;
	return page_show(c, "staff_login", status);
}

static enum mc_err login(struct office *c)
{
	const char *cookie = c->rq->lookup(c->rq, MC_REQ_COOKIE, MC_SESSION_LOGIN_COOKIE);
	const char *csrf = mc_form_get(c->rq->form, "csrf");
	const char *name = mc_form_get(c->rq->form, "name");
	const char *pw = mc_form_get(c->rq->form, "password");
	struct mc_session_release rel = office_release(c);
	struct mc_login l;
	enum mc_err err;

	if (!mc_auth_hex64(cookie) || !csrf || !mc_auth_equal(cookie, csrf))
		return login_page(c, 403, "Trang đăng nhập đã hết hạn. Vui lòng đăng nhập lại.",
				  NULL, NULL);
	if ((err = mc_session_login(c->wr, name, pw, c->rq->client_key, c->now, &rel, &l)) != MC_OK)
		return err;
	c->r->delay_ms = l.delay_ms;
	c->r->signin_locked = l.account_locked;
	if (name && (strlen(name) > 64 || !mc_utf8_valid(name, strlen(name))))
		name = NULL;
	if (l.res == MC_LOGIN_LOCKED)
		return login_page(c, 429, MSG_LOGIN_LOCKED, name, cookie);
	if (l.res == MC_LOGIN_BAD)
		return login_page(c, 401, MSG_LOGIN_BAD, name, cookie);
	mc_session_cookie(l.token, c->rq->https, c->r->cookie);
	return page_redirect(c, "%s", "/staff");
}

static enum mc_err logout(struct office *c)
{
	enum mc_err err = mc_session_logout(c->wr, &c->u, c->now);

	if (err != MC_OK)
		return err;
	mc_session_cookie(NULL, c->rq->https, c->r->cookie);
	return page_redirect(c, "%s", "/staff/login");
}

enum mc_err mc_office_login_page(struct mc_call *call)
{
	return login_page(call->scope, 200, NULL, NULL, NULL);
}

enum mc_err mc_office_login(struct mc_call *call)
{
	return login(call->scope);
}

enum mc_err mc_office_logout(struct mc_call *call)
{
	return logout(call->scope);
}
