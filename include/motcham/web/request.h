#ifndef MOTCHAM_REQUEST_H
#define MOTCHAM_REQUEST_H

/* What http hands to the modules that answer form posts and signed-in pages (staff, print,
 * report): the request without libmicrohttpd in sight. */

#include <stdbool.h>

struct mc_addr;
struct mc_form;

enum mc_request_kind {
	MC_REQ_ARG,    /* query string */
	MC_REQ_COOKIE, /* Cookie header */
	MC_REQ_HEADER, /* any request header */
};

struct mc_request {
	const char *method;	    /* "GET", "HEAD" or "POST" */
	const char *path;	    /* decoded path, e.g. "/staff/permits/12" */
	const struct mc_form *form; /* the posted form (urlencoded or multipart), or NULL */
	const char *client_key;	    /* hex keyed SHA-256 of the client address; never the address */
	const struct mc_addr *client; /* the client's address (see http/client.c); never stored */
	bool https; /* the request came over HTTPS or the base URL is https: cookies get Secure */
	/* Looks a value up (NULL when absent); valid for the request's lifetime. */
	const char *(*lookup)(const struct mc_request *rq, enum mc_request_kind kind,
			      const char *name);
	void *conn; /* for lookup() */
};

#endif
