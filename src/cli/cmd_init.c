/* motcham init: create the database, or bring its schema up to date. */

#include "private.h"

#include <stdio.h>

#include "motcham/store/store.h"

const char cmd_init_usage[] =
    "usage: motcham init [--db PATH]\n"
    "Creates the database, or brings its schema up to date: a database of an older schema\n"
    "is first copied beside itself (PATH.schemaN-TIME.bak); one of a newer schema is\n"
    "refused, untouched.\n"
    "  --db PATH   database file (default $MOTCHAM_DB or ./motcham.db)\n";

int cmd_init(struct args *a, int argc, char **argv)
{
	struct mc_store *s = NULL;
	int rc, version = 0;

	if ((rc = cli_parse_no_args(a, argc, argv, NULL)) != 0 || a->help)
		return rc;
	if ((rc = cli_open_db(a, true, &s)) != 0)
		return rc;
	mc_store_version(s, &version);
	printf("database %s ready (schema version %d)\n", cli_db_path(a), version);
	mc_store_destroy(s);
	return 0;
}
