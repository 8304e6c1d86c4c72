/* The log as the database holds it: the stored tree as a source of hashes, the published
 * checkpoint (the log's note and the cosignatures sent for it) and per-entry tlog-proofs. */
#include <sodium.h>
#include <string.h>

#include "motcham/log/log.h"
#include "motcham/store/log.h"
#include "motcham/store/store.h"

static enum mc_err stored_node(void *ctx, int level, int64_t index, unsigned char *out)
{
	return mc_store_log_node(ctx, level, index, out);
}

static enum mc_err stored_nodes(void *ctx, const struct mc_tree_ref *refs, size_t n, mc_hash *out)
{
	struct mc_store_log_ref r[MC_TREE_BATCH];

	if (n > MC_TREE_BATCH)
		return MC_ERR_INVALID;
	for (size_t i = 0; i < n; i++)
		r[i] = (struct mc_store_log_ref){.level = refs[i].level, .index = refs[i].index};
	return mc_store_log_node_batch(ctx, r, n, (unsigned char *)out);
}

struct mc_tree mc_log_stored_tree(struct mc_store *s)
{
	return (struct mc_tree){.node = stored_node, .ctx = s, .nodes = stored_nodes};
}

struct published {
	struct mc_buf *note;
	int64_t size;
};

static enum mc_err add_cosignature(void *ctx, const struct mc_store_cosignature *c)
{
	return mc_buf_puts(ctx, c->line);
}

static enum mc_err got_checkpoint(void *ctx, const struct mc_store_checkpoint *c)
{
	struct published *p = ctx;

	p->size = c->size;
	return mc_buf_puts(p->note, c->note);
}

enum mc_err mc_log_published(struct mc_store *s, int64_t size, struct mc_buf *note,
			     int64_t *out_size)
{
	struct published p = {.note = note};
	enum mc_err err;

	if ((err = mc_store_log_checkpoint(s, size, got_checkpoint, &p)) != MC_OK)
		return err;
	if (out_size)
		*out_size = p.size;
	return mc_store_log_cosignature_each(s, p.size, add_cosignature, note);
}

static enum mc_err put_b64(struct mc_buf *out, const void *data, size_t n)
{
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	enum mc_err err;

	if ((err = mc_buf_reserve(out, len)) != MC_OK)
		return err;
	sodium_bin2base64(out->data + out->len, len, data, n, sodium_base64_VARIANT_ORIGINAL);
	out->len += len - 1;
	return MC_OK;
}

struct entry {
	struct mc_buf *canon;
	bool found;
};

/* Takes the first entry of the walk and stops it (MC_ERR_EXISTS: found, not an error). */
static enum mc_err first_entry(void *ctx, const struct mc_audit *a)
{
	struct entry *e = ctx;
	enum mc_err err = mc_store_audit_canonical(a, e->canon);

	e->found = err == MC_OK;
	return err == MC_OK ? MC_ERR_EXISTS : err;
}

enum mc_err mc_log_entry_proof(struct mc_store *s, int64_t id, struct mc_buf *out)
{
	struct mc_tree t = mc_log_stored_tree(s);
	mc_hash proof[MC_PROOF_MAX];
	struct mc_buf note, canon;
	struct entry e = {.canon = &canon};
	int64_t size = 0;
	size_t n = 0;
	enum mc_err err;

	if (id < 1)
		return MC_ERR_NOTFOUND;
	mc_buf_init(&note);
	mc_buf_init(&canon);
	err = mc_store_audit_each(s, id - 1, NULL, 0, first_entry, &e);
	if (err == MC_ERR_EXISTS || err == MC_OK)
		err = e.found ? MC_OK : MC_ERR_NOTFOUND;
	if (err == MC_OK && (err = mc_log_published(s, -1, &note, &size)) == MC_ERR_NOTFOUND)
		err = MC_ERR_BUSY;
	if (err == MC_OK && size < id)
		err = MC_ERR_BUSY;
	if (err == MC_OK)
		err = mc_tree_inclusion(&t, id - 1, size, proof, &n);
	if (err == MC_OK && (err = mc_buf_puts(out, "c2sp.org/tlog-proof@v1\nextra ")) == MC_OK &&
	    (err = put_b64(out, canon.data, canon.len)) == MC_OK)
		err = mc_buf_printf(out, "\nindex %lld\n", (long long)(id - 1));
	for (size_t i = 0; err == MC_OK && i < n; i++)
		if ((err = put_b64(out, proof[i], MC_MERKLE_HASH)) == MC_OK)
			err = mc_buf_putc(out, '\n');
	if (err == MC_OK && (err = mc_buf_putc(out, '\n')) == MC_OK)
		err = mc_buf_add(out, note.data, note.len);
	mc_buf_finish(&note);
	mc_buf_finish(&canon);
	return err;
}
