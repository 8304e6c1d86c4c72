/* Compressed answers for slow phones: public pages, assets and feeds go out gzip-encoded to a
 * client that accepts it. Only public answers: a page holding a secret (a staff page's CSRF
 * token) next to text an attacker chose is what BREACH reads through compression. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "private.h"

#define GZIP_MIN 512	      /* below this the header costs more than it saves */
#define GZIP_WINDOW (15 + 16) /* zlib's way of asking for a gzip wrapper */

bool gzip_accepted(struct MHD_Connection *conn)
{
	const char *ae =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *p = ae;

	/* "gzip", "gzip;q=0.5", "x, gzip"; refused only by an explicit q=0. */
	while (p && (p = strcasestr(p, "gzip")) != NULL) {
		const char *end = p + 4;
		bool word = (p == ae || p[-1] == ' ' || p[-1] == ',') &&
			    (*end == '\0' || *end == ',' || *end == ';' || *end == ' ');

		if (word) {
			while (*end == ' ')
				end++;
			if (*end == ';') {
				const char *q = strstr(end, "q=");

				if (q && strtod(q + 2, NULL) <= 0.0)
					return false;
			}
			return true;
		}
		p = end;
	}
	return false;
}

bool gzip_worth(const char *type, size_t len)
{
	if (len < GZIP_MIN || !type)
		return false;
	return !strncmp(type, "text/", 5) || !strncmp(type, "image/svg+xml", 13) ||
	       !strncmp(type, "application/json", 16) ||
	       !strncmp(type, "application/atom+xml", 20) || !strncmp(type, "application/xml", 15);
}

enum mc_err gzip_body(const void *data, size_t len, struct mc_buf *out)
{
	z_stream z;
	enum mc_err err = MC_OK;
	int rc;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, GZIP_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return MC_ERR_NOMEM;
	mc_buf_reset(out);
	if ((err = mc_buf_reserve(out, deflateBound(&z, (uLong)len))) != MC_OK)
		goto done;
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)(out->cap - 1);
	rc = deflate(&z, Z_FINISH);
	if (rc != Z_STREAM_END) {
		err = MC_ERR_INTERNAL;
		goto done;
	}
	out->len = z.total_out;
	out->data[out->len] = '\0';
done:
	deflateEnd(&z);
	return err;
}
