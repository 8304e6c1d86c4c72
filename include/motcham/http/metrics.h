#ifndef MOTCHAM_METRICS_H
#define MOTCHAM_METRICS_H

/* Request counters by route and status, a latency histogram and database error counts,
 * updated lock-free by the workers and rendered in Prometheus text format. */

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

struct mc_scans_stats;

struct mc_metrics;

/* Counters for the route labels labels[0..n) (at most 32; borrowed, they must outlive the
 * metrics: the route table's static strings). NULL when out of memory or n is out of range. */
struct mc_metrics *mc_metrics_create(const char *const *labels, size_t n);
/* Accepts NULL. */
void mc_metrics_destroy(struct mc_metrics *m);
/* Counts one answered request under label (an index into the labels given at create;
 * others are ignored). Safe from any thread. */
void mc_metrics_request(struct mc_metrics *m, size_t label, int status, double seconds);
/* Counts one cacheable answer: hit when it came from a worker's page cache. */
void mc_metrics_cache(struct mc_metrics *m, bool hit);
/* Counts one account whose sign-in was locked for every client (many failures from many
 * clients: motcham_signin_locked_total). */
void mc_metrics_signin_locked(struct mc_metrics *m);
/* Counts one database error met while answering. */
void mc_metrics_db_error(struct mc_metrics *m);
/* Appends the Prometheus text exposition; scans may be NULL. */
enum mc_err mc_metrics_render(struct mc_metrics *m, const struct mc_scans_stats *scans,
			      struct mc_buf *out);

#endif
