/* Proofs from the database's stored tree, for the Python verifier to compare with its own
 * (tests/integration/test_log.py) and for bench/log to time.
 *   log_dump DB            reads "I INDEX SIZE" and "C M N" lines on standard input and
 *                          prints each proof as one line of comma-separated hex hashes
 *   log_dump DB time COUNT times COUNT inclusion proofs of random leaves at the tree's size
 *                          and prints "SIZE leaves: N proofs, US us a proof, HASHES hashes" */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "motcham/log/log.h"
#include "motcham/store/log.h"
#include "motcham/store/store.h"

static int answer(struct mc_store *s)
{
	struct mc_tree t = mc_log_stored_tree(s);
	mc_hash proof[MC_PROOF_MAX];
	char line[128], hex[65], kind;
	long long a, b;
	size_t n;

	while (fgets(line, sizeof(line), stdin)) {
		enum mc_err err;

		if (sscanf(line, "%c %lld %lld", &kind, &a, &b) != 3)
			return 2;
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
	return 0;
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
