/* The public log's URLs: the checkpoint, the tiles and the witnesses' cosignatures. All
 * plain text or bytes, no page templates: their readers are programs. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "motcham/log/checkpoint.h"
#include "motcham/log/log.h"
#include "motcham/log/note.h"
#include "motcham/log/tile.h"
#include "motcham/public/pages.h"
#include "motcham/store/log.h"
#include "motcham/web/call.h"
#include "motcham/web/form.h"
#include "motcham/web/request.h"

#define TEXT "text/plain; charset=utf-8"
/* tlog-tiles: the checkpoint changes, so a few seconds at most; a full tile never does; a
 * partial tile neither, but it is superseded by the full one and may go away. */
#define CHECKPOINT_CACHE "public, max-age=2"
#define TILE_CACHE "public, max-age=31536000, immutable"
#define PARTIAL_TILE_CACHE "public, max-age=60"
#define TILE_PREFIX "/log/tile/"

static enum mc_err answer(struct mc_response *r, int status, const char *msg)
{
	r->status = status;
	r->content_type = TEXT;
	mc_buf_reset(&r->body);
	return mc_buf_printf(&r->body, "%s\n", msg);
}

enum mc_err mc_pages_log_checkpoint(struct mc_call *c)
{
	enum mc_err err = mc_log_published(c->s, -1, &c->r->body, NULL);

	if (err == MC_ERR_NOTFOUND)
		return answer(c->r, 404, "no checkpoint has been signed yet");
	if (err != MC_OK)
		return err;
	c->r->status = 200;
	c->r->content_type = TEXT;
	c->r->cache = CHECKPOINT_CACHE;
	return MC_OK;
}

enum mc_err mc_pages_log_tile(struct mc_call *c)
{
	const char *path = c->rq->path;
	struct mc_tile t;
	size_t bytes;
	int got = 0;
	enum mc_err err;

	/* The router matched the prefix in any letter case; the rest is the tile's own. */
	if (strncasecmp(path, TILE_PREFIX, strlen(TILE_PREFIX)) ||
	    mc_tile_parse(path + strlen(TILE_PREFIX), &t) != MC_OK)
		return answer(c->r, 404, "not a tile (entry bundles are not published)");
	bytes = (size_t)t.width * MC_MERKLE_HASH;
	if ((err = mc_buf_reserve(&c->r->body, bytes)) != MC_OK)
		return err;
	err = mc_store_log_nodes(c->s, t.level * MC_TILE_HEIGHT, t.index * MC_TILE_WIDTH, t.width,
				 (unsigned char *)c->r->body.data, &got);
	if (err != MC_OK)
		return err;
	if (got != t.width)
		return answer(c->r, 404, "the tree has no such tile");
	c->r->body.len = bytes;
	c->r->status = 200;
	c->r->content_type = "application/octet-stream";
	c->r->cache = t.width == MC_TILE_WIDTH ? TILE_CACHE : PARTIAL_TILE_CACHE;
	return MC_OK;
}

struct stored {
	struct mc_buf note;
	bool found;
};

static enum mc_err got_note(void *ctx, const struct mc_store_checkpoint *cp)
{
	struct stored *st = ctx;

	st->found = true;
	return mc_buf_puts(&st->note, cp->note);
}

/* Keeps every line of n that a known witness's key verifies; *kept counts them. */
static enum mc_err keep_lines(struct mc_call *c, const struct mc_note *n, int64_t size, int *kept)
{
	const struct mc_note_keyring *ring = c->site->witnesses;
	enum mc_err err = MC_OK;

	*kept = 0;
	for (size_t i = 0; err == MC_OK && i < mc_note_keyring_count(ring); i++) {
		const struct mc_note_verifier *v = mc_note_keyring_key(ring, i);
		struct mc_store_cosignature cs = {.size = size};
		char name[MC_NOTE_NAME_MAX + 1], id[9], line[1024];
		uint64_t t = 0;
		size_t which = 0;

		if (mc_note_verifier_type(v) != MC_NOTE_COSIG ||
		    mc_note_verify(n, v, &which) != MC_OK ||
		    mc_note_sig_time(&n->sig[which], &t) != MC_OK ||
		    n->sig[which].line_len >= sizeof(line))
			continue;
		snprintf(name, sizeof(name), "%s", mc_note_verifier_name(v));
		snprintf(id, sizeof(id), "%08x", mc_note_verifier_id(v));
		memcpy(line, n->sig[which].line, n->sig[which].line_len);
		line[n->sig[which].line_len] = '\0';
		cs.name = name;
		cs.key_id = id;
		cs.cosigned_at = (int64_t)t;
		cs.line = line;
		if ((err = mc_store_log_cosignature_put(c->s, &cs)) == MC_OK)
			(*kept)++;
	}
	return err;
}

enum mc_err mc_pages_log_add_cosignature(struct mc_call *c)
{
	const char *posted = c->rq->form ? mc_form_get(c->rq->form, "checkpoint") : NULL;
	struct stored st = {.found = false};
	struct mc_checkpoint cp;
	struct mc_note n;
	char msg[64];
	int kept = 0;
	enum mc_err err;

	if (!posted || mc_note_parse(posted, strlen(posted), &n) != MC_OK ||
	    mc_checkpoint_parse(n.text, n.text_len, &cp) != MC_OK)
		return answer(c->r, 400, "the field \"checkpoint\" is not a cosigned checkpoint");
	mc_buf_init(&st.note);
	err = mc_store_log_checkpoint(c->s, cp.size, got_note, &st);
	if (err == MC_ERR_NOTFOUND)
		err = answer(c->r, 404, "this log signed no checkpoint of that size");
	else if (err == MC_OK &&
		 (st.note.len <= n.text_len || memcmp(st.note.data, n.text, n.text_len) ||
		  st.note.data[n.text_len] != '\n'))
		err = answer(c->r, 409, "this log signed another checkpoint at that size");
	else if (err == MC_OK && (err = keep_lines(c, &n, cp.size, &kept)) == MC_OK) {
		snprintf(msg, sizeof(msg), "ok %d", kept);
		err = kept ? answer(c->r, 200, msg)
			   : answer(c->r, 403, "no cosignature by a witness this log knows");
	}
	mc_buf_finish(&st.note);
	return err;
}
