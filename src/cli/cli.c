/* The command line: one parser for every subcommand's options, then a function per
 * subcommand. Exit status: 0 done, 1 failed, 2 usage error. */
#include "motcham/cli/cli.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include "motcham/store/audit.h"
#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
#include "motcham/import/csvimport.h"
#include "motcham/base/date.h"
#include "motcham/import/demo.h"
#include "motcham/print/gen.h"
#include "motcham/http/http.h"
#include "motcham/public/pages.h"
#include "motcham/http/scans.h"
#include "motcham/office/staff.h"
#include "motcham/store/store.h"
#include "motcham/base/token.h"

#define MAX_POS 64
#define MAX_ARG 4096

enum opt_type { OPT_STR, OPT_INT, OPT_DBL, OPT_FLAG };

struct opt {
	const char *name; /* without the leading "--" */
	enum opt_type type;
	void *dst; /* const char **, long *, double * or bool * */
	long min, max;
};

struct args {
	const char *cmd;
	char *pos[MAX_POS];
	int npos;
	bool help;
};

static int usage_error(const char *cmd, const char *fmt, const char *what)
{
	fprintf(stderr, "motcham %s: ", cmd);
	fprintf(stderr, fmt, what);
	fprintf(stderr, " (see 'motcham %s --help')\n", cmd);
	return 2;
}

static int set_value(const char *cmd, const struct opt *o, const char *v)
{
	char *end;

	if (strlen(v) > MAX_ARG)
		return usage_error(cmd, "value of --%s is too long", o->name);
	errno = 0;
	switch (o->type) {
	case OPT_STR:
		*(const char **)o->dst = v;
		return 0;
	case OPT_INT: {
		long n = strtol(v, &end, 10);

		if (errno || end == v || *end || n < o->min || n > o->max) {
			fprintf(stderr, "motcham %s: --%s wants a whole number from %ld to %ld\n",
				cmd, o->name, o->min, o->max);
			return 2;
		}
		*(long *)o->dst = n;
		return 0;
	}
	case OPT_DBL: {
		double d = strtod(v, &end);

		if (errno || end == v || *end || !(d >= (double)o->min && d <= (double)o->max)) {
			fprintf(stderr, "motcham %s: --%s wants a number from %ld to %ld\n", cmd,
				o->name, o->min, o->max);
			return 2;
		}
		*(double *)o->dst = d;
		return 0;
	}
	case OPT_FLAG:
		break;
	}
	return usage_error(cmd, "--%s takes no value", o->name);
}

static const struct opt *find_opt(const struct opt *opts, const char *name, size_t n)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == n && !strncmp(opts->name, name, n))
			return opts;
	return NULL;
}

/* Parses "--name value", "--name=value", flags and positional arguments. Returns 0 or 2. */
static int parse(struct args *a, int argc, char **argv, const struct opt *opts)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq;
		const struct opt *o;
		int rc;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			a->help = true;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
			if (arg[0] == '-' && arg[1])
				return usage_error(a->cmd, "unknown option %s", arg);
			if (a->npos == MAX_POS)
				return usage_error(a->cmd, "too many arguments%s", "");
			a->pos[a->npos++] = argv[i];
			continue;
		}
		eq = strchr(arg + 2, '=');
		o = find_opt(opts, arg + 2, eq ? (size_t)(eq - arg - 2) : strlen(arg + 2));
		if (!o)
			return usage_error(a->cmd, "unknown option %s", arg);
		if (o->type == OPT_FLAG) {
			if (eq)
				return usage_error(a->cmd, "--%s takes no value", o->name);
			*(bool *)o->dst = true;
			continue;
		}
		if (!eq && i + 1 >= argc)
			return usage_error(a->cmd, "option --%s needs a value", o->name);
		if ((rc = set_value(a->cmd, o, eq ? eq + 1 : argv[++i])) != 0)
			return rc;
	}
	return 0;
}

static const char *db_path(const char *given)
{
	const char *env = getenv("MOTCHAM_DB");

	if (given)
		return given;
	return env && *env ? env : "motcham.db";
}

/* Where templates/, assets/ and data/ live: $MOTCHAM_HOME or the source tree. */
static const char *home_dir(void)
{
	const char *env = getenv("MOTCHAM_HOME");

	return env && *env ? env : MC_SRCDIR;
}

static int fail(const char *cmd, const char *what, enum mc_err err, struct mc_store *s)
{
	if (err == MC_ERR_DB && s)
		fprintf(stderr, "motcham %s: %s: %s (%s)\n", cmd, what, mc_strerror(err),
			mc_store_errmsg(s));
	else
		fprintf(stderr, "motcham %s: %s: %s\n", cmd, what, mc_strerror(err));
	return 1;
}

/* Opens the database and brings its schema up to date. */
static int open_db(const char *cmd, const char *path, bool create, struct mc_store **s)
{
	enum mc_err err;

	err = mc_store_open(path, create ? MC_STORE_CREATE : 0, s);
	if (err != MC_OK) {
		fprintf(stderr, "motcham %s: cannot open database %s: %s%s\n", cmd, path,
			mc_strerror(err),
			err == MC_ERR_NOTFOUND ? " (run 'motcham init' or 'motcham demo')"
			: err == MC_ERR_IO || err == MC_ERR_BUSY
			    ? " (read-only file system, or no permission to write beside it?)"
			    : "");
		return 1;
	}
	if ((err = mc_store_migrate(*s)) != MC_OK) {
		fail(cmd, "cannot migrate the schema", err, *s);
		mc_store_destroy(*s);
		*s = NULL;
		return 1;
	}
	return 0;
}

static const char usage_init[] =
    "usage: motcham init [--db PATH]\n"
    "Creates the database, or brings its schema up to date.\n"
    "  --db PATH   database file (default $MOTCHAM_DB or ./motcham.db)\n";

static int cmd_init(struct args *a, int argc, char **argv)
{
	const char *db = NULL;
	const struct opt opts[] = {{"db", OPT_STR, &db, 0, 0}, {0}};
	struct mc_store *s = NULL;
	int rc, version = 0;

	if ((rc = parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (a->npos)
		return usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if ((rc = open_db(a->cmd, db_path(db), true, &s)) != 0)
		return rc;
	mc_store_version(s, &version);
	printf("database %s ready (schema version %d)\n", db_path(db), version);
	mc_store_destroy(s);
	return 0;
}

static const char usage_demo[] =
    "usage: motcham demo [--db PATH]\n"
    "Creates the database if needed and loads the sample ward Phường 7, Quận 8\n"
    "(procedures, announcements, permits and a code for each) from data/.\n"
    "Running it again updates the records and keeps their codes.\n"
    "  --db PATH   database file (default $MOTCHAM_DB or ./motcham.db)\n";

static int cmd_demo(struct args *a, int argc, char **argv)
{
	const char *db = NULL;
	const struct opt opts[] = {{"db", OPT_STR, &db, 0, 0}, {0}};
	struct mc_store *s = NULL;
	struct mc_buf dir;
	enum mc_err err;
	int rc;

	if ((rc = parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (a->npos)
		return usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if ((rc = open_db(a->cmd, db_path(db), true, &s)) != 0)
		return rc;
	mc_buf_init(&dir);
	err = mc_buf_printf(&dir, "%s/data", home_dir());
	if (err == MC_OK)
		err = mc_demo_load(s, dir.data, stderr);
	if (err != MC_OK)
		rc = fail(a->cmd, "cannot load the sample ward", err, s);
	else
		printf("sample ward loaded into %s\n", db_path(db));
	mc_buf_finish(&dir);
	mc_store_destroy(s);
	return rc;
}

static const char usage_import[] =
    "usage: motcham import [--db PATH] [--ward SLUG] FILE.csv...\n"
    "Imports procedure guides, permits, announcements, inspections or wards from CSV files\n"
    "(the kind is told by the header row). Each file is all-or-nothing: any rejected row is\n"
    "reported as FILE:LINE: reason and nothing of that file is written.\n"
    "  --db PATH     database file (default $MOTCHAM_DB or ./motcham.db)\n"
    "  --ward SLUG   ward for files without a ward column (default: the only ward)\n";

static int cmd_import(struct args *a, int argc, char **argv)
{
	const char *db = NULL, *ward = NULL;
	const struct opt opts[] = {{"db", OPT_STR, &db, 0, 0}, {"ward", OPT_STR, &ward, 0, 0}, {0}};
	struct mc_store *s = NULL;
	int rc;

	if ((rc = parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (!a->npos)
		return usage_error(a->cmd, "no CSV file given%s", "");
	if ((rc = open_db(a->cmd, db_path(db), false, &s)) != 0)
		return rc;
	for (int i = 0; i < a->npos; i++) {
		struct mc_import_stats st = {0};
		enum mc_err err = mc_csvimport_file(s, a->pos[i], ward, &st, stderr);

		if (err != MC_OK) {
			fprintf(
			    stderr,
			    "motcham import: %s not imported (%s): nothing from it was written\n",
			    a->pos[i], mc_strerror(err));
			rc = 1;
			continue;
		}
		printf("%s: %ld rows, %ld created, %ld updated\n", a->pos[i], st.rows, st.created,
		       st.updated);
	}
	mc_store_destroy(s);
	return rc;
}

static const char usage_gen[] =
    "usage: motcham gen [--db PATH] --base-url URL (--all | --token T | --kind KIND)\n"
    "                   --format png|svg --out DIR [--ecc L|M|Q|H]\n"
    "                   [--scale N | --size-mm MM [--dpi N]] [--margin N]\n"
    "Makes print-ready QR codes for BASE_URL/Q/TOKEN (upper-case: QR alphanumeric mode)\n"
    "and a manifest.csv (token,kind,title,url,version,ecc,file) beside them.\n"
    "  --all              every active code\n"
    "  --token T          one code\n"
    "  --kind KIND        every active code of a kind: ward, procedure, permit, announcement\n"
    "  --ecc L|M|Q|H      error correction (default Q: keychains and notices get worn)\n"
    "  --scale N          PNG pixels per module (default 8)\n"
    "  --size-mm MM       printed side of the symbol with its quiet zone\n"
    "  --dpi N            printer resolution for --size-mm and the PNG pHYs (default 300)\n"
    "  --margin N         quiet zone in modules (default 4)\n";

static int cmd_gen(struct args *a, int argc, char **argv)
{
	const char *db = NULL, *format = NULL, *ecc = NULL;
	struct mc_gen_opts g = {.margin = -1};
	long scale = 0, dpi = 0, margin = -1;
	double size_mm = 0;
	const struct opt opts[] = {{"db", OPT_STR, &db, 0, 0},
				   {"base-url", OPT_STR, &g.base_url, 0, 0},
				   {"all", OPT_FLAG, &g.all, 0, 0},
				   {"token", OPT_STR, &g.token, 0, 0},
				   {"kind", OPT_STR, &g.kind, 0, 0},
				   {"format", OPT_STR, &format, 0, 0},
				   {"out", OPT_STR, &g.out_dir, 0, 0},
				   {"ecc", OPT_STR, &ecc, 0, 0},
				   {"scale", OPT_INT, &scale, 1, 100},
				   {"size-mm", OPT_DBL, &size_mm, 5, 1000},
				   {"dpi", OPT_INT, &dpi, 72, 2400},
				   {"margin", OPT_INT, &margin, 0, 40},
				   {0}};
	struct mc_store *s = NULL;
	enum mc_err err;
	int rc;

	if ((rc = parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (a->npos)
		return usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if (!g.base_url)
		return usage_error(a->cmd, "--base-url is required%s", "");
	if (!g.out_dir)
		return usage_error(a->cmd, "--out is required%s", "");
	if (!format || (strcmp(format, "png") && strcmp(format, "svg")))
		return usage_error(a->cmd, "--format must be png or svg%s", "");
	if ((int)g.all + (g.token != NULL) + (g.kind != NULL) != 1)
		return usage_error(a->cmd, "give exactly one of --all, --token, --kind%s", "");
	if (scale && size_mm > 0)
		return usage_error(a->cmd, "--scale and --size-mm exclude each other%s", "");
	if (ecc) {
		if (mc_qr_ecc_parse(ecc, &g.ecc) != MC_OK)
			return usage_error(a->cmd, "--ecc must be L, M, Q or H, not %s", ecc);
		g.ecc_set = true;
	}
	g.format = strcmp(format, "png") ? MC_GEN_SVG : MC_GEN_PNG;
	g.scale = (int)scale;
	g.dpi = (int)dpi;
	g.size_mm = size_mm;
	g.margin = (int)margin;
	if ((rc = open_db(a->cmd, db_path(db), false, &s)) != 0)
		return rc;
	if ((err = mc_gen_run(s, &g, stderr)) != MC_OK)
		rc = fail(a->cmd, "codes not (all) written", err, s);
	mc_store_destroy(s);
	return rc;
}

static const char usage_code[] =
    "usage: motcham code list [--db PATH] [--kind KIND]\n"
    "       motcham code revoke [--db PATH] TOKEN [--replacement TOKEN]\n"
    "list prints one active code a line: TOKEN<TAB>KIND<TAB>TITLE.\n"
    "revoke retires a code for good (its page answers 410), optionally pointing to a\n"
    "replacement code; a retired code never points at anything else.\n";

static enum mc_err print_code(void *ctx, const struct mc_code *c)
{
	(void)ctx;
	printf("%s\t%s\t%s\n", c->token, c->target_kind, c->title ? c->title : "");
	return MC_OK;
}

/* Normalises a typed token, explaining what is wrong with it. */
static int read_token(const char *cmd, const char *in, char out[MC_TOKEN_LEN + 1])
{
	enum mc_err err = mc_token_normalize(in, strlen(in), out);

	if (err == MC_ERR_CHECK)
		fprintf(stderr, "motcham %s: %s looks mistyped (check character)\n", cmd, in);
	else if (err != MC_OK)
		fprintf(stderr, "motcham %s: %s is not a code\n", cmd, in);
	return err == MC_OK ? 0 : 1;
}

static int code_revoke(struct args *a, struct mc_store *s, const char *replacement)
{
	char tok[MC_TOKEN_LEN + 1], rep[MC_TOKEN_LEN + 1];
	enum mc_err err;

	if (a->npos != 2)
		return usage_error(a->cmd, "revoke needs one TOKEN%s", "");
	if (read_token(a->cmd, a->pos[1], tok) ||
	    (replacement && read_token(a->cmd, replacement, rep)))
		return 1;
	if ((err = mc_store_begin(s)) == MC_OK &&
	    (err = mc_store_code_revoke(s, tok, replacement ? rep : NULL)) == MC_OK)
		err = mc_store_commit(s);
	if (err != MC_OK) {
		mc_store_rollback(s);
		return fail(a->cmd, tok, err, s);
	}
	printf("%s revoked%s%s\n", tok, replacement ? ", replaced by " : "",
	       replacement ? rep : "");
	return 0;
}

static int cmd_code(struct args *a, int argc, char **argv)
{
	const char *db = NULL, *kind = NULL, *replacement = NULL;
	const struct opt opts[] = {{"db", OPT_STR, &db, 0, 0},
				   {"kind", OPT_STR, &kind, 0, 0},
				   {"replacement", OPT_STR, &replacement, 0, 0},
				   {0}};
	struct mc_store *s = NULL;
	enum mc_err err;
	int rc;

	if ((rc = parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (!a->npos || (strcmp(a->pos[0], "list") && strcmp(a->pos[0], "revoke")))
		return usage_error(a->cmd, "say 'list' or 'revoke'%s", "");
	if (kind && strcmp(kind, MC_KIND_WARD) && strcmp(kind, MC_KIND_PROCEDURE) &&
	    strcmp(kind, MC_KIND_PERMIT) && strcmp(kind, MC_KIND_ANNOUNCEMENT))
		return usage_error(a->cmd,
				   "--kind must be ward, procedure, permit or announcement, "
				   "not %s",
				   kind);
	if ((rc = open_db(a->cmd, db_path(db), false, &s)) != 0)
		return rc;
	if (!strcmp(a->pos[0], "revoke")) {
		rc = code_revoke(a, s, replacement);
	} else if ((err = mc_store_code_each(s, kind, print_code, NULL)) != MC_OK) {
		rc = fail(a->cmd, "cannot list codes", err, s);
	}
	mc_store_destroy(s);
	return rc;
}

static const char usage_serve[] =
    "usage: motcham serve [--db PATH] [--port N] [--bind ADDR] [--base-url URL] [--threads N]\n"
    "Serves the public pages: /q/TOKEN resolves a printed code. Stops cleanly on\n"
    "SIGINT or SIGTERM.\n"
    "  --db PATH        database file (default $MOTCHAM_DB or ./motcham.db)\n"
    "  --port N         TCP port (default 8080; 0 picks a free one)\n"
    "  --bind ADDR      IPv4 address to listen on (default 127.0.0.1)\n"
    "  --base-url URL   public URL of this server (default http://ADDR:PORT)\n"
    "  --threads N      worker threads (default: one per core)\n"
    "  --access-log F   one line per request (Common Log Format, client as a keyed hash)\n"
    "                   appended to file F, or to standard error for '-'\n"
    "  --metrics-allow A,B  IPv4 addresses that may read /metrics (default: none)\n"
    "  --page-cache MB  rendered public pages kept in memory per worker thread\n"
    "                   (default 6; 0 renders every page from the database)\n";

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

/* Blocks until SIGINT or SIGTERM. The signals were blocked in every thread before the
 * workers started, so they queue here instead of killing the process mid-request. */
static void wait_for_stop(const sigset_t *set)
{
	int sig;

	while (sigwait(set, &sig) != 0)
		;
	fprintf(stderr, "motcham: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
}

struct serve_opts {
	const char *db;
	const char *bind;
	const char *base_url;
	const char *access_log;
	const char *metrics_allow;
	long port;
	long threads;
	long page_cache_mb;
};

static int run_server(const char *cmd, const struct serve_opts *o, struct mc_store *s)
{
	struct mc_http_config hc = {.db_path = o->db, .threads = (unsigned)o->threads};
	struct mc_pages_config pc = {0};
	struct mc_pages *pages = NULL;
	struct mc_staff *staff = NULL;
	struct mc_scans *scans = NULL;
	struct mc_http *http = NULL;
	FILE *log = NULL;
	struct mc_buf tdir, adir, fdir, errs, base;
	uint16_t port = 0;
	sigset_t set;
	enum mc_err err;
	int rc = 1, fd = -1;

	/* Blocked before any thread starts (the scan writer, the workers): threads inherit the
	 * mask, so SIGINT and SIGTERM can only reach sigwait below. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	mc_buf_init(&tdir);
	mc_buf_init(&adir);
	mc_buf_init(&fdir);
	mc_buf_init(&errs);
	mc_buf_init(&base);
	if ((err = mc_http_listen(o->bind, (uint16_t)o->port, &fd, &port, &errs)) != MC_OK)
		goto out;
	if (o->base_url)
		err = mc_buf_puts(&base, o->base_url);
	else
		err = mc_buf_printf(&base, "http://%s:%u", o->bind, (unsigned)port);
	if (err == MC_OK)
		err = mc_buf_printf(&tdir, "%s/templates", home_dir());
	if (err == MC_OK)
		err = mc_buf_printf(&adir, "%s/assets", home_dir());
	if (err == MC_OK)
		err = mc_buf_printf(&fdir, "%s.files", o->db);
	if (err != MC_OK)
		goto out;
	pc.templates_dir = tdir.data;
	pc.base_url = base.data;
	if ((err = mc_pages_create(&pc, &pages, &errs)) != MC_OK)
		goto out;
	if ((err =
		 mc_staff_create(&(struct mc_staff_config){.pages = pages, .files_dir = fdir.data},
				 &staff)) != MC_OK)
		goto out;
	if ((err = mc_scans_create(o->db, &scans)) != MC_OK)
		goto out;
	if (o->access_log &&
	    !(log = strcmp(o->access_log, "-") ? fopen(o->access_log, "a") : stderr)) {
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
	hc.page_cache_mb = o->page_cache_mb == 0 ? -1 : (int)o->page_cache_mb;
	hc.https = !strncmp(base.data, "https://", 8);
	hc.listen_fd = fd;
	fd = -1;
	if ((err = mc_http_start(&hc, &http, &errs)) != MC_OK)
		goto out;
	announce(s, base.data);
	wait_for_stop(&set);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "motcham %s: %s%s%s\n", cmd, mc_strerror(err), errs.len ? ": " : "",
			errs.len ? errs.data : "");
	if (fd >= 0)
		close(fd);
	mc_http_destroy(http);
	mc_scans_destroy(scans); /* after the workers: writes every scan they queued */
	if (log && log != stderr)
		fclose(log);
	mc_staff_destroy(staff);
	mc_pages_destroy(pages);
	mc_buf_finish(&tdir);
	mc_buf_finish(&adir);
	mc_buf_finish(&fdir);
	mc_buf_finish(&errs);
	mc_buf_finish(&base);
	return rc;
}

static int cmd_serve(struct args *a, int argc, char **argv)
{
	struct serve_opts o = {.bind = "127.0.0.1", .port = 8080, .page_cache_mb = 6};
	const struct opt opts[] = {{"db", OPT_STR, &o.db, 0, 0},
				   {"port", OPT_INT, &o.port, 0, 65535},
				   {"bind", OPT_STR, &o.bind, 0, 0},
				   {"base-url", OPT_STR, &o.base_url, 0, 0},
				   {"threads", OPT_INT, &o.threads, 1, 64},
				   {"access-log", OPT_STR, &o.access_log, 0, 0},
				   {"metrics-allow", OPT_STR, &o.metrics_allow, 0, 0},
				   {"page-cache", OPT_INT, &o.page_cache_mb, 0, 1024},
				   {0}};
	struct mc_store *s = NULL;
	int rc;

	if ((rc = parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (a->npos)
		return usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	if (o.base_url && strncmp(o.base_url, "http://", 7) && strncmp(o.base_url, "https://", 8))
		return usage_error(a->cmd, "--base-url must start with http:// or https://%s", "");
	o.db = db_path(o.db);
	/* The workers open the database read-only, so the schema must be current first. */
	if ((rc = open_db(a->cmd, o.db, false, &s)) != 0)
		return rc;
	rc = run_server(a->cmd, &o, s);
	mc_store_destroy(s);
	return rc;
}

static const char usage_user[] =
    "usage: motcham user add [--db PATH] --name NAME --role staff|supervisor|admin [--ward SLUG]\n"
    "       motcham user list [--db PATH]\n"
    "       motcham user disable [--db PATH] --name NAME\n"
    "add asks for the password on the terminal (twice), or reads one line from standard\n"
    "input when it is not a terminal. Passwords: 10 to 256 bytes. Staff need --ward.\n"
    "disable ends the user's sessions; users are never deleted (the audit trail names them).\n";

/* Reads one line into buf without echo on a terminal. */
static bool read_line(const char *prompt, bool tty, char *buf, size_t size)
{
	struct termios old, quiet;
	bool ok, hidden = false;
	size_t n;

	if (tty) {
		fputs(prompt, stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			hidden = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
	}
	ok = fgets(buf, (int)size, stdin) != NULL;
	if (hidden) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	n = ok ? strcspn(buf, "\r\n") : 0;
	if (ok && buf[n] == '\0' && n == size - 1)
		return false; /* longer than any password we accept */
	buf[n] = '\0';
	return ok;
}

static int read_password(const char *cmd, char pw[300])
{
	char again[300];
	bool tty = isatty(STDIN_FILENO);

	if (!read_line("Password: ", tty, pw, 300)) {
		fprintf(stderr, "motcham %s: no password given\n", cmd);
		return 1;
	}
	if (tty &&
	    (!read_line("Password again: ", tty, again, sizeof(again)) || strcmp(pw, again))) {
		fprintf(stderr, "motcham %s: the passwords differ\n", cmd);
		return 1;
	}
	if (mc_auth_check_password(pw) != MC_OK) {
		fprintf(stderr, "motcham %s: a password needs 10 to 256 bytes of UTF-8\n", cmd);
		return 1;
	}
	return 0;
}

static int user_add(struct args *a, struct mc_store *s, const char *name, const char *role,
		    const char *ward)
{
	char pw[300], hash[MC_AUTH_HASH_MAX];
	struct mc_user u = {.name = name, .role = role, .pw_hash = hash};
	enum mc_err err;
	int rc;

	if (ward && (err = mc_store_ward_id(s, ward, &u.ward_id)) != MC_OK)
		return fail(a->cmd, ward, err, s);
	if ((rc = read_password(a->cmd, pw)) != 0)
		return rc;
	err = mc_auth_hash_password(pw, hash);
	sodium_memzero(pw, sizeof(pw));
	if (err == MC_OK)
		err = mc_store_user_add(s, &u, NULL);
	if (err == MC_ERR_EXISTS) {
		fprintf(stderr, "motcham %s: a user called %s exists already\n", a->cmd, name);
		return 1;
	}
	if (err != MC_OK)
		return fail(a->cmd, name, err, s);
	printf("user %s (%s) added\n", name, role);
	return 0;
}

static enum mc_err print_user(void *ctx, const struct mc_user *u)
{
	(void)ctx;
	printf("%s\t%s\t%lld\t%s\n", u->name, u->role, (long long)u->ward_id,
	       u->disabled_at ? "disabled" : "active");
	return MC_OK;
}

static bool valid_user_name(const char *n)
{
	size_t len = strlen(n);

	return len >= 2 && len <= 64 &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") ==
		   len;
}

static int cmd_user(struct args *a, int argc, char **argv)
{
	const char *db = NULL, *name = NULL, *role = NULL, *ward = NULL;
	const struct opt opts[] = {{"db", OPT_STR, &db, 0, 0},
				   {"name", OPT_STR, &name, 0, 0},
				   {"role", OPT_STR, &role, 0, 0},
				   {"ward", OPT_STR, &ward, 0, 0},
				   {0}};
	const char *verb;
	struct mc_store *s = NULL;
	enum mc_err err;
	int rc;

	if ((rc = parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	verb = a->npos == 1 ? a->pos[0] : "";
	if (strcmp(verb, "add") && strcmp(verb, "list") && strcmp(verb, "disable"))
		return usage_error(a->cmd, "say 'add', 'list' or 'disable'%s", "");
	if (strcmp(verb, "list") && (!name || !valid_user_name(name)))
		return usage_error(a->cmd, "--name wants 2-64 letters, digits or ._-@%s", "");
	if (!strcmp(verb, "add")) {
		if (!role || (strcmp(role, MC_ROLE_STAFF) && strcmp(role, MC_ROLE_SUPERVISOR) &&
			      strcmp(role, MC_ROLE_ADMIN)))
			return usage_error(a->cmd, "--role must be staff, supervisor or admin%s",
					   "");
		if (!strcmp(role, MC_ROLE_STAFF) && !ward)
			return usage_error(a->cmd, "staff belong to a ward: give --ward SLUG%s",
					   "");
	}
	if ((rc = open_db(a->cmd, db_path(db), false, &s)) != 0)
		return rc;
	mc_store_set_actor(s, 0, "cli");
	if (!strcmp(verb, "add")) {
		rc = user_add(a, s, name, role, ward);
	} else if (!strcmp(verb, "list")) {
		if ((err = mc_store_user_each(s, print_user, NULL)) != MC_OK)
			rc = fail(a->cmd, "cannot list users", err, s);
	} else if ((err = mc_store_user_disable(s, name)) != MC_OK) {
		rc = fail(a->cmd, name, err, s);
	} else {
		printf("user %s disabled\n", name);
	}
	mc_store_destroy(s);
	return rc;
}

static const char usage_audit[] =
    "usage: motcham audit verify [--db PATH]\n"
    "       motcham audit export [--db PATH] [--since YYYY-MM-DD] [--out FILE]\n"
    "verify checks the whole SHA-256 chain of the audit trail and prints \"OK, N entries\"\n"
    "and the chain head, or the id of the first entry that does not match (exit 1).\n"
    "export writes the entries as JSON Lines (to FILE or standard output) so the chain\n"
    "can be archived and verified elsewhere.\n";

static int audit_verify(struct args *a, struct mc_store *s)
{
	struct mc_audit_check c;
	enum mc_err err;

	if ((err = mc_audit_verify(s, &c)) != MC_OK)
		return fail(a->cmd, "cannot read the audit trail", err, s);
	if (c.first_bad) {
		printf("FAILED at entry %lld: %s\n", (long long)c.first_bad, c.why);
		return 1;
	}
	printf("OK, %lld entries\nhead %s\n", c.entries, c.head);
	return 0;
}

static int audit_export(struct args *a, struct mc_store *s, const char *since, const char *path)
{
	FILE *f = stdout;
	enum mc_err err;

	if (since && !mc_date_valid(since))
		return usage_error(a->cmd, "--since wants a date YYYY-MM-DD, not %s", since);
	if (path && !(f = fopen(path, "w"))) {
		fprintf(stderr, "motcham %s: cannot write %s: %s\n", a->cmd, path, strerror(errno));
		return 1;
	}
	err = mc_audit_export(s, since, f);
	if (fflush(f) != 0 && err == MC_OK)
		err = MC_ERR_IO;
	if (f != stdout && fclose(f) != 0 && err == MC_OK)
		err = MC_ERR_IO;
	return err == MC_OK ? 0 : fail(a->cmd, "export failed", err, s);
}

static int cmd_audit(struct args *a, int argc, char **argv)
{
	const char *db = NULL, *since = NULL, *out = NULL;
	const struct opt opts[] = {{"db", OPT_STR, &db, 0, 0},
				   {"since", OPT_STR, &since, 0, 0},
				   {"out", OPT_STR, &out, 0, 0},
				   {0}};
	struct mc_store *s = NULL;
	int rc;

	if ((rc = parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (a->npos != 1 || (strcmp(a->pos[0], "verify") && strcmp(a->pos[0], "export")))
		return usage_error(a->cmd, "say 'verify' or 'export'%s", "");
	if ((rc = open_db(a->cmd, db_path(db), false, &s)) != 0)
		return rc;
	rc = strcmp(a->pos[0], "verify") ? audit_export(a, s, since, out) : audit_verify(a, s);
	mc_store_destroy(s);
	return rc;
}

static const char usage_ward[] =
    "usage: motcham ward merge [--db PATH] --from SLUG --into SLUG\n"
    "Moves every record of one ward into another in one audited transaction (wards merge\n"
    "and are renamed). Every code printed for the old ward keeps resolving: its keychain\n"
    "code opens the new ward's home with a notice naming the old ward.\n";

static int merge_failed(struct args *a, enum mc_err err, const char *from, const char *into,
			struct mc_store *s)
{
	if (err == MC_ERR_GONE)
		fprintf(stderr, "motcham %s: %s was merged already\n", a->cmd, from);
	else if (err == MC_ERR_INVALID)
		fprintf(stderr,
			"motcham %s: cannot merge %s into %s (same ward, or a merged ward)\n",
			a->cmd, from, into);
	else
		return fail(a->cmd, "merge failed, nothing changed", err, s);
	return 1;
}

static int cmd_ward(struct args *a, int argc, char **argv)
{
	const char *db = NULL, *from = NULL, *into = NULL;
	const struct opt opts[] = {{"db", OPT_STR, &db, 0, 0},
				   {"from", OPT_STR, &from, 0, 0},
				   {"into", OPT_STR, &into, 0, 0},
				   {0}};
	struct mc_merge_stats ms;
	struct mc_store *s = NULL;
	enum mc_err err;
	int rc;

	if ((rc = parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (a->npos != 1 || strcmp(a->pos[0], "merge"))
		return usage_error(a->cmd, "say 'merge'%s", "");
	if (!from || !into)
		return usage_error(a->cmd, "merge needs --from SLUG and --into SLUG%s", "");
	if ((rc = open_db(a->cmd, db_path(db), false, &s)) != 0)
		return rc;
	mc_store_set_actor(s, 0, "cli");
	if ((err = mc_store_ward_merge(s, from, into, &ms)) != MC_OK)
		rc = merge_failed(a, err, from, into, s);
	else
		printf(
		    "merged %s into %s: %ld permits, %ld procedures, %ld announcements, %ld users "
		    "moved\n",
		    from, into, ms.permits, ms.procedures, ms.announcements, ms.users);
	mc_store_destroy(s);
	return rc;
}

static const char usage_backup[] =
    "usage: motcham backup [--db PATH] --to FILE\n"
    "Copies the database with SQLite's online backup API (the server may keep running),\n"
    "then opens the copy and checks it (integrity and the audit chain).\n";

static int check_copy(const char *cmd, const char *path)
{
	struct mc_audit_check c = {0};
	struct mc_store *copy = NULL;
	enum mc_err err;
	bool ok = false;

	err = mc_store_open(path, MC_STORE_READONLY, &copy);
	if (err == MC_OK)
		err = mc_store_integrity(copy, &ok);
	if (err == MC_OK && ok)
		err = mc_audit_verify(copy, &c);
	mc_store_destroy(copy);
	if (err != MC_OK || !ok || c.first_bad) {
		fprintf(stderr, "motcham %s: the copy %s does not verify\n", cmd, path);
		return 1;
	}
	printf("backup %s written and verified: integrity ok, %lld audit entries\n", path,
	       c.entries);
	return 0;
}

static int cmd_backup(struct args *a, int argc, char **argv)
{
	const char *db = NULL, *to = NULL;
	const struct opt opts[] = {{"db", OPT_STR, &db, 0, 0}, {"to", OPT_STR, &to, 0, 0}, {0}};
	struct mc_store *s = NULL;
	enum mc_err err;
	int rc;

	if ((rc = parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (!to || a->npos)
		return usage_error(a->cmd, "give --to FILE%s", "");
	if (access(to, F_OK) == 0) {
		fprintf(stderr, "motcham %s: %s exists; choose a new file\n", a->cmd, to);
		return 1;
	}
	if ((rc = open_db(a->cmd, db_path(db), false, &s)) != 0)
		return rc;
	err = mc_store_backup(s, to);
	mc_store_destroy(s);
	if (err != MC_OK) {
		unlink(to);
		return fail(a->cmd, "backup failed", err, NULL);
	}
	return check_copy(a->cmd, to);
}

struct command {
	const char *name;
	int (*run)(struct args *a, int argc, char **argv);
	const char *usage;
	const char *summary;
};

static const struct command commands[] = {
    {"init", cmd_init, usage_init, "create or migrate the database"},
    {"demo", cmd_demo, usage_demo, "load the sample ward Phường 7, Quận 8"},
    {"import", cmd_import, usage_import, "import procedures, permits ... from CSV"},
    {"gen", cmd_gen, usage_gen, "make print-ready QR codes (PNG or SVG) and a manifest"},
    {"serve", cmd_serve, usage_serve, "run the web server"},
    {"code", cmd_code, usage_code, "list or revoke codes"},
    {"user", cmd_user, usage_user, "add, list or disable staff accounts"},
    {"audit", cmd_audit, usage_audit, "verify or export the audit trail"},
    {"ward", cmd_ward, usage_ward, "merge a ward into another"},
    {"backup", cmd_backup, usage_backup, "copy the live database and verify the copy"},
};

static void print_usage(FILE *f)
{
	fprintf(f, "usage: motcham COMMAND [OPTIONS]\n"
		   "motcham (một chạm): QR codes that open a ward's procedures, announcements and\n"
		   "house-repair permits.\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-8s %s\n\n'motcham COMMAND --help' tells more.\n", "version",
		"print the version");
}

int mc_cli_main(int argc, char **argv)
{
	struct args a = {0};
	int rc;

	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("motcham %s\n", MC_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		a.cmd = commands[i].name;
		rc = commands[i].run(&a, argc - 2, argv + 2);
		if (a.help && rc == 0)
			fputs(commands[i].usage, stdout);
		return rc;
	}
	fprintf(stderr, "motcham: unknown command '%s' (see 'motcham --help')\n", argv[1]);
	return 2;
}
