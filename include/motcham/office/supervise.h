#ifndef MOTCHAM_SUPERVISE_H
#define MOTCHAM_SUPERVISE_H

/* The supervisors' side (/supervise): a read-only view of every ward for supervisors and
 * admins. Permit counts per ward, the lists that need attention (overdue, expiring soon,
 * suspended or revoked, with open resident reports) with filters, pages and CSV export, a
 * permit's whole history from the audit trail, and the audit chain head to write down. The
 * handlers are in office.h. */

#include "motcham/base/err.h"

/* Rows per page of a list, and the most rows one CSV export holds. */
#define MC_SUPERVISE_PAGE 50
#define MC_SUPERVISE_CSV_MAX 100000

#endif
