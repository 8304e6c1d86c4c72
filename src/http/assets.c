/* The files of assets/ (CSS, icons): loaded once at start, each answer built once and
 * queued as it is for every request. The table of loaded files is the whole namespace, so no
 * path can reach outside it. */
#include <dirent.h>
#include <sodium.h>
#include <string.h>

#include "motcham/public/pages.h"
#include "private.h"

#define MAX_ASSET_BYTES (1024 * 1024)
#define ASSET_CACHE "public, max-age=86400"

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
	if (!strcmp(dot, ".js"))
		return "text/javascript; charset=utf-8";
	return "application/octet-stream";
}

/* A service worker (a file named NAME-sw.js) runs under the headers of its own script: it
 * may fetch from the site, and the page that registers it may give it any scope of the site
 * (by default a worker's scope ends at /assets/). */
#define WORKER_CSP "default-src 'none'; connect-src 'self'"

static bool service_worker(const char *name)
{
	size_t n = strlen(name);

	return n > 6 && !strcmp(name + n - 6, "-sw.js");
}

static void hash_etag(const void *data, size_t len, char etag[40])
{
	unsigned char h[12];
	char hex[sizeof(h) * 2 + 1];

	crypto_generichash(h, sizeof(h), data, len, NULL, 0);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(etag, 40, "\"%s\"", hex);
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

static void add_headers(struct MHD_Response *resp, const struct asset *a, const char *etag,
			bool gzip)
{
	bool worker = service_worker(a->name);

	send_headers(resp, a->type, worker ? WORKER_CSP : NULL, NULL);
	if (worker)
		MHD_add_response_header(resp, "Service-Worker-Allowed", "/");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, ASSET_CACHE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (gzip_worth(a->type, a->size))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gzip)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
}

static enum mc_err load_gzip(struct asset *a, const char *data, size_t len)
{
	struct mc_buf gz;
	char etag[48];
	enum mc_err err;

	mc_buf_init(&gz);
	if ((err = gzip_body(data, len, &gz)) == MC_OK) {
		a->size_gz = gz.len;
		a->resp_gz =
		    MHD_create_response_from_buffer(gz.len, gz.data, MHD_RESPMEM_MUST_COPY);
		if (!a->resp_gz) {
			err = MC_ERR_NOMEM;
		} else {
			send_gzip_etag(a->etag, etag);
			add_headers(a->resp_gz, a, etag, true);
		}
	}
	mc_buf_finish(&gz);
	return err;
}

static enum mc_err load_one(struct mc_http *h, const char *dir, const char *name,
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
	add_headers(a->resp, a, a->etag, false);
	if (gzip_worth(a->type, data.len) && (err = load_gzip(a, data.data, data.len)) != MC_OK)
		goto out;
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

enum mc_err assets_load(struct mc_http *h, const char *dir, struct mc_buf *errs)
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
		err = load_one(h, dir, e->d_name, errs);
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

void assets_free(struct mc_http *h)
{
	for (size_t i = 0; i < h->nassets; i++) {
		MHD_destroy_response(h->assets[i].resp);
		if (h->assets[i].resp_gz)
			MHD_destroy_response(h->assets[i].resp_gz);
	}
	h->nassets = 0;
}

enum mc_err assets_page(struct mc_call *c)
{
	const struct asset *a = find_asset(c->site->http, c->arg);

	if (!a)
		return mc_pages_error(c->site->pages, 404, c->r);
	c->r->prebuilt = a;
	return MC_OK;
}

static enum MHD_Result send_one(struct MHD_Connection *conn, struct request *req,
				const struct asset *a)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (!send_etag_matches(conn, a->etag)) {
		if (a->resp_gz && gzip_accepted(conn)) {
			send_note(req, MHD_HTTP_OK, a->size_gz);
			return MHD_queue_response(conn, MHD_HTTP_OK, a->resp_gz);
		}
		send_note(req, MHD_HTTP_OK, a->size);
		return MHD_queue_response(conn, MHD_HTTP_OK, a->resp);
	}
	resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, a->etag);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, ASSET_CACHE);
	if (a->resp_gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	send_note(req, MHD_HTTP_NOT_MODIFIED, 0);
	ret = MHD_queue_response(conn, MHD_HTTP_NOT_MODIFIED, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* Browsers ask for /favicon.ico whatever the page says. */
enum mc_err assets_favicon(struct mc_call *c)
{
	const struct asset *a = find_asset(c->site->http, "favicon.ico");

	if (!a)
		return mc_pages_error(c->site->pages, 404, c->r);
	c->r->prebuilt = a;
	return MC_OK;
}

bool assets_send(struct MHD_Connection *conn, struct request *req, const struct mc_response *r,
		 enum MHD_Result *ret)
{
	if (!r->prebuilt)
		return false;
	*ret = send_one(conn, req, r->prebuilt);
	return true;
}
