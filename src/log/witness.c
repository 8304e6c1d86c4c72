/* The witness (witness.h): one round of fetch, check, keep, cosign, deliver. */
#include "motcham/log/witness.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "motcham/log/checkpoint.h"
#include "motcham/log/tile.h"
#include "private.h"

#define TILE_BYTES (MC_TILE_WIDTH * MC_MERKLE_HASH)

struct round {
	const struct mc_witness_config *c;
	struct mc_witness_result *out;
	char prefix[1024]; /* the log's URL prefix, no trailing '/' */
	char base[512];	   /* the state files' path prefix */
	struct mc_buf why;
};

static enum mc_err say(struct round *r, enum mc_err err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum mc_err say(struct round *r, enum mc_err err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->out->message, sizeof(r->out->message), fmt, ap);
	va_end(ap);
	return err;
}

/* The origin as a file name: its safe characters and a hash of the whole, so two origins
 * never share a file. */
static void state_base(struct round *r, const char *origin)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char safe[64], hex[9];
	size_t n = 0;

	for (const char *p = origin; *p && n < sizeof(safe) - 1; p++)
		safe[n++] = ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '.' || *p == '-')
				? *p
				: '_';
	safe[n] = '\0';
	crypto_hash_sha256(h, (const unsigned char *)origin, strlen(origin));
	sodium_bin2hex(hex, sizeof(hex), h, 4);
	snprintf(r->base, sizeof(r->base), "%s/%s-%s", r->c->state_dir, safe, hex);
}

static enum mc_err read_file(const char *path, struct mc_buf *out, bool *exists)
{
	char chunk[4096];
	FILE *f = fopen(path, "r");
	size_t n;
	enum mc_err err = MC_OK;

	*exists = f != NULL;
	if (!f)
		return errno == ENOENT ? MC_OK : MC_ERR_IO;
	while (err == MC_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = out->len + n > MC_NOTE_MAX ? MC_ERR_TOOBIG : mc_buf_add(out, chunk, n);
	if (ferror(f))
		err = MC_ERR_IO;
	fclose(f);
	return err;
}

/* Writes data to path through a temporary file and a rename, synced, so a crash leaves the
 * old file or the new one. */
static enum mc_err write_file(const char *path, const char *data, size_t len)
{
	char tmp[1100];
	int fd;
	bool ok;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
		return MC_ERR_IO;
	ok = write(fd, data, len) == (ssize_t)len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) != 0) {
		unlink(tmp);
		return MC_ERR_IO;
	}
	return MC_OK;
}

static enum mc_err fetch_tile(void *ctx, const struct mc_tile *t, unsigned char *out)
{
	struct round *r = ctx;
	struct mc_buf url, body;
	long status = 0;
	enum mc_err err;

	mc_buf_init(&url);
	mc_buf_init(&body);
	if ((err = mc_buf_printf(&url, "%s/tile/", r->prefix)) == MC_OK &&
	    (err = mc_tile_path(t, &url)) == MC_OK)
		err = fetch_get(url.data, TILE_BYTES, &body, &status, &r->why);
	if (err == MC_OK && (status != 200 || body.len != (size_t)t->width * MC_MERKLE_HASH)) {
		mc_buf_printf(&r->why, "%s: HTTP %ld, %zu bytes", url.data, status, body.len);
		err = MC_ERR_IO;
	}
	if (err == MC_OK)
		memcpy(out, body.data, body.len);
	mc_buf_finish(&url);
	mc_buf_finish(&body);
	return err;
}

/* Whether the log's tiles show new extending kept: a consistency proof made from the tiles
 * of the new tree, verified against both signed roots. MC_ERR_IO when tiles are missing. */
static enum mc_err extends(struct round *r, const struct mc_checkpoint *kept,
			   const struct mc_checkpoint *new, bool *ok)
{
	struct mc_tile_reader *tr;
	struct mc_tree t;
	mc_hash proof[MC_PROOF_MAX];
	unsigned char root[MC_MERKLE_HASH];
	size_t n = 0;
	enum mc_err err;

	*ok = false;
	if ((err = mc_tile_reader_create(new->size, fetch_tile, r, &tr)) != MC_OK)
		return err;
	t = mc_tile_reader_tree(tr);
	/* The tiles must be the signed tree's, or the proof says nothing about it. */
	err = mc_tree_root(&t, new->size, root);
	if (err == MC_OK && memcmp(root, new->root, MC_MERKLE_HASH)) {
		mc_buf_puts(&r->why, "the log's tiles do not rebuild its checkpoint's root");
	} else if (err == MC_OK && kept) {
		err = mc_tree_consistency(&t, kept->size, new->size, proof, &n);
		*ok = err == MC_OK && mc_proof_consistency_ok(kept->size, new->size, proof, n,
							      kept->root, new->root);
	} else if (err == MC_OK) {
		*ok = true;
	}
	mc_tile_reader_destroy(tr);
	return err;
}

/* Keeps both checkpoints and the reason, and returns the refusal. */
static enum mc_err refuse(struct round *r, const struct mc_buf *kept, const struct mc_buf *offered,
			  const char *why)
{
	char path[700];
	long long now = (long long)time(NULL);
	enum mc_err err;

	snprintf(r->out->evidence, sizeof(r->out->evidence), "%s.refused-%lld", r->base, now);
	snprintf(path, sizeof(path), "%s.kept", r->out->evidence);
	err = write_file(path, kept->data, kept->len);
	snprintf(path, sizeof(path), "%s.offered", r->out->evidence);
	if (err == MC_OK)
		err = write_file(path, offered->data, offered->len);
	snprintf(path, sizeof(path), "%s.why", r->out->evidence);
	if (err == MC_OK)
		err = write_file(path, why, strlen(why));
	r->out->verdict = MC_WITNESS_REFUSED;
	if (err != MC_OK)
		return say(r, err, "REFUSED (%s), but the evidence could not be written to %s.*",
			   why, r->out->evidence);
	say(r, MC_OK, "REFUSED: %s; both checkpoints are kept as evidence in %s.{kept,offered,why}",
	    why, r->out->evidence);
	return MC_OK;
}

/* Sends the cosignature line of the checkpoint text back to the log. */
static enum mc_err deliver(struct round *r, const struct mc_note *n, const struct mc_buf *line)
{
	struct mc_buf url, body, answer;
	long status = 0;
	enum mc_err err;

	mc_buf_init(&url);
	mc_buf_init(&body);
	mc_buf_init(&answer);
	if ((err = mc_buf_printf(&url, "%s/add-cosignature", r->prefix)) == MC_OK &&
	    (err = mc_buf_add(&body, n->text, n->text_len)) == MC_OK &&
	    (err = mc_buf_putc(&body, '\n')) == MC_OK &&
	    (err = mc_buf_add(&body, line->data, line->len)) == MC_OK)
		err = fetch_post_form(url.data, "checkpoint", body.data, 4096, &answer, &status,
				      &r->why);
	if (err == MC_OK && status != 200) {
		mc_buf_printf(&r->why, "%s: HTTP %ld %s", url.data, status,
			      answer.data ? answer.data : "");
		err = MC_ERR_IO;
	}
	mc_buf_finish(&url);
	mc_buf_finish(&body);
	mc_buf_finish(&answer);
	return err;
}

/* The round once the state is locked: offered is the log's note, kept what we have. */
static enum mc_err judge(struct round *r, struct mc_buf *offered, struct mc_buf *kept_note,
			 bool have_kept)
{
	const char *origin = mc_note_verifier_name(r->c->log_key);
	struct mc_checkpoint new, kept;
	struct mc_note n, kn;
	struct mc_buf line;
	char why[512], path[600];
	bool ok = false;
	enum mc_err err;

	if ((err = mc_checkpoint_open(offered->data, offered->len, r->c->log_key, &n, &new)) !=
	    MC_OK)
		return say(r, err == MC_ERR_INVALID ? MC_ERR_IO : MC_ERR_CHECK,
			   "the log's checkpoint %s",
			   err == MC_ERR_INVALID ? "is malformed"
			   : err == MC_ERR_CHECK ? "has a bad signature"
						 : "is not signed by its key");
	if (strcmp(new.origin, origin))
		return say(r, MC_ERR_CHECK, "the log's checkpoint is for origin %s, not %s",
			   new.origin, origin);
	r->out->offered_size = new.size;
	if (have_kept &&
	    mc_checkpoint_open(kept_note->data, kept_note->len, r->c->log_key, &kn, &kept) != MC_OK)
		return say(r, MC_ERR_IO, "the kept checkpoint %s.checkpoint does not verify",
			   r->base);
	r->out->kept_size = have_kept ? kept.size : -1;
	if (have_kept && new.size < kept.size) {
		snprintf(why, sizeof(why),
			 "the log went back from size %lld (kept) to %lld: it does not extend the "
			 "kept checkpoint",
			 (long long)kept.size, (long long)new.size);
		return refuse(r, kept_note, offered, why);
	}
	if ((err = extends(r, have_kept ? &kept : NULL, &new, &ok)) != MC_OK)
		return say(r, err, "cannot read the log's tiles: %s",
			   r->why.len ? r->why.data : "");
	if (!ok) {
		snprintf(why, sizeof(why),
			 have_kept
			     ? "the log's checkpoint at size %lld does not extend the kept one "
			       "at size %lld (the consistency proof from its tiles fails)"
			     : "the log's tiles do not match its checkpoint at size %lld",
			 (long long)new.size, have_kept ? (long long)kept.size : 0LL);
		return have_kept ? refuse(r, kept_note, offered, why)
				 : say(r, MC_ERR_IO, "%s", why);
	}
	/* Kept before it is signed: a cosignature is never given for a size we could forget. */
	snprintf(path, sizeof(path), "%s.checkpoint", r->base);
	if ((err = write_file(path, offered->data, offered->len)) != MC_OK)
		return say(r, err, "cannot write %s", path);
	mc_buf_init(&line);
	err = mc_note_sign(r->c->key, n.text, n.text_len, (uint64_t)time(NULL), &line);
	if (err == MC_OK)
		err = deliver(r, &n, &line);
	mc_buf_finish(&line);
	if (err != MC_OK)
		return say(r, err, "cosigned %s at size %lld but could not deliver it: %s", origin,
			   (long long)new.size, r->why.len ? r->why.data : mc_strerror(err));
	r->out->verdict = MC_WITNESS_COSIGNED;
	return say(r, MC_OK, "cosigned %s at size %lld (kept size was %lld)", origin,
		   (long long)new.size, have_kept ? (long long)kept.size : 0LL);
}

enum mc_err mc_witness_round(const struct mc_witness_config *c, struct mc_witness_result *out)
{
	struct round r = {.c = c, .out = out};
	struct mc_buf offered, kept, url;
	char path[600];
	size_t n = strlen(c->log_url);
	long status = 0;
	bool have_kept = false;
	int lock = -1;
	enum mc_err err;

	memset(out, 0, sizeof(*out));
	out->kept_size = out->offered_size = -1;
	if (strlen(c->state_dir) >= 400)
		return say(&r, MC_ERR_INVALID, "the state directory's path is too long");
	while (n && c->log_url[n - 1] == '/')
		n--;
	snprintf(r.prefix, sizeof(r.prefix), "%.*s%s", (int)n, c->log_url,
		 n >= 4 && !strncmp(c->log_url + n - 4, "/log", 4) ? "" : "/log");
	state_base(&r, mc_note_verifier_name(c->log_key));
	mc_buf_init(&offered);
	mc_buf_init(&kept);
	mc_buf_init(&url);
	mc_buf_init(&r.why);
	/* One round at a time per log: the check and the update of the kept checkpoint must be
	 * one step, or a slower round could roll the kept size back. */
	snprintf(path, sizeof(path), "%s.lock", r.base);
	if ((lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		err = say(&r, MC_ERR_IO, "cannot open %s: %s", path, strerror(errno));
		goto out;
	}
	if (flock(lock, LOCK_EX | LOCK_NB) != 0) {
		err = say(&r, MC_ERR_BUSY, "another witness holds %s", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s.checkpoint", r.base);
	if ((err = read_file(path, &kept, &have_kept)) != MC_OK) {
		err = say(&r, err, "cannot read %s", path);
		goto out;
	}
	if ((err = mc_buf_printf(&url, "%s/checkpoint", r.prefix)) == MC_OK)
		err = fetch_get(url.data, MC_NOTE_MAX, &offered, &status, &r.why);
	if (err == MC_OK && status != 200) {
		mc_buf_printf(&r.why, "%s: HTTP %ld", url.data, status);
		err = MC_ERR_IO;
	}
	if (err != MC_OK) {
		err = say(&r, err, "cannot fetch the checkpoint: %s", r.why.len ? r.why.data : "");
		goto out;
	}
	err = judge(&r, &offered, &kept, have_kept);
out:
	if (lock >= 0)
		close(lock);
	mc_buf_finish(&offered);
	mc_buf_finish(&kept);
	mc_buf_finish(&url);
	mc_buf_finish(&r.why);
	return err;
}
