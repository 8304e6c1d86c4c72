#ifndef MOTCHAM_LOG_TREE_H
#define MOTCHAM_LOG_TREE_H

/* RFC 6962 / RFC 9162 Merkle tree algorithms over a source of complete-subtree hashes:
 * roots, inclusion and consistency proofs (made from any source: the database's stored
 * hashes, or tiles fetched from a log) and their verification. A tree of size n has leaves
 * 0 .. n-1; node (level L, index I) is the hash of leaves [I * 2^L, (I + 1) * 2^L), asked
 * for only when that range is complete. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "motcham/base/err.h"
#include "motcham/base/merkle.h"

/* A proof has at most one hash a level; 64 is more than any int64 tree size needs. */
#define MC_PROOF_MAX 64

typedef unsigned char mc_hash[MC_MERKLE_HASH];

/* A complete subtree, as node() names it. */
struct mc_tree_ref {
	int level;
	int64_t index;
};

/* The most nodes a root or a proof asks nodes() for at once (a proof needs at most 126). */
#define MC_TREE_BATCH 128

/* Where hashes come from: node() writes the hash of complete subtree (level, index) into
 * out, or returns why it cannot. nodes(), when set, writes the hashes of refs[0 .. n) into
 * out[0 .. n) at once (n <= MC_TREE_BATCH), with node()'s errors: for a source where each
 * question costs a round trip (a database server), a root or a proof is then one question,
 * and node() is not called. */
struct mc_tree {
	enum mc_err (*node)(void *ctx, int level, int64_t index, unsigned char *out);
	void *ctx;
	enum mc_err (*nodes)(void *ctx, const struct mc_tree_ref *refs, size_t n, mc_hash *out);
};

/* The root of the first size leaves (SHA-256("") for 0). O(log size) node() calls. */
enum mc_err mc_tree_root(const struct mc_tree *t, int64_t size, unsigned char out[MC_MERKLE_HASH]);
/* The inclusion proof of leaf index in the tree of size (RFC 6962 2.1.1), from the leaf's
 * sibling up, into proof[0 .. *n). MC_ERR_INVALID unless 0 <= index < size. */
enum mc_err mc_tree_inclusion(const struct mc_tree *t, int64_t index, int64_t size,
			      mc_hash proof[MC_PROOF_MAX], size_t *n);
/* The consistency proof from size m to size n (RFC 6962 2.1.2) into proof[0 .. *len);
 * empty for m == 0 or m == n. MC_ERR_INVALID unless 0 <= m <= n. */
enum mc_err mc_tree_consistency(const struct mc_tree *t, int64_t m, int64_t n,
				mc_hash proof[MC_PROOF_MAX], size_t *len);

/* RFC 9162 2.1.3.2: true when proof[0 .. n) proves leaf (a leaf hash) is at index in the
 * tree of size with root. */
bool mc_proof_inclusion_ok(int64_t index, int64_t size, const unsigned char leaf[MC_MERKLE_HASH],
			   const mc_hash *proof, size_t n,
			   const unsigned char root[MC_MERKLE_HASH]);
/* RFC 9162 2.1.4.2: true when proof[0 .. len) proves the tree of size m with root old_root
 * is a prefix of the tree of size n with root new_root. For m == n the proof must be empty
 * and the roots equal; the empty tree (m == 0) is a prefix of any tree. */
bool mc_proof_consistency_ok(int64_t m, int64_t n, const mc_hash *proof, size_t len,
			     const unsigned char old_root[MC_MERKLE_HASH],
			     const unsigned char new_root[MC_MERKLE_HASH]);

/* A tree built leaf by leaf in O(log n) memory (the right edge's complete subtrees), for
 * checking a whole trail against a root without storing it. Zero it to start. */
struct mc_tree_builder {
	mc_hash edge[64]; /* edge[i]: the subtree for bit i of size, when set */
	int64_t size;
};

/* Appends one leaf hash. */
void mc_tree_builder_add(struct mc_tree_builder *b, const unsigned char leaf[MC_MERKLE_HASH]);
/* The root of the leaves added so far. */
void mc_tree_builder_root(const struct mc_tree_builder *b, unsigned char out[MC_MERKLE_HASH]);

#endif
