#ifndef MOTCHAM_TEMPLATE_H
#define MOTCHAM_TEMPLATE_H

/* A small Mustache-like template layer in which every value is HTML-escaped on output.
 *
 * Syntax (templates/NAME.html, loaded once at start):
 *   {{name}}            the value of name, HTML-escaped (& < > " ' escaped)
 *   {{#name}}..{{/name}} a section: repeated for each item when name is a list, shown once
 *                       when name is a true value (non-empty string, true bool, object)
 *   {{^name}}..{{/name}} shown when name is missing, false, "" or an empty list
 *   {{>other}}          includes templates/other.html (no recursion deeper than 8)
 *   {{! comment }}
 * Names are looked up in the current item, then outward to the root. There is no way to
 * write a value unescaped: markup lives only in template files.
 *
 * Data: a tree of objects, built by pages and owned by one struct mc_tdata (an arena), so a
 * page frees everything with one mc_tdata_destroy. Values are copied in. */

#include <stdbool.h>
#include <stddef.h>

#include "motcham/base/buf.h"
#include "motcham/base/err.h"

struct mc_template; /* a set of parsed templates */
struct mc_tdata;    /* an arena holding one data tree */
struct mc_tobj;	    /* an object inside it */

/* Loads and parses every *.html file in dir. Syntax errors are reported with file and line
 * to errs when given. *out owned by the caller. MC_ERR_IO, MC_ERR_TEMPLATE, MC_ERR_NOMEM. */
enum mc_err mc_template_load(const char *dir, struct mc_template **out, struct mc_buf *errs);
/* Parses one template from memory under name (used by tests and fuzzing). */
enum mc_err mc_template_add(struct mc_template *t, const char *name, const char *text, size_t len,
			    struct mc_buf *errs);
/* An empty set, to add templates to. */
enum mc_err mc_template_create(struct mc_template **out);
/* Accepts NULL. */
void mc_template_destroy(struct mc_template *t);
/* Appends the rendering of template name (without ".html") with root data to out.
 * MC_ERR_TEMPLATE when there is no such template. The template set is read-only here, so
 * one set may render in many threads at once. */
enum mc_err mc_template_render(const struct mc_template *t, const char *name,
			       const struct mc_tobj *root, struct mc_buf *out);

/* Creates an empty data tree; NULL when out of memory. */
struct mc_tdata *mc_tdata_create(void);
/* Frees the tree and every object in it; accepts NULL. */
void mc_tdata_destroy(struct mc_tdata *d);
/* The root object. */
struct mc_tobj *mc_tdata_root(struct mc_tdata *d);

/* Setters copy key and value into the arena; setting a key again replaces it. A NULL value
 * string counts as missing. They return MC_ERR_NOMEM on allocation failure. */
enum mc_err mc_tobj_str(struct mc_tobj *o, const char *key, const char *val);
enum mc_err mc_tobj_strn(struct mc_tobj *o, const char *key, const char *val, size_t len);
/* Sets key to a date shown the Vietnamese way (DD/MM/YYYY, see mc_date_vn), or to iso as it is
 * when it is not a date (NULL: absent). */
enum mc_err mc_tobj_date(struct mc_tobj *o, const char *key, const char *iso);
enum mc_err mc_tobj_strf(struct mc_tobj *o, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
enum mc_err mc_tobj_bool(struct mc_tobj *o, const char *key, bool val);
/* Returns a new empty object set as o.key (replacing it); NULL when out of memory. */
struct mc_tobj *mc_tobj_obj(struct mc_tobj *o, const char *key);
/* Appends a new empty object to the list o.key (creating the list) and returns it; NULL
 * when out of memory. */
struct mc_tobj *mc_tobj_push(struct mc_tobj *o, const char *key);

/* Appends s HTML-escaped to out: the one escaping writer, also used outside templates. What
 * no XML document may hold (a C0 control but tab, LF and CR; U+FFFE, U+FFFF; bytes that are
 * not UTF-8) is written as U+FFFD, so the XML made from values stays well-formed too. */
enum mc_err mc_html_escape(struct mc_buf *out, const char *s, size_t len);

#endif
