#ifndef MOTCHAM_FORM_H
#define MOTCHAM_FORM_H

/* A submitted HTML form: text fields and uploaded files, collected chunk by chunk from
 * libmicrohttpd's post processor (urlencoded or multipart), with hard limits so that no
 * request can make the server take more than MC_FORM_MAX_TOTAL bytes. With a spool directory
 * (the server's forms) an uploaded file goes to a temporary file there as it arrives, so a
 * thousand uploads at once cost the server disk, not memory; without one (tests, fuzzing)
 * it is kept in memory like a text field. */

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

#define MC_FORM_MAX_FIELDS 200
#define MC_FORM_MAX_NAME 64		    /* bytes in a field name */
#define MC_FORM_MAX_TEXT (64 * 1024)	    /* bytes in one text field */
#define MC_FORM_MAX_FILE (10 * 1024 * 1024) /* bytes in one uploaded file */
#define MC_FORM_MAX_TOTAL (12 * 1024 * 1024)

struct mc_form_field {
	char *name;
	char *filename;	     /* NULL for a text field */
	char *content_type;  /* as sent by the client; never trusted */
	struct mc_buf value; /* a text field's bytes; a file's when the form has no spool */
	size_t size;	     /* a file's bytes, wherever they are */
	int fd;		     /* a spooled file's temporary file (read-write), else -1 */
	char *spool_path;    /* its name, removed by mc_form_finish; NULL for an unnamed one */
};

/* Caller-owned: init, append chunks, read, finish. */
struct mc_form {
	struct mc_form_field *v;
	size_t n, cap;
	size_t total;
	const char *spool_dir; /* borrowed; NULL: files in memory */
};

void mc_form_init(struct mc_form *f);
/* Uploaded files of f go to temporary files in dir from now on (dir borrowed for f's life;
 * it should be on the file system where they are kept, so that keeping one is a link). */
void mc_form_spool(struct mc_form *f, const char *dir);
/* Frees every field, closes and removes the temporary files; accepts NULL. */
void mc_form_finish(struct mc_form *f);
/* Adds size bytes of field name at offset off: off 0 starts a new field (a repeated name
 * gives a second field), a later off continues the last field of that name. filename set
 * marks an uploaded file. MC_ERR_TOOBIG past a limit (the form is then unusable),
 * MC_ERR_INVALID for a bad field name, MC_ERR_FULL or MC_ERR_IO when a spooled file cannot
 * be written. */
enum mc_err mc_form_append(struct mc_form *f, const char *name, const char *filename,
			   const char *content_type, const char *data, size_t off, size_t size);
/* Parses an application/x-www-form-urlencoded body (used by tests and fuzzing; the server
 * goes through libmicrohttpd). Same limits. MC_ERR_INVALID for a bad %-escape. */
enum mc_err mc_form_parse_urlencoded(struct mc_form *f, const char *body, size_t len);

/* The first text field called name, NUL-terminated (may hold NUL bytes: check with
 * mc_utf8_valid before use), or NULL when absent or a file. Borrowed from f. */
const char *mc_form_get(const struct mc_form *f, const char *name);
/* The first uploaded file called name with a non-empty body, or NULL. Borrowed from f; its
 * content is read with mc_upload_check (upload.h). */
const struct mc_form_field *mc_form_file(const struct mc_form *f, const char *name);

#endif
