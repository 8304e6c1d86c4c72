#include "motcham/render/template.h"

#include <dirent.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TPL_MAX_BYTES (256 * 1024)
#define TPL_MAX_NEST 32
#define TPL_MAX_PARTIAL 8
#define TPL_MAX_NAME 64
#define TPL_MAX_FILES 256
#define CHUNK_BYTES (16 * 1024)

enum node_type { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_PARTIAL };

/* Names and text point into the template's own copy of its source; a section's children
 * are the nodes in (index, end), so rendering needs no tree pointers. */
struct node {
	enum node_type type;
	const char *s;
	size_t len;
	size_t end;
	int line;
};

struct tpl {
	char *name;
	char *src;
	struct node *nodes;
	size_t n;
};

struct mc_template {
	struct tpl *v;
	size_t n, cap;
};

enum val_type { V_STR, V_BOOL, V_OBJ, V_LIST };

struct pair;

struct mc_tobj {
	struct mc_tdata *d;
	struct pair *first, *last;
	struct mc_tobj *next; /* next item when the object sits in a list */
};

struct pair {
	const char *key;
	enum val_type type;
	union {
		struct {
			const char *s;
			size_t len;
		} str;
		bool b;
		struct mc_tobj *obj;
		struct {
			struct mc_tobj *first, *last;
		} list;
	} u;
	struct pair *next;
};

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct mc_tdata {
	struct chunk *chunks;
	struct mc_tobj root;
};

/* ---- escaping ---------------------------------------------------------------------- */

enum mc_err mc_html_escape(struct mc_buf *out, const char *s, size_t len)
{
	enum mc_err err;
	size_t i, run = 0;
	const char *rep;

	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		if ((err = mc_buf_add(out, s + run, i - run)) != MC_OK)
			return err;
		if ((err = mc_buf_puts(out, rep)) != MC_OK)
			return err;
		run = i + 1;
	}
	return mc_buf_add(out, s + run, len - run);
}

/* ---- data arena -------------------------------------------------------------------- */

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

static const struct pair *find_pair(const struct mc_tobj *o, const char *key, size_t len)
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
	struct pair *p = (struct pair *)find_pair(o, key, strlen(key));

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

	if (!val) {
		/* Missing values must also hide an older value under the same key. */
		if (!(p = slot(o, key)))
			return MC_ERR_NOMEM;
		p->type = V_BOOL;
		p->u.b = false;
		return MC_OK;
	}
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

struct mc_tobj *mc_tobj_obj(struct mc_tobj *o, const char *key)
{
	struct mc_tobj *child = new_obj(o->d);
	struct pair *p;

	if (!child || !(p = slot(o, key)))
		return NULL;
	p->type = V_OBJ;
	p->u.obj = child;
	return child;
}

struct mc_tobj *mc_tobj_push(struct mc_tobj *o, const char *key)
{
	struct mc_tobj *item = new_obj(o->d);
	struct pair *p;

	if (!item || !(p = slot(o, key)))
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

/* ---- parsing ----------------------------------------------------------------------- */

struct parser {
	const char *label; /* file name for messages */
	struct mc_buf *errs;
	struct tpl *t;
	size_t cap;
	int line;
	size_t open[TPL_MAX_NEST];
	int nopen;
};

static enum mc_err perr(struct parser *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum mc_err perr(struct parser *ps, int line, const char *fmt, ...)
{
	va_list ap;

	if (ps->errs) {
		mc_buf_printf(ps->errs, "%s:%d: ", ps->label, line);
		va_start(ap, fmt);
		mc_buf_vprintf(ps->errs, fmt, ap);
		va_end(ap);
		mc_buf_putc(ps->errs, '\n');
	}
	return MC_ERR_TEMPLATE;
}

static enum mc_err add_node(struct parser *ps, enum node_type type, const char *s, size_t len)
{
	struct tpl *t = ps->t;
	struct node *v;
	size_t cap;

	if (t->n == ps->cap) {
		cap = ps->cap ? ps->cap * 2 : 64;
		if (!(v = realloc(t->nodes, cap * sizeof(*v))))
			return MC_ERR_NOMEM;
		t->nodes = v;
		ps->cap = cap;
	}
	t->nodes[t->n++] = (struct node){type, s, len, 0, ps->line};
	return MC_OK;
}

static bool name_char(char c, bool partial)
{
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')
		return true;
	return !partial && ((c >= 'A' && c <= 'Z') || c == '.');
}

static bool valid_name(const char *s, size_t len, bool partial)
{
	size_t i;

	if (len == 0 || len > TPL_MAX_NAME)
		return false;
	for (i = 0; i < len; i++)
		if (!name_char(s[i], partial))
			return false;
	return s[0] != '.' && s[len - 1] != '.';
}

static enum mc_err close_section(struct parser *ps, const char *name, size_t len)
{
	struct node *open;

	if (ps->nopen == 0)
		return perr(ps, ps->line, "{{/%.*s}} closes no section", (int)len, name);
	open = &ps->t->nodes[ps->open[ps->nopen - 1]];
	if (open->len != len || memcmp(open->s, name, len) != 0)
		return perr(ps, ps->line, "{{/%.*s}} does not match {{#%.*s}} opened on line %d",
			    (int)len, name, (int)open->len, open->s, open->line);
	open->end = ps->t->n;
	ps->nopen--;
	return MC_OK;
}

static enum mc_err parse_tag(struct parser *ps, const char *s, size_t len)
{
	char sigil = len ? s[0] : '\0';
	enum node_type type = N_VAR;

	if (sigil == '!')
		return MC_OK;
	if (sigil == '{' || sigil == '&' || sigil == '=')
		return perr(ps, ps->line, "{{%c is not supported: every value is escaped", sigil);
	if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '>') {
		s++;
		len--;
	} else {
		sigil = '\0';
	}
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (!valid_name(s, len, sigil == '>'))
		return perr(ps, ps->line, "bad name in tag {{%.*s%.*s}}", sigil ? 1 : 0, &sigil,
			    (int)(len > 40 ? 40 : len), s);
	if (sigil == '/')
		return close_section(ps, s, len);
	if (sigil == '#' || sigil == '^') {
		if (ps->nopen == TPL_MAX_NEST)
			return perr(ps, ps->line, "sections nested deeper than %d", TPL_MAX_NEST);
		ps->open[ps->nopen++] = ps->t->n;
		type = sigil == '#' ? N_SECTION : N_INVERTED;
	} else if (sigil == '>') {
		type = N_PARTIAL;
	}
	return add_node(ps, type, s, len);
}

static void count_lines(struct parser *ps, const char *s, size_t len)
{
	const char *end = s + len;

	while ((s = memchr(s, '\n', (size_t)(end - s))) != NULL) {
		ps->line++;
		s++;
	}
}

static enum mc_err parse(struct parser *ps)
{
	const char *p = ps->t->src, *open, *close;
	enum mc_err err;

	while (*p) {
		open = strstr(p, "{{");
		if (!open) {
			if ((err = add_node(ps, N_TEXT, p, strlen(p))) != MC_OK)
				return err;
			count_lines(ps, p, strlen(p));
			break;
		}
		if (open > p && (err = add_node(ps, N_TEXT, p, (size_t)(open - p))) != MC_OK)
			return err;
		count_lines(ps, p, (size_t)(open - p));
		if (!(close = strstr(open + 2, "}}")))
			return perr(ps, ps->line, "unclosed tag {{");
		if ((err = parse_tag(ps, open + 2, (size_t)(close - open - 2))) != MC_OK)
			return err;
		count_lines(ps, open, (size_t)(close - open));
		p = close + 2;
	}
	if (ps->nopen) {
		const struct node *n = &ps->t->nodes[ps->open[ps->nopen - 1]];
		return perr(ps, ps->line, "section {{#%.*s}} opened on line %d is never closed",
			    (int)n->len, n->s, n->line);
	}
	return MC_OK;
}

static void tpl_free(struct tpl *t)
{
	free(t->name);
	free(t->src);
	free(t->nodes);
}

static const struct tpl *find_tpl(const struct mc_template *t, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strncmp(t->v[i].name, name, len) == 0 && t->v[i].name[len] == '\0')
			return &t->v[i];
	return NULL;
}

/* Parses into a fresh struct tpl, then swaps it in, so a failed parse leaves the set as it
 * was. */
static enum mc_err add_labeled(struct mc_template *t, const char *name, const char *text,
			       size_t len, const char *label, struct mc_buf *errs)
{
	struct tpl nt = {0};
	struct parser ps = {.label = label, .errs = errs, .t = &nt, .line = 1};
	struct tpl *old, *v;
	enum mc_err err;

	if (!valid_name(name, strlen(name), true))
		return perr(&ps, 0, "bad template name \"%s\"", name);
	if (len > TPL_MAX_BYTES)
		return perr(&ps, 0, "template over %d bytes", TPL_MAX_BYTES);
	if (memchr(text, '\0', len))
		return perr(&ps, 0, "NUL byte in template");
	err = MC_ERR_NOMEM;
	if (!(nt.name = strdup(name)) || !(nt.src = malloc(len + 1)))
		goto fail;
	memcpy(nt.src, text, len);
	nt.src[len] = '\0';
	if ((err = parse(&ps)) != MC_OK)
		goto fail;
	if ((old = (struct tpl *)find_tpl(t, name, strlen(name))) != NULL) {
		tpl_free(old);
		*old = nt;
		return MC_OK;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		err = MC_ERR_NOMEM;
		if (!(v = realloc(t->v, cap * sizeof(*v))))
			goto fail;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = nt;
	return MC_OK;
fail:
	tpl_free(&nt);
	return err;
}

enum mc_err mc_template_add(struct mc_template *t, const char *name, const char *text, size_t len,
			    struct mc_buf *errs)
{
	return add_labeled(t, name, text, len, name, errs);
}

enum mc_err mc_template_create(struct mc_template **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? MC_OK : MC_ERR_NOMEM;
}

void mc_template_destroy(struct mc_template *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->n; i++)
		tpl_free(&t->v[i]);
	free(t->v);
	free(t);
}

/* ---- loading a directory ----------------------------------------------------------- */

static enum mc_err read_file(const char *path, struct mc_buf *out, struct mc_buf *errs)
{
	char tmp[8192];
	enum mc_err err = MC_OK;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		if (errs)
			mc_buf_printf(errs, "%s: cannot open\n", path);
		return MC_ERR_IO;
	}
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if (out->len + n > TPL_MAX_BYTES) {
			if (errs)
				mc_buf_printf(errs, "%s: over %d bytes\n", path, TPL_MAX_BYTES);
			err = MC_ERR_TEMPLATE;
			break;
		}
		if ((err = mc_buf_add(out, tmp, n)) != MC_OK)
			break;
	}
	if (err == MC_OK && ferror(f)) {
		if (errs)
			mc_buf_printf(errs, "%s: read error\n", path);
		err = MC_ERR_IO;
	}
	fclose(f);
	return err;
}

static enum mc_err load_one(struct mc_template *t, const char *dir, const char *file,
			    struct mc_buf *errs)
{
	struct mc_buf path, text, name;
	enum mc_err err;

	mc_buf_init(&path);
	mc_buf_init(&text);
	mc_buf_init(&name);
	if ((err = mc_buf_printf(&path, "%s/%s", dir, file)) != MC_OK)
		goto fail;
	if ((err = mc_buf_add(&name, file, strlen(file) - 5)) != MC_OK)
		goto fail;
	if ((err = read_file(path.data, &text, errs)) != MC_OK)
		goto fail;
	err = add_labeled(t, name.data, text.data ? text.data : "", text.len, path.data, errs);
fail:
	mc_buf_finish(&path);
	mc_buf_finish(&text);
	mc_buf_finish(&name);
	return err;
}

/* Walks partial references depth-first; chain holds the templates on the current path so a
 * cycle is named in the message. */
static enum mc_err check_partials(const struct mc_template *t, const struct tpl *cur,
				  const struct tpl **chain, int depth, struct mc_buf *errs)
{
	const struct tpl *next;
	enum mc_err err;
	size_t i;
	int k;

	chain[depth] = cur;
	for (i = 0; i < cur->n; i++) {
		const struct node *n = &cur->nodes[i];
		if (n->type != N_PARTIAL)
			continue;
		if (!(next = find_tpl(t, n->s, n->len))) {
			if (errs)
				mc_buf_printf(errs, "%s.html:%d: unknown partial {{>%.*s}}\n",
					      cur->name, n->line, (int)n->len, n->s);
			return MC_ERR_TEMPLATE;
		}
		for (k = 0; k <= depth; k++)
			if (chain[k] == next)
				break;
		if (k <= depth || depth + 1 > TPL_MAX_PARTIAL) {
			if (errs)
				mc_buf_printf(
				    errs, "%s.html:%d: {{>%s}} recurses or nests deeper than %d\n",
				    cur->name, n->line, next->name, TPL_MAX_PARTIAL);
			return MC_ERR_TEMPLATE;
		}
		if ((err = check_partials(t, next, chain, depth + 1, errs)) != MC_OK)
			return err;
	}
	return MC_OK;
}

static bool is_html_name(const char *f)
{
	size_t len = strlen(f);

	return len > 5 && strcmp(f + len - 5, ".html") == 0 && f[0] != '.';
}

enum mc_err mc_template_load(const char *dir, struct mc_template **out, struct mc_buf *errs)
{
	const struct tpl *chain[TPL_MAX_PARTIAL + 1];
	struct mc_template *t = NULL;
	struct dirent *e;
	enum mc_err err;
	DIR *dp = NULL;
	size_t i, files = 0;

	*out = NULL;
	if ((err = mc_template_create(&t)) != MC_OK)
		goto fail;
	if (!(dp = opendir(dir))) {
		if (errs)
			mc_buf_printf(errs, "%s: cannot open template directory\n", dir);
		err = MC_ERR_IO;
		goto fail;
	}
	while ((e = readdir(dp)) != NULL) {
		if (!is_html_name(e->d_name))
			continue;
		err = MC_ERR_TEMPLATE;
		if (++files > TPL_MAX_FILES)
			goto fail;
		if ((err = load_one(t, dir, e->d_name, errs)) != MC_OK)
			goto fail;
	}
	for (i = 0; i < t->n; i++)
		if ((err = check_partials(t, &t->v[i], chain, 0, errs)) != MC_OK)
			goto fail;
	closedir(dp);
	*out = t;
	return MC_OK;
fail:
	if (dp)
		closedir(dp);
	mc_template_destroy(t);
	return err;
}

/* ---- rendering --------------------------------------------------------------------- */

struct frame {
	const struct mc_tobj *obj;
	const struct frame *up;
};

struct render {
	const struct mc_template *set;
	struct mc_buf *out;
};

/* The first segment of a dotted name is looked up outward; later ones inside objects. */
static const struct pair *lookup(const struct frame *f, const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len);
	size_t seg = dot ? (size_t)(dot - name) : len;
	const struct pair *p = NULL;

	for (; f && !p; f = f->up)
		p = find_pair(f->obj, name, seg);
	while (p && dot) {
		name = dot + 1;
		len -= seg + 1;
		dot = memchr(name, '.', len);
		seg = dot ? (size_t)(dot - name) : len;
		p = p->type == V_OBJ ? find_pair(p->u.obj, name, seg) : NULL;
	}
	return p;
}

static bool truthy(const struct pair *p)
{
	if (!p)
		return false;
	switch (p->type) {
	case V_STR:
		return p->u.str.len > 0;
	case V_BOOL:
		return p->u.b;
	case V_OBJ:
		return true;
	case V_LIST:
		return p->u.list.first != NULL;
	}
	return false;
}

static enum mc_err render_range(const struct render *rs, const struct tpl *t, size_t from,
				size_t to, const struct frame *f, int pdepth);

static enum mc_err render_section(const struct render *rs, const struct tpl *t, size_t i,
				  const struct frame *f, int pdepth)
{
	const struct node *n = &t->nodes[i];
	const struct pair *p = lookup(f, n->s, n->len);
	const struct mc_tobj *item;
	struct frame inner;
	enum mc_err err;

	if (n->type == N_INVERTED)
		return truthy(p) ? MC_OK : render_range(rs, t, i + 1, n->end, f, pdepth);
	if (!truthy(p))
		return MC_OK;
	if (p->type == V_OBJ) {
		inner = (struct frame){p->u.obj, f};
		return render_range(rs, t, i + 1, n->end, &inner, pdepth);
	}
	if (p->type != V_LIST)
		return render_range(rs, t, i + 1, n->end, f, pdepth);
	for (item = p->u.list.first; item; item = item->next) {
		inner = (struct frame){item, f};
		if ((err = render_range(rs, t, i + 1, n->end, &inner, pdepth)) != MC_OK)
			return err;
	}
	return MC_OK;
}

static enum mc_err render_range(const struct render *rs, const struct tpl *t, size_t from,
				size_t to, const struct frame *f, int pdepth)
{
	const struct tpl *part;
	const struct pair *p;
	enum mc_err err = MC_OK;
	size_t i;

	for (i = from; i < to && err == MC_OK; i++) {
		const struct node *n = &t->nodes[i];
		switch (n->type) {
		case N_TEXT:
			err = mc_buf_add(rs->out, n->s, n->len);
			break;
		case N_VAR:
			p = lookup(f, n->s, n->len);
			if (p && p->type == V_STR)
				err = mc_html_escape(rs->out, p->u.str.s, p->u.str.len);
			break;
		case N_SECTION:
		case N_INVERTED:
			err = render_section(rs, t, i, f, pdepth);
			i = n->end - 1;
			break;
		case N_PARTIAL:
			part = find_tpl(rs->set, n->s, n->len);
			if (!part || pdepth + 1 > TPL_MAX_PARTIAL)
				return MC_ERR_TEMPLATE;
			err = render_range(rs, part, 0, part->n, f, pdepth + 1);
			break;
		}
	}
	return err;
}

enum mc_err mc_template_render(const struct mc_template *t, const char *name,
			       const struct mc_tobj *root, struct mc_buf *out)
{
	const struct tpl *tp = find_tpl(t, name, strlen(name));
	struct render rs = {t, out};
	struct frame f = {root, NULL};

	if (!tp)
		return MC_ERR_TEMPLATE;
	return render_range(&rs, tp, 0, tp->n, &f, 0);
}
