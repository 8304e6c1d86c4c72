/* motcham audit: verify or export the audit trail. */

#include "private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/log/log.h"
#include "motcham/store/audit.h"
#include "motcham/store/store.h"

const char cmd_audit_usage[] =
    "usage: motcham audit verify [--db PATH] [--checkpoint FILE --vkey VKEY]\n"
    "       motcham audit export [--db PATH] [--since YYYY-MM-DD] [--out FILE]\n"
    "verify checks the whole SHA-256 chain of the audit trail and prints \"OK, N entries\"\n"
    "and the chain head, or the id of the first entry that does not match (exit 1).\n"
    "With --checkpoint (a checkpoint the log signed, as /log/checkpoint serves it) and\n"
    "--vkey (the log's verifier key, or a file holding it) it also checks the signature,\n"
    "that the entries rebuild exactly that tree at that size and that the entries after\n"
    "it extend it: an entry edited with its chain rehashed, a rewrite, a deletion, a\n"
    "reorder or \"tree truncated at N\" fail even when the chain alone verifies.\n"
    "export writes the entries as JSON Lines (to FILE or standard output) so the chain\n"
    "can be archived and verified elsewhere.\n";

/* The trail against a signed checkpoint, after the chain has verified. */
static int verify_checkpoint(struct args *a, struct mc_store *s, const char *file, const char *vkey)
{
	struct mc_note_verifier *v = NULL;
	struct mc_log_check c;
	struct mc_buf note;
	char chunk[4096];
	FILE *f;
	size_t n;
	enum mc_err err = MC_OK;
	int rc;

	if ((rc = cli_read_vkey(a->cmd, vkey, &v)) != 0)
		return rc;
	mc_buf_init(&note);
	if (!(f = fopen(file, "r"))) {
		fprintf(stderr, "motcham %s: cannot read %s: %s\n", a->cmd, file, strerror(errno));
		rc = 1;
		goto out;
	}
	while (err == MC_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = note.len + n > 64 * 1024 ? MC_ERR_TOOBIG : mc_buf_add(&note, chunk, n);
	fclose(f);
	if (err == MC_OK)
		err = mc_log_verify(s, note.data ? note.data : "", note.len, v, &c);
	if (err == MC_ERR_INVALID || err == MC_ERR_TOOBIG || err == MC_ERR_CHECK ||
	    err == MC_ERR_NOTFOUND) {
		printf("FAILED: %s %s\n", file,
		       err == MC_ERR_CHECK	? "has a signature by the key that does not verify"
		       : err == MC_ERR_NOTFOUND ? "is not signed by that key"
						: "is not a signed checkpoint");
		rc = 1;
	} else if (err != MC_OK) {
		rc = cli_fail(a->cmd, "cannot check the tree", err, s);
	} else if (c.truncated || c.rewritten || (c.stored_differs && !c.first_bad)) {
		printf("FAILED: %s\n", c.why);
		rc = 1;
	} else if (c.first_bad) {
		printf("FAILED at entry %lld: %s\n", (long long)c.first_bad, c.why);
		rc = 1;
	} else {
		printf("checkpoint %s size %lld: signed, rebuilt by the entries and extended to "
		       "%lld\n",
		       c.cp.origin, (long long)c.cp.size, (long long)c.entries);
	}
out:
	mc_buf_finish(&note);
	mc_note_verifier_destroy(v);
	return rc;
}

static int audit_verify(struct args *a, struct mc_store *s, const char *checkpoint,
			const char *vkey)
{
	struct mc_audit_check c;
	enum mc_err err;

	if (!checkpoint != !vkey)
		return cli_usage_error(a->cmd, "--checkpoint and --vkey go together%s", "");
	if ((err = mc_audit_verify(s, &c)) != MC_OK)
		return cli_fail(a->cmd, "cannot read the audit trail", err, s);
	if (c.first_bad) {
		printf("FAILED at entry %lld: %s\n", (long long)c.first_bad, c.why);
		return 1;
	}
	if (checkpoint && verify_checkpoint(a, s, checkpoint, vkey) != 0)
		return 1;
	printf("OK, %lld entries\nhead %s\n", c.entries, c.head);
	return 0;
}

static int audit_export(struct args *a, struct mc_store *s, const char *since, const char *path)
{
	FILE *f = stdout;
	enum mc_err err;

	if (since && !mc_date_valid(since))
		return cli_usage_error(a->cmd, "--since wants a date YYYY-MM-DD, not %s", since);
	if (path && !(f = fopen(path, "w"))) {
		fprintf(stderr, "motcham %s: cannot write %s: %s\n", a->cmd, path, strerror(errno));
		return 1;
	}
	err = mc_audit_export(s, since, f);
	if (fflush(f) != 0 && err == MC_OK)
		err = MC_ERR_IO;
	if (f != stdout && fclose(f) != 0 && err == MC_OK)
		err = MC_ERR_IO;
	return err == MC_OK ? 0 : cli_fail(a->cmd, "export failed", err, s);
}

int cmd_audit(struct args *a, int argc, char **argv)
{
	const char *since = NULL, *out = NULL, *checkpoint = NULL, *vkey = NULL;
	const struct opt opts[] = {{"since", OPT_STR, &since, 0, 0},
				   {"out", OPT_STR, &out, 0, 0},
				   {"checkpoint", OPT_STR, &checkpoint, 0, 0},
				   {"vkey", OPT_STR, &vkey, 0, 0},
				   {0}};
	struct mc_store *s = NULL;
	int rc;

	if ((rc = cli_parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	cli_batch();
	if (a->npos != 1 || (strcmp(a->pos[0], "verify") && strcmp(a->pos[0], "export")))
		return cli_usage_error(a->cmd, "say 'verify' or 'export'%s", "");
	if ((rc = cli_open_db(a, false, &s)) != 0)
		return rc;
	rc = strcmp(a->pos[0], "verify") ? audit_export(a, s, since, out)
					 : audit_verify(a, s, checkpoint, vkey);
	mc_store_destroy(s);
	return rc;
}
