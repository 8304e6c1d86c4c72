#ifndef MOTCHAM_STORE_H
#define MOTCHAM_STORE_H

/* The storage module: the only place that knows SQL. Everything else sees typed records.
 *
 * Reading uses callbacks: a record's strings are borrowed from the database and valid only during
 * the callback (copy what you keep). A callback returning anything but MC_OK stops the walk
 * and that value is returned. A callback may call other store functions, but not the one it
 * is called from (each function reuses one prepared statement). Optional text fields are NULL when
 * empty. Getters for one record return MC_ERR_NOTFOUND when there is none (and do not call back).
 *
 * Writing takes caller-owned records; text must already be valid NFC UTF-8 (import and the
 * forms normalise it). Write functions do not open transactions of their own unless said:
 * wrap several in mc_store_begin/commit for all-or-nothing. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"
#include "motcham/base/token.h"
#include "motcham/domain/permit.h"

struct mc_store;

enum mc_store_flags {
	MC_STORE_READONLY = 1 << 0, /* open read-only (server workers) */
	MC_STORE_CREATE = 1 << 1,   /* create the file if missing */
};

/* The target kinds a code may point to, as stored: "ward", "announcement", "procedure",
 * "permit". */
#define MC_KIND_WARD "ward"
#define MC_KIND_ANNOUNCEMENT "announcement"
#define MC_KIND_PROCEDURE "procedure"
#define MC_KIND_PERMIT "permit"

struct mc_ward {
	int64_t id;
	const char *slug; /* [a-z0-9-]{1,64} */
	const char *name; /* "Phường 7, Quận 8" */
	const char *address;
	const char *phone;
	const char *hours; /* office hours, free text, may have several lines */
	const char *intro;
	int64_t merged_into; /* 0 when the ward stands on its own */
	bool sample;	     /* demo data, shown with a banner */
};

struct mc_announcement {
	int64_t id;
	int64_t ward_id;
	const char *title;
	const char *body;
	const char *published_on; /* YYYY-MM-DD */
	const char *expires_on;	  /* YYYY-MM-DD or NULL */
	const char *updated_at;	  /* YYYY-MM-DD, set by the store on write */
	const char *retired_at;	  /* YYYY-MM-DD when retired (read only), else NULL */
};

enum mc_doc_kind {
	MC_DOC_PAPER = 0, /* a paper the resident brings (giấy tờ) */
	MC_DOC_FORM = 1,  /* a form the resident fills in (mẫu đơn, tờ khai) */
};

struct mc_document {
	enum mc_doc_kind kind;
	const char *name;
	int originals; /* bản chính */
	int copies;    /* bản sao */
};

struct mc_procedure {
	int64_t id;
	int64_t ward_id;
	const char *tthc_code; /* mã TTHC, e.g. "1.001193"; unique within a ward */
	const char *title;
	const char *field; /* lĩnh vực */
	const char *level; /* cấp thực hiện */
	const char *steps; /* trình tự thực hiện: one step per line */
	const char *ways;  /* cách thức thực hiện: in person / online / by post, free text */
	const char *place; /* where to submit */
	const char *who;   /* đối tượng thực hiện */
	const char *conditions;	 /* yêu cầu, điều kiện */
	const char *duration;	 /* thời hạn giải quyết */
	const char *fees;	 /* phí, lệ phí */
	const char *office;	 /* cơ quan giải quyết */
	const char *result;	 /* kết quả */
	const char *legal_basis; /* căn cứ pháp lý, one per line */
	const char *online_url;	 /* online submission link or NULL */
	const char *updated_at;	 /* YYYY-MM-DD, set by the store on write */
	const char *retired_at;	 /* YYYY-MM-DD when retired (read only), else NULL */
};

struct mc_permit {
	int64_t id;
	int64_t ward_id;
	const char *number; /* unique, e.g. "15/GPSC-UBND" */
	const char *kind;   /* MC_PERMIT_* */
	const char *address;
	const char *owner_name; /* full name; never shown unmasked on public pages */
	const char *scope;	/* description of the work */
	int floors;
	double area_m2;
	double height_m;
	const char *contractor;
	const char *office;    /* issuing office */
	const char *issued_on; /* YYYY-MM-DD */
	const char *starts_on; /* YYYY-MM-DD */
	const char *ends_on;   /* YYYY-MM-DD */
	const char *status;    /* MC_STATUS_* */
	const char *status_reason;
	const char *updated_at;
};

struct mc_inspection {
	int64_t id;
	int64_t permit_id;
	const char *on_date; /* YYYY-MM-DD */
	const char *inspector;
	const char *result;
	const char *note;
};

struct mc_code {
	int64_t id;
	const char *token;	 /* canonical, MC_TOKEN_LEN characters */
	const char *target_kind; /* MC_KIND_* */
	int64_t target_id;
	const char *created_at;	 /* ISO-8601 UTC timestamp */
	const char *revoked_at;	 /* NULL while active */
	const char *replaced_by; /* token of the replacement code, or NULL */
	const char *title;	 /* the target's title (ward name, permit number, ...) */
	int64_t ward_id;	 /* the target's ward */
};

typedef enum mc_err (*mc_store_ward_fn)(void *ctx, const struct mc_ward *w);
typedef enum mc_err (*mc_store_announcement_fn)(void *ctx, const struct mc_announcement *a);
typedef enum mc_err (*mc_store_procedure_fn)(void *ctx, const struct mc_procedure *p);
typedef enum mc_err (*mc_store_document_fn)(void *ctx, const struct mc_document *d);
typedef enum mc_err (*mc_store_permit_fn)(void *ctx, const struct mc_permit *p);
typedef enum mc_err (*mc_store_inspection_fn)(void *ctx, const struct mc_inspection *i);
typedef enum mc_err (*mc_store_code_fn)(void *ctx, const struct mc_code *c);

/* Whether path names a PostgreSQL database: a postgresql:// or postgres:// URL, or a libpq
 * key=value string ("host=db1 dbname=motcham"). Anything else is a SQLite file. */
bool mc_store_is_pg(const char *path);
/* Copies path into out[n] for messages and logs, with any password in it replaced by
 * "***". */
void mc_store_redact(const char *path, char *out, size_t n);

/* Opens the database at path (flags: enum mc_store_flags). A SQLite file gets foreign keys
 * on and a busy timeout, and a read-write handle turns on WAL; MC_STORE_CREATE makes a
 * missing file. A PostgreSQL database must exist; MC_STORE_READONLY makes every
 * transaction read-only (a hot standby is fine), and a lost connection is made again by
 * itself on a later call. Does not create tables: see migrate. *out is owned by the caller
 * (mc_store_destroy). MC_ERR_IO (cannot open or connect), MC_ERR_NOTFOUND (no such file
 * or database), MC_ERR_DB on failure, *out NULL. */
enum mc_err mc_store_open(const char *path, unsigned flags, struct mc_store **out);
/* mc_store_open, and on failure the database's own words for why appended to why (may be
 * NULL; nothing appended when it has none). */
enum mc_err mc_store_open_why(const char *path, unsigned flags, struct mc_store **out,
			      struct mc_buf *why);
/* Finalizes every statement and closes the connection. Accepts NULL. */
void mc_store_destroy(struct mc_store *s);
/* The last error message of the database on this connection, for diagnostics; never
 * NULL. */
const char *mc_store_errmsg(struct mc_store *s);
/* The kind of database: "sqlite" or "postgresql". */
const char *mc_store_backend(const struct mc_store *s);
/* Whether uploaded files' content is kept in the database (PostgreSQL: every node of a
 * many-node set-up reaches it; see mc_store_blob_put) rather than in a directory beside it
 * (SQLite). */
bool mc_store_keeps_files(const struct mc_store *s);
/* How often, in milliseconds, a cache may usefully ask mc_store_data_version on this
 * connection: what asking costs (SQLite: 1, a look at shared memory; PostgreSQL: 0, a look
 * at the socket, where the server tells of commits; 100 on a hot standby, a round trip). */
unsigned mc_store_poll_ms(const struct mc_store *s);
/* Sets how long, in milliseconds, a write transaction on s waits for the write lock that
 * another connection (or process, or node) holds before it fails with MC_ERR_BUSY; 5000
 * until set. Kept across the reconnections of a PostgreSQL connection. */
void mc_store_set_wait(struct mc_store *s, unsigned ms);

/* Creates or upgrades the schema to the current version (PRAGMA user_version), in one
 * transaction. Returns MC_ERR_DB on failure (nothing changed). */
enum mc_err mc_store_migrate(struct mc_store *s);
/* The schema version this build expects; mc_store_migrate brings a database to it. */
int mc_store_schema_version(void);
/* Reads the database's schema version into *version. */
enum mc_err mc_store_version(struct mc_store *s, int *version);

/* A number that changes when another connection has committed: SQLite's PRAGMA
 * data_version (anything committed); on PostgreSQL the commits that changed a record, as
 * the server tells a read-only connection of them (LISTEN), or on a hot standby, which
 * cannot, the content version. */
enum mc_err mc_store_data_version(struct mc_store *s, long long *v);
/* A number that changes whenever a record (not a scan count) changes: caches of rendered
 * pages compare it to know when to drop what they hold. */
enum mc_err mc_store_content_version(struct mc_store *s, long long *v);

/* A read transaction: everything read until mc_store_read_end sees one snapshot, and the
 * file locks are taken once instead of once per statement. */
enum mc_err mc_store_read_begin(struct mc_store *s);
/* Ends the read transaction, if one is open. */
void mc_store_read_end(struct mc_store *s);

/* Transactions: begin takes the database's one write lock at once (SQLite: BEGIN IMMEDIATE;
 * PostgreSQL: an advisory lock), so write transactions on every connection, process and
 * machine take turns: the audit chain is appended by one at a time. */
enum mc_err mc_store_begin(struct mc_store *s);
enum mc_err mc_store_commit(struct mc_store *s);
/* Rolls back if a transaction is open; safe to call on any error path. */
void mc_store_rollback(struct mc_store *s);

/* Wards. upsert inserts or updates by slug and writes the row id to *id (may be NULL). */
enum mc_err mc_store_ward_upsert(struct mc_store *s, const struct mc_ward *w, int64_t *id);
enum mc_err mc_store_ward_by_slug(struct mc_store *s, const char *slug, mc_store_ward_fn fn,
				  void *ctx);
enum mc_err mc_store_ward_by_id(struct mc_store *s, int64_t id, mc_store_ward_fn fn, void *ctx);
/* Every ward that has not been merged into another, by name. */
enum mc_err mc_store_ward_each(struct mc_store *s, mc_store_ward_fn fn, void *ctx);

/* Announcements. upsert inserts or updates by (ward_id, title); with a->id set it updates that
 * record, title included (MC_ERR_EXISTS when another one has the new title, MC_ERR_NOTFOUND
 * when there is no such record). */
enum mc_err mc_store_announcement_upsert(struct mc_store *s, const struct mc_announcement *a,
					 int64_t *id, bool *created);
enum mc_err mc_store_announcement_get(struct mc_store *s, int64_t id, mc_store_announcement_fn fn,
				      void *ctx);
/* Every announcement of a ward, retired ones too, newest first. */
enum mc_err mc_store_announcement_each(struct mc_store *s, int64_t ward_id,
				       mc_store_announcement_fn fn, void *ctx);
/* One page of that order for the staff lists: at most limit from offset (MC_ERR_INVALID when
 * negative); and how many there are. */
enum mc_err mc_store_announcement_page(struct mc_store *s, int64_t ward_id, long long limit,
				       long long offset, mc_store_announcement_fn fn, void *ctx);
enum mc_err mc_store_announcement_count(struct mc_store *s, int64_t ward_id, long long *n);
/* Announcements of a ward published on or before today, not expired before today and not
 * retired, newest first. */
enum mc_err mc_store_announcement_each_current(struct mc_store *s, int64_t ward_id,
					       const char *today, mc_store_announcement_fn fn,
					       void *ctx);

/* Procedures. upsert inserts or updates by (ward_id, tthc_code) (by p->id when set, mã TTHC
 * included, as for announcements), replaces the document list
 * with docs[0..ndocs), keeps the search key up to date, and reports the row id and whether it
 * was created (either pointer may be NULL). */
enum mc_err mc_store_procedure_upsert(struct mc_store *s, const struct mc_procedure *p,
				      const struct mc_document *docs, size_t ndocs, int64_t *id,
				      bool *created);
enum mc_err mc_store_procedure_get(struct mc_store *s, int64_t id, mc_store_procedure_fn fn,
				   void *ctx);
/* The procedure's documents in order: papers and forms as one list, each with its kind. */
enum mc_err mc_store_procedure_documents(struct mc_store *s, int64_t procedure_id,
					 mc_store_document_fn fn, void *ctx);
/* Every procedure of a ward still in use, by field then title; _all adds retired ones. */
enum mc_err mc_store_procedure_each(struct mc_store *s, int64_t ward_id, mc_store_procedure_fn fn,
				    void *ctx);
enum mc_err mc_store_procedure_each_all(struct mc_store *s, int64_t ward_id,
					mc_store_procedure_fn fn, void *ctx);
/* One page of _all's order for the staff lists: at most limit from offset (MC_ERR_INVALID
 * when negative); and how many there are, retired ones too. */
enum mc_err mc_store_procedure_page(struct mc_store *s, int64_t ward_id, long long limit,
				    long long offset, mc_store_procedure_fn fn, void *ctx);
enum mc_err mc_store_procedure_count(struct mc_store *s, int64_t ward_id, long long *n);
/* Procedures of a ward in use whose folded title contains the words of folded_query in order
 * (see mc_utf8_fold), at most limit of them, by title. */
enum mc_err mc_store_procedure_search(struct mc_store *s, int64_t ward_id, const char *folded_query,
				      int limit, mc_store_procedure_fn fn, void *ctx);

/* Permits. upsert inserts or updates by number (by p->id when set, number included; as for
 * announcements). */
enum mc_err mc_store_permit_upsert(struct mc_store *s, const struct mc_permit *p, int64_t *id,
				   bool *created);
enum mc_err mc_store_permit_get(struct mc_store *s, int64_t id, mc_store_permit_fn fn, void *ctx);
/* Every permit of a ward, newest issue date first. */
enum mc_err mc_store_permit_each(struct mc_store *s, int64_t ward_id, mc_store_permit_fn fn,
				 void *ctx);
/* One page of that order for the staff lists: at most limit from offset (MC_ERR_INVALID when
 * negative); and how many there are. */
enum mc_err mc_store_permit_page(struct mc_store *s, int64_t ward_id, long long limit,
				 long long offset, mc_store_permit_fn fn, void *ctx);
enum mc_err mc_store_permit_count(struct mc_store *s, int64_t ward_id, long long *n);
/* Inserts or updates by (permit_id, on_date, inspector). */
enum mc_err mc_store_inspection_upsert(struct mc_store *s, const struct mc_inspection *i,
				       int64_t *id, bool *created);
/* The id of the permit with this number. */
enum mc_err mc_store_permit_id(struct mc_store *s, const char *number, int64_t *id);
/* The id of the ward with this slug. */
enum mc_err mc_store_ward_id(struct mc_store *s, const char *slug, int64_t *id);
/* How many wards stand on their own (not merged). */
enum mc_err mc_store_ward_count(struct mc_store *s, int *n);
/* A permit's inspections, oldest first. */
enum mc_err mc_store_permit_inspections(struct mc_store *s, int64_t permit_id,
					mc_store_inspection_fn fn, void *ctx);

/* Codes. create makes a new random token for the target (retrying on the rare collision)
 * and writes it to token. MC_ERR_NOTFOUND if the target does not exist. */
enum mc_err mc_store_code_create(struct mc_store *s, const char *kind, int64_t target_id,
				 char token[MC_TOKEN_LEN + 1]);
/* Like create, but returns the target's active code when it already has one. */
enum mc_err mc_store_code_ensure(struct mc_store *s, const char *kind, int64_t target_id,
				 char token[MC_TOKEN_LEN + 1], bool *created);
/* Like create, with the token given (canonical, from mc_token_make or typed and normalised):
 * MC_ERR_EXISTS when a code has it already. */
enum mc_err mc_store_code_create_as(struct mc_store *s, const char *kind, int64_t target_id,
				    const char *token);
/* The code with this canonical token, active or revoked. */
enum mc_err mc_store_code_get(struct mc_store *s, const char *token, mc_store_code_fn fn,
			      void *ctx);
/* The newest active code of a target. */
enum mc_err mc_store_code_for_target(struct mc_store *s, const char *kind, int64_t target_id,
				     mc_store_code_fn fn, void *ctx);
/* Every code of a target, active and revoked, newest first. */
enum mc_err mc_store_code_history(struct mc_store *s, const char *kind, int64_t target_id,
				  mc_store_code_fn fn, void *ctx);
/* Every active code, or those of one kind (kind NULL for all), by kind then id. */
enum mc_err mc_store_code_each(struct mc_store *s, const char *kind, mc_store_code_fn fn,
			       void *ctx);
/* Revokes an active code, optionally naming an active replacement. MC_ERR_NOTFOUND for an
 * unknown token or replacement, MC_ERR_GONE if it is already revoked, MC_ERR_INVALID if the
 * replacement is the code itself or revoked. */
enum mc_err mc_store_code_revoke(struct mc_store *s, const char *token, const char *replacement);
/* Puts a revoked code back in use, when it was revoked at since (UTC, as utc times are
 * stored: "YYYY-MM-DDTHH:MM:SSZ") or later; its replacement stays in use too. Audited (code,
 * "restore"). MC_ERR_NOTFOUND for an unknown token, MC_ERR_INVALID for a code in use,
 * MC_ERR_GONE for one revoked before since. */
enum mc_err mc_store_code_restore(struct mc_store *s, const char *token, const char *since);

/* ---- Staff, audit, files and reports (schema version 2) ----
 *
 * Every write function in this header appends exactly one audit entry (when, who, which
 * record, action, the record's fields before and after as JSON) in the same transaction as
 * the write: inside the caller's transaction when one is open, else in one of its own.
 * Audit entries form a SHA-256 chain (each entry hashes its own canonical content and the
 * hash of the entry before it) and are never updated or deleted by the application. */

#define MC_ROLE_STAFF "staff"
#define MC_ROLE_SUPERVISOR "supervisor"
#define MC_ROLE_ADMIN "admin"

/* Who the following writes on this connection are made by: a user id (0 for the system or
 * the command line) and a label such as "cli" or the user's name. Copied. */
enum mc_err mc_store_set_actor(struct mc_store *s, int64_t user_id, const char *label);

struct mc_user {
	int64_t id;
	const char *name;
	const char *role;    /* MC_ROLE_* */
	int64_t ward_id;     /* 0 when the user is not tied to one ward */
	const char *pw_hash; /* Argon2id string */
	const char *disabled_at;
	const char *created_at;
};
typedef enum mc_err (*mc_store_user_fn)(void *ctx, const struct mc_user *u);

/* Creates a user. MC_ERR_EXISTS when the name is taken. */
enum mc_err mc_store_user_add(struct mc_store *s, const struct mc_user *u, int64_t *id);
enum mc_err mc_store_user_by_name(struct mc_store *s, const char *name, mc_store_user_fn fn,
				  void *ctx);
enum mc_err mc_store_user_by_id(struct mc_store *s, int64_t id, mc_store_user_fn fn, void *ctx);
enum mc_err mc_store_user_each(struct mc_store *s, mc_store_user_fn fn, void *ctx);
/* Disables a user and ends their sessions. MC_ERR_NOTFOUND, MC_ERR_GONE if already. */
enum mc_err mc_store_user_disable(struct mc_store *s, const char *name);

/* Sessions are kept by the SHA-256 of their cookie token; now and expires are Unix times. */
enum mc_err mc_store_session_add(struct mc_store *s, const char *token_hash, int64_t user_id,
				 const char *csrf, long long now, long long expires);
/* The user of a live session (not expired at now, used after seen_after, user not
 * disabled) and its CSRF token, copied into csrf[65]; a session last marked as used a minute
 * or more before now is marked as used at now. MC_ERR_NOTFOUND otherwise. */
enum mc_err mc_store_session_get(struct mc_store *s, const char *token_hash, long long now,
				 long long seen_after, mc_store_user_fn fn, void *ctx,
				 char csrf[65]);
/* Ends one session, and with it every session expired at now or not used after
 * seen_after. */
enum mc_err mc_store_session_end(struct mc_store *s, const char *token_hash, long long now,
				 long long seen_after);
/* Sets a user's password hash and ends every session of theirs but keep_session (a token
 * hash; NULL: all). Audited (user, "password"; the hash is in no snapshot). MC_ERR_NOTFOUND
 * for an unknown id. */
enum mc_err mc_store_user_set_password(struct mc_store *s, int64_t id, const char *pw_hash,
				       const char *keep_session);

/* Throttling of failed attempts by key (an account name, a client key, both ...). */
struct mc_throttle_rule {
	int max;	    /* failures within window seconds that lock the key */
	long long window;   /* seconds a count lasts from its first failure */
	long long lock;	    /* seconds of the first lock; each next one lasts twice as long ... */
	long long lock_max; /* ... up to this (lock: every lock the same) */
};
/* A key's count after a failure: failures in the window (0 right after a lock), the locks so
 * far (forgotten a day after the last one ended), the lock's end (Unix time, 0: never), and
 * whether this failure locked it. */
struct mc_throttle {
	int failures, locks;
	long long locked_until;
	bool locked_now;
};
/* failures counts the failures of the last hour; locked_until is a Unix time (0: not
 * locked). */
enum mc_err mc_store_throttle_get(struct mc_store *s, const char *key, long long now, int *failures,
				  long long *locked_until);
/* Counts a failure of key at now by rule (see above), in one transaction (the caller's when
 * one is open); *out (may be NULL) gets the count after it. */
enum mc_err mc_store_throttle_fail(struct mc_store *s, const char *key, long long now,
				   const struct mc_throttle_rule *rule, struct mc_throttle *out);
enum mc_err mc_store_throttle_clear(struct mc_store *s, const char *key);

/* A per-database random secret (hex), made at migration: keys clients without storing
 * their address. */
enum mc_err mc_store_secret(struct mc_store *s, char out[65]);

/* Status moves, checked against mc_permit_can_move; MC_ERR_INVALID for a move the rules
 * do not allow or a missing reason. */
enum mc_err mc_store_permit_set_status(struct mc_store *s, int64_t permit_id, const char *status,
				       const char *reason);
/* Retires (hides from public lists) a procedure or announcement; its page says so. */
enum mc_err mc_store_procedure_retire(struct mc_store *s, int64_t id);
enum mc_err mc_store_announcement_retire(struct mc_store *s, int64_t id);

struct mc_file {
	int64_t id;
	int64_t permit_id;
	const char *sha256; /* hex; the file lives on disk under this name */
	const char *mime;   /* application/pdf, image/jpeg, image/png */
	long long size;
	const char *name; /* the name it was uploaded with, for display */
	bool public;
	const char *created_at;
};
typedef enum mc_err (*mc_store_file_fn)(void *ctx, const struct mc_file *f);
enum mc_err mc_store_file_add(struct mc_store *s, const struct mc_file *f, int64_t *id);
enum mc_err mc_store_file_each(struct mc_store *s, int64_t permit_id, bool public_only,
			       mc_store_file_fn fn, void *ctx);
/* The file with this hash attached to any permit (public_only: only public ones). */
enum mc_err mc_store_file_by_hash(struct mc_store *s, const char *sha256, bool public_only,
				  mc_store_file_fn fn, void *ctx);
typedef enum mc_err (*mc_store_hash_fn)(void *ctx, const char *sha256);
/* The bytes the files of a ward's permits and its residents' photos take (*bytes). */
enum mc_err mc_store_upload_bytes(struct mc_store *s, int64_t ward_id, long long *bytes);
/* Every content hash the records name (files attached to permits, residents' photos), once
 * each, in byte order. */
enum mc_err mc_store_file_hashes(struct mc_store *s, mc_store_hash_fn fn, void *ctx);
/* Where the database keeps files (mc_store_keeps_files): stores data under sha256, its
 * SHA-256 (hex); content already stored under it is kept. Not audited (the file record is),
 * and part of the caller's transaction when one is open, so a file and its record are
 * written together or not at all. MC_ERR_INVALID where the database keeps no files. */
enum mc_err mc_store_blob_put(struct mc_store *s, const char *sha256, const void *data, size_t len);
/* Appends the content stored under sha256 to out. MC_ERR_NOTFOUND when there is none,
 * MC_ERR_TOOBIG when out would pass max bytes, MC_ERR_INVALID where the database keeps no
 * files. */
enum mc_err mc_store_blob_get(struct mc_store *s, const char *sha256, size_t max,
			      struct mc_buf *out);
/* The length of the content stored under sha256 (*size), or as mc_store_blob_get fails. */
enum mc_err mc_store_blob_size(struct mc_store *s, const char *sha256, long long *size);
typedef enum mc_err (*mc_store_piece_fn)(void *ctx, const void *data, size_t len);
/* As mc_store_blob_get, but to fn in order, in pieces of at most 256 KiB (borrowed) read by a
 * query each, so no snapshot: check the hash. MC_ERR_CHECK: a piece short; fn's error stops. */
enum mc_err mc_store_blob_read(struct mc_store *s, const char *sha256, size_t max,
			       mc_store_piece_fn fn, void *ctx);

struct mc_report {
	int64_t id;
	const char *ref; /* reference number given to the resident */
	int64_t permit_id;
	const char *category; /* beyond_permit, after_expiry, no_notice, unsafe, other */
	const char *description;
	const char *contact;	  /* optional */
	const char *photo_sha256; /* optional */
	const char *photo_mime;
	const char *client_key; /* keyed hash of the client address, never the address */
	const char *created_at;
	const char *reviewed_at;
	const char *review_note; /* the staff's internal note, never shown to residents */
	int64_t ward_id;	 /* the permit's ward (read only) */
	/* The follow-up the resident sees at /r/REF (schema version 4): when staff took the
	 * report up, and the ward's public reply with when it was last written. */
	const char *opened_at;
	const char *public_reply;
	const char *replied_at;
	/* Schema version 8: the photo's bytes (0: none, or not known), and when the resident's
	 * words were erased (description and contact are then NULL, and so is the photo). */
	long long photo_size;
	const char *erased_at;
};
typedef enum mc_err (*mc_store_report_fn)(void *ctx, const struct mc_report *r);
/* Adds a report. The resident's own words (description, contact) are sealed (libsodium
 * secretbox) with a key of the report's own, kept apart from it and its audit entries, which
 * hold only the sealed text; a reader of the report gets them back as they were. */
enum mc_err mc_store_report_add(struct mc_store *s, const struct mc_report *r, int64_t *id);
/* Erases the resident's words and photo from report id on request, in one audited write:
 * its key is deleted (so no copy of the sealed text, in the report or the audit trail, can
 * be read again), the photo dropped, erased_at set. photo[65] gets the photo's hash when no
 * record names that content any more ("" otherwise): the database's copy is gone, a file of
 * that name beside a SQLite database is the caller's to remove. MC_ERR_NOTFOUND without the
 * report, MC_ERR_GONE when it was erased already. Runs in a transaction of its own. */
enum mc_err mc_store_report_erase(struct mc_store *s, int64_t id, char photo[65]);
/* Whether text is a report's sealed words (as an audit entry holds them). */
bool mc_store_report_sealed(const char *text);
/* How many reports this client made since the given UTC timestamp. */
enum mc_err mc_store_report_count_since(struct mc_store *s, const char *client_key,
					const char *since, int *n);
/* Reports of a ward (ward_id 0: all), open ones first, oldest first. */
enum mc_err mc_store_report_each(struct mc_store *s, int64_t ward_id, mc_store_report_fn fn,
				 void *ctx);
/* Marks report id reviewed now with the internal note (NULL: none). MC_ERR_NOTFOUND for no
 * such report, MC_ERR_GONE when it was reviewed already. */
enum mc_err mc_store_report_review(struct mc_store *s, int64_t id, const char *note);
/* What staff write on a report in one audited write: the report counts as being reviewed
 * from the first answer on; reply (NULL or "": none) replaces the public reply and note the
 * internal note; done also marks it reviewed (action "review", else "reply"). A reviewed
 * report may still get its reply corrected, but not be reviewed again: MC_ERR_GONE.
 * MC_ERR_NOTFOUND for no such report. */
enum mc_err mc_store_report_answer(struct mc_store *s, int64_t id, const char *reply,
				   const char *note, bool done);
/* Report id, MC_ERR_NOTFOUND without. */
enum mc_err mc_store_report_get(struct mc_store *s, int64_t id, mc_store_report_fn fn, void *ctx);
/* The report with reference ref (as stored, e.g. "PA-7K3M9QXR"), MC_ERR_NOTFOUND without. */
enum mc_err mc_store_report_by_ref(struct mc_store *s, const char *ref, mc_store_report_fn fn,
				   void *ctx);

struct mc_audit {
	int64_t id;
	const char *at;
	int64_t actor_id;
	const char *actor;
	const char *entity;
	int64_t entity_id;
	const char *action;
	const char *before; /* JSON object or NULL */
	const char *after;  /* JSON object or NULL */
	const char *prev_hash;
	const char *hash;
};
typedef enum mc_err (*mc_store_audit_fn)(void *ctx, const struct mc_audit *a);
/* Audit entries in chain order (id ascending), from id > after_id; entity NULL for all, or
 * one record's entries (entity + entity_id). */
enum mc_err mc_store_audit_each(struct mc_store *s, int64_t after_id, const char *entity,
				int64_t entity_id, mc_store_audit_fn fn, void *ctx);
/* Number of audit entries. */
enum mc_err mc_store_audit_count(struct mc_store *s, long long *n);
/* Writes the canonical content an entry's hash is taken over into out. */
enum mc_err mc_store_audit_canonical(const struct mc_audit *a, struct mc_buf *out);

/* ---- Scan statistics (schema version 3): counts only, nothing about who scanned ---- */

/* Adds n scans of a code on a ward-local day (YYYY-MM-DD). Not audited. */
enum mc_err mc_store_scan_add(struct mc_store *s, int64_t code_id, const char *day, long long n);
/* Adds n scans of a token that does not exist ("unknown") or was mistyped ("mistyped"). */
enum mc_err mc_store_scan_miss_add(struct mc_store *s, const char *day, const char *reason,
				   long long n);

struct mc_scan_count {
	const char *token;
	const char *kind;
	const char *title;
	int64_t target_id;
	long long count;
};
typedef enum mc_err (*mc_store_scan_fn)(void *ctx, const struct mc_scan_count *c);
/* The most scanned codes since day `since` (inclusive), of one kind (NULL: all) and one ward
 * (0: all), most scanned first, at most limit. */
enum mc_err mc_store_scan_top(struct mc_store *s, int64_t ward_id, const char *since,
			      const char *kind, int limit, mc_store_scan_fn fn, void *ctx);
/* Scans of unknown or mistyped codes since day `since`. */
enum mc_err mc_store_scan_miss_count(struct mc_store *s, const char *since, const char *reason,
				     long long *n);
/* All scans ever counted for a code (code_id 0: for every code). */
enum mc_err mc_store_scan_total(struct mc_store *s, int64_t code_id, long long *n);
/* ---- Wards merge; backups ---- */

struct mc_merge_stats {
	int64_t from_id;
	long permits, procedures, announcements, users; /* moved */
};
/* Moves every record of ward from into ward into, in one transaction with an audit entry
 * per moved record, and marks from as merged (its codes keep resolving). Procedures and
 * announcements whose key (mã TTHC, title) the other ward already uses stay with the old
 * ward, still reachable by their codes. MC_ERR_NOTFOUND for an unknown slug, MC_ERR_GONE when
 * from was merged already, MC_ERR_INVALID for a ward into itself or into a merged ward. */
enum mc_err mc_store_ward_merge(struct mc_store *s, const char *from_slug, const char *into_slug,
				struct mc_merge_stats *stats);
/* Copies the live database to a new SQLite file at path while other connections keep reading
 * and writing: with SQLite's online backup API; from PostgreSQL, every record of one
 * snapshot (mc_store_copy; the uploaded files' content is not part of it: see
 * mc_store_file_hashes). */
enum mc_err mc_store_backup(struct mc_store *s, const char *path);
/* Copies every record of from into to, which must have the current schema (mc_store_migrate)
 * and hold no record (MC_ERR_EXISTS otherwise; the secret migrate made is replaced): every
 * table's rows as they are, ids, codes, sessions, the secret and the audit chain byte for
 * byte. from is read in one snapshot; to is written in one transaction (the caller's when
 * one is open: then uploaded files can join it, see mc_store_file_hashes). Files' content
 * is copied only between two databases that keep it. *rows (may be NULL) gets the rows
 * copied. */
enum mc_err mc_store_copy(struct mc_store *from, struct mc_store *to, long long *rows);
/* Runs PRAGMA integrity_check; *ok tells whether it said "ok". PostgreSQL checks its pages
 * itself: *ok says it counted no checksum failure in this database. */
enum mc_err mc_store_integrity(struct mc_store *s, bool *ok);

/* ---- supervision queries ---- */

/* The lists of the supervisor dashboard. */
enum mc_sup_list {
	MC_SUP_ALL = 0,	     /* every permit, newest issue date first */
	MC_SUP_OVERDUE = 1,  /* open status, ends_on before today; earliest end first */
	MC_SUP_EXPIRING = 2, /* open status, ends_on from today to soon; earliest end first */
	MC_SUP_HALTED = 3,   /* suspended or revoked; latest change first */
	MC_SUP_REPORTED = 4, /* with unreviewed resident reports; oldest report first */
};

struct mc_sup_filter {
	enum mc_sup_list list;
	int64_t ward_id;    /* 0: every ward */
	const char *status; /* MC_STATUS_* or NULL for any */
	bool by_end;	    /* the date range applies to ends_on instead of issued_on */
	const char *from;   /* YYYY-MM-DD or NULL, inclusive */
	const char *to;	    /* YYYY-MM-DD or NULL, inclusive */
	const char *today;  /* YYYY-MM-DD, ward-local */
	const char *soon;   /* YYYY-MM-DD: the last day counted as expiring soon */
};

struct mc_sup_permit {
	struct mc_permit permit;
	const char *ward_slug;
	const char *ward_name;
	long long open_reports;
	const char *oldest_report; /* created_at of the oldest unreviewed report, or NULL */
};
typedef enum mc_err (*mc_store_sup_permit_fn)(void *ctx, const struct mc_sup_permit *p);

/* The permits of a list that pass the filter, at most limit from offset, in the list's
 * order. */
enum mc_err mc_store_sup_permits(struct mc_store *s, const struct mc_sup_filter *f, int limit,
				 long long offset, mc_store_sup_permit_fn fn, void *ctx);
/* How many permits the same filter lets through. */
enum mc_err mc_store_sup_permit_count(struct mc_store *s, const struct mc_sup_filter *f,
				      long long *n);

struct mc_sup_ward {
	int64_t ward_id;
	const char *slug;
	const char *name;
	long long total;
	long long by_status[5]; /* issued, in_progress, suspended, revoked, completed */
	long long overdue, expiring, reported; /* as the lists of enum mc_sup_list count them */
};
typedef enum mc_err (*mc_store_sup_ward_fn)(void *ctx, const struct mc_sup_ward *w);
/* Permit counts of every ward that stands on its own (ward_id 0) or of one, by name. */
enum mc_err mc_store_sup_wards(struct mc_store *s, int64_t ward_id, const char *today,
			       const char *soon, mc_store_sup_ward_fn fn, void *ctx);

/* An audit entry on a page that shows entries as history, checked first (audit.h,
 * mc_audit_check_entry, against the stored hash of the entry before it and its stored leaf):
 * why is NULL when it verifies; otherwise it says what did not match, and a holds the
 * entry's id and nothing else (every other field NULL or 0), so that no forged value can
 * reach the page. */
typedef enum mc_err (*mc_store_checked_fn)(void *ctx, const struct mc_audit *a, const char *why);
/* Audit entries about a permit or the records that hang off it (its codes, files,
 * inspections and reports), in chain order, each checked (mc_store_checked_fn) in the one
 * query that reads them. */
enum mc_err mc_store_sup_permit_audit(struct mc_store *s, int64_t permit_id, mc_store_checked_fn fn,
				      void *ctx);
/* Audit entry id alone, checked as a permit's history is (mc_store_checked_fn): for a page
 * that hands out one entry. MC_ERR_NOTFOUND when there is none. */
enum mc_err mc_store_sup_audit_entry(struct mc_store *s, int64_t id, mc_store_checked_fn fn,
				     void *ctx);
/* Every resident report about a permit, reviewed or not, oldest first. */
enum mc_err mc_store_sup_permit_reports(struct mc_store *s, int64_t permit_id,
					mc_store_report_fn fn, void *ctx);

#endif
