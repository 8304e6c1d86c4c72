#ifndef MOTCHAM_UPLOAD_H
#define MOTCHAM_UPLOAD_H

/* Uploaded files: told apart by their content (never by name or the client's content
 * type) and stored once under the SHA-256 of their content, outside the web root: in a
 * directory beside a SQLite database, or in the database itself where it keeps files
 * (mc_store_keeps_files: PostgreSQL, which every node of a many-node set-up reaches). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

#define MC_UPLOAD_MAX (10 * 1024 * 1024)      /* a dossier file */
#define MC_UPLOAD_PHOTO_MAX (5 * 1024 * 1024) /* a resident's photo */

#define MC_MIME_PDF "application/pdf"
#define MC_MIME_JPEG "image/jpeg"
#define MC_MIME_PNG "image/png"

/* The type of data by its magic bytes: MC_MIME_PDF, MC_MIME_JPEG, MC_MIME_PNG, or NULL. */
const char *mc_upload_sniff(const void *data, size_t len);
struct mc_store;

/* Stores data under SHA256 (hex of the content): in s when it keeps files, as part of the
 * transaction open on s (so that the file and its record are written together); else in
 * dir/SHA256 through a temporary file and a rename, so a reader never sees half a file (s
 * may be NULL: a directory). Content already stored under that name is kept. sha receives
 * the hex hash. MC_ERR_IO when the file cannot be written, else the store's error. */
enum mc_err mc_upload_save(struct mc_store *s, const char *dir, const void *data, size_t len,
			   char sha[65]);
/* Reads the file stored under SHA256 (at most max bytes), from s or dir as mc_upload_save
 * wrote it, into out. MC_ERR_NOTFOUND when missing, MC_ERR_INVALID for a name that is not a
 * hash, MC_ERR_TOOBIG past max. */
enum mc_err mc_upload_load(struct mc_store *s, const char *dir, const char *sha, size_t max,
			   struct mc_buf *out);
/* Copies the file stored under SHA256 in from_dir to to_dir (a temporary file, then a
 * rename), reading it in pieces and checking on the way that its content still has that
 * hash. MC_ERR_NOTFOUND when from_dir has no such file, MC_ERR_CHECK when its content does
 * not match its name (nothing is written then), MC_ERR_INVALID for a name that is not a
 * hash, MC_ERR_IO otherwise. */
enum mc_err mc_upload_copy(const char *from_dir, const char *to_dir, const char *sha);
/* Appends a display name for an uploaded file: the last path component of the name the
 * client sent, valid NFC UTF-8 without control characters, at most 200 bytes; "tep" when
 * nothing usable is left. */
enum mc_err mc_upload_display_name(const char *client_name, struct mc_buf *out);
/* Writes an attachment Content-Disposition value for name into out[256]: non-ASCII and
 * unsafe bytes become '_', so the header stays plain ASCII. */
void mc_upload_disposition(const char *name, char out[256]);

struct mc_response;

/* Writes the name a download of type mime gets into out[256]: name without the extension
 * the client gave it, and the extension of the type the content was found to be (".pdf",
 * ".jpg", ".png"; ".bin" for any other), so that a file never opens as what its uploader
 * named it (".html", ".svg"). */
void mc_upload_download_name(const char *name, const char *mime, char out[256]);

/* ---- downloads where the database keeps the files: a node's spool ---- */

/* A directory of a node's own where the files it reads from the database (PostgreSQL) are
 * copied, each under its SHA-256, to be sent from disk: no download holds a file in memory.
 * Safe to use from any number of threads; another server may share the directory. */
struct mc_upload_spool;

/* Makes dir (mode 0700) when missing, and opens it as a spool of at most max bytes: past
 * that the least recently sent files are removed, and any not sent for a day. *out owned by
 * the caller. MC_ERR_IO when it cannot be made or opened, or is not this user's own (or
 * others may write in it); MC_ERR_NOMEM. */
enum mc_err mc_upload_spool_create(const char *dir, long long max, struct mc_upload_spool **out);
/* Accepts NULL. */
void mc_upload_spool_destroy(struct mc_upload_spool *sp);
/* Opens the file SHA256 that s keeps (mc_store_keeps_files) for reading from sp: its copy
 * there when it has one of the length the database has, else one read now from s in pieces
 * (one thread reads a file, others asking for it wait for its copy), its hash checked, and
 * only then kept in sp. *fd (owned by the caller) and *size. MC_ERR_NOTFOUND when s has no
 * such file, MC_ERR_TOOBIG past max bytes, MC_ERR_CHECK when its content does not match its
 * hash (said on standard error; nothing kept), MC_ERR_INVALID for a name that is not a hash,
 * MC_ERR_IO or MC_ERR_FULL when the copy cannot be written, else the store's error. */
enum mc_err mc_upload_spool_open(struct mc_upload_spool *sp, struct mc_store *s, const char *sha,
				 size_t max, int *fd, unsigned long long *size);
/* Removes sp's copy of the file SHA256 (one the database no longer has: an erased photo).
 * Accepts NULL. */
void mc_upload_spool_forget(struct mc_upload_spool *sp, const char *sha);

/* Fills r with the stored file SHA256 as a download (attachment, named by
 * mc_upload_download_name and mc_upload_disposition), of type mime (one of MC_MIME_*, else
 * bytes), sandboxed (Content-Security-Policy: sandbox) and with this static Cache-Control
 * value. The body is a file: dir/SHA256 beside a SQLite database, the spool's copy where s
 * keeps files (mc_upload_spool_open; without a spool, the content is read into r's body).
 * MC_ERR_NOTFOUND when there is no such file (r's body left empty); MC_ERR_DB when the
 * database's copy does not match its hash (not sent); MC_ERR_IO or MC_ERR_TOOBIG when it
 * cannot be read. */
enum mc_err mc_upload_answer(struct mc_store *s, const char *dir, struct mc_upload_spool *spool,
			     const char *sha, const char *mime, const char *name, const char *cache,
			     struct mc_response *r);

/* ---- an upload as it arrives: checked by content, then kept ---- */

struct mc_form_field;

/* What mc_upload_check found in an uploaded file. */
struct mc_upload {
	const char *mime; /* MC_MIME_*, static */
	size_t size;	  /* the bytes kept: the whole image, without anything after its end */
	char sha[65];	  /* hex SHA-256 of those bytes */
	const char *why;  /* refused: the reason, in Vietnamese, for the person; else NULL */
	int status;	  /* refused: the HTTP status to answer (413, 415, 422); else 0 */
};

/* Whether image (a JPEG or PNG of len bytes) is whole: every PNG chunk up to IEND with its
 * CRC, every JPEG segment up to EOI. *end gets the offset just after the image's end; what
 * follows may be cut off (mc_upload_check) only when it is zero padding or, after a JPEG,
 * another JPEG (the extra pictures phones append). MC_ERR_CHECK when the image is cut short
 * or malformed, or something else follows it (HTML, a script, an archive). */
enum mc_err mc_upload_image_end(const void *image, size_t len, const char *mime, size_t *end);
/* Refuses a PDF that can run something or carries files: JavaScript (/JS, /JavaScript, also
 * in compressed object streams and with #-escaped names), launch actions, embedded files
 * (/EmbeddedFile, /EmbeddedFiles), rich media and XFA forms. MC_OK for a plain document;
 * MC_ERR_CHECK with *why (a Vietnamese sentence) otherwise. */
enum mc_err mc_upload_pdf_check(const void *pdf, size_t len, const char **why);

/* Checks the uploaded file f (mc_form_file) by its content: at most MC_UPLOAD_PHOTO_MAX
 * bytes and a JPEG or PNG when image_only, else at most MC_UPLOAD_MAX bytes and a PDF too;
 * an image must be whole (mc_upload_image_end), a PDF plain (mc_upload_pdf_check). Fills u;
 * a refused file gets u->why and u->status and MC_OK is still returned. MC_ERR_IO when the
 * file cannot be read. */
enum mc_err mc_upload_check(const struct mc_form_field *f, bool image_only, struct mc_upload *u);

/* The server's limits on uploads (serve --upload-quota, --disk-reserve). */
struct mc_upload_limits {
	long long ward_quota;	/* bytes one ward's files and photos may take; 0: no limit */
	long long disk_reserve; /* bytes that must stay free where files are kept; 0: none */
	const char *spool_dir;	/* where uploads wait while they arrive (mc_form_spool) */
	struct mc_upload_spool *downloads; /* where the database keeps files: the node's copies,
					    * to send downloads from (NULL: none) */
};

/* Whether a file of size bytes may be kept for ward_id: the ward stays within its quota
 * (counted by the store, on either database) and, where files are kept in dir, the disk
 * keeps its reserve free. MC_OK, or MC_ERR_FULL with *why (Vietnamese, saying which) when
 * it may not; the store's error when it cannot count. */
enum mc_err mc_upload_room(struct mc_store *s, const char *dir,
			   const struct mc_upload_limits *limits, int64_t ward_id, size_t size,
			   const char **why);

/* Keeps the checked upload f (u from mc_upload_check) as mc_upload_save would: in s where
 * it keeps files (part of its open transaction), else in dir/SHA256 by linking the spooled
 * file there (cut to u->size, synced first), so that it is never copied through memory.
 * MC_ERR_IO or MC_ERR_FULL when it cannot be written. */
enum mc_err mc_upload_keep(struct mc_store *s, const char *dir, const struct mc_form_field *f,
			   const struct mc_upload *u);

#endif
