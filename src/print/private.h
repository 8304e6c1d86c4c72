#ifndef MOTCHAM_PRINT_PRIVATE_H
#define MOTCHAM_PRINT_PRIVATE_H

/* The print folder's internals, shared by its files and by nothing else: print.c holds what
 * the print pages share, notice.c, poster.c and keychain.c make one kind of sheet each, and
 * gen.c with gen_encode.c is `motcham gen`. */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"
#include "motcham/print/gen.h"
#include "motcham/render/qr.h"
#include "motcham/base/token.h"

struct mc_pages;
struct mc_response;
struct mc_store;
struct mc_tdata;
struct mc_tobj;

/* print.c: what the print pages share. */

#define SLUG_MAX 64

/* One print job: the data tree of the page and what the callbacks found. */
struct print_job {
	struct mc_pages *p;
	struct mc_store *s;
	struct mc_tdata *d;
	struct mc_tobj *root;
	struct mc_tobj *docs;
	int64_t ward_id;
	int64_t code_id;
	int ndocs;
	char token[MC_TOKEN_LEN + 1];
	char slug[SLUG_MAX + 1];
	char short_name[128];
};

/* Starts a job: an empty data tree. MC_ERR_NOMEM. */
enum mc_err print_job_init(struct print_job *j, struct mc_pages *p, struct mc_store *s);
/* Frees the job's data; on failure (err not MC_OK) also empties r's body. Returns err. */
enum mc_err print_job_finish(struct print_job *j, enum mc_err err, struct mc_response *r);
/* Sets o.key to s, cut at a character to at most max bytes with "…" when longer: whatever
 * staff typed, one A4 page must stay one page, and the full text is one scan away. An empty
 * s counts as missing. */
enum mc_err print_cut(struct mc_tobj *o, const char *key, const char *s, size_t max);
/* Sets o.key to the date iso printed the Vietnamese way, DD/MM/YYYY; anything else as
 * stored. */
/* "ABCDEFGHJ" -> "ABCD-EFGH-J". */
void print_group_token(const char *t, char out[MC_TOKEN_LEN + 3]);
/* Loads ward ward_id into the job: root.ward (name, slug, short), j->slug, j->short_name. */
enum mc_err print_ward(struct print_job *j, int64_t ward_id);
/* Finds the record's active code into j->token, left empty when there is none. */
enum mc_err print_find_code(struct print_job *j, const char *kind, int64_t id);
/* Renders template name into r, or the page saying that the record has no code (409). */
enum mc_err print_render(struct print_job *j, const char *name, struct mc_response *r);

/* gen.c: `motcham gen`. */

/* Options checked and defaults filled in, shared read-only by the workers. */
struct gen_job {
	enum mc_gen_format format;
	const char *out_dir;
	enum mc_qr_ecc ecc;
	int scale; /* 0: derive from size_mm and dpi */
	double size_mm;
	int dpi;
	int margin;
};

/* One selected code, copied out of the store callback. */
struct gen_item {
	char token[MC_TOKEN_LEN + 1];
	char *kind;
	char *title;
	char *url;
	int version;
	enum mc_err err;
	char msg[256];	   /* why err, printed by the main thread in list order */
	struct mc_buf img; /* encoded, waiting for the writer */
	bool ready;	   /* under list.lock */
};

struct gen_list {
	struct gen_item *v;
	size_t n, cap;
	pthread_mutex_t lock; /* encoders hand items to the writer */
	pthread_cond_t done;
	size_t waiting; /* the item the writer sleeps on, SIZE_MAX if none; under lock */
	const char *base_url;
	FILE *errs;
};

/* Writes dir/name in place; on failure removes it and returns MC_ERR_IO with errno set. */
enum mc_err gen_write_file(const char *dir, const char *name, const struct mc_buf *b);

/* gen_encode.c: the images. */

/* Encodes and writes every item of l, recording each one's problem in it; the calling thread
 * writes the files in list order. */
void gen_run_workers(const struct gen_job *j, struct gen_list *l);

#endif
