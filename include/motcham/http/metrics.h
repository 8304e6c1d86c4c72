#ifndef MOTCHAM_METRICS_H
#define MOTCHAM_METRICS_H

/* Request counters by route and status, a latency histogram and database error counts,
 * updated lock-free by the workers and rendered in Prometheus text format. */

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

struct mc_scans_stats;

enum mc_route {
	MC_ROUTE_HOME,
	MC_ROUTE_WARD,
	MC_ROUTE_PROCEDURE,
	MC_ROUTE_ANNOUNCEMENT,
	MC_ROUTE_PERMIT,
	MC_ROUTE_SEARCH,
	MC_ROUTE_CODE,
	MC_ROUTE_QR,
	MC_ROUTE_API,
	MC_ROUTE_ASSETS,
	MC_ROUTE_FILES,
	MC_ROUTE_STAFF,
	MC_ROUTE_SUPERVISE,
	MC_ROUTE_REPORT,
	MC_ROUTE_HEALTHZ,
	MC_ROUTE_METRICS,
	MC_ROUTE_OTHER,
	MC_ROUTE_COUNT_
};

struct mc_metrics;

/* NULL when out of memory. */
struct mc_metrics *mc_metrics_create(void);
/* Accepts NULL. */
void mc_metrics_destroy(struct mc_metrics *m);
/* The route a request path belongs to (case-insensitive, like the router). */
enum mc_route mc_metrics_route_of(const char *path);
/* The route's label in the exported metrics. */
const char *mc_metrics_route_name(enum mc_route r);
/* Counts one answered request. Safe from any thread. */
void mc_metrics_request(struct mc_metrics *m, enum mc_route route, int status, double seconds);
/* Counts one database error met while answering. */
void mc_metrics_db_error(struct mc_metrics *m);
/* Appends the Prometheus text exposition; scans may be NULL. */
enum mc_err mc_metrics_render(struct mc_metrics *m, const struct mc_scans_stats *scans,
			      struct mc_buf *out);

#endif
