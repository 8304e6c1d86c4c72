/* Turning a handler's mc_response into an HTTP response: the headers every answer carries,
 * conditional requests, and the error pages the server sends itself. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "motcham/public/pages.h"
#include "private.h"

#define HSTS "max-age=31536000"

static const char csp[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
			  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

void send_headers(struct MHD_Response *r, const char *type, const char *policy,
		  const char *referrer)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, "Content-Security-Policy", policy ? policy : csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", referrer ? referrer : "no-referrer");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
}

/* Either representation's tag matches: a client that cached the compressed page asks with
 * "abc-gz", one that cached the plain one with "abc". */
bool send_etag_matches(struct MHD_Connection *conn, const char *etag)
{
	const char *inm;
	char gz[48];

	if (!etag[0])
		return false;
	inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	if (!inm)
		return false;
	send_gzip_etag(etag, gz);
	return strstr(inm, etag) != NULL || (gz[0] && strstr(inm, gz) != NULL) || !strcmp(inm, "*");
}

/* Remembers what was answered, for the metrics and the access log. */
void send_note(struct request *req, unsigned status, size_t bytes)
{
	if (req) {
		req->status = status;
		req->bytes = bytes;
	}
}

/* The headers of r on resp; etag and encoding are the variant's own. */
static void add_headers(struct MHD_Response *resp, const struct mc_response *r, const char *etag,
			bool gzip, bool https)
{
	send_headers(resp, r->content_type ? r->content_type : "text/html; charset=utf-8", r->csp,
		     r->referrer);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
				r->cache ? r->cache : "no-cache");
	if (etag && etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (gzip)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (r->vary)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (r->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, r->location);
	if (r->cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->cookie);
	if (r->disposition[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, r->disposition);
	/* Only over HTTPS: a browser must ignore it on plain HTTP anyway (RFC 6797, 8.1). */
	if (https)
		MHD_add_response_header(resp, "Strict-Transport-Security", HSTS);
}

static struct MHD_Response *from_buf(struct mc_buf *b)
{
	struct MHD_Response *resp;
	size_t len = b->len;
	char *body = len ? mc_buf_steal(b) : NULL;

	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(body);
	return resp;
}

struct MHD_Response *send_build(struct mc_response *r, bool https)
{
	struct MHD_Response *resp;

	if (r->fd >= 0) {
		/* libmicrohttpd sends it from the file (sendfile) and closes it. */
		if ((resp = MHD_create_response_from_fd64(r->fd_size, r->fd)) != NULL)
			r->fd = -1;
	} else {
		resp = from_buf(&r->body);
	}

	if (resp)
		add_headers(resp, r, r->etag, false, https);
	return resp;
}

void send_gzip_etag(const char *etag, char out[48])
{
	size_t n = strlen(etag);

	/* "abc" becomes "abc-gz": the compressed bytes are another representation. */
	if (n >= 2 && etag[n - 1] == '"')
		snprintf(out, 48, "%.*s-gz\"", (int)(n - 1), etag);
	else
		out[0] = '\0';
}

struct MHD_Response *send_build_gzip(const struct mc_response *r, struct mc_buf *gz, bool https)
{
	struct MHD_Response *resp = from_buf(gz);
	char etag[48];

	send_gzip_etag(r->etag, etag);
	if (resp)
		add_headers(resp, r, etag, true, https);
	return resp;
}

void send_auto_etag(struct mc_response *r)
{
	unsigned char h[12];
	char hex[sizeof(h) * 2 + 1];

	if (r->status != 200 || r->etag[0])
		return;
	crypto_generichash(h, sizeof(h), (const unsigned char *)(r->body.data ? r->body.data : ""),
			   r->body.len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(r->etag, sizeof(r->etag), "\"%s\"", hex);
}

enum MHD_Result send_page(struct MHD_Connection *conn, struct request *req, struct mc_response *r)
{
	struct MHD_Response *resp;
	struct mc_buf gz;
	enum MHD_Result ret;
	unsigned status = (unsigned)r->status;
	bool https = req && req->https, public = req && req->public_answer;

	if (public) {
		send_auto_etag(r);
		r->vary = r->vary || gzip_worth(r->content_type, r->body.len);
	}
	if (status == 200 && send_etag_matches(conn, r->etag)) {
		status = MHD_HTTP_NOT_MODIFIED;
		mc_buf_reset(&r->body);
		if (r->fd >= 0)
			close(r->fd);
		r->fd = -1;
	}
	resp = NULL;
	mc_buf_init(&gz);
	if (public && r->vary && status != MHD_HTTP_NOT_MODIFIED && gzip_accepted(conn) &&
	    gzip_body(r->body.data, r->body.len, &gz) == MC_OK) {
		send_note(req, status, gz.len);
		resp = send_build_gzip(r, &gz, https);
	} else {
		send_note(req, status, r->fd >= 0 ? (size_t)r->fd_size : r->body.len);
		resp = send_build(r, https);
	}
	mc_buf_finish(&gz);
	if (!resp)
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
