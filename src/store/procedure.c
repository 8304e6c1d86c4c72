/* Procedures and their documents; the title search. */
#include "private.h"

#include <string.h>

#include "motcham/base/date.h"
#include "motcham/base/utf8.h"

static enum mc_err proc_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_procedure p = {
	    .id = db_col_int64(st, 0),
	    .ward_id = db_col_int64(st, 1),
	    .tthc_code = col_text(st, 2),
	    .title = col_text(st, 3),
	    .field = col_text(st, 4),
	    .level = col_text(st, 5),
	    .steps = col_text(st, 6),
	    .ways = col_text(st, 7),
	    .place = col_text(st, 8),
	    .who = col_text(st, 9),
	    .conditions = col_text(st, 10),
	    .duration = col_text(st, 11),
	    .fees = col_text(st, 12),
	    .office = col_text(st, 13),
	    .result = col_text(st, 14),
	    .legal_basis = col_text(st, 15),
	    .online_url = col_text(st, 16),
	    .updated_at = col_text(st, 17),
	    .retired_at = col_text(st, 18),
	};
	return v->fn.proc(v->ctx, &p);
}

static void bind_procedure(struct db_stmt *st, const struct mc_procedure *p, const char *today,
			   const char *fold)
{
	const char *text[] = {p->tthc_code, p->title,  p->field,  p->level,	  p->steps,
			      p->ways,	    p->place,  p->who,	  p->conditions,  p->duration,
			      p->fees,	    p->office, p->result, p->legal_basis, p->online_url,
			      today,	    fold};

	db_bind_int64(st, 1, p->ward_id);
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		bind_text(st, (int)i + 2, text[i]);
}

static enum mc_err put_documents(struct mc_store *s, int64_t proc_id,
				 const struct mc_document *docs, size_t ndocs)
{
	struct db_stmt *st;
	enum mc_err err;

	PREPARE(s, ST_DOC_DELETE, st);
	db_bind_int64(st, 1, proc_id);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	PREPARE(s, ST_DOC_INSERT, st);
	for (size_t i = 0; i < ndocs; i++) {
		if (!docs[i].name || docs[i].originals < 0 || docs[i].copies < 0)
			return MC_ERR_INVALID;
		db_bind_int64(st, 1, proc_id);
		db_bind_int64(st, 2, (int64_t)i);
		db_bind_int64(st, 3, docs[i].kind == MC_DOC_FORM ? 1 : 0);
		bind_text(st, 4, docs[i].name);
		db_bind_int64(st, 5, docs[i].originals);
		db_bind_int64(st, 6, docs[i].copies);
		if ((err = exec_stmt(st)) != MC_OK)
			return err;
	}
	return MC_OK;
}

static enum mc_err proc_write(struct mc_store *s, const struct mc_procedure *p,
			      const struct mc_document *docs, size_t ndocs, int64_t *id,
			      bool *created)
{
	char today[MC_DATE_LEN + 1];
	struct mc_buf fold;
	struct db_stmt *st;
	int64_t old, rowid;
	enum mc_err err;

	if (!p->tthc_code || !p->title || !p->field)
		return MC_ERR_INVALID;
	mc_buf_init(&fold);
	if ((err = mc_utf8_fold(p->title, strlen(p->title), &fold)) != MC_OK)
		goto out;
	if ((err = stmt(s, ST_PROC_ID, &st)) != MC_OK)
		goto out;
	db_bind_int64(st, 1, p->ward_id);
	bind_text(st, 2, p->tthc_code);
	if ((err = find_old(st, &old)) != MC_OK || (err = by_id(&old, p->id)) != MC_OK ||
	    (err = remember_known(s, E_PROC, old, p->id)) != MC_OK)
		goto out;
	if ((err = stmt(s, old ? ST_PROC_UPDATE : ST_PROC_INSERT, &st)) != MC_OK)
		goto out;
	mc_date_today(today);
	bind_procedure(st, p, today, fold.data ? fold.data : "");
	if (old)
		db_bind_int64(st, 19, old);
	if ((err = finish_upsert(st, old, &rowid, created)) != MC_OK)
		goto out;
	if ((err = put_documents(s, rowid, docs, ndocs)) != MC_OK)
		goto out;
	if (id)
		*id = rowid;
out:
	mc_buf_finish(&fold);
	return err;
}

enum mc_err mc_store_procedure_get(struct mc_store *s, int64_t id, mc_store_procedure_fn fn,
				   void *ctx)
{
	struct visit v = {.fn.proc = fn, .ctx = ctx};

	return walk_int(s, ST_PROC_GET, id, proc_row, &v, true);
}

static enum mc_err doc_row(struct db_stmt *st, const struct visit *v)
{
	struct mc_document d = {
	    .kind = db_col_int(st, 0) ? MC_DOC_FORM : MC_DOC_PAPER,
	    .name = col_text(st, 1),
	    .originals = db_col_int(st, 2),
	    .copies = db_col_int(st, 3),
	};
	return v->fn.doc(v->ctx, &d);
}

enum mc_err mc_store_procedure_documents(struct mc_store *s, int64_t procedure_id,
					 mc_store_document_fn fn, void *ctx)
{
	struct visit v = {.fn.doc = fn, .ctx = ctx};

	return walk_int(s, ST_DOC_EACH, procedure_id, doc_row, &v, false);
}

enum mc_err mc_store_procedure_each(struct mc_store *s, int64_t ward_id, mc_store_procedure_fn fn,
				    void *ctx)
{
	struct visit v = {.fn.proc = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_PROC_EACH, st);
	db_bind_int64(st, 1, ward_id);
	db_bind_int64(st, 2, 0);
	return walk(st, proc_row, &v, false);
}

enum mc_err mc_store_procedure_each_all(struct mc_store *s, int64_t ward_id,
					mc_store_procedure_fn fn, void *ctx)
{
	struct visit v = {.fn.proc = fn, .ctx = ctx};
	struct db_stmt *st;

	PREPARE(s, ST_PROC_EACH, st);
	db_bind_int64(st, 1, ward_id);
	db_bind_int64(st, 2, 1);
	return walk(st, proc_row, &v, false);
}

enum mc_err mc_store_procedure_page(struct mc_store *s, int64_t ward_id, long long limit,
				    long long offset, mc_store_procedure_fn fn, void *ctx)
{
	struct visit v = {.fn.proc = fn, .ctx = ctx};

	return walk_page(s, ST_PROC_PAGE, ward_id, limit, offset, proc_row, &v);
}

enum mc_err mc_store_procedure_count(struct mc_store *s, int64_t ward_id, long long *n)
{
	return count_int(s, ST_PROC_COUNT, ward_id, n);
}

/* "khai sinh" -> "%khai%sinh%", with LIKE's own characters escaped. */
static enum mc_err like_pattern(const char *q, struct mc_buf *out)
{
	enum mc_err err = mc_buf_putc(out, '%');

	for (; err == MC_OK && *q; q++) {
		if (*q == ' ')
			err = mc_buf_putc(out, '%');
		else if (*q == '%' || *q == '_' || *q == '\\')
			err = mc_buf_printf(out, "\\%c", *q);
		else
			err = mc_buf_putc(out, *q);
	}
	return err == MC_OK ? mc_buf_putc(out, '%') : err;
}

enum mc_err mc_store_procedure_search(struct mc_store *s, int64_t ward_id, const char *folded_query,
				      int limit, mc_store_procedure_fn fn, void *ctx)
{
	struct visit v = {.fn.proc = fn, .ctx = ctx};
	struct mc_buf pat;
	struct db_stmt *st;
	enum mc_err err;

	PREPARE(s, ST_PROC_SEARCH, st);
	mc_buf_init(&pat);
	if ((err = like_pattern(folded_query, &pat)) == MC_OK) {
		db_bind_int64(st, 1, ward_id);
		bind_text(st, 2, pat.data);
		db_bind_int64(st, 3, limit);
		err = walk(st, proc_row, &v, false);
	}
	mc_buf_finish(&pat);
	return err;
}

enum mc_err mc_store_procedure_upsert(struct mc_store *s, const struct mc_procedure *p,
				      const struct mc_document *docs, size_t ndocs, int64_t *id,
				      bool *created)
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	err = proc_write(s, p, docs, ndocs, &rowid, created);
	if (id)
		*id = rowid;
	return end_write(s, err, owned, E_PROC, rowid, NULL);
}

enum mc_err mc_store_procedure_retire(struct mc_store *s, int64_t id)
{
	return retire(s, ST_PROC_RETIRE, E_PROC, id);
}
