/* Each worker thread's own state: its read-only connection and the pages it rendered, kept
 * until a record changes or the ward-local day turns. A scan that a whole street repeats is
 * answered from memory; a first scan renders the page inside one read transaction. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/http/cache.h"
#include "motcham/http/metrics.h"
#include "motcham/http/scans.h"
#include "motcham/store/store.h"
#include "motcham/base/token.h"
#include "private.h"

#define KEY_MAX (MC_ROUTE_SLUG_MAX + 2 * MC_ROUTE_ARG_MAX + 64)

/* A worker thread's own state: its read-only connection and the pages it rendered, valid
 * while the database's content and the ward-local day stay the same. */
struct worker {
	struct mc_store *s;
	struct mc_cache *pages;
	long long data_version;
	long long content_version;
	time_t day_ends;
	struct timespec checked; /* when the database was last asked */
	unsigned long writes;	 /* this server's writes seen (mc_http.writes) */
};

/* A rendered answer kept by a worker: the response object is queued again as it is. */
struct cached {
	struct MHD_Response *resp;
	struct MHD_Response *resp_gz; /* compressed once, when cached; NULL if not worth it */
	bool vary;
	unsigned status;
	size_t len, len_gz;
	long long code_id;
	int scan_miss;
	const char *referrer; /* its Referrer-Policy, which a 304 must repeat (NULL: default) */
	char etag[40];
};

static void free_cached(void *p)
{
	struct cached *c = p;

	if (c) {
		if (c->resp)
			MHD_destroy_response(c->resp);
		if (c->resp_gz)
			MHD_destroy_response(c->resp_gz);
		free(c);
	}
}

void worker_close(void *p)
{
	struct worker *w = p;

	if (w) {
		mc_cache_destroy(w->pages);
		mc_store_destroy(w->s);
		free(w);
	}
}

/* The calling worker's state, made on first use. */
static enum mc_err worker_of(struct mc_http *h, struct worker **out)
{
	struct worker *w = pthread_getspecific(h->store_key);
	enum mc_err err;

	if (!w) {
		if (!(w = calloc(1, sizeof(*w))))
			return MC_ERR_NOMEM;
		w->data_version = w->content_version = -1;
		if ((err = mc_store_open(h->db_read_path, MC_STORE_READONLY, &w->s)) != MC_OK ||
		    (h->page_cache_bytes &&
		     !(w->pages = mc_cache_create(4096, h->page_cache_bytes, free_cached))) ||
		    pthread_setspecific(h->store_key, w) != 0) {
			worker_close(w);
			return err != MC_OK ? err : MC_ERR_NOMEM;
		}
	}
	*out = w;
	return MC_OK;
}

enum mc_err worker_store(struct mc_http *h, struct mc_store **out)
{
	struct worker *w;
	enum mc_err err = worker_of(h, &w);

	*out = err == MC_OK ? w->s : NULL;
	return err;
}

/* Drops the worker's pages when a record changed (another connection's commit that added
 * an audit entry; scan counts alone do not count) or a new ward-local day began (permit
 * verdicts say "today"). mc_store_data_version is the cheap first check. */
static enum mc_err keep_fresh(struct mc_http *h, struct worker *w)
{
	unsigned long writes = atomic_load(&h->writes);
	long poll_ns = (long)mc_store_poll_ms(w->s) * 1000000L;
	long long dv, cv;
	time_t now = time(NULL);
	struct timespec t;
	long since;
	enum mc_err err;

	if (now >= w->day_ends) {
		mc_cache_clear(w->pages);
		/* Ward-local midnight is 17:00 UTC. */
		w->day_ends = (now + 7 * 3600) / 86400 * 86400 + 86400 - 7 * 3600;
	}
	/* Asking costs a read lock (SQLite: two fcntl calls), a look at the socket (PostgreSQL,
	 * which tells of commits) or, on a hot standby, a round trip: under load ask at most
	 * every poll_ns (1 ms, every request, 100 ms), which no person can outrun after saving
	 * an edit on another node; a write made through this server is looked for at once. */
	clock_gettime(CLOCK_MONOTONIC, &t);
	since =
	    (long)(t.tv_sec - w->checked.tv_sec) * 1000000000L + (t.tv_nsec - w->checked.tv_nsec);
	if (since >= 0 && since < poll_ns && writes == w->writes)
		return MC_OK;
	w->checked = t;
	w->writes = writes;
	if ((err = mc_store_data_version(w->s, &dv)) != MC_OK)
		return err;
	if (dv != w->data_version) {
		if ((err = mc_store_content_version(w->s, &cv)) != MC_OK)
			return err;
		w->data_version = dv;
		if (cv != w->content_version) {
			mc_cache_clear(w->pages);
			w->content_version = cv;
		}
	}
	return MC_OK;
}

/* Counts a scan, whether the answer was just rendered or came from the cache. */
void worker_count_scan(struct mc_http *h, long long code_id, int miss)
{
	if (h->scans && code_id)
		mc_scans_hit(h->scans, code_id);
	else if (h->scans && miss)
		mc_scans_miss(h->scans, miss == 2 ? MC_SCAN_MISTYPED : MC_SCAN_UNKNOWN);
}

static enum MHD_Result send_cached(struct mc_http *h, struct MHD_Connection *conn,
				   struct request *req, const struct cached *c)
{
	worker_count_scan(h, c->code_id, c->scan_miss);
	if (c->status == 200 && send_etag_matches(conn, c->etag)) {
		struct mc_response r;
		enum MHD_Result ret;

		mc_response_init(&r);
		r.status = 200;
		r.vary = c->vary;
		/* A browser takes the headers of a 304 for the page it keeps. */
		r.referrer = c->referrer;
		snprintf(r.etag, sizeof(r.etag), "%s", c->etag);
		ret = send_page(conn, req, &r);
		mc_response_finish(&r);
		return ret;
	}
	if (c->resp_gz && gzip_accepted(conn)) {
		send_note(req, c->status, c->len_gz);
		return MHD_queue_response(conn, c->status, c->resp_gz);
	}
	send_note(req, c->status, c->len);
	return MHD_queue_response(conn, c->status, c->resp);
}

/* Builds the plain answer and, when it is worth it, the compressed one: compressed once here,
 * not on every request. */
static enum mc_err cache_both(struct cached *c, struct mc_response *r, bool https)
{
	struct mc_buf gz;
	enum mc_err err = MC_OK;

	mc_buf_init(&gz);
	if (c->vary && gzip_body(r->body.data, r->body.len, &gz) == MC_OK) {
		c->len_gz = gz.len;
		if (!(c->resp_gz = send_build_gzip(r, &gz, https)))
			err = MC_ERR_NOMEM;
	}
	mc_buf_finish(&gz);
	if (err == MC_OK && !(c->resp = send_build(r, https)))
		err = MC_ERR_NOMEM;
	return err;
}

/* The cache key of an answer: its row and the path's variables as the page will read them
 * (a slug lower-cased, a token in its canonical form), so that /Q/ABC, /q/abc and /q/A-B-C
 * share one entry and no spelling of a path, nor a query string, can push the others out.
 * An answer over HTTPS carries Strict-Transport-Security: it is kept apart. */
static bool cache_key(const struct request *req, char key[KEY_MAX])
{
	const struct mc_route_match *m = &req->match;
	char token[MC_TOKEN_LEN + 1];
	const char *arg = m->has_arg ? m->arg : "";

	if (m->has_arg && mc_token_normalize(m->arg, strlen(m->arg), token) == MC_OK)
		arg = token;
	/* A catch-all's handler reads the rest of the path itself: it is part of the key. */
	if (m->rest_too_long)
		return false;
	snprintf(key, KEY_MAX, "%c%zu|%s|%lld|%s|%s", req->https ? 's' : 'p', m->index,
		 m->has_slug ? m->slug : "", (long long)m->id, arg, m->rest);
	return true;
}

enum MHD_Result worker_cached(struct mc_http *h, struct MHD_Connection *conn, struct request *req,
			      struct mc_call *call, enum mc_err *err)
{
	struct mc_response *r = call->r;
	struct cached *c;
	struct worker *w;
	char key[KEY_MAX];
	enum mc_err fresh;
	bool cacheable;

	if ((*err = worker_of(h, &w)) != MC_OK)
		return MHD_NO;
	/* Without the database (stopped, unreachable: the check fails) the pages kept are
	 * still the best answer there is: a notice on a wall goes on answering. */
	fresh = keep_fresh(h, w);
	cacheable = cache_key(req, key);
	if (w->pages && cacheable && (c = mc_cache_get(w->pages, key))) {
		mc_metrics_cache(h->metrics, true);
		return send_cached(h, conn, req, c);
	}
	mc_metrics_cache(h->metrics, false);
	if ((*err = fresh) != MC_OK)
		return MHD_NO;
	/* One read transaction for the whole page: its several queries see one snapshot and
	 * take the file locks once. */
	if ((*err = mc_store_read_begin(w->s)) != MC_OK)
		return MHD_NO;
	call->s = w->s;
	*err = req->match.route->fn(call);
	mc_store_read_end(w->s);
	if (*err != MC_OK)
		return MHD_NO;
	/* Only what is worth keeping: a 404 for a code nobody printed would let random paths
	 * push the real pages out. */
	if (!w->pages || !cacheable || (r->status != 200 && r->status != 410)) {
		worker_count_scan(h, r->code_id, r->scan_miss);
		return send_page(conn, req, r);
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		*err = MC_ERR_NOMEM;
		return MHD_NO;
	}
	send_auto_etag(r);
	r->vary = gzip_worth(r->content_type, r->body.len);
	*c = (struct cached){.status = (unsigned)r->status,
			     .len = r->body.len,
			     .code_id = r->code_id,
			     .scan_miss = r->scan_miss,
			     .referrer = r->referrer,
			     .vary = r->vary};
	snprintf(c->etag, sizeof(c->etag), "%s", r->etag);
	*err = cache_both(c, r, req->https);
	if (*err != MC_OK ||
	    (*err = mc_cache_put(w->pages, key, c, c->len + c->len_gz + 512)) != MC_OK) {
		free_cached(c);
		return MHD_NO;
	}
	return send_cached(h, conn, req, c);
}
