/* What the print pages share: one print job (its data tree and what the store said), the
 * text helpers that keep a page on one sheet, the ward and its code, and the step that
 * renders a page or says that the record has no code yet. */

#include "motcham/print/print.h"

#include "motcham/domain/check.h"
#include "private.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/base/utf8.h"
#include "motcham/public/pages.h"
#include "motcham/store/store.h"
#include "motcham/render/template.h"

#define CAPTION_CHARS 18

enum mc_err print_job_init(struct print_job *j, struct mc_pages *p, struct mc_store *s)
{
	memset(j, 0, sizeof(*j));
	j->p = p;
	j->s = s;
	if (!(j->d = mc_tdata_create()))
		return MC_ERR_NOMEM;
	j->root = mc_tdata_root(j->d);
	return MC_OK;
}

/* A failed job leaves no half-made body behind: the caller decides what to answer. */
enum mc_err print_job_finish(struct print_job *j, enum mc_err err, struct mc_response *r)
{
	mc_tdata_destroy(j->d);
	j->d = NULL;
	if (err != MC_OK)
		mc_buf_reset(&r->body);
	return err;
}

/* ---- text helpers -------------------------------------------------------------------- */

enum mc_err print_cut(struct mc_tobj *o, const char *key, const char *s, size_t max)
{
	size_t len;

	if (!s || !*s)
		return mc_tobj_str(o, key, NULL);
	len = mc_utf8_cut(s, strlen(s), max);
	if (s[len] == '\0')
		return mc_tobj_str(o, key, s);
	return mc_tobj_strf(o, key, "%.*s…", (int)len, s);
}

/* Groups are easier to read out and type; /q/ ignores '-'. */
void print_group_token(const char *t, char out[MC_TOKEN_LEN + 3])
{
	snprintf(out, MC_TOKEN_LEN + 3, "%.4s-%.4s-%.1s", t, t + 4, t + 8);
}

static const struct {
	const char *word;
	const char *abbr;
} abbrs[] = {
    {"Phường ", "P."},	  {"Quận ", "Q."},    {"Xã ", "X."},	     {"Huyện ", "H."},
    {"Thị trấn ", "TT."}, {"Thị xã ", "TX."}, {"Thành phố ", "TP."}, {"Tỉnh ", "T."},
};

/* Appends the administrative word at s shortened ("Phường 7" -> "P.7", "Phường Bến Nghé" ->
 * "P. Bến Nghé") and says how many bytes of s it stood for. */
static enum mc_err add_abbr(struct mc_buf *b, const char *s, size_t *used)
{
	size_t i, n;

	for (i = 0; i < sizeof(abbrs) / sizeof(abbrs[0]); i++) {
		n = strlen(abbrs[i].word);
		if (strncmp(s, abbrs[i].word, n) != 0)
			continue;
		*used = n;
		if (s[n] >= '0' && s[n] <= '9')
			return mc_buf_puts(b, abbrs[i].abbr);
		return mc_buf_printf(b, "%s ", abbrs[i].abbr);
	}
	*used = 0;
	return MC_OK;
}

/* A keychain caption has room for about CAPTION_CHARS characters. */
static void short_name(const char *name, char *out, size_t cap)
{
	struct mc_buf b;
	size_t used, i, chars = 0, keep = 0;
	bool word_start = true;
	enum mc_err err = MC_OK;

	mc_buf_init(&b);
	for (; name && *name && err == MC_OK; name++) {
		if (word_start && (err = add_abbr(&b, name, &used)) == MC_OK && used > 0) {
			name += used - 1;
			word_start = false;
			continue;
		}
		word_start = *name == ' ' || *name == ',';
		err = mc_buf_putc(&b, *name);
	}
	for (i = 0; i < b.len; i++) {
		if (((unsigned char)b.data[i] & 0xC0) == 0x80)
			continue;
		if (chars == CAPTION_CHARS - 1)
			keep = i;
		chars++;
	}
	if (chars > CAPTION_CHARS)
		snprintf(out, cap, "%.*s…", (int)keep, b.data);
	else
		snprintf(out, cap, "%s", b.data ? b.data : "");
	mc_buf_finish(&b);
}

/* ---- records ------------------------------------------------------------------------- */

static enum mc_err ward_cb(void *ctx, const struct mc_ward *w)
{
	struct print_job *j = ctx;
	struct mc_tobj *o = mc_tobj_obj(j->root, "ward");
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	j->ward_id = w->id;
	snprintf(j->slug, sizeof(j->slug), "%s", mc_check_slug(w->slug) ? w->slug : "ward");
	short_name(w->name, j->short_name, sizeof(j->short_name));
	if ((err = mc_tobj_str(o, "name", w->name)) != MC_OK ||
	    (err = mc_tobj_str(o, "slug", j->slug)) != MC_OK)
		return err;
	return mc_tobj_str(o, "short", j->short_name);
}

enum mc_err print_ward(struct print_job *j, int64_t ward_id)
{
	return mc_store_ward_by_id(j->s, ward_id, ward_cb, j);
}

static enum mc_err code_cb(void *ctx, const struct mc_code *c)
{
	struct print_job *j = ctx;

	snprintf(j->token, sizeof(j->token), "%s", c->token);
	return MC_OK;
}

/* The newest of the ward's active codes is the one on the keychains now handed out. */
static enum mc_err ward_code_cb(void *ctx, const struct mc_code *c)
{
	struct print_job *j = ctx;

	if (c->target_id == j->ward_id && c->id > j->code_id) {
		j->code_id = c->id;
		snprintf(j->token, sizeof(j->token), "%s", c->token);
	}
	return MC_OK;
}

enum mc_err print_find_code(struct print_job *j, const char *kind, int64_t id)
{
	enum mc_err err;

	j->token[0] = '\0';
	if (strcmp(kind, MC_KIND_WARD) == 0)
		return mc_store_code_each(j->s, MC_KIND_WARD, ward_code_cb, j);
	err = mc_store_code_for_target(j->s, kind, id, code_cb, j);
	return err == MC_ERR_NOTFOUND ? MC_OK : err;
}

static enum mc_err set_qr(struct print_job *j)
{
	struct mc_tobj *o = mc_tobj_obj(j->root, "qr");
	char grouped[MC_TOKEN_LEN + 3];
	enum mc_err err;

	if (!o)
		return MC_ERR_NOMEM;
	print_group_token(j->token, grouped);
	if ((err = mc_tobj_str(o, "token", j->token)) != MC_OK ||
	    (err = mc_tobj_str(o, "grouped", grouped)) != MC_OK)
		return err;
	return mc_tobj_strf(o, "url", "%s/q/%s", mc_pages_base_url(j->p), j->token);
}

/* A record without an active code cannot be printed: say so instead of printing a page
 * that leads nowhere. GET pages do not write, so no code is made here. */
enum mc_err print_render(struct print_job *j, const char *name, struct mc_response *r)
{
	enum mc_err err;

	if (!j->token[0]) {
		if ((err = mc_tobj_str(j->root, "title", "Chưa có mã QR")) != MC_OK)
			return err;
		return mc_pages_render(j->p, "print_missing", j->root, 409, r);
	}
	if ((err = set_qr(j)) != MC_OK)
		return err;
	return mc_pages_render(j->p, name, j->root, 200, r);
}
