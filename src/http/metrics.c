#include "motcham/http/metrics.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "motcham/http/scans.h"

/* The statuses this server answers with; anything else is counted under "other". */
static const int statuses[] = {200, 303, 304, 400, 401, 403, 404, 405,
			       410, 413, 415, 422, 429, 500, 503};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)

static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				0.05,	0.1,   0.25,   0.5,   1.0,  2.5};
#define NBOUND (sizeof(bounds) / sizeof(bounds[0]))

static const char *const route_names[MC_ROUTE_COUNT_] = {
    "home",   "ward",  "procedure", "announcement", "permit", "search",	 "code",    "qr",    "api",
    "assets", "files", "staff",	    "supervise",    "report", "healthz", "metrics", "other",
};

struct mc_metrics {
	atomic_ullong requests[MC_ROUTE_COUNT_][NSTATUS];
	atomic_ullong bucket[NBOUND + 1]; /* the last one is +Inf */
	atomic_ullong micros;		  /* sum of latencies */
	atomic_ullong db_errors;
};

struct mc_metrics *mc_metrics_create(void)
{
	return calloc(1, sizeof(struct mc_metrics));
}

void mc_metrics_destroy(struct mc_metrics *m)
{
	free(m);
}

static bool has_prefix(const char *s, const char *p)
{
	return strncasecmp(s, p, strlen(p)) == 0;
}

enum mc_route mc_metrics_route_of(const char *path)
{
	const char *sub;

	if (!strcmp(path, "/"))
		return MC_ROUTE_HOME;
	if (has_prefix(path, "/qr/"))
		return MC_ROUTE_QR;
	if (has_prefix(path, "/q/") || !strcasecmp(path, "/q"))
		return MC_ROUTE_CODE;
	if (has_prefix(path, "/api/"))
		return MC_ROUTE_API;
	if (has_prefix(path, "/assets/"))
		return MC_ROUTE_ASSETS;
	if (has_prefix(path, "/files/"))
		return MC_ROUTE_FILES;
	if (has_prefix(path, "/staff"))
		return MC_ROUTE_STAFF;
	if (has_prefix(path, "/supervise"))
		return MC_ROUTE_SUPERVISE;
	if (!strcasecmp(path, "/healthz"))
		return MC_ROUTE_HEALTHZ;
	if (!strcasecmp(path, "/metrics"))
		return MC_ROUTE_METRICS;
	if (!has_prefix(path, "/w/"))
		return MC_ROUTE_OTHER;
	sub = strchr(path + 3, '/');
	if (!sub || !sub[1])
		return MC_ROUTE_WARD;
	if (has_prefix(sub, "/procedures/"))
		return MC_ROUTE_PROCEDURE;
	if (has_prefix(sub, "/announcements/"))
		return MC_ROUTE_ANNOUNCEMENT;
	if (has_prefix(sub, "/permits/"))
		return strstr(sub, "/report") ? MC_ROUTE_REPORT : MC_ROUTE_PERMIT;
	if (has_prefix(sub, "/search"))
		return MC_ROUTE_SEARCH;
	return MC_ROUTE_OTHER;
}

const char *mc_metrics_route_name(enum mc_route r)
{
	return r < MC_ROUTE_COUNT_ ? route_names[r] : "other";
}

void mc_metrics_request(struct mc_metrics *m, enum mc_route route, int status, double seconds)
{
	size_t si = NSTATUS - 1, bi = NBOUND;

	if (!m || route >= MC_ROUTE_COUNT_)
		return;
	for (size_t i = 0; i < NSTATUS - 1; i++)
		if (statuses[i] == status)
			si = i;
	for (size_t i = 0; i < NBOUND; i++)
		if (seconds <= bounds[i]) {
			bi = i;
			break;
		}
	atomic_fetch_add_explicit(&m->requests[route][si], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->bucket[bi], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->micros, (unsigned long long)(seconds * 1e6),
				  memory_order_relaxed);
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

	for (int r = 0; err == MC_OK && r < MC_ROUTE_COUNT_; r++)
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
					  route_names[r], status, n);
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
	err =
	    mc_buf_printf(out,
			  "# HELP motcham_db_errors_total Database errors met while answering.\n"
			  "# TYPE motcham_db_errors_total counter\nmotcham_db_errors_total %llu\n",
			  atomic_load(&m->db_errors));
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
