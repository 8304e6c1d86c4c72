/* The server's internals, shared by the files of src/http/ and listed by file. Nothing
 * outside src/http includes this: the rest of the program sees http.h and routes.h. */
#ifndef MOTCHAM_HTTP_PRIVATE_H
#define MOTCHAM_HTTP_PRIVATE_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "motcham/base/addr.h"
#include "motcham/http/http.h"
#include "motcham/http/routes.h"
#include "motcham/web/call.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"
#include "motcham/web/response.h"

#define MAX_ASSETS 64
#define MAX_LABELS 32

struct asset {
	char name[64];
	const char *type;
	char etag[40];
	struct MHD_Response *resp;    /* built once, queued many times */
	struct MHD_Response *resp_gz; /* the same compressed, or NULL when not worth it */
	size_t size, size_gz;
};

/* The secret client keys are made with (client_secret.c): a day's, kept outside the
 * database. */
#define CLIENT_SECRET_PERIOD 86400
struct client_secret {
	pthread_mutex_t lock;
	bool made;
	char *path;	       /* the file it is kept in; NULL: memory only */
	long long period;      /* seconds each secret lasts */
	long long n;	       /* the period the secret is of (Unix time / period) */
	unsigned char key[32]; /* the secret, and as hex */
	char hex[65];
};

#define POOL_MAX 8

struct request;

/* One office request waiting for, or running on, the write pool (pool.c): everything its
 * handler needs, copied off the suspended connection. */
struct job {
	struct MHD_Connection *conn;
	const struct mc_route *row;
	struct mc_request rq;
	struct mc_response r;
	struct mc_call call;
	char key[65];
	char method[8];
	char *path;
	struct mc_buf values; /* headers, cookies, query arguments: key NUL value NUL ... */
	size_t value_key[128], value_val[128];
	enum mc_request_kind value_kind[128];
	size_t nvalues;
	enum mc_err err;
	bool queued, done;
	struct timespec resume_at;
	struct job *next;
};

/* The write pool's lanes, each a queue and the threads that take from it. A row's flags
 * choose (routes.h): MC_ROUTE_PASSWORD rows go to the sign-in lane, the rest to the office
 * lane, so that sign-ins, however many, never hold the threads staff pages need. */
enum pool_lane {
	LANE_OFFICE,
	LANE_SIGNIN,
	LANES,
};

struct lane {
	struct mc_http *h;
	pthread_cond_t wake;
	pthread_t threads[POOL_MAX];
	size_t nthreads, queued, queue_max;
	int nice; /* the threads' niceness */
	struct job *head, *tail;
};

struct pool {
	pthread_mutex_t lock; /* the lanes' queues, the delayed answers, stopping */
	pthread_cond_t timer_wake;
	pthread_t timer;
	struct lane lanes[LANES];
	struct job *delayed; /* answers held back (a failed sign-in's), for the timer */
	bool made, timer_made, stopping, workers_gone;
};

#define LIMIT_SLOTS 4096 /* distinct client addresses with connections open at once */

struct limit_slot {
	struct mc_addr addr;
	unsigned count; /* 0: the slot is free */
};

/* Open connections the server holds at most, all clients together. */
#define CONNECTIONS_MAX 1000

struct limits {
	pthread_mutex_t lock;
	bool made;
	unsigned total; /* connections open, counted or not by address */
	struct limit_slot slots[LIMIT_SLOTS];
};

/* The thread that accepts connections and hands them to the workers (accept.c). */
struct acceptor {
	pthread_t thread;
	bool running;
	int wake[2]; /* a byte on wake[1] ends the thread */
};

struct mc_http {
	struct MHD_Daemon *daemon;
	struct acceptor acceptor;
	struct mc_site site; /* what every handler is given */
	char *db_path;
	char *db_read_path;	 /* the workers' (a hot standby's, or db_path) */
	atomic_ulong writes;	 /* posts answered on the writer: caches look again */
	pthread_key_t store_key; /* each worker's read-only connection */
	bool key_made;
	int listen_fd; /* the listening socket, ours to close */
	struct asset assets[MAX_ASSETS];
	size_t nassets;
	bool https; /* the public base URL is https */
	struct mc_scans *scans;
	struct mc_metrics *metrics;
	size_t label_of_row[128]; /* each route row's metric label (see routes.h) */
	size_t label_other;
	FILE *access_log;
	struct mc_addr_list metrics_allow; /* who may read /metrics */
	struct mc_addr_list trusted;	   /* proxies whose forwarding headers count */
	/* The one read-write connection: staff pages and form posts take turns on it. */
	struct mc_store *writer;
	pthread_mutex_t writer_lock;
	bool lock_made;
	struct client_secret secret; /* keys client addresses without keeping them */
	struct pool pool;	     /* the write connection's own threads */
	struct limits limits;	     /* open connections per client address */
	unsigned per_client;	     /* the most one address may hold; 0: no limit */
	size_t page_cache_bytes;     /* per worker; 0: no page cache */
};

/* Per-request state, allocated on the first call of the access handler. */
struct request {
	struct mc_route_match match; /* the row of the route table that takes the request */
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
	size_t label;	       /* the metric label */
	struct mc_addr client; /* who is asking (see client.c) */
	bool https;	       /* the client reached us over HTTPS (a trusted proxy says so) */
	bool public_answer;    /* a public row's answer: tagged, compressed (see gzip.c) */
	struct job job;	       /* a row on the write connection runs as a job of the pool */
	char path[200];	       /* for the access log; cut when longer */
};

/* accept.c: the acceptor. start makes h->listen_fd non-blocking and starts the thread that
 * hands its connections to h->daemon, which must be running; stop ends the thread (and does
 * nothing when it never started) and leaves the socket open. */
enum mc_err acceptor_start(struct mc_http *h);
void acceptor_stop(struct mc_http *h);

/* assets.c: the files of assets/, loaded once at start. */
enum mc_err assets_load(struct mc_http *h, const char *dir, struct mc_buf *errs);
void assets_free(struct mc_http *h);
enum mc_err assets_page(struct mc_call *c);
enum mc_err assets_favicon(struct mc_call *c);
/* Queues the asset a handler picked (r->prebuilt); false when it picked none. */
bool assets_send(struct MHD_Connection *conn, struct request *req, const struct mc_response *r,
		 enum MHD_Result *ret);

/* send.c: turning a mc_response into an HTTP response. */
/* The headers every answer carries; csp NULL: the site's policy, which runs no script;
 * referrer NULL: no-referrer. */
void send_headers(struct MHD_Response *r, const char *type, const char *csp, const char *referrer);
struct MHD_Response *send_build(struct mc_response *r, bool https);
/* The compressed representation of r (gz: its body compressed, taken). */
struct MHD_Response *send_build_gzip(const struct mc_response *r, struct mc_buf *gz, bool https);
/* The tag of the compressed representation of an answer tagged etag, into out[48]. */
void send_gzip_etag(const char *etag, char out[48]);
/* Tags a 200 answer that has no ETag yet by a hash of its body. */
void send_auto_etag(struct mc_response *r);
bool send_etag_matches(struct MHD_Connection *conn, const char *etag);
void send_note(struct request *req, unsigned status, size_t bytes);
enum MHD_Result send_page(struct MHD_Connection *conn, struct request *req, struct mc_response *r);
enum MHD_Result send_error(struct mc_http *h, struct MHD_Connection *conn, struct request *req,
			   int status);
int send_status_of(enum mc_err err);

/* worker.c: each worker thread's read connection and page cache. */
void worker_close(void *worker);
enum mc_err worker_store(struct mc_http *h, struct mc_store **out);
/* Answers a cacheable public GET through the worker's cache, rendering it with the row's
 * handler (on the worker's connection, in one read transaction) on a miss. On failure
 * returns MHD_NO with *err set and nothing sent. */
enum MHD_Result worker_cached(struct mc_http *h, struct MHD_Connection *conn, struct request *req,
			      struct mc_call *c, enum mc_err *err);
void worker_count_scan(struct mc_http *h, long long code_id, int miss);

/* gzip.c: compressed answers for public pages, assets and feeds. */
bool gzip_accepted(struct MHD_Connection *conn);
bool gzip_worth(const char *type, size_t len);
enum mc_err gzip_body(const void *data, size_t len, struct mc_buf *out);

/* client.c: who is asking. */
void client_resolve(struct mc_http *h, struct MHD_Connection *conn, struct request *req);
void client_key(struct mc_http *h, const struct request *req, char out[65]);

/* client_secret.c: the secret of client_key. start reads the file at path (NULL: none),
 * bringing it to now's period, or makes one (a file that cannot be written leaves the
 * secret in memory, with a warning); MC_ERR_INVALID or MC_ERR_IO, told in errs, for a file
 * that is there but unreadable. hex writes now's secret (hex), moving it on to a new period
 * first. finish accepts a secret never started (all zero). */
enum mc_err client_secret_start(struct client_secret *cs, const char *path, long long period,
				long long now, struct mc_buf *errs);
void client_secret_hex(struct client_secret *cs, long long now, char out[65]);
void client_secret_finish(struct client_secret *cs);

/* ops.c: the operator's routes. */
enum mc_err ops_health(struct mc_call *c);
enum mc_err ops_metrics(struct mc_call *c);

/* limits.c: open connections per client address and in all. admit counts a connection the
 * acceptor has just taken, from peer address sa, and says whether it may stay (false: the
 * server holds CONNECTIONS_MAX, or the address its share; nothing is counted then); release
 * lets go of what admit counted; full says whether admit would refuse every address. notify
 * is libmicrohttpd's connection callback: it releases each connection as it closes. */
bool limits_admit(struct mc_http *h, const struct sockaddr *sa);
void limits_release(struct mc_http *h, const struct sockaddr *sa);
bool limits_full(struct mc_http *h);
void limits_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		   enum MHD_ConnectionNotificationCode toe);

/* pool.c: the write pool. start makes the office lane's threads and the sign-in lane's
 * (each 1 to POOL_MAX). submit puts the request on its row's lane and suspends the
 * connection (MC_ERR_BUSY when that lane's queue is full or the pool stopping: answer 503);
 * the connection is resumed when the job is done. */
enum mc_err pool_start(struct mc_http *h, unsigned office_threads, unsigned signin_threads);
void pool_stop(struct mc_http *h);
void pool_destroy(struct mc_http *h);
enum mc_err pool_submit(struct mc_http *h, struct MHD_Connection *conn, struct request *req,
			const char *url, const char *method);
void pool_job_finish(struct job *j);

/* request.c: libmicrohttpd's callbacks; every request goes through the route table. */
enum mc_err request_run_writer(struct mc_http *h, struct mc_call *c, const struct mc_route *row);
enum MHD_Result request_on_request(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **con_cls);
void request_on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			  enum MHD_RequestTerminationCode toe);

#endif
