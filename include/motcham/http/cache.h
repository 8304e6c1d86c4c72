#ifndef MOTCHAM_CACHE_H
#define MOTCHAM_CACHE_H

/* A small string-keyed cache owned by one thread (a server worker keeps its rendered pages
 * here). Bounded by entry count and by bytes: when either would be passed it is emptied,
 * which keeps the rule simple and the memory predictable. Not thread-safe by design: one
 * cache per worker. */

#include <stddef.h>

#include "motcham/base/err.h"

struct mc_cache;
typedef void (*mc_cache_free_fn)(void *value);

/* NULL when out of memory. free_value releases a stored value (may be NULL). */
struct mc_cache *mc_cache_create(size_t max_entries, size_t max_bytes, mc_cache_free_fn free_value);
/* Frees every value and the cache; accepts NULL. */
void mc_cache_destroy(struct mc_cache *c);
/* Drops every entry; accepts NULL (no cache). */
void mc_cache_clear(struct mc_cache *c);
/* The value stored under key, or NULL; the cache still owns it. */
void *mc_cache_get(struct mc_cache *c, const char *key);
/* Stores value, which holds about size bytes, under key (replacing any), taking ownership:
 * on failure the value is freed at once and MC_ERR_NOMEM returned. */
enum mc_err mc_cache_put(struct mc_cache *c, const char *key, void *value, size_t size);
/* Number of entries. */
size_t mc_cache_size(const struct mc_cache *c);

#endif
