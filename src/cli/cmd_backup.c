/* motcham backup: copy the live database (into a SQLite file) and verify the copy. */

#include "private.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "motcham/store/audit.h"
#include "motcham/store/store.h"
#include "motcham/web/upload.h"

const char cmd_backup_usage[] =
    "usage: motcham backup [--db PATH] --to FILE\n"
    "Copies the database with SQLite's online backup API (the server may keep running),\n"
    "then opens the copy and checks it (integrity and the audit chain).\n"
    "From PostgreSQL, FILE is a new SQLite database with every record of one snapshot, and\n"
    "the uploaded files go to FILE.files: a ward that can run on its own. The cluster itself\n"
    "is backed up with PostgreSQL's tools (pg_dump, pg_basebackup).\n";

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

/* A database that keeps uploaded files (PostgreSQL) gives them to the copy beside it, in
 * PATH.files, where a SQLite ward keeps them. */
struct export
{
	struct mc_store *s;
	const char *dir;
	struct mc_buf data;
	long long n;
};

static enum mc_err export_file(void *ctx, const char *sha)
{
	struct export *x = ctx;
	char got[65];
	enum mc_err err;

	mc_buf_reset(&x->data);
	if ((err = mc_store_blob_get(x->s, sha, MC_UPLOAD_MAX, &x->data)) == MC_OK &&
	    (err = mc_upload_save(NULL, x->dir, x->data.data, x->data.len, got)) == MC_OK)
		x->n++;
	return err == MC_ERR_NOTFOUND ? MC_OK : err; /* a record without its content */
}

static enum mc_err export_files(struct mc_store *s, const char *to, long long *n)
{
	struct export x = {.s = s};
	struct mc_buf dir;
	enum mc_err err;

	mc_buf_init(&dir);
	mc_buf_init(&x.data);
	if ((err = mc_buf_printf(&dir, "%s.files", to)) == MC_OK) {
		x.dir = dir.data;
		if (mkdir(x.dir, 0750) != 0 && errno != EEXIST)
			err = MC_ERR_IO;
	}
	if (err == MC_OK)
		err = mc_store_file_hashes(s, export_file, &x);
	*n = x.n;
	mc_buf_finish(&x.data);
	mc_buf_finish(&dir);
	return err;
}

int cmd_backup(struct args *a, int argc, char **argv)
{
	const char *to = NULL;
	const struct opt opts[] = {{"to", OPT_STR, &to, 0, 0}, {0}};
	struct mc_store *s = NULL;
	long long files = 0;
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
	if (err == MC_OK && mc_store_keeps_files(s))
		err = export_files(s, to, &files);
	mc_store_destroy(s);
	if (err != MC_OK) {
		unlink(to);
		return cli_fail(a->cmd, "backup failed", err, NULL);
	}
	if (files)
		printf("%lld uploaded files written to %s.files\n", files, to);
	return check_copy(a->cmd, to);
}
