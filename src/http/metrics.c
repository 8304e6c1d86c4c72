#include "motcham/http/metrics.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/http/scans.h"

/* The statuses this server answers with; anything else is counted under "other". */
static const int statuses[] = {200, 303, 304, 400, 401, 403, 404, 405,
			       410, 413, 415, 422, 429, 500, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				0.05,	0.1,   0.25,   0.5,   1.0,  2.5};
#define NBOUND (sizeof(bounds) / sizeof(bounds[0]))

#define MAX_LABELS 32

struct mc_metrics {
	const char *labels[MAX_LABELS];
	size_t nlabels;
	atomic_ullong requests[MAX_LABELS][NSTATUS];
	atomic_ullong bucket[NBOUND + 1]; /* the last one is +Inf */
	atomic_ullong micros;		  /* sum of latencies */
	atomic_ullong db_errors;
	atomic_ullong signin_locked;
	atomic_ullong cache_hits, cache_misses;
};

struct mc_metrics *mc_metrics_create(const char *const *labels, size_t n)
{
	struct mc_metrics *m;

	if (n == 0 || n > MAX_LABELS || !(m = calloc(1, sizeof(*m))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		m->labels[i] = labels[i];
	m->nlabels = n;
	return m;
}

void mc_metrics_destroy(struct mc_metrics *m)
{
	free(m);
}

void mc_metrics_request(struct mc_metrics *m, size_t label, int status, double seconds)
{
	size_t si = NSTATUS - 1, bi = NBOUND;

	if (!m || label >= m->nlabels)
		return;
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			si = i;
	for (size_t i = 0; i < NBOUND; i++)
		if (seconds <= bounds[i]) {
			bi = i;
			break;
		}
	atomic_fetch_add_explicit(&m->requests[label][si], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->bucket[bi], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->micros, (unsigned long long)(seconds * 1e6),
				  memory_order_relaxed);
}

void mc_metrics_cache(struct mc_metrics *m, bool hit)
{
	if (m)
		atomic_fetch_add_explicit(hit ? &m->cache_hits : &m->cache_misses, 1,
					  memory_order_relaxed);
}

void mc_metrics_signin_locked(struct mc_metrics *m)
{
	if (m)
		atomic_fetch_add_explicit(&m->signin_locked, 1, memory_order_relaxed);
}

void mc_metrics_db_error(struct mc_metrics *m)
{
	if (m)
		atomic_fetch_add_explicit(&m->db_errors, 1, memory_order_relaxed);
}

static enum mc_err render_requests(struct mc_metrics *m, struct mc_buf *out)
{
	enum mc_err err = mc_buf_puts(out, "# HELP motcham_http_requests_total Requests answered, "
					   "by route and status.\n"
					   "# TYPE motcham_http_requests_total counter\n");

	for (size_t r = 0; err == MC_OK && r < m->nlabels; r++)
		for (size_t s = 0; err == MC_OK && s < NSTATUS; s++) {
			unsigned long long n = atomic_load(&m->requests[r][s]);
			char status[8] = "other";

			if (!n)
				continue;
			if (s < NSTATUS - 1)
				snprintf(status, sizeof(status), "%d", statuses[s]);
			err =
			    mc_buf_printf(out,
					  "motcham_http_requests_total{route=\"%s\",status=\"%s\"} "
					  "%llu\n",
					  m->labels[r], status, n);
		}
	return err;
}

static enum mc_err render_latency(struct mc_metrics *m, struct mc_buf *out)
{
	unsigned long long cum = 0;
	enum mc_err err = mc_buf_puts(out, "# HELP motcham_http_request_seconds Time to answer.\n"
					   "# TYPE motcham_http_request_seconds histogram\n");

	for (size_t i = 0; err == MC_OK && i <= NBOUND; i++) {
		cum += atomic_load(&m->bucket[i]);
		if (i < NBOUND)
			err = mc_buf_printf(out,
					    "motcham_http_request_seconds_bucket{le=\"%g\"} %llu\n",
					    bounds[i], cum);
		else
			err =
			    mc_buf_printf(out,
					  "motcham_http_request_seconds_bucket{le=\"+Inf\"} %llu\n"
					  "motcham_http_request_seconds_sum %.6f\n"
					  "motcham_http_request_seconds_count %llu\n",
					  cum, (double)atomic_load(&m->micros) / 1e6, cum);
	}
	return err;
}

enum mc_err mc_metrics_render(struct mc_metrics *m, const struct mc_scans_stats *scans,
			      struct mc_buf *out)
{
	enum mc_err err;

	if ((err = render_requests(m, out)) != MC_OK || (err = render_latency(m, out)) != MC_OK)
		return err;
	err = mc_buf_printf(out,
			    "# HELP motcham_page_cache_total Cacheable answers, from a worker's "
			    "cache or rendered.\n"
			    "# TYPE motcham_page_cache_total counter\n"
			    "motcham_page_cache_total{result=\"hit\"} %llu\n"
			    "motcham_page_cache_total{result=\"miss\"} %llu\n",
			    atomic_load(&m->cache_hits), atomic_load(&m->cache_misses));
	if (err != MC_OK)
		return err;
	err = mc_buf_printf(
	    out,
	    "# HELP motcham_db_errors_total Database errors met while answering.\n"
	    "# TYPE motcham_db_errors_total counter\nmotcham_db_errors_total %llu\n"
	    "# HELP motcham_signin_locked_total Accounts whose sign-in was locked for "
	    "every client, after failures from many.\n"
	    "# TYPE motcham_signin_locked_total counter\n"
	    "motcham_signin_locked_total %llu\n",
	    atomic_load(&m->db_errors), atomic_load(&m->signin_locked));
	if (err != MC_OK || !scans)
		return err;
	return mc_buf_printf(out,
			     "# HELP motcham_scans_queued_total Scans queued for counting.\n"
			     "# TYPE motcham_scans_queued_total counter\n"
			     "motcham_scans_queued_total %llu\n"
			     "# HELP motcham_scans_written_total Scans written to the database.\n"
			     "# TYPE motcham_scans_written_total counter\n"
			     "motcham_scans_written_total %llu\n"
			     "# HELP motcham_scans_dropped_total Scans dropped, queue full.\n"
			     "# TYPE motcham_scans_dropped_total counter\n"
			     "motcham_scans_dropped_total %llu\n"
			     "# HELP motcham_scans_db_errors_total Scan batches that failed.\n"
			     "# TYPE motcham_scans_db_errors_total counter\n"
			     "motcham_scans_db_errors_total %llu\n",
			     scans->queued, scans->written, scans->dropped, scans->db_errors);
}
