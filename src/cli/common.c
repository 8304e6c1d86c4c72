/* What the subcommands share: where the database and the data files are, opening the
 * database, and the one way a failure is told. */

#include "private.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "motcham/base/buf.h"
#include "motcham/store/store.h"

const char *cli_db_path(const struct args *a)
{
	const char *env = getenv("MOTCHAM_DB");

	if (a->db)
		return a->db;
	return env && *env ? env : "motcham.db";
}

const char *cli_home_dir(void)
{
	const char *env = getenv("MOTCHAM_HOME");

	return env && *env ? env : MC_SRCDIR;
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

int cli_open_db(const struct args *a, bool create, struct mc_store **s)
{
	const char *cmd = a->cmd, *path = cli_db_path(a);
	struct mc_buf why;
	enum mc_err err;

	mc_buf_init(&why);
	err = mc_store_open_why(path, create ? MC_STORE_CREATE : 0, s, &why);
	if (err != MC_OK) {
		open_failed(cmd, path, err, &why);
		mc_buf_finish(&why);
		return 1;
	}
	mc_buf_finish(&why);
	if ((err = mc_store_migrate(*s)) != MC_OK) {
		cli_fail(cmd, "cannot migrate the schema", err, *s);
		mc_store_destroy(*s);
		*s = NULL;
		return 1;
	}
	return 0;
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
