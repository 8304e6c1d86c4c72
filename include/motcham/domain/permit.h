#ifndef MOTCHAM_PERMIT_H
#define MOTCHAM_PERMIT_H

/* The rules of a permit's life, shared by the store (which refuses what breaks them), the
 * public pages and the staff forms. */

#include <stdbool.h>

/* Permit kinds, as stored. */
#define MC_PERMIT_REPAIR "repair"
#define MC_PERMIT_RENOVATION "renovation"
#define MC_PERMIT_NEW_BUILD "new_build"
/* Permit statuses, as stored. "Expired" is not stored: it is derived from ends_on. */
#define MC_STATUS_ISSUED "issued"
#define MC_STATUS_IN_PROGRESS "in_progress"
#define MC_STATUS_SUSPENDED "suspended"
#define MC_STATUS_REVOKED "revoked"
#define MC_STATUS_COMPLETED "completed"

/* A stored value and its Vietnamese label; lists end with {NULL, NULL}. */
struct mc_label {
	const char *value;
	const char *label;
};

/* Permit kinds, permit statuses and resident report categories, in display order. */
extern const struct mc_label mc_permit_kinds[3 + 1];
extern const struct mc_label mc_permit_statuses[5 + 1];
extern const struct mc_label mc_report_categories[5 + 1];

/* The label of value in list, or value itself when the list does not have it. */
const char *mc_label_of(const struct mc_label *list, const char *value);

/* True when status is one of the stored statuses (MC_STATUS_*). */
bool mc_permit_status_valid(const char *status);
/* True when a permit may move from one status to another: issued → in_progress →
 * completed; issued or in_progress → suspended → issued or in_progress; any status but
 * revoked → revoked. Staying put is not a move. */
bool mc_permit_can_move(const char *from, const char *to);
/* True when a move to this status must give a reason (suspended, revoked). */
bool mc_permit_needs_reason(const char *to);
/* What a permit says about work on day today (YYYY-MM-DD). Work is allowed only on an open
 * status (issued, in_progress) within starts_on <= today <= ends_on. */
enum mc_permit_verdict {
	MC_VERDICT_ALLOWED,
	MC_VERDICT_NOT_STARTED,
	MC_VERDICT_EXPIRED,
	MC_VERDICT_SUSPENDED,
	MC_VERDICT_REVOKED,
	MC_VERDICT_COMPLETED,
	MC_VERDICT_OTHER, /* an unknown status or missing dates */
};
enum mc_permit_verdict mc_permit_verdict(const char *status, const char *starts_on,
					 const char *ends_on, const char *today);
/* The verdict's name in the JSON API ("allowed", "not_started" ...); static. */
const char *mc_permit_verdict_name(enum mc_permit_verdict v);
/* The reason line a page shows under a verdict that forbids work, in Vietnamese; NULL for
 * MC_VERDICT_ALLOWED. Static. */
const char *mc_permit_verdict_reason(enum mc_permit_verdict v);
/* True when the verdict is MC_VERDICT_ALLOWED. */
bool mc_permit_allowed_on(const char *status, const char *starts_on, const char *ends_on,
			  const char *today);
/* True when an open permit's end date has passed. */
bool mc_permit_expired_on(const char *status, const char *ends_on, const char *today);

#endif
