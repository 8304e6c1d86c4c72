/* The command line: one parser for every subcommand's options, and the table of
 * subcommands, each in its own file cmd_NAME.c. Exit status: 0 done, 1 failed, 2 usage
 * error. */
#include "motcham/cli/cli.h"

#include "private.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARG 4096

int cli_usage_error(const char *cmd, const char *fmt, const char *what)
{
	fprintf(stderr, "motcham %s: ", cmd);
	fprintf(stderr, fmt, what);
	fprintf(stderr, " (see 'motcham %s --help')\n", cmd);
	return 2;
}

static int set_value(const char *cmd, const struct opt *o, const char *v)
{
	char *end;

	if (strlen(v) > MAX_ARG)
		return cli_usage_error(cmd, "value of --%s is too long", o->name);
	errno = 0;
	switch (o->type) {
	case OPT_STR:
		*(const char **)o->dst = v;
		return 0;
	case OPT_INT: {
		long n = strtol(v, &end, 10);

		if (errno || end == v || *end || n < o->min || n > o->max) {
			fprintf(stderr, "motcham %s: --%s wants a whole number from %ld to %ld\n",
				cmd, o->name, o->min, o->max);
			return 2;
		}
		*(long *)o->dst = n;
		return 0;
	}
	case OPT_DBL: {
		double d = strtod(v, &end);

		if (errno || end == v || *end || !(d >= (double)o->min && d <= (double)o->max)) {
			fprintf(stderr, "motcham %s: --%s wants a number from %ld to %ld\n", cmd,
				o->name, o->min, o->max);
			return 2;
		}
		*(double *)o->dst = d;
		return 0;
	}
	case OPT_FLAG:
		break;
	}
	return cli_usage_error(cmd, "--%s takes no value", o->name);
}

static const struct opt *find_opt(const struct opt *opts, const char *name, size_t n)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == n && !strncmp(opts->name, name, n))
			return opts;
	return NULL;
}

int cli_parse(struct args *a, int argc, char **argv, const struct opt *opts)
{
	/* Every subcommand works on a database: --db is parsed here once for all. */
	const struct opt common[] = {{"db", OPT_STR, &a->db, 0, 0}, {0}};

	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *eq;
		const struct opt *o;
		size_t n;
		int rc;

		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			a->help = true;
			continue;
		}
		if (strncmp(arg, "--", 2) != 0 || !arg[2]) {
			if (arg[0] == '-' && arg[1])
				return cli_usage_error(a->cmd, "unknown option %s", arg);
			if (a->npos == MAX_POS)
				return cli_usage_error(a->cmd, "too many arguments%s", "");
			a->pos[a->npos++] = argv[i];
			continue;
		}
		eq = strchr(arg + 2, '=');
		n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (!(o = find_opt(opts, arg + 2, n)))
			o = find_opt(common, arg + 2, n);
		if (!o)
			return cli_usage_error(a->cmd, "unknown option %s", arg);
		if (o->type == OPT_FLAG) {
			if (eq)
				return cli_usage_error(a->cmd, "--%s takes no value", o->name);
			*(bool *)o->dst = true;
			continue;
		}
		if (!eq && i + 1 >= argc)
			return cli_usage_error(a->cmd, "option --%s needs a value", o->name);
		if ((rc = set_value(a->cmd, o, eq ? eq + 1 : argv[++i])) != 0)
			return rc;
	}
	return 0;
}

int cli_parse_no_args(struct args *a, int argc, char **argv, const struct opt *opts)
{
	int rc = cli_parse(a, argc, argv, opts);

	if (rc == 0 && !a->help && a->npos)
		return cli_usage_error(a->cmd, "unexpected argument %s", a->pos[0]);
	return rc;
}

struct command {
	const char *name;
	const char *summary; /* one line in 'motcham --help' */
	int (*run)(struct args *a, int argc, char **argv);
	const char *usage; /* 'motcham NAME --help' */
};

/* One row a subcommand. Keep alphabetised: looked up with bsearch. */
static const struct command commands[] = {
    {"audit", "verify or export the audit trail", cmd_audit, cmd_audit_usage},
    {"backup", "copy the live database and verify the copy", cmd_backup, cmd_backup_usage},
    {"code", "list or revoke codes", cmd_code, cmd_code_usage},
    {"demo", "load the sample ward Phường 7, Quận 8", cmd_demo, cmd_demo_usage},
    {"gen", "make print-ready QR codes (PNG or SVG) and a manifest", cmd_gen, cmd_gen_usage},
    {"import", "import procedures, permits ... from CSV", cmd_import, cmd_import_usage},
    {"init", "create or migrate the database", cmd_init, cmd_init_usage},
    {"log", "the public log: keys, checkpoints, proofs, witnessing", cmd_log, cmd_log_usage},
    {"migrate", "move a SQLite ward database into PostgreSQL", cmd_migrate, cmd_migrate_usage},
    {"serve", "run the web server", cmd_serve, cmd_serve_usage},
    {"user", "add, list or disable staff accounts", cmd_user, cmd_user_usage},
    {"ward", "merge a ward into another", cmd_ward, cmd_ward_usage},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int by_name(const void *name, const void *row)
{
	return strcmp(name, ((const struct command *)row)->name);
}

static void print_usage(FILE *f)
{
	fprintf(f, "usage: motcham COMMAND [OPTIONS]\n"
		   "motcham (một chạm): QR codes that open a ward's procedures, announcements and\n"
		   "house-repair permits.\n\ncommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-8s %s\n\n'motcham COMMAND --help' tells more.\n", "version",
		"print the version");
}

int mc_cli_main(int argc, char **argv)
{
	const struct command *c;
	struct args a = {0};
	int rc;

	if (argc < 2) {
		print_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		print_usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
		printf("motcham %s\n", cli_version);
		return 0;
	}
	c = bsearch(argv[1], commands, NCOMMANDS, sizeof(commands[0]), by_name);
	if (!c) {
		fprintf(stderr, "motcham: unknown command '%s' (see 'motcham --help')\n", argv[1]);
		return 2;
	}
	a.cmd = c->name;
	rc = c->run(&a, argc - 2, argv + 2);
	if (a.help && rc == 0)
		fputs(c->usage, stdout);
	return rc;
}
