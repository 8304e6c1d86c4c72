#ifndef MOTCHAM_PAGES_H
#define MOTCHAM_PAGES_H

/* One function per page: gather records from the store, fill a template, say how to answer.
 * pages knows nothing of HTTP connections: the route table sends a request here and the server
 * sends what comes back (see web/call.h for what a handler promises). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"
#include "motcham/web/response.h"

struct mc_call;
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

/* The residents' pages, one handler per row of the route table (src/http/routes.c). Each
 * reads its record on c->s (the worker's read connection, or the write connection for a
 * post) and fills c->r; a record of another ward than the path's slug is a 404. */

/* GET /: the list of wards, or the ward home when there is only one. */
enum mc_err mc_pages_home(struct mc_call *c);
/* GET /w/SLUG: ward home (intro, hours, procedure fields, current announcements, search). */
enum mc_err mc_pages_ward(struct mc_call *c);
/* GET /w/SLUG/procedures/ID, /w/SLUG/announcements/ID, /w/SLUG/permits/ID. */
enum mc_err mc_pages_procedure(struct mc_call *c);
enum mc_err mc_pages_announcement(struct mc_call *c);
enum mc_err mc_pages_permit(struct mc_call *c);
/* GET /w/SLUG/search?q=: diacritics-insensitive search over procedure titles. */
enum mc_err mc_pages_search(struct mc_call *c);
/* GET /q/TOKEN (any case, typed forms allowed) and GET /q?t=TOKEN: the target's page with
 * status 200, a 404 page for an unknown or mistyped token (saying which), 410 for a revoked
 * one. */
enum mc_err mc_pages_code(struct mc_call *c);
enum mc_err mc_pages_code_query(struct mc_call *c);
/* GET /qr/TOKEN.png and .svg: the symbol the generator makes. */
enum mc_err mc_pages_qr_png(struct mc_call *c);
enum mc_err mc_pages_qr_svg(struct mc_call *c);
/* GET /api/v1/codes/TOKEN: the code and its resolved record as JSON (jansson). */
enum mc_err mc_pages_api_code(struct mc_call *c);
/* POST /w/SLUG/permits/ID/report: a resident's concern about a permit (no account; on the
 * write connection). Refused (403) from another site: an Origin that is not this site's
 * (nor "null"), or Sec-Fetch-Site other than same-origin; a browser that sends neither is
 * judged by the form's token alone. */
enum mc_err mc_pages_report(struct mc_call *c);
/* The report form's token for permit_id on the ward-local day now falls in, made with the
 * database's secret into out[65]: the permit page carries it, and a post is taken with the
 * token of that day or the day before (a page kept open over midnight). */
void mc_pages_report_token(const char *secret, int64_t permit_id, time_t now, char out[65]);
/* GET /r/REF (the reference number on a report's receipt, as typed) and GET /r?ref=REF
 * (which sends a well-formed number on to /r/REF with 303): the report's status, its dates
 * and the ward's public reply, nothing the resident wrote; a 404 page for an unknown
 * number. */
enum mc_err mc_pages_reference(struct mc_call *c);
enum mc_err mc_pages_reference_query(struct mc_call *c);
/* GET /files/SHA256: a dossier file marked public. */
enum mc_err mc_pages_file(struct mc_call *c);
/* GET /w/SLUG/feed.atom: the ward's current announcements as an Atom feed (RFC 4287). */
enum mc_err mc_pages_feed(struct mc_call *c);
/* GET /w/SLUG/preview.png and /preview.png: the image a shared link shows (the ward's keychain
 * code, or the site's address, as a large QR code). */
enum mc_err mc_pages_preview(struct mc_call *c);
/* GET /robots.txt, /sitemap.xml (one map per ward), /w/SLUG/sitemap.xml. */
enum mc_err mc_pages_robots(struct mc_call *c);
enum mc_err mc_pages_sitemap(struct mc_call *c);
enum mc_err mc_pages_sitemap_ward(struct mc_call *c);
/* GET /kiosk/SLUG: the ward's lobby screen, a full-screen page that rotates its slides (its
 * one script, assets/kiosk.js; without it the first slide and a refresh every 30 s).
 * GET /kiosk/SLUG/feed.json: the same content for the script to poll, with an ETag (304 when
 * unchanged). Neither is cached: an urgent notice ends at a time, not at a record change. */
enum mc_err mc_pages_kiosk(struct mc_call *c);
enum mc_err mc_pages_kiosk_feed(struct mc_call *c);
/* POST /kiosk/SLUG/beat: a screen's heartbeat (no account; on the write connection): 204,
 * 400 for bad fields, 404 for no such ward, 429 when too soon or too many. */
enum mc_err mc_pages_kiosk_beat(struct mc_call *c);

/* The public log (src/public/log.c). GET /log/checkpoint: the latest signed checkpoint
 * with its cosignatures. GET /log/tile/L/N[.p/W]: a hash tile (c2sp.org/tlog-tiles).
 * POST /log/add-cosignature: a witness's cosignature; the form field "checkpoint" holds the
 * checkpoint's text, a blank line and the witness's signature line(s) (a signed note).
 * 200 "ok N" (N lines kept), 400 malformed, 403 no line of a known witness verifies, 404 no
 * checkpoint of that size, 409 the text is not the one this log signed at that size. */
enum mc_err mc_pages_log_checkpoint(struct mc_call *c);
enum mc_err mc_pages_log_tile(struct mc_call *c);
enum mc_err mc_pages_log_add_cosignature(struct mc_call *c);

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
