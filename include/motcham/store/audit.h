#ifndef MOTCHAM_AUDIT_H
#define MOTCHAM_AUDIT_H

/* Checking and exporting the tamper-evident audit trail. The store appends the entries;
 * each carries SHA-256(canonical content) and the hash of the entry before it (see
 * mc_store_audit_canonical), so changing, deleting or reordering any entry breaks the chain
 * from that entry on. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "motcham/base/err.h"

struct mc_audit;
struct mc_buf;
struct mc_store;

struct mc_audit_check {
	long long entries; /* entries read */
	int64_t first_bad; /* id of the first entry that does not match, 0 when all do */
	char why[128];	   /* what did not match, for a human */
	char head[65];	   /* hash of the last entry: publish it to pin the chain */
};

/* Walks the whole chain in id order: the ids must run 1, 2, 3 ... without a gap, each entry
 * follow the one before and match its hash, and the trail hold no entry besides (first_bad
 * is 1 when one is numbered below 1 or the table counts more than the chain). MC_OK when it
 * was read (check first_bad for the verdict); MC_ERR_DB when it could not be read. */
enum mc_err mc_audit_verify(struct mc_store *s, struct mc_audit_check *out);
/* What one entry is checked against: what is stored beside it. */
struct mc_audit_links {
	const char *prev; /* the stored hash of entry id - 1; NULL when there is none */
	const char *leaf; /* the stored leaf id - 1 of the log's tree (64 hex); NULL when none */
	bool tree;	  /* leaf was read (NULL: the tree lacks it); false: no leaf check */
};

/* Whether entry a, as read, is the entry the trail wrote: numbered from 1, its prev_hash the
 * stored hash of the entry before it (for entry 1 the genesis value, 64 zeros, whatever
 * l->prev says), its hash SHA-256 of its canonical bytes (mc_store_audit_canonical), and,
 * with l->tree, its stored leaf there and the leaf hash of those bytes (store/log.h). canon
 * is the caller's scratch buffer. Sets *why to NULL when it verifies, else to what did not
 * match (static English text, for a human). MC_ERR_NOMEM when canon cannot grow. */
enum mc_err mc_audit_check_entry(const struct mc_audit *a, const struct mc_audit_links *l,
				 struct mc_buf *canon, const char **why);
/* Writes the entries made on or after day since (YYYY-MM-DD; NULL: all) as JSON Lines, one
 * object per entry with every field of the canonical content (before/after as the exact
 * JSON text), so the chain can be verified elsewhere. */
enum mc_err mc_audit_export(struct mc_store *s, const char *since, FILE *out);

#endif
