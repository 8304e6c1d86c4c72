#ifndef MOTCHAM_STORE_PRIVATE_H
#define MOTCHAM_STORE_PRIVATE_H

/* The storage module's internals, shared between the files of src/store. This header is the
 * folder's table of contents: one section per file, saying what the file does and what it
 * lends the others. The contract for the rest of motcham is include/motcham/store/store.h. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
#include "motcham/store/kiosk.h"
#include "motcham/store/log.h"
#include "motcham/store/store.h"

/* ---- the database interface: the store talks to its database through nothing else ----
 *
 * A driver fills in a struct db_ops, and the connection's ops are chosen when it opens
 * (store.c: driver_for), so every call below is dispatched at run time. There are two:
 * sqlite.c (a file) and pg.c with pg_stmt.c (a PostgreSQL server, through libpq). What a
 * driver provides:
 *  - struct db and struct db_stmt as the first members of its own connection and statement;
 *  - prepare from a text of the statement table, once per connection (store.c caches the
 *    statement and resets it after each use): the texts use numbered parameters ?1, ?2 ...,
 *    which it rewrites to its own ($1, $2 ...); where its SQL must differ it puts its own
 *    text in the table's slot for its dialect (the schema and the JSON snapshots do);
 *  - every error of its database turned into enum mc_err inside the driver, as sqlite.c's
 *    map_rc does: locked, busy or read-only MC_ERR_BUSY; a unique key taken MC_ERR_EXISTS;
 *    another constraint MC_ERR_INVALID; disk full MC_ERR_FULL; no memory MC_ERR_NOMEM;
 *    cannot open, or the connection lost, MC_ERR_IO (MC_ERR_NOTFOUND when there is no such
 *    database); else MC_ERR_DB;
 *  - the lifetimes the store relies on: bound text and blobs are borrowed until the
 *    statement is reset, column text and blobs until the next step or reset;
 *  - transactions: begin with write set takes the one write lock of the database at once,
 *    so that writers on every connection, in every process and on every machine take
 *    turns (the audit chain is appended under it); begin without it is one snapshot;
 *  - a store write inside a caller's transaction that fails must leave that transaction as
 *    it was before the write and usable (import reports every bad row, then rolls back):
 *    nest brackets each such write (SQLite undoes a failed statement by itself, so its
 *    nest does nothing; PostgreSQL makes it a savepoint);
 *  - the named operations that have no SQL in the table: data_version, user_version,
 *    backup, integrity. */
/* The SQL dialects the statement table has a slot for. */
enum db_dialect { DB_SQLITE, DB_PG, DB_DIALECTS };

struct db_ops;

/* A connection; a driver's own connection starts with it. */
struct db {
	const struct db_ops *ops;
};

/* A prepared statement; a driver's own statement starts with it. */
struct db_stmt {
	const struct db_ops *ops;
};

/* The steps of nest. */
enum db_nest { NEST_BEGIN, NEST_KEEP, NEST_UNDO };

struct db_ops {
	enum db_dialect dialect;
	const char *name; /* "sqlite", "postgresql" */
	/* Uploaded files live in the database (the blob table), where every node of a
	 * many-node set-up reaches them, rather than in a directory beside it. */
	bool keeps_files;
	/* How often, at most, a page cache should ask data_version on this connection, in
	 * milliseconds: what asking costs (SQLite: two fcntl calls; PostgreSQL: nothing where
	 * the server tells of commits, a round trip where it cannot, on a hot standby). */
	unsigned (*poll_ms)(struct db *db);
	/* How long a write transaction waits for the write lock another holds before begin
	 * answers MC_ERR_BUSY, in milliseconds (5000 until set), on this connection and on
	 * any it makes again. */
	void (*set_wait)(struct db *db, unsigned ms);

	/* Opens the database at path as mc_store_open promises (flags: enum mc_store_flags).
	 * On failure *out is NULL, or a connection good only for errmsg (why it failed) and
	 * close. close finalizes what the driver prepared for itself, after store.c has
	 * finalized the table's statements; accepts NULL. */
	enum mc_err (*open)(const char *path, unsigned flags, struct db **out);
	void (*close)(struct db *db);
	/* The last error message of the connection, for people; never NULL. */
	const char *(*errmsg)(struct db *db);
	/* Runs a script of statements without parameters (a migration). */
	enum mc_err (*exec)(struct db *db, const char *script);
	/* Rows changed by the last statement that wrote. */
	int64_t (*changes)(struct db *db);

	/* Transactions. store.c calls rollback only when in_tx says one is open. */
	enum mc_err (*begin)(struct db *db, bool write);
	enum mc_err (*commit)(struct db *db);
	enum mc_err (*rollback)(struct db *db);
	bool (*in_tx)(struct db *db);
	/* Brackets one store write inside an open transaction (see above). */
	enum mc_err (*nest)(struct db *db, enum db_nest step);
	/* A record changed in the open write transaction (audit.c, with each entry): other
	 * connections' data_version must move when it commits. */
	void (*changed)(struct db *db);

	/* Statements: *out NULL on failure (MC_ERR_INTERNAL for a text that holds none);
	 * finalize accepts NULL. reset makes a statement ready to run again, parameters
	 * cleared. Binding cannot fail: a driver that must allocate reports it at step. */
	enum mc_err (*prepare)(struct db *db, const char *sql, struct db_stmt **out);
	void (*finalize)(struct db_stmt *st);
	void (*reset)(struct db_stmt *st);
	void (*bind_int64)(struct db_stmt *st, int i, int64_t v);
	void (*bind_double)(struct db_stmt *st, int i, double v);
	void (*bind_text)(struct db_stmt *st, int i, const char *v);
	void (*bind_null)(struct db_stmt *st, int i);
	void (*bind_blob)(struct db_stmt *st, int i, const void *v, size_t len);
	/* Runs the statement to its next row: MC_OK with *row set when there is one, MC_OK
	 * with *row false when it is done, or the error. */
	enum mc_err (*step)(struct db_stmt *st, bool *row);
	/* Columns of the current row, from 0; text is NULL for SQL NULL. */
	int64_t (*col_int64)(struct db_stmt *st, int i);
	double (*col_double)(struct db_stmt *st, int i);
	const char *(*col_text)(struct db_stmt *st, int i);
	bool (*col_null)(struct db_stmt *st, int i);
	/* A blob column and its length in *len; NULL (and 0) for SQL NULL or when it cannot be
	 * read (no memory: the step after says so). */
	const void *(*col_blob)(struct db_stmt *st, int i, size_t *len);

	/* Named operations: a number that changes when another connection commits content
	 * (SQLite: anything; PostgreSQL: an audit entry); the schema version the database says
	 * it has, and setting it (inside the migration's transaction); an online copy to a new
	 * database at path while others keep writing (NULL for a database that is no file:
	 * mc_store_backup copies its records into a new SQLite file instead); the database's
	 * own consistency check. */
	enum mc_err (*data_version)(struct db *db, long long *v);
	enum mc_err (*user_version)(struct db *db, int *v);
	enum mc_err (*set_user_version)(struct db *db, int v);
	enum mc_err (*backup)(struct db *db, const char *path);
	enum mc_err (*integrity)(struct db *db, bool *ok);
};

/* The calls the files make, each one indirect call into the driver. */
static inline enum mc_err db_step(struct db_stmt *st, bool *row)
{
	return st->ops->step(st, row);
}

static inline void db_bind_int64(struct db_stmt *st, int i, int64_t v)
{
	st->ops->bind_int64(st, i, v);
}

static inline void db_bind_double(struct db_stmt *st, int i, double v)
{
	st->ops->bind_double(st, i, v);
}

static inline int64_t db_col_int64(struct db_stmt *st, int i)
{
	return st->ops->col_int64(st, i);
}

/* An integer column that fits an int, cut to 32 bits as SQLite's sqlite3_column_int does. */
static inline int db_col_int(struct db_stmt *st, int i)
{
	return (int)st->ops->col_int64(st, i);
}

static inline double db_col_double(struct db_stmt *st, int i)
{
	return st->ops->col_double(st, i);
}

static inline const char *db_col_text(struct db_stmt *st, int i)
{
	return st->ops->col_text(st, i);
}

static inline bool db_col_null(struct db_stmt *st, int i)
{
	return st->ops->col_null(st, i);
}

static inline void db_bind_blob(struct db_stmt *st, int i, const void *v, size_t len)
{
	st->ops->bind_blob(st, i, v, len);
}

static inline const void *db_col_blob(struct db_stmt *st, int i, size_t *len)
{
	return st->ops->col_blob(st, i, len);
}

static inline int64_t db_changes(struct db *db)
{
	return db->ops->changes(db);
}

static inline bool db_in_tx(struct db *db)
{
	return db->ops->in_tx(db);
}

/* ---- sqlite.c: the SQLite driver, the one file that includes <sqlite3.h> ---- */

extern const struct db_ops db_sqlite;

/* ---- pg.c and pg_stmt.c: the PostgreSQL driver, the two files that include <libpq-fe.h> ----
 * pg.c: the connection, transactions, errors and the named operations; pg_stmt.c: the
 * statements. */

extern const struct db_ops db_pg;

struct pg_conn;	  /* libpq's PGconn */
struct pg_result; /* libpq's PGresult */

struct pg_db {
	struct db base;
	struct pg_conn *conn;
	unsigned gen;	    /* counts connections made: a statement prepared on an older one
			     * is prepared again */
	unsigned names;	    /* statements named so far ("mc1", "mc2" ...) */
	bool tx;	    /* a transaction we began is open (or was, on a connection lost) */
	bool readonly;	    /* every transaction read-only (the workers') */
	bool listening;	    /* told of every commit that changed a record (LISTEN) */
	bool notify;	    /* the open transaction changed a record: tell at commit */
	long long heard;    /* commits told of, and connections made: data_version */
	int64_t changes;    /* rows written by the last statement that wrote */
	long long retry_at; /* no new connection before this (CLOCK_MONOTONIC, ms) */
	long long retry_ms; /* the wait after the last failed attempt, 0 after a success */
	unsigned wait_ms;   /* lock_timeout, set on every connection made (set_wait) */
	char msg[512];	    /* the last error, for errmsg */
};

/* Makes the connection usable: at once when it is, else a new one (outside a transaction,
 * at most every few hundred milliseconds). MC_ERR_IO when there is none. */
enum mc_err pg_ready(struct pg_db *d);
/* The error of a failed command (res may be NULL), kept for errmsg. */
enum mc_err pg_fail(struct pg_db *d, struct pg_result *res);
/* pg_stmt.c: the statement calls of db_pg. */
enum mc_err pg_prepare(struct db *db, const char *sql, struct db_stmt **out);
void pg_finalize(struct db_stmt *st);
void pg_reset(struct db_stmt *st);
void pg_bind_int64(struct db_stmt *st, int i, int64_t v);
void pg_bind_double(struct db_stmt *st, int i, double v);
void pg_bind_text(struct db_stmt *st, int i, const char *v);
void pg_bind_null(struct db_stmt *st, int i);
void pg_bind_blob(struct db_stmt *st, int i, const void *v, size_t len);
enum mc_err pg_step(struct db_stmt *st, bool *row);
int64_t pg_col_int64(struct db_stmt *st, int i);
double pg_col_double(struct db_stmt *st, int i);
const char *pg_col_text(struct db_stmt *st, int i);
bool pg_col_null(struct db_stmt *st, int i);
const void *pg_col_blob(struct db_stmt *st, int i, size_t *len);

/* ---- sql.c: the statement table, every SQL statement of the store ---- */

enum stmt_id {
	/* store.c */
	ST_AUDIT_HEAD,
	/* audit.c */
	ST_AUDIT_LAST,
	ST_AUDIT_INSERT,
	ST_AUDIT_EACH,
	ST_AUDIT_COUNT,
	ST_SNAP_WARD, /* the snapshots, one per enum entity */
	ST_SNAP_ANN,
	ST_SNAP_PROC,
	ST_SNAP_PERMIT,
	ST_SNAP_INSP,
	ST_SNAP_CODE,
	ST_SNAP_USER,
	ST_SNAP_FILE,
	ST_SNAP_REPORT,
	/* ward.c */
	ST_WARD_ID,
	ST_WARD_INSERT,
	ST_WARD_UPDATE,
	ST_WARD_BY_SLUG,
	ST_WARD_BY_ID,
	ST_WARD_EACH,
	ST_WARD_COUNT,
	/* announcement.c */
	ST_ANN_ID,
	ST_ANN_INSERT,
	ST_ANN_UPDATE,
	ST_ANN_GET,
	ST_ANN_CURRENT,
	ST_ANN_EACH,
	ST_ANN_PAGE,
	ST_ANN_COUNT,
	ST_ANN_RETIRE,
	/* procedure.c */
	ST_PROC_ID,
	ST_PROC_INSERT,
	ST_PROC_UPDATE,
	ST_PROC_GET,
	ST_PROC_EACH,
	ST_PROC_PAGE,
	ST_PROC_COUNT,
	ST_PROC_SEARCH,
	ST_PROC_RETIRE,
	ST_DOC_DELETE,
	ST_DOC_INSERT,
	ST_DOC_EACH,
	/* permit.c */
	ST_PERMIT_ID,
	ST_PERMIT_INSERT,
	ST_PERMIT_UPDATE,
	ST_PERMIT_GET,
	ST_PERMIT_EACH,
	ST_PERMIT_PAGE,
	ST_PERMIT_COUNT,
	ST_PERMIT_STATUS,
	ST_PERMIT_SET_STATUS,
	ST_INSP_ID,
	ST_INSP_INSERT,
	ST_INSP_UPDATE,
	ST_INSP_EACH,
	/* code.c */
	ST_CODE_INSERT,
	ST_CODE_GET,
	ST_CODE_FOR_TARGET,
	ST_CODE_EACH,
	ST_CODE_EACH_KIND,
	ST_CODE_REVOKE,
	ST_CODE_HISTORY,
	ST_CODE_RESTORE,
	ST_TARGET_EXISTS,
	/* user.c */
	ST_USER_INSERT,
	ST_USER_BY_NAME,
	ST_USER_BY_ID,
	ST_USER_EACH,
	ST_USER_DISABLE,
	ST_USER_SET_PASSWORD,
	/* session.c */
	ST_SESSION_INSERT,
	ST_SESSION_GET,
	ST_SESSION_END,
	ST_SESSION_END_USER,
	ST_SESSION_END_OTHERS,
	ST_SESSION_TOUCH,
	/* throttle.c */
	ST_THROTTLE_GET,
	ST_THROTTLE_ROW,
	ST_THROTTLE_PUT,
	ST_THROTTLE_CLEAR,
	/* schema.c */
	ST_SCHEMA_COOKIE,
	/* setting.c */
	ST_SECRET,
	ST_SECRET_ENSURE,
	/* file.c */
	ST_FILE_INSERT,
	ST_FILE_EACH,
	ST_FILE_BY_HASH,
	ST_BLOB_PUT,
	ST_BLOB_GET,
	ST_FILE_HASHES,
	ST_FILE_WARD_BYTES,
	ST_FILE_HASH_USED,
	ST_BLOB_DELETE,
	ST_BLOB_SIZE,
	ST_BLOB_PIECE,
	/* copy.c */
	ST_DEFER_KEYS,
	ST_SETTING_CLEAR,
	/* report.c */
	ST_REPORT_INSERT,
	ST_REPORT_COUNT,
	ST_REPORT_EACH,
	ST_REPORT_REVIEW,
	ST_REPORT_ANSWER,
	ST_REPORT_BY_REF,
	ST_REPORT_BY_ID,
	ST_REPORT_KEY_PUT,
	ST_REPORT_KEY_DELETE,
	ST_REPORT_ERASE,
	ST_SECURE_DELETE,
	ST_WAL_TRUNCATE,
	/* scan.c */
	ST_SCAN_ADD,
	ST_SCAN_MISS_ADD,
	ST_SCAN_TOP,
	ST_SCAN_MISS_COUNT,
	ST_SCAN_TOTAL,
	/* merge.c */
	ST_MERGE_PERMITS,
	ST_MERGE_PROCS,
	ST_MERGE_ANNS,
	ST_MERGE_USERS,
	ST_MOVE_PERMIT,
	ST_MOVE_PROC,
	ST_MOVE_ANN,
	ST_MOVE_USER,
	ST_WARD_MERGE,
	/* supervise.c */
	ST_SUP_PERMITS,
	ST_SUP_PERMIT_COUNT,
	ST_SUP_WARDS,
	ST_SUP_AUDIT,
	ST_SUP_AUDIT_ENTRY,
	ST_SUP_REPORTS,
	/* kiosk.c */
	ST_SNAP_KIOSK_FEATURE,
	ST_SNAP_KIOSK_SLIDE,
	ST_SNAP_KIOSK_NOTICE,
	ST_KIOSK_FEATURE_EACH,
	ST_KIOSK_FEATURE_GET,
	ST_KIOSK_FEATURE_INSERT,
	ST_KIOSK_FEATURE_PREV,
	ST_KIOSK_FEATURE_NEXT,
	ST_KIOSK_FEATURE_SET_POS,
	ST_KIOSK_FEATURE_DELETE,
	ST_KIOSK_SLIDE_INSERT,
	ST_KIOSK_SLIDE_UPDATE,
	ST_KIOSK_SLIDE_GET,
	ST_KIOSK_SLIDE_EACH,
	ST_KIOSK_SLIDE_CURRENT,
	ST_KIOSK_SLIDE_RETIRE,
	ST_KIOSK_NOTICE_INSERT,
	ST_KIOSK_NOTICE_GET,
	ST_KIOSK_NOTICE_RECENT,
	ST_KIOSK_NOTICE_CURRENT,
	ST_KIOSK_NOTICE_LIFT,
	ST_KIOSK_BEAT,
	ST_KIOSK_SCREEN_LAST,
	ST_KIOSK_SCREEN_PRUNE,
	ST_KIOSK_SCREEN_COUNT,
	ST_KIOSK_SCREEN_INSERT,
	ST_KIOSK_SCREEN_EACH,
	/* tree.c */
	ST_LOG_NODE_INSERT,
	ST_LOG_NODE,
	ST_LOG_NODES,
	ST_LOG_NODE_BATCH,
	ST_LOG_SIZE,
	/* checkpoint.c */
	ST_CKPT_NOTE,
	ST_CKPT_SIZE,
	ST_CKPT_PUT,
	ST_CKPT_GET,
	ST_CKPT_LATEST,
	ST_COSIG_CLEAR,
	ST_COSIG_PUT,
	ST_COSIG_EACH,
	ST_COUNT_
};

/* Each statement's text per dialect: the SQLite text, and PostgreSQL's where it must differ
 * (the JSON snapshots, the supervisors' audit query). */
extern const char *const stmt_sql[ST_COUNT_][DB_DIALECTS];
/* A table as copy.c copies it: its name as SQL spells it, its columns and their types (one
 * letter a column: i integer, r real, t text, b blob), the order of its rows, and whether
 * only a database that keeps files has it (db_ops.keeps_files). */
struct copy_table {
	const char *name, *cols, *types, *order;
	bool files;
};
extern const struct copy_table copy_tables[];
extern const size_t copy_ntables;
/* The text of text[] for dialect d: its own, or SQLite's when it has none. */
const char *sql_for(const char *const text[DB_DIALECTS], enum db_dialect d);

/* ---- store.c: the connection, transactions, statements and the typed row walk ---- */

/* The tree's right edge as the current write transaction sees it (tree.c). */
struct tree_edge {
	bool known; /* false: read it from the database at the next append */
	int64_t size;
	unsigned char edge[63][MC_MERKLE_HASH]; /* the subtree for each set bit of size */
};

struct mc_store {
	struct db *db;
	struct db_stmt *st[ST_COUNT_]; /* prepared on first use */
	int depth;		       /* open transactions: 0 or 1 */
	int64_t actor_id;	       /* who the writes are made by (0: system) */
	struct mc_buf before;	       /* the record as it was before the current write */
	struct tree_edge tree;	       /* forgotten when a write transaction begins */
	/* The audit trail's last entry as the current write transaction left it (audit.c):
	 * the next entry follows it without asking the database (a round trip an entry on
	 * PostgreSQL). Forgotten with the tree's edge; the insert trigger still checks. */
	struct {
		bool known;
		int64_t id;
		char hash[MC_AUTH_SHA256_LEN + 1];
	} head;
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
		mc_store_kiosk_feature_fn feature;
		mc_store_kiosk_slide_fn slide;
		mc_store_kiosk_notice_fn notice;
		mc_store_kiosk_screen_fn screen;
		mc_store_checkpoint_fn checkpoint;
		mc_store_cosignature_fn cosignature;
	} fn;
	void *ctx;
};

typedef enum mc_err (*row_fn)(struct db_stmt *st, const struct visit *v);

/* The cached statement id in *st, prepared on first use; on failure *st is NULL and a
 * statement missing from the table is MC_ERR_INTERNAL, never success. */
enum mc_err stmt(struct mc_store *s, enum stmt_id id, struct db_stmt **st);

/* The current time as the store writes it down: YYYY-MM-DDTHH:MM:SSZ, UTC. Computed here
 * rather than by each database's SQL, so that every backend writes the same. */
#define UTC_LEN 20
void utc_now(char out[UTC_LEN + 1]);

/* Resets a statement after use and clears its parameters. */
static inline void done(struct db_stmt *st)
{
	st->ops->reset(st);
}

/* Binds text, borrowed until the statement is reset; NULL or "" binds NULL. */
static inline void bind_text(struct db_stmt *st, int i, const char *v)
{
	if (!v || !*v)
		st->ops->bind_null(st, i);
	else
		st->ops->bind_text(st, i, v);
}

/* A text column, borrowed until the next step or reset; NULL when NULL or empty. */
static inline const char *col_text(struct db_stmt *st, int i)
{
	const char *v = st->ops->col_text(st, i);

	return v && *v ? v : NULL;
}

/* Steps a statement that returns no rows we need; resets it. */
enum mc_err exec_stmt(struct db_stmt *st);
/* Reads the first column of the first row as an id; MC_ERR_NOTFOUND without rows. */
enum mc_err query_id(struct db_stmt *st, int64_t *id);
/* Walks the rows of a bound statement through row(). With one set, no row is
 * MC_ERR_NOTFOUND. */
enum mc_err walk(struct db_stmt *st, row_fn row, const struct visit *v, bool one);
/* The first column of the one row of a statement without parameters. */
enum mc_err scalar(struct mc_store *s, enum stmt_id id, long long *out);
/* walk() over a statement whose ?1 is bound to an integer key (unused ?1 is harmless). */
enum mc_err walk_int(struct mc_store *s, enum stmt_id id, int64_t key, row_fn row,
		     const struct visit *v, bool one);
/* walk() over one page of a list: ?1 the integer key, ?2 at most limit rows, ?3 skipping
 * offset (MC_ERR_INVALID when either is negative). */
enum mc_err walk_page(struct mc_store *s, enum stmt_id id, int64_t key, long long limit,
		      long long offset, row_fn row, const struct visit *v);
/* The count a statement whose ?1 is bound to an integer key returns. */
enum mc_err count_int(struct mc_store *s, enum stmt_id id, int64_t key, long long *n);
/* walk() over a statement whose ?1 is bound to a text key. */
enum mc_err walk_text(struct mc_store *s, enum stmt_id id, const char *key, row_fn row,
		      const struct visit *v, bool one);

/* Prepares and fetches statement id into *st, or returns the error. */
#define PREPARE(s, id, st)                                                                         \
	do {                                                                                       \
		enum mc_err prepared_ = stmt((s), (id), &(st));                                    \
		if (prepared_ != MC_OK)                                                            \
			return prepared_;                                                          \
	} while (0)

/* ---- schema.c: the tables and their migrations (mc_store_migrate) ---- */

/* ---- audit.c: the audit trail and the audited writes ---- */

/* What the audit trail can name; each has its JSON snapshot in the statement table. */
enum entity {
	E_WARD,
	E_ANN,
	E_PROC,
	E_PERMIT,
	E_INSP,
	E_CODE,
	E_USER,
	E_FILE,
	E_REPORT,
	E_KIOSK_FEATURE,
	E_KIOSK_SLIDE,
	E_KIOSK_NOTICE,
	E_COUNT_
};

/* Opens a transaction unless the caller has one (then a nested part of it: see nest);
 * *owned says who must end it. Every tx_begin that succeeds is matched by one tx_end. */
enum mc_err tx_begin(struct mc_store *s, bool *owned);
/* Ends what tx_begin opened: commits when err is MC_OK, else rolls back; returns err or the
 * commit's failure. In a caller's transaction, keeps or undoes only this write. */
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
 * statement bound by bind and its parameter at_param (0: none) to the current time
 * (utc_now), one audit entry, and the new row's id in *id (may be NULL). */
enum mc_err audited_insert(struct mc_store *s, enum stmt_id sid,
			   void (*bind)(struct db_stmt *st, const void *rec), const void *rec,
			   int at_param, enum entity e, const char *action, int64_t *id);
/* Looks a record's id up by its natural key; *old is 0 when there is none. */
enum mc_err find_old(struct db_stmt *st, int64_t *old);
/* Finishes an upsert: steps the bound statement (an update of record old, or an insert that
 * returns the new id) and reports id and created (either may be NULL). */
enum mc_err finish_upsert(struct db_stmt *st, int64_t old, int64_t *id, bool *created);
/* The audited retire of a procedure or announcement (sid sets retired_at to ?2 for id ?1):
 * MC_ERR_NOTFOUND without the record, MC_ERR_GONE when it is retired already. */
enum mc_err retire(struct mc_store *s, enum stmt_id sid, enum entity e, int64_t id);
/* Reads an audit row (the columns of ST_AUDIT_EACH) for v->fn.audit. */
enum mc_err audit_row(struct db_stmt *st, const struct visit *v);

/* ---- audit_verify.c: verifying and exporting the chain (audit.h) ---- */

/* ---- the tables, one file each: the public functions of store.h, named after it ---- */

/* ---- ward.c: wards ---- */

/* ---- announcement.c: announcements ---- */

/* ---- procedure.c: procedures, their documents, the title search ---- */

/* ---- permit.c: permits, their inspections, their status moves ---- */

/* Reads a permit row (the columns of PERMIT_COLS) for v->fn.permit. */
enum mc_err permit_row(struct db_stmt *st, const struct visit *v);

/* ---- code.c: codes (the tokens printed as QR codes) ---- */

/* ---- user.c: staff users ---- */

/* Reads a user row (the columns of USER_COLS) for v->fn.user. */
enum mc_err user_row(struct db_stmt *st, const struct visit *v);

/* ---- session.c: sessions of signed-in users ---- */

/* ---- throttle.c: failed-login throttling ---- */

/* ---- setting.c: the per-database secret ---- */

/* ---- file.c: files attached to permits ---- */

/* ---- report.c: resident reports ---- */

/* Reads a report row (the columns of REPORT_COLS) for v->fn.report. */
enum mc_err report_row(struct db_stmt *st, const struct visit *v);

/* ---- scan.c: scan statistics ---- */

/* ---- the jobs across tables ---- */

/* ---- merge.c: merging one ward into another ---- */

/* ---- copy.c: copying a whole database into an empty one (mc_store_copy) ---- */

/* ---- backup.c: online backup, integrity check ---- */

/* ---- supervise.c: the supervision queries ---- */

/* ---- kiosk.c: the lobby kiosk's features, slides, urgent notices and heartbeats ---- */
/* ---- the public log (store/log.h) ---- */

/* ---- tree.c: the Merkle tree over the audit trail ---- */

/* Appends the leaf of entry id (its canonical bytes) and every subtree it completes. Called
 * by audit_insert in the entry's transaction; MC_ERR_INTERNAL when the tree does not end
 * at entry id - 1. Relies on s->tree being forgotten when a write transaction begins. */
enum mc_err tree_append(struct mc_store *s, int64_t id, const void *canon, size_t len);
/* Appends the leaves of the entries the tree does not have yet (a database migrated from
 * before the tree). Inside the migration's transaction. */
enum mc_err tree_backfill(struct mc_store *s);

/* ---- checkpoint.c: the signed checkpoints and their cosignatures ---- */

#endif
