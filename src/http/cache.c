#include "motcham/http/cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	char *key; /* NULL: empty */
	void *value;
	uint64_t hash;
	size_t size;
};

struct mc_cache {
	struct slot *slots;
	size_t cap; /* a power of two, at least twice max so probes stay short */
	size_t n, max;
	size_t bytes, max_bytes;
	mc_cache_free_fn free_value;
};

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

struct mc_cache *mc_cache_create(size_t max_entries, size_t max_bytes, mc_cache_free_fn free_value)
{
	struct mc_cache *c = calloc(1, sizeof(*c));
	size_t cap = 16;

	if (!c || max_entries == 0)
		goto fail;
	while (cap < max_entries * 2)
		cap *= 2;
	if (!(c->slots = calloc(cap, sizeof(*c->slots))))
		goto fail;
	c->cap = cap;
	c->max = max_entries;
	c->max_bytes = max_bytes;
	c->free_value = free_value;
	return c;
fail:
	free(c);
	return NULL;
}

void mc_cache_clear(struct mc_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++) {
		if (!c->slots[i].key)
			continue;
		free(c->slots[i].key);
		if (c->free_value)
			c->free_value(c->slots[i].value);
		c->slots[i].key = NULL;
	}
	c->n = 0;
	c->bytes = 0;
}

void mc_cache_destroy(struct mc_cache *c)
{
	if (!c)
		return;
	mc_cache_clear(c);
	free(c->slots);
	free(c);
}

/* The slot holding key, or the empty slot where it would go. */
static struct slot *find(struct mc_cache *c, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (c->cap - 1);

	while (c->slots[i].key && (c->slots[i].hash != h || strcmp(c->slots[i].key, key)))
		i = (i + 1) & (c->cap - 1);
	return &c->slots[i];
}

void *mc_cache_get(struct mc_cache *c, const char *key)
{
	struct slot *sl = find(c, key, fnv1a(key));

	return sl->key ? sl->value : NULL;
}

enum mc_err mc_cache_put(struct mc_cache *c, const char *key, void *value, size_t size)
{
	uint64_t h = fnv1a(key);
	struct slot *sl = find(c, key, h);

	size += strlen(key) + sizeof(*sl);
	if (sl->key) {
		if (c->free_value)
			c->free_value(sl->value);
		c->bytes = c->bytes - sl->size + size;
		sl->value = value;
		sl->size = size;
		return MC_OK;
	}
	if (c->n == c->max ||
	    size > c->max_bytes - (c->bytes < c->max_bytes ? c->bytes : c->max_bytes)) {
		mc_cache_clear(c);
		sl = find(c, key, h);
	}
	if (!(sl->key = strdup(key))) {
		if (c->free_value)
			c->free_value(value);
		return MC_ERR_NOMEM;
	}
	sl->value = value;
	sl->hash = h;
	sl->size = size;
	c->n++;
	c->bytes += size;
	return MC_OK;
}

size_t mc_cache_size(const struct mc_cache *c)
{
	return c->n;
}
