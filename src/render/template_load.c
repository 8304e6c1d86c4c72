/* Loading a directory of templates: every *.html file, bounded in size and number, then
 * every partial reference checked (known, no cycle, not too deep) before the set is used. */

#include "motcham/render/template.h"

#include "private.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define TPL_MAX_FILES 256

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
	err = template_add_labeled(t, name.data, text.data ? text.data : "", text.len, path.data,
				   errs);
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
		if (!(next = template_find(t, n->s, n->len))) {
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
