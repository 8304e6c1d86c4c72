#ifndef MOTCHAM_PAGES_H
#define MOTCHAM_PAGES_H

/* One function per page: gather records from the store, fill a template, say how to answer.
 * pages knows nothing of HTTP connections: http routes a request here and sends what comes
 * back. Every function fills a caller-initialised struct mc_response and returns MC_OK when
 * it produced a response (including 404 and 410 pages); any other value means the response
 * could not be made (http then answers 500 or 503 itself). */

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

struct mc_store;
struct mc_template;

struct mc_pages_config {
	const char *templates_dir; /* holds the NAME.html templates */
	const char *base_url;	   /* public URL prefix, e.g. http://127.0.0.1:8080 */
};

struct mc_pages; /* templates + configuration; read-only once created, shared by workers */

/* Loads the templates. Problems are written to errs. *out owned by the caller. */
enum mc_err mc_pages_create(const struct mc_pages_config *cfg, struct mc_pages **out,
			    struct mc_buf *errs);
/* Accepts NULL. */
void mc_pages_destroy(struct mc_pages *p);

struct mc_response {
	int status;		  /* HTTP status */
	const char *content_type; /* static string, e.g. "text/html; charset=utf-8" */
	const char *cache;	  /* static Cache-Control value or NULL for "no-cache" */
	char etag[40];		  /* "" or a quoted strong ETag */
	char location[512];	  /* "" or where a 303 after a form post goes */
	char cookie[320];	  /* "" or one Set-Cookie header value */
	char disposition[256];	  /* "" or a Content-Disposition header value */
	long long code_id;	  /* a code this answer resolved (counted as a scan), else 0 */
	int scan_miss;		  /* 1: unknown code, 2: mistyped code, else 0 */
	unsigned delay_ms;	  /* hold the answer back this long (failed sign-ins), else 0 */
	struct mc_buf body;
};

/* Caller-owned: init before a page function, finish afterwards (accepts NULL). */
void mc_response_init(struct mc_response *r);
void mc_response_finish(struct mc_response *r);

/* GET /: the list of wards, or the ward home when there is only one. */
enum mc_err mc_pages_home(struct mc_pages *p, struct mc_store *s, struct mc_response *r);
/* GET /w/SLUG: ward home (intro, hours, procedure fields, current announcements, search). */
enum mc_err mc_pages_ward(struct mc_pages *p, struct mc_store *s, const char *slug,
			  struct mc_response *r);
/* GET /w/SLUG/procedures/ID, /w/SLUG/announcements/ID, /w/SLUG/permits/ID.
 * 404 when the id does not belong to that ward. */
enum mc_err mc_pages_procedure(struct mc_pages *p, struct mc_store *s, const char *slug,
			       long long id, struct mc_response *r);
enum mc_err mc_pages_announcement(struct mc_pages *p, struct mc_store *s, const char *slug,
				  long long id, struct mc_response *r);
enum mc_err mc_pages_permit(struct mc_pages *p, struct mc_store *s, const char *slug, long long id,
			    struct mc_response *r);
/* GET /w/SLUG/search?q=: diacritics-insensitive search over procedure titles. q may be NULL. */
enum mc_err mc_pages_search(struct mc_pages *p, struct mc_store *s, const char *slug, const char *q,
			    struct mc_response *r);
/* GET /q/TOKEN (any case, typed forms allowed): the target's page with status 200, a 404
 * page for an unknown or mistyped token (saying which), 410 for a revoked one. */
enum mc_err mc_pages_code(struct mc_pages *p, struct mc_store *s, const char *token,
			  struct mc_response *r);
/* GET /qr/TOKEN.png and .svg (ext "png" or "svg"): the symbol the generator makes. */
enum mc_err mc_pages_qr_image(struct mc_pages *p, struct mc_store *s, const char *token,
			      const char *ext, struct mc_response *r);
/* GET /api/v1/codes/TOKEN: the code and its resolved record as JSON (jansson). */
enum mc_err mc_pages_api_code(struct mc_pages *p, struct mc_store *s, const char *token,
			      struct mc_response *r);
struct mc_tobj;

/* Renders template name with root into r as HTML with this status (for modules that build
 * their own pages, such as the staff pages). MC_ERR_TEMPLATE for an unknown template. */
enum mc_err mc_pages_render(struct mc_pages *p, const char *name, const struct mc_tobj *root,
			    int status, struct mc_response *r);
/* The public base URL the pages were made with, without a trailing '/'. */
const char *mc_pages_base_url(const struct mc_pages *p);

/* A plain error page in Vietnamese with this status (404, 400, 405, 413, 500, 503 ...). */
enum mc_err mc_pages_error(struct mc_pages *p, int status, struct mc_response *r);

#endif
