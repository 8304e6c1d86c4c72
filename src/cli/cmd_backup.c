/* motcham backup: copy the live database and verify the copy. */

#include "private.h"

#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "motcham/store/audit.h"
#include "motcham/store/store.h"

const char cmd_backup_usage[] =
    "usage: motcham backup [--db PATH] --to FILE\n"
    "Copies the database with SQLite's online backup API (the server may keep running),\n"
    "then opens the copy and checks it (integrity and the audit chain).\n";

static int check_copy(const char *cmd, const char *path)
{
	struct mc_audit_check c = {0};
	struct mc_store *copy = NULL;
	enum mc_err err;
	bool ok = false;

	/* Read-write, though it only reads: the copy is a WAL database like its source, and
	 * only a read-write connection removes the -wal and -shm files again when it closes,
	 * leaving the backup one self-contained file. */
	err = mc_store_open(path, 0, &copy);
	if (err == MC_OK)
		err = mc_store_integrity(copy, &ok);
	if (err == MC_OK && ok)
		err = mc_audit_verify(copy, &c);
	mc_store_destroy(copy);
	if (err != MC_OK || !ok || c.first_bad) {
		fprintf(stderr, "motcham %s: the copy %s does not verify\n", cmd, path);
		return 1;
	}
	printf("backup %s written and verified: integrity ok, %lld audit entries\n", path,
	       c.entries);
	return 0;
}

int cmd_backup(struct args *a, int argc, char **argv)
{
	const char *to = NULL;
	const struct opt opts[] = {{"to", OPT_STR, &to, 0, 0}, {0}};
	struct mc_store *s = NULL;
	enum mc_err err;
	int rc;

	if ((rc = cli_parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (!to || a->npos)
		return cli_usage_error(a->cmd, "give --to FILE%s", "");
	if (access(to, F_OK) == 0) {
		fprintf(stderr, "motcham %s: %s exists; choose a new file\n", a->cmd, to);
		return 1;
	}
	if ((rc = cli_open_db(a, false, &s)) != 0)
		return rc;
	err = mc_store_backup(s, to);
	mc_store_destroy(s);
	if (err != MC_OK) {
		unlink(to);
		return cli_fail(a->cmd, "backup failed", err, NULL);
	}
	return check_copy(a->cmd, to);
}
