#ifndef MOTCHAM_RENDER_PRIVATE_H
#define MOTCHAM_RENDER_PRIVATE_H

/* The template layer's internals, shared by its files and by nothing else: template.c parses
 * a template into nodes, template_load.c loads a directory of them, tdata.c holds the data
 * tree pages build, template_render.c walks nodes and data together and writes every value
 * through escape.c's mc_html_escape. There is no node that writes a value raw. */

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"
#include "motcham/render/template.h"

/* Bounds that more than one file checks. */
#define TPL_MAX_BYTES (256 * 1024)
#define TPL_MAX_PARTIAL 8

/* template.c: parsing, and the set of parsed templates. */

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

/* The template called name[0..len), NULL when there is none. */
const struct tpl *template_find(const struct mc_template *t, const char *name, size_t len);
/* Parses text as template name, messages naming label, and adds it to t (replacing one of
 * the same name). A failed parse leaves t as it was. */
enum mc_err template_add_labeled(struct mc_template *t, const char *name, const char *text,
				 size_t len, const char *label, struct mc_buf *errs);

/* tdata.c: the data tree. */

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

/* The pair of o whose key is key[0..len), NULL when there is none. */
const struct pair *tdata_find(const struct mc_tobj *o, const char *key, size_t len);

#endif
