/* Checking the trail against a signed checkpoint (log.h). The entries are rehashed from
 * their own bytes, never taken from the stored tree: whoever rewrote the entries can have
 * rewritten the stored hashes too, but cannot sign a checkpoint without the log's key. The
 * stored tree is only used to say which entry changed, and only once the checkpoint has
 * vouched for it. */
#include <stdio.h>
#include <string.h>

#include "motcham/log/log.h"
#include "motcham/store/log.h"
#include "motcham/store/store.h"

/* Stored leaves read at once: the walk reads them in order, one round trip a batch. */
#define LEAF_BATCH 256

struct walk {
	struct mc_store *s;
	unsigned char stored[LEAF_BATCH][MC_MERKLE_HASH]; /* leaves [stored_first, + stored_got) */
	int64_t stored_first;
	int stored_got;
	struct mc_tree_builder b;
	struct mc_buf canon;
	int64_t size;			    /* the checkpoint's */
	unsigned char root[MC_MERKLE_HASH]; /* the entries' tree at that size */
	int64_t first_off;		    /* first entry whose stored leaf is not its own, or 0 */
	int64_t first_gap;		    /* first entry whose id does not follow, or 0 */
};

/* The stored leaf of index i, as mc_store_log_node gives it. */
static enum mc_err stored_leaf(struct walk *w, int64_t i, unsigned char out[MC_MERKLE_HASH])
{
	enum mc_err err;

	if (i < w->stored_first || i >= w->stored_first + w->stored_got) {
		w->stored_first = i;
		err = mc_store_log_nodes(w->s, 0, i, LEAF_BATCH, w->stored[0], &w->stored_got);
		if (err != MC_OK)
			w->stored_got = 0;
		/* A gap among the stored leaves (or a damaged one): one at a time from here. */
		if (err == MC_ERR_DB)
			return mc_store_log_node(w->s, 0, i, out);
		if (err != MC_OK)
			return err;
		if (!w->stored_got)
			return MC_ERR_NOTFOUND;
	}
	memcpy(out, w->stored[i - w->stored_first], MC_MERKLE_HASH);
	return MC_OK;
}

static enum mc_err leaf_entry(void *ctx, const struct mc_audit *a)
{
	struct walk *w = ctx;
	unsigned char leaf[MC_MERKLE_HASH], stored[MC_MERKLE_HASH];
	enum mc_err err;

	if (a->id != w->b.size + 1 && !w->first_gap)
		w->first_gap = a->id;
	mc_buf_reset(&w->canon);
	if ((err = mc_store_audit_canonical(a, &w->canon)) != MC_OK)
		return err;
	mc_merkle_leaf(w->canon.data, w->canon.len, leaf);
	err = stored_leaf(w, w->b.size, stored);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	if ((err != MC_OK || memcmp(leaf, stored, MC_MERKLE_HASH)) && !w->first_off)
		w->first_off = w->b.size + 1;
	mc_tree_builder_add(&w->b, leaf);
	if (w->b.size == w->size)
		mc_tree_builder_root(&w->b, w->root);
	return MC_OK;
}

/* Whether the stored hashes rebuild the checkpoint's root: then they are what it signed. */
static bool stored_signed(struct mc_store *s, const struct mc_checkpoint *cp)
{
	struct mc_tree t = mc_log_stored_tree(s);
	unsigned char root[MC_MERKLE_HASH];

	return mc_tree_root(&t, cp->size, root) == MC_OK && !memcmp(root, cp->root, MC_MERKLE_HASH);
}

enum mc_err mc_log_verify(struct mc_store *s, const char *note, size_t len,
			  const struct mc_note_verifier *v, struct mc_log_check *out)
{
	struct walk w = {.s = s};
	struct mc_tree t = mc_log_stored_tree(s);
	unsigned char all[MC_MERKLE_HASH], stored_all[MC_MERKLE_HASH];
	struct mc_note n;
	enum mc_err err;

	memset(out, 0, sizeof(*out));
	if ((err = mc_checkpoint_open(note, len, v, &n, &out->cp)) != MC_OK)
		return err;
	w.size = out->cp.size;
	if (w.size == 0)
		mc_merkle_empty(w.root);
	mc_buf_init(&w.canon);
	err = mc_store_audit_each(s, 0, NULL, 0, leaf_entry, &w);
	mc_buf_finish(&w.canon);
	if (err != MC_OK)
		return err;
	out->entries = w.b.size;
	if (w.b.size < w.size) {
		/* Fewer entries than were signed. When the stored leaves are still the signed ones,
		 * the first entry that differs from them is where the trail was cut or changed. */
		if (stored_signed(s, &out->cp) && w.first_off) {
			out->first_bad = w.first_off;
			snprintf(out->why, sizeof(out->why),
				 "it is not the entry the checkpoint at size %lld signed, and the "
				 "trail has %lld entries",
				 (long long)w.size, (long long)w.b.size);
			return MC_OK;
		}
		out->truncated = true;
		snprintf(out->why, sizeof(out->why),
			 "tree truncated at %lld: the checkpoint signed %lld entries",
			 (long long)w.b.size, (long long)w.size);
		return MC_OK;
	}
	if (memcmp(w.root, out->cp.root, MC_MERKLE_HASH)) {
		/* An entry before the checkpoint's size changed. The stored leaves name it when
		 * the checkpoint vouches for them. */
		if (stored_signed(s, &out->cp) && w.first_off && w.first_off <= w.size) {
			out->first_bad = w.first_off;
			snprintf(out->why, sizeof(out->why),
				 "it is not the entry the checkpoint at size %lld signed",
				 (long long)w.size);
		} else if (w.first_gap && w.first_gap <= w.size) {
			out->first_bad = w.first_gap;
			snprintf(
			    out->why, sizeof(out->why),
			    "an entry before it is missing: the checkpoint at size %lld signed "
			    "another trail",
			    (long long)w.size);
		} else {
			out->rewritten = true;
			snprintf(
			    out->why, sizeof(out->why),
			    "the entries do not rebuild the tree the checkpoint signed at size "
			    "%lld, and the stored hashes were rewritten with them, so the first "
			    "changed entry cannot be told from this checkpoint alone",
			    (long long)w.size);
		}
		return MC_OK;
	}
	/* The checkpoint's tree is the entries'; what the log serves must be too. */
	mc_tree_builder_root(&w.b, all);
	err = mc_tree_root(&t, w.b.size, stored_all);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	if (w.first_off || err != MC_OK || memcmp(all, stored_all, MC_MERKLE_HASH)) {
		out->stored_differs = true;
		out->first_bad = w.first_off;
		snprintf(out->why, sizeof(out->why),
			 "the stored tree hashes are not the entries' (proofs the log serves "
			 "would fail)");
	}
	return MC_OK;
}
