/* The Merkle tree over the audit trail (store/log.h). audit_insert appends each entry's leaf
 * in the entry's own transaction; the hash of every complete subtree is stored as it
 * completes (of levels 0, 4, 8 ...: see TREE_STRIDE), so a root or a proof reads O(log n)
 * stored hashes. Appending
 * needs the tree's right edge: read once a write transaction (nobody else writes while it
 * lasts), then kept by the connection, so an import of many rows only inserts. */
#include "private.h"

#include <sodium.h>
#include <string.h>

#include "motcham/store/log.h"

/* Which levels are stored: 0, 4, 8 ... (the tiles' levels among them). Each entry then costs
 * 1 + 1/16 + ... rows instead of 2, and a node between stored levels is one range read of at
 * most 8 stored nodes and 7 hashes away. */
#define TREE_STRIDE 4

static enum mc_err put_node(struct mc_store *s, int level, int64_t index,
			    const unsigned char h[MC_MERKLE_HASH])
{
	char hex[2 * MC_MERKLE_HASH + 1];
	struct db_stmt *st;

	sodium_bin2hex(hex, sizeof(hex), h, MC_MERKLE_HASH);
	PREPARE(s, ST_LOG_NODE_INSERT, st);
	db_bind_int64(st, 1, level);
	db_bind_int64(st, 2, index);
	bind_text(st, 3, hex);
	return exec_stmt(st);
}

/* A stored hash back to bytes; anything else in the column is a damaged database. */
static enum mc_err unhex(const char *hex, unsigned char out[MC_MERKLE_HASH])
{
	size_t n = 0;

	if (!hex || strlen(hex) != 2 * MC_MERKLE_HASH ||
	    sodium_hex2bin(out, MC_MERKLE_HASH, hex, 2 * MC_MERKLE_HASH, NULL, &n, NULL) != 0 ||
	    n != MC_MERKLE_HASH)
		return MC_ERR_DB;
	return MC_OK;
}

/* A stored node: one of levels 0, TREE_STRIDE, 2 * TREE_STRIDE ... */
static enum mc_err stored_node(struct mc_store *s, int level, int64_t index,
			       unsigned char out[MC_MERKLE_HASH])
{
	struct db_stmt *st;
	bool row;
	enum mc_err err;

	PREPARE(s, ST_LOG_NODE, st);
	db_bind_int64(st, 1, level);
	db_bind_int64(st, 2, index);
	err = db_step(st, &row);
	if (err == MC_OK)
		err = row ? unhex(db_col_text(st, 0), out) : MC_ERR_NOTFOUND;
	done(st);
	return err;
}

enum mc_err mc_store_log_nodes(struct mc_store *s, int level, int64_t first, int count,
			       unsigned char *out, int *got)
{
	struct db_stmt *st;
	bool row;
	enum mc_err err;

	*got = 0;
	if (level % TREE_STRIDE)
		return MC_ERR_INVALID;
	PREPARE(s, ST_LOG_NODES, st);
	db_bind_int64(st, 1, level);
	db_bind_int64(st, 2, first);
	db_bind_int64(st, 3, first + count);
	while ((err = db_step(st, &row)) == MC_OK && row) {
		/* The rows come in index order; a gap would be a damaged tree. */
		if (db_col_int64(st, 0) != first + *got) {
			err = MC_ERR_DB;
			break;
		}
		if ((err = unhex(db_col_text(st, 1), out + (size_t)*got * MC_MERKLE_HASH)) != MC_OK)
			break;
		(*got)++;
	}
	done(st);
	return err;
}

/* The most stored nodes one node between stored levels is hashed up from. */
#define BELOW_MAX (1 << (TREE_STRIDE - 1))

/* The root of the count (a power of two, 2 .. BELOW_MAX) stored nodes packed in below. */
static void hash_up(const unsigned char *below, int count, unsigned char out[MC_MERKLE_HASH])
{
	unsigned char row[BELOW_MAX / 2][MC_MERKLE_HASH];

	for (int i = 0; i < count / 2; i++)
		mc_merkle_node(below + (size_t)2 * i * MC_MERKLE_HASH,
			       below + (size_t)(2 * i + 1) * MC_MERKLE_HASH, row[i]);
	for (count /= 2; count > 1; count /= 2)
		for (int i = 0; i < count / 2; i++)
			mc_merkle_node(row[2 * i], row[2 * i + 1], row[i]);
	memcpy(out, row[0], MC_MERKLE_HASH);
}

/* The stored nodes node (level, index) is: *count of them from (*at, *first). */
static enum mc_err stored_range(int level, int64_t index, int *at, int64_t *first, int *count)
{
	int up = level % TREE_STRIDE;

	*at = *count = 0;
	*first = 0;
	if (level < 0 || level > 62 || index < 0 || index >= INT64_MAX >> up)
		return MC_ERR_INVALID;
	*at = level - up;
	*first = index << up;
	*count = 1 << up;
	return MC_OK;
}

enum mc_err mc_store_log_node(struct mc_store *s, int level, int64_t index,
			      unsigned char out[MC_MERKLE_HASH])
{
	unsigned char below[BELOW_MAX * MC_MERKLE_HASH];
	int at, count, got = 0;
	int64_t first;
	enum mc_err err;

	if ((err = stored_range(level, index, &at, &first, &count)) != MC_OK)
		return err;
	if (count == 1)
		return stored_node(s, level, index, out);
	/* Between stored levels: hashed up from the 2 to BELOW_MAX stored below. */
	if ((err = mc_store_log_nodes(s, at, first, count, below, &got)) != MC_OK)
		return err;
	if (got != count)
		return MC_ERR_NOTFOUND;
	hash_up(below, count, out);
	return MC_OK;
}

/* The batch's JSON question: each ref's stored range as [level, first, end]. */
static enum mc_err batch_ranges(const struct mc_store_log_ref *refs, size_t n, struct mc_buf *q)
{
	int at, count;
	int64_t first;
	enum mc_err err = mc_buf_puts(q, "[");

	for (size_t i = 0; err == MC_OK && i < n; i++)
		if ((err = stored_range(refs[i].level, refs[i].index, &at, &first, &count)) ==
		    MC_OK)
			err = mc_buf_printf(q, "%s[%d,%lld,%lld]", i ? "," : "", at,
					    (long long)first, (long long)first + count);
	return err == MC_OK ? mc_buf_puts(q, "]") : err;
}

/* Ref i is done with the got stored nodes in below: its hash into out[i]. */
static enum mc_err batch_done(const struct mc_store_log_ref *refs, size_t i,
			      const unsigned char *below, int got, unsigned char *out)
{
	int at, count;
	int64_t first;

	stored_range(refs[i].level, refs[i].index, &at, &first, &count);
	if (got != count)
		return MC_ERR_NOTFOUND;
	if (count == 1)
		memcpy(out + i * MC_MERKLE_HASH, below, MC_MERKLE_HASH);
	else
		hash_up(below, count, out + i * MC_MERKLE_HASH);
	return MC_OK;
}

enum mc_err mc_store_log_node_batch(struct mc_store *s, const struct mc_store_log_ref *refs,
				    size_t n, unsigned char *out)
{
	unsigned char below[BELOW_MAX * MC_MERKLE_HASH];
	struct db_stmt *st;
	struct mc_buf q;
	size_t i = 0;
	int at, count, got = 0;
	int64_t first;
	bool row;
	enum mc_err err;

	/* In SQLite a question is a function call: n point reads cost less than the JSON. */
	if (s->db->ops->dialect == DB_SQLITE) {
		for (size_t k = 0; k < n; k++)
			if ((err = mc_store_log_node(s, refs[k].level, refs[k].index,
						     out + k * MC_MERKLE_HASH)) != MC_OK)
				return err;
		return MC_OK;
	}
	if (!n)
		return MC_OK;
	mc_buf_init(&q);
	if ((err = batch_ranges(refs, n, &q)) != MC_OK ||
	    (err = stmt(s, ST_LOG_NODE_BATCH, &st)) != MC_OK) {
		mc_buf_finish(&q);
		return err;
	}
	bind_text(st, 1, q.data);
	/* The rows come range by range, each in index order; a range short of its count is
	 * a node the tree does not have, a gap inside one a damaged tree. */
	while ((err = db_step(st, &row)) == MC_OK && row) {
		int64_t k = db_col_int64(st, 0);

		if (k != (int64_t)i) {
			if (k < (int64_t)i || k >= (int64_t)n) {
				err = MC_ERR_DB;
				break;
			}
			if ((err = batch_done(refs, i, below, got, out)) != MC_OK)
				break;
			got = 0;
			if (k != (int64_t)++i) {
				err = MC_ERR_NOTFOUND;
				break;
			}
		}
		stored_range(refs[i].level, refs[i].index, &at, &first, &count);
		if (got == count || db_col_int64(st, 1) != first + got) {
			err = MC_ERR_DB;
			break;
		}
		if ((err = unhex(db_col_text(st, 2), below + (size_t)got * MC_MERKLE_HASH)) !=
		    MC_OK)
			break;
		got++;
	}
	if (err == MC_OK)
		err = i == n - 1 ? batch_done(refs, i, below, got, out) : MC_ERR_NOTFOUND;
	done(st);
	mc_buf_finish(&q);
	return err;
}

enum mc_err mc_store_log_size(struct mc_store *s, int64_t *size)
{
	long long n = 0;
	enum mc_err err = scalar(s, ST_LOG_SIZE, &n);

	*size = n;
	return err;
}

/* The right edge of the tree (the complete subtree for each set bit of its size), read from
 * the stored hashes at the transaction's first append. */
static enum mc_err load_edge(struct mc_store *s)
{
	struct tree_edge *t = &s->tree;
	struct mc_store_log_ref refs[63];
	unsigned char got[63][MC_MERKLE_HASH];
	size_t n = 0;
	enum mc_err err;

	if ((err = mc_store_log_size(s, &t->size)) != MC_OK)
		return err;
	for (int level = 0; level < 63; level++)
		if (t->size >> level & 1)
			refs[n++] = (struct mc_store_log_ref){level, (t->size >> level) - 1};
	if ((err = mc_store_log_node_batch(s, refs, n, got[0])) != MC_OK)
		return err == MC_ERR_NOTFOUND ? MC_ERR_INTERNAL : err;
	for (size_t i = 0; i < n; i++)
		memcpy(t->edge[refs[i].level], got[i], MC_MERKLE_HASH);
	t->known = true;
	return MC_OK;
}

enum mc_err tree_append(struct mc_store *s, int64_t id, const void *canon, size_t len)
{
	struct tree_edge *t = &s->tree;
	unsigned char h[MC_MERKLE_HASH];
	int level = 0;
	enum mc_err err;

	if (!t->known && (err = load_edge(s)) != MC_OK)
		return err;
	/* Entry N must be leaf N - 1: a tree that lags or leads its trail is a bug, and
	 * appending anyway would sign a tree that is not the trail's. */
	if (t->size != id - 1)
		return MC_ERR_INTERNAL;
	mc_merkle_leaf(canon, len, h);
	err = put_node(s, 0, t->size, h);
	/* Each set low bit of the size is a left sibling: its parent's subtree is complete. */
	for (; err == MC_OK && t->size >> level & 1; level++) {
		mc_merkle_node(t->edge[level], h, h);
		if ((level + 1) % TREE_STRIDE == 0)
			err = put_node(s, level + 1, t->size >> (level + 1), h);
	}
	if (err != MC_OK) {
		t->known = false; /* read it again from what the database kept */
		return err;
	}
	memcpy(t->edge[level], h, MC_MERKLE_HASH);
	t->size++;
	return MC_OK;
}

struct backfill {
	struct mc_store *s;
	struct mc_buf canon;
};

static enum mc_err backfill_entry(void *ctx, const struct mc_audit *a)
{
	struct backfill *b = ctx;
	enum mc_err err;

	mc_buf_reset(&b->canon);
	if ((err = mc_store_audit_canonical(a, &b->canon)) != MC_OK)
		return err;
	return tree_append(b->s, a->id, b->canon.data, b->canon.len);
}

enum mc_err tree_backfill(struct mc_store *s)
{
	struct backfill b = {.s = s};
	int64_t size;
	enum mc_err err;

	if ((err = mc_store_log_size(s, &size)) != MC_OK)
		return err;
	mc_buf_init(&b.canon);
	err = mc_store_audit_each(s, size, NULL, 0, backfill_entry, &b);
	mc_buf_finish(&b.canon);
	return err;
}
