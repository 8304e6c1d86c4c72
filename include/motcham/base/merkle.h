#ifndef MOTCHAM_MERKLE_H
#define MOTCHAM_MERKLE_H

/* The hash rule of an RFC 6962 Merkle tree (SHA-256), the one copy of it: the store's tree
 * appends with it and the log's proofs and checks recompute with it. */

#include <stddef.h>

#define MC_MERKLE_HASH 32

/* out = SHA-256(0x00 || data[0..len)): the hash of one leaf. */
void mc_merkle_leaf(const void *data, size_t len, unsigned char out[MC_MERKLE_HASH]);
/* out = SHA-256(0x01 || left || right): an interior node. out may alias left or right. */
void mc_merkle_node(const unsigned char left[MC_MERKLE_HASH],
		    const unsigned char right[MC_MERKLE_HASH], unsigned char out[MC_MERKLE_HASH]);
/* out = SHA-256(""): the root of the empty tree. */
void mc_merkle_empty(unsigned char out[MC_MERKLE_HASH]);

#endif
