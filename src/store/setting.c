/* Settings: the per-database secret. */
#include "private.h"

#include <stdio.h>

enum mc_err mc_store_secret(struct mc_store *s, char out[65])
{
	sqlite3_stmt *st;
	enum mc_err err = MC_OK;
	int rc;

	PREPARE(s, ST_SECRET, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && col_text(st, 0))
		snprintf(out, 65, "%s", col_text(st, 0));
	else
		err = rc == SQLITE_DONE || rc == SQLITE_ROW ? MC_ERR_NOTFOUND : map_rc(rc);
	done(st);
	return err;
}
