/* Online backup and the integrity check: named operations of the driver (sqlite.c does them
 * with SQLite's backup API and PRAGMA integrity_check). A database that is no file to copy
 * (PostgreSQL) is backed up into a new SQLite file, from one snapshot. */
#include "private.h"

enum mc_err mc_store_backup(struct mc_store *s, const char *path)
{
	struct mc_store *copy = NULL;
	enum mc_err err;

	if (s->db->ops->backup)
		return s->db->ops->backup(s->db, path);
	if ((err = mc_store_open(path, MC_STORE_CREATE, &copy)) == MC_OK &&
	    (err = mc_store_migrate(copy)) == MC_OK)
		err = mc_store_copy(s, copy, NULL);
	mc_store_destroy(copy);
	return err;
}

enum mc_err mc_store_integrity(struct mc_store *s, bool *ok)
{
	return s->db->ops->integrity(s->db, ok);
}
