/* motcham audit: verify or export the audit trail. */

#include "private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "motcham/base/date.h"
#include "motcham/store/audit.h"
#include "motcham/store/store.h"

const char cmd_audit_usage[] =
    "usage: motcham audit verify [--db PATH]\n"
    "       motcham audit export [--db PATH] [--since YYYY-MM-DD] [--out FILE]\n"
    "verify checks the whole SHA-256 chain of the audit trail and prints \"OK, N entries\"\n"
    "and the chain head, or the id of the first entry that does not match (exit 1).\n"
    "export writes the entries as JSON Lines (to FILE or standard output) so the chain\n"
    "can be archived and verified elsewhere.\n";

static int audit_verify(struct args *a, struct mc_store *s)
{
	struct mc_audit_check c;
	enum mc_err err;

	if ((err = mc_audit_verify(s, &c)) != MC_OK)
		return cli_fail(a->cmd, "cannot read the audit trail", err, s);
	if (c.first_bad) {
		printf("FAILED at entry %lld: %s\n", (long long)c.first_bad, c.why);
		return 1;
	}
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
	const char *since = NULL, *out = NULL;
	const struct opt opts[] = {
	    {"since", OPT_STR, &since, 0, 0}, {"out", OPT_STR, &out, 0, 0}, {0}};
	struct mc_store *s = NULL;
	int rc;

	if ((rc = cli_parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (a->npos != 1 || (strcmp(a->pos[0], "verify") && strcmp(a->pos[0], "export")))
		return cli_usage_error(a->cmd, "say 'verify' or 'export'%s", "");
	if ((rc = cli_open_db(a, false, &s)) != 0)
		return rc;
	rc = strcmp(a->pos[0], "verify") ? audit_export(a, s, since, out) : audit_verify(a, s);
	mc_store_destroy(s);
	return rc;
}
