/* motcham log: keys, checkpoints and proofs of the public log, and witnessing another log. */

#include "private.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "motcham/base/buf.h"
#include "motcham/log/log.h"
#include "motcham/log/note.h"
#include "motcham/log/witness.h"
#include "motcham/store/store.h"

const char cmd_log_usage[] =
    "usage: motcham log keygen (--origin NAME | --witness NAME) --out KEYFILE\n"
    "       motcham log sign [--db PATH] --key KEYFILE\n"
    "       motcham log checkpoint [--db PATH]\n"
    "       motcham log proof [--db PATH] --entry ID\n"
    "       motcham log witness --log URL --vkey VKEY --state DIR --key KEYFILE [--every S]\n"
    "The audit trail is a public Merkle tree (RFC 6962); its signed checkpoints and tiles\n"
    "are served at /log/checkpoint and /log/tile/... (c2sp.org/tlog-tiles).\n"
    "keygen writes a new private key (mode 0600, never over a file) and prints its\n"
    "verifier key NAME+KEYID+KEY: --origin names a log's key (serve --log-key), --witness a\n"
    "witness's cosigning key. The key never enters the database.\n"
    "sign signs a checkpoint of the tree now (the server does it by itself with --log-key);\n"
    "checkpoint prints the latest one with its cosignatures; proof prints a\n"
    "c2sp.org/tlog-proof of audit entry ID against it.\n"
    "witness fetches the log's checkpoint at URL (its server, or its .../log prefix),\n"
    "checks the log's signature (VKEY: a verifier key, or a file holding one) and that it\n"
    "extends the checkpoint kept in DIR (a consistency proof from the log's tiles), keeps\n"
    "it, cosigns it and posts the cosignature to the log. With --every it checks every S\n"
    "seconds until SIGINT or SIGTERM. Exit 0 when cosigned, 1 when it could not check,\n"
    "3 when it REFUSED a checkpoint that does not extend the kept one (both are then kept\n"
    "in DIR as evidence).\n";

/* Reads a small text file into out. */
static bool slurp(const char *path, struct mc_buf *out)
{
	char chunk[4096];
	FILE *f = fopen(path, "r");
	size_t n;
	bool ok = true;

	if (!f)
		return false;
	while (ok && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ok = out->len + n <= 64 * 1024 && mc_buf_add(out, chunk, n) == MC_OK;
	ok = ok && !ferror(f);
	fclose(f);
	return ok;
}

/* Reads the private key file at path; says why not in errs. */
static enum mc_err load_key(const char *path, struct mc_note_signer **out, struct mc_buf *errs)
{
	struct mc_buf text;
	enum mc_err err = MC_ERR_IO;

	*out = NULL;
	mc_buf_init(&text);
	if (slurp(path, &text))
		err = mc_note_signer_parse(text.data ? text.data : "", out);
	else
		mc_buf_printf(errs, "%s: %s", path, strerror(errno));
	if (err == MC_ERR_INVALID)
		mc_buf_printf(errs, "%s: not a private key (log keygen)", path);
	mc_buf_finish(&text);
	return err;
}

int cli_read_key(const char *cmd, const char *path, struct mc_note_signer **out)
{
	struct mc_buf why;
	enum mc_err err;

	mc_buf_init(&why);
	if ((err = load_key(path, out, &why)) != MC_OK)
		fprintf(stderr, "motcham %s: %s\n", cmd, why.len ? why.data : mc_strerror(err));
	mc_buf_finish(&why);
	return err == MC_OK ? 0 : 1;
}

int cli_read_vkey(const char *cmd, const char *vkey, struct mc_note_verifier **out)
{
	struct mc_buf text;
	enum mc_err err;

	if (mc_note_verifier_parse(vkey, out) == MC_OK)
		return 0;
	mc_buf_init(&text);
	err = slurp(vkey, &text) ? mc_note_verifier_parse(text.data ? text.data : "", out)
				 : MC_ERR_INVALID;
	mc_buf_finish(&text);
	if (err != MC_OK)
		fprintf(stderr, "motcham %s: %s is neither a verifier key nor a file holding one\n",
			cmd, vkey);
	return err == MC_OK ? 0 : 1;
}

enum mc_err cli_log_start(const char *db, const char *keyfile, const char *witnesses,
			  struct cli_log *out, struct mc_buf *errs)
{
	struct mc_note_signer *key = NULL;
	struct mc_buf why;
	enum mc_err err = MC_OK;

	memset(out, 0, sizeof(*out));
	mc_buf_init(&why);
	if (witnesses && (err = mc_note_keyring_parse(witnesses, &out->witnesses, &why)) != MC_OK)
		mc_buf_printf(errs, "--log-witness: %s", why.len ? why.data : mc_strerror(err));
	if (err == MC_OK && keyfile && (err = load_key(keyfile, &key, errs)) == MC_OK &&
	    mc_note_signer_type(key) != MC_NOTE_ED25519) {
		mc_buf_printf(errs, "--log-key %s is a witness's key, not a log's", keyfile);
		mc_note_signer_destroy(key);
		err = MC_ERR_INVALID;
	} else if (err == MC_OK && key &&
		   (err = mc_log_signer_start(db, key, &out->signer)) != MC_OK) {
		mc_buf_puts(errs, "cannot start the log's signer");
	}
	mc_buf_finish(&why);
	if (err != MC_OK)
		cli_log_stop(out);
	return err;
}

void cli_log_stop(struct cli_log *l)
{
	mc_log_signer_stop(l->signer);
	mc_note_keyring_destroy(l->witnesses);
	memset(l, 0, sizeof(*l));
}

static int keygen(struct args *a, const char *origin, const char *witness, const char *out)
{
	struct mc_buf skey, vkey;
	enum mc_err err;
	int fd, rc = 1;
	bool ok;

	if (!out || !origin == !witness)
		return cli_usage_error(a->cmd,
				       "keygen wants --out and one of --origin, --witness%s", "");
	mc_buf_init(&skey);
	mc_buf_init(&vkey);
	err = mc_note_keygen(origin ? origin : witness, origin ? MC_NOTE_ED25519 : MC_NOTE_COSIG,
			     &skey, &vkey);
	if (err == MC_OK)
		err = mc_buf_putc(&skey, '\n');
	if (err != MC_OK) {
		rc = err == MC_ERR_INVALID
			 ? cli_usage_error(a->cmd, "%s is not a key name (no spaces, no '+')",
					   origin ? origin : witness)
			 : cli_fail(a->cmd, "keygen", err, NULL);
		goto done;
	}
	if ((fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "motcham %s: cannot create %s: %s\n", a->cmd, out,
			errno == EEXIST ? "it exists (a key is never overwritten)"
					: strerror(errno));
		goto done;
	}
	ok = write(fd, skey.data, skey.len) == (ssize_t)skey.len && fsync(fd) == 0;
	if (close(fd) != 0 || !ok) {
		fprintf(stderr, "motcham %s: cannot write %s\n", a->cmd, out);
		unlink(out);
		goto done;
	}
	printf("%s\n", vkey.data);
	rc = 0;
done:
	if (skey.data)
		sodium_memzero(skey.data, skey.len);
	mc_buf_finish(&skey);
	mc_buf_finish(&vkey);
	return rc;
}

static int sign(struct args *a, const char *keyfile)
{
	struct mc_note_signer *key = NULL;
	struct mc_store *s = NULL;
	struct mc_buf why, note;
	bool made = false;
	enum mc_err err;
	int rc;

	if (!keyfile)
		return cli_usage_error(a->cmd, "sign wants --key KEYFILE%s", "");
	if ((rc = cli_read_key(a->cmd, keyfile, &key)) != 0)
		return rc;
	if (mc_note_signer_type(key) != MC_NOTE_ED25519) {
		mc_note_signer_destroy(key);
		return cli_usage_error(a->cmd, "%s is a witness's key, not a log's", keyfile);
	}
	if ((rc = cli_open_db(a, false, &s)) != 0) {
		mc_note_signer_destroy(key);
		return rc;
	}
	mc_buf_init(&why);
	mc_buf_init(&note);
	err = mc_log_sign(s, key, &made, &why);
	if (err == MC_OK)
		err = mc_log_published(s, -1, &note, NULL);
	if (err == MC_OK)
		fputs(note.data, stdout);
	else if (why.len)
		fprintf(stderr, "motcham %s: not signed: %s\n", a->cmd, why.data);
	rc = err == MC_OK ? 0 : why.len ? 1 : cli_fail(a->cmd, "cannot sign", err, s);
	mc_buf_finish(&why);
	mc_buf_finish(&note);
	mc_store_destroy(s);
	mc_note_signer_destroy(key);
	return rc;
}

/* Prints the latest checkpoint, or entry id's proof when id > 0. */
static int show(struct args *a, long long id)
{
	struct mc_store *s = NULL;
	struct mc_buf out;
	enum mc_err err;
	int rc;

	if ((rc = cli_open_db(a, false, &s)) != 0)
		return rc;
	mc_buf_init(&out);
	err = id ? mc_log_entry_proof(s, id, &out) : mc_log_published(s, -1, &out, NULL);
	if (err == MC_OK)
		fputs(out.data, stdout);
	else if (err == MC_ERR_NOTFOUND || err == MC_ERR_BUSY)
		fprintf(stderr, "motcham %s: %s\n", a->cmd,
			err == MC_ERR_BUSY ? "no signed checkpoint covers that entry yet"
			: id		   ? "no such audit entry"
			     : "no checkpoint has been signed yet (serve --log-key, log sign)");
	else
		cli_fail(a->cmd, "cannot read the log", err, s);
	mc_buf_finish(&out);
	mc_store_destroy(s);
	return err == MC_OK ? 0 : 1;
}

struct witness_opts {
	const char *log, *vkey, *state, *key;
	long every;
};

static int witness(struct args *a, const struct witness_opts *o)
{
	struct mc_witness_config c = {.log_url = o->log, .state_dir = o->state};
	struct mc_note_verifier *log_key = NULL;
	struct mc_note_signer *key = NULL;
	struct mc_witness_result r;
	struct timespec wait = {.tv_sec = o->every};
	struct stat st;
	sigset_t set;
	enum mc_err err;
	int rc;

	if (!o->log || !o->vkey || !o->state || !o->key)
		return cli_usage_error(a->cmd, "witness wants --log, --vkey, --state and --key%s",
				       "");
	if (stat(o->state, &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "motcham %s: %s is not a directory\n", a->cmd, o->state);
		return 1;
	}
	if ((rc = cli_read_vkey(a->cmd, o->vkey, &log_key)) != 0 ||
	    (rc = cli_read_key(a->cmd, o->key, &key)) != 0)
		goto out;
	if (mc_note_signer_type(key) != MC_NOTE_COSIG ||
	    mc_note_verifier_type(log_key) != MC_NOTE_ED25519) {
		rc = cli_usage_error(a->cmd,
				     "--key wants a witness key (keygen --witness) and --vkey "
				     "a log's%s",
				     "");
		goto out;
	}
	c.log_key = log_key;
	c.key = key;
	/* Between rounds the signals are waited for, not delivered: a round is never cut. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	for (;;) {
		err = mc_witness_round(&c, &r);
		if (err == MC_OK && r.verdict == MC_WITNESS_REFUSED) {
			fprintf(stderr, "motcham %s: %s\n", a->cmd, r.message);
			rc = 3;
			break;
		}
		if (err == MC_OK)
			printf("%s\n", r.message);
		else
			fprintf(stderr, "motcham %s: %s\n", a->cmd, r.message);
		fflush(stdout);
		rc = err == MC_OK ? 0 : 1;
		if (!o->every || sigtimedwait(&set, NULL, &wait) >= 0)
			break;
	}
out:
	mc_note_verifier_destroy(log_key);
	mc_note_signer_destroy(key);
	return rc;
}

int cmd_log(struct args *a, int argc, char **argv)
{
	const char *origin = NULL, *wname = NULL, *out = NULL, *keyfile = NULL;
	struct witness_opts w = {0};
	long entry = 0;
	const struct opt opts[] = {{"origin", OPT_STR, &origin, 0, 0},
				   {"witness", OPT_STR, &wname, 0, 0},
				   {"out", OPT_STR, &out, 0, 0},
				   {"key", OPT_STR, &keyfile, 0, 0},
				   {"entry", OPT_INT, &entry, 1, 0x7fffffffffffffffL},
				   {"log", OPT_STR, &w.log, 0, 0},
				   {"vkey", OPT_STR, &w.vkey, 0, 0},
				   {"state", OPT_STR, &w.state, 0, 0},
				   {"every", OPT_INT, &w.every, 1, 86400},
				   {0}};
	const char *verb;
	int rc;

	if ((rc = cli_parse(a, argc, argv, opts)) != 0 || a->help)
		return rc;
	verb = a->npos == 1 ? a->pos[0] : "";
	if (!strcmp(verb, "keygen"))
		return keygen(a, origin, wname, out);
	if (!strcmp(verb, "sign"))
		return sign(a, keyfile);
	if (!strcmp(verb, "checkpoint"))
		return show(a, 0);
	if (!strcmp(verb, "proof"))
		return entry ? show(a, entry)
			     : cli_usage_error(a->cmd, "proof wants --entry ID%s", "");
	if (!strcmp(verb, "witness")) {
		w.key = keyfile;
		return witness(a, &w);
	}
	return cli_usage_error(a->cmd, "say keygen, sign, checkpoint, proof or witness%s", "");
}
