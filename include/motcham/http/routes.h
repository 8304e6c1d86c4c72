#ifndef MOTCHAM_HTTP_ROUTES_H
#define MOTCHAM_HTTP_ROUTES_H

/* The one table of URLs: every route the server answers is one row (src/http/routes.c),
 * and everything the server decides about a request comes from its row: which handler, the
 * metric label, which database connection (and for the write connection, which lane of
 * threads), whether the answer may be cached, whether a body is read, and the gate (sign-in
 * and roles) in front of the handler.
 *
 * Patterns are paths of segments. The rules, the same for every row:
 * - a literal segment matches without regard to ASCII case (printed codes carry upper-case
 *   URLs, QR alphanumeric mode);
 * - {id} is a decimal number without leading zeros, 1 to 18 digits;
 * - {slug} is 1 to 64 of [A-Za-z0-9-], handed over lower-cased;
 * - {token}, {sha} and {name} are any segment of 1 to MC_ROUTE_ARG_MAX bytes, handed over as
 *   sent (their handler checks them);
 * - a variable may be followed by a literal suffix ("{token}.png"), matched without regard to
 *   case, and never empty before it;
 * - a last segment "**" matches whatever follows (a catch-all for a prefix);
 * - one trailing '/' is ignored; an empty segment anywhere else ("//") matches nothing;
 * - anything else is 404. A path some row serves with another method is 405. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "motcham/web/call.h"

#define MC_ROUTE_ARG_MAX 128
#define MC_ROUTE_SLUG_MAX 64

/* Which database connection the handler gets in c->s. */
enum mc_route_conn {
	MC_CONN_NONE,  /* none */
	MC_CONN_READ,  /* the worker's own read-only connection */
	MC_CONN_WRITE, /* the one read-write connection, held for the call */
};

enum mc_route_flags {
	/* A public GET answer each worker may keep until data changes; its handler reads no
	 * query argument (the cache ignores them). */
	MC_ROUTE_CACHE = 1 << 0,
	/* A post on the write connection whose handler checks a password (Argon2id: 64 MiB and
	 * a tenth of a second or more). It runs on the sign-in lane, a queue and threads of its
	 * own: a flood of them never takes the threads the other office rows need, and never
	 * runs more hashes at once than the lane has threads. */
	MC_ROUTE_PASSWORD = 1 << 1,
};

struct mc_route {
	const char *method;  /* "GET" (HEAD too), "POST", or "*" (a catch-all's any method) */
	const char *pattern; /* see above */
	const char *label;   /* the route label of the request metrics */
	enum mc_route_conn conn;
	enum mc_gate gate;
	unsigned flags;	 /* enum mc_route_flags */
	size_t body_max; /* bytes of request body the row reads; 0: it takes no body */
	mc_handler_fn fn;
};

/* The table and its number of rows. Static; never NULL. */
const struct mc_route *mc_routes(size_t *n);

struct mc_route_match {
	const struct mc_route *route; /* the row, or NULL when nothing serves the path */
	size_t index;		      /* the row's index in mc_routes() */
	bool wrong_method;	      /* the path is served, but not for this method */
	char slug[MC_ROUTE_SLUG_MAX + 1];
	int64_t id;
	char arg[MC_ROUTE_ARG_MAX + 1];
	bool has_slug, has_arg;
	char rest[MC_ROUTE_ARG_MAX + 1]; /* what a catch-all's "**" took, segments joined by '/' */
	bool rest_too_long;		 /* ... or it was longer than that */
};

/* Matches method ("GET", "HEAD", "POST" ...) and a decoded path against the table. A row
 * whose pattern matches with the method wins, the first in table order; else a catch-all
 * row ("**") whose prefix matches takes the request (with wrong_method set when some row
 * serves the path with another method); else route is NULL and wrong_method says 405 or
 * 404. Never fails. */
void mc_routes_match(const char *method, const char *path, struct mc_route_match *m);

/* Writes the distinct labels of the table, in order of first use, then "other" (requests
 * no row takes), into labels[0..max) and returns how many there are (more than max when
 * they do not all fit). The strings are static. */
size_t mc_routes_labels(const char **labels, size_t max);
/* The position in that list of the label of row (an index into mc_routes()), or of
 * "other" for an index past the table. Scans the table: look each row up once at start. */
size_t mc_routes_label_of(size_t row);

#endif
