/* Online backup and the integrity check: named operations of the driver (sqlite.c does them
 * with SQLite's backup API and PRAGMA integrity_check). */
#include "private.h"

enum mc_err mc_store_backup(struct mc_store *s, const char *path)
{
	return s->db->ops->backup(s->db, path);
}

enum mc_err mc_store_integrity(struct mc_store *s, bool *ok)
{
	return s->db->ops->integrity(s->db, ok);
}
