/* Starting and stopping the server: the listening socket, libmicrohttpd's worker threads,
 * the one read-write connection and what every handler shares. */
#include <arpa/inet.h>
#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "motcham/http/metrics.h"
#include "motcham/office/staff.h"
#include "motcham/store/store.h"
#include "private.h"

#define PAGE_CACHE_MB 6 /* per worker, unless the operator says otherwise */
/* Office requests run here; writes take turns on one connection anyway, and a second thread
 * lets a page go on while another waits for the database. */
#define POOL_THREADS 2
/* Sign-ins and password changes run here instead (pool.c), with the write connection let go
 * while they hash: at most this many Argon2id runs (64 MiB each) at once, however many
 * sign-ins arrive. */
#define SIGNIN_THREADS 2
/* Open connections one client address may hold: more than a browser or a load test opens,
 * far fewer than the 1,000 the server holds in all. */
#define PER_CLIENT_DEFAULT 64

/* The request counters, one per metric label of the route table, and each row's label. */
static enum mc_err make_metrics(struct mc_http *h)
{
	const char *labels[MAX_LABELS];
	size_t nrows, nlabels = mc_routes_labels(labels, MAX_LABELS);

	mc_routes(&nrows);
	if (nlabels > MAX_LABELS || nrows > sizeof(h->label_of_row) / sizeof(h->label_of_row[0]))
		return MC_ERR_INTERNAL;
	for (size_t i = 0; i < nrows; i++)
		h->label_of_row[i] = mc_routes_label_of(i);
	h->label_other = mc_routes_label_of(SIZE_MAX);
	return (h->metrics = mc_metrics_create(labels, nlabels)) ? MC_OK : MC_ERR_NOMEM;
}

enum mc_err mc_http_listen(const char *host, uint16_t port, int *fd, uint16_t *bound,
			   struct mc_buf *errs)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t len = sizeof(addr);
	int one = 1, s;

	*fd = -1;
	if (!host || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		mc_buf_printf(errs, "--bind %s is not an IPv4 address", host ? host : "(none)");
		return MC_ERR_INVALID;
	}
	if ((s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return MC_ERR_IO;
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (const struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(s, 1024) != 0 ||
	    getsockname(s, (struct sockaddr *)&addr, &len) != 0) {
		mc_buf_printf(errs, "cannot listen on %s:%u: %s", host, (unsigned)port,
			      strerror(errno));
		close(s);
		return MC_ERR_IO;
	}
	*fd = s;
	*bound = ntohs(addr.sin_port);
	return MC_OK;
}

static enum mc_err start_daemon(struct mc_http *h, const struct mc_http_config *cfg,
				struct mc_buf *errs)
{
	unsigned threads = cfg->threads;
	long cores;

	if (!threads) {
		cores = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cores > 0 && cores < 64 ? (unsigned)cores : 2;
	}
	/* The workers do not listen: the acceptor (accept.c) hands them each connection, so
	 * that they get even shares; MHD_USE_ITC wakes a worker for one it was handed. The
	 * acceptor keeps the server to CONNECTIONS_MAX; each worker's own limit (the pool's
	 * divided among them) is CONNECTIONS_MAX too, so that it never refuses a connection the
	 * acceptor counted, whichever worker gets it. */
	h->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO | MHD_USE_ERROR_LOG |
		MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC,
	    0, NULL, NULL, request_on_request, h, MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_CONNECTION_LIMIT, CONNECTIONS_MAX * threads,
	    MHD_OPTION_CONNECTION_TIMEOUT, 15u, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
	    (size_t)16 * 1024, MHD_OPTION_NOTIFY_COMPLETED, request_on_completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, limits_notify, h, MHD_OPTION_END);
	if (!h->daemon) {
		mc_buf_printf(errs, "cannot start the HTTP server");
		return MC_ERR_IO;
	}
	if (acceptor_start(h) != MC_OK) {
		mc_buf_printf(errs, "cannot start the thread that accepts connections");
		return MC_ERR_IO;
	}
	return MC_OK;
}

/* An address list option, named in its error. */
static enum mc_err parse_list(const char *option, const char *text, struct mc_addr_list *out,
			      struct mc_buf *errs)
{
	struct mc_buf why;
	enum mc_err err;

	mc_buf_init(&why);
	if ((err = mc_addr_list_parse(text, out, &why)) != MC_OK)
		mc_buf_printf(errs, "%s: %s", option, why.data ? why.data : "bad list");
	mc_buf_finish(&why);
	return err;
}

/* A post (a resident's report, a staff edit) waits this long for the write lock that an
 * import, a backup or another node holds, on a write pool thread, before its sender gets the
 * busy page: a long import should delay what people send, not refuse it. Public pages never
 * wait on it: they read on their own connections. */
#define WRITE_WAIT_MS 45000

static enum mc_err open_writer(struct mc_http *h, struct mc_buf *errs)
{
	enum mc_err err;

	char shown[512];

	if ((err = mc_store_open(h->db_path, 0, &h->writer)) != MC_OK) {
		mc_store_redact(h->db_path, shown, sizeof(shown));
		mc_buf_printf(errs, "cannot open %s for writing: %s", shown, mc_strerror(err));
		return err;
	}
	mc_store_set_wait(h->writer, WRITE_WAIT_MS);
	return MC_OK;
}

enum mc_err mc_http_start(const struct mc_http_config *cfg, struct mc_http **out,
			  struct mc_buf *errs)
{
	struct mc_http *h;
	enum mc_err err;

	*out = NULL;
	if (sodium_init() < 0)
		return MC_ERR_INTERNAL;
	if (!(h = calloc(1, sizeof(*h)))) {
		close(cfg->listen_fd);
		return MC_ERR_NOMEM;
	}
	h->listen_fd = cfg->listen_fd;
	h->site = (struct mc_site){.pages = cfg->pages,
				   .staff = cfg->staff,
				   .files_dir = mc_staff_files_dir(cfg->staff),
				   .uploads = mc_staff_uploads(cfg->staff),
				   .http = h,
				   .witnesses = cfg->log_witnesses};
	if (!(h->db_path = strdup(cfg->db_path)) ||
	    !(h->db_read_path = strdup(cfg->db_read_path ? cfg->db_read_path : cfg->db_path))) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	if (pthread_key_create(&h->store_key, worker_close) != 0) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	h->key_made = true;
	if (pthread_mutex_init(&h->writer_lock, NULL) != 0) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	h->lock_made = true;
	h->https = cfg->https;
	h->scans = cfg->scans;
	h->access_log = cfg->access_log;
	h->page_cache_bytes =
	    cfg->page_cache_mb < 0
		? 0
		: (size_t)(cfg->page_cache_mb ? cfg->page_cache_mb : PAGE_CACHE_MB) << 20;
	if ((err = make_metrics(h)) != MC_OK)
		goto fail;
	if ((err = parse_list("--metrics-allow", cfg->metrics_allow, &h->metrics_allow, errs)) !=
		MC_OK ||
	    (err = parse_list("--trust-proxy", cfg->trust_proxy, &h->trusted, errs)) != MC_OK)
		goto fail;
	if ((err = open_writer(h, errs)) != MC_OK ||
	    (err = client_secret_start(&h->secret, cfg->client_key_file, cfg->client_key_period,
				       (long long)time(NULL), errs)) != MC_OK)
		goto fail;
	if ((err = assets_load(h, cfg->assets_dir, errs)) != MC_OK)
		goto fail;
	if (pthread_mutex_init(&h->limits.lock, NULL) != 0) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	h->limits.made = true;
	h->per_client = cfg->max_per_client < 0 ? 0
			: cfg->max_per_client	? (unsigned)cfg->max_per_client
						: PER_CLIENT_DEFAULT;
	if ((err = pool_start(h, POOL_THREADS, SIGNIN_THREADS)) != MC_OK) {
		mc_buf_printf(errs, "cannot start the write pool's threads");
		goto fail;
	}
	if ((err = start_daemon(h, cfg, errs)) != MC_OK)
		goto fail;
	*out = h;
	return MC_OK;
fail:
	mc_http_destroy(h);
	return err;
}

void mc_http_destroy(struct mc_http *h)
{
	if (!h)
		return;
	/* Office requests in flight are finished first (their connections resumed), so that the
	 * daemon stops with nothing suspended; later ones are answered 503. */
	pool_stop(h);
	acceptor_stop(h); /* no new connections from here */
	/* Worker threads exit here, and the key's destructor closes their connections. */
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	if (h->key_made)
		pthread_key_delete(h->store_key);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	mc_store_destroy(h->writer);
	mc_metrics_destroy(h->metrics);
	if (h->lock_made)
		pthread_mutex_destroy(&h->writer_lock);
	assets_free(h);
	pool_destroy(h);
	if (h->limits.made)
		pthread_mutex_destroy(&h->limits.lock);
	client_secret_finish(&h->secret);
	free(h->db_path);
	free(h->db_read_path);
	free(h);
}
