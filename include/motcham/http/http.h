#ifndef MOTCHAM_HTTP_H
#define MOTCHAM_HTTP_H

/* The web server: libmicrohttpd set-up, request limits, routing, response headers.
 * Each worker thread opens its own read-only database connection on first use; staff pages
 * and form posts share one read-write connection, one at a time. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

/* How far below the threads that answer residents the long jobs run: the server's office lane
 * (its imports, edits and exports) and the batch subcommands (import, backup, audit), so that
 * an import run beside the server is no more urgent than one sent through it. */
#define MC_HTTP_BATCH_NICE 10

struct mc_http;
struct mc_note_keyring;
struct mc_pages;

struct mc_http_config {
	const char *db_path;	   /* the writes, the staff's and supervisors' pages */
	const char *db_read_path;  /* opened read-only by each worker for the public pages (a
				    * hot standby); NULL: db_path */
	int listen_fd;		   /* a socket from mc_http_listen; the server takes it over */
	unsigned threads;	   /* worker threads; 0: one per core */
	const char *assets_dir;	   /* every file in it is loaded once at start */
	struct mc_pages *pages;	   /* borrowed; must outlive the server */
	struct mc_staff *staff;	   /* borrowed; NULL: no staff side, no form posts */
	bool https;		   /* the public base URL is https (cookies get Secure) */
	struct mc_scans *scans;	   /* borrowed; NULL: scans are not counted */
	FILE *access_log;	   /* borrowed; NULL: no access log */
	const char *metrics_allow; /* addresses or ADDR/BITS ranges, comma-separated, that may read
				    * /metrics (after --trust-proxy has found the client) */
	const char *trust_proxy;   /* the reverse proxies (addresses or ranges) whose
				    * X-Forwarded-For / Forwarded / X-Forwarded-Proto count */
	int page_cache_mb;	   /* rendered public pages kept per worker: 0 the default (6 MiB),
				    * negative none (every page rendered from the database) */
	int max_per_client;	   /* open connections one client address may hold: 0 the default
				    * (64), negative no limit; --trust-proxy peers are not counted */
	const char *client_key_file; /* the secret client addresses are keyed with, kept
				      * outside the database; made when missing (NULL: in
				      * memory only) */
	long long client_key_period; /* seconds before that secret moves on; 0: a day */
	const struct mc_note_keyring *log_witnesses; /* borrowed; the witnesses whose
						      * cosignatures POST /log/add-cosignature
						      * keeps (NULL: none) */
};

/* Opens a listening TCP socket on the IPv4 address host and port (0: a free port, so the
 * real one is known before the pages are made) and reports the port bound. Problems are
 * described in errs. MC_ERR_INVALID for a bad address, MC_ERR_IO when it cannot bind. */
enum mc_err mc_http_listen(const char *host, uint16_t port, int *fd, uint16_t *bound,
			   struct mc_buf *errs);

/* Loads the assets, binds and starts the worker threads. Problems are described in errs.
 * *out owned by the caller (mc_http_destroy); cfg->listen_fd is closed on failure too.
 * MC_ERR_IO when the daemon cannot start or an asset cannot be read. */
enum mc_err mc_http_start(const struct mc_http_config *cfg, struct mc_http **out,
			  struct mc_buf *errs);
/* Stops accepting, finishes the requests in flight, joins the workers (closing their
 * database connections) and frees everything. Accepts NULL. */
void mc_http_destroy(struct mc_http *h);

#endif
