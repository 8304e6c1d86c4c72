/* motcham code: list the active codes, or revoke one for good. */

#include "private.h"

#include <stdio.h>
#include <string.h>

#include "motcham/base/token.h"
#include "motcham/store/store.h"

const char cmd_code_usage[] =
    "usage: motcham code list [--db PATH] [--kind KIND]\n"
    "       motcham code revoke [--db PATH] TOKEN [--replacement TOKEN]\n"
    "list prints one active code a line: TOKEN<TAB>KIND<TAB>TITLE.\n"
    "revoke retires a code for good (its page answers 410), optionally pointing to a\n"
    "replacement code; a retired code never points at anything else.\n";

static enum mc_err print_code(void *ctx, const struct mc_code *c)
{
	(void)ctx;
	printf("%s\t%s\t%s\n", c->token, c->target_kind, c->title ? c->title : "");
	return MC_OK;
}

/* Normalises a typed token, explaining what is wrong with it. */
static int read_token(const char *cmd, const char *in, char out[MC_TOKEN_LEN + 1])
{
	enum mc_err err = mc_token_normalize(in, strlen(in), out);

	if (err == MC_ERR_CHECK)
		fprintf(stderr, "motcham %s: %s looks mistyped (check character)\n", cmd, in);
	else if (err != MC_OK)
		fprintf(stderr, "motcham %s: %s is not a code\n", cmd, in);
	return err == MC_OK ? 0 : 1;
}

static int code_revoke(struct args *a, struct mc_store *s, const char *replacement)
{
	char tok[MC_TOKEN_LEN + 1], rep[MC_TOKEN_LEN + 1];
	enum mc_err err;

	if (a->npos != 2)
		return cli_usage_error(a->cmd, "revoke needs one TOKEN%s", "");
	if (read_token(a->cmd, a->pos[1], tok) ||
	    (replacement && read_token(a->cmd, replacement, rep)))
		return 1;
	if ((err = mc_store_begin(s)) == MC_OK &&
	    (err = mc_store_code_revoke(s, tok, replacement ? rep : NULL)) == MC_OK)
		err = mc_store_commit(s);
	if (err != MC_OK) {
		mc_store_rollback(s);
		return cli_fail(a->cmd, tok, err, s);
	}
	printf("%s revoked%s%s\n", tok, replacement ? ", replaced by " : "",
	       replacement ? rep : "");
	return 0;
}

int cmd_code(struct args *a, int argc, char **argv)
{
	const char *kind = NULL, *replacement = NULL;
	const struct opt opts[] = {
	    {"kind", OPT_STR, &kind, 0, 0}, {"replacement", OPT_STR, &replacement, 0, 0}, {0}};
	struct mc_store *s = NULL;
	enum mc_err err;
	int rc;

	if ((rc = cli_parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	if (!a->npos || (strcmp(a->pos[0], "list") && strcmp(a->pos[0], "revoke")))
		return cli_usage_error(a->cmd, "say 'list' or 'revoke'%s", "");
	if (kind && strcmp(kind, MC_KIND_WARD) && strcmp(kind, MC_KIND_PROCEDURE) &&
	    strcmp(kind, MC_KIND_PERMIT) && strcmp(kind, MC_KIND_ANNOUNCEMENT))
		return cli_usage_error(a->cmd,
				       "--kind must be ward, procedure, permit or announcement, "
				       "not %s",
				       kind);
	if ((rc = cli_open_db(a, false, &s)) != 0)
		return rc;
	if (!strcmp(a->pos[0], "revoke")) {
		rc = code_revoke(a, s, replacement);
	} else if ((err = mc_store_code_each(s, kind, print_code, NULL)) != MC_OK) {
		rc = cli_fail(a->cmd, "cannot list codes", err, s);
	}
	mc_store_destroy(s);
	return rc;
}
