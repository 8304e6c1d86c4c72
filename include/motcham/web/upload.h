#ifndef MOTCHAM_UPLOAD_H
#define MOTCHAM_UPLOAD_H

/* Uploaded files: told apart by their content (never by name or the client's content
 * type) and stored once under the SHA-256 of their content, outside the web root: in a
 * directory beside a SQLite database, or in the database itself where it keeps files
 * (mc_store_keeps_files: PostgreSQL, which every node of a many-node set-up reaches). */

#include <stdbool.h>
#include <stddef.h>

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
/* Appends a display name for an uploaded file: the last path component of the name the
 * client sent, valid NFC UTF-8 without control characters, at most 200 bytes; "tep" when
 * nothing usable is left. */
enum mc_err mc_upload_display_name(const char *client_name, struct mc_buf *out);
/* Writes an attachment Content-Disposition value for name into out[256]: non-ASCII and
 * unsafe bytes become '_', so the header stays plain ASCII. */
void mc_upload_disposition(const char *name, char out[256]);

struct mc_response;

/* Fills r with the stored file SHA256 (mc_upload_load) as a download named name (see
 * mc_upload_disposition), of type mime (one of MC_MIME_*, else bytes) and with this static
 * Cache-Control value. MC_ERR_NOTFOUND when there is no such file (r's body left empty);
 * MC_ERR_IO or MC_ERR_TOOBIG when it cannot be read. */
enum mc_err mc_upload_answer(struct mc_store *s, const char *dir, const char *sha, const char *mime,
			     const char *name, const char *cache, struct mc_response *r);

#endif
