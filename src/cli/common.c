/* What the subcommands share: where the database and the data files are, opening the
 * database (and upgrading its schema safely), and the one way a failure is told. */

#include "private.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "motcham/base/buf.h"
#include "motcham/http/http.h"
#include "motcham/store/store.h"

const char *cli_db_path(const struct args *a)
{
	const char *env = getenv("MOTCHAM_DB");

	if (a->db)
		return a->db;
	return env && *env ? env : "motcham.db";
}

/* True when this process is the binary in its build directory (not an installed copy), so
 * a developer's build reads the source tree even where a package is installed too. */
static bool in_build_dir(void)
{
	char exe[PATH_MAX], build[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	size_t len;

	if (n <= 0 || !realpath(MC_BUILDDIR, build))
		return access(MC_DATADIR "/templates", F_OK) != 0;
	exe[n] = '\0';
	len = strlen(build);
	return !strncmp(exe, build, len) && exe[len] == '/';
}

const char *cli_home_dir(void)
{
	const char *env = getenv("MOTCHAM_HOME");

	if (env && *env)
		return env;
	return in_build_dir() ? MC_SRCDIR : MC_DATADIR;
}

int cli_fail(const char *cmd, const char *what, enum mc_err err, struct mc_store *s)
{
	if (err == MC_ERR_DB && s)
		fprintf(stderr, "motcham %s: %s: %s (%s)\n", cmd, what, mc_strerror(err),
			mc_store_errmsg(s));
	else
		fprintf(stderr, "motcham %s: %s: %s\n", cmd, what, mc_strerror(err));
	return 1;
}

const char *cli_db_shown(const char *path, char out[CLI_SHOWN])
{
	mc_store_redact(path, out, CLI_SHOWN);
	return out;
}

/* Why a database did not open: the database's own words for a server, a hint for a file. */
static void open_failed(const char *cmd, const char *path, enum mc_err err, struct mc_buf *why)
{
	char shown[CLI_SHOWN];

	cli_db_shown(path, shown);
	if (mc_store_is_pg(path))
		fprintf(stderr, "motcham %s: cannot open database %s: %s%s%s\n", cmd, shown,
			mc_strerror(err), why->len ? ": " : "", why->len ? why->data : "");
	else
		fprintf(stderr, "motcham %s: cannot open database %s: %s%s\n", cmd, shown,
			mc_strerror(err),
			err == MC_ERR_NOTFOUND ? " (run 'motcham init' or 'motcham demo')"
			: err == MC_ERR_IO || err == MC_ERR_BUSY
			    ? " (read-only file system, or no permission to write beside it?)"
			    : "");
}

/* A database made by a newer motcham is left exactly as it is: its schema may hold what this
 * binary would misread or break. */
static int refuse_newer(const char *cmd, const char *path, int version)
{
	char shown[CLI_SHOWN];

	fprintf(stderr,
		"motcham %s: database %s has schema version %d, newer than this motcham %s "
		"knows (%d): it was made by a newer release. Nothing was changed; run that "
		"release (or newer) on it, or restore a backup made for this one.\n",
		cmd, cli_db_shown(path, shown), version, cli_version, mc_store_schema_version());
	return 1;
}

/* Reads the schema version of an existing database file without writing to it (a
 * read-write open would switch it to WAL). -1 when it cannot be read this way (a
 * PostgreSQL database is no file): the read-write open after it then tells why, or checks
 * again. */
static int peek_version(const char *path)
{
	struct mc_store *s = NULL;
	int version = -1;

	if (access(path, F_OK) != 0 || mc_store_open(path, MC_STORE_READONLY, &s) != MC_OK)
		return -1;
	if (mc_store_version(s, &version) != MC_OK)
		version = -1;
	mc_store_destroy(s);
	return version;
}

/* Before a migration: an online copy of the database as it was, beside it, named for its
 * schema version and the time (PATH.schemaN-YYYYMMDDTHHMMSSZ.bak), so an upgrade can always
 * be undone by putting the copy back and reinstalling the older release. */
static int backup_before_migrate(const char *cmd, const char *path, int version, struct mc_store *s)
{
	char when[32];
	struct mc_buf to;
	time_t t = time(NULL);
	struct tm tm;
	enum mc_err err;
	int rc = 1;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y%m%dT%H%M%SZ", &tm);
	mc_buf_init(&to);
	if ((err = mc_buf_printf(&to, "%s.schema%d-%s.bak", path, version, when)) != MC_OK) {
		cli_fail(cmd, "cannot name the backup", err, NULL);
		goto out;
	}
	if (access(to.data, F_OK) == 0) {
		fprintf(stderr, "motcham %s: %s exists already; not migrating over it\n", cmd,
			to.data);
		goto out;
	}
	if ((err = mc_store_backup(s, to.data)) != MC_OK) {
		unlink(to.data);
		fprintf(stderr,
			"motcham %s: cannot back up %s to %s before migrating it: %s; nothing "
			"was changed\n",
			cmd, path, to.data, mc_strerror(err));
		goto out;
	}
	fprintf(stderr, "motcham %s: schema version %d -> %d; the database as it was is in %s\n",
		cmd, version, mc_store_schema_version(), to.data);
	rc = 0;
out:
	mc_buf_finish(&to);
	return rc;
}

int cli_open_db(const struct args *a, bool create, struct mc_store **s)
{
	const char *cmd = a->cmd, *path = cli_db_path(a);
	int version = peek_version(path), known = mc_store_schema_version();
	struct mc_buf why;
	enum mc_err err;

	*s = NULL;
	if (version > known)
		return refuse_newer(cmd, path, version);
	mc_buf_init(&why);
	err = mc_store_open_why(path, create ? MC_STORE_CREATE : 0, s, &why);
	if (err != MC_OK) {
		open_failed(cmd, path, err, &why);
		mc_buf_finish(&why);
		return 1;
	}
	mc_buf_finish(&why);
	/* Again on the open handle: the file may have changed since the look above. */
	if ((err = mc_store_version(*s, &version)) != MC_OK) {
		cli_fail(cmd, "cannot read the schema version", err, *s);
		goto fail;
	}
	if (version > known) {
		refuse_newer(cmd, path, version);
		goto fail;
	}
	/* Version 0 is a new, empty database: nothing to keep. PostgreSQL migrates in one
	 * transaction that every node waits for (the write lock), and its copies are pg_dump's
	 * to make: none is written beside a URL. */
	if (version > 0 && version < known && mc_store_is_pg(path))
		fprintf(stderr, "motcham %s: schema version %d -> %d\n", cmd, version, known);
	else if (version > 0 && version < known && backup_before_migrate(cmd, path, version, *s))
		goto fail;
	if ((err = mc_store_migrate(*s)) != MC_OK) {
		cli_fail(cmd, "cannot migrate the schema", err, *s);
		goto fail;
	}
	return 0;
fail:
	mc_store_destroy(*s);
	*s = NULL;
	return 1;
}

int cli_check_db(const char *cmd, const char *path)
{
	char shown[CLI_SHOWN];
	struct mc_store *s = NULL;
	struct mc_buf why;
	int version = 0;
	enum mc_err err;

	mc_buf_init(&why);
	err = mc_store_open_why(path, MC_STORE_READONLY, &s, &why);
	if (err != MC_OK)
		open_failed(cmd, path, err, &why);
	else if ((err = mc_store_version(s, &version)) != MC_OK)
		cli_fail(cmd, "cannot read the schema version", err, s);
	else if (version != mc_store_schema_version())
		fprintf(stderr, "motcham %s: database %s has schema version %d, not %d\n", cmd,
			cli_db_shown(path, shown), version, mc_store_schema_version());
	mc_buf_finish(&why);
	mc_store_destroy(s);
	return err == MC_OK && version == mc_store_schema_version() ? 0 : 1;
}

void cli_batch(void)
{
	struct sched_param none = {0};
	int now;

	/* Each is a wish: a job that cannot lower itself still runs, at the priority it has.
	 * getpriority may rightly return -1, so only errno tells a failure. */
	errno = 0;
	now = getpriority(PRIO_PROCESS, 0);
	if (errno == 0)
		setpriority(PRIO_PROCESS, 0,
			    now + MC_HTTP_BATCH_NICE > 19 ? 19 : now + MC_HTTP_BATCH_NICE);
	sched_setscheduler(0, SCHED_BATCH, &none);
}
