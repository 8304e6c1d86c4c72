/* Online backup and the integrity check. */
#include "private.h"

#include <string.h>

enum mc_err mc_store_backup(struct mc_store *s, const char *path)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	enum mc_err err;
	int rc;

	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(dst);
		return MC_ERR_IO;
	}
	sqlite3_busy_timeout(dst, 5000);
	if (!(b = sqlite3_backup_init(dst, "main", s->db, "main"))) {
		err = map_rc(sqlite3_errcode(dst));
		sqlite3_close(dst);
		return err == MC_OK ? MC_ERR_DB : err;
	}
	/* Copy in steps so that writers get the lock between them; a write on another
	 * connection restarts the copy, which keeps it consistent. */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	err = rc == SQLITE_DONE ? MC_OK : map_rc(rc);
	sqlite3_close(dst);
	return err;
}

enum mc_err mc_store_integrity(struct mc_store *s, bool *ok)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);

	*ok = false;
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ok = col_text(st, 0) && !strcmp(col_text(st, 0), "ok");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? MC_OK : map_rc(rc);
}
