/* The public log's pure parts: Merkle roots and proofs against a naive tree, signed notes
 * against the reference vectors, checkpoints and tile paths as the C2SP specs write them,
 * and the tree the store keeps against its own entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "motcham/log/checkpoint.h"
#include "motcham/log/log.h"
#include "motcham/log/note.h"
#include "motcham/log/tile.h"
#include "motcham/log/tree.h"
#include "motcham/store/log.h"
#include "motcham/store/store.h"

#define MAXN 70000

/* Every complete node of a tree of up to MAXN leaves, computed the obvious way. */
struct mem {
	unsigned char (*level[18])[MC_MERKLE_HASH];
	int64_t count[18];
};

static struct mem *mem_build(int64_t n)
{
	struct mem *m = calloc(1, sizeof(*m));
	char leaf[32];

	m->level[0] = malloc((size_t)n * MC_MERKLE_HASH);
	for (int64_t i = 0; i < n; i++) {
		int len = snprintf(leaf, sizeof(leaf), "leaf %lld", (long long)i);

		mc_merkle_leaf(leaf, (size_t)len, m->level[0][i]);
	}
	m->count[0] = n;
	for (int l = 1; l < 18 && m->count[l - 1] >= 2; l++) {
		m->count[l] = m->count[l - 1] / 2;
		m->level[l] = malloc((size_t)m->count[l] * MC_MERKLE_HASH);
		for (int64_t i = 0; i < m->count[l]; i++)
			mc_merkle_node(m->level[l - 1][2 * i], m->level[l - 1][2 * i + 1],
				       m->level[l][i]);
	}
	return m;
}

static void mem_free(struct mem *m)
{
	for (int l = 0; l < 18; l++)
		free(m->level[l]);
	free(m);
}

static enum mc_err mem_node(void *ctx, int level, int64_t index, unsigned char *out)
{
	struct mem *m = ctx;

	if (level >= 18 || index >= m->count[level])
		return MC_ERR_NOTFOUND;
	memcpy(out, m->level[level][index], MC_MERKLE_HASH);
	return MC_OK;
}

/* RFC 6962's MTH straight from its definition. */
static void naive(struct mem *m, int64_t lo, int64_t hi, unsigned char *out)
{
	unsigned char l[MC_MERKLE_HASH], r[MC_MERKLE_HASH];
	int64_t k = 1;

	if (hi - lo == 1) {
		memcpy(out, m->level[0][lo], MC_MERKLE_HASH);
		return;
	}
	while (k * 2 < hi - lo)
		k *= 2;
	naive(m, lo, lo + k, l);
	naive(m, lo + k, hi, r);
	mc_merkle_node(l, r, out);
}

static void test_roots(void **state)
{
	struct mem *m = mem_build(300);
	struct mc_tree t = {.node = mem_node, .ctx = m};
	struct mc_tree_builder b = {.size = 0};
	unsigned char got[MC_MERKLE_HASH], want[MC_MERKLE_HASH], built[MC_MERKLE_HASH];

	(void)state;
	mc_merkle_empty(want);
	assert_int_equal(mc_tree_root(&t, 0, got), MC_OK);
	assert_memory_equal(got, want, MC_MERKLE_HASH);
	for (int64_t n = 1; n <= 300; n++) {
		mc_tree_builder_add(&b, m->level[0][n - 1]);
		naive(m, 0, n, want);
		assert_int_equal(mc_tree_root(&t, n, got), MC_OK);
		assert_memory_equal(got, want, MC_MERKLE_HASH);
		mc_tree_builder_root(&b, built);
		assert_memory_equal(built, want, MC_MERKLE_HASH);
	}
	mem_free(m);
}

/* A source that answers many nodes at once (as the database server's does), counting how
 * often each way is asked. */
struct batched {
	struct mem *m;
	int singles, batches;
	enum mc_err fail; /* what nodes() answers, when not MC_OK */
};

static enum mc_err batched_node(void *ctx, int level, int64_t index, unsigned char *out)
{
	struct batched *b = ctx;

	b->singles++;
	return mem_node(b->m, level, index, out);
}

static enum mc_err batched_nodes(void *ctx, const struct mc_tree_ref *refs, size_t n, mc_hash *out)
{
	struct batched *b = ctx;
	enum mc_err err = b->fail;

	b->batches++;
	assert_true(n >= 1 && n <= MC_TREE_BATCH);
	for (size_t i = 0; err == MC_OK && i < n; i++)
		err = mem_node(b->m, refs[i].level, refs[i].index, out[i]);
	return err;
}

/* Roots and proofs from a batched source are those of a node-by-node one, each in one
 * nodes() call and no node() call; what nodes() fails with is what they fail with. */
static void test_batched_source(void **state)
{
	struct batched b = {.m = mem_build(80)};
	struct mc_tree one = {.node = mem_node, .ctx = b.m};
	struct mc_tree many = {.node = batched_node, .ctx = &b, .nodes = batched_nodes};
	mc_hash p1[MC_PROOF_MAX], p2[MC_PROOF_MAX];
	unsigned char r1[MC_MERKLE_HASH], r2[MC_MERKLE_HASH];
	size_t n1, n2;
	int calls = 0;

	(void)state;
	for (int64_t n = 0; n <= 80; n++) {
		assert_int_equal(mc_tree_root(&one, n, r1), MC_OK);
		assert_int_equal(mc_tree_root(&many, n, r2), MC_OK);
		assert_memory_equal(r1, r2, MC_MERKLE_HASH);
		calls += n > 0;
		for (int64_t i = 0; i < n; i++) {
			assert_int_equal(mc_tree_inclusion(&one, i, n, p1, &n1), MC_OK);
			assert_int_equal(mc_tree_inclusion(&many, i, n, p2, &n2), MC_OK);
			assert_int_equal(n1, n2);
			assert_memory_equal(p1, p2, n1 * MC_MERKLE_HASH);
			calls += n > 1;
		}
		for (int64_t k = 0; k <= n; k++) {
			assert_int_equal(mc_tree_consistency(&one, k, n, p1, &n1), MC_OK);
			assert_int_equal(mc_tree_consistency(&many, k, n, p2, &n2), MC_OK);
			assert_int_equal(n1, n2);
			assert_memory_equal(p1, p2, n1 * MC_MERKLE_HASH);
			calls += k > 0 && k < n;
		}
	}
	assert_int_equal(b.singles, 0);
	assert_int_equal(b.batches, calls);
	assert_int_equal(mc_tree_inclusion(&many, 80, 80, p2, &n2), MC_ERR_INVALID);
	assert_int_equal(mc_tree_root(&many, 81, r2), MC_ERR_NOTFOUND);
	b.fail = MC_ERR_DB;
	assert_int_equal(mc_tree_inclusion(&many, 3, 80, p2, &n2), MC_ERR_DB);
	assert_int_equal(mc_tree_consistency(&many, 7, 80, p2, &n2), MC_ERR_DB);
	assert_int_equal(b.singles, 0);
	mem_free(b.m);
}

/* RFC 6962's test leaves (the certificate-transparency reference's): the root of all 8. */
static void test_rfc6962_vector(void **state)
{
	static const char *const leaves[] = {"",
					     "00",
					     "10",
					     "2021",
					     "3031",
					     "40414243",
					     "5051525354555657",
					     "606162636465666768696a6b6c6d6e6f"};
	struct mc_tree_builder b = {.size = 0};
	unsigned char data[16], leaf[MC_MERKLE_HASH], root[MC_MERKLE_HASH];
	char hex[65];
	size_t n;

	(void)state;
	for (int i = 0; i < 8; i++) {
		sodium_hex2bin(data, sizeof(data), leaves[i], strlen(leaves[i]), NULL, &n, NULL);
		mc_merkle_leaf(data, n, leaf);
		mc_tree_builder_add(&b, leaf);
		if (i == 0) {
			mc_tree_builder_root(&b, root);
			sodium_bin2hex(hex, sizeof(hex), root, 32);
			assert_string_equal(
			    hex,
			    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
		}
	}
	mc_tree_builder_root(&b, root);
	sodium_bin2hex(hex, sizeof(hex), root, 32);
	assert_string_equal(hex,
			    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
}

static void test_proofs(void **state)
{
	struct mem *m = mem_build(80);
	struct mc_tree t = {.node = mem_node, .ctx = m};
	mc_hash proof[MC_PROOF_MAX];
	unsigned char root[MC_MERKLE_HASH], old[MC_MERKLE_HASH];
	size_t len;

	(void)state;
	for (int64_t n = 1; n <= 80; n++) {
		naive(m, 0, n, root);
		for (int64_t i = 0; i < n; i++) {
			assert_int_equal(mc_tree_inclusion(&t, i, n, proof, &len), MC_OK);
			assert_true(mc_proof_inclusion_ok(i, n, m->level[0][i], proof, len, root));
			if (n > 1)
				assert_false(mc_proof_inclusion_ok(i, n, m->level[0][i], proof, len,
								   m->level[0][i]));
			if (n > 1)
				assert_false(mc_proof_inclusion_ok((i + 1) % n, n, m->level[0][i],
								   proof, len, root));
			if (len) {
				proof[len / 2][3] ^= 1;
				assert_false(
				    mc_proof_inclusion_ok(i, n, m->level[0][i], proof, len, root));
			}
		}
		assert_int_equal(mc_tree_inclusion(&t, n, n, proof, &len), MC_ERR_INVALID);
		for (int64_t k = 0; k <= n; k++) {
			if (k)
				naive(m, 0, k, old);
			else
				mc_merkle_empty(old);
			assert_int_equal(mc_tree_consistency(&t, k, n, proof, &len), MC_OK);
			assert_true(mc_proof_consistency_ok(k, n, proof, len, old, root));
			if (k && k < n) {
				assert_false(mc_proof_consistency_ok(k, n, proof, len, root, root));
				proof[0][0] ^= 1;
				assert_false(mc_proof_consistency_ok(k, n, proof, len, old, root));
				assert_false(mc_proof_consistency_ok(k, n, proof, 0, old, root));
			}
		}
		assert_int_equal(mc_tree_consistency(&t, n + 1, n, proof, &len), MC_ERR_INVALID);
	}
	mem_free(m);
}

/* golang.org/x/mod/sumdb/note's documented example key and note: Ed25519 is deterministic,
 * so signing the text must give the published signature byte for byte. */
static const char go_skey[] =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
static const char go_vkey[] = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
static const char go_text[] = "If you think cryptography is the answer to your problem,\n"
			      "then you don't know what your problem is.\n";
static const char go_sig[] = "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcEl"
			     "ZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

static void test_note_vector(void **state)
{
	struct mc_note_signer *k;
	struct mc_note_verifier *v;
	struct mc_buf line, vkey, note;
	struct mc_note n;

	(void)state;
	mc_buf_init(&line);
	mc_buf_init(&vkey);
	mc_buf_init(&note);
	assert_int_equal(mc_note_signer_parse(go_skey, &k), MC_OK);
	assert_int_equal(mc_note_signer_vkey(k, &vkey), MC_OK);
	assert_string_equal(vkey.data, go_vkey);
	assert_int_equal(mc_note_sign(k, go_text, strlen(go_text), 0, &line), MC_OK);
	assert_string_equal(line.data, go_sig);
	assert_int_equal(mc_note_verifier_parse(go_vkey, &v), MC_OK);
	assert_int_equal(mc_note_verifier_id(v), 0xc74f20a3u);
	mc_buf_printf(&note, "%s\n%s", go_text, go_sig);
	assert_int_equal(mc_note_parse(note.data, note.len, &n), MC_OK);
	assert_int_equal(n.text_len, strlen(go_text));
	assert_int_equal(mc_note_verify(&n, v, NULL), MC_OK);
	note.data[10] ^= 0x20; /* one letter's case */
	assert_int_equal(mc_note_parse(note.data, note.len, &n), MC_OK);
	assert_int_equal(mc_note_verify(&n, v, NULL), MC_ERR_CHECK);
	/* Mangled keys are refused, as the reference refuses them. */
	assert_int_equal(
	    mc_note_verifier_parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkm"
				   "qq/LDE4izWy10TW",
				   &v == NULL ? NULL : &(struct mc_note_verifier *){0}),
	    MC_ERR_INVALID);
	assert_int_equal(mc_note_signer_parse(go_vkey, &(struct mc_note_signer *){0}),
			 MC_ERR_INVALID);
	mc_note_signer_destroy(k);
	mc_note_verifier_destroy(v);
	mc_buf_finish(&line);
	mc_buf_finish(&vkey);
	mc_buf_finish(&note);
}

/* The examples of c2sp.org/signed-note and c2sp.org/tlog-cosignature, read byte for byte
 * (their keys are not published: what can be checked is their shape). */
static void test_spec_examples(void **state)
{
	static const char poem[] =
	    "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned \xc3\xa8 "
	    "subito sera.\n\n\xe2\x80\x94 quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/"
	    "5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n";
	static const char cosigned[] =
	    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/"
	    "Xajj7h2fB2MPA3j2jxq2I=\n\n"
	    "\xe2\x80\x94 example.com/behind-the-sofa "
	    "Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoR"
	    "De4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\xe2\x80\x94 witness.example.com/w1 "
	    "jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/"
	    "zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+"
	    "mbIUBkBIfZ+qnA==\n";
	struct mc_checkpoint cp;
	struct mc_note n;
	uint64_t t;

	(void)state;
	assert_int_equal(mc_note_parse(poem, strlen(poem), &n), MC_OK);
	/* The text keeps its own blank line: the last one separates the signatures. */
	assert_int_equal(n.text_len, strlen(poem) - strlen(strstr(poem, "\n\n\xe2")) + 1);
	assert_int_equal(n.nsig, 1);
	assert_int_equal(n.sig[0].name_len, strlen("quasimodo.example/salvatore"));
	assert_memory_equal(n.sig[0].name, "quasimodo.example/salvatore", n.sig[0].name_len);
	assert_int_equal(n.sig[0].id, 0x367ba04bu);
	assert_int_equal(mc_note_parse(cosigned, strlen(cosigned), &n), MC_OK);
	assert_int_equal(n.nsig, 2);
	assert_int_equal(mc_checkpoint_parse(n.text, n.text_len, &cp), MC_OK);
	assert_string_equal(cp.origin, "example.com/behind-the-sofa");
	assert_int_equal(cp.size, 20852163);
	assert_int_equal(n.sig[1].id, 0x8d66cf3fu);
	assert_int_equal(mc_note_sig_time(&n.sig[1], &t), MC_OK);
	assert_int_equal(t, 1679315147); /* "time 1679315147" of the spec's signed message */
	assert_int_equal(mc_note_sig_time(&n.sig[0], &t), MC_ERR_INVALID);
}

static void test_note_rules(void **state)
{
	static const char *const bad[] = {
	    "",
	    "text\n",				       /* no signatures */
	    "text\n\n",				       /* no signatures */
	    "text\n\n\xe2\x80\x94 k AAAAAA==\n",       /* 4 bytes: a key id, no signature */
	    "text\n\n\xe2\x80\x94 k AAAA\n",	       /* 3 bytes: no room for a key id */
	    "text\n\n- k AAAAAAAAAAA=\n",	       /* a hyphen, not an em dash */
	    "text\n\n\xe2\x80\x94 k+x AAAAAAAAAAAA\n", /* '+' in a name */
	    "text\n\n\xe2\x80\x94 k AAAAAAAAAAAA",     /* no final newline */
	    "te\txt\n\n\xe2\x80\x94 k AAAAAAAAAAAA\n", /* a control character */
	    "te\xff\n\n\xe2\x80\x94 k AAAAAAAAAAAA\n", /* not UTF-8 */
	    "text\n\n\xe2\x80\x94 k AAAAAAAAAAA*\n",   /* not base64 */
	    "text\n\n\xe2\x80\x94  AAAAAAAAAAAA\n",    /* no name */
	    "text\n\n\xe2\x80\x94 k AAAAAAAAAAAA \n",  /* a trailing space */
	};
	struct mc_note_signer *w;
	struct mc_note_verifier *v, *other;
	struct mc_buf skey, vkey, sk2, vk2, note;
	struct mc_note n;
	uint64_t t = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_not_equal(mc_note_parse(bad[i], strlen(bad[i]), &n), MC_OK);
	assert_true(mc_note_name_ok("example.org/log", 15));
	assert_false(mc_note_name_ok("a b", 3));
	assert_false(mc_note_name_ok("a\xc2\xa0"
				     "b",
				     4)); /* U+00A0 */
	assert_false(mc_note_name_ok("", 0));
	/* A cosignature round trip, with the witness's own key type. */
	mc_buf_init(&skey);
	mc_buf_init(&vkey);
	mc_buf_init(&sk2);
	mc_buf_init(&vk2);
	mc_buf_init(&note);
	assert_int_equal(mc_note_keygen("witness.example/w", MC_NOTE_COSIG, &skey, &vkey), MC_OK);
	assert_int_equal(mc_note_keygen("witness.example/w", MC_NOTE_ED25519, &sk2, &vk2), MC_OK);
	assert_int_equal(mc_note_keygen("bad name", MC_NOTE_COSIG, &sk2, &vk2), MC_ERR_INVALID);
	assert_int_equal(mc_note_signer_parse(skey.data, &w), MC_OK);
	assert_int_equal(mc_note_verifier_parse(vkey.data, &v), MC_OK);
	assert_int_equal(mc_note_verifier_parse(vk2.data, &other), MC_OK);
	mc_buf_puts(&note, "example.org/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n");
	assert_int_equal(mc_note_sign(w, note.data, note.len - 1, 1700000000, &note), MC_OK);
	assert_int_equal(mc_note_parse(note.data, note.len, &n), MC_OK);
	assert_int_equal(mc_note_verify(&n, v, NULL), MC_OK);
	assert_int_equal(mc_note_sig_time(&n.sig[0], &t), MC_OK);
	assert_int_equal(t, 1700000000);
	/* Same name, another key and type: not this key's line, so ignored. */
	assert_int_equal(mc_note_verify(&n, other, NULL), MC_ERR_NOTFOUND);
	assert_int_equal(mc_note_sign(w, "no newline", 10, 0, &note), MC_ERR_INVALID);
	mc_note_signer_destroy(w);
	mc_note_verifier_destroy(v);
	mc_note_verifier_destroy(other);
	mc_buf_finish(&skey);
	mc_buf_finish(&vkey);
	mc_buf_finish(&sk2);
	mc_buf_finish(&vk2);
	mc_buf_finish(&note);
}

static void test_checkpoints(void **state)
{
	static const char *const bad[] = {
	    "o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	    "\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	    "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n",
	    "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n",
	    "o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	    "o\n99999999999999999999\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	    "o\n1\n",
	    /* Bytes libsodium alone would read as base64 letters. */
	    "o\n1\nCsUYapGGPo4d\261\275\214\207Aqom/Xajj7h2fB2MPA3j2jxq2I=\n",
	};
	struct mc_checkpoint c = {.origin = "example.org/log", .size = 0}, back;
	struct mc_buf text;

	(void)state;
	mc_buf_init(&text);
	mc_merkle_empty(c.root);
	assert_int_equal(mc_checkpoint_format(&c, &text), MC_OK);
	assert_string_equal(text.data,
			    "example.org/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n");
	assert_int_equal(mc_checkpoint_parse(text.data, text.len, &back), MC_OK);
	assert_memory_equal(&back, &c, sizeof(c));
	mc_buf_reset(&text);
	mc_buf_puts(&text, "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\n");
	assert_int_equal(mc_checkpoint_parse(text.data, text.len, &back), MC_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mc_checkpoint_parse(bad[i], strlen(bad[i]), &back),
				 MC_ERR_INVALID);
	mc_buf_finish(&text);
}

static void test_tile_paths(void **state)
{
	static const char *const good[] = {"0/000", "0/x001/x234/067", "1/000.p/17", "2/999.p/255",
					   "63/x001/000"};
	static const char *const bad[] = {"00/000",	 "64/000",    "0/x000/001",  "0/1",
					  "0/0000",	 "0/000.p/0", "0/000.p/256", "0/000.p/017",
					  "entries/000", "0/000/",    "0/x001",	     "0/x1/000",
					  "0/000.p/",	 "-1/000",    "0/000.p/1x"};
	struct mc_tile t;
	struct mc_buf path;

	(void)state;
	mc_buf_init(&path);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(mc_tile_parse(good[i], &t), MC_OK);
		mc_buf_reset(&path);
		assert_int_equal(mc_tile_path(&t, &path), MC_OK);
		assert_string_equal(path.data, good[i]);
	}
	assert_int_equal(mc_tile_parse("0/x001/x234/067", &t), MC_OK);
	assert_int_equal(t.index, 1234067);
	assert_int_equal(t.width, 256);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mc_tile_parse(bad[i], &t), MC_ERR_INVALID);
	mc_buf_finish(&path);
}

struct tiles {
	struct mem *m;
	int fetched[3][300]; /* width fetched, per level and index */
};

static enum mc_err fetch_mem(void *ctx, const struct mc_tile *t, unsigned char *out)
{
	struct tiles *ts = ctx;
	int level = t->level * MC_TILE_HEIGHT;

	for (int i = 0; i < t->width; i++)
		if (mem_node(ts->m, level, t->index * MC_TILE_WIDTH + i, out + i * MC_MERKLE_HASH))
			return MC_ERR_NOTFOUND;
	ts->fetched[t->level][t->index] = t->width;
	return MC_OK;
}

/* tlog-tiles' own example: a tree of 70,000 is 273 full level-0 tiles, a partial one of
 * 112, a full level-1 tile, a partial one of 17 and a partial level-2 tile of 1. */
static void test_tile_reader(void **state)
{
	struct tiles *ts = calloc(1, sizeof(*ts));
	struct mc_tile_reader *r;
	struct mc_tree t, whole;
	mc_hash p1[MC_PROOF_MAX], p2[MC_PROOF_MAX];
	unsigned char a[MC_MERKLE_HASH], b[MC_MERKLE_HASH];
	size_t n1, n2;

	(void)state;
	ts->m = mem_build(MAXN);
	whole = (struct mc_tree){.node = mem_node, .ctx = ts->m};
	assert_int_equal(mc_tile_reader_create(MAXN, fetch_mem, ts, &r), MC_OK);
	t = mc_tile_reader_tree(r);
	assert_int_equal(mc_tree_root(&t, MAXN, a), MC_OK);
	assert_int_equal(mc_tree_root(&whole, MAXN, b), MC_OK);
	assert_memory_equal(a, b, MC_MERKLE_HASH);
	assert_int_equal(ts->fetched[0][273], 112);
	assert_int_equal(ts->fetched[1][1], 17);
	assert_int_equal(ts->fetched[2][0], 1);
	for (int64_t i = 0; i < MAXN; i += 997) {
		assert_int_equal(mc_tree_inclusion(&t, i, MAXN, p1, &n1), MC_OK);
		assert_int_equal(mc_tree_inclusion(&whole, i, MAXN, p2, &n2), MC_OK);
		assert_int_equal(n1, n2);
		assert_memory_equal(p1, p2, n1 * MC_MERKLE_HASH);
		assert_int_equal(mc_tree_consistency(&t, i + 1, MAXN, p1, &n1), MC_OK);
		assert_int_equal(mc_tree_consistency(&whole, i + 1, MAXN, p2, &n2), MC_OK);
		assert_int_equal(n1, n2);
		assert_memory_equal(p1, p2, n1 * MC_MERKLE_HASH);
	}
	/* A node past the tree's edge is not asked of any tile. */
	assert_int_equal(t.node(t.ctx, 0, MAXN, a), MC_ERR_INVALID);
	assert_int_equal(t.node(t.ctx, 1, MAXN / 2, a), MC_ERR_INVALID);
	mc_tile_reader_destroy(r);
	mem_free(ts->m);
	free(ts);
}

struct rebuild {
	struct mc_tree_builder b;
	struct mc_buf canon;
};

static enum mc_err rebuild_entry(void *ctx, const struct mc_audit *a)
{
	struct rebuild *rb = ctx;
	unsigned char leaf[MC_MERKLE_HASH];

	mc_buf_reset(&rb->canon);
	assert_int_equal(mc_store_audit_canonical(a, &rb->canon), MC_OK);
	mc_merkle_leaf(rb->canon.data, rb->canon.len, leaf);
	mc_tree_builder_add(&rb->b, leaf);
	return MC_OK;
}

/* Every audited write is a leaf, in its own transaction; the stored root is the entries'. */
static void test_store_tree(void **state)
{
	char path[64] = "/tmp/mc-log-XXXXXX", slug[32];
	struct rebuild rb = {.b = {.size = 0}};
	struct mc_store *s;
	struct mc_tree t;
	unsigned char root[MC_MERKLE_HASH], want[MC_MERKLE_HASH];
	long long entries;
	int64_t size;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(mc_store_open(path, MC_STORE_CREATE, &s), MC_OK);
	assert_int_equal(mc_store_migrate(s), MC_OK);
	for (int i = 0; i < 37; i++) {
		struct mc_ward w = {.slug = slug, .name = "Phường"};

		snprintf(slug, sizeof(slug), "phuong-%d", i % 20);
		assert_int_equal(mc_store_ward_upsert(s, &w, NULL), MC_OK);
	}
	assert_int_equal(mc_store_audit_count(s, &entries), MC_OK);
	assert_int_equal(mc_store_log_size(s, &size), MC_OK);
	assert_int_equal(size, entries);
	mc_buf_init(&rb.canon);
	assert_int_equal(mc_store_audit_each(s, 0, NULL, 0, rebuild_entry, &rb), MC_OK);
	mc_buf_finish(&rb.canon);
	mc_tree_builder_root(&rb.b, want);
	t = mc_log_stored_tree(s);
	assert_int_equal(mc_tree_root(&t, size, root), MC_OK);
	assert_memory_equal(root, want, MC_MERKLE_HASH);
	/* Nodes asked together are those asked one by one; one missing fails them all. */
	{
		struct mc_store_log_ref refs[] = {{0, 0}, {1, 3}, {2, 1}, {4, 0}, {3, 0}, {0, 5}};
		unsigned char got[6][MC_MERKLE_HASH], one[MC_MERKLE_HASH];

		assert_int_equal(mc_store_log_node_batch(s, refs, 6, got[0]), MC_OK);
		for (int i = 0; i < 6; i++) {
			assert_int_equal(mc_store_log_node(s, refs[i].level, refs[i].index, one),
					 MC_OK);
			assert_memory_equal(got[i], one, MC_MERKLE_HASH);
		}
		refs[2].index = size;
		assert_int_equal(mc_store_log_node_batch(s, refs, 6, got[0]), MC_ERR_NOTFOUND);
	}
	/* A write that fails leaves no leaf behind. */
	assert_int_equal(mc_store_begin(s), MC_OK);
	assert_int_equal(mc_store_ward_upsert(s, &(struct mc_ward){.slug = "x", .name = "X"}, NULL),
			 MC_OK);
	mc_store_rollback(s);
	assert_int_equal(mc_store_log_size(s, &size), MC_OK);
	assert_int_equal(size, entries);
	mc_store_destroy(s);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_roots),	cmocka_unit_test(test_rfc6962_vector),
	    cmocka_unit_test(test_proofs),	cmocka_unit_test(test_batched_source),
	    cmocka_unit_test(test_note_vector), cmocka_unit_test(test_spec_examples),
	    cmocka_unit_test(test_note_rules),	cmocka_unit_test(test_checkpoints),
	    cmocka_unit_test(test_tile_paths),	cmocka_unit_test(test_tile_reader),
	    cmocka_unit_test(test_store_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
