/* The one table of URLs. Adding a page is one row here, one handler and its template; the
 * matching rules are in routes.h. Rows are tried in order; keep each audience together. */
#include "motcham/http/routes.h"

#include "motcham/office/office.h"
#include "motcham/public/pages.h"
#include "motcham/web/form.h"
#include "private.h"

#define GET "GET"
#define POST "POST"
#define ANY "*"

#define R MC_CONN_READ
#define W MC_CONN_WRITE
#define NONE MC_CONN_NONE

#define PUB MC_GATE_PUBLIC
#define LOGIN MC_GATE_LOGIN
#define SIGNED MC_GATE_SIGNED_IN
#define STAFF MC_GATE_STAFF
#define SUP MC_GATE_SUPERVISE

#define CACHE MC_ROUTE_CACHE
#define PASSWORD MC_ROUTE_PASSWORD

/* Request bodies: a screen's heartbeat, a sign-in, a text form, a form with one uploaded file. */
#define BEAT_BODY 2048
#define LOGIN_BODY (16 * 1024)
#define FORM_BODY (1024 * 1024)
#define UPLOAD_BODY ((size_t)MC_FORM_MAX_TOTAL + 64 * 1024)
/* A cosigned checkpoint, urlencoded. */
#define COSIG_BODY (16 * 1024)

static const struct mc_route table[] = {
    /* The residents' pages: the hot path of every scan. */
    {GET, "/", "home", R, PUB, CACHE, 0, mc_pages_home},
    {GET, "/q/{token}", "code", R, PUB, CACHE, 0, mc_pages_code},
    {GET, "/q", "code", R, PUB, 0, 0, mc_pages_code_query},
    {GET, "/qr/{token}.png", "qr", R, PUB, CACHE, 0, mc_pages_qr_png},
    {GET, "/qr/{token}.svg", "qr", R, PUB, CACHE, 0, mc_pages_qr_svg},
    {GET, "/w/{slug}", "ward", R, PUB, CACHE, 0, mc_pages_ward},
    {GET, "/w/{slug}/procedures/{id}", "procedure", R, PUB, CACHE, 0, mc_pages_procedure},
    {GET, "/w/{slug}/announcements/{id}", "announcement", R, PUB, CACHE, 0, mc_pages_announcement},
    {GET, "/w/{slug}/permits/{id}", "permit", R, PUB, CACHE, 0, mc_pages_permit},
    {POST, "/w/{slug}/permits/{id}/report", "report", W, PUB, 0, UPLOAD_BODY, mc_pages_report},
    {GET, "/r/{token}", "reference", R, PUB, 0, 0, mc_pages_reference},
    {GET, "/r", "reference", R, PUB, 0, 0, mc_pages_reference_query},
    {GET, "/w/{slug}/search", "search", R, PUB, 0, 0, mc_pages_search},
    {GET, "/api/v1/codes/{token}", "api", R, PUB, CACHE, 0, mc_pages_api_code},
    {GET, "/files/{sha}", "files", R, PUB, 0, 0, mc_pages_file},
    {GET, "/w/{slug}/feed.atom", "feed", R, PUB, CACHE, 0, mc_pages_feed},
    {GET, "/w/{slug}/preview.png", "preview", R, PUB, CACHE, 0, mc_pages_preview},
    {GET, "/preview.png", "preview", R, PUB, CACHE, 0, mc_pages_preview},
    {GET, "/robots.txt", "site", R, PUB, CACHE, 0, mc_pages_robots},
    {GET, "/sitemap.xml", "site", R, PUB, CACHE, 0, mc_pages_sitemap},
    {GET, "/w/{slug}/sitemap.xml", "site", R, PUB, CACHE, 0, mc_pages_sitemap_ward},
    /* The lobby screens: not cached, an urgent notice ends at a time (see pages.h). */
    {GET, "/kiosk/{slug}", "kiosk", R, PUB, 0, 0, mc_pages_kiosk},
    {GET, "/kiosk/{slug}/feed.json", "kiosk", R, PUB, 0, 0, mc_pages_kiosk_feed},
    {POST, "/kiosk/{slug}/beat", "kiosk", W, PUB, 0, BEAT_BODY, mc_pages_kiosk_beat},

    /* The public log (c2sp.org/tlog-tiles): hashes only, plain text and binary. */
    {GET, "/log/checkpoint", "log", R, PUB, 0, 0, mc_pages_log_checkpoint},
    {POST, "/log/add-cosignature", "log", W, PUB, 0, COSIG_BODY, mc_pages_log_add_cosignature},
    {GET, "/log/tile/**", "log", R, PUB, CACHE, 0, mc_pages_log_tile},

    /* The server's own. */
    {GET, "/assets/{name}", "assets", NONE, PUB, 0, 0, assets_page},
    {GET, "/favicon.ico", "assets", NONE, PUB, 0, 0, assets_favicon},
    {GET, "/healthz", "healthz", R, PUB, 0, 0, ops_health},
    {GET, "/metrics", "metrics", NONE, PUB, 0, 0, ops_metrics},

    /* Ward staff. */
    {GET, "/staff/login", "staff", W, LOGIN, 0, 0, mc_office_login_page},
    {POST, "/staff/login", "staff", W, LOGIN, PASSWORD, LOGIN_BODY, mc_office_login},
    {POST, "/staff/logout", "staff", W, SIGNED, 0, LOGIN_BODY, mc_office_logout},
    {GET, "/staff/password", "staff", W, SIGNED, 0, 0, mc_office_password_page},
    {POST, "/staff/password", "staff", W, SIGNED, PASSWORD, LOGIN_BODY, mc_office_password},
    {GET, "/staff", "staff", W, STAFF, 0, 0, mc_office_dashboard},
    {GET, "/staff/permits", "staff", W, STAFF, 0, 0, mc_office_permit_list},
    {POST, "/staff/permits", "staff", W, STAFF, 0, FORM_BODY, mc_office_permit_create},
    {GET, "/staff/permits/new", "staff", W, STAFF, 0, 0, mc_office_permit_new},
    {GET, "/staff/permits/{id}", "staff", W, STAFF, 0, 0, mc_office_permit_show},
    {POST, "/staff/permits/{id}", "staff", W, STAFF, 0, FORM_BODY, mc_office_permit_update},
    {POST, "/staff/permits/{id}/status", "staff", W, STAFF, 0, FORM_BODY, mc_office_permit_status},
    {POST, "/staff/permits/{id}/inspections", "staff", W, STAFF, 0, FORM_BODY,
     mc_office_permit_inspection},
    {POST, "/staff/permits/{id}/files", "staff", W, STAFF, 0, UPLOAD_BODY, mc_office_permit_file},
    {GET, "/staff/procedures", "staff", W, STAFF, 0, 0, mc_office_procedure_list},
    {POST, "/staff/procedures", "staff", W, STAFF, 0, FORM_BODY, mc_office_procedure_create},
    {GET, "/staff/procedures/new", "staff", W, STAFF, 0, 0, mc_office_procedure_new},
    {GET, "/staff/procedures/{id}", "staff", W, STAFF, 0, 0, mc_office_procedure_show},
    {POST, "/staff/procedures/{id}", "staff", W, STAFF, 0, FORM_BODY, mc_office_procedure_update},
    {POST, "/staff/procedures/{id}/retire", "staff", W, STAFF, 0, FORM_BODY,
     mc_office_procedure_retire},
    {GET, "/staff/announcements", "staff", W, STAFF, 0, 0, mc_office_announcement_list},
    {POST, "/staff/announcements", "staff", W, STAFF, 0, FORM_BODY, mc_office_announcement_create},
    {GET, "/staff/announcements/new", "staff", W, STAFF, 0, 0, mc_office_announcement_new},
    {GET, "/staff/announcements/{id}", "staff", W, STAFF, 0, 0, mc_office_announcement_show},
    {POST, "/staff/announcements/{id}", "staff", W, STAFF, 0, FORM_BODY,
     mc_office_announcement_update},
    {POST, "/staff/announcements/{id}/retire", "staff", W, STAFF, 0, FORM_BODY,
     mc_office_announcement_retire},
    {GET, "/staff/reports", "staff", W, STAFF, 0, 0, mc_office_reports},
    {POST, "/staff/reports/{id}/review", "staff", W, STAFF, 0, FORM_BODY, mc_office_report_review},
    {POST, "/staff/reports/{id}/reply", "staff", W, STAFF, 0, FORM_BODY, mc_office_report_reply},
    {POST, "/staff/reports/{id}/erase", "staff", W, STAFF, 0, FORM_BODY, mc_office_report_erase},
    {POST, "/staff/codes/{token}/retire", "staff", W, STAFF, 0, FORM_BODY, mc_office_code_retire},
    {POST, "/staff/codes/{token}/restore", "staff", W, STAFF, 0, FORM_BODY, mc_office_code_restore},
    {GET, "/staff/keychain", "staff", W, STAFF, 0, 0, mc_office_keychain},
    {GET, "/staff/files/{sha}", "staff", W, STAFF, 0, 0, mc_office_file},
    {GET, "/staff/print/keychain", "staff", W, STAFF, 0, 0, mc_office_print_keychain},
    {GET, "/staff/print/keychain.svg", "staff", W, STAFF, 0, 0, mc_office_print_keychain_svg},
    {GET, "/staff/print/permits/{id}", "staff", W, STAFF, 0, 0, mc_office_print_permit},
    {GET, "/staff/print/procedures/{id}", "staff", W, STAFF, 0, 0, mc_office_print_procedure},
    {GET, "/staff/kiosk", "staff", W, STAFF, 0, 0, mc_office_kiosk},
    {POST, "/staff/kiosk/notices", "staff", W, STAFF, 0, FORM_BODY, mc_office_kiosk_notice_push},
    {POST, "/staff/kiosk/notices/{id}/lift", "staff", W, STAFF, 0, FORM_BODY,
     mc_office_kiosk_notice_lift},
    {POST, "/staff/kiosk/features", "staff", W, STAFF, 0, FORM_BODY, mc_office_kiosk_feature_add},
    {POST, "/staff/kiosk/features/{id}/up", "staff", W, STAFF, 0, FORM_BODY,
     mc_office_kiosk_feature_up},
    {POST, "/staff/kiosk/features/{id}/down", "staff", W, STAFF, 0, FORM_BODY,
     mc_office_kiosk_feature_down},
    {POST, "/staff/kiosk/features/{id}/remove", "staff", W, STAFF, 0, FORM_BODY,
     mc_office_kiosk_feature_remove},
    {GET, "/staff/kiosk/slides/new", "staff", W, STAFF, 0, 0, mc_office_kiosk_slide_new},
    {POST, "/staff/kiosk/slides", "staff", W, STAFF, 0, FORM_BODY, mc_office_kiosk_slide_create},
    {GET, "/staff/kiosk/slides/{id}", "staff", W, STAFF, 0, 0, mc_office_kiosk_slide_show},
    {POST, "/staff/kiosk/slides/{id}", "staff", W, STAFF, 0, FORM_BODY,
     mc_office_kiosk_slide_update},
    {POST, "/staff/kiosk/slides/{id}/retire", "staff", W, STAFF, 0, FORM_BODY,
     mc_office_kiosk_slide_retire},
    /* Anything else under /staff: signed out, the sign-in form; signed in, 404 or 405. */
    {ANY, "/staff/**", "staff", W, STAFF, 0, 0, mc_office_not_found},

    /* Supervisors. */
    {GET, "/supervise", "supervise", W, SUP, 0, 0, mc_supervise_home},
    {GET, "/supervise/permits", "supervise", W, SUP, 0, 0, mc_supervise_list},
    {GET, "/supervise/permits/{id}", "supervise", W, SUP, 0, 0, mc_supervise_permit},
    {GET, "/supervise/proofs/{id}", "supervise", W, SUP, 0, 0, mc_supervise_proof},
    {ANY, "/supervise/**", "supervise", W, SUP, 0, 0, mc_supervise_not_found},
};

const struct mc_route *mc_routes(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}
