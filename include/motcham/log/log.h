#ifndef MOTCHAM_LOG_LOG_H
#define MOTCHAM_LOG_LOG_H

/* The public log over the audit trail, as the database holds it (store/log.h): the tree as
 * a source of hashes, the published checkpoint with its cosignatures, tlog-proofs, the
 * signer that keeps checkpoints current, and the check of a trail against a checkpoint. */

#include <stdbool.h>
#include <stdint.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"
#include "motcham/log/checkpoint.h"
#include "motcham/log/note.h"
#include "motcham/log/tree.h"

struct mc_store;

/* The tree's stored hashes as a tree.h source, a root or a proof read in one question
 * (mc_store_log_node_batch); valid while s is. */
struct mc_tree mc_log_stored_tree(struct mc_store *s);

/* Appends the checkpoint of size (the latest for size < 0) as published: the note the log
 * signed followed by every cosignature witnesses sent for it. *out_size (may be NULL) gets
 * its size. MC_ERR_NOTFOUND when there is none. */
enum mc_err mc_log_published(struct mc_store *s, int64_t size, struct mc_buf *note,
			     int64_t *out_size);

/* Appends a c2sp.org/tlog-proof@v1 of audit entry id against the latest checkpoint: the
 * extra line carries the entry's canonical bytes (so the proof checks offline: its leaf
 * hash is SHA-256(0x00 || extra)), then the index, the inclusion proof and the published
 * checkpoint. MC_ERR_NOTFOUND without the entry, MC_ERR_BUSY when no checkpoint covers it
 * yet (the next one will, within a second of signing). */
enum mc_err mc_log_entry_proof(struct mc_store *s, int64_t id, struct mc_buf *out);

/* Signs a checkpoint of the current tree with key (an Ed25519 note key named for the
 * log's origin) unless the latest checkpoint is already that, in one write transaction.
 * Never signs a tree that does not extend the latest checkpoint this key signed:
 * MC_ERR_CHECK then, with the reason in why. *made (may be NULL) says whether it signed. */
enum mc_err mc_log_sign(struct mc_store *s, const struct mc_note_signer *key, bool *made,
			struct mc_buf *why);

/* The signer of a running server: a thread on its own connection to db_path that signs
 * when the tree has grown, at most once a second, and once more at once when stopped.
 * Takes key (destroyed with the signer). Problems go to standard error. */
struct mc_log_signer;
enum mc_err mc_log_signer_start(const char *db_path, struct mc_note_signer *key,
				struct mc_log_signer **out);
/* Signs what is left and stops; accepts NULL. */
void mc_log_signer_stop(struct mc_log_signer *sg);

/* The verdict of mc_log_verify. */
struct mc_log_check {
	struct mc_checkpoint cp; /* what the checkpoint says */
	int64_t entries;	 /* entries in the trail */
	int64_t first_bad;	 /* the first entry that is not what was signed, or 0 */
	bool truncated;		 /* the trail has fewer entries than cp.size */
	bool rewritten;		 /* neither entries nor stored hashes rebuild cp.root */
	bool stored_differs;	 /* the stored tree does not match the entries */
	char why[256];		 /* for a human, when anything failed */
};

/* Checks the trail against a signed checkpoint (note[0 .. len), signed by v): that the
 * entries rebuild exactly its tree at its size, that the entries after extend it, and that
 * the stored hashes are the entries'. MC_OK when it could check (read *out: first_bad,
 * truncated, rewritten or stored_differs set on failure); MC_ERR_INVALID, MC_ERR_CHECK or
 * MC_ERR_NOTFOUND for a checkpoint that is malformed, badly signed or not signed by v. */
enum mc_err mc_log_verify(struct mc_store *s, const char *note, size_t len,
			  const struct mc_note_verifier *v, struct mc_log_check *out);

#endif
