/* Parsing a template into a flat list of nodes (text, value, section, inverted section,
 * partial), and the set of parsed templates. The parser refuses every form of raw output
 * ({{{x}}}, {{&x}}) and delimiter changes: a value can only ever be written escaped. */

#include "motcham/render/template.h"

#include "private.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define TPL_MAX_NEST 32
#define TPL_MAX_NAME 64

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

const struct tpl *template_find(const struct mc_template *t, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strncmp(t->v[i].name, name, len) == 0 && t->v[i].name[len] == '\0')
			return &t->v[i];
	return NULL;
}

/* Parses into a fresh struct tpl, then swaps it in, so a failed parse leaves the set as it
 * was. */
enum mc_err template_add_labeled(struct mc_template *t, const char *name, const char *text,
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
	if ((old = (struct tpl *)template_find(t, name, strlen(name))) != NULL) {
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
	return template_add_labeled(t, name, text, len, name, errs);
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
