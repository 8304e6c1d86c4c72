#ifndef MOTCHAM_STORE_LOG_H
#define MOTCHAM_STORE_LOG_H

/* The public log's storage: the RFC 6962 Merkle tree over the audit trail, the signed
 * checkpoints and the witnesses' cosignatures.
 *
 * Every audit entry is a leaf: entry id N is leaf index N - 1, and its leaf hash is
 * SHA-256(0x00 || the entry's canonical bytes, mc_store_audit_canonical). The store appends
 * the leaf in the entry's own transaction and keeps the hash of every complete subtree:
 * node (level L, index I) is the hash of leaves [I * 2^L, (I + 1) * 2^L), and a node is
 * SHA-256(0x01 || left || right). Nothing here is ever changed or deleted. Checkpoints and
 * cosignatures are not audit entries (they would grow the tree they sign). */

#include <stddef.h>
#include <stdint.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"
#include "motcham/base/merkle.h"

struct mc_store;

/* The number of leaves in the tree (0 for none). */
enum mc_err mc_store_log_size(struct mc_store *s, int64_t *size);
/* The stored hash of complete subtree (level, index) into out. MC_ERR_NOTFOUND when the
 * tree does not have it (yet); MC_ERR_DB for a stored value that is not a hash. */
enum mc_err mc_store_log_node(struct mc_store *s, int level, int64_t index,
			      unsigned char out[MC_MERKLE_HASH]);
/* Up to count consecutive nodes of one stored level (a multiple of 4, as the tiles' levels
 * are) from index first, packed into out (count * MC_MERKLE_HASH bytes); *got says how many
 * there were (fewer at the tree's edge). MC_ERR_INVALID for a level that is not stored. */
enum mc_err mc_store_log_nodes(struct mc_store *s, int level, int64_t first, int count,
			       unsigned char *out, int *got);

/* A complete subtree, as mc_store_log_node names it. */
struct mc_store_log_ref {
	int level;
	int64_t index;
};

/* The hashes of the complete subtrees refs[0 .. n), as mc_store_log_node gives each, into
 * out (n * MC_MERKLE_HASH bytes), in one question to the database (a proof's worth in one
 * round trip to a database server). MC_ERR_NOTFOUND when the tree lacks any of them, and
 * mc_store_log_node's other errors. */
enum mc_err mc_store_log_node_batch(struct mc_store *s, const struct mc_store_log_ref *refs,
				    size_t n, unsigned char *out);

/* A stored checkpoint: its tree size, root (64 hex), the whole signed note as the log
 * signed it, and when (UTC, YYYY-MM-DDTHH:MM:SSZ). Strings borrowed for the callback. */
struct mc_store_checkpoint {
	int64_t size;
	const char *root;
	const char *note;
	const char *signed_at;
};

/* A witness's cosignature of the checkpoint of one size: the key's name and id (8 hex),
 * the time it says it signed (POSIX seconds), its whole signature line (with the final
 * newline) and when it reached us. Borrowed for the callback. */
struct mc_store_cosignature {
	int64_t size;
	const char *name;
	const char *key_id;
	int64_t cosigned_at;
	const char *line;
	const char *received_at;
};

typedef enum mc_err (*mc_store_checkpoint_fn)(void *ctx, const struct mc_store_checkpoint *c);
typedef enum mc_err (*mc_store_cosignature_fn)(void *ctx, const struct mc_store_cosignature *c);

/* Stores the signed checkpoint of size (root as 64 hex, note the signed note whose text
 * starts with text). One checkpoint a size: a new note for a size replaces the old one, and
 * drops the cosignatures when the signed text differs (they signed the old text). */
enum mc_err mc_store_log_checkpoint_put(struct mc_store *s, int64_t size, const char *root,
					const char *text, const char *note);
/* Calls fn with the checkpoint of size, or the latest one for size < 0. MC_ERR_NOTFOUND
 * when there is none. */
enum mc_err mc_store_log_checkpoint(struct mc_store *s, int64_t size, mc_store_checkpoint_fn fn,
				    void *ctx);
/* Keeps a cosignature of the checkpoint of c->size (replacing the same key's earlier one);
 * MC_ERR_NOTFOUND when there is no checkpoint of that size. */
enum mc_err mc_store_log_cosignature_put(struct mc_store *s, const struct mc_store_cosignature *c);
/* Calls fn for each cosignature of the checkpoint of size, by name then key id. */
enum mc_err mc_store_log_cosignature_each(struct mc_store *s, int64_t size,
					  mc_store_cosignature_fn fn, void *ctx);

#endif
