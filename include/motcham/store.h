#ifndef MOTCHAM_STORE_H
#define MOTCHAM_STORE_H

/* The storage module: the only place that knows SQL. Everything else sees typed records.
 *
 * Reading uses callbacks: a record's strings are borrowed from SQLite and valid only during
 * the callback (copy what you keep). A callback returning anything but MC_OK stops the walk
 * and that value is returned. A callback may call other store functions, but not the one it
 * is called from (each function reuses one prepared statement). Optional text fields are NULL when empty. Getters for one
 * record return MC_ERR_NOTFOUND when there is none (and do not call back).
 *
 * Writing takes caller-owned records; text must already be valid NFC UTF-8 (import and the
 * forms normalise it). Write functions do not open transactions of their own unless said:
 * wrap several in mc_store_begin/commit for all-or-nothing. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "motcham/err.h"
#include "motcham/token.h"

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
	bool sample;         /* demo data, shown with a banner */
};

struct mc_announcement {
	int64_t id;
	int64_t ward_id;
	const char *title;
	const char *body;
	const char *published_on; /* YYYY-MM-DD */
	const char *expires_on;   /* YYYY-MM-DD or NULL */
	const char *updated_at;   /* YYYY-MM-DD, set by the store on write */
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
	const char *field;       /* lĩnh vực */
	const char *level;       /* cấp thực hiện */
	const char *steps;       /* trình tự thực hiện: one step per line */
	const char *ways;        /* cách thức thực hiện: in person / online / by post, free text */
	const char *place;       /* where to submit */
	const char *who;         /* đối tượng thực hiện */
	const char *conditions;  /* yêu cầu, điều kiện */
	const char *duration;    /* thời hạn giải quyết */
	const char *fees;        /* phí, lệ phí */
	const char *office;      /* cơ quan giải quyết */
	const char *result;      /* kết quả */
	const char *legal_basis; /* căn cứ pháp lý, one per line */
	const char *online_url;  /* online submission link or NULL */
	const char *updated_at;  /* YYYY-MM-DD, set by the store on write */
};

/* Permit kinds, as stored. */
#define MC_PERMIT_REPAIR "repair"
#define MC_PERMIT_RENOVATION "renovation"
#define MC_PERMIT_NEW_BUILD "new_build"
/* Permit statuses, as stored. "Expired" is not stored: it is derived from ends_on. */
#define MC_STATUS_ISSUED "issued"
#define MC_STATUS_IN_PROGRESS "in_progress"
#define MC_STATUS_SUSPENDED "suspended"
#define MC_STATUS_REVOKED "revoked"
#define MC_STATUS_COMPLETED "completed"

struct mc_permit {
	int64_t id;
	int64_t ward_id;
	const char *number; /* unique, e.g. "15/GPSC-UBND" */
	const char *kind;   /* MC_PERMIT_* */
	const char *address;
	const char *owner_name; /* full name; never shown unmasked on public pages */
	const char *scope;      /* description of the work */
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
	const char *token;       /* canonical, MC_TOKEN_LEN characters */
	const char *target_kind; /* MC_KIND_* */
	int64_t target_id;
	const char *created_at;  /* ISO-8601 UTC timestamp */
	const char *revoked_at;  /* NULL while active */
	const char *replaced_by; /* token of the replacement code, or NULL */
	const char *title;       /* the target's title (ward name, permit number, ...) */
	int64_t ward_id;         /* the target's ward */
};

typedef enum mc_err (*mc_store_ward_fn)(void *ctx, const struct mc_ward *w);
typedef enum mc_err (*mc_store_announcement_fn)(void *ctx, const struct mc_announcement *a);
typedef enum mc_err (*mc_store_procedure_fn)(void *ctx, const struct mc_procedure *p);
typedef enum mc_err (*mc_store_document_fn)(void *ctx, const struct mc_document *d);
typedef enum mc_err (*mc_store_permit_fn)(void *ctx, const struct mc_permit *p);
typedef enum mc_err (*mc_store_inspection_fn)(void *ctx, const struct mc_inspection *i);
typedef enum mc_err (*mc_store_code_fn)(void *ctx, const struct mc_code *c);

/* Opens the database at path (flags: enum mc_store_flags) with foreign keys on and a busy
 * timeout; a read-write handle also turns on WAL. Does not create tables: see migrate.
 * *out is owned by the caller (mc_store_destroy). MC_ERR_DB / MC_ERR_NOTFOUND on failure,
 * *out NULL. */
enum mc_err mc_store_open(const char *path, unsigned flags, struct mc_store **out);
/* Finalizes every statement and closes the connection. Accepts NULL. */
void mc_store_destroy(struct mc_store *s);
/* The last SQLite error message of this connection, for diagnostics; never NULL. */
const char *mc_store_errmsg(struct mc_store *s);

/* Creates or upgrades the schema to the current version (PRAGMA user_version), in one
 * transaction. Returns MC_ERR_DB on failure (nothing changed). */
enum mc_err mc_store_migrate(struct mc_store *s);
/* The schema version this build expects; mc_store_migrate brings a database to it. */
int mc_store_schema_version(void);
/* Reads the database's schema version into *version. */
enum mc_err mc_store_version(struct mc_store *s, int *version);

/* Transactions: begin takes the write lock at once (BEGIN IMMEDIATE). */
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

/* Announcements. upsert inserts or updates by (ward_id, title). */
enum mc_err mc_store_announcement_upsert(struct mc_store *s, const struct mc_announcement *a,
					 int64_t *id, bool *created);
enum mc_err mc_store_announcement_get(struct mc_store *s, int64_t id, mc_store_announcement_fn fn,
				      void *ctx);
/* Announcements of a ward published on or before today and not expired before today,
 * newest first. */
enum mc_err mc_store_announcement_each_current(struct mc_store *s, int64_t ward_id,
					       const char *today, mc_store_announcement_fn fn,
					       void *ctx);

/* Procedures. upsert inserts or updates by (ward_id, tthc_code), replaces the document list
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
/* Every procedure of a ward, by field then title. */
enum mc_err mc_store_procedure_each(struct mc_store *s, int64_t ward_id, mc_store_procedure_fn fn,
				    void *ctx);
/* Procedures of a ward whose folded title contains the words of folded_query in order
 * (see mc_utf8_fold), at most limit of them, by title. */
enum mc_err mc_store_procedure_search(struct mc_store *s, int64_t ward_id,
				      const char *folded_query, int limit,
				      mc_store_procedure_fn fn, void *ctx);

/* Permits. upsert inserts or updates by number. */
enum mc_err mc_store_permit_upsert(struct mc_store *s, const struct mc_permit *p, int64_t *id,
				   bool *created);
enum mc_err mc_store_permit_get(struct mc_store *s, int64_t id, mc_store_permit_fn fn, void *ctx);
/* Every permit of a ward, newest issue date first. */
enum mc_err mc_store_permit_each(struct mc_store *s, int64_t ward_id, mc_store_permit_fn fn,
				 void *ctx);
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
/* The code with this canonical token, active or revoked. */
enum mc_err mc_store_code_get(struct mc_store *s, const char *token, mc_store_code_fn fn,
			      void *ctx);
/* The newest active code of a target. */
enum mc_err mc_store_code_for_target(struct mc_store *s, const char *kind, int64_t target_id,
				     mc_store_code_fn fn, void *ctx);
/* Every active code, or those of one kind (kind NULL for all), by kind then id. */
enum mc_err mc_store_code_each(struct mc_store *s, const char *kind, mc_store_code_fn fn,
			       void *ctx);
/* Revokes an active code, optionally naming an active replacement. MC_ERR_NOTFOUND for an
 * unknown token or replacement, MC_ERR_GONE if it is already revoked, MC_ERR_INVALID if the
 * replacement is the code itself or revoked. */
enum mc_err mc_store_code_revoke(struct mc_store *s, const char *token, const char *replacement);

#endif
