/* The data tree a page builds for a template: objects of keyed strings, booleans, objects
 * and lists, all in one arena that mc_tdata_destroy frees at once. */

#include "motcham/render/template.h"

#include "motcham/base/date.h"
#include "private.h"

#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES (16 * 1024)

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct mc_tdata {
	struct chunk *chunks;
	struct mc_tobj root;
};

static void *arena_alloc(struct mc_tdata *d, size_t n)
{
	const size_t a = alignof(max_align_t);
	struct chunk *c = d->chunks;
	size_t cap;
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + a - 1) / a * a;
	if (!c || c->cap - c->used < n) {
		cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->next = d->chunks;
		c->used = 0;
		c->cap = cap;
		d->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

static char *arena_strndup(struct mc_tdata *d, const char *s, size_t len)
{
	char *p = arena_alloc(d, len + 1);

	if (!p)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

struct mc_tdata *mc_tdata_create(void)
{
	struct mc_tdata *d = calloc(1, sizeof(*d));

	if (d)
		d->root.d = d;
	return d;
}

void mc_tdata_destroy(struct mc_tdata *d)
{
	struct chunk *c, *next;

	if (!d)
		return;
	for (c = d->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(d);
}

struct mc_tobj *mc_tdata_root(struct mc_tdata *d)
{
	return &d->root;
}

const struct pair *tdata_find(const struct mc_tobj *o, const char *key, size_t len)
{
	const struct pair *p;

	for (p = o->first; p; p = p->next)
		if (strncmp(p->key, key, len) == 0 && p->key[len] == '\0')
			return p;
	return NULL;
}

/* Returns the pair for key, creating an empty one at the end of o when there is none. */
static struct pair *slot(struct mc_tobj *o, const char *key)
{
	struct pair *p = (struct pair *)tdata_find(o, key, strlen(key));

	if (p)
		return p;
	p = arena_alloc(o->d, sizeof(*p));
	if (!p)
		return NULL;
	memset(p, 0, sizeof(*p));
	if (!(p->key = arena_strndup(o->d, key, strlen(key))))
		return NULL;
	if (o->last)
		o->last->next = p;
	else
		o->first = p;
	o->last = p;
	return p;
}

static struct mc_tobj *new_obj(struct mc_tdata *d)
{
	struct mc_tobj *o = arena_alloc(d, sizeof(*o));

	if (!o)
		return NULL;
	memset(o, 0, sizeof(*o));
	o->d = d;
	return o;
}

enum mc_err mc_tobj_strn(struct mc_tobj *o, const char *key, const char *val, size_t len)
{
	struct pair *p;
	char *copy;

	/* Missing values must also hide an older value under the same key. */
	if (!val)
		return mc_tobj_bool(o, key, false);
	if (!(copy = arena_strndup(o->d, val, len)) || !(p = slot(o, key)))
		return MC_ERR_NOMEM;
	p->type = V_STR;
	p->u.str.s = copy;
	p->u.str.len = len;
	return MC_OK;
}

enum mc_err mc_tobj_str(struct mc_tobj *o, const char *key, const char *val)
{
	return mc_tobj_strn(o, key, val, val ? strlen(val) : 0);
}

enum mc_err mc_tobj_date(struct mc_tobj *o, const char *key, const char *iso)
{
	char day[MC_DATE_LEN + 1];

	return mc_tobj_str(o, key, mc_date_vn(iso, day) ? day : iso);
}

enum mc_err mc_tobj_strf(struct mc_tobj *o, const char *key, const char *fmt, ...)
{
	va_list ap;
	struct pair *p;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MC_ERR_INTERNAL;
	if (!(s = arena_alloc(o->d, (size_t)n + 1)) || !(p = slot(o, key)))
		return MC_ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	p->type = V_STR;
	p->u.str.s = s;
	p->u.str.len = (size_t)n;
	return MC_OK;
}

enum mc_err mc_tobj_bool(struct mc_tobj *o, const char *key, bool val)
{
	struct pair *p = slot(o, key);

	if (!p)
		return MC_ERR_NOMEM;
	p->type = V_BOOL;
	p->u.b = val;
	return MC_OK;
}

/* A new empty object, and *p the pair of o for key to hang it on; NULL when out of memory. */
static struct mc_tobj *new_child(struct mc_tobj *o, const char *key, struct pair **p)
{
	struct mc_tobj *child = new_obj(o->d);

	if (!child || !(*p = slot(o, key)))
		return NULL;
	return child;
}

struct mc_tobj *mc_tobj_obj(struct mc_tobj *o, const char *key)
{
	struct pair *p;
	struct mc_tobj *child = new_child(o, key, &p);

	if (!child)
		return NULL;
	p->type = V_OBJ;
	p->u.obj = child;
	return child;
}

struct mc_tobj *mc_tobj_push(struct mc_tobj *o, const char *key)
{
	struct pair *p;
	struct mc_tobj *item = new_child(o, key, &p);

	if (!item)
		return NULL;
	if (p->type != V_LIST) {
		p->type = V_LIST;
		p->u.list.first = p->u.list.last = NULL;
	}
	if (p->u.list.last)
		p->u.list.last->next = item;
	else
		p->u.list.first = item;
	p->u.list.last = item;
	return item;
}
