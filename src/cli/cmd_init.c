/* motcham init: create the database, or bring its schema up to date. */

#include "private.h"

#include <stdio.h>

#include "motcham/store/store.h"

const char cmd_init_usage[] =
    "usage: motcham init [--db PATH]\n"
    "Creates the database, or brings its schema up to date: a SQLite file of an older schema\n"
    "is first copied beside itself (PATH.schemaN-TIME.bak; PostgreSQL migrates in one\n"
    "transaction: back it up with pg_dump first); one of a newer schema is refused,\n"
    "untouched.\n"
    "  --db PATH   database file (default $MOTCHAM_DB or ./motcham.db), or the URL of a\n"
    "              PostgreSQL database (made beforehand, e.g. with createdb)\n";

int cmd_init(struct args *a, int argc, char **argv)
{
	char shown[CLI_SHOWN];
	struct mc_store *s = NULL;
	int rc, version = 0;

	if ((rc = cli_parse_no_args(a, argc, argv, NULL)) != 0 || a->help)
		return rc;
	if ((rc = cli_open_db(a, true, &s)) != 0)
		return rc;
	mc_store_version(s, &version);
	printf("database %s ready (schema version %d)\n", cli_db_shown(cli_db_path(a), shown),
	       version);
	mc_store_destroy(s);
	return 0;
}
