/* What the subcommands share: where the database and the data files are, opening the
 * database, and the one way a failure is told. */

#include "private.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

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

int cli_open_db(const struct args *a, bool create, struct mc_store **s)
{
	const char *cmd = a->cmd, *path = cli_db_path(a);
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
		cli_fail(cmd, "cannot migrate the schema", err, *s);
		mc_store_destroy(*s);
		*s = NULL;
		return 1;
	}
	return 0;
}
