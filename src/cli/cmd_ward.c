/* motcham ward: merge one ward into another. */

#include "private.h"

#include <stdio.h>
#include <string.h>

#include "motcham/store/store.h"

const char cmd_ward_usage[] =
    "usage: motcham ward merge [--db PATH] --from SLUG --into SLUG\n"
    "Moves every record of one ward into another in one audited transaction (wards merge\n"
    "and are renamed). Every code printed for the old ward keeps resolving: its keychain\n"
    "code opens the new ward's home with a notice naming the old ward.\n";

static int merge_failed(struct args *a, enum mc_err err, const char *from, const char *into,
			struct mc_store *s)
{
	if (err == MC_ERR_GONE)
		fprintf(stderr, "motcham %s: %s was merged already\n", a->cmd, from);
	else if (err == MC_ERR_INVALID)
		fprintf(stderr,
			"motcham %s: cannot merge %s into %s (same ward, or a merged ward)\n",
			a->cmd, from, into);
	else
		return cli_fail(a->cmd, "merge failed, nothing changed", err, s);
	return 1;
}

int cmd_ward(struct args *a, int argc, char **argv)
{
	const char *from = NULL, *into = NULL;
	const struct opt opts[] = {
	    {"from", OPT_STR, &from, 0, 0}, {"into", OPT_STR, &into, 0, 0}, {0}};
	struct mc_merge_stats ms;
	struct mc_store *s = NULL;
	enum mc_err err;
	int rc;

	if ((rc = cli_parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (a->npos != 1 || strcmp(a->pos[0], "merge"))
		return cli_usage_error(a->cmd, "say 'merge'%s", "");
	if (!from || !into)
		return cli_usage_error(a->cmd, "merge needs --from SLUG and --into SLUG%s", "");
	if ((rc = cli_open_db(a, false, &s)) != 0)
		return rc;
	mc_store_set_actor(s, 0, "cli");
	if ((err = mc_store_ward_merge(s, from, into, &ms)) != MC_OK)
		rc = merge_failed(a, err, from, into, s);
	else
		printf(
		    "merged %s into %s: %ld permits, %ld procedures, %ld announcements, %ld users "
		    "moved\n",
		    from, into, ms.permits, ms.procedures, ms.announcements, ms.users);
	mc_store_destroy(s);
	return rc;
}
