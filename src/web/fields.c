#include "motcham/web/fields.h"
#include "motcham/domain/check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/web/form.h"
#include "motcham/render/template.h"
#include "motcham/base/utf8.h"

#define MSG_REQUIRED "Vui lòng điền mục này."
#define MSG_CHOICE "Vui lòng chọn một mục trong danh sách."

void mc_fields_init(struct mc_fields *f, const struct mc_field_spec *spec, size_t n)
{
	memset(f, 0, sizeof(*f));
	f->spec = spec;
	f->n = n < MC_FIELDS_MAX ? n : MC_FIELDS_MAX;
}

void mc_fields_finish(struct mc_fields *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->val[i]);
		free(f->err[i]);
		f->val[i] = f->err[i] = NULL;
	}
	f->nerr = 0;
}

static int index_of(const struct mc_fields *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->spec[i].name, name) == 0)
			return (int)i;
	return -1;
}

void mc_fields_options(struct mc_fields *f, const char *name, const struct mc_label *opts)
{
	int i = index_of(f, name);

	if (i >= 0)
		f->opts[i] = opts;
}

enum mc_err mc_fields_set(struct mc_fields *f, const char *name, const char *val)
{
	int i = index_of(f, name);
	char *copy = NULL;

	if (i < 0)
		return MC_ERR_INTERNAL;
	if (val && !(copy = strdup(val)))
		return MC_ERR_NOMEM;
	free(f->val[i]);
	f->val[i] = copy;
	return MC_OK;
}

enum mc_err mc_fields_setf(struct mc_fields *f, const char *name, const char *fmt, ...)
{
	struct mc_buf b;
	enum mc_err err;
	va_list ap;

	mc_buf_init(&b);
	va_start(ap, fmt);
	err = mc_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (err == MC_OK)
		err = mc_fields_set(f, name, b.data ? b.data : "");
	mc_buf_finish(&b);
	return err;
}

static enum mc_err fail_at(struct mc_fields *f, int i, const char *fmt, va_list ap)
{
	struct mc_buf b;
	enum mc_err err;

	if (f->err[i])
		return MC_OK;
	mc_buf_init(&b);
	if ((err = mc_buf_vprintf(&b, fmt, ap)) == MC_OK) {
		f->err[i] = mc_buf_steal(&b);
		err = f->err[i] ? MC_OK : MC_ERR_NOMEM;
		f->nerr++;
	}
	mc_buf_finish(&b);
	return err;
}

enum mc_err mc_fields_fail(struct mc_fields *f, const char *name, const char *fmt, ...)
{
	int i = index_of(f, name);
	enum mc_err err;
	va_list ap;

	if (i < 0)
		return MC_ERR_INTERNAL;
	va_start(ap, fmt);
	err = fail_at(f, i, fmt, ap);
	va_end(ap);
	return err;
}

static enum mc_err fail_idx(struct mc_fields *f, int i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum mc_err fail_idx(struct mc_fields *f, int i, const char *fmt, ...)
{
	enum mc_err err;
	va_list ap;

	va_start(ap, fmt);
	err = fail_at(f, i, fmt, ap);
	va_end(ap);
	return err;
}

const char *mc_fields_get(const struct mc_fields *f, const char *name)
{
	int i = index_of(f, name);

	return i >= 0 && f->val[i] && f->val[i][0] ? f->val[i] : NULL;
}

bool mc_fields_ok(const struct mc_fields *f, const char *name)
{
	int i = index_of(f, name);

	return i >= 0 && f->val[i] && f->val[i][0] && !f->err[i];
}

int mc_fields_int(const struct mc_fields *f, const char *name)
{
	const char *v = mc_fields_get(f, name);

	return v ? (int)strtol(v, NULL, 10) : 0;
}

double mc_fields_real(const struct mc_fields *f, const char *name)
{
	const char *v = mc_fields_get(f, name);

	return v ? strtod(v, NULL) : 0.0;
}

const char *mc_fields_raw(const struct mc_form *form, const char *name, size_t *len)
{
	for (size_t i = 0; form && i < form->n; i++)
		if (!form->v[i].filename && strcmp(form->v[i].name, name) == 0) {
			*len = form->v[i].value.len;
			return form->v[i].value.data ? form->v[i].value.data : "";
		}
	*len = 0;
	return NULL;
}

enum mc_err mc_fields_clean(const char *s, size_t len, size_t max, bool multiline, char **out,
			    char msg[160])
{
	struct mc_buf nfc, tidy;
	enum mc_err err;

	*out = NULL;
	msg[0] = '\0';
	/* Checked before normalising so that a huge field costs nothing. */
	if (len > 4 * max + 64) {
		snprintf(msg, 160, "Quá dài: tối đa %zu byte.", max);
		return MC_ERR_INVALID;
	}
	if (!mc_utf8_valid(s, len)) {
		snprintf(msg, 160, "%s",
			 "Có ký tự không hợp lệ (ký tự điều khiển hoặc sai mã UTF-8).");
		return MC_ERR_INVALID;
	}
	if (!mc_check_text(s, len, NULL)) {
		snprintf(msg, 160, "%s",
			 "Có ký tự không được phép (ký tự không phải chữ, hoặc ký tự đảo chiều "
			 "văn bản).");
		return MC_ERR_INVALID;
	}
	mc_buf_init(&nfc);
	if ((err = mc_utf8_nfc(s, len, &nfc)) != MC_OK || !nfc.data) {
		mc_buf_finish(&nfc);
		return err == MC_ERR_INVALID ? MC_ERR_INVALID : MC_ERR_NOMEM;
	}
	/* The import's tidying: a form and a CSV file store the same text the same way. */
	mc_buf_init(&tidy);
	if ((err = mc_check_tidy(nfc.data, nfc.len, false, &tidy)) == MC_OK)
		*out = strdup(tidy.data ? tidy.data : "");
	mc_buf_finish(&nfc);
	mc_buf_finish(&tidy);
	if (!*out)
		return MC_ERR_NOMEM;
	if (strlen(*out) > max)
		snprintf(msg, 160, "Quá dài: tối đa %zu byte, đã nhập %zu.", max, strlen(*out));
	else if (!multiline && strchr(*out, '\n'))
		snprintf(msg, 160, "%s", "Chỉ được viết trên một dòng.");
	return msg[0] ? MC_ERR_INVALID : MC_OK;
}

static const struct mc_label *options_of(const struct mc_fields *f, size_t i)
{
	return f->opts[i] ? f->opts[i] : f->spec[i].options;
}

static bool is_option(const struct mc_label *o, const char *v)
{
	for (; o && o->value; o++)
		if (strcmp(o->value, v) == 0)
			return true;
	return false;
}

/* Numbers are domain/check.h's rule, the import's too; a decimal comma is stored as a
 * point so that the value reads back the same everywhere. */
static bool parse_number(char *v, bool whole, double *out)
{
	bool is_whole;

	if (!mc_check_decimal(v, out, &is_whole) || (whole && !is_whole))
		return false;
	for (char *p = v; *p; p++)
		if (*p == ',')
			*p = '.';
	return true;
}

static enum mc_err check_typed(struct mc_fields *f, size_t i)
{
	const struct mc_field_spec *sp = &f->spec[i];
	char *v = f->val[i];
	double x;

	switch (sp->type) {
	case MC_F_DATE:
		return mc_date_valid(v) ? MC_OK
					: fail_idx(f, (int)i, "%s",
						   "Ngày phải có dạng năm-tháng-ngày, "
						   "ví dụ 2026-11-25, và là ngày có thật.");
	case MC_F_INT:
		if (!parse_number(v, true, &x) || x < sp->min || x > sp->max)
			return fail_idx(f, (int)i, "Phải là số nguyên từ %g đến %g.", sp->min,
					sp->max);
		snprintf(v, strlen(v) + 1, "%d", (int)x);
		return MC_OK;
	case MC_F_REAL:
		if (!parse_number(v, false, &x) || x <= sp->min || x > sp->max)
			return fail_idx(f, (int)i, "Phải là số lớn hơn %g và không quá %g.",
					sp->min, sp->max);
		return MC_OK;
	case MC_F_ENUM:
		return is_option(options_of(f, i), v) ? MC_OK : fail_idx(f, (int)i, MSG_CHOICE);
	case MC_F_URL:
		if (!mc_check_web_address(v))
			return fail_idx(
			    f, (int)i, "%s",
			    "Đường dẫn phải bắt đầu bằng http:// hoặc https:// và không "
			    "có khoảng trắng, dấu nháy hay dấu < >.");
		mc_check_web_address_tidy(v);
		return MC_OK;
	default:
		return MC_OK;
	}
}

static size_t max_of(const struct mc_field_spec *sp)
{
	if (sp->type == MC_F_TEXT)
		return sp->max > 0 ? (size_t)sp->max : MC_FIELD_TEXT_MAX;
	if (sp->type == MC_F_LINE && sp->max > 0)
		return (size_t)sp->max;
	return MC_FIELD_LINE_MAX;
}

static enum mc_err read_one(struct mc_fields *f, const struct mc_form *form, size_t i)
{
	const struct mc_field_spec *sp = &f->spec[i];
	char msg[160];
	size_t len;
	const char *raw = mc_fields_raw(form, sp->name, &len);
	enum mc_err err;

	free(f->val[i]);
	f->val[i] = NULL;
	err = mc_fields_clean(raw ? raw : "", len, max_of(sp), sp->type == MC_F_TEXT, &f->val[i],
			      msg);
	if (err == MC_ERR_NOMEM)
		return err;
	if (err == MC_ERR_INVALID)
		return fail_idx(f, (int)i, "%s", msg);
	if (!f->val[i][0])
		return sp->required ? fail_idx(f, (int)i, "%s",
					       sp->type == MC_F_ENUM ? MSG_CHOICE : MSG_REQUIRED)
				    : MC_OK;
	return check_typed(f, i);
}

enum mc_err mc_fields_read(struct mc_fields *f, const struct mc_form *form)
{
	enum mc_err err;

	for (size_t i = 0; i < f->n; i++)
		if ((err = read_one(f, form, i)) != MC_OK)
			return err;
	return MC_OK;
}

static enum mc_err add_options(const struct mc_fields *f, size_t i, struct mc_tobj *o)
{
	const struct mc_label *opt = options_of(f, i);
	struct mc_tobj *x;
	enum mc_err err;

	for (; opt && opt->value; opt++) {
		if (!(x = mc_tobj_push(o, "options")))
			return MC_ERR_NOMEM;
		if ((err = mc_tobj_str(x, "value", opt->value)) != MC_OK ||
		    (err = mc_tobj_str(x, "label", opt->label)) != MC_OK ||
		    (err = mc_tobj_bool(x, "selected",
					f->val[i] && !strcmp(f->val[i], opt->value))) != MC_OK)
			return err;
	}
	return MC_OK;
}

static const char *const type_flag[] = {
    [MC_F_LINE] = "line", [MC_F_TEXT] = "text",	  [MC_F_DATE] = "date", [MC_F_INT] = "number",
    [MC_F_REAL] = "real", [MC_F_ENUM] = "select", [MC_F_URL] = "url",
};

/* What a control's aria-describedby names: its error, then its hint (the ids the templates
 * give them), so a screen reader reads both with the field; NULL when it has neither. */
static enum mc_err set_described(struct mc_tobj *x, const struct mc_field_spec *sp,
				 const char *error)
{
	if (error && sp->hint)
		return mc_tobj_strf(x, "describedby", "e-%s h-%s", sp->name, sp->name);
	if (error)
		return mc_tobj_strf(x, "describedby", "e-%s", sp->name);
	if (sp->hint)
		return mc_tobj_strf(x, "describedby", "h-%s", sp->name);
	return MC_OK;
}

enum mc_err mc_fields_tobj(const struct mc_fields *f, struct mc_tobj *o, const char *key)
{
	struct mc_tobj *x;
	bool focused = false;
	enum mc_err err;

	for (size_t i = 0; i < f->n; i++) {
		const struct mc_field_spec *sp = &f->spec[i];

		if (!(x = mc_tobj_push(o, key)))
			return MC_ERR_NOMEM;
		if ((err = set_described(x, sp, f->err[i])) != MC_OK ||
		    (err = mc_tobj_bool(x, "focus", f->err[i] && !focused)) != MC_OK)
			return err;
		focused = focused || f->err[i];
		if ((err = mc_tobj_str(x, "name", sp->name)) != MC_OK ||
		    (err = mc_tobj_str(x, "label", sp->label)) != MC_OK ||
		    (err = mc_tobj_str(x, "value", f->val[i] ? f->val[i] : "")) != MC_OK ||
		    (err = mc_tobj_str(x, "error", f->err[i])) != MC_OK ||
		    (err = mc_tobj_str(x, "hint", sp->hint)) != MC_OK ||
		    (err = mc_tobj_bool(x, "required", sp->required)) != MC_OK ||
		    (err = mc_tobj_bool(x, type_flag[sp->type], true)) != MC_OK)
			return err;
		if (sp->type == MC_F_ENUM && (err = add_options(f, i, x)) != MC_OK)
			return err;
	}
	return MC_OK;
}
