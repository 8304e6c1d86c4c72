/* Rendering: walking a template's nodes against the data tree. Values are looked up
 * outward through the enclosing sections, and a value is only ever written through
 * mc_html_escape. The set is read-only here, so many threads may render at once. */

#include "motcham/render/template.h"

#include "private.h"

#include <stdbool.h>
#include <string.h>

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
		p = tdata_find(f->obj, name, seg);
	while (p && dot) {
		name = dot + 1;
		len -= seg + 1;
		dot = memchr(name, '.', len);
		seg = dot ? (size_t)(dot - name) : len;
		p = p->type == V_OBJ ? tdata_find(p->u.obj, name, seg) : NULL;
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
			part = template_find(rs->set, n->s, n->len);
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
	const struct tpl *tp = template_find(t, name, strlen(name));
	struct render rs = {t, out};
	struct frame f = {root, NULL};

	if (!tp)
		return MC_ERR_TEMPLATE;
	return render_range(&rs, tp, 0, tp->n, &f, 0);
}
