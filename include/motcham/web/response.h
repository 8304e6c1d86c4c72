#ifndef MOTCHAM_WEB_RESPONSE_H
#define MOTCHAM_WEB_RESPONSE_H

/* One answer, as the handlers make it: status, headers the pages decide, and the body. The
 * server turns it into an HTTP response (see src/http/send.c); nothing here knows HTTP
 * connections. */

#include <stdbool.h>

#include "motcham/base/buf.h"

struct mc_response {
	int status;		  /* HTTP status */
	const char *content_type; /* static string, e.g. "text/html; charset=utf-8" */
	const char *cache;	  /* static Cache-Control value or NULL for "no-cache" */
	char etag[40];		  /* "" or a quoted strong ETag */
	char location[512];	  /* "" or where a 303 after a form post goes */
	char cookie[320];	  /* "" or one Set-Cookie header value */
	char disposition[256];	  /* "" or a Content-Disposition header value */
	long long code_id;	  /* a code this answer resolved (counted as a scan), else 0 */
	int scan_miss;		  /* 1: unknown code, 2: mistyped code, else 0 */
	unsigned delay_ms;	  /* hold the answer back this long (failed sign-ins), else 0 */
	bool signin_locked;	  /* this answer's failed sign-in locked an account (a metric) */
	const void *prebuilt;	  /* the server's own ready answer (an asset), or NULL */
	bool vary;		  /* the answer has a compressed form (Vary: Accept-Encoding) */
	const char *csp; /* static Content-Security-Policy, or NULL for the site's (no scripts) */
	const char *referrer; /* static Referrer-Policy, or NULL for "no-referrer" */
	struct mc_buf body;
	/* Instead of body: a file's first fd_size bytes, sent from the file (an uploaded file,
	 * which is never read whole into memory); the server closes it. -1: none. */
	int fd;
	unsigned long long fd_size;
};

/* Caller-owned: init before a handler, finish afterwards (accepts NULL; closes fd). */
void mc_response_init(struct mc_response *r);
void mc_response_finish(struct mc_response *r);

#endif
