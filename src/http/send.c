/* Turning a handler's mc_response into an HTTP response: the headers every answer carries,
 * conditional requests, and the error pages the server sends itself. */
#include <stdlib.h>
#include <string.h>

#include "motcham/public/pages.h"
#include "private.h"

#define HSTS "max-age=31536000"

static const char csp[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
			  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

void send_headers(struct MHD_Response *r, const char *type, const char *policy)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Content-Security-Policy", policy ? policy : csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
}

bool send_etag_matches(struct MHD_Connection *conn, const char *etag)
{
	const char *inm;

	if (!etag[0])
		return false;
	inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	return inm && strstr(inm, etag) != NULL;
}

/* Remembers what was answered, for the metrics and the access log. */
void send_note(struct request *req, unsigned status, size_t bytes)
{
	if (req) {
		req->status = status;
		req->bytes = bytes;
	}
}

/* Builds the response for r, taking its body. NULL when out of memory. */
struct MHD_Response *send_build(struct mc_response *r, bool https)
{
	struct MHD_Response *resp;
	size_t len = r->body.len;
	char *body = len ? mc_buf_steal(&r->body) : NULL;

	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return NULL;
	}
	send_headers(resp, r->content_type ? r->content_type : "text/html; charset=utf-8", r->csp);
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
	/* Only over HTTPS: a browser must ignore it on plain HTTP anyway (RFC 6797, 8.1). */
	if (https)
		MHD_add_response_header(resp, "Strict-Transport-Security", HSTS);
	return resp;
}

enum MHD_Result send_page(struct MHD_Connection *conn, struct request *req, struct mc_response *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = (unsigned)r->status;

	if (status == 200 && send_etag_matches(conn, r->etag)) {
		status = MHD_HTTP_NOT_MODIFIED;
		mc_buf_reset(&r->body);
	}
	send_note(req, status, r->body.len);
	if (!(resp = send_build(r, req && req->https)))
		return MHD_NO;
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Answers with an error page for status (falls back to a bare response). */
enum MHD_Result send_error(struct mc_http *h, struct MHD_Connection *conn, struct request *req,
			   int status)
{
	struct mc_response r;
	enum MHD_Result ret;

	mc_response_init(&r);
	if (mc_pages_error(h->site.pages, status, &r) != MC_OK) {
		mc_buf_reset(&r.body);
		r.status = status;
		r.content_type = "text/plain; charset=utf-8";
	}
	ret = send_page(conn, req, &r);
	mc_response_finish(&r);
	return ret;
}

int send_status_of(enum mc_err err)
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
