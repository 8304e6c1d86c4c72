#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <unistd.h>

#include "motcham/render/template.h"

/* Parses text as template "t" in a fresh set and renders it with root; returns the
 * rendering (caller frees) or NULL when parsing or rendering failed. */
static char *render_text(const char *text, const struct mc_tobj *root)
{
	struct mc_template *t = NULL;
	struct mc_buf out;
	char *s = NULL;

	mc_buf_init(&out);
	assert_int_equal(mc_template_create(&t), MC_OK);
	if (mc_template_add(t, "t", text, strlen(text), NULL) == MC_OK &&
	    mc_template_render(t, "t", root, &out) == MC_OK)
		s = mc_buf_steal(&out);
	mc_buf_finish(&out);
	mc_template_destroy(t);
	return s;
}

static void expect_render(const char *text, const struct mc_tobj *root, const char *want)
{
	char *got = render_text(text, root);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_escape(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *r = mc_tdata_root(d);
	struct mc_buf b;

	(void)state;
	assert_int_equal(mc_tobj_str(r, "x", "<script>alert(\"x\")</script>"), MC_OK);
	assert_int_equal(mc_tobj_str(r, "q", "a'b & c"), MC_OK);
	expect_render(
	    "<p title=\"{{q}}\">{{x}}</p>", r,
	    "<p title=\"a&#39;b &amp; c\">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
	    "</p>");
	mc_buf_init(&b);
	assert_int_equal(mc_html_escape(&b, "1 < 2 > 0 \"'&", 13), MC_OK);
	assert_string_equal(b.data, "1 &lt; 2 &gt; 0 &quot;&#39;&amp;");
	/* What XML refuses becomes U+FFFD; Vietnamese, tabs and new lines pass as they are. */
	mc_buf_reset(&b);
	assert_int_equal(mc_html_escape(&b, "Phường\x01 7\xEF\xBF\xBE\xEF\xBF\xBF\xff\t\n<", 22),
			 MC_OK);
	assert_string_equal(b.data,
			    "Phường\xEF\xBF\xBD 7\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\t\n&lt;");
	mc_buf_reset(&b);
	assert_int_equal(mc_html_escape(&b, "\xED\xA0\x80!", 4), MC_OK); /* a surrogate */
	assert_string_equal(b.data, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!");
	mc_buf_finish(&b);
	mc_tdata_destroy(d);
}

static void test_unescaped_forms_refused(void **state)
{
	struct mc_template *t = NULL;
	struct mc_buf errs;

	(void)state;
	mc_buf_init(&errs);
	assert_int_equal(mc_template_create(&t), MC_OK);
	assert_int_equal(mc_template_add(t, "a", "{{{x}}}", 7, &errs), MC_ERR_TEMPLATE);
	assert_int_equal(mc_template_add(t, "b", "{{&x}}", 6, &errs), MC_ERR_TEMPLATE);
	assert_int_equal(mc_template_add(t, "c", "{{=<% %>=}}", 11, &errs), MC_ERR_TEMPLATE);
	assert_non_null(strstr(errs.data, "a:1:"));
	assert_non_null(strstr(errs.data, "b:1:"));
	mc_buf_finish(&errs);
	mc_template_destroy(t);
}

static void test_sections_over_lists(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *r = mc_tdata_root(d), *it;
	const char *names[] = {"một", "hai", "<ba>"};
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_non_null(it = mc_tobj_push(r, "items"));
		assert_int_equal(mc_tobj_str(it, "name", names[i]), MC_OK);
		assert_int_equal(mc_tobj_strf(it, "n", "%zu", i + 1), MC_OK);
	}
	expect_render("<ol>{{#items}}<li>{{n}}. {{name}}</li>{{/items}}</ol>", r,
		      "<ol><li>1. một</li><li>2. hai</li><li>3. &lt;ba&gt;</li></ol>");
	mc_tdata_destroy(d);
}

static void test_truthiness(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *r = mc_tdata_root(d), *o;

	(void)state;
	assert_int_equal(mc_tobj_bool(r, "yes", true), MC_OK);
	assert_int_equal(mc_tobj_bool(r, "no", false), MC_OK);
	assert_int_equal(mc_tobj_str(r, "empty", ""), MC_OK);
	assert_int_equal(mc_tobj_str(r, "word", "chữ"), MC_OK);
	assert_int_equal(mc_tobj_str(r, "null", NULL), MC_OK);
	assert_non_null(o = mc_tobj_obj(r, "obj"));
	assert_int_equal(mc_tobj_str(o, "inner", "trong"), MC_OK);
	expect_render(
	    "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}{{#empty}}E{{/empty}}{{#word}}[{{word}}]"
	    "{{/word}}{{#null}}U{{/null}}{{#missing}}M{{/missing}}{{#obj}}{{inner}}{{/obj}}",
	    r, "Y[chữ]trong");
	expect_render("{{^yes}}Y{{/yes}}{{^no}}N{{/no}}{{^empty}}E{{/empty}}{{^word}}W{{/word}}"
		      "{{^null}}U{{/null}}{{^missing}}M{{/missing}}{{^obj}}O{{/obj}}",
		      r, "NEUM");
	/* Booleans and objects print nothing as values. */
	expect_render("<{{yes}}{{obj}}{{null}}{{missing}}>", r, "<>");
	mc_tdata_destroy(d);
}

static void test_inverted_list(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *r = mc_tdata_root(d);
	const char *text = "{{#items}}có{{/items}}{{^items}}Không có kết quả{{/items}}";

	(void)state;
	expect_render(text, r, "Không có kết quả");
	assert_non_null(mc_tobj_push(r, "items"));
	expect_render(text, r, "có");
	mc_tdata_destroy(d);
}

static void test_outward_lookup(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *r = mc_tdata_root(d), *w, *it;

	(void)state;
	assert_int_equal(mc_tobj_str(r, "slug", "p7"), MC_OK);
	assert_int_equal(mc_tobj_str(r, "name", "root"), MC_OK);
	assert_non_null(w = mc_tobj_obj(r, "ward"));
	assert_int_equal(mc_tobj_str(w, "name", "Phường 7"), MC_OK);
	assert_non_null(it = mc_tobj_push(w, "procs"));
	assert_int_equal(mc_tobj_str(it, "id", "1"), MC_OK);
	assert_non_null(it = mc_tobj_push(w, "procs"));
	assert_int_equal(mc_tobj_str(it, "id", "2"), MC_OK);
	assert_int_equal(mc_tobj_str(it, "name", "own"), MC_OK);
	expect_render("{{#ward}}{{#procs}}/w/{{slug}}/{{id}} {{name}};{{/procs}}{{/ward}}", r,
		      "/w/p7/1 Phường 7;/w/p7/2 own;");
	expect_render("{{ward.name}}|{{ward.none}}|{{slug.x}}|{{#ward.procs}}{{id}}{{/ward.procs}}",
		      r, "Phường 7|||12");
	mc_tdata_destroy(d);
}

static void test_replace_key(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *r = mc_tdata_root(d);

	(void)state;
	assert_int_equal(mc_tobj_str(r, "a", "first"), MC_OK);
	assert_int_equal(mc_tobj_str(r, "a", "second"), MC_OK);
	assert_int_equal(mc_tobj_strn(r, "b", "abcdef", 3), MC_OK);
	expect_render("{{a}} {{b}}", r, "second abc");
	assert_int_equal(mc_tobj_str(r, "a", NULL), MC_OK);
	expect_render("[{{a}}]{{^a}}gone{{/a}}", r, "[]gone");
	mc_tdata_destroy(d);
}

static void test_partials(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *r = mc_tdata_root(d), *it;
	struct mc_template *t = NULL;
	struct mc_buf out;
	const char *page = "{{>head}}<main>{{#rows}}{{>row}}{{/rows}}</main>";

	(void)state;
	mc_buf_init(&out);
	assert_int_equal(mc_tobj_str(r, "title", "Thủ tục"), MC_OK);
	assert_non_null(it = mc_tobj_push(r, "rows"));
	assert_int_equal(mc_tobj_str(it, "v", "a&b"), MC_OK);
	assert_int_equal(mc_template_create(&t), MC_OK);
	assert_int_equal(mc_template_add(t, "page", page, strlen(page), NULL), MC_OK);
	assert_int_equal(mc_template_add(t, "head", "<h1>{{title}}</h1>", 18, NULL), MC_OK);
	/* Rendering a missing partial is an error, not silent output. */
	assert_int_equal(mc_template_render(t, "page", r, &out), MC_ERR_TEMPLATE);
	mc_buf_reset(&out);
	assert_int_equal(mc_template_add(t, "row", "<p>{{v}} {{title}}</p>", 22, NULL), MC_OK);
	assert_int_equal(mc_template_render(t, "page", r, &out), MC_OK);
	assert_string_equal(out.data, "<h1>Thủ tục</h1><main><p>a&amp;b Thủ tục</p></main>");
	assert_int_equal(mc_template_render(t, "nope", r, &out), MC_ERR_TEMPLATE);
	mc_buf_finish(&out);
	mc_template_destroy(t);
	mc_tdata_destroy(d);
}

static void test_recursion_refused(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_template *t = NULL;
	struct mc_buf out;

	(void)state;
	mc_buf_init(&out);
	assert_int_equal(mc_template_create(&t), MC_OK);
	assert_int_equal(mc_template_add(t, "a", "a{{>b}}", 7, NULL), MC_OK);
	assert_int_equal(mc_template_add(t, "b", "b{{>a}}", 7, NULL), MC_OK);
	assert_int_equal(mc_template_render(t, "a", mc_tdata_root(d), &out), MC_ERR_TEMPLATE);
	mc_buf_finish(&out);
	mc_template_destroy(t);
	mc_tdata_destroy(d);
}

static void test_syntax_errors(void **state)
{
	static const struct {
		const char *text;
		const char *where;
	} cases[] = {
	    {"a\n{{#x}}\nb", "t:3:"},
	    {"{{#x}}\n{{/y}}", "t:2:"},
	    {"\n\n{{/x}}", "t:3:"},
	    {"a {{x", "t:1:"},
	    {"{{ }}", "t:1:"},
	    {"{{bad name}}", "t:1:"},
	    {"{{#a}}{{^b}}{{/a}}{{/b}}", "t:1:"},
	    {"{{>../etc/passwd}}", "t:1:"},
	};
	struct mc_template *t = NULL;
	struct mc_buf errs;
	size_t i;

	(void)state;
	assert_int_equal(mc_template_create(&t), MC_OK);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mc_buf_init(&errs);
		assert_int_equal(
		    mc_template_add(t, "t", cases[i].text, strlen(cases[i].text), &errs),
		    MC_ERR_TEMPLATE);
		assert_non_null(errs.data);
		if (!strstr(errs.data, cases[i].where))
			fail_msg("case %zu: \"%s\" lacks %s", i, errs.data, cases[i].where);
		mc_buf_finish(&errs);
	}
	/* A failed add leaves no template behind. */
	mc_buf_init(&errs);
	assert_int_equal(mc_template_render(t, "t", NULL, &errs), MC_ERR_TEMPLATE);
	mc_buf_finish(&errs);
	mc_template_destroy(t);
}

static void test_limits(void **state)
{
	struct mc_template *t = NULL;
	struct mc_buf text, errs;
	size_t big = 256 * 1024 + 1;
	char *s;
	int i;

	(void)state;
	assert_int_equal(mc_template_create(&t), MC_OK);
	mc_buf_init(&text);
	for (i = 0; i < 32; i++)
		mc_buf_printf(&text, "{{#s%d}}", i);
	for (i = 31; i >= 0; i--)
		mc_buf_printf(&text, "{{/s%d}}", i);
	assert_int_equal(mc_template_add(t, "deep32", text.data, text.len, NULL), MC_OK);
	mc_buf_reset(&text);
	for (i = 0; i < 33; i++)
		mc_buf_printf(&text, "{{#s%d}}", i);
	for (i = 32; i >= 0; i--)
		mc_buf_printf(&text, "{{/s%d}}", i);
	mc_buf_init(&errs);
	assert_int_equal(mc_template_add(t, "deep33", text.data, text.len, &errs), MC_ERR_TEMPLATE);
	assert_non_null(strstr(errs.data, "deeper"));
	mc_buf_finish(&errs);
	mc_buf_finish(&text);
	s = malloc(big);
	assert_non_null(s);
	memset(s, 'x', big);
	assert_int_equal(mc_template_add(t, "big", s, big, NULL), MC_ERR_TEMPLATE);
	assert_int_equal(mc_template_add(t, "nul", "a\0b", 3, NULL), MC_ERR_TEMPLATE);
	assert_int_equal(mc_template_add(t, "Bad/Name", "x", 1, NULL), MC_ERR_TEMPLATE);
	free(s);
	mc_template_destroy(t);
}

static void test_vietnamese_bytes(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *r = mc_tdata_root(d);
	const char *v = "Đăng ký khai sinh — “Phường 7, Quận 8” ế ệ ỹ";

	(void)state;
	assert_int_equal(mc_tobj_str(r, "v", v), MC_OK);
	expect_render("Thủ tục: {{v}}.", r,
		      "Thủ tục: Đăng ký khai sinh — “Phường 7, Quận 8” ế ệ ỹ.");
	mc_tdata_destroy(d);
}

static void test_arena_growth(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *r = mc_tdata_root(d), *it;
	struct mc_template *t = NULL;
	struct mc_buf out;
	size_t long_len = 100000;
	char *long_s = malloc(long_len + 1);
	int i;

	(void)state;
	assert_non_null(long_s);
	memset(long_s, 'a', long_len);
	long_s[long_len] = '\0';
	for (i = 0; i < 5000; i++) {
		assert_non_null(it = mc_tobj_push(r, "items"));
		assert_int_equal(mc_tobj_strf(it, "i", "%d", i), MC_OK);
	}
	assert_int_equal(mc_tobj_str(r, "long", long_s), MC_OK);
	mc_buf_init(&out);
	assert_int_equal(mc_template_create(&t), MC_OK);
	assert_int_equal(mc_template_add(t, "t", "{{#items}}{{i}},{{/items}}|{{long}}", 35, NULL),
			 MC_OK);
	assert_int_equal(mc_template_render(t, "t", r, &out), MC_OK);
	assert_non_null(strstr(out.data, ",4999,|aaa"));
	assert_int_equal(strlen(strchr(out.data, '|') + 1), long_len);
	assert_memory_equal(out.data, "0,1,2,", 6);
	mc_buf_finish(&out);
	mc_template_destroy(t);
	free(long_s);
	mc_tdata_destroy(d);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void remove_dir(const char *dir, const char *const *names)
{
	char path[512];

	for (; *names; names++) {
		snprintf(path, sizeof(path), "%s/%s", dir, *names);
		unlink(path);
	}
	rmdir(dir);
}

static void test_load_dir(void **state)
{
	static const char *const names[] = {"page.html", "head.html", "notes.txt", "loop.html",
					    NULL};
	char dir[] = "/tmp/mc_tpl_XXXXXX";
	struct mc_tdata *d = mc_tdata_create();
	struct mc_template *t = NULL;
	struct mc_buf out, errs;

	(void)state;
	assert_non_null(mkdtemp(dir));
	write_file(dir, "page.html", "{{>head}}\n<p>{{x}}</p>\n");
	write_file(dir, "head.html", "<!doctype html>\n<title>{{x}}</title>\n");
	write_file(dir, "notes.txt", "{{#unclosed}}");
	mc_buf_init(&out);
	mc_buf_init(&errs);
	assert_int_equal(mc_tobj_str(mc_tdata_root(d), "x", "Tờ khai"), MC_OK);
	assert_int_equal(mc_template_load(dir, &t, &errs), MC_OK);
	assert_int_equal(mc_template_render(t, "page", mc_tdata_root(d), &out), MC_OK);
	assert_string_equal(out.data,
			    "<!doctype html>\n<title>Tờ khai</title>\n\n<p>Tờ khai</p>\n");
	mc_template_destroy(t);

	/* A cycle through partials is refused at load time, naming the file. */
	write_file(dir, "loop.html", "x\n{{>page}}");
	write_file(dir, "head.html", "{{>loop}}");
	assert_int_equal(mc_template_load(dir, &t, &errs), MC_ERR_TEMPLATE);
	assert_null(t);
	assert_non_null(strstr(errs.data, "recurses"));

	/* Syntax errors carry the path and the line. */
	mc_buf_reset(&errs);
	write_file(dir, "head.html", "<h1>\n{{#a}}\n</h1>\n");
	assert_int_equal(mc_template_load(dir, &t, &errs), MC_ERR_TEMPLATE);
	assert_non_null(strstr(errs.data, "head.html:4:"));
	assert_int_equal(mc_template_load("/nonexistent/dir", &t, NULL), MC_ERR_IO);
	mc_buf_finish(&out);
	mc_buf_finish(&errs);
	remove_dir(dir, names);
	mc_tdata_destroy(d);
	mc_tdata_destroy(NULL);
	mc_template_destroy(NULL);
}

struct shared {
	const struct mc_template *t;
	const struct mc_tobj *root;
	const char *want;
	int bad;
};

static void *render_many(void *arg)
{
	struct shared *sh = arg;
	struct mc_buf out;
	int i, bad = 0;

	mc_buf_init(&out);
	for (i = 0; i < 2000; i++) {
		mc_buf_reset(&out);
		if (mc_template_render(sh->t, "page", sh->root, &out) != MC_OK ||
		    strcmp(out.data, sh->want) != 0)
			bad++;
	}
	mc_buf_finish(&out);
	return (void *)(intptr_t)bad;
}

/* One read-only set and data tree rendered from several threads at once. */
static void test_threads(void **state)
{
	struct mc_tdata *d = mc_tdata_create();
	struct mc_tobj *r = mc_tdata_root(d), *it;
	struct mc_template *t = NULL;
	struct shared sh;
	pthread_t th[4];
	void *ret;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		assert_non_null(it = mc_tobj_push(r, "rows"));
		assert_int_equal(mc_tobj_strf(it, "v", "<%d>", i), MC_OK);
	}
	assert_int_equal(mc_template_create(&t), MC_OK);
	assert_int_equal(mc_template_add(t, "row", "[{{v}}]", 7, NULL), MC_OK);
	assert_int_equal(mc_template_add(t, "page", "{{#rows}}{{>row}}{{/rows}}", 26, NULL), MC_OK);
	sh = (struct shared){t, r, "[&lt;0&gt;][&lt;1&gt;][&lt;2&gt;]", 0};
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, render_many, &sh), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_int_equal((intptr_t)ret, 0);
	}
	mc_template_destroy(t);
	mc_tdata_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_unescaped_forms_refused),
	    cmocka_unit_test(test_sections_over_lists),
	    cmocka_unit_test(test_truthiness),
	    cmocka_unit_test(test_inverted_list),
	    cmocka_unit_test(test_outward_lookup),
	    cmocka_unit_test(test_replace_key),
	    cmocka_unit_test(test_partials),
	    cmocka_unit_test(test_recursion_refused),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_vietnamese_bytes),
	    cmocka_unit_test(test_arena_growth),
	    cmocka_unit_test(test_load_dir),
	    cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, 0, 0);
}
