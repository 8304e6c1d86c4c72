/* motcham backup: copy the live database (into a SQLite file) and the uploaded files it names
 * (into a folder beside it), and verify both. */

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
    "then opens the copy and checks it (integrity and the audit chain), and copies every\n"
    "uploaded file its records name from PATH.files to FILE.files, checking each against\n"
    "its hash: FILE and FILE.files are a ward that can run on its own (restore: put them\n"
    "in place of PATH and PATH.files).\n"
    "From PostgreSQL, FILE is a new SQLite database with every record of one snapshot, and\n"
    "the uploaded files go to FILE.files from the database. The cluster itself is backed up\n"
    "with PostgreSQL's tools (pg_dump, pg_basebackup).\n";

/* The files a SQLite database keeps beside itself, copied for the records of the copy. */
struct files_copy {
	const char *from, *to;
	long long n, missing;
};

static enum mc_err copy_file(void *ctx, const char *sha)
{
	struct files_copy *fc = ctx;
	enum mc_err err = mc_upload_copy(fc->from, fc->to, sha);

	if (err == MC_OK)
		fc->n++;
	else if (err == MC_ERR_NOTFOUND)
		fc->missing++; /* a record without its content: the original cannot serve it either
				*/
	else if (err == MC_ERR_CHECK)
		fprintf(stderr, "motcham backup: %s/%s does not match its hash\n", fc->from, sha);
	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

static int check_copy(const char *cmd, const char *path, struct files_copy *fc)
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
	/* The files the copy's records name: none added after its snapshot is needed. */
	if (err == MC_OK && ok && !c.first_bad && fc)
		err = mc_store_file_hashes(copy, copy_file, fc);
	mc_store_destroy(copy);
	if (err != MC_OK || !ok || c.first_bad) {
		fprintf(stderr, "motcham %s: the copy %s does not verify\n", cmd, path);
		return 1;
	}
	printf("backup %s written and verified: integrity ok, %lld audit entries\n", path,
	       c.entries);
	if (fc)
		printf("%lld uploaded files copied to %s and checked against their hashes\n", fc->n,
		       fc->to);
	if (fc && fc->missing)
		fprintf(stderr, "motcham %s: %lld files the records name are not in %s\n", cmd,
			fc->missing, fc->from);
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
	if ((err = mc_buf_printf(&dir, "%s.files", to)) == MC_OK)
		x.dir = dir.data;
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
	struct mc_buf from, dir;
	struct files_copy fc = {0};
	long long files = 0;
	bool beside = false;
	enum mc_err err;
	int rc;

	if ((rc = cli_parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	cli_batch();
	if (!to || a->npos)
		return cli_usage_error(a->cmd, "give --to FILE%s", "");
	mc_buf_init(&from);
	mc_buf_init(&dir);
	if (mc_buf_printf(&dir, "%s.files", to) != MC_OK ||
	    mc_buf_printf(&from, "%s.files", cli_db_path(a)) != MC_OK) {
		rc = cli_fail(a->cmd, "backup failed", MC_ERR_NOMEM, NULL);
		goto out;
	}
	if (access(to, F_OK) == 0 || access(dir.data, F_OK) == 0) {
		fprintf(stderr, "motcham %s: %s or %s exists; choose a new file\n", a->cmd, to,
			dir.data);
		rc = 1;
		goto out;
	}
	if ((rc = cli_open_db(a, false, &s)) != 0)
		goto out;
	beside = !mc_store_keeps_files(s);
	err = mkdir(dir.data, 0750) == 0 ? MC_OK : MC_ERR_IO;
	if (err == MC_OK)
		err = mc_store_backup(s, to);
	if (err == MC_OK && !beside)
		err = export_files(s, to, &files);
	mc_store_destroy(s);
	if (err != MC_OK) {
		unlink(to);
		rc = cli_fail(a->cmd, "backup failed", err, NULL);
		goto out;
	}
	if (files)
		printf("%lld uploaded files written to %s.files\n", files, to);
	fc.from = from.data;
	fc.to = dir.data;
	rc = check_copy(a->cmd, to, beside ? &fc : NULL);
out:
	mc_buf_finish(&from);
	mc_buf_finish(&dir);
	return rc;
}
