#ifndef MOTCHAM_LOG_TILE_H
#define MOTCHAM_LOG_TILE_H

/* C2SP tiles (c2sp.org/tlog-tiles): the tree published as tiles of up to 256 consecutive
 * hashes. Tile (L, N) holds the nodes of tree level 8L with indexes N * 256 .. N * 256 +
 * 255; a partial tile (the tree's right edge) holds the first W of them. Its path is
 * "L/N" or "L/N.p/W", N written in groups of three digits, all but the last prefixed "x"
 * (1234067 is x001/x234/067). Entry bundles (tile/entries/...) are not tiles here: the log
 * publishes hashes only. */

#include <stdint.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"
#include "motcham/log/tree.h"

#define MC_TILE_HEIGHT 8
#define MC_TILE_WIDTH 256
#define MC_TILE_LEVEL_MAX 63

struct mc_tile {
	int level;     /* 0 .. 63 */
	int64_t index; /* N */
	int width;     /* 1 .. 256; 256 is a full tile */
};

/* Reads a tile path "L/N[.p/W]" (what follows "tile/"), accepting only the one canonical
 * spelling of each tile. MC_ERR_INVALID otherwise. */
enum mc_err mc_tile_parse(const char *path, struct mc_tile *t);
/* Appends the tile's path. */
enum mc_err mc_tile_path(const struct mc_tile *t, struct mc_buf *out);

/* Fetches tile t's t->width hashes into out (t->width * 32 bytes). */
typedef enum mc_err (*mc_tile_fetch_fn)(void *ctx, const struct mc_tile *t, unsigned char *out);

struct mc_tile_reader;

/* A source of node hashes (for tree.h) for the tree of size, read from its tiles through
 * fetch, each tile fetched once. *out owned by the caller (mc_tile_reader_destroy). */
enum mc_err mc_tile_reader_create(int64_t size, mc_tile_fetch_fn fetch, void *ctx,
				  struct mc_tile_reader **out);
void mc_tile_reader_destroy(struct mc_tile_reader *r);
/* The tree.h source over r; valid while r is. A node outside the tree of r's size is
 * MC_ERR_INVALID; fetch's errors pass through. */
struct mc_tree mc_tile_reader_tree(struct mc_tile_reader *r);

#endif
