#ifndef MOTCHAM_CLI_PRIVATE_H
#define MOTCHAM_CLI_PRIVATE_H

/* The command line's internals, shared by the files of src/cli/ and by nothing else. A new
 * subcommand is one file cmd_NAME.c exporting cmd_NAME and cmd_NAME_usage, declared here,
 * and one row in cli.c's table. */

#include <stdbool.h>

#include "motcham/base/err.h"

struct mc_buf;
struct mc_log_signer;
struct mc_note_keyring;
struct mc_note_signer;
struct mc_note_verifier;
struct mc_store;

#define MAX_POS 64

enum opt_type { OPT_STR, OPT_INT, OPT_DBL, OPT_FLAG };

/* One option of a subcommand; a table of them ends with a row whose name is NULL. */
struct opt {
	const char *name; /* without the leading "--" */
	enum opt_type type;
	void *dst; /* const char **, long *, double * or bool * */
	long min, max;
};

/* What the parser found: the positional arguments, and whether --help was asked for. */
struct args {
	const char *cmd;
	const char *db; /* --db, which every subcommand takes */
	char *pos[MAX_POS];
	int npos;
	bool help;
};

/* cli.c: the argument parser. */

/* Prints "motcham CMD: " fmt (with what) and a pointer to --help to stderr; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, const char *what);
/* Parses "--name value", "--name=value", flags and positional arguments into opts' targets
 * (opts may be NULL: --db only) and a. Returns 0, or 2 after telling the usage error. */
int cli_parse(struct args *a, int argc, char **argv, const struct opt *opts);
/* Like cli_parse, for a subcommand that takes no positional argument. */
int cli_parse_no_args(struct args *a, int argc, char **argv, const struct opt *opts);

/* version.c (made by meson's vcs_tag from version.c.in): what --version prints. */
extern const char cli_version[];

/* common.c: what the subcommands share. */

/* The database: --db, else $MOTCHAM_DB, else ./motcham.db (a file, or a PostgreSQL URL or
 * key=value string: see mc_store_is_pg). */
const char *cli_db_path(const struct args *a);
/* path as it may be shown (any password masked), written to out and returned. */
#define CLI_SHOWN 512
const char *cli_db_shown(const char *path, char out[CLI_SHOWN]);
/* Where templates/, assets/ and data/ live: $MOTCHAM_HOME; else the source tree for a
 * binary run from its build directory; else the installed datadir/motcham. */
const char *cli_home_dir(void);
/* Prints "motcham CMD: what: error" (with the database's message for a database error when
 * s is given) to stderr; returns 1. */
int cli_fail(const char *cmd, const char *what, enum mc_err err, struct mc_store *s);
/* Opens the database of cli_db_path (creating it when create) and brings its schema up to
 * date. Returns 0 with *s owned by the caller, or 1 after telling why. */
int cli_open_db(const struct args *a, bool create, struct mc_store **s);
/* Checks that the database at path opens read-only and has the current schema (a hot
 * standby for serve --db-read). Returns 0, or 1 after telling why. */
int cli_check_db(const char *cmd, const char *path);
/* Makes this process a batch job (MC_HTTP_BATCH_NICE nicer, SCHED_BATCH), for the subcommands that
 * run long beside the server (import, backup, audit): on a shared machine the server's threads that
 * answer residents then come first, and an idle machine runs the job as fast. Never fails: a job
 * that cannot lower itself runs as it is. */
void cli_batch(void);

/* cmd_log.c: the log's keys, for the subcommands that take them. */

/* Reads the private key file at path (motcham log keygen). Returns 0 with *out owned by the
 * caller, or 1 after telling why. */
int cli_read_key(const char *cmd, const char *path, struct mc_note_signer **out);
/* Reads a verifier key given as itself or as a file holding it; as cli_read_key. */
int cli_read_vkey(const char *cmd, const char *vkey, struct mc_note_verifier **out);

/* What serve runs of the log: the signer (--log-key) and the known witnesses
 * (--log-witness). */
struct cli_log {
	struct mc_log_signer *signer;
	struct mc_note_keyring *witnesses;
};
/* Starts them for database db (either option may be NULL); says what failed in errs. */
enum mc_err cli_log_start(const char *db, const char *keyfile, const char *witnesses,
			  struct cli_log *out, struct mc_buf *errs);
/* Signs what is left, stops and frees; the server must have stopped first. */
void cli_log_stop(struct cli_log *l);

/* cmd_NAME.c: one subcommand each. A handler parses its options with cli_parse, returns at
 * once when a->help is set (cli.c then prints its usage), and returns the exit status. */
int cmd_audit(struct args *a, int argc, char **argv);
int cmd_backup(struct args *a, int argc, char **argv);
int cmd_code(struct args *a, int argc, char **argv);
int cmd_demo(struct args *a, int argc, char **argv);
int cmd_gen(struct args *a, int argc, char **argv);
int cmd_import(struct args *a, int argc, char **argv);
int cmd_log(struct args *a, int argc, char **argv);
int cmd_init(struct args *a, int argc, char **argv);
int cmd_migrate(struct args *a, int argc, char **argv);
int cmd_serve(struct args *a, int argc, char **argv);
int cmd_user(struct args *a, int argc, char **argv);
int cmd_ward(struct args *a, int argc, char **argv);
extern const char cmd_audit_usage[];
extern const char cmd_backup_usage[];
extern const char cmd_code_usage[];
extern const char cmd_demo_usage[];
extern const char cmd_gen_usage[];
extern const char cmd_import_usage[];
extern const char cmd_log_usage[];
extern const char cmd_init_usage[];
extern const char cmd_migrate_usage[];
extern const char cmd_serve_usage[];
extern const char cmd_user_usage[];
extern const char cmd_ward_usage[];

#endif
