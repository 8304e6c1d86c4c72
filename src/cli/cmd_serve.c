/* motcham serve: run the web server until SIGINT or SIGTERM; SIGHUP reopens the access
 * log. */

#include "private.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "motcham/base/buf.h"
#include "motcham/http/http.h"
#include "motcham/http/scans.h"
#include "motcham/office/staff.h"
#include "motcham/public/pages.h"
#include "motcham/store/store.h"
#include "motcham/web/upload.h"

const char cmd_serve_usage[] =
    "usage: motcham serve [--db PATH] [--port N] [--bind ADDR] [--base-url URL] [--threads N]\n"
    "                     [--access-log FILE] [--metrics-allow ADDRS] [--trust-proxy ADDRS]\n"
    "                     [--page-cache MB] [--log-key FILE] [--log-witness KEYS]\n"
    "                     [--db-read URL] [--client-key FILE] [--upload-quota MB]\n"
    "                     [--disk-reserve MB] [--spool DIR] [--spool-max MB]\n"
    "Serves the public pages: /q/TOKEN resolves a printed code. Stops cleanly on SIGINT or\n"
    "SIGTERM; SIGHUP reopens the access log. A database of an older schema is first copied\n"
    "beside itself (PATH.schemaN-TIME.bak), then migrated; a newer one is refused, untouched.\n"
    "  --db PATH             database file (default $MOTCHAM_DB or ./motcham.db), or a\n"
    "                        PostgreSQL URL that several nodes share\n"
    "  --db-read URL         the database the public pages are read from (a hot standby\n"
    "                        of --db); writes, staff and supervisor pages use --db\n"
    "  --port N              TCP port (default 8080; 0 picks a free one)\n"
    "  --bind ADDR           IPv4 address to listen on (default 127.0.0.1)\n"
    "  --base-url URL        public URL of this server (default http://ADDR:PORT)\n"
    "  --threads N           worker threads (default: one per core)\n"
    "  --access-log FILE     one line per request (Common Log Format, client as a keyed\n"
    "                        hash) appended to FILE, reopened on SIGHUP; '-': standard error\n"
    "  --metrics-allow ADDRS clients that may read /metrics: IPv4 or IPv6 addresses or\n"
    "                        ADDR/BITS ranges, comma-separated (default: none)\n"
    "  --trust-proxy ADDRS   reverse proxies (addresses or ranges, comma-separated) whose\n"
    "                        X-Forwarded-For or Forwarded, and X-Forwarded-Proto, tell the\n"
    "                        client's address and scheme; from others they are ignored\n"
    "  --page-cache MB       rendered public pages kept in memory per worker thread\n"
    "                        (default 6; 0 renders every page from the database)\n"
    "  --log-key FILE        sign checkpoints of the public log with this key (log keygen):\n"
    "                        when the tree grows, at most once a second, and on a clean stop\n"
    "  --log-witness KEYS    verifier keys (comma-separated) of the witnesses whose\n"
    "                        cosignatures POST /log/add-cosignature keeps\n"
    "  --client-key FILE     the secret client addresses are keyed with (throttles, rate\n"
    "                        limits, the access log), made when missing and moved on\n"
    "                        daily; never in the database (default PATH.client-key beside\n"
    "                        a SQLite database; with a URL, in memory unless given)\n"
    "  --upload-quota MB     what one ward's dossier files and residents' photos may\n"
    "                        take in all (default 4096; 0: no limit); past it, uploads are\n"
    "                        refused with a message\n"
    "  --disk-reserve MB     space that must stay free on the disk of PATH.files: uploads\n"
    "                        that would eat into it are refused (default 512; 0: none)\n"
    "  --spool DIR           with a PostgreSQL URL, where this node keeps copies of the\n"
    "                        files it sends, read from the database (made if missing,\n"
    "                        mode 0700; default $TMPDIR or /var/tmp/motcham-spool-UID)\n"
    "  --spool-max MB        what the spool may take; past it the least recently sent\n"
    "                        files are removed (default 1024)\n";

static enum mc_err first_ward_code(void *ctx, const struct mc_code *c)
{
	struct mc_buf *b = ctx;

	if (b->len == 0)
		return mc_buf_puts(b, c->token);
	return MC_OK;
}

/* Tells the operator where to look: the site, and the keychain code of the first ward. */
static void announce(struct mc_store *s, const char *base)
{
	struct mc_buf tok;

	mc_buf_init(&tok);
	printf("motcham: serving on %s/\n", base);
	if (mc_store_code_each(s, "ward", first_ward_code, &tok) == MC_OK && tok.len)
		printf("motcham: keychain code of the ward: %s/q/%s\n", base, tok.data);
	printf("motcham: press Ctrl-C to stop\n");
	fflush(stdout);
	mc_buf_finish(&tok);
}

/* Points the access log at a new file of the same name (logrotate has moved the old one
 * away): the stream stays the one the workers hold, only its descriptor changes, under the
 * stream's lock so no line is split between the two files. On failure the old file is kept. */
static void reopen_log(FILE *log, const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	int saved;

	if (fd < 0) {
		fprintf(stderr,
			"motcham: cannot reopen access log %s (%s); still writing the old one\n",
			path, strerror(errno));
		return;
	}
	flockfile(log);
	fflush(log);
	saved = dup2(fd, fileno(log));
	funlockfile(log);
	if (saved < 0)
		fprintf(stderr, "motcham: cannot reopen access log %s (%s)\n", path,
			strerror(errno));
	close(fd);
}

/* Blocks until SIGINT or SIGTERM; on SIGHUP reopens the access log (when it is a file) and
 * waits on. The signals were blocked in every thread before the workers started, so they
 * queue here instead of killing the process mid-request. */
static void wait_for_stop(const sigset_t *set, FILE *log, const char *log_path)
{
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		if (log && log != stderr)
			reopen_log(log, log_path);
	}
	fprintf(stderr, "motcham: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
}

struct serve_opts {
	const char *db;
	const char *db_read;
	const char *bind;
	const char *base_url;
	const char *access_log;
	const char *metrics_allow;
	const char *trust_proxy;
	const char *log_key, *log_witness;
	const char *client_key;
	long port;
	long threads;
	long page_cache_mb;
	long upload_quota_mb, disk_reserve_mb;
	const char *spool;
	long spool_max_mb;
};

static int run_server(const char *cmd, const struct serve_opts *o, struct mc_store **s)
{
	struct mc_http_config hc = {
	    .db_path = o->db, .db_read_path = o->db_read, .threads = (unsigned)o->threads};
	struct mc_pages_config pc = {0};
	struct mc_pages *pages = NULL;
	struct mc_staff *staff = NULL;
	struct mc_scans *scans = NULL;
	struct mc_upload_spool *spool = NULL;
	struct mc_http *http = NULL;
	struct cli_log tlog = {0};
	FILE *log = NULL;
	struct mc_buf tdir, adir, fdir, sdir, kfile, errs, base;
	uint16_t port = 0;
	sigset_t set;
	enum mc_err err;
	int rc = 1, fd = -1;

	/* Blocked before any thread starts (the scan writer, the workers): threads inherit the
	 * mask, so SIGINT, SIGTERM and SIGHUP can only reach sigwait below. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	mc_buf_init(&tdir);
	mc_buf_init(&adir);
	mc_buf_init(&fdir);
	mc_buf_init(&sdir);
	mc_buf_init(&kfile);
	mc_buf_init(&errs);
	mc_buf_init(&base);
	if ((err = mc_http_listen(o->bind, (uint16_t)o->port, &fd, &port, &errs)) != MC_OK)
		goto out;
	if (o->base_url)
		err = mc_buf_puts(&base, o->base_url);
	else
		err = mc_buf_printf(&base, "http://%s:%u", o->bind, (unsigned)port);
	if (err == MC_OK)
		err = mc_buf_printf(&tdir, "%s/templates", cli_home_dir());
	if (err == MC_OK)
		err = mc_buf_printf(&adir, "%s/assets", cli_home_dir());
	if (err == MC_OK)
		err = mc_buf_printf(&fdir, "%s.files", o->db);
	/* Beside a database file, as its uploads are; a URL has no "beside". */
	if (err == MC_OK && (o->client_key || !mc_store_keeps_files(*s)))
		err = o->client_key ? mc_buf_puts(&kfile, o->client_key)
				    : mc_buf_printf(&kfile, "%s.client-key", o->db);
	if (err != MC_OK)
		goto out;
	/* Where the database keeps files, downloads are sent from this node's own copies. */
	if (mc_store_keeps_files(*s)) {
		err = o->spool ? mc_buf_puts(&sdir, o->spool)
			       : mc_buf_printf(&sdir, "%s/motcham-spool-%u",
					       getenv("TMPDIR") ? getenv("TMPDIR") : "/var/tmp",
					       (unsigned)geteuid());
		if (err == MC_OK &&
		    (err = mc_upload_spool_create(sdir.data, (long long)o->spool_max_mb << 20,
						  &spool)) != MC_OK)
			mc_buf_printf(&errs,
				      "cannot use %s as the spool: it must be a directory of this "
				      "user's own that no one else may write in (--spool DIR)",
				      sdir.data);
	}
	if (err != MC_OK)
		goto out;
	pc.templates_dir = tdir.data;
	pc.base_url = base.data;
	if ((err = mc_pages_create(&pc, &pages, &errs)) != MC_OK)
		goto out;
	/* Where the database keeps uploaded files (PostgreSQL) no directory is needed. */
	if ((err = mc_staff_create(
		 &(struct mc_staff_config){.pages = pages,
					   .files_dir = mc_store_keeps_files(*s) ? NULL : fdir.data,
					   .upload_quota = (long long)o->upload_quota_mb << 20,
					   .disk_reserve = (long long)o->disk_reserve_mb << 20,
					   .downloads = spool},
		 &staff)) != MC_OK)
		goto out;
	if ((err = mc_scans_create(o->db, &scans)) != MC_OK)
		goto out;
	if (o->access_log &&
	    !(log = strcmp(o->access_log, "-") ? fopen(o->access_log, "ae") : stderr)) {
		err = MC_ERR_IO;
		mc_buf_printf(&errs, "cannot open access log %s", o->access_log);
		goto out;
	}
	if (log)
		setvbuf(log, NULL, _IOLBF, 0);
	hc.assets_dir = adir.data;
	hc.pages = pages;
	hc.staff = staff;
	hc.scans = scans;
	hc.access_log = log;
	hc.metrics_allow = o->metrics_allow;
	hc.trust_proxy = o->trust_proxy;
	hc.client_key_file = kfile.data;
	hc.page_cache_mb = o->page_cache_mb == 0 ? -1 : (int)o->page_cache_mb;
	hc.https = !strncmp(base.data, "https://", 8);
	if ((err = cli_log_start(o->db, o->log_key, o->log_witness, &tlog, &errs)) != MC_OK)
		goto out;
	hc.log_witnesses = tlog.witnesses;
	hc.listen_fd = fd;
	fd = -1;
	if ((err = mc_http_start(&hc, &http, &errs)) != MC_OK)
		goto out;
	announce(*s, base.data);
	/* The server has connections of its own: a shared database counts this one no more. */
	mc_store_destroy(*s);
	*s = NULL;
	wait_for_stop(&set, log, o->access_log);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "motcham %s: %s%s%s\n", cmd, mc_strerror(err), errs.len ? ": " : "",
			errs.len ? errs.data : "");
	if (fd >= 0)
		close(fd);
	mc_http_destroy(http);
	mc_scans_destroy(scans); /* after the workers: writes every scan they queued */
	cli_log_stop(&tlog);	 /* after the workers too: signs what they wrote last */
	if (log && log != stderr)
		fclose(log);
	mc_staff_destroy(staff);
	mc_upload_spool_destroy(spool);
	mc_pages_destroy(pages);
	mc_buf_finish(&tdir);
	mc_buf_finish(&adir);
	mc_buf_finish(&fdir);
	mc_buf_finish(&sdir);
	mc_buf_finish(&kfile);
	mc_buf_finish(&errs);
	mc_buf_finish(&base);
	return rc;
}

int cmd_serve(struct args *a, int argc, char **argv)
{
	struct serve_opts o = {.bind = "127.0.0.1",
			       .port = 8080,
			       .page_cache_mb = 6,
			       .upload_quota_mb = 4096,
			       .disk_reserve_mb = 512,
			       .spool_max_mb = 1024};
	const struct opt opts[] = {{"port", OPT_INT, &o.port, 0, 65535},
				   {"bind", OPT_STR, &o.bind, 0, 0},
				   {"base-url", OPT_STR, &o.base_url, 0, 0},
				   {"threads", OPT_INT, &o.threads, 1, 64},
				   {"access-log", OPT_STR, &o.access_log, 0, 0},
				   {"metrics-allow", OPT_STR, &o.metrics_allow, 0, 0},
				   {"trust-proxy", OPT_STR, &o.trust_proxy, 0, 0},
				   {"page-cache", OPT_INT, &o.page_cache_mb, 0, 1024},
				   {"log-key", OPT_STR, &o.log_key, 0, 0},
				   {"log-witness", OPT_STR, &o.log_witness, 0, 0},
				   {"db-read", OPT_STR, &o.db_read, 0, 0},
				   {"client-key", OPT_STR, &o.client_key, 0, 0},
				   {"upload-quota", OPT_INT, &o.upload_quota_mb, 0, 1L << 30},
				   {"disk-reserve", OPT_INT, &o.disk_reserve_mb, 0, 1L << 30},
				   {"spool", OPT_STR, &o.spool, 0, 0},
				   {"spool-max", OPT_INT, &o.spool_max_mb, 0, 1L << 30},
				   {0}};
	struct mc_store *s = NULL;
	int rc;

	if ((rc = cli_parse_no_args(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (o.base_url && strncmp(o.base_url, "http://", 7) && strncmp(o.base_url, "https://", 8))
		return cli_usage_error(a->cmd, "--base-url must start with http:// or https://%s",
				       "");
	o.db = cli_db_path(a);
	/* The workers open the database read-only, so the schema must be current first. */
	if ((rc = cli_open_db(a, false, &s)) != 0)
		return rc;
	if (o.db_read && (rc = cli_check_db(a->cmd, o.db_read)) != 0) {
		mc_store_destroy(s);
		return rc;
	}
	rc = run_server(a->cmd, &o, &s);
	mc_store_destroy(s);
	return rc;
}
