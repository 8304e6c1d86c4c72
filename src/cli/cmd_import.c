/* motcham import: load CSV files, each one all-or-nothing. */

#include "private.h"

#include <stdio.h>

#include "motcham/import/csvimport.h"
#include "motcham/store/store.h"

const char cmd_import_usage[] =
    "usage: motcham import [--db PATH] [--ward SLUG] FILE.csv...\n"
    "Imports procedure guides, permits, announcements, inspections or wards from CSV files\n"
    "(the kind is told by the header row). Each file is all-or-nothing: any rejected row is\n"
    "reported as FILE:LINE: reason and nothing of that file is written.\n"
    "  --db PATH     database file (default $MOTCHAM_DB or ./motcham.db), or the URL of a\n"
    "                PostgreSQL database\n"
    "  --ward SLUG   ward for files without a ward column (default: the only ward)\n";

int cmd_import(struct args *a, int argc, char **argv)
{
	const char *ward = NULL;
	const struct opt opts[] = {{"ward", OPT_STR, &ward, 0, 0}, {0}};
	struct mc_store *s = NULL;
	int rc;

	if ((rc = cli_parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	cli_batch();
	if (!a->npos)
		return cli_usage_error(a->cmd, "no CSV file given%s", "");
	if ((rc = cli_open_db(a, false, &s)) != 0)
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
