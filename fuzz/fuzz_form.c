/* mc_form_parse_urlencoded on arbitrary bytes. Whatever it accepts stays within the form
 * limits, and encoding the parsed fields again parses back to the same fields. */

#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "motcham/base/buf.h"
#include "motcham/web/form.h"

static const char *const names[] = {"a", "name", "ward", "q", "token", "csrf", "status", ""};

static void check_field(const struct mc_form_field *fld)
{
	size_t n = strlen(fld->name);

	FUZZ_CHECK(n > 0 && n <= MC_FORM_MAX_NAME);
	FUZZ_CHECK(fld->filename == NULL && fld->content_type == NULL);
	FUZZ_CHECK(fld->value.data != NULL && fld->value.data[fld->value.len] == '\0');
	FUZZ_CHECK(fld->value.len <= MC_FORM_MAX_TEXT);
}

static enum mc_err encode(struct mc_buf *out, const char *s, size_t len)
{
	enum mc_err err = MC_OK;

	for (size_t i = 0; err == MC_OK && i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			err = mc_buf_putc(out, (char)c);
		else
			err = mc_buf_printf(out, "%%%02X", c);
	}
	return err;
}

/* Encodes every field and parses the result into a second form, which must match. */
static void check_round_trip(const struct mc_form *f)
{
	struct mc_form g;
	struct mc_buf body;
	enum mc_err err = MC_OK;

	mc_form_init(&g);
	mc_buf_init(&body);
	for (size_t i = 0; err == MC_OK && i < f->n; i++) {
		if (i)
			err = mc_buf_putc(&body, '&');
		if (err == MC_OK)
			err = encode(&body, f->v[i].name, strlen(f->v[i].name));
		if (err == MC_OK)
			err = mc_buf_putc(&body, '=');
		if (err == MC_OK)
			err = encode(&body, f->v[i].value.data, f->v[i].value.len);
	}
	FUZZ_CHECK(err == MC_OK);
	FUZZ_CHECK(mc_form_parse_urlencoded(&g, body.data ? body.data : "", body.len) == MC_OK);
	FUZZ_CHECK(g.n == f->n && g.total == f->total);
	for (size_t i = 0; i < f->n; i++) {
		FUZZ_CHECK(strcmp(g.v[i].name, f->v[i].name) == 0);
		FUZZ_CHECK(g.v[i].value.len == f->v[i].value.len);
		FUZZ_CHECK(memcmp(g.v[i].value.data, f->v[i].value.data, f->v[i].value.len) == 0);
	}
	mc_buf_finish(&body);
	mc_form_finish(&g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_form f;
	enum mc_err err;
	size_t total = 0;

	mc_form_init(&f);
	err = mc_form_parse_urlencoded(&f, (const char *)data, size);
	FUZZ_CHECK(err == MC_OK || err == MC_ERR_INVALID || err == MC_ERR_TOOBIG);
	FUZZ_CHECK(f.n <= MC_FORM_MAX_FIELDS && f.total <= MC_FORM_MAX_TOTAL);
	for (size_t i = 0; i < f.n; i++) {
		check_field(&f.v[i]);
		total += f.v[i].value.len;
	}
	FUZZ_CHECK(total == f.total);
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = mc_form_get(&f, names[i]);
		bool present = false;

		for (size_t k = 0; k < f.n && !present; k++)
			present = strcmp(f.v[k].name, names[i]) == 0;
		FUZZ_CHECK((v != NULL) == present);
		FUZZ_CHECK(mc_form_file(&f, names[i]) == NULL);
	}
	if (err == MC_OK)
		check_round_trip(&f);
	mc_form_finish(&f);
	return 0;
}
