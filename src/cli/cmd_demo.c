/* motcham demo: load the sample ward from data/. */

#include "private.h"

#include <stdio.h>

#include "motcham/base/buf.h"
#include "motcham/import/demo.h"
#include "motcham/store/store.h"

const char cmd_demo_usage[] =
    "usage: motcham demo [--db PATH]\n"
    "Creates the database if needed and loads the sample ward Phường 7, Quận 8\n"
    "(procedures, announcements, permits and a code for each) from data/.\n"
    "Running it again updates the records and keeps their codes.\n"
    "  --db PATH   database file (default $MOTCHAM_DB or ./motcham.db), or the URL of a\n"
    "              PostgreSQL database\n";

int cmd_demo(struct args *a, int argc, char **argv)
{
	char shown[CLI_SHOWN];
	struct mc_store *s = NULL;
	struct mc_buf dir;
	enum mc_err err;
	int rc;

	if ((rc = cli_parse_no_args(a, argc, argv, NULL)) != 0 || a->help)
		return rc;
	if ((rc = cli_open_db(a, true, &s)) != 0)
		return rc;
	mc_buf_init(&dir);
	err = mc_buf_printf(&dir, "%s/data", cli_home_dir());
	if (err == MC_OK)
		err = mc_demo_load(s, dir.data, stderr);
	if (err != MC_OK)
		rc = cli_fail(a->cmd, "cannot load the sample ward", err, s);
	else
		printf("sample ward loaded into %s\n", cli_db_shown(cli_db_path(a), shown));
	mc_buf_finish(&dir);
	mc_store_destroy(s);
	return rc;
}
