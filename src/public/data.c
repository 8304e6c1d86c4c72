/* Record fields turned into template values: dates, numbers, lines and paragraphs, phone
 * links, web addresses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/domain/check.h"
#include "private.h"

enum mc_err set_all(struct mc_tobj *o, const struct kv *v, size_t n)
{
	enum mc_err err;
	size_t i;

	for (i = 0; i < n; i++)
		if ((err = mc_tobj_str(o, v[i].key, v[i].val)) != MC_OK)
			return err;
	return MC_OK;
}

/* Decimal comma, at most two decimals, no trailing zeros: 85.50 -> "85,5". */
enum mc_err set_number(struct mc_tobj *o, const char *key, double v)
{
	char tmp[48], *dot;
	size_t len;

	if (!(v > 0) || v > 1e9)
		return mc_tobj_str(o, key, NULL);
	snprintf(tmp, sizeof(tmp), "%.2f", v);
	len = strlen(tmp);
	while (tmp[len - 1] == '0')
		tmp[--len] = '\0';
	if (tmp[len - 1] == '.')
		tmp[--len] = '\0';
	if ((dot = strchr(tmp, '.')) != NULL)
		*dot = ',';
	return mc_tobj_str(o, key, tmp);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Yields the lines of text one at a time, trimmed of blanks. */
bool next_line(const char **cur, const char **line, size_t *len)
{
	const char *p = *cur, *end;

	if (!p || !*p)
		return false;
	end = strchr(p, '\n');
	if (!end)
		end = p + strlen(p);
	*cur = *end ? end + 1 : end;
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	*line = p;
	*len = (size_t)(end - p);
	return true;
}

/* Drops a typed step number ("1.", "2)") since the page's <ol> numbers the steps. */
static void strip_number(const char **line, size_t *len)
{
	size_t i = 0;

	while (i < *len && i < 3 && (*line)[i] >= '0' && (*line)[i] <= '9')
		i++;
	if (i == 0 || i + 1 >= *len || ((*line)[i] != '.' && (*line)[i] != ')') ||
	    (*line)[i + 1] != ' ')
		return;
	*line += i + 2;
	*len -= i + 2;
}

/* o.key = {items: [{text}...]} with one item per non-empty line, or false. */
enum mc_err set_lines(struct mc_tobj *o, const char *key, const char *text, bool numbered)
{
	struct mc_tobj *list = NULL, *it;
	const char *line;
	enum mc_err err;
	size_t len;

	while (next_line(&text, &line, &len)) {
		if (numbered)
			strip_number(&line, &len);
		if (len == 0)
			continue;
		if (!list && !(list = mc_tobj_obj(o, key)))
			return MC_ERR_NOMEM;
		if (!(it = mc_tobj_push(list, "items")))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_strn(it, "text", line, len)) != MC_OK)
			return err;
	}
	return list ? MC_OK : mc_tobj_bool(o, key, false);
}

/* o.key = [{lines: [{text}...]}...]: paragraphs split on blank lines, or false. */
enum mc_err set_paragraphs(struct mc_tobj *o, const char *key, const char *text)
{
	struct mc_tobj *para = NULL, *it;
	const char *line;
	enum mc_err err;
	bool any = false;
	size_t len;

	while (next_line(&text, &line, &len)) {
		if (len == 0) {
			para = NULL;
			continue;
		}
		if (!para && !(para = mc_tobj_push(o, key)))
			return MC_ERR_NOMEM;
		if (!(it = mc_tobj_push(para, "lines")))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_strn(it, "text", line, len)) != MC_OK)
			return err;
		any = true;
	}
	return any ? MC_OK : mc_tobj_bool(o, key, false);
}

/* A tel: link needs only the digits (and a leading +). */
enum mc_err set_tel(struct mc_tobj *o, const char *phone)
{
	char tel[32];
	size_t n = 0;

	for (; phone && *phone && n + 1 < sizeof(tel); phone++)
		if ((*phone >= '0' && *phone <= '9') || (*phone == '+' && n == 0))
			tel[n++] = *phone;
	tel[n] = '\0';
	return mc_tobj_str(o, "tel", n >= 3 ? tel : NULL);
}

/* Only plain web links may become an href: escaping does not stop "javascript:". */
/* Only addresses the rule accepts become links (see domain/check.h): an imported
 * "HTTPS://..." and one typed in a form alike. */
const char *web_url(const char *u)
{
	return mc_check_web_address(u) ? u : NULL;
}
