/* The real server's whole request path, in process: the input is sent as raw bytes on one TCP
 * connection to a server on 127.0.0.1 holding the demo ward, with the staff side, scan
 * counting and the page cache on. So libmicrohttpd's request parsing and URL decoding, the
 * router, query arguments, and urlencoded and multipart form posts (the residents' report
 * form, with its photo upload) all see fuzzed bytes.
 *
 * Seeds can name real records through placeholders, replaced before sending: @SLUG@ the
 * ward, @TOK@ a permit's code, @PID@ that permit's id, @FORM@ its report form token, and
 * @COOKIE@ / @CSRF@ a signed-in staff session of that ward and its form token (the harness
 * signs in again whenever an input has ended the session), so the staff forms and file
 * uploads are fuzzed too.
 *
 * Properties: whatever the server answers starts with an "HTTP/1.x NNN" status line and is
 * never a 500 (an internal error), and after each input the server still answers
 * GET /healthz with 200 within seconds. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"
#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
#include "motcham/import/demo.h"
#include "motcham/http/http.h"
#include "motcham/public/pages.h"
#include "motcham/web/request.h"
#include "motcham/http/scans.h"
#include "motcham/office/session.h"
#include "motcham/office/staff.h"
#include "motcham/store/store.h"

#define INPUT_MAX (256 * 1024)
#define PROBE_WAIT_MS 8000 /* GET /healthz must be answered by then */
#define INPUT_WAIT_MS 500  /* a fuzzed request gets this long to draw a first answer */
#define QUIET_MS 100	   /* after some answer, this long without more ends the exchange */

struct http_env {
	char dir[256], db[300], files[310], base[64];
	char token[32], permit_id[24], form[MC_AUTH_SHA256_LEN + 1];
	char cookie[65], csrf[65];
	int64_t ward_id;
	struct mc_store *s; /* the harness's own connection, for signing in */
	struct mc_pages *pages;
	struct mc_staff *staff;
	struct mc_scans *scans;
	struct mc_http *http;
	uint16_t port;
};

/* Made on the first input and kept for the life of the process, like a running server. */
static struct http_env *env;

static enum mc_err first_permit(void *ctx, const struct mc_code *c)
{
	struct http_env *e = ctx;

	if (!e->token[0]) {
		e->ward_id = c->ward_id;
		snprintf(e->token, sizeof(e->token), "%s", c->token);
		snprintf(e->permit_id, sizeof(e->permit_id), "%" PRId64, c->target_id);
	}
	return MC_OK;
}

#define STAFF_NAME "fuzz"
#define STAFF_PASSWORD "fuzz-harness-password"

/* The demo database with one staff account, and the names the seeds' placeholders stand
 * for. */
static void make_db(struct http_env *e)
{
	char secret[65], hash[MC_AUTH_HASH_MAX];
	struct mc_user u = {.name = STAFF_NAME, .role = MC_ROLE_STAFF};
	int64_t uid;

	FUZZ_CHECK(mc_store_open(e->db, MC_STORE_CREATE, &e->s) == MC_OK);
	FUZZ_CHECK(mc_store_migrate(e->s) == MC_OK);
	FUZZ_CHECK(mc_demo_load(e->s, MC_SRCDIR "/data", stderr) == MC_OK);
	FUZZ_CHECK(mc_store_code_each(e->s, "permit", first_permit, e) == MC_OK && e->token[0]);
	FUZZ_CHECK(mc_store_secret(e->s, secret) == MC_OK);
	mc_pages_report_token(secret, strtoll(e->permit_id, NULL, 10), time(NULL), e->form);
	FUZZ_CHECK(mc_auth_hash_password(STAFF_PASSWORD, hash) == MC_OK);
	u.ward_id = e->ward_id;
	u.pw_hash = hash;
	FUZZ_CHECK(mc_store_user_add(e->s, &u, &uid) == MC_OK);
}

static const char *cookie_of(const struct mc_request *rq, enum mc_request_kind kind,
			     const char *name)
{
	(void)rq;
	return kind == MC_REQ_COOKIE && strcmp(name, MC_SESSION_COOKIE) == 0 ? env->cookie : NULL;
}

/* A live session for @COOKIE@ and @CSRF@: an input may have signed out. */
static void keep_session(void)
{
	struct mc_request rq = {.method = "GET", .path = "/staff", .lookup = cookie_of};
	struct mc_session_user u;
	struct mc_login l;

	if (env->cookie[0] && mc_session_get(env->s, &rq, (long long)time(NULL), &u) == MC_OK)
		return;
	FUZZ_CHECK(mc_session_login(env->s, STAFF_NAME, STAFF_PASSWORD, "fuzz-harness",
				    (long long)time(NULL), NULL, &l) == MC_OK);
	FUZZ_CHECK(l.res == MC_LOGIN_OK);
	snprintf(env->cookie, sizeof(env->cookie), "%s", l.token);
	FUZZ_CHECK(mc_session_get(env->s, &rq, (long long)time(NULL), &u) == MC_OK);
	snprintf(env->csrf, sizeof(env->csrf), "%s", u.csrf);
}

/* What the serve command sets up, on a free port. */
static void start_server(struct http_env *e)
{
	struct mc_http_config hc = {.db_path = e->db, .threads = 2};
	struct mc_pages_config pc = {.templates_dir = MC_SRCDIR "/templates"};
	struct mc_staff_config sc = {.files_dir = e->files};
	struct mc_buf errs;
	int fd = -1;

	mc_buf_init(&errs);
	FUZZ_CHECK(mc_http_listen("127.0.0.1", 0, &fd, &e->port, &errs) == MC_OK);
	snprintf(e->base, sizeof(e->base), "http://127.0.0.1:%u", (unsigned)e->port);
	pc.base_url = e->base;
	FUZZ_CHECK(mc_pages_create(&pc, &e->pages, &errs) == MC_OK);
	sc.pages = e->pages;
	FUZZ_CHECK(mc_staff_create(&sc, &e->staff) == MC_OK);
	FUZZ_CHECK(mc_scans_create(e->db, &e->scans) == MC_OK);
	hc.assets_dir = MC_SRCDIR "/assets";
	hc.pages = e->pages;
	hc.staff = e->staff;
	hc.scans = e->scans;
	hc.metrics_allow = "127.0.0.1";
	hc.listen_fd = fd;
	if (mc_http_start(&hc, &e->http, &errs) != MC_OK) {
		fprintf(stderr, "fuzz_http: %s\n", errs.data ? errs.data : "cannot start");
		abort();
	}
	mc_buf_finish(&errs);
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	FUZZ_CHECK((env = calloc(1, sizeof(*env))) != NULL);
	snprintf(env->dir, sizeof(env->dir), "%s/fuzz-http.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FUZZ_CHECK(mkdtemp(env->dir) != NULL);
	snprintf(env->db, sizeof(env->db), "%s/db", env->dir);
	snprintf(env->files, sizeof(env->files), "%s/db.files", env->dir);
	make_db(env);
	start_server(env);
}

/* The input with every placeholder replaced. */
static void expand(const uint8_t *data, size_t size, struct mc_buf *out)
{
	const struct {
		const char *name, *value;
	} subst[] = {{"@SLUG@", "phuong-7-quan-8"}, {"@TOK@", env->token},
		     {"@PID@", env->permit_id},	    {"@FORM@", env->form},
		     {"@COOKIE@", env->cookie},	    {"@CSRF@", env->csrf}};
	size_t i, k, n;

	for (i = 0; i < size;) {
		for (k = 0; k < sizeof(subst) / sizeof(subst[0]); k++) {
			n = strlen(subst[k].name);
			if (size - i >= n && memcmp(data + i, subst[k].name, n) == 0)
				break;
		}
		if (k < sizeof(subst) / sizeof(subst[0])) {
			FUZZ_CHECK(mc_buf_puts(out, subst[k].value) == MC_OK);
			i += strlen(subst[k].name);
		} else {
			FUZZ_CHECK(mc_buf_add(out, (const char *)data + i, 1) == MC_OK);
			i++;
		}
	}
}

static int connect_server(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(env->port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	FUZZ_CHECK(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	FUZZ_CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	return fd;
}

/* Sends everything (the server may close early: that is an answer too), ends the client's
 * side, and reads until the server closes, or until it has answered and then stays quiet
 * (a keep-alive connection may notice the client's half-close only at its idle timeout).
 * Returns how many of the answer's first bytes are in head. When nothing comes within
 * wait_ms: with must_answer that is a hang, otherwise the exchange just ends (libmicrohttpd
 * sometimes misses a half-close that came with the last bytes of an unfinished request and
 * waits for its idle timeout; the /healthz probe after each input catches a real hang). */
static size_t exchange(const char *req, size_t len, char *head, size_t cap, int wait_ms,
		       bool must_answer)
{
	struct pollfd p;
	size_t got = 0, off = 0, total = 0;
	char buf[16384];
	ssize_t n;
	int fd = connect_server();

	while (off < len) {
		n = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* closed by the server, e.g. after a 413 */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		p = (struct pollfd){.fd = fd, .events = POLLIN};
		n = poll(&p, 1, total ? QUIET_MS : wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && (total || !must_answer))
			break;
		if (n == 0)
			fprintf(stderr, "fuzz_http: nothing after %d ms to: %.*s\n", wait_ms,
				(int)(memchr(req, '\r', len)
					  ? (const char *)memchr(req, '\r', len) - req
					  : (int)(len < 80 ? len : 80)),
				req);
		FUZZ_CHECK(n == 1);
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* closed (a reset counts: the server may cut a bad client off) */
		total += (size_t)n;
		if (got < cap) {
			memcpy(head + got, buf, (size_t)n < cap - got ? (size_t)n : cap - got);
			got += (size_t)n < cap - got ? (size_t)n : cap - got;
		}
	}
	close(fd);
	return got;
}

static void check_status_line(const char *head, size_t got)
{
	if (got == 0)
		return;
	FUZZ_CHECK(got >= 13 &&
		   (memcmp(head, "HTTP/1.1 ", 9) == 0 || memcmp(head, "HTTP/1.0 ", 9) == 0));
	FUZZ_CHECK(head[9] >= '1' && head[9] <= '5' && head[10] >= '0' && head[10] <= '9' &&
		   head[11] >= '0' && head[11] <= '9' && head[12] == ' ');
	FUZZ_CHECK(memcmp(head + 9, "500", 3) != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char probe[] = "GET /healthz HTTP/1.1\r\nHost: f\r\nConnection: close\r\n\r\n";
	struct mc_buf req;
	char head[64];
	size_t got;

	if (size > INPUT_MAX)
		return 0;
	if (!env)
		setup();
	if (memmem(data, size, "@COOKIE@", 8) || memmem(data, size, "@CSRF@", 6))
		keep_session();
	mc_buf_init(&req);
	expand(data, size, &req);
	got = exchange(req.data ? req.data : "", req.len, head, sizeof(head), INPUT_WAIT_MS, false);
	if (getenv("FUZZ_VERBOSE")) /* for whoever writes seeds: what did that get? */
		fprintf(stderr, "fuzz_http: %.*s\n",
			(int)strcspn(head, "\r\n") < (int)got ? (int)strcspn(head, "\r\n")
							      : (int)got,
			head);
	check_status_line(head, got);
	mc_buf_finish(&req);
	/* Whatever that was, the server still serves. */
	got = exchange(probe, sizeof(probe) - 1, head, sizeof(head), PROBE_WAIT_MS, true);
	FUZZ_CHECK(got >= 12 && memcmp(head, "HTTP/1.1 200", 12) == 0);
	return 0;
}
