/* Signing checkpoints (log.h): one round in a write transaction, and the server's thread
 * that runs a round at most once a second and once more when it stops. */
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "motcham/log/log.h"
#include "motcham/store/log.h"
#include "motcham/store/store.h"

#define ROUND_MS 1000

struct latest {
	struct mc_buf note;
	int64_t size;
	bool found;
};

static enum mc_err got_latest(void *ctx, const struct mc_store_checkpoint *c)
{
	struct latest *l = ctx;

	l->found = true;
	l->size = c->size;
	return mc_buf_puts(&l->note, c->note);
}

/* Whether the latest checkpoint is key's own; and when it is, that the tree still extends
 * it (a log never signs two trees that are not one the prefix of the other). */
static enum mc_err check_latest(struct mc_store *s, const struct mc_note_signer *key,
				const struct latest *l, int64_t size, bool *ours, bool *current,
				struct mc_buf *why)
{
	struct mc_tree t = mc_log_stored_tree(s);
	struct mc_note_verifier *v = NULL;
	unsigned char root[MC_MERKLE_HASH];
	struct mc_checkpoint cp;
	struct mc_note n;
	struct mc_buf vkey;
	enum mc_err err;

	*ours = *current = false;
	mc_buf_init(&vkey);
	if ((err = mc_note_signer_vkey(key, &vkey)) == MC_OK)
		err = mc_note_verifier_parse(vkey.data, &v);
	mc_buf_finish(&vkey);
	if (err != MC_OK)
		return err;
	*ours = mc_checkpoint_open(l->note.data, l->note.len, v, &n, &cp) == MC_OK &&
		!strcmp(cp.origin, mc_note_signer_name(key));
	mc_note_verifier_destroy(v);
	if (!*ours)
		return MC_OK; /* another log's, or another key's: nothing this key promised */
	if (cp.size > size) {
		mc_buf_printf(why, "the tree has %lld entries, but this log signed %lld",
			      (long long)size, (long long)cp.size);
		return MC_ERR_CHECK;
	}
	if ((err = mc_tree_root(&t, cp.size, root)) != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	if (err == MC_ERR_NOTFOUND || memcmp(root, cp.root, MC_MERKLE_HASH)) {
		mc_buf_printf(why, "the stored tree at size %lld is not the one this log signed",
			      (long long)cp.size);
		return MC_ERR_CHECK;
	}
	*current = cp.size == size;
	return MC_OK;
}

/* Whether the latest checkpoint names key's origin (its first line), whoever signed it. */
static bool same_origin(const struct latest *l, const struct mc_note_signer *key)
{
	const char *name = mc_note_signer_name(key), *nl = memchr(l->note.data, '\n', l->note.len);
	size_t n = strlen(name);

	return nl && (size_t)(nl - l->note.data) == n && !memcmp(l->note.data, name, n);
}

static enum mc_err sign_tree(struct mc_store *s, const struct mc_note_signer *key, int64_t size)
{
	struct mc_tree t = mc_log_stored_tree(s);
	struct mc_checkpoint cp = {.size = size};
	char hex[2 * MC_MERKLE_HASH + 1];
	struct mc_buf text, note;
	enum mc_err err;

	snprintf(cp.origin, sizeof(cp.origin), "%s", mc_note_signer_name(key));
	if ((err = mc_tree_root(&t, size, cp.root)) != MC_OK)
		return err;
	sodium_bin2hex(hex, sizeof(hex), cp.root, MC_MERKLE_HASH);
	mc_buf_init(&text);
	mc_buf_init(&note);
	if ((err = mc_checkpoint_format(&cp, &text)) == MC_OK &&
	    (err = mc_buf_printf(&note, "%s\n", text.data)) == MC_OK &&
	    (err = mc_note_sign(key, text.data, text.len, 0, &note)) == MC_OK)
		err = mc_store_log_checkpoint_put(s, size, hex, text.data, note.data);
	mc_buf_finish(&text);
	mc_buf_finish(&note);
	return err;
}

enum mc_err mc_log_sign(struct mc_store *s, const struct mc_note_signer *key, bool *made,
			struct mc_buf *why)
{
	struct latest l = {.found = false};
	bool ours = false, current = false;
	int64_t size = 0;
	enum mc_err err;

	if (made)
		*made = false;
	if (mc_note_signer_type(key) != MC_NOTE_ED25519)
		return MC_ERR_INVALID;
	mc_buf_init(&l.note);
	if ((err = mc_store_begin(s)) != MC_OK)
		goto out;
	err = mc_store_log_size(s, &size);
	if (err == MC_OK &&
	    (err = mc_store_log_checkpoint(s, -1, got_latest, &l)) == MC_ERR_NOTFOUND)
		err = MC_OK;
	if (err == MC_OK && l.found)
		err = check_latest(s, key, &l, size, &ours, &current, why);
	if (err == MC_OK && l.found && !ours && same_origin(&l, key)) {
		/* Two keys for one log name: nodes given different key files would each replace
		 * the other's checkpoint every second, and no witness could follow either. */
		mc_buf_printf(
		    why,
		    "the latest checkpoint (size %lld) of %s is signed by another key: every "
		    "node of a log signs with the one key file (a new key needs a new "
		    "origin)",
		    (long long)l.size, mc_note_signer_name(key));
		err = MC_ERR_CHECK;
	}
	if (err == MC_OK && !current) {
		err = sign_tree(s, key, size);
		if (made)
			*made = err == MC_OK;
	}
	if (err == MC_OK)
		err = mc_store_commit(s);
	else
		mc_store_rollback(s);
out:
	mc_buf_finish(&l.note);
	return err;
}

struct mc_log_signer {
	struct mc_store *s;
	struct mc_note_signer *key;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stopping;
	char last_problem[256]; /* told once, not every second */
};

/* One round; a problem is told when it first appears and when it goes away. */
static void round_once(struct mc_log_signer *sg)
{
	struct mc_buf why;
	char problem[256] = "";
	enum mc_err err;

	mc_buf_init(&why);
	err = mc_log_sign(sg->s, sg->key, NULL, &why);
	if (err != MC_OK)
		snprintf(problem, sizeof(problem), "%s%s%s", mc_strerror(err), why.len ? ": " : "",
			 why.len ? why.data : "");
	if (strcmp(problem, sg->last_problem)) {
		if (*problem)
			fprintf(stderr, "motcham: log: not signing a checkpoint: %s\n", problem);
		else
			fprintf(stderr, "motcham: log: signing checkpoints again\n");
		snprintf(sg->last_problem, sizeof(sg->last_problem), "%s", problem);
	}
	mc_buf_finish(&why);
}

static void *signer_main(void *arg)
{
	struct mc_log_signer *sg = arg;
	struct timespec until;
	bool stop = false;

	while (!stop) {
		round_once(sg);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += ROUND_MS / 1000;
		pthread_mutex_lock(&sg->lock);
		while (!sg->stopping && pthread_cond_timedwait(&sg->wake, &sg->lock, &until) == 0)
			;
		stop = sg->stopping;
		pthread_mutex_unlock(&sg->lock);
	}
	round_once(sg); /* what the last second wrote, signed before the server exits */
	return NULL;
}

enum mc_err mc_log_signer_start(const char *db_path, struct mc_note_signer *key,
				struct mc_log_signer **out)
{
	struct mc_log_signer *sg;
	enum mc_err err;

	*out = NULL;
	if (!(sg = calloc(1, sizeof(*sg)))) {
		mc_note_signer_destroy(key);
		return MC_ERR_NOMEM;
	}
	sg->key = key;
	if ((err = mc_store_open(db_path, 0, &sg->s)) != MC_OK)
		goto fail;
	if (pthread_mutex_init(&sg->lock, NULL) != 0) {
		err = MC_ERR_NOMEM;
		goto fail;
	}
	if (pthread_cond_init(&sg->wake, NULL) != 0) {
		pthread_mutex_destroy(&sg->lock);
		err = MC_ERR_NOMEM;
		goto fail;
	}
	if (pthread_create(&sg->thread, NULL, signer_main, sg) != 0) {
		pthread_cond_destroy(&sg->wake);
		pthread_mutex_destroy(&sg->lock);
		err = MC_ERR_NOMEM;
		goto fail;
	}
	*out = sg;
	return MC_OK;
fail:
	mc_store_destroy(sg->s);
	mc_note_signer_destroy(sg->key);
	free(sg);
	return err;
}

void mc_log_signer_stop(struct mc_log_signer *sg)
{
	if (!sg)
		return;
	pthread_mutex_lock(&sg->lock);
	sg->stopping = true;
	pthread_cond_signal(&sg->wake);
	pthread_mutex_unlock(&sg->lock);
	pthread_join(sg->thread, NULL);
	pthread_cond_destroy(&sg->wake);
	pthread_mutex_destroy(&sg->lock);
	mc_store_destroy(sg->s);
	mc_note_signer_destroy(sg->key);
	free(sg);
}
