/* Settings: the per-database secret. */
#include "private.h"

#include <stdio.h>

enum mc_err mc_store_secret(struct mc_store *s, char out[65])
{
	struct db_stmt *st;
	enum mc_err err;
	bool row;

	PREPARE(s, ST_SECRET, st);
	if ((err = db_step(st, &row)) == MC_OK && row && col_text(st, 0))
		snprintf(out, 65, "%s", col_text(st, 0));
	else if (err == MC_OK)
		err = MC_ERR_NOTFOUND;
	done(st);
	return err;
}
