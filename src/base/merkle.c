/* The RFC 6962 hash rule: leaves and nodes are domain-separated by a first byte, so a leaf
 * can never pass for a node (a second-preimage attack on the tree). */
#include "motcham/base/merkle.h"

#include <sodium.h>

void mc_merkle_leaf(const void *data, size_t len, unsigned char out[MC_MERKLE_HASH])
{
	crypto_hash_sha256_state st;
	const unsigned char zero = 0x00;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &zero, 1);
	crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, out);
}

void mc_merkle_node(const unsigned char left[MC_MERKLE_HASH],
		    const unsigned char right[MC_MERKLE_HASH], unsigned char out[MC_MERKLE_HASH])
{
	crypto_hash_sha256_state st;
	const unsigned char one = 0x01;

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, &one, 1);
	crypto_hash_sha256_update(&st, left, MC_MERKLE_HASH);
	crypto_hash_sha256_update(&st, right, MC_MERKLE_HASH);
	crypto_hash_sha256_final(&st, out);
}

void mc_merkle_empty(unsigned char out[MC_MERKLE_HASH])
{
	crypto_hash_sha256(out, (const unsigned char *)"", 0);
}
