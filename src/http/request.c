/* libmicrohttpd's callbacks. Every request is matched against the route table on its first
 * call, and what happens next (how much body is read, which connection, the cache, the gate,
 * the handler, the metric label) comes from the row it matched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "motcham/http/metrics.h"
#include "motcham/office/office.h"
#include "motcham/office/session.h"
#include "motcham/public/pages.h"
#include "motcham/store/store.h"
#include "motcham/web/request.h"
#include "motcham/web/upload.h"
#include "private.h"

#define MAX_FORM_BODY ((size_t)MC_FORM_MAX_TOTAL + 64 * 1024)
/* The post processor's own buffer, held by every post being read: small, so that a
 * thousand uploads at once hold little memory (what they send goes to disk). */
#define POST_BUFFER (16 * 1024)
/* Past this a refused body is no longer read: the connection is closed instead. */
#define MAX_DISCARD (MAX_FORM_BODY + 4 * 1024 * 1024)

static const char *lookup(const struct mc_request *rq, enum mc_request_kind kind, const char *name)
{
	enum MHD_ValueKind k = kind == MC_REQ_ARG      ? MHD_GET_ARGUMENT_KIND
			       : kind == MC_REQ_COOKIE ? MHD_COOKIE_KIND
						       : MHD_HEADER_KIND;

	return MHD_lookup_connection_value(rq->conn, k, name);
}

/* Runs the row's handler behind its gate: the office checks sign-in and roles. */
static enum mc_err run(struct mc_call *c, const struct mc_route *row)
{
	if (row->gate == MC_GATE_PUBLIC)
		return row->fn(c);
	return mc_office_gate(row->gate, c, row->fn);
}

/* A handler's long work that needs no database (a password's Argon2id) runs with the
 * write lock released: other office rows take their turns on the connection meanwhile. */
static void release_writer(struct mc_call *c, void (*fn)(void *arg), void *arg)
{
	struct mc_http *h = c->site->http;

	pthread_mutex_unlock(&h->writer_lock);
	fn(arg);
	pthread_mutex_lock(&h->writer_lock);
}

/* Rows on the write connection take turns on it, on the write pool's threads (pool.c),
 * holding the lock but while their handler lets go of it (c->release). A failed sign-in's
 * delay (c->r->delay_ms) is the pool's to wait out, after the lock is released: other staff
 * and the public pages carry on. */
enum mc_err request_run_writer(struct mc_http *h, struct mc_call *c, const struct mc_route *row)
{
	enum mc_err err;

	pthread_mutex_lock(&h->writer_lock);
	c->s = h->writer;
	c->release = release_writer;
	err = run(c, row);
	c->release = NULL;
	pthread_mutex_unlock(&h->writer_lock);
	/* What a post wrote shows at once on this server's cached pages (worker.c). */
	if (c->rq->form)
		atomic_fetch_add(&h->writes, 1);
	/* Many clients failing one account's sign-in: worth an alert. */
	if (err == MC_OK && c->r->signin_locked) {
		mc_metrics_signin_locked(h->metrics);
		fprintf(stderr,
			"motcham: an account's sign-in is locked for %d minutes after %d "
			"failures within an hour\n",
			MC_SESSION_LOCK / 60, MC_SESSION_ACCOUNT_FAILURES);
	}
	return err;
}

/* The answer of a job the write pool has done, once libmicrohttpd resumed its connection. */
static enum MHD_Result job_answer(struct mc_http *h, struct MHD_Connection *conn,
				  struct request *req)
{
	struct job *j = &req->job;

	if (!j->done)
		return MHD_YES;
	j->done = false;
	if (j->err != MC_OK) {
		fprintf(stderr, "motcham: %s %s: %s\n", j->method, j->path, mc_strerror(j->err));
		if (j->err == MC_ERR_DB || j->err == MC_ERR_BUSY || j->err == MC_ERR_FULL)
			mc_metrics_db_error(h->metrics);
		return send_error(h, conn, req, send_status_of(j->err));
	}
	return send_page(conn, req, &j->r);
}

/* A cacheable row's GET is the same for everyone until the data or the day changes: the hot
 * path of a scan. Its handler reads no query argument, so one is no reason to render again. */
static bool cacheable(const struct request *req)
{
	return (req->match.route->flags & MC_ROUTE_CACHE) && !req->post;
}

static enum MHD_Result answer(struct mc_http *h, struct MHD_Connection *conn, const char *url,
			      const char *method, struct request *req)
{
	const struct mc_route *row = req->match.route;
	struct mc_request rq = {.method = method,
				.path = url,
				.client = &req->client,
				.https = h->https || req->https,
				.lookup = lookup,
				.conn = conn};
	struct mc_response r;
	struct mc_call c = {.site = &h->site,
			    .rq = &rq,
			    .r = &r,
			    .slug = req->match.has_slug ? req->match.slug : NULL,
			    .id = req->match.id,
			    .arg = req->match.has_arg ? req->match.arg : NULL,
			    .wrong_method = req->match.wrong_method};
	enum MHD_Result ret;
	enum mc_err err = MC_OK;

	if (!row)
		return send_error(h, conn, req, req->match.wrong_method ? 405 : 404);
	if (row->conn == MC_CONN_WRITE) {
		if (!h->site.staff || !h->writer)
			return send_error(h, conn, req, 503);
		/* Answered when the pool resumes the connection (job_answer). */
		if ((err = pool_submit(h, conn, req, url, method)) == MC_OK)
			return MHD_YES;
		return send_error(h, conn, req, send_status_of(err));
	}
	mc_response_init(&r);
	if (cacheable(req)) {
		ret = worker_cached(h, conn, req, &c, &err);
		if (err == MC_OK) {
			mc_response_finish(&r);
			return ret;
		}
	} else {
		if (row->conn == MC_CONN_READ)
			err = worker_store(h, &c.s);
		if (err == MC_OK)
			err = run(&c, row);
	}
	if (err != MC_OK) {
		fprintf(stderr, "motcham: %s %s: %s\n", method, url, mc_strerror(err));
		if (err == MC_ERR_DB || err == MC_ERR_BUSY || err == MC_ERR_FULL)
			mc_metrics_db_error(h->metrics);
		ret = send_error(h, conn, req, send_status_of(err));
	} else if (!assets_send(conn, req, &r, &ret)) {
		worker_count_scan(h, r.code_id, r.scan_miss);
		ret = send_page(conn, req, &r);
	}
	mc_response_finish(&r);
	return ret;
}

static enum MHD_Result on_post_data(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *filename, const char *content_type,
				    const char *transfer_encoding, const char *data, uint64_t off,
				    size_t size)
{
	struct request *req = cls;

	(void)kind;
	(void)transfer_encoding;
	if (req->form_err == MC_OK)
		req->form_err = mc_form_append(&req->form, key, filename, content_type, data,
					       (size_t)off, size);
	return req->form_err == MC_OK ? MHD_YES : MHD_NO;
}

/* True when the request says a body follows: a Content-Length above 0, or chunks. */
static bool has_body(struct MHD_Connection *conn, const char *len)
{
	const char *te =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);

	return (len && strspn(len, "0") != strlen(len)) || te;
}

/* The first call for a request: find its row, refuse what we will not read, set up form
 * parsing. */
static enum MHD_Result start_request(struct mc_http *h, struct MHD_Connection *conn,
				     const char *url, const char *method, void **con_cls)
{
	const char *len;
	struct request *req;
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST);
	size_t max;

	if (!(req = calloc(1, sizeof(*req))))
		return MHD_NO;
	*con_cls = req;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	strncpy(req->method, method, sizeof(req->method) - 1);
	mc_routes_match(method, url, &req->match);
	client_resolve(h, conn, req);
	req->public_answer = req->match.route && req->match.route->gate == MC_GATE_PUBLIC && !post;
	req->label = req->match.route ? h->label_of_row[req->match.index] : h->label_other;
	if (h->access_log)
		snprintf(req->path, sizeof(req->path), "%s", url);
	mc_form_init(&req->form);
	/* Uploads go to disk as they arrive (form.h): a post holds no more than the post
	 * processor's buffer in memory. */
	if (h->site.uploads)
		mc_form_spool(&req->form, h->site.uploads->spool_dir);
	req->post = post;
	if (!post && strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return send_error(h, conn, req, 405);
	len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	/* A body is read only for a row that takes one: anything else is answered now, before
	 * a byte of it is read (libmicrohttpd then closes the connection). */
	if (has_body(conn, len) && !(post && req->match.route && req->match.route->body_max))
		return send_error(h, conn, req,
				  !req->match.route ? (req->match.wrong_method ? 405 : 404)
				  : post	    ? 405
						    : 400);
	max = req->match.route ? req->match.route->body_max : 0;
	/* Over the row's limit: refused. A body far over it is not read at all; one within
	 * reach is read and dropped first, because a reverse proxy that already holds it and
	 * meets a closed connection shows the user 502 instead of this 413. */
	if (post && len && strtoull(len, NULL, 10) > max) {
		if (strtoull(len, NULL, 10) > MAX_DISCARD)
			return send_error(h, conn, req, 413);
		req->refused = 413;
	}
	if (post && !(req->pp = MHD_create_post_processor(conn, POST_BUFFER, on_post_data, req)))
		return send_error(h, conn, req, 415);
	return MHD_YES;
}

enum MHD_Result request_on_request(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **con_cls)
{
	struct mc_http *h = cls;
	struct request *req = *con_cls;
	size_t max;

	(void)version;
	/* Answering on a later call keeps the connection alive (see shared/README). */
	if (!req)
		return start_request(h, conn, url, method, con_cls);
	if (*upload_data_size) {
		/* libmicrohttpd cannot answer while a body is still arriving: remember what was
		 * wrong, read on (up to a hard cap) and answer on the last call. */
		req->body_bytes += *upload_data_size;
		max = req->post && req->match.route ? req->match.route->body_max : 0;
		if (!req->refused && req->body_bytes > max)
			req->refused = 413;
		if (req->post && !req->refused &&
		    MHD_post_process(req->pp, upload_data, *upload_data_size) != MHD_YES)
			req->refused = req->form_err == MC_ERR_TOOBIG ? 413
				       : req->form_err == MC_ERR_FULL || req->form_err == MC_ERR_IO
					   ? 503
					   : 400;
		*upload_data_size = 0;
		return req->body_bytes > MAX_DISCARD ? MHD_NO : MHD_YES;
	}
	if (req->job.queued)
		return job_answer(h, conn, req);
	if (req->refused)
		return send_error(h, conn, req, (int)req->refused);
	return answer(h, conn, url, method, req);
}

/* One line per request in Common Log Format, with a keyed hash of the client in place of
 * its address, and the seconds taken at the end. */
static void log_access(struct mc_http *h, const struct request *req, double seconds)
{
	char key[65], when[32];
	time_t t = time(NULL);
	struct tm tm;

	client_key(h, req, key);
	key[12] = '\0';
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	fprintf(h->access_log, "%s - - [%s] \"%s %s HTTP/1.1\" %u %zu %.6f\n", key, when,
		req->method, req->path, req->status, req->bytes, seconds);
}

void request_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	struct mc_http *h = cls;
	struct request *req = *con_cls;
	struct timespec now;
	double seconds;

	(void)conn;
	(void)toe;
	if (!req)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	seconds = (double)(now.tv_sec - req->start.tv_sec) +
		  (double)(now.tv_nsec - req->start.tv_nsec) / 1e9;
	if (req->status) {
		mc_metrics_request(h->metrics, req->label, (int)req->status, seconds);
		if (h->access_log)
			log_access(h, req, seconds);
	}
	pool_job_finish(&req->job);
	if (req->pp)
		MHD_destroy_post_processor(req->pp);
	mc_form_finish(&req->form);
	free(req);
	*con_cls = NULL;
}
