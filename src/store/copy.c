/* Copying a whole database into an empty one (mc_store_copy): every row of every table, with
 * its ids, as it is, so that codes, sessions, the secret and the audit chain carry over
 * byte for byte. The tables and their columns are in sql.c (copy_tables). */
#include "private.h"

#include <stdio.h>
#include <string.h>

/* The SQL copy_table t needs: its rows, their insert, whether it has any. */
static enum mc_err text_of(const struct copy_table *t, char *select, char *insert, char *any,
			   size_t n)
{
	size_t ncols = 1, w;

	for (const char *p = t->cols; *p; p++)
		ncols += *p == ',';
	if (ncols != strlen(t->types))
		return MC_ERR_INTERNAL; /* the table in sql.c is wrong */
	snprintf(select, n, "SELECT %s FROM %s ORDER BY %s", t->cols, t->name, t->order);
	snprintf(any, n, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT 1) x", t->name);
	w = (size_t)snprintf(insert, n, "INSERT INTO %s (%s) VALUES (", t->name, t->cols);
	for (size_t i = 1; i <= ncols && w < n; i++)
		w += (size_t)snprintf(insert + w, n - w, "%s?%zu", i > 1 ? ", " : "", i);
	if (w < n)
		w += (size_t)snprintf(insert + w, n - w, ")");
	return w < n ? MC_OK : MC_ERR_INTERNAL;
}

/* Runs a statement of one integer (the first column of its one row). */
static enum mc_err one_int(struct db *db, const char *sql, int64_t *v)
{
	struct db_stmt *st;
	bool row = false;
	enum mc_err err;

	*v = 0;
	if ((err = db->ops->prepare(db, sql, &st)) != MC_OK)
		return err;
	if ((err = db_step(st, &row)) == MC_OK && row)
		*v = db_col_int64(st, 0);
	st->ops->finalize(st);
	return err;
}

/* Binds column i of the row sel stands on to parameter i + 1 of ins, by its type. */
static void bind_col(struct db_stmt *sel, struct db_stmt *ins, int i, char type)
{
	const void *blob;
	size_t len;

	if (db_col_null(sel, i)) {
		ins->ops->bind_null(ins, i + 1);
		return;
	}
	switch (type) {
	case 'i':
		db_bind_int64(ins, i + 1, db_col_int64(sel, i));
		break;
	case 'r':
		db_bind_double(ins, i + 1, db_col_double(sel, i));
		break;
	case 'b':
		blob = db_col_blob(sel, i, &len);
		db_bind_blob(ins, i + 1, blob, len);
		break;
	default:
		/* As it is: an empty text stays empty (bind_text would make it NULL). */
		ins->ops->bind_text(ins, i + 1, db_col_text(sel, i));
	}
}

static enum mc_err copy_rows(struct db *from, struct db *to, const struct copy_table *t,
			     const char *select, const char *insert, long long *rows)
{
	struct db_stmt *sel = NULL, *ins = NULL;
	size_t ncols = strlen(t->types);
	bool row;
	enum mc_err err;

	if ((err = from->ops->prepare(from, select, &sel)) != MC_OK ||
	    (err = to->ops->prepare(to, insert, &ins)) != MC_OK)
		goto out;
	while ((err = db_step(sel, &row)) == MC_OK && row) {
		for (size_t i = 0; i < ncols; i++)
			bind_col(sel, ins, (int)i, t->types[i]);
		if ((err = db_step(ins, &row)) != MC_OK)
			break;
		done(ins);
		(*rows)++;
	}
out:
	if (sel)
		sel->ops->finalize(sel);
	if (ins)
		ins->ops->finalize(ins);
	return err;
}

/* Refuses a target that holds any record (its own secret, made by migrate, is replaced). */
static enum mc_err check_empty(struct db *to)
{
	char select[1024], insert[1024], any[256];
	int64_t n;
	enum mc_err err;

	for (size_t k = 0; k < copy_ntables; k++) {
		const struct copy_table *t = &copy_tables[k];

		if (!strcmp(t->name, "setting") || (t->files && !to->ops->keeps_files))
			continue;
		if ((err = text_of(t, select, insert, any, sizeof(select))) != MC_OK ||
		    (err = one_int(to, any, &n)) != MC_OK)
			return err;
		if (n)
			return MC_ERR_EXISTS;
	}
	return MC_OK;
}

static enum mc_err copy_all(struct mc_store *from, struct mc_store *to, long long *rows)
{
	char select[1024], insert[1024], any[256];
	struct db_stmt *st;
	enum mc_err err;

	if ((err = check_empty(to->db)) != MC_OK)
		return err;
	/* A ward merged into a later one, a code replaced by a later one: the keys are checked
	 * at the commit, when every row is in. */
	PREPARE(to, ST_DEFER_KEYS, st);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	PREPARE(to, ST_SETTING_CLEAR, st);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	for (size_t k = 0; err == MC_OK && k < copy_ntables; k++) {
		const struct copy_table *t = &copy_tables[k];

		if (t->files && !(from->db->ops->keeps_files && to->db->ops->keeps_files))
			continue; /* copied from the files directory instead (mc_store_blob_put) */
		if ((err = text_of(t, select, insert, any, sizeof(select))) == MC_OK)
			err = copy_rows(from->db, to->db, t, select, insert, rows);
	}
	return err;
}

enum mc_err mc_store_copy(struct mc_store *from, struct mc_store *to, long long *rows)
{
	long long n = 0;
	bool owned;
	enum mc_err err;

	if ((err = mc_store_read_begin(from)) != MC_OK)
		return err;
	if ((err = tx_begin(to, &owned)) == MC_OK)
		err = tx_end(to, copy_all(from, to, &n), owned);
	mc_store_read_end(from);
	if (rows)
		*rows = err == MC_OK ? n : 0;
	return err;
}
