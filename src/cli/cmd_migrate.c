/* motcham migrate: move a SQLite ward database, with its uploaded files, into PostgreSQL. */

#include "private.h"

#include <stdio.h>
#include <string.h>

#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
#include "motcham/store/audit.h"
#include "motcham/store/store.h"
#include "motcham/web/upload.h"

const char cmd_migrate_usage[] =
    "usage: motcham migrate --from PATH --to URL [--files DIR]\n"
    "Copies the SQLite database PATH into the empty PostgreSQL database URL (made beforehand,\n"
    "e.g. with createdb), in one transaction: every record with its id, every code, the\n"
    "sessions, the secret and the audit chain as they are, and the content of the uploaded\n"
    "files from DIR (default PATH.files) into the database, where every node reaches it.\n"
    "Then verifies the audit chain on the copy against the original. PATH is only read: stop\n"
    "the server using it first. A database URL that holds records already is refused.\n"
    "  --from PATH   the SQLite database, at the current schema ('motcham init --db PATH')\n"
    "  --to URL      postgresql://USER:PASSWORD@HOST/DBNAME, or a libpq key=value string\n"
    "  --files DIR   where the uploaded files of PATH are (default PATH.files)\n";

struct files {
	struct mc_store *to;
	const char *dir;
	struct mc_buf data;
	long long n;
	char bad[65]; /* the hash of a file missing or not matching it */
};

/* Puts one file's content into the target, after checking it is what its name says. */
static enum mc_err put_file(void *ctx, const char *sha)
{
	struct files *f = ctx;
	char got[MC_AUTH_SHA256_LEN + 1];
	enum mc_err err;

	mc_buf_reset(&f->data);
	if ((err = mc_upload_load(NULL, f->dir, sha, MC_UPLOAD_MAX, &f->data)) == MC_OK) {
		mc_auth_sha256_hex(f->data.data, f->data.len, got);
		if (strcmp(got, sha))
			err = MC_ERR_CHECK;
	}
	if (err == MC_OK)
		err = mc_store_blob_put(f->to, sha, f->data.data, f->data.len);
	if (err == MC_OK)
		f->n++;
	else
		snprintf(f->bad, sizeof(f->bad), "%s", sha);
	return err;
}

/* The records and the files, in one transaction on the target. */
static int copy(const char *cmd, struct mc_store *from, struct mc_store *to, const char *dir,
		long long *rows, long long *nfiles)
{
	struct files f = {.to = to, .dir = dir};
	enum mc_err err;

	mc_buf_init(&f.data);
	if ((err = mc_store_begin(to)) == MC_OK) {
		err = mc_store_copy(from, to, rows);
		if (err == MC_OK)
			err = mc_store_file_hashes(from, put_file, &f);
		if (err == MC_OK)
			err = mc_store_commit(to);
		else
			mc_store_rollback(to);
	}
	mc_buf_finish(&f.data);
	*nfiles = f.n;
	if (err == MC_ERR_EXISTS)
		fprintf(stderr,
			"motcham %s: the target database holds records already: nothing "
			"copied (migrate moves a ward into an empty database)\n",
			cmd);
	else if (f.bad[0])
		fprintf(stderr, "motcham %s: uploaded file %s/%s is %s: nothing copied\n", cmd, dir,
			f.bad,
			err == MC_ERR_NOTFOUND ? "missing"
			: err == MC_ERR_CHECK  ? "not what its name says (damaged?)"
					       : mc_strerror(err));
	else if (err != MC_OK)
		cli_fail(cmd, "cannot copy the database, nothing copied", err, to);
	return err == MC_OK ? 0 : 1;
}

/* The copy's chain must be the original's: as many entries, the same head, no break. */
static int verify(const char *cmd, struct mc_store *from, struct mc_store *to)
{
	struct mc_audit_check a, b;
	enum mc_err err;

	if ((err = mc_audit_verify(from, &a)) != MC_OK || (err = mc_audit_verify(to, &b)) != MC_OK)
		return cli_fail(cmd, "cannot verify the audit chain", err, NULL);
	if (b.first_bad || b.entries != a.entries || strcmp(a.head, b.head)) {
		fprintf(stderr,
			"motcham %s: the copy's audit chain does not match the original's\n", cmd);
		return 1;
	}
	printf("audit chain verified on the copy: %lld entries, head %s%s\n", b.entries, b.head,
	       a.first_bad ? " (the original's was already broken: see 'motcham audit verify')"
			   : "");
	return 0;
}

static int migrate(const char *cmd, const char *from_path, const char *to_path, const char *dir)
{
	char shown[CLI_SHOWN];
	struct mc_store *from = NULL, *to = NULL;
	struct mc_buf why;
	long long rows = 0, nfiles = 0;
	enum mc_err err;
	int rc = 1, version = 0;

	mc_buf_init(&why);
	if ((rc = cli_check_db(cmd, from_path)) != 0)
		goto out;
	rc = 1;
	if ((err = mc_store_open(from_path, MC_STORE_READONLY, &from)) != MC_OK) {
		cli_fail(cmd, "cannot open the source", err, NULL);
		goto out;
	}
	if ((err = mc_store_open_why(to_path, 0, &to, &why)) != MC_OK) {
		fprintf(stderr, "motcham %s: cannot open database %s: %s%s%s\n", cmd,
			cli_db_shown(to_path, shown), mc_strerror(err), why.len ? ": " : "",
			why.len ? why.data : "");
		goto out;
	}
	if ((err = mc_store_migrate(to)) != MC_OK || (err = mc_store_version(to, &version))) {
		cli_fail(cmd, "cannot make the schema of the target", err, to);
		goto out;
	}
	if ((rc = copy(cmd, from, to, dir, &rows, &nfiles)) != 0)
		goto out;
	printf("copied %lld rows and %lld uploaded files into %s (schema version %d)\n", rows,
	       nfiles, cli_db_shown(to_path, shown), version);
	rc = verify(cmd, from, to);
out:
	mc_buf_finish(&why);
	mc_store_destroy(from);
	mc_store_destroy(to);
	return rc;
}

int cmd_migrate(struct args *a, int argc, char **argv)
{
	const char *from = NULL, *to = NULL, *dir = NULL;
	const struct opt opts[] = {{"from", OPT_STR, &from, 0, 0},
				   {"to", OPT_STR, &to, 0, 0},
				   {"files", OPT_STR, &dir, 0, 0},
				   {0}};
	struct mc_buf fdir;
	int rc;

	if ((rc = cli_parse_no_args(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (!from || !to || a->db)
		return cli_usage_error(a->cmd, "give --from PATH and --to URL (not --db)%s", "");
	if (mc_store_is_pg(from))
		return cli_usage_error(a->cmd, "--from is a SQLite database file, not %s", "a URL");
	if (!mc_store_is_pg(to))
		return cli_usage_error(a->cmd, "--to is a PostgreSQL URL or key=value string%s",
				       "");
	mc_buf_init(&fdir);
	if (!dir && mc_buf_printf(&fdir, "%s.files", from) == MC_OK)
		dir = fdir.data;
	rc = dir ? migrate(a->cmd, from, to, dir) : cli_fail(a->cmd, "", MC_ERR_NOMEM, NULL);
	mc_buf_finish(&fdir);
	return rc;
}
