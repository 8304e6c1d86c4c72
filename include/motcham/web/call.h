#ifndef MOTCHAM_WEB_CALL_H
#define MOTCHAM_WEB_CALL_H

/* What every page handler is given: one answered request. The server matches the path
 * against its one table of URLs (src/http/routes.c), opens the connection that row asks for,
 * passes the row's gate (sign-in, roles) and calls the row's handler with a mc_call. A
 * handler fills c->r and returns MC_OK for every answer it made (4xx pages included); any
 * other value means no answer could be made and the server sends its own 500 or 503 page.
 * Nothing here outlives the request: copy what you keep. */

#include <stdbool.h>
#include <stdint.h>

#include "motcham/base/err.h"

struct mc_http;
struct mc_note_keyring;
struct mc_pages;
struct mc_request;
struct mc_response;
struct mc_staff;
struct mc_store;
struct mc_upload_limits;

/* Who may call the handler; every gate but PUBLIC is the office's (src/office/gate.c,
 * mc_office_gate). */
enum mc_gate {
	MC_GATE_PUBLIC,	   /* anyone */
	MC_GATE_LOGIN,	   /* anyone, on an office page (the sign-in form) */
	MC_GATE_SIGNED_IN, /* a live session; a post carries its CSRF token (any role) */
	MC_GATE_STAFF,	   /* as SIGNED_IN, and supervisors may not post */
	MC_GATE_SUPERVISE, /* a live session of a supervisor or an admin; reading only */
};

/* What the server shares with every handler; read-only while it runs. */
struct mc_site {
	struct mc_pages *pages; /* templates and the public base URL */
	struct mc_staff *staff; /* the office side; NULL: no staff pages and no form posts */
	const char *files_dir;	/* uploaded files, by content hash (NULL with no office side, or
				 * where the database keeps them: mc_store_keeps_files) */
	const struct mc_upload_limits *uploads; /* quota, disk reserve, spool (NULL: none) */
	struct mc_http *http; /* the server itself, for its own rows (health, metrics) */
	const struct mc_note_keyring *witnesses; /* whose cosignatures the log keeps (NULL: none) */
};

struct mc_call {
	const struct mc_site *site;
	struct mc_store *s; /* the connection the row asked for (NULL for none) */
	const struct mc_request *rq;
	struct mc_response *r;
	/* The path's variable segments, checked by the router (see routes.h). */
	const char *slug;  /* {slug}: lower-cased, or NULL */
	int64_t id;	   /* {id}: decimal without leading zeros, or 0 */
	const char *arg;   /* {token}, {sha} or {name}: the segment as sent, or NULL */
	bool wrong_method; /* a catch-all row got a path some row serves with another method */
	void *scope;	   /* what the row's gate set up (the office's per-request state) */
	/* Lets go of s while fn(arg) runs and takes it back after, so that other requests use
	 * it meanwhile: for long work that needs no database (a password's Argon2id). fn must
	 * not touch s; never called inside a transaction. NULL when the row does not share s
	 * (a worker's own connection, or none): call fn directly. */
	void (*release)(struct mc_call *c, void (*fn)(void *arg), void *arg);
};

typedef enum mc_err (*mc_handler_fn)(struct mc_call *c);

#endif
