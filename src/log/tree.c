/* The Merkle tree algorithms of RFC 6962 (making proofs) and RFC 9162 (checking them). Any
 * range the recursion meets starts on a multiple of its own largest power of two, so each
 * of its complete parts is one stored node; only the tree's right edge is hashed here. */
#include "motcham/log/tree.h"

#include <string.h>

/* The largest power of two below n (n >= 2). */
static int64_t split_point(int64_t n)
{
	int64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

static bool pow2(int64_t n)
{
	return n > 0 && (n & (n - 1)) == 0;
}

static int log2_of(int64_t n)
{
	int l = 0;

	while ((int64_t)1 << l < n)
		l++;
	return l;
}

/* Where range_hash gets its nodes. A tree that answers many at once is walked twice, the
 * walk being the same arithmetic each time: first only to note the nodes it needs (their
 * hashes zero, nothing hashed), then, once nodes() answered them all, to take the
 * answers in the order they were noted. */
enum pass { ASK, NOTE, REPLAY };

struct source {
	const struct mc_tree *t;
	enum pass pass;
	size_t n, next;
	struct mc_tree_ref refs[MC_TREE_BATCH];
	mc_hash got[MC_TREE_BATCH];
};

static enum mc_err get_node(struct source *src, int level, int64_t index, unsigned char *out)
{
	switch (src->pass) {
	case NOTE:
		memset(out, 0, MC_MERKLE_HASH);
		if (src->n < MC_TREE_BATCH)
			src->refs[src->n] = (struct mc_tree_ref){.level = level, .index = index};
		src->n++;
		return MC_OK;
	case REPLAY:
		/* The second walk asks what the first noted, in order; anything else is a bug. */
		if (src->next >= src->n || src->refs[src->next].level != level ||
		    src->refs[src->next].index != index)
			return MC_ERR_INTERNAL;
		memcpy(out, src->got[src->next++], MC_MERKLE_HASH);
		return MC_OK;
	case ASK:
		break;
	}
	return src->t->node(src->t->ctx, level, index, out);
}

/* MTH(D[lo:hi]) for a non-empty range whose start is aligned as described above. */
static enum mc_err range_hash(struct source *src, int64_t lo, int64_t hi, unsigned char *out)
{
	unsigned char left[MC_MERKLE_HASH];
	int64_t n = hi - lo, k;
	enum mc_err err;

	if (pow2(n) && lo % n == 0)
		return get_node(src, log2_of(n), lo / n, out);
	k = split_point(n);
	if ((err = range_hash(src, lo, lo + k, left)) != MC_OK ||
	    (err = range_hash(src, lo + k, hi, out)) != MC_OK)
		return err;
	if (src->pass != NOTE)
		mc_merkle_node(left, out, out);
	return MC_OK;
}

static enum mc_err root(struct source *src, int64_t size, unsigned char *out)
{
	if (size < 0)
		return MC_ERR_INVALID;
	if (size == 0) {
		mc_merkle_empty(out);
		return MC_OK;
	}
	return range_hash(src, 0, size, out);
}

/* Reverses proof[0 .. n): the recursion finds the hashes root first, proofs list them leaf
 * first. */
static void reverse(mc_hash *proof, size_t n)
{
	unsigned char tmp[MC_MERKLE_HASH];

	for (size_t i = 0; i < n / 2; i++) {
		memcpy(tmp, proof[i], MC_MERKLE_HASH);
		memcpy(proof[i], proof[n - 1 - i], MC_MERKLE_HASH);
		memcpy(proof[n - 1 - i], tmp, MC_MERKLE_HASH);
	}
}

static enum mc_err inclusion(struct source *src, int64_t index, int64_t size,
			     mc_hash proof[MC_PROOF_MAX], size_t *n)
{
	int64_t lo = 0, hi = size, k;
	enum mc_err err;

	*n = 0;
	if (index < 0 || index >= size)
		return MC_ERR_INVALID;
	/* PATH(m, D[lo:hi]): the sibling of the half holding m, then the path inside it. */
	while (hi - lo > 1) {
		if (*n == MC_PROOF_MAX)
			return MC_ERR_INTERNAL;
		k = split_point(hi - lo);
		if (index < lo + k) {
			err = range_hash(src, lo + k, hi, proof[*n]);
			hi = lo + k;
		} else {
			err = range_hash(src, lo, lo + k, proof[*n]);
			lo += k;
		}
		if (err != MC_OK)
			return err;
		(*n)++;
	}
	reverse(proof, *n);
	return MC_OK;
}

static enum mc_err consistency(struct source *src, int64_t m, int64_t n,
			       mc_hash proof[MC_PROOF_MAX], size_t *len)
{
	int64_t lo = 0, hi = n, k;
	bool whole = true; /* SUBPROOF's b: the range is still the old tree's own prefix */
	enum mc_err err;

	*len = 0;
	if (m < 0 || m > n)
		return MC_ERR_INVALID;
	if (m == 0 || m == n)
		return MC_OK;
	/* SUBPROOF(m, D[lo:hi], whole), with m counted from lo. */
	while (m != hi - lo) {
		if (*len == MC_PROOF_MAX)
			return MC_ERR_INTERNAL;
		k = split_point(hi - lo);
		if (m <= k) {
			err = range_hash(src, lo + k, hi, proof[*len]);
			hi = lo + k;
		} else {
			err = range_hash(src, lo, lo + k, proof[*len]);
			m -= k;
			lo += k;
			whole = false;
		}
		if (err != MC_OK)
			return err;
		(*len)++;
	}
	if (!whole) {
		if (*len == MC_PROOF_MAX)
			return MC_ERR_INTERNAL;
		if ((err = range_hash(src, lo, hi, proof[*len])) != MC_OK)
			return err;
		(*len)++;
	}
	reverse(proof, *len);
	return MC_OK;
}

/* What the public functions compute, each over a source. */
enum job_kind { ROOT, INCLUSION, CONSISTENCY };

struct job {
	enum job_kind kind;
	int64_t a, b; /* size; index, size; m, n */
	unsigned char *root;
	mc_hash *proof;
	size_t *len;
};

static enum mc_err job_walk(struct source *src, const struct job *j)
{
	switch (j->kind) {
	case ROOT:
		return root(src, j->b, j->root);
	case INCLUSION:
		return inclusion(src, j->a, j->b, j->proof, j->len);
	case CONSISTENCY:
		break;
	}
	return consistency(src, j->a, j->b, j->proof, j->len);
}

/* One walk asking node() for each node, or, when the tree has nodes(), the two walks with
 * one nodes() between them (back to asking when a walk wants more than a batch). */
static enum mc_err job_run(const struct mc_tree *t, const struct job *j)
{
	struct source src = {.t = t, .pass = t->nodes ? NOTE : ASK};
	enum mc_err err;

	if (src.pass == ASK)
		return job_walk(&src, j);
	if ((err = job_walk(&src, j)) != MC_OK)
		return err;
	if (src.n > MC_TREE_BATCH) {
		src.pass = ASK;
	} else if (src.n) {
		if ((err = t->nodes(t->ctx, src.refs, src.n, src.got)) != MC_OK)
			return err;
		src.pass = REPLAY;
	}
	return job_walk(&src, j);
}

enum mc_err mc_tree_root(const struct mc_tree *t, int64_t size, unsigned char out[MC_MERKLE_HASH])
{
	return job_run(t, &(struct job){.kind = ROOT, .b = size, .root = out});
}

enum mc_err mc_tree_inclusion(const struct mc_tree *t, int64_t index, int64_t size,
			      mc_hash proof[MC_PROOF_MAX], size_t *n)
{
	return job_run(
	    t, &(struct job){.kind = INCLUSION, .a = index, .b = size, .proof = proof, .len = n});
}

enum mc_err mc_tree_consistency(const struct mc_tree *t, int64_t m, int64_t n,
				mc_hash proof[MC_PROOF_MAX], size_t *len)
{
	return job_run(
	    t, &(struct job){.kind = CONSISTENCY, .a = m, .b = n, .proof = proof, .len = len});
}

bool mc_proof_inclusion_ok(int64_t index, int64_t size, const unsigned char leaf[MC_MERKLE_HASH],
			   const mc_hash *proof, size_t n, const unsigned char root[MC_MERKLE_HASH])
{
	unsigned char r[MC_MERKLE_HASH];
	uint64_t fn, sn;

	if (index < 0 || index >= size)
		return false;
	fn = (uint64_t)index;
	sn = (uint64_t)size - 1;
	memcpy(r, leaf, MC_MERKLE_HASH);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			mc_merkle_node(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			mc_merkle_node(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && !memcmp(r, root, MC_MERKLE_HASH);
}

bool mc_proof_consistency_ok(int64_t m, int64_t n, const mc_hash *proof, size_t len,
			     const unsigned char old_root[MC_MERKLE_HASH],
			     const unsigned char new_root[MC_MERKLE_HASH])
{
	unsigned char fr[MC_MERKLE_HASH], sr[MC_MERKLE_HASH];
	uint64_t fn, sn;
	size_t i = 0;

	if (m < 0 || m > n)
		return false;
	if (m == n)
		return len == 0 && !memcmp(old_root, new_root, MC_MERKLE_HASH);
	if (m == 0)
		return len == 0;
	if (len == 0)
		return false;
	/* When the old tree is one complete subtree, its root is the proof's first hash. */
	if (pow2(m)) {
		memcpy(fr, old_root, MC_MERKLE_HASH);
	} else {
		memcpy(fr, proof[0], MC_MERKLE_HASH);
		i = 1;
	}
	memcpy(sr, fr, MC_MERKLE_HASH);
	fn = (uint64_t)m - 1;
	sn = (uint64_t)n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < len; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			mc_merkle_node(proof[i], fr, fr);
			mc_merkle_node(proof[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			mc_merkle_node(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && !memcmp(fr, old_root, MC_MERKLE_HASH) &&
	       !memcmp(sr, new_root, MC_MERKLE_HASH);
}

void mc_tree_builder_add(struct mc_tree_builder *b, const unsigned char leaf[MC_MERKLE_HASH])
{
	unsigned char h[MC_MERKLE_HASH];
	int level = 0;

	memcpy(h, leaf, MC_MERKLE_HASH);
	/* Adding one carries through the set low bits of size, merging their subtrees. */
	while (b->size >> level & 1) {
		mc_merkle_node(b->edge[level], h, h);
		level++;
	}
	memcpy(b->edge[level], h, MC_MERKLE_HASH);
	b->size++;
}

void mc_tree_builder_root(const struct mc_tree_builder *b, unsigned char out[MC_MERKLE_HASH])
{
	bool any = false;

	for (int level = 0; level < 64; level++) {
		if (!(b->size >> level & 1))
			continue;
		if (any)
			mc_merkle_node(b->edge[level], out, out);
		else
			memcpy(out, b->edge[level], MC_MERKLE_HASH);
		any = true;
	}
	if (!any)
		mc_merkle_empty(out);
}
