/* The gates in front of every office page. Every request runs on the one write connection:
 * sign-in state, CSRF and role checks come first, and a refused request returns before
 * anything is written. The supervisors' gate lets supervisors and admins read and nobody
 * write: an admin who wants to change a record does it on the staff pages, where it is
 * audited. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "motcham/base/auth.h"
#include "motcham/base/date.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/public/pages.h"
#include "motcham/render/template.h"
#include "motcham/store/store.h"
#include "motcham/web/call.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"
#include "private.h"

#define SOON_DAYS 7
#define DAY_SECONDS 86400

static void set_days(struct office *c)
{
	time_t now = time(NULL);

	mc_date_of(now, c->today);
	mc_date_of(now + SOON_DAYS * DAY_SECONDS, c->soon);
}

/* The request's state, in call->scope until office_close. NULL when out of memory. */
static struct office *office_open(struct mc_call *call, struct mc_pages *pages)
{
	struct office *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->st = call->site->staff;
	c->pages = pages;
	c->wr = call->s;
	c->rq = call->rq;
	c->r = call->r;
	c->call = call;
	c->now = (long long)time(NULL);
	set_days(c);
	c->post = !strcmp(call->rq->method, "POST");
	c->get = !strcmp(call->rq->method, "GET") || !strcmp(call->rq->method, "HEAD");
	call->scope = c;
	return c;
}

static void office_close(struct office *c)
{
	c->call->scope = NULL;
	mc_tdata_destroy(c->d);
	wards_free(&c->wards);
	free(c);
}

/* No live session: a page view goes to the sign-in form; a request to refuse instead (a
 * form post) gets 403 and detail says what to do. */
static enum mc_err signed_out(struct office *c, bool refuse, const char *detail)
{
	memset(&c->u, 0, sizeof(c->u));
	return refuse ? page_message(c, 403, "Phiên làm việc đã hết hạn", detail)
		      : page_redirect(c, "%s", "/staff/login");
}

/* Who is asking, and may they post: no session sends a page view to the sign-in form and
 * refuses a post; a post needs the session's CSRF token and a role that may write. Sets
 * *done when the answer has been made. */
static enum mc_err authenticate(struct office *c, enum mc_gate gate, bool *done)
{
	const char *csrf;
	enum mc_err err = mc_session_get(c->wr, c->rq, c->now, &c->u);

	*done = true;
	if (err == MC_ERR_NOTFOUND)
		return signed_out(c, c->post, "Vui lòng đăng nhập lại rồi gửi lại biểu mẫu.");
	if (err != MC_OK)
		return err;
	if (c->post) {
		csrf = mc_form_get(c->rq->form, "csrf");
		if (!csrf || !mc_auth_equal(csrf, c->u.csrf))
			return page_message(
			    c, 403, "Biểu mẫu không hợp lệ",
			    "Biểu mẫu đã cũ hoặc không được gửi từ trang của hệ thống. "
			    "Vui lòng tải lại trang và gửi lại.");
		if (gate == MC_GATE_STAFF && !strcmp(c->u.role, MC_ROLE_SUPERVISOR))
			return page_forbidden(c);
	}
	*done = false;
	return MC_OK;
}

/* Others write on the connection while it is let go: not as this user. */
static enum mc_err release_run(void *ctx, void (*fn)(void *arg), void *arg)
{
	struct office *c = ctx;
	enum mc_err err;

	if ((err = mc_store_set_actor(c->wr, 0, "system")) != MC_OK)
		return err;
	if (c->call->release)
		c->call->release(c->call, fn, arg);
	else
		fn(arg);
	return mc_store_set_actor(c->wr, c->u.id, c->u.name);
}

struct mc_session_release office_release(struct office *c)
{
	return (struct mc_session_release){.run = release_run, .ctx = c};
}

enum mc_err mc_office_gate(enum mc_gate gate, struct mc_call *call, mc_handler_fn fn)
{
	struct office *c;
	bool done;
	enum mc_err err;

	if (gate == MC_GATE_SUPERVISE)
		return mc_supervise_gate(call, fn);
	if (!call->site->staff)
		return mc_pages_error(call->site->pages, 503, call->r);
	if (!(c = office_open(call, call->site->staff->pages)))
		return MC_ERR_NOMEM;
	if (gate == MC_GATE_LOGIN)
		err = fn(call);
	else if ((err = authenticate(c, gate, &done)) == MC_OK && !done &&
		 (err = mc_store_set_actor(c->wr, c->u.id, c->u.name)) == MC_OK)
		err = fn(call);
	/* The connection outlives this request: later writes must not carry this user. */
	mc_store_set_actor(c->wr, 0, "system");
	office_close(c);
	return err;
}

enum mc_err mc_supervise_gate(struct mc_call *call, mc_handler_fn fn)
{
	struct office *c = office_open(call, call->site->pages);
	enum mc_err err;

	if (!c)
		return MC_ERR_NOMEM;
	err = mc_session_get(c->wr, c->rq, c->now, &c->u);
	if (err == MC_ERR_NOTFOUND)
		err = signed_out(c, !c->get, "Vui lòng đăng nhập lại.");
	else if (err == MC_OK && !mc_session_all_wards(&c->u))
		err = page_message(c, 403, "Không được phép",
				   "Trang giám sát dành cho cán bộ giám sát và quản trị viên.");
	else if (err == MC_OK && !c->get)
		err = page_message(c, 405, "Phương thức không được hỗ trợ",
				   "Trang giám sát chỉ để xem, không nhận biểu mẫu.");
	else if (err == MC_OK)
		err = fn(call);
	office_close(c);
	return err;
}
