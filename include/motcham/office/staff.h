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
struct mc_upload_spool;

struct mc_staff_config {
	struct mc_pages *pages;
	const char *files_dir;	/* uploaded files, by content hash; outside the web root. NULL
				 * where the database keeps them (mc_store_keeps_files) */
	long long upload_quota; /* bytes of uploads one ward may keep; 0: no limit */
	long long disk_reserve; /* bytes left free where files_dir is; 0: none */
	/* Where the database keeps files: the node's copies that downloads are sent from
	 * (borrowed: outlives the staff side), or NULL. */
	struct mc_upload_spool *downloads;
};

struct mc_staff;

/* Creates files_dir (when given) if missing, and removes the temporary files of uploads a
 * crash cut short from it. *out owned by the caller. MC_ERR_IO, MC_ERR_NOMEM. */
enum mc_err mc_staff_create(const struct mc_staff_config *cfg, struct mc_staff **out);
/* Accepts NULL. */
void mc_staff_destroy(struct mc_staff *st);

/* The directory uploaded files are kept in (st's own copy); NULL for NULL, or where the
 * database keeps them. */
const char *mc_staff_files_dir(const struct mc_staff *st);
struct mc_upload_limits;
/* The limits on uploads (borrowed from st), with the directory uploads are spooled to while
 * they arrive: files_dir, or where the database keeps files, $TMPDIR (else /var/tmp). NULL
 * for NULL. */
const struct mc_upload_limits *mc_staff_uploads(const struct mc_staff *st);

#endif
