/* Proofs from the database's stored tree, for the Python verifier to compare with its own
 * (tests/integration/test_log.py) and for bench/log to time. DB is a SQLite path or a
 * PostgreSQL URL, as motcham's --db.
 *   log_dump DB            reads "I INDEX SIZE" and "C M N" lines on standard input and
 *                          prints each proof as one line of comma-separated hex hashes
 *   log_dump DB time COUNT times COUNT inclusion proofs of random leaves at the tree's size
 *                          (each read from the database, as the server reads one) and
 *                          prints "SIZE leaves: N proofs, US us a proof, HASHES hashes" */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "motcham/log/log.h"
#include "motcham/store/log.h"
#include "motcham/store/store.h"

/* The answers ask the same few hundred nodes tens of thousands of times (test_log: every
 * proof of every size up to 300), which on a database server is as many round trips: each
 * node is read once, through the stored tree's own node() or nodes(), and kept. */
struct slot {
	int64_t index;
	int level; /* -1: free */
	mc_hash h;
};

struct memo {
	struct mc_tree stored;
	struct slot *slots;
	size_t cap, used;
};

static struct slot *slot_of(struct memo *m, int level, int64_t index)
{
	size_t i = ((uint64_t)index * 64 + (uint64_t)level) * 0x9e3779b97f4a7c15u & (m->cap - 1);

	while (m->slots[i].level >= 0 && (m->slots[i].level != level || m->slots[i].index != index))
		i = (i + 1) & (m->cap - 1);
	return &m->slots[i];
}

static enum mc_err memo_grow(struct memo *m)
{
	struct memo bigger = {.cap = m->cap ? 2 * m->cap : 1024};

	if (!(bigger.slots = malloc(bigger.cap * sizeof(*bigger.slots))))
		return MC_ERR_NOMEM;
	for (size_t i = 0; i < bigger.cap; i++)
		bigger.slots[i].level = -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].level >= 0)
			*slot_of(&bigger, m->slots[i].level, m->slots[i].index) = m->slots[i];
	free(m->slots);
	m->slots = bigger.slots;
	m->cap = bigger.cap;
	return MC_OK;
}

static enum mc_err memo_keep(struct memo *m, int level, int64_t index, const unsigned char *h)
{
	struct slot *sl;

	if (2 * (m->used + 1) > m->cap && memo_grow(m) != MC_OK)
		return MC_ERR_NOMEM;
	sl = slot_of(m, level, index);
	if (sl->level < 0)
		m->used++;
	*sl = (struct slot){.index = index, .level = level};
	memcpy(sl->h, h, MC_MERKLE_HASH);
	return MC_OK;
}

static enum mc_err memo_node(void *ctx, int level, int64_t index, unsigned char *out)
{
	struct memo *m = ctx;
	struct slot *sl = m->cap ? slot_of(m, level, index) : NULL;
	enum mc_err err;

	if (sl && sl->level >= 0) {
		memcpy(out, sl->h, MC_MERKLE_HASH);
		return MC_OK;
	}
	if ((err = m->stored.node(m->stored.ctx, level, index, out)) != MC_OK)
		return err;
	return memo_keep(m, level, index, out);
}

static enum mc_err memo_nodes(void *ctx, const struct mc_tree_ref *refs, size_t n, mc_hash *out)
{
	struct memo *m = ctx;
	struct mc_tree_ref miss[MC_TREE_BATCH];
	mc_hash got[MC_TREE_BATCH];
	size_t k = 0;
	enum mc_err err;

	for (size_t i = 0; i < n; i++) {
		struct slot *sl = m->cap ? slot_of(m, refs[i].level, refs[i].index) : NULL;

		if (sl && sl->level >= 0)
			memcpy(out[i], sl->h, MC_MERKLE_HASH);
		else
			miss[k++] = refs[i];
	}
	if (!k)
		return MC_OK;
	if ((err = m->stored.nodes(m->stored.ctx, miss, k, got)) != MC_OK)
		return err;
	for (size_t i = 0; i < k; i++)
		if ((err = memo_keep(m, miss[i].level, miss[i].index, got[i])) != MC_OK)
			return err;
	for (size_t i = 0; i < n; i++)
		memcpy(out[i], slot_of(m, refs[i].level, refs[i].index)->h, MC_MERKLE_HASH);
	return MC_OK;
}

static int answer(struct mc_store *s)
{
	struct memo m = {.stored = mc_log_stored_tree(s)};
	struct mc_tree t = {
	    .node = memo_node, .ctx = &m, .nodes = m.stored.nodes ? memo_nodes : NULL};
	int rc = 0;
	mc_hash proof[MC_PROOF_MAX];
	char line[128], hex[65], kind;
	long long a, b;
	size_t n;

	while (fgets(line, sizeof(line), stdin)) {
		enum mc_err err;

		if (sscanf(line, "%c %lld %lld", &kind, &a, &b) != 3) {
			rc = 2;
			break;
		}
		err = kind == 'I' ? mc_tree_inclusion(&t, a, b, proof, &n)
				  : mc_tree_consistency(&t, a, b, proof, &n);
		if (err != MC_OK) {
			printf("error %s\n", mc_strerror(err));
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			sodium_bin2hex(hex, sizeof(hex), proof[i], MC_MERKLE_HASH);
			printf("%s%s", i ? "," : "", hex);
		}
		putchar('\n');
	}
	free(m.slots);
	return rc;
}

static int timed(struct mc_store *s, long count)
{
	struct mc_tree t = mc_log_stored_tree(s);
	mc_hash proof[MC_PROOF_MAX];
	struct timespec a, b;
	int64_t size;
	size_t n = 0, hashes = 0;

	if (mc_store_log_size(s, &size) != MC_OK || size == 0 || count < 1)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < count; i++) {
		if (mc_tree_inclusion(&t, (int64_t)randombytes_uniform((uint32_t)size), size, proof,
				      &n) != MC_OK)
			return 1;
		hashes += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld leaves: %ld proofs, %.1f us a proof, %.1f hashes a proof\n", (long long)size,
	       count,
	       ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) /
		   (double)count,
	       (double)hashes / (double)count);
	return 0;
}

int main(int argc, char **argv)
{
	struct mc_store *s;
	int rc;

	if (argc < 2 || sodium_init() < 0 || mc_store_open(argv[1], MC_STORE_READONLY, &s) != MC_OK)
		return 2;
	rc = argc == 4 && !strcmp(argv[2], "time") ? timed(s, atol(argv[3])) : answer(s);
	mc_store_destroy(s);
	return rc;
}
