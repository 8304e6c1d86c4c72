/* The web server. Routing is a short list of path prefixes matched without regard to case:
 * printed codes carry upper-case URLs (QR alphanumeric mode), so /Q/TOKEN and /q/token must
 * land on the same page. */
#include "motcham/http/http.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "motcham/base/auth.h"
#include "motcham/http/cache.h"
#include "motcham/web/form.h"
#include "motcham/http/metrics.h"
#include "motcham/http/scans.h"
#include "motcham/public/pages.h"
#include "motcham/web/request.h"
#include "motcham/office/staff.h"
#include "motcham/store/store.h"

#define MAX_ASSETS 64
#define MAX_ASSET_BYTES (1024 * 1024)
#define MAX_GET_BODY (64 * 1024)
/* Rendered pages a worker keeps: a few hundred pages and every QR image of a ward fit, and
 * the server stays well under 50 MB however large the database. */
#define PAGE_CACHE_MB 6 /* per worker, unless the operator says otherwise */
/* Past this a refused body is no longer read: the connection is closed instead. */
#define MAX_DISCARD ((size_t)MC_FORM_MAX_TOTAL + 4 * 1024 * 1024)

static const char csp[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
			  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

struct asset {
	char name[64];
	const char *type;
	char etag[40];
	struct MHD_Response *resp; /* built once, queued many times */
	size_t size;
};

struct mc_http {
	struct MHD_Daemon *daemon;
	struct mc_pages *pages;
	char *db_path;
	pthread_key_t store_key; /* each worker's read-only connection */
	bool key_made;
	int listen_fd; /* ours to close until the daemon has it */
	struct asset assets[MAX_ASSETS];
	size_t nassets;
	struct mc_staff *staff;
	bool https;
	struct mc_scans *scans;
	struct mc_metrics *metrics;
	FILE *access_log;
	struct in_addr allow[16]; /* who may read /metrics */
	size_t nallow;
	/* The one read-write connection: staff pages and form posts take turns on it. */
	struct mc_store *writer;
	pthread_mutex_t writer_lock;
	bool lock_made;
	char secret[65];	 /* keys client addresses without keeping them */
	size_t page_cache_bytes; /* per worker; 0: no page cache */
};

/* Per-request state, allocated on the first call of the access handler. */
struct request {
	size_t body_bytes;
	bool post;
	struct MHD_PostProcessor *pp;
	struct mc_form form;
	enum mc_err form_err; /* first error met while reading the form */
	unsigned refused;     /* the 4xx to answer once the body has been read, or 0 */
	struct timespec start;
	unsigned status;
	size_t bytes;
	char method[8];
	enum mc_route route;
	char path[200]; /* for the access log; cut when longer */
};

/* A worker thread's own state: its read-only connection and the pages it rendered, valid
 * while the database's content and the ward-local day stay the same. */
struct worker {
	struct mc_store *s;
	struct mc_cache *pages;
	long long data_version;
	long long content_version;
	time_t day_ends;
	struct timespec checked; /* when the database was last asked */
};

/* A rendered answer kept by a worker: the response object is queued again as it is. */
struct cached {
	struct MHD_Response *resp;
	unsigned status;
	size_t len;
	long long code_id;
	int scan_miss;
	char etag[40];
};

static void free_cached(void *p)
{
	struct cached *c = p;

	if (c) {
		MHD_destroy_response(c->resp);
		free(c);
	}
}

static void close_worker(void *p)
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
		if ((err = mc_store_open(h->db_path, MC_STORE_READONLY, &w->s)) != MC_OK ||
		    (h->page_cache_bytes &&
		     !(w->pages = mc_cache_create(4096, h->page_cache_bytes, free_cached))) ||
		    pthread_setspecific(h->store_key, w) != 0) {
			close_worker(w);
			return err != MC_OK ? err : MC_ERR_NOMEM;
		}
	}
	*out = w;
	return MC_OK;
}

static enum mc_err worker_store(struct mc_http *h, struct mc_store **out)
{
	struct worker *w;
	enum mc_err err = worker_of(h, &w);

	*out = err == MC_OK ? w->s : NULL;
	return err;
}

/* Drops the worker's pages when a record changed (another connection's commit that added
 * an audit entry; scan counts alone do not count) or a new ward-local day began (permit
 * verdicts say "today"). PRAGMA data_version is the cheap first check. */
static enum mc_err keep_fresh(struct worker *w)
{
	long long dv, cv;
	time_t now = time(NULL);
	struct timespec t;
	enum mc_err err;

	/* Asking costs a read lock (two fcntl calls); under load ask at most every
	 * millisecond, which no person can outrun after saving an edit. */
	clock_gettime(CLOCK_MONOTONIC, &t);
	if (t.tv_sec == w->checked.tv_sec && t.tv_nsec - w->checked.tv_nsec < 1000000 &&
	    now < w->day_ends)
		return MC_OK;
	w->checked = t;
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
	if (now >= w->day_ends) {
		mc_cache_clear(w->pages);
		/* Ward-local midnight is 17:00 UTC. */
		w->day_ends = (now + 7 * 3600) / 86400 * 86400 + 86400 - 7 * 3600;
	}
	return MC_OK;
}

static const char *type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (!dot)
		return "application/octet-stream";
	if (!strcmp(dot, ".css"))
		return "text/css; charset=utf-8";
	if (!strcmp(dot, ".svg"))
		return "image/svg+xml; charset=utf-8";
	if (!strcmp(dot, ".png"))
		return "image/png";
	if (!strcmp(dot, ".ico"))
		return "image/x-icon";
	if (!strcmp(dot, ".txt"))
		return "text/plain; charset=utf-8";
	return "application/octet-stream";
}

static void hash_etag(const void *data, size_t len, char etag[40])
{
	unsigned char h[12];
	char hex[sizeof(h) * 2 + 1];

	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(etag, 40, "\"%s\"", hex);
}

static void add_common_headers(struct MHD_Response *r, const char *type)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
}

static enum mc_err read_file(const char *path, struct mc_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	enum mc_err err = MC_OK;
	size_t n;

	if (!f)
		return MC_ERR_IO;
	while (err == MC_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > MAX_ASSET_BYTES)
			err = MC_ERR_TOOBIG;
		else
			err = mc_buf_add(out, chunk, n);
	}
	if (err == MC_OK && ferror(f))
		err = MC_ERR_IO;
	fclose(f);
	return err;
}

static enum mc_err load_asset(struct mc_http *h, const char *dir, const char *name,
			      struct mc_buf *errs)
{
	struct asset *a = &h->assets[h->nassets];
	struct mc_buf path, data;
	enum mc_err err;

	mc_buf_init(&path);
	mc_buf_init(&data);
	if ((err = mc_buf_printf(&path, "%s/%s", dir, name)) != MC_OK)
		goto out;
	if ((err = read_file(path.data, &data)) != MC_OK) {
		mc_buf_printf(errs, "cannot read asset %s: %s", path.data, mc_strerror(err));
		goto out;
	}
	/* plain_name() already bounded the length. */
	memcpy(a->name, name, strlen(name) + 1);
	a->type = type_of(name);
	hash_etag(data.data ? data.data : "", data.len, a->etag);
	a->size = data.len;
	a->resp = MHD_create_response_from_buffer(data.len, data.data, MHD_RESPMEM_MUST_COPY);
	if (!a->resp) {
		err = MC_ERR_NOMEM;
		goto out;
	}
	add_common_headers(a->resp, a->type);
	MHD_add_response_header(a->resp, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=86400");
	MHD_add_response_header(a->resp, MHD_HTTP_HEADER_ETAG, a->etag);
	h->nassets++;
out:
	mc_buf_finish(&path);
	mc_buf_finish(&data);
	return err;
}

/* Only plain file names are served: the asset table is the whole namespace, so no path
 * can reach outside it. */
static bool plain_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= sizeof(((struct asset *)0)->name) || name[0] == '.')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") ==
	       n;
}

static enum mc_err load_assets(struct mc_http *h, const char *dir, struct mc_buf *errs)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	enum mc_err err = MC_OK;

	if (!d) {
		mc_buf_printf(errs, "cannot open assets directory %s", dir);
		return MC_ERR_IO;
	}
	while (err == MC_OK && (e = readdir(d)) != NULL) {
		if (!plain_name(e->d_name))
			continue;
		if (h->nassets == MAX_ASSETS) {
			mc_buf_printf(errs, "more than %d files in %s", MAX_ASSETS, dir);
			err = MC_ERR_TOOBIG;
			break;
		}
		err = load_asset(h, dir, e->d_name, errs);
	}
	closedir(d);
	return err;
}

static const struct asset *find_asset(const struct mc_http *h, const char *name)
{
	if (!plain_name(name))
		return NULL;
	for (size_t i = 0; i < h->nassets; i++)
		if (!strcmp(h->assets[i].name, name))
			return &h->assets[i];
	return NULL;
}

/* Matches prefix p without regard to ASCII case; *rest points past it. */
static bool prefix(const char *url, const char *p, const char **rest)
{
	size_t n = strlen(p);

	if (strncasecmp(url, p, n) != 0)
		return false;
	*rest = url + n;
	return true;
}

/* Parses a positive decimal id of at most 18 digits that makes up the whole of s. */
static bool parse_id(const char *s, long long *id)
{
	size_t n = strspn(s, "0123456789");

	if (n == 0 || n > 18 || s[n] != '\0')
		return false;
	*id = strtoll(s, NULL, 10);
	return *id > 0;
}

/* /w/SLUG[/procedures/ID | /announcements/ID | /permits/ID | /search] */
static enum mc_err route_ward(struct mc_http *h, struct mc_store *s, struct MHD_Connection *conn,
			      const char *rest, struct mc_response *r)
{
	char slug[65];
	const char *sub, *tail;
	size_t n = strcspn(rest, "/");
	long long id;

	if (n == 0 || n >= sizeof(slug))
		return mc_pages_error(h->pages, 404, r);
	for (size_t i = 0; i < n; i++)
		slug[i] = (rest[i] >= 'A' && rest[i] <= 'Z') ? (char)(rest[i] + 32) : rest[i];
	slug[n] = '\0';
	sub = rest + n;
	if (*sub == '\0' || !strcmp(sub, "/"))
		return mc_pages_ward(h->pages, s, slug, r);
	if (!strcasecmp(sub, "/search"))
		return mc_pages_search(
		    h->pages, s, slug,
		    MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "q"), r);
	if (prefix(sub, "/procedures/", &tail) && parse_id(tail, &id))
		return mc_pages_procedure(h->pages, s, slug, id, r);
	if (prefix(sub, "/announcements/", &tail) && parse_id(tail, &id))
		return mc_pages_announcement(h->pages, s, slug, id, r);
	if (prefix(sub, "/permits/", &tail) && parse_id(tail, &id))
		return mc_pages_permit(h->pages, s, slug, id, r);
	return mc_pages_error(h->pages, 404, r);
}

/* /qr/TOKEN.png or /qr/TOKEN.svg */
static enum mc_err route_qr(struct mc_http *h, struct mc_store *s, const char *rest,
			    struct mc_response *r)
{
	char token[MC_TOKEN_INPUT_MAX + 1];
	const char *dot = strrchr(rest, '.');
	size_t n;

	if (!dot || (strcasecmp(dot, ".png") && strcasecmp(dot, ".svg")))
		return mc_pages_error(h->pages, 404, r);
	n = (size_t)(dot - rest);
	if (n == 0 || n > MC_TOKEN_INPUT_MAX)
		return mc_pages_error(h->pages, 404, r);
	memcpy(token, rest, n);
	token[n] = '\0';
	return mc_pages_qr_image(h->pages, s, token, strcasecmp(dot, ".png") ? "svg" : "png", r);
}

static enum mc_err route(struct mc_http *h, struct MHD_Connection *conn, const char *url,
			 struct mc_response *r)
{
	struct mc_store *s = NULL;
	const char *rest, *t;
	enum mc_err err;

	if ((err = worker_store(h, &s)) != MC_OK)
		return err;
	if (!strcmp(url, "/"))
		return mc_pages_home(h->pages, s, r);
	if (!strcasecmp(url, "/healthz")) {
		int n;

		if ((err = mc_store_ward_count(s, &n)) != MC_OK)
			return err;
		r->status = 200;
		r->content_type = "text/plain; charset=utf-8";
		return mc_buf_puts(&r->body, "ok\n");
	}
	if (!strcasecmp(url, "/q") || !strcasecmp(url, "/q/")) {
		t = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "t");
		return t ? mc_pages_code(h->pages, s, t, r) : mc_pages_error(h->pages, 404, r);
	}
	if (prefix(url, "/q/", &rest))
		return mc_pages_code(h->pages, s, rest, r);
	if (prefix(url, "/qr/", &rest))
		return route_qr(h, s, rest, r);
	if (prefix(url, "/api/v1/codes/", &rest))
		return mc_pages_api_code(h->pages, s, rest, r);
	if (prefix(url, "/w/", &rest))
		return route_ward(h, s, conn, rest, r);
	return mc_pages_error(h->pages, 404, r);
}

static bool etag_matches(struct MHD_Connection *conn, const char *etag)
{
	const char *inm;

	if (!etag[0])
		return false;
	inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	return inm && strstr(inm, etag) != NULL;
}

/* Remembers what was answered, for the metrics and the access log. */
static void note(struct request *req, unsigned status, size_t bytes)
{
	if (req) {
		req->status = status;
		req->bytes = bytes;
	}
}

/* Builds the response for r, taking its body. NULL when out of memory. */
static struct MHD_Response *build(struct mc_response *r)
{
	struct MHD_Response *resp;
	size_t len = r->body.len;
	char *body = len ? mc_buf_steal(&r->body) : NULL;

	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return NULL;
	}
	add_common_headers(resp, r->content_type ? r->content_type : "text/html; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				r->cache ? r->cache : "no-cache");
	if (r->etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, r->etag);
	if (r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->cookie);
	if (r->disposition[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, r->disposition);
	return resp;
}

static enum MHD_Result send_page(struct MHD_Connection *conn, struct request *req,
				 struct mc_response *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = (unsigned)r->status;

	if (status == 200 && etag_matches(conn, r->etag)) {
		status = MHD_HTTP_NOT_MODIFIED;
		mc_buf_reset(&r->body);
	}
	note(req, status, r->body.len);
	if (!(resp = build(r)))
		return MHD_NO;
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Counts a scan, whether the answer was just rendered or came from the cache. */
static void count_scan(struct mc_http *h, long long code_id, int miss)
{
	if (h->scans && code_id)
		mc_scans_hit(h->scans, code_id);
	else if (h->scans && miss)
		mc_scans_miss(h->scans, miss == 2 ? MC_SCAN_MISTYPED : MC_SCAN_UNKNOWN);
}

static enum MHD_Result send_cached(struct mc_http *h, struct MHD_Connection *conn,
				   struct request *req, const struct cached *c)
{
	count_scan(h, c->code_id, c->scan_miss);
	if (c->status == 200 && etag_matches(conn, c->etag)) {
		struct mc_response r;
		enum MHD_Result ret;

		mc_response_init(&r);
		r.status = 200;
		snprintf(r.etag, sizeof(r.etag), "%s", c->etag);
		ret = send_page(conn, req, &r);
		mc_response_finish(&r);
		return ret;
	}
	note(req, c->status, c->len);
	return MHD_queue_response(conn, c->status, c->resp);
}

/* Public GET pages without a query string are the same for everyone until the data or the
 * day changes: the hot path of a scan. */
static bool cacheable(const struct request *req, struct MHD_Connection *conn, const char *url)
{
	switch (req->route) {
	case MC_ROUTE_HOME:
	case MC_ROUTE_WARD:
	case MC_ROUTE_PROCEDURE:
	case MC_ROUTE_ANNOUNCEMENT:
	case MC_ROUTE_PERMIT:
	case MC_ROUTE_CODE:
	case MC_ROUTE_QR:
	case MC_ROUTE_API:
		break;
	default:
		return false;
	}
	return !req->post && strlen(url) < 256 &&
	       MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, NULL, NULL) == 0;
}

/* Renders a public page through the worker's cache. */
static enum MHD_Result answer_public(struct mc_http *h, struct MHD_Connection *conn,
				     struct request *req, const char *url, struct mc_response *r,
				     enum mc_err *err)
{
	struct cached *c;
	struct worker *w;

	if ((*err = worker_of(h, &w)) != MC_OK || (*err = keep_fresh(w)) != MC_OK)
		return MHD_NO;
	if (w->pages && (c = mc_cache_get(w->pages, url)))
		return send_cached(h, conn, req, c);
	/* One read transaction for the whole page: its several queries see one snapshot and
	 * take the file locks once. */
	if ((*err = mc_store_read_begin(w->s)) != MC_OK)
		return MHD_NO;
	*err = route(h, conn, url, r);
	mc_store_read_end(w->s);
	if (*err != MC_OK)
		return MHD_NO;
	if (r->status != 200 && r->status != 404 && r->status != 410)
		return send_page(conn, req, r);
	if (!w->pages) {
		count_scan(h, r->code_id, r->scan_miss);
		return send_page(conn, req, r);
	}
	if (!(c = calloc(1, sizeof(*c)))) {
		*err = MC_ERR_NOMEM;
		return MHD_NO;
	}
	*c = (struct cached){.status = (unsigned)r->status,
			     .len = r->body.len,
			     .code_id = r->code_id,
			     .scan_miss = r->scan_miss};
	snprintf(c->etag, sizeof(c->etag), "%s", r->etag);
	if (!(c->resp = build(r)) || mc_cache_put(w->pages, url, c, c->len + 512) != MC_OK) {
		if (!c->resp)
			free(c);
		*err = MC_ERR_NOMEM;
		return MHD_NO;
	}
	return send_cached(h, conn, req, c);
}

static enum MHD_Result send_asset(struct MHD_Connection *conn, struct request *req,
				  const struct asset *a)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!etag_matches(conn, a->etag)) {
		note(req, MHD_HTTP_OK, a->size);
		return MHD_queue_response(conn, MHD_HTTP_OK, a->resp);
	}
	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "public, max-age=86400");
	note(req, MHD_HTTP_NOT_MODIFIED, 0);
	ret = MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Answers with an error page for status (falls back to a bare response). */
static enum MHD_Result send_error(struct mc_http *h, struct MHD_Connection *conn,
				  struct request *req, int status)
{
	struct mc_response r;
	enum MHD_Result ret;

	mc_response_init(&r);
	if (mc_pages_error(h->pages, status, &r) != MC_OK) {
		mc_buf_reset(&r.body);
		r.status = status;
		r.content_type = "text/plain; charset=utf-8";
	}
	ret = send_page(conn, req, &r);
	mc_response_finish(&r);
	return ret;
}

static int status_of(enum mc_err err)
{
	switch (err) {
	case MC_ERR_INVALID:
	case MC_ERR_CHECK:
		return 400;
	case MC_ERR_NOTFOUND:
		return 404;
	case MC_ERR_TOOBIG:
		return 413;
	case MC_ERR_BUSY:
	case MC_ERR_FULL:
	case MC_ERR_IO:
		return 503;
	default:
		return 500;
	}
}

/* True when the client's IPv4 address is in the --metrics-allow list. */
static bool metrics_allowed(struct mc_http *h, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	struct in_addr a;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return false;
	a = ((const struct sockaddr_in *)ci->client_addr)->sin_addr;
	for (size_t i = 0; i < h->nallow; i++)
		if (h->allow[i].s_addr == a.s_addr)
			return true;
	return false;
}

static enum mc_err metrics_page(struct mc_http *h, struct MHD_Connection *conn,
				struct mc_response *r)
{
	struct mc_scans_stats st;

	if (!metrics_allowed(h, conn))
		return mc_pages_error(h->pages, 403, r);
	if (h->scans)
		mc_scans_stats(h->scans, &st);
	r->status = 200;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	return mc_metrics_render(h->metrics, h->scans ? &st : NULL, &r->body);
}

static const char *lookup(const struct mc_request *rq, enum mc_request_kind kind, const char *name)
{
	enum MHD_ValueKind k = kind == MC_REQ_ARG      ? MHD_GET_ARGUMENT_KIND
			       : kind == MC_REQ_COOKIE ? MHD_COOKIE_KIND
						       : MHD_HEADER_KIND;

	return MHD_lookup_connection_value(rq->conn, k, name);
}

/* A keyed hash of the client's address: enough to rate-limit a client, useless to anyone
 * who copies the database. */
static void client_key(struct mc_http *h, struct MHD_Connection *conn, char out[65])
{
	const union MHD_ConnectionInfo *ci;
	char addr[INET6_ADDRSTRLEN + 1] = "?";
	struct mc_buf b;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr,
			  sizeof(addr));
	else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr,
			  addr, sizeof(addr));
	mc_buf_init(&b);
	if (mc_buf_printf(&b, "%s|%s", h->secret, addr) == MC_OK)
		mc_auth_sha256_hex(b.data, b.len, out);
	else
		snprintf(out, 65, "%s", "unknown");
	mc_buf_finish(&b);
}

/* True for the paths answered on the write connection: the staff side and the resident's
 * report form. For a report, slug and id are set. */
static bool writer_path(const char *url, char slug[65], long long *id)
{
	const char *rest, *sub;
	size_t n;

	if ((!strncasecmp(url, "/staff", 6) && (url[6] == '\0' || url[6] == '/')) ||
	    (!strncasecmp(url, "/supervise", 10) && (url[10] == '\0' || url[10] == '/')))
		return true;
	if (!prefix(url, "/w/", &rest))
		return false;
	n = strcspn(rest, "/");
	if (n == 0 || n >= 65 || !prefix(rest + n, "/permits/", &sub))
		return false;
	memcpy(slug, rest, n);
	slug[n] = '\0';
	*id = strtoll(sub, (char **)&rest, 10);
	return *id > 0 && !strcasecmp(rest, "/report");
}

static enum mc_err route_writer(struct mc_http *h, const struct mc_request *rq, const char *slug,
				long long id, struct mc_response *r)
{
	enum mc_err err;

	if (!h->staff || !h->writer)
		return mc_pages_error(h->pages, 503, r);
	pthread_mutex_lock(&h->writer_lock);
	if (id)
		err = mc_staff_report(h->staff, h->writer, rq, slug, id, r);
	else
		err = mc_staff_handle(h->staff, h->writer, rq, r);
	pthread_mutex_unlock(&h->writer_lock);
	/* A failed sign-in is answered late, but without holding the database: other staff
	 * and the public pages carry on. */
	if (r->delay_ms) {
		struct timespec ts = {r->delay_ms / 1000, (long)(r->delay_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
	return err;
}

static enum MHD_Result answer(struct mc_http *h, struct MHD_Connection *conn, const char *url,
			      const char *method, struct request *req)
{
	struct mc_request rq = {
	    .method = method, .path = url, .https = h->https, .lookup = lookup, .conn = conn};
	struct mc_store *s = NULL;
	struct mc_response r;
	const struct asset *a;
	const char *rest;
	char slug[65], key[65];
	long long id = 0;
	enum MHD_Result ret;
	enum mc_err err;

	if (!req->post && prefix(url, "/assets/", &rest)) {
		a = find_asset(h, rest);
		return a ? send_asset(conn, req, a) : send_error(h, conn, req, 404);
	}
	mc_response_init(&r);
	if (writer_path(url, slug, &id)) {
		client_key(h, conn, key);
		rq.client_key = key;
		rq.form = req->post ? &req->form : NULL;
		err = route_writer(h, &rq, slug, id, &r);
	} else if (req->post) {
		err = mc_pages_error(h->pages, 405, &r);
	} else if (req->route == MC_ROUTE_METRICS) {
		err = metrics_page(h, conn, &r);
	} else if (prefix(url, "/files/", &rest)) {
		err = worker_store(h, &s);
		if (err == MC_OK)
			err = h->staff ? mc_staff_public_file(h->staff, s, &rq, rest, &r)
				       : mc_pages_error(h->pages, 404, &r);
	} else if (cacheable(req, conn, url)) {
		ret = answer_public(h, conn, req, url, &r, &err);
		if (err == MC_OK) {
			mc_response_finish(&r);
			return ret;
		}
	} else {
		err = route(h, conn, url, &r);
	}
	if (err != MC_OK) {
		fprintf(stderr, "motcham: %s %s: %s\n", method, url, mc_strerror(err));
		if (err == MC_ERR_DB || err == MC_ERR_BUSY || err == MC_ERR_FULL)
			mc_metrics_db_error(h->metrics);
		ret = send_error(h, conn, req, status_of(err));
	} else {
		count_scan(h, r.code_id, r.scan_miss);
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

/* The first call for a request: refuse what we will not read, set up form parsing. */
static enum MHD_Result start_request(struct mc_http *h, struct MHD_Connection *conn,
				     const char *url, const char *method, void **con_cls)
{
	const char *len;
	struct request *req;
	bool post = !strcmp(method, MHD_HTTP_METHOD_POST);

	if (!(req = calloc(1, sizeof(*req))))
		return MHD_NO;
	*con_cls = req;
	clock_gettime(CLOCK_MONOTONIC, &req->start);
	strncpy(req->method, method, sizeof(req->method) - 1);
	req->route = mc_metrics_route_of(url);
	if (h->access_log)
		snprintf(req->path, sizeof(req->path), "%s", url);
	mc_form_init(&req->form);
	req->post = post;
	if (!post && strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return send_error(h, conn, req, 405);
	len = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (post && len && strtoull(len, NULL, 10) > MC_FORM_MAX_TOTAL + 64 * 1024)
		return send_error(h, conn, req, 413);
	if (post && !(req->pp = MHD_create_post_processor(conn, 64 * 1024, on_post_data, req)))
		return send_error(h, conn, req, 415);
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct mc_http *h = cls;
	struct request *req = *con_cls;

	(void)version;
	/* Answering on a later call keeps the connection alive (see shared/README). */
	if (!req)
		return start_request(h, conn, url, method, con_cls);
	if (*upload_data_size) {
		/* libmicrohttpd cannot answer while a body is still arriving: remember what was
		 * wrong, read on (up to a hard cap) and answer on the last call. */
		req->body_bytes += *upload_data_size;
		if (req->post && !req->refused &&
		    MHD_post_process(req->pp, upload_data, *upload_data_size) != MHD_YES)
			req->refused = req->form_err == MC_ERR_TOOBIG ? 413 : 400;
		if (!req->post && !req->refused && req->body_bytes > MAX_GET_BODY)
			req->refused = 413;
		*upload_data_size = 0;
		return req->body_bytes > MAX_DISCARD ? MHD_NO : MHD_YES;
	}
	if (req->refused)
		return send_error(h, conn, req, (int)req->refused);
	return answer(h, conn, url, method, req);
}

/* One line per request in Common Log Format, with a keyed hash of the client in place of
 * its address, and the seconds taken at the end. */
static void log_access(struct mc_http *h, struct MHD_Connection *conn, const struct request *req,
		       double seconds)
{
	char key[65], when[32];
	time_t t = time(NULL);
	struct tm tm;

	client_key(h, conn, key);
	key[12] = '\0';
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	fprintf(h->access_log, "%s - - [%s] \"%s %s HTTP/1.1\" %u %zu %.6f\n", key, when,
		req->method, req->path, req->status, req->bytes, seconds);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct mc_http *h = cls;
	struct request *req = *con_cls;
	struct timespec now;
	double seconds;

	(void)toe;
	if (!req)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	seconds = (double)(now.tv_sec - req->start.tv_sec) +
		  (double)(now.tv_nsec - req->start.tv_nsec) / 1e9;
	if (req->status) {
		mc_metrics_request(h->metrics, req->route, (int)req->status, seconds);
		if (h->access_log)
			log_access(h, conn, req, seconds);
	}
	if (req->pp)
		MHD_destroy_post_processor(req->pp);
	mc_form_finish(&req->form);
	free(req);
	*con_cls = NULL;
}

enum mc_err mc_http_listen(const char *host, uint16_t port, int *fd, uint16_t *bound,
			   struct mc_buf *errs)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t len = sizeof(addr);
	int one = 1, s;

	*fd = -1;
	if (!host || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		mc_buf_printf(errs, "--bind %s is not an IPv4 address", host ? host : "(none)");
		return MC_ERR_INVALID;
	}
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return MC_ERR_IO;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (const struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(s, 1024) != 0 ||
	    getsockname(s, (struct sockaddr *)&addr, &len) != 0) {
		mc_buf_printf(errs, "cannot listen on %s:%u: %s", host, (unsigned)port,
			      strerror(errno));
		close(s);
		return MC_ERR_IO;
	}
	*fd = s;
	*bound = ntohs(addr.sin_port);
	return MC_OK;
}

static enum mc_err start_daemon(struct mc_http *h, const struct mc_http_config *cfg,
				struct mc_buf *errs)
{
	unsigned threads = cfg->threads;
	long cores;

	if (!threads) {
		cores = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cores > 0 && cores < 64 ? (unsigned)cores : 2;
	}
	h->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ERROR_LOG, 0,
	    NULL, NULL, on_request, h, MHD_OPTION_LISTEN_SOCKET, cfg->listen_fd,
	    MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_STRICT_FOR_CLIENT, 1,
	    MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_CONNECTION_TIMEOUT, 15u,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16 * 1024, MHD_OPTION_NOTIFY_COMPLETED,
	    on_completed, h, MHD_OPTION_END);
	if (!h->daemon) {
		mc_buf_printf(errs, "cannot start the HTTP server");
		return MC_ERR_IO;
	}
	h->listen_fd = -1; /* MHD closes it from now on */
	return MC_OK;
}

/* "127.0.0.1,10.0.0.5": the addresses that may read /metrics (none when NULL). */
static enum mc_err parse_allow(struct mc_http *h, const char *list, struct mc_buf *errs)
{
	char one[INET_ADDRSTRLEN];

	while (list && *list) {
		size_t n = strcspn(list, ",");

		if (n == 0 || n >= sizeof(one) ||
		    h->nallow == sizeof(h->allow) / sizeof(h->allow[0]))
			goto bad;
		memcpy(one, list, n);
		one[n] = '\0';
		if (inet_pton(AF_INET, one, &h->allow[h->nallow]) != 1)
			goto bad;
		h->nallow++;
		list += n + (list[n] == ',');
	}
	return MC_OK;
bad:
	mc_buf_printf(errs, "--metrics-allow wants up to 16 IPv4 addresses separated by commas");
	return MC_ERR_INVALID;
}

static enum mc_err open_writer(struct mc_http *h, struct mc_buf *errs)
{
	enum mc_err err;

	if ((err = mc_store_open(h->db_path, 0, &h->writer)) != MC_OK ||
	    (err = mc_store_secret(h->writer, h->secret)) != MC_OK) {
		mc_buf_printf(errs, "cannot open %s for writing: %s", h->db_path, mc_strerror(err));
		return err;
	}
	return MC_OK;
}

enum mc_err mc_http_start(const struct mc_http_config *cfg, struct mc_http **out,
			  struct mc_buf *errs)
{
	struct mc_http *h;
	enum mc_err err;

	*out = NULL;
	if (sodium_init() < 0)
		return MC_ERR_INTERNAL;
	if (!(h = calloc(1, sizeof(*h)))) {
		close(cfg->listen_fd);
		return MC_ERR_NOMEM;
	}
	h->listen_fd = cfg->listen_fd;
	h->pages = cfg->pages;
	if (!(h->db_path = strdup(cfg->db_path))) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	if (pthread_key_create(&h->store_key, close_worker) != 0) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	h->key_made = true;
	if (pthread_mutex_init(&h->writer_lock, NULL) != 0) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	h->lock_made = true;
	h->staff = cfg->staff;
	h->https = cfg->https;
	h->scans = cfg->scans;
	h->access_log = cfg->access_log;
	h->page_cache_bytes =
	    cfg->page_cache_mb < 0
		? 0
		: (size_t)(cfg->page_cache_mb ? cfg->page_cache_mb : PAGE_CACHE_MB) << 20;
	if (!(h->metrics = mc_metrics_create())) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	if ((err = parse_allow(h, cfg->metrics_allow, errs)) != MC_OK)
		goto fail;
	if ((err = open_writer(h, errs)) != MC_OK)
		goto fail;
	if ((err = load_assets(h, cfg->assets_dir, errs)) != MC_OK)
		goto fail;
	if ((err = start_daemon(h, cfg, errs)) != MC_OK)
		goto fail;
	*out = h;
	return MC_OK;
fail:
	mc_http_destroy(h);
	return err;
}

void mc_http_destroy(struct mc_http *h)
{
	if (!h)
		return;
	/* Worker threads exit here, and the key's destructor closes their connections. */
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	if (h->key_made)
		pthread_key_delete(h->store_key);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	mc_store_destroy(h->writer);
	mc_metrics_destroy(h->metrics);
	if (h->lock_made)
		pthread_mutex_destroy(&h->writer_lock);
	for (size_t i = 0; i < h->nassets; i++)
		MHD_destroy_response(h->assets[i].resp);
	free(h->db_path);
	free(h);
}
