#ifndef MOTCHAM_OFFICE_H
#define MOTCHAM_OFFICE_H

/* The office side: the ward staff's pages (/staff) and the supervisors' board (/supervise),
 * one handler per row of the route table (src/http/routes.c). Every handler runs behind its
 * row's gate, on the one read-write connection, and returns as web/call.h says. */

#include "motcham/base/err.h"
#include "motcham/web/call.h"

/* Runs fn for call behind gate (any gate but MC_GATE_PUBLIC): LOGIN sets up an office page
 * without a session; SIGNED_IN and STAFF need a live session (a page view without one goes
 * to the sign-in form, a post is refused), check a post's CSRF token, and STAFF refuses posts
 * by supervisors; SUPERVISE needs a supervisor's or an admin's session and allows reading
 * only. The signed-in user is the actor of every write fn makes. Returns what fn returns, or
 * MC_OK with the refusal in call->r. */
enum mc_err mc_office_gate(enum mc_gate gate, struct mc_call *call, mc_handler_fn fn);
/* The supervisors' gate (MC_GATE_SUPERVISE), as above. */
enum mc_err mc_supervise_gate(struct mc_call *call, mc_handler_fn fn);

/* Sign-in. */
enum mc_err mc_office_login_page(struct mc_call *call); /* GET /staff/login */
enum mc_err mc_office_login(struct mc_call *call);	/* POST /staff/login */
enum mc_err mc_office_logout(struct mc_call *call);	/* POST /staff/logout */
/* GET and POST /staff/password: the signed-in user changes their own password. */
enum mc_err mc_office_password_page(struct mc_call *call);
enum mc_err mc_office_password(struct mc_call *call);
/* GET /staff: the ward's records, open reports and scan counts. */
enum mc_err mc_office_dashboard(struct mc_call *call);

/* Permits: POST /staff/permits, GET /staff/permits/new, GET and POST /staff/permits/ID,
 * POST /staff/permits/ID/status, /inspections, /files. */
enum mc_err mc_office_permit_create(struct mc_call *call);
enum mc_err mc_office_permit_new(struct mc_call *call);
enum mc_err mc_office_permit_show(struct mc_call *call);
enum mc_err mc_office_permit_update(struct mc_call *call);
enum mc_err mc_office_permit_status(struct mc_call *call);
enum mc_err mc_office_permit_inspection(struct mc_call *call);
enum mc_err mc_office_permit_file(struct mc_call *call);

/* Procedures and announcements: POST /staff/KIND, GET /staff/KIND/new, GET and POST
 * /staff/KIND/ID, POST /staff/KIND/ID/retire. */
enum mc_err mc_office_procedure_create(struct mc_call *call);
enum mc_err mc_office_procedure_new(struct mc_call *call);
enum mc_err mc_office_procedure_show(struct mc_call *call);
enum mc_err mc_office_procedure_update(struct mc_call *call);
enum mc_err mc_office_procedure_retire(struct mc_call *call);
enum mc_err mc_office_announcement_create(struct mc_call *call);
enum mc_err mc_office_announcement_new(struct mc_call *call);
enum mc_err mc_office_announcement_show(struct mc_call *call);
enum mc_err mc_office_announcement_update(struct mc_call *call);
enum mc_err mc_office_announcement_retire(struct mc_call *call);

/* GET /staff/permits, /staff/procedures, /staff/announcements (?ward=SLUG&page=N): the
 * ward's list, a page of 50 at a time (400 for a page that is not a number, 404 past the
 * end). */
enum mc_err mc_office_permit_list(struct mc_call *call);
enum mc_err mc_office_procedure_list(struct mc_call *call);
enum mc_err mc_office_announcement_list(struct mc_call *call);
/* Residents' reports: GET /staff/reports; POST /staff/reports/ID/review (marks it reviewed,
 * with the internal note and, when posted, the public reply) and POST
 * /staff/reports/ID/reply (saves both and keeps it under review). */
enum mc_err mc_office_reports(struct mc_call *call);
enum mc_err mc_office_report_review(struct mc_call *call);
enum mc_err mc_office_report_reply(struct mc_call *call);
enum mc_err mc_office_report_erase(struct mc_call *call);
/* POST /staff/codes/TOKEN/retire; for a ward's keychain code, admins only and after a
 * confirmation. POST /staff/codes/TOKEN/restore: a ward's keychain code retired within a
 * week back in use (admins). GET /staff/keychain: a ward's keychain codes. */
enum mc_err mc_office_code_retire(struct mc_call *call);
enum mc_err mc_office_code_restore(struct mc_call *call);
enum mc_err mc_office_keychain(struct mc_call *call);
/* GET /staff/files/SHA256: any file of a permit (or report photo) of a ward one may read. */
enum mc_err mc_office_file(struct mc_call *call);
/* Print pages: GET /staff/print/keychain, /staff/print/keychain.svg,
 * /staff/print/permits/ID, /staff/print/procedures/ID. */
enum mc_err mc_office_print_keychain(struct mc_call *call);
enum mc_err mc_office_print_keychain_svg(struct mc_call *call);
enum mc_err mc_office_print_permit(struct mc_call *call);
enum mc_err mc_office_print_procedure(struct mc_call *call);
/* The lobby screens: GET /staff/kiosk (the screens' heartbeats, the urgent notice, the
 * featured procedures, the added pages); POST /staff/kiosk/notices (push an urgent notice),
 * /staff/kiosk/notices/ID/lift; POST /staff/kiosk/features (feature a procedure),
 * /staff/kiosk/features/ID/up, /down, /remove; GET /staff/kiosk/slides/new, POST
 * /staff/kiosk/slides, GET and POST /staff/kiosk/slides/ID, POST /staff/kiosk/slides/ID/retire. */
enum mc_err mc_office_kiosk(struct mc_call *call);
enum mc_err mc_office_kiosk_notice_push(struct mc_call *call);
enum mc_err mc_office_kiosk_notice_lift(struct mc_call *call);
enum mc_err mc_office_kiosk_feature_add(struct mc_call *call);
enum mc_err mc_office_kiosk_feature_up(struct mc_call *call);
enum mc_err mc_office_kiosk_feature_down(struct mc_call *call);
enum mc_err mc_office_kiosk_feature_remove(struct mc_call *call);
enum mc_err mc_office_kiosk_slide_new(struct mc_call *call);
enum mc_err mc_office_kiosk_slide_create(struct mc_call *call);
enum mc_err mc_office_kiosk_slide_show(struct mc_call *call);
enum mc_err mc_office_kiosk_slide_update(struct mc_call *call);
enum mc_err mc_office_kiosk_slide_retire(struct mc_call *call);
/* Anything else under /staff: 405 when another method serves the path, else 404. */
enum mc_err mc_office_not_found(struct mc_call *call);

/* The supervisors' board: GET /supervise, /supervise/permits, /supervise/permits/ID, and
 * anything else under /supervise (404). */
enum mc_err mc_supervise_home(struct mc_call *call);
enum mc_err mc_supervise_list(struct mc_call *call);
enum mc_err mc_supervise_permit(struct mc_call *call);
/* GET /supervise/proofs/ID: audit entry ID's c2sp.org/tlog-proof, as a download. */
enum mc_err mc_supervise_proof(struct mc_call *call);
enum mc_err mc_supervise_not_found(struct mc_call *call);

#endif
