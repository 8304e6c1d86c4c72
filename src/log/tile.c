/* Tile paths and reading a tree back from its tiles (tile.h). */
#include "motcham/log/tile.h"

#include <stdlib.h>
#include <string.h>

/* The largest tile index whose hashes have int64 indexes. */
#define INDEX_MAX (INT64_MAX / MC_TILE_WIDTH - 999)

/* Reads a decimal of 1 to max digits without a leading zero at *p; moves *p past it. */
static bool number(const char **p, int max, int64_t *out)
{
	int64_t v = 0;
	int n = 0;

	if (**p == '0' && (*p)[1] >= '0' && (*p)[1] <= '9')
		return false;
	while (**p >= '0' && **p <= '9' && n < max) {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = v;
	return n > 0 && !(**p >= '0' && **p <= '9');
}

static bool three_digits(const char *p, int64_t *v)
{
	for (int i = 0; i < 3; i++)
		if (p[i] < '0' || p[i] > '9')
			return false;
	*v = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	return true;
}

enum mc_err mc_tile_parse(const char *path, struct mc_tile *t)
{
	const char *p = path;
	int64_t level, group, width = MC_TILE_WIDTH, index = 0;
	bool first = true;

	memset(t, 0, sizeof(*t));
	if (!number(&p, 2, &level) || level > MC_TILE_LEVEL_MAX || *p++ != '/')
		return MC_ERR_INVALID;
	/* "xDDD/" groups, then the last "DDD"; the first group is never x000. Every group
	 * multiplies by 1000: past INDEX_MAX / 1000 before one, the tile's first hash (index *
	 * 256) could not be numbered. */
	while (*p == 'x') {
		if (!three_digits(p + 1, &group) || p[4] != '/' || (first && group == 0) ||
		    index > INDEX_MAX / 1000)
			return MC_ERR_INVALID;
		index = index * 1000 + group;
		first = false;
		p += 5;
	}
	if (!three_digits(p, &group) || index > INDEX_MAX / 1000)
		return MC_ERR_INVALID;
	index = index * 1000 + group;
	p += 3;
	if (!strncmp(p, ".p/", 3)) {
		p += 3;
		if (!number(&p, 3, &width) || width < 1 || width >= MC_TILE_WIDTH)
			return MC_ERR_INVALID;
	}
	if (*p)
		return MC_ERR_INVALID;
	*t = (struct mc_tile){.level = (int)level, .index = index, .width = (int)width};
	return MC_OK;
}

enum mc_err mc_tile_path(const struct mc_tile *t, struct mc_buf *out)
{
	int groups[8], n = 0;
	int64_t i = t->index;
	enum mc_err err;

	do {
		groups[n++] = (int)(i % 1000);
		i /= 1000;
	} while (i > 0 && n < 8);
	err = mc_buf_printf(out, "%d/", t->level);
	while (err == MC_OK && --n > 0)
		err = mc_buf_printf(out, "x%03d/", groups[n]);
	if (err == MC_OK)
		err = mc_buf_printf(out, "%03d", groups[0]);
	if (err == MC_OK && t->width < MC_TILE_WIDTH)
		err = mc_buf_printf(out, ".p/%d", t->width);
	return err;
}

struct fetched {
	struct mc_tile tile;
	unsigned char *hashes;
};

struct mc_tile_reader {
	int64_t size;
	mc_tile_fetch_fn fetch;
	void *ctx;
	struct fetched *tiles;
	size_t n, cap;
};

enum mc_err mc_tile_reader_create(int64_t size, mc_tile_fetch_fn fetch, void *ctx,
				  struct mc_tile_reader **out)
{
	struct mc_tile_reader *r;

	*out = NULL;
	if (size < 0)
		return MC_ERR_INVALID;
	if (!(r = calloc(1, sizeof(*r))))
		return MC_ERR_NOMEM;
	r->size = size;
	r->fetch = fetch;
	r->ctx = ctx;
	*out = r;
	return MC_OK;
}

void mc_tile_reader_destroy(struct mc_tile_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->tiles[i].hashes);
	free(r->tiles);
	free(r);
}

/* The hashes of tile t, fetched on first use. */
static enum mc_err tile_of(struct mc_tile_reader *r, const struct mc_tile *t,
			   const unsigned char **out)
{
	struct fetched *f;
	enum mc_err err;

	for (size_t i = 0; i < r->n; i++) {
		f = &r->tiles[i];
		if (f->tile.level == t->level && f->tile.index == t->index &&
		    f->tile.width == t->width) {
			*out = f->hashes;
			return MC_OK;
		}
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 16;
		struct fetched *grown = realloc(r->tiles, cap * sizeof(*grown));

		if (!grown)
			return MC_ERR_NOMEM;
		r->tiles = grown;
		r->cap = cap;
	}
	f = &r->tiles[r->n];
	f->tile = *t;
	if (!(f->hashes = malloc((size_t)t->width * MC_MERKLE_HASH)))
		return MC_ERR_NOMEM;
	if ((err = r->fetch(r->ctx, t, f->hashes)) != MC_OK) {
		free(f->hashes);
		return err;
	}
	r->n++;
	*out = f->hashes;
	return MC_OK;
}

/* Node (level, index) from the tile at level / 8: hashing up level % 8 levels inside it. */
static enum mc_err reader_node(void *ctx, int level, int64_t index, unsigned char *out)
{
	struct mc_tile_reader *r = ctx;
	int tl = level / MC_TILE_HEIGHT, up = level % MC_TILE_HEIGHT, count = 1 << up;
	int64_t first, avail;
	const unsigned char *h;
	unsigned char row[MC_TILE_WIDTH / 2][MC_MERKLE_HASH];
	struct mc_tile t;
	enum mc_err err;

	if (level < 0 || level > 62 || index < 0 || index > (r->size >> level))
		return MC_ERR_INVALID;
	first = index << up; /* the node's first hash in the tile level's numbering */
	avail = r->size >> (tl * MC_TILE_HEIGHT);
	if (first + count > avail)
		return MC_ERR_INVALID; /* not a complete subtree of this tree */
	t.level = tl;
	t.index = first / MC_TILE_WIDTH;
	t.width = avail >= (t.index + 1) * MC_TILE_WIDTH ? MC_TILE_WIDTH
							 : (int)(avail - t.index * MC_TILE_WIDTH);
	if ((err = tile_of(r, &t, &h)) != MC_OK)
		return err;
	h += (size_t)(first % MC_TILE_WIDTH) * MC_MERKLE_HASH;
	if (count == 1) {
		memcpy(out, h, MC_MERKLE_HASH);
		return MC_OK;
	}
	for (int i = 0; i < count / 2; i++)
		mc_merkle_node(h + (size_t)2 * i * MC_MERKLE_HASH,
			       h + (size_t)(2 * i + 1) * MC_MERKLE_HASH, row[i]);
	for (count /= 2; count > 1; count /= 2)
		for (int i = 0; i < count / 2; i++)
			mc_merkle_node(row[2 * i], row[2 * i + 1], row[i]);
	memcpy(out, row[0], MC_MERKLE_HASH);
	return MC_OK;
}

struct mc_tree mc_tile_reader_tree(struct mc_tile_reader *r)
{
	return (struct mc_tree){.node = reader_node, .ctx = r};
}
