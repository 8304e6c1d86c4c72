/* Staff form fields: every check, a message per bad field, values kept for showing again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "motcham/web/fields.h"
#include "motcham/web/form.h"
#include "motcham/render/template.h"

static const struct mc_label kinds[] = {{"repair", "Sửa chữa"}, {NULL, NULL}};

static const struct mc_field_spec spec[] = {
    {"title", "Tiêu đề", MC_F_LINE, true, 0, 0, NULL, NULL},
    {"body", "Nội dung", MC_F_TEXT, false, 0, 0, NULL, NULL},
    {"day", "Ngày", MC_F_DATE, false, 0, 0, NULL, NULL},
    {"floors", "Số tầng", MC_F_INT, false, 0, 50, NULL, NULL},
    {"area", "Diện tích", MC_F_REAL, false, 0, 100000, NULL, NULL},
    {"kind", "Loại", MC_F_ENUM, false, 0, 0, kinds, NULL},
    {"url", "Đường dẫn", MC_F_URL, false, 0, 0, NULL, NULL},
};
#define N (sizeof(spec) / sizeof(spec[0]))

/* len 0: the whole C string. */
static void add(struct mc_form *form, const char *name, const char *val, size_t len)
{
	assert_int_equal(mc_form_append(form, name, NULL, NULL, val, 0, len ? len : strlen(val)),
			 MC_OK);
}

static void check(struct mc_fields *f, struct mc_form *form)
{
	mc_fields_init(f, spec, N);
	assert_int_equal(mc_fields_read(f, form), MC_OK);
}

static void test_good_values_are_normalised(void **state)
{
	struct mc_form form;
	struct mc_fields f;

	(void)state;
	mc_form_init(&form);
	add(&form, "title", "  Thông báo e\xCC\x82\xCC\x81  ", 0);
	add(&form, "body", "dòng 1\r\ndòng 2\r\n", 0);
	add(&form, "day", "2026-11-25", 0);
	add(&form, "floors", "07", 0);
	add(&form, "area", "45,5", 0);
	add(&form, "kind", "repair", 0);
	add(&form, "url", "https://dichvucong.example.vn/a", 0);
	check(&f, &form);
	assert_int_equal(f.nerr, 0);
	assert_string_equal(mc_fields_get(&f, "title"), "Thông báo \xE1\xBA\xBF");
	assert_string_equal(mc_fields_get(&f, "body"), "dòng 1\ndòng 2");
	assert_int_equal(mc_fields_int(&f, "floors"), 7);
	assert_true(mc_fields_real(&f, "area") > 45.49 && mc_fields_real(&f, "area") < 45.51);
	assert_true(mc_fields_ok(&f, "day"));
	mc_fields_finish(&f);
	mc_form_finish(&form);
}

static void test_each_bad_field_gets_a_message(void **state)
{
	struct mc_form form;
	struct mc_fields f;

	(void)state;
	mc_form_init(&form);
	add(&form, "body", "a\0b", 3); /* a NUL byte */
	add(&form, "day", "2026-02-30", 0);
	add(&form, "floors", "51", 0);
	add(&form, "area", "0", 0);
	add(&form, "kind", "palace", 0);
	add(&form, "url", "javascript:alert(1)", 0);
	check(&f, &form);
	assert_int_equal(f.nerr, 7); /* title missing too */
	for (size_t i = 0; i < N; i++)
		assert_non_null(f.err[i]);
	assert_false(mc_fields_ok(&f, "day"));
	/* What was typed stays, so the form can be shown again. */
	assert_string_equal(f.val[2], "2026-02-30");
	mc_fields_finish(&f);
	mc_form_finish(&form);
}

static void test_lengths(void **state)
{
	struct mc_form form;
	struct mc_fields f;
	char *big = malloc(MC_FIELD_LINE_MAX + 2);

	(void)state;
	memset(big, 'a', MC_FIELD_LINE_MAX + 1);
	big[MC_FIELD_LINE_MAX + 1] = '\0';
	mc_form_init(&form);
	add(&form, "title", big, MC_FIELD_LINE_MAX + 1);
	add(&form, "body", big, MC_FIELD_LINE_MAX + 1); /* fine in a multi-line field */
	check(&f, &form);
	assert_int_equal(f.nerr, 1);
	assert_non_null(f.err[0]);
	mc_fields_finish(&f);
	mc_form_finish(&form);
	mc_form_init(&form);
	add(&form, "title", "một\ndòng", 0);
	check(&f, &form);
	assert_int_equal(f.nerr, 1);
	mc_fields_finish(&f);
	mc_form_finish(&form);
	free(big);
}

static void test_template_data(void **state)
{
	struct mc_template *t = NULL;
	struct mc_tdata *d = mc_tdata_create();
	struct mc_fields f;
	struct mc_form form;
	struct mc_buf out;
	static const char tpl[] = "{{#fields}}[{{name}}={{value}}{{#error}}!{{/error}}]{{/fields}}";

	(void)state;
	assert_non_null(d);
	assert_int_equal(mc_template_create(&t), MC_OK);
	assert_int_equal(mc_template_add(t, "f", tpl, sizeof(tpl) - 1, NULL), MC_OK);
	mc_form_init(&form);
	add(&form, "title", "<b>", 0);
	add(&form, "floors", "x", 0);
	check(&f, &form);
	assert_int_equal(mc_fields_fail(&f, "day", "%s", "sai"), MC_OK);
	assert_int_equal(mc_fields_tobj(&f, mc_tdata_root(d), "fields"), MC_OK);
	mc_buf_init(&out);
	assert_int_equal(mc_template_render(t, "f", mc_tdata_root(d), &out), MC_OK);
	assert_string_equal(out.data,
			    "[title=&lt;b&gt;][body=][day=!][floors=x!][area=][kind=][url=]");
	mc_buf_finish(&out);
	mc_fields_finish(&f);
	mc_form_finish(&form);
	mc_tdata_destroy(d);
	mc_template_destroy(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good_values_are_normalised),
	    cmocka_unit_test(test_each_bad_field_gets_a_message),
	    cmocka_unit_test(test_lengths),
	    cmocka_unit_test(test_template_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
