/* motcham user: add, list or disable staff accounts. */

#include "private.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include "motcham/base/auth.h"
#include "motcham/store/store.h"

const char cmd_user_usage[] =
    "usage: motcham user add [--db PATH] --name NAME --role staff|supervisor|admin [--ward SLUG]\n"
    "       motcham user list [--db PATH]\n"
    "       motcham user disable [--db PATH] --name NAME\n"
    "add asks for the password on the terminal (twice), or reads one line from standard\n"
    "input when it is not a terminal. Passwords: 10 to 256 bytes. Staff need --ward.\n"
    "disable ends the user's sessions; users are never deleted (the audit trail names them).\n";

/* Reads one line into buf without echo on a terminal. */
static bool read_line(const char *prompt, bool tty, char *buf, size_t size)
{
	struct termios old, quiet;
	bool ok, hidden = false;
	size_t n;

	if (tty) {
		fputs(prompt, stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			hidden = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
	}
	ok = fgets(buf, (int)size, stdin) != NULL;
	if (hidden) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	n = ok ? strcspn(buf, "\r\n") : 0;
	if (ok && buf[n] == '\0' && n == size - 1)
		return false; /* longer than any password we accept */
	buf[n] = '\0';
	return ok;
}

static int read_password(const char *cmd, char pw[300])
{
	char again[300];
	bool tty = isatty(STDIN_FILENO);

	if (!read_line("Password: ", tty, pw, 300)) {
		fprintf(stderr, "motcham %s: no password given\n", cmd);
		return 1;
	}
	if (tty &&
	    (!read_line("Password again: ", tty, again, sizeof(again)) || strcmp(pw, again))) {
		fprintf(stderr, "motcham %s: the passwords differ\n", cmd);
		return 1;
	}
	if (mc_auth_check_password(pw) != MC_OK) {
		fprintf(stderr, "motcham %s: a password needs 10 to 256 bytes of UTF-8\n", cmd);
		return 1;
	}
	return 0;
}

static int user_add(struct args *a, struct mc_store *s, const char *name, const char *role,
		    const char *ward)
{
	char pw[300], hash[MC_AUTH_HASH_MAX];
	struct mc_user u = {.name = name, .role = role, .pw_hash = hash};
	enum mc_err err;
	int rc;

	if (ward && (err = mc_store_ward_id(s, ward, &u.ward_id)) != MC_OK)
		return cli_fail(a->cmd, ward, err, s);
	if ((rc = read_password(a->cmd, pw)) != 0)
		return rc;
	err = mc_auth_hash_password(pw, hash);
	sodium_memzero(pw, sizeof(pw));
	if (err == MC_OK)
		err = mc_store_user_add(s, &u, NULL);
	if (err == MC_ERR_EXISTS) {
		fprintf(stderr, "motcham %s: a user called %s exists already\n", a->cmd, name);
		return 1;
	}
	if (err != MC_OK)
		return cli_fail(a->cmd, name, err, s);
	printf("user %s (%s) added\n", name, role);
	return 0;
}

static enum mc_err print_user(void *ctx, const struct mc_user *u)
{
	(void)ctx;
	printf("%s\t%s\t%lld\t%s\n", u->name, u->role, (long long)u->ward_id,
	       u->disabled_at ? "disabled" : "active");
	return MC_OK;
}

static bool valid_user_name(const char *n)
{
	size_t len = strlen(n);

	return len >= 2 && len <= 64 &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") ==
		   len;
}

int cmd_user(struct args *a, int argc, char **argv)
{
	const char *name = NULL, *role = NULL, *ward = NULL;
	const struct opt opts[] = {{"name", OPT_STR, &name, 0, 0},
				   {"role", OPT_STR, &role, 0, 0},
				   {"ward", OPT_STR, &ward, 0, 0},
				   {0}};
	const char *verb;
	struct mc_store *s = NULL;
	enum mc_err err;
	int rc;

	if ((rc = cli_parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	verb = a->npos == 1 ? a->pos[0] : "";
	if (strcmp(verb, "add") && strcmp(verb, "list") && strcmp(verb, "disable"))
		return cli_usage_error(a->cmd, "say 'add', 'list' or 'disable'%s", "");
	if (strcmp(verb, "list") && (!name || !valid_user_name(name)))
		return cli_usage_error(a->cmd, "--name wants 2-64 letters, digits or ._-@%s", "");
	if (!strcmp(verb, "add")) {
		if (!role || (strcmp(role, MC_ROLE_STAFF) && strcmp(role, MC_ROLE_SUPERVISOR) &&
			      strcmp(role, MC_ROLE_ADMIN)))
			return cli_usage_error(a->cmd,
					       "--role must be staff, supervisor or admin%s", "");
		if (!strcmp(role, MC_ROLE_STAFF) && !ward)
			return cli_usage_error(a->cmd, "staff belong to a ward: give --ward SLUG%s",
					       "");
	}
	if ((rc = cli_open_db(a, false, &s)) != 0)
		return rc;
	mc_store_set_actor(s, 0, "cli");
	if (!strcmp(verb, "add")) {
		rc = user_add(a, s, name, role, ward);
	} else if (!strcmp(verb, "list")) {
		if ((err = mc_store_user_each(s, print_user, NULL)) != MC_OK)
			rc = cli_fail(a->cmd, "cannot list users", err, s);
	} else if ((err = mc_store_user_disable(s, name)) != MC_OK) {
		rc = cli_fail(a->cmd, name, err, s);
	} else {
		printf("user %s disabled\n", name);
	}
	mc_store_destroy(s);
	return rc;
}
