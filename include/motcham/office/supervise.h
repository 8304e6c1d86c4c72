#ifndef MOTCHAM_SUPERVISE_H
#define MOTCHAM_SUPERVISE_H

/* The supervisors' side (/supervise): a read-only view of every ward for supervisors and
 * admins. Permit counts per ward, the lists that need attention (overdue, expiring soon,
 * suspended or revoked, with open resident reports) with filters, pages and CSV export, a
 * permit's whole history from the audit trail, and the audit chain head to write down. */

#include "motcham/base/err.h"

struct mc_pages;
struct mc_request;
struct mc_response;
struct mc_store;

/* Rows per page of a list, and the most rows one CSV export holds. */
#define MC_SUPERVISE_PAGE 50
#define MC_SUPERVISE_CSV_MAX 100000

/* Answers any request under /supervise (GET and HEAD; other methods get 405). Without a
 * session: 303 to /staff/login; staff accounts: 403. wr is the read-write connection, held by
 * the caller for this call; nothing is written. MC_OK with r filled for every answer, 4xx
 * included; another value means r could not be made. */
enum mc_err mc_supervise_handle(struct mc_pages *pages, struct mc_store *wr,
				const struct mc_request *rq, struct mc_response *r);

#endif
