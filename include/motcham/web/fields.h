#ifndef MOTCHAM_FIELDS_H
#define MOTCHAM_FIELDS_H

/* The staff forms' fields: one table of field specs per form, read from a posted form with
 * every value checked (valid UTF-8, NFC, trimmed, bounded, dates, numbers, choices) and a
 * Vietnamese message kept next to each bad field, then handed to the templates so the form
 * can be shown again with what was typed. */

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/err.h"
#include "motcham/domain/permit.h"

struct mc_form;
struct mc_tobj;

#define MC_FIELDS_MAX 24
#define MC_FIELD_LINE_MAX 500	/* bytes in a one-line field */
#define MC_FIELD_TEXT_MAX 20000 /* bytes in a multi-line field */

enum mc_field_type {
	MC_F_LINE, /* one line of text */
	MC_F_TEXT, /* several lines (textarea) */
	MC_F_DATE, /* YYYY-MM-DD */
	MC_F_INT,  /* whole number in [min, max] */
	MC_F_REAL, /* number in (min, max] */
	MC_F_ENUM, /* one of options */
	MC_F_URL,  /* empty or http(s):// */
};

struct mc_field_spec {
	const char *name;
	const char *label;
	enum mc_field_type type;
	bool required;
	double min, max; /* numbers; max 0: the type's own bound (text lengths) */
	const struct mc_label *options;
	const char *hint;
};

struct mc_fields {
	const struct mc_field_spec *spec;
	size_t n;
	char *val[MC_FIELDS_MAX];		    /* NULL or owned */
	char *err[MC_FIELDS_MAX];		    /* NULL or owned */
	const struct mc_label *opts[MC_FIELDS_MAX]; /* options set at run time */
	int nerr;
};

/* Sets f up for spec[0..n) (n <= MC_FIELDS_MAX); nothing allocated yet. */
void mc_fields_init(struct mc_fields *f, const struct mc_field_spec *spec, size_t n);
/* Frees every value and message; accepts NULL. */
void mc_fields_finish(struct mc_fields *f);
/* Gives field name its choices at run time (e.g. the list of wards); opts borrowed. */
void mc_fields_options(struct mc_fields *f, const char *name, const struct mc_label *opts);
/* Sets a value as stored (for an edit form); val NULL clears. */
enum mc_err mc_fields_set(struct mc_fields *f, const char *name, const char *val);
enum mc_err mc_fields_setf(struct mc_fields *f, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Reads and checks every field of spec from form; problems land in f->err and f->nerr.
 * Only MC_ERR_NOMEM is an error. */
enum mc_err mc_fields_read(struct mc_fields *f, const struct mc_form *form);
/* Adds a message to field name (the first message of a field is kept). */
enum mc_err mc_fields_fail(struct mc_fields *f, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The checked value of name, NULL when empty or unknown. */
const char *mc_fields_get(const struct mc_fields *f, const char *name);
/* True when name holds a value that passed its checks (so cross-field checks may use it). */
bool mc_fields_ok(const struct mc_fields *f, const char *name);
/* Numbers of checked fields (0 when empty). */
int mc_fields_int(const struct mc_fields *f, const char *name);
double mc_fields_real(const struct mc_fields *f, const char *name);
/* Appends every field to the list o.key: name, label, value, error, hint, required, one
 * of the flags line/text/date/number/select/url (select with options: value, label,
 * selected), describedby (the ids "e-NAME h-NAME" of its error and hint, when it has them)
 * and focus (true on the first field with an error, for autofocus). */
enum mc_err mc_fields_tobj(const struct mc_fields *f, struct mc_tobj *o, const char *key);

/* Reads one text field of form exactly as sent (may hold NUL bytes): NULL when absent. */
const char *mc_fields_raw(const struct mc_form *form, const char *name, size_t *len);
/* Checks and normalises one piece of text: valid UTF-8, NFC, CR LF to LF, trimmed, at most
 * max bytes, one line unless multiline. MC_OK with *out owned by the caller (never NULL),
 * MC_ERR_INVALID with a Vietnamese message in msg, or MC_ERR_NOMEM. */
enum mc_err mc_fields_clean(const char *s, size_t len, size_t max, bool multiline, char **out,
			    char msg[160]);

#endif
