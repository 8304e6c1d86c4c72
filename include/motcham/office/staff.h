#ifndef MOTCHAM_STAFF_H
#define MOTCHAM_STAFF_H

/* The ward staff's side: sign-in, sessions, CSRF, roles, the forms that keep procedures,
 * announcements and permits up to date, dossier uploads, code retirement, resident reports
 * review, and the print pages (through print.h). Every write goes through the store's
 * audited functions with the signed-in user as actor. */

#include <stdbool.h>

#include "motcham/base/err.h"

struct mc_pages;
struct mc_request;
struct mc_response;
struct mc_store;

struct mc_staff_config {
	struct mc_pages *pages;
	const char *files_dir; /* uploaded files, by content hash; outside the web root */
};

struct mc_staff;

/* Creates files_dir when missing. *out owned by the caller. MC_ERR_IO, MC_ERR_NOMEM. */
enum mc_err mc_staff_create(const struct mc_staff_config *cfg, struct mc_staff **out);
/* Accepts NULL. */
void mc_staff_destroy(struct mc_staff *st);

/* Answers any request under /staff (GET, HEAD or POST). wr is the read-write connection,
 * held by the caller for this call only (one writer at a time). Returns MC_OK with r filled
 * for every answer, 4xx included; another value means r could not be made. */
enum mc_err mc_staff_handle(struct mc_staff *st, struct mc_store *wr, const struct mc_request *rq,
			    struct mc_response *r);

/* POST /w/SLUG/permits/ID/report: a resident's concern about a permit (no account). */
enum mc_err mc_staff_report(struct mc_staff *st, struct mc_store *wr, const struct mc_request *rq,
			    const char *slug, long long permit_id, struct mc_response *r);

/* GET /files/SHA256: a dossier file marked public (rd: a read connection). */
enum mc_err mc_staff_public_file(struct mc_staff *st, struct mc_store *rd,
				 const struct mc_request *rq, const char *sha256,
				 struct mc_response *r);

#endif
