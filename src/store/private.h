#ifndef MOTCHAM_STORE_PRIVATE_H
#define MOTCHAM_STORE_PRIVATE_H

/* The storage module's internals, shared between the files of src/store. This header is the
 * folder's table of contents: one section per file, saying what the file does and what it
 * lends the others. The contract for the rest of motcham is include/motcham/store/store.h. */

#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "motcham/base/buf.h"
#include "motcham/store/store.h"

/* ---- sql.c: the statement table, every SQL statement of the project ---- */

enum stmt_id {
	ST_DATA_VERSION,
	ST_AUDIT_HEAD,
	ST_WARD_ID,
	ST_WARD_INSERT,
	ST_WARD_UPDATE,
	ST_WARD_BY_SLUG,
	ST_WARD_BY_ID,
	ST_WARD_EACH,
	ST_WARD_COUNT,
	ST_ANN_ID,
	ST_ANN_INSERT,
	ST_ANN_UPDATE,
	ST_ANN_GET,
	ST_ANN_CURRENT,
	ST_ANN_EACH,
	ST_PROC_ID,
	ST_PROC_INSERT,
	ST_PROC_UPDATE,
	ST_PROC_GET,
	ST_PROC_EACH,
	ST_PROC_SEARCH,
	ST_DOC_DELETE,
	ST_DOC_INSERT,
	ST_DOC_EACH,
	ST_PERMIT_ID,
	ST_PERMIT_INSERT,
	ST_PERMIT_UPDATE,
	ST_PERMIT_GET,
	ST_PERMIT_EACH,
	ST_INSP_ID,
	ST_INSP_INSERT,
	ST_INSP_UPDATE,
	ST_INSP_EACH,
	ST_CODE_INSERT,
	ST_CODE_GET,
	ST_CODE_FOR_TARGET,
	ST_CODE_EACH,
	ST_CODE_EACH_KIND,
	ST_CODE_REVOKE,
	ST_TARGET_EXISTS,
	ST_AUDIT_LAST,
	ST_AUDIT_INSERT,
	ST_AUDIT_EACH,
	ST_AUDIT_COUNT,
	ST_USER_INSERT,
	ST_USER_BY_NAME,
	ST_USER_BY_ID,
	ST_USER_EACH,
	ST_USER_DISABLE,
	ST_SESSION_INSERT,
	ST_SESSION_GET,
	ST_SESSION_END,
	ST_SESSION_END_USER,
	ST_THROTTLE_GET,
	ST_THROTTLE_FAIL,
	ST_THROTTLE_CLEAR,
	ST_SECRET,
	ST_PERMIT_STATUS,
	ST_PERMIT_SET_STATUS,
	ST_PROC_RETIRE,
	ST_ANN_RETIRE,
	ST_FILE_INSERT,
	ST_FILE_EACH,
	ST_FILE_BY_HASH,
	ST_REPORT_INSERT,
	ST_REPORT_COUNT,
	ST_REPORT_EACH,
	ST_REPORT_REVIEW,
	ST_SCAN_ADD,
	ST_SCAN_MISS_ADD,
	ST_SCAN_TOP,
	ST_SCAN_MISS_COUNT,
	ST_SCAN_TOTAL,
	ST_MERGE_PERMITS,
	ST_MERGE_PROCS,
	ST_MERGE_ANNS,
	ST_MERGE_USERS,
	ST_MOVE_PERMIT,
	ST_MOVE_PROC,
	ST_MOVE_ANN,
	ST_MOVE_USER,
	ST_WARD_MERGE,
	ST_SUP_PERMITS,
	ST_SUP_PERMIT_COUNT,
	ST_SUP_WARDS,
	ST_SUP_AUDIT,
	ST_SUP_REPORTS,
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_COUNT_
};

/* What the audit trail can name, and how each record is written down in it (JSON). */
enum entity { E_WARD, E_ANN, E_PROC, E_PERMIT, E_INSP, E_CODE, E_USER, E_FILE, E_REPORT, E_COUNT_ };

extern const char *const stmt_sql[ST_COUNT_];
extern const char *const snap_sql[E_COUNT_];

/* ---- store.c: the connection, transactions, statements and the typed row walk ---- */

struct mc_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT_];
	sqlite3_stmt *snap[E_COUNT_];
	int depth;	      /* open transactions: 0 or 1 */
	int64_t actor_id;     /* who the writes are made by (0: system) */
	struct mc_buf before; /* the record as it was before the current write */
	char actor[128];
};

/* The caller's typed callback and its context, carried through walk(). */
struct visit {
	union {
		mc_store_ward_fn ward;
		mc_store_announcement_fn ann;
		mc_store_procedure_fn proc;
		mc_store_document_fn doc;
		mc_store_permit_fn permit;
		mc_store_inspection_fn insp;
		mc_store_code_fn code;
		mc_store_audit_fn audit;
		mc_store_user_fn user;
		mc_store_file_fn file;
		mc_store_report_fn report;
		mc_store_scan_fn scan;
	} fn;
	void *ctx;
};

typedef enum mc_err (*row_fn)(sqlite3_stmt *st, const struct visit *v);

/* The enum mc_err for an SQLite result code (extended codes on). */
enum mc_err map_rc(int rc);
/* Why preparing failed; a statement missing from the table is a bug, never success. */
enum mc_err prep_err(struct mc_store *s);
/* Returns the cached statement, preparing it on first use; NULL on failure. */
sqlite3_stmt *stmt(struct mc_store *s, enum stmt_id id);
/* Resets a statement after use and clears its parameters. */
void done(sqlite3_stmt *st);
/* Binds text, borrowed until the statement is reset; NULL or "" binds NULL. */
int bind_text(sqlite3_stmt *st, int i, const char *v);
/* A text column, borrowed until the next step or reset; NULL when NULL or empty. */
const char *col_text(sqlite3_stmt *st, int i);
/* Steps a statement that returns no rows we need; resets it. */
enum mc_err exec_stmt(sqlite3_stmt *st);
/* Reads the first column of the first row as an id; MC_ERR_NOTFOUND without rows. */
enum mc_err query_id(sqlite3_stmt *st, int64_t *id);
/* Walks the rows of a bound statement through row(). With one set, no row is
 * MC_ERR_NOTFOUND. */
enum mc_err walk(sqlite3_stmt *st, row_fn row, const struct visit *v, bool one);
/* The first column of the one row of a statement without parameters. */
enum mc_err scalar(struct mc_store *s, enum stmt_id id, long long *out);
/* walk() over a statement whose ?1 is bound to an integer key (unused ?1 is harmless). */
enum mc_err walk_int(struct mc_store *s, enum stmt_id id, int64_t key, row_fn row,
		     const struct visit *v, bool one);
/* walk() over a statement whose ?1 is bound to a text key. */
enum mc_err walk_text(struct mc_store *s, enum stmt_id id, const char *key, row_fn row,
		      const struct visit *v, bool one);

/* Prepares and fetches statement id into *st, or returns the error. */
#define PREPARE(s, id, st)                                                                         \
	do {                                                                                       \
		if (!((st) = stmt((s), (id))))                                                     \
			return prep_err(s);                                                        \
	} while (0)

/* ---- schema.c: the tables and their migrations (mc_store_migrate) ---- */

/* ---- audit.c: the audit trail and the audited writes ---- */

/* Opens a transaction unless the caller has one; *owned says who must end it. */
enum mc_err tx_begin(struct mc_store *s, bool *owned);
/* Ends what tx_begin opened: commits when err is MC_OK, else rolls back; returns err or the
 * commit's failure. Leaves a caller's transaction alone. */
enum mc_err tx_end(struct mc_store *s, enum mc_err err, bool owned);
/* Appends one entry for record (e, id): before is the JSON taken before the write (empty
 * for a new record); the after image is taken now. Must run inside the write's
 * transaction, which also makes the chain's "last entry" stable. */
enum mc_err audit(struct mc_store *s, enum entity e, int64_t id, const char *action,
		  const struct mc_buf *before);
/* Keeps the record's JSON form before a write for the audit entry (nothing for a new one). */
enum mc_err remember(struct mc_store *s, enum entity e, int64_t id);
/* An edit names its record by id, and may then change the natural key too: *old (the
 * record that has the key now, or 0) must be that record or none. */
enum mc_err by_id(int64_t *old, int64_t id);
/* remember(), and for an edit by id, MC_ERR_NOTFOUND when there is no such record. */
enum mc_err remember_known(struct mc_store *s, enum entity e, int64_t old, int64_t id);
/* Ends an audited write: appends the entry when the write worked, then commits the
 * transaction it opened, or rolls back. */
enum mc_err end_write(struct mc_store *s, enum mc_err err, bool owned, enum entity e, int64_t id,
		      const char *action);
/* An audited insert of one new record: its own transaction unless one is open, the
 * statement bound by bind, one audit entry, and the new row's id in *id (may be NULL). */
enum mc_err audited_insert(struct mc_store *s, enum stmt_id sid,
			   void (*bind)(sqlite3_stmt *st, const void *rec), const void *rec,
			   enum entity e, const char *action, int64_t *id);
/* Looks a record's id up by its natural key; *old is 0 when there is none. */
enum mc_err find_old(sqlite3_stmt *st, int64_t *old);
/* Finishes an upsert: steps the bound statement (an update of record old, or an insert that
 * returns the new id) and reports id and created (either may be NULL). */
enum mc_err finish_upsert(sqlite3_stmt *st, int64_t old, int64_t *id, bool *created);
/* The audited retire of a procedure or announcement (sid sets retired_at to ?2 for id ?1):
 * MC_ERR_NOTFOUND without the record, MC_ERR_GONE when it is retired already. */
enum mc_err retire(struct mc_store *s, enum stmt_id sid, enum entity e, int64_t id);
/* Reads an audit row (the columns of ST_AUDIT_EACH) for v->fn.audit. */
enum mc_err audit_row(sqlite3_stmt *st, const struct visit *v);

/* ---- audit_verify.c: verifying and exporting the chain (audit.h) ---- */

/* ---- the tables, one file each: the public functions of store.h, named after it ---- */

/* ---- ward.c: wards ---- */

/* ---- announcement.c: announcements ---- */

/* ---- procedure.c: procedures, their documents, the title search ---- */

/* ---- permit.c: permits, their inspections, their status moves ---- */

/* Reads a permit row (the columns of PERMIT_COLS) for v->fn.permit. */
enum mc_err permit_row(sqlite3_stmt *st, const struct visit *v);

/* ---- code.c: codes (the tokens printed as QR codes) ---- */

/* ---- user.c: staff users ---- */

/* Reads a user row (the columns of USER_COLS) for v->fn.user. */
enum mc_err user_row(sqlite3_stmt *st, const struct visit *v);

/* ---- session.c: sessions of signed-in users ---- */

/* ---- throttle.c: failed-login throttling ---- */

/* ---- setting.c: the per-database secret ---- */

/* ---- file.c: files attached to permits ---- */

/* ---- report.c: resident reports ---- */

/* Reads a report row (the columns of REPORT_COLS) for v->fn.report. */
enum mc_err report_row(sqlite3_stmt *st, const struct visit *v);

/* ---- scan.c: scan statistics ---- */

/* ---- the jobs across tables ---- */

/* ---- merge.c: merging one ward into another ---- */

/* ---- backup.c: online backup, integrity check ---- */

/* ---- supervise.c: the supervision queries ---- */

#endif
