/* CSV import and the demo loader: kinds, validation, line numbers, all-or-nothing, codes. */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "motcham/import/csvimport.h"
#include "motcham/import/demo.h"
#include "motcham/store/store.h"

struct fixture {
	char dir[64];
	char path[128]; /* the last file written */
	struct mc_store *s;
	int64_t ward;
	char *err;
	size_t errlen;
	FILE *errs;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct mc_ward w = {.slug = "phuong-7-quan-8", .name = "Phường 7, Quận 8", .sample = true};
	char db[128];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/mc-import-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(db, sizeof(db), "%s/t.db", f->dir);
	assert_int_equal(mc_store_open(db, MC_STORE_CREATE, &f->s), MC_OK);
	assert_int_equal(mc_store_migrate(f->s), MC_OK);
	assert_int_equal(mc_store_ward_upsert(f->s, &w, &f->ward), MC_OK);
	f->errs = open_memstream(&f->err, &f->errlen);
	assert_non_null(f->errs);
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mc_store_destroy(f->s);
	fclose(f->errs);
	free(f->err);
	nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Writes a file in the fixture's directory; f->path names it. */
static const char *put(struct fixture *f, const char *name, const char *text)
{
	FILE *fp;

	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	fp = fopen(f->path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
	assert_int_equal(fclose(fp), 0);
	return f->path;
}

static const char *errors(struct fixture *f)
{
	fflush(f->errs);
	return f->err ? f->err : "";
}

/* Checks that the messages contain "PATH:LINE: needle". */
static void assert_reported(struct fixture *f, long line, const char *needle)
{
	char want[512];

	snprintf(want, sizeof(want), "%s:%ld: %s", f->path, line, needle);
	if (!strstr(errors(f), want))
		fail_msg("expected \"%s\" in:\n%s", want, errors(f));
}

static enum mc_err count_code(void *ctx, const struct mc_code *c)
{
	(void)c;
	(*(int *)ctx)++;
	return MC_OK;
}

static int codes(struct fixture *f, const char *kind)
{
	int n = 0;

	assert_int_equal(mc_store_code_each(f->s, kind, count_code, &n), MC_OK);
	return n;
}

struct proc {
	int n;
	int64_t id;
	char tthc[32];
	char title[256];
	char field[256];
	char steps[512];
	char office[256];
	char legal[512];
	char url[256];
	bool level_null;
};

static enum mc_err got_proc(void *ctx, const struct mc_procedure *p)
{
	struct proc *g = ctx;

	g->n++;
	g->id = p->id;
	snprintf(g->tthc, sizeof(g->tthc), "%s", p->tthc_code);
	snprintf(g->title, sizeof(g->title), "%s", p->title);
	snprintf(g->field, sizeof(g->field), "%s", p->field);
	snprintf(g->steps, sizeof(g->steps), "%s", p->steps ? p->steps : "");
	snprintf(g->office, sizeof(g->office), "%s", p->office ? p->office : "");
	snprintf(g->legal, sizeof(g->legal), "%s", p->legal_basis ? p->legal_basis : "");
	snprintf(g->url, sizeof(g->url), "%s", p->online_url ? p->online_url : "");
	g->level_null = p->level == NULL;
	return MC_OK;
}

static int procedures(struct fixture *f)
{
	struct proc g = {0};

	assert_int_equal(mc_store_procedure_each(f->s, f->ward, got_proc, &g), MC_OK);
	return g.n;
}

struct find {
	const char *tthc;
	int64_t id;
};

static enum mc_err find_proc(void *ctx, const struct mc_procedure *p)
{
	struct find *q = ctx;

	if (strcmp(p->tthc_code, q->tthc) == 0)
		q->id = p->id;
	return MC_OK;
}

static void get_proc(struct fixture *f, const char *tthc, struct proc *g)
{
	struct find q = {tthc, 0};

	memset(g, 0, sizeof(*g));
	assert_int_equal(mc_store_procedure_each(f->s, f->ward, find_proc, &q), MC_OK);
	assert_true(q.id > 0);
	assert_int_equal(mc_store_procedure_get(f->s, q.id, got_proc, g), MC_OK);
	assert_int_equal(g->n, 1);
}

static enum mc_err got_token(void *ctx, const struct mc_code *c)
{
	snprintf(ctx, MC_TOKEN_LEN + 1, "%s", c->token);
	return MC_OK;
}

#define BOM "\xEF\xBB\xBF"

static const char good_procedures[] =
    BOM "Tthc_Code , title,field,steps,duration,office,documents,forms,legal_basis,online_url,"
	"level\r\n"
	"1.001193,Đăng ký khai sinh,Hộ tịch,\"Nộp tờ khai tại Bộ phận Một cửa\r\n"
	"  Nhận kết quả  \r\n\",05 ngày làm việc,\"UBND Phường 7, Quận 8\","
	"\"Tờ khai đăng ký khai sinh | 1 | 0\n"
	"Giấy chứng sinh\n\n"
	"Căn cước của cha, mẹ | 0 | 2\",Tờ khai đăng ký khai sinh,"
	"\"Luật Hộ tịch 2014\nNghị định 123/2015/NĐ-CP\","
	"https://dichvucong.example.vn/1.001193,\r\n"
	"2.000794,\"Chứng thực bản sao từ bản chính \"\"giấy tờ\"\"\",Chứng thực,Nộp hồ sơ,"
	"Trong ngày,UBND phường,,,,,Cấp xã\r\n";

struct docs {
	int n;
	char text[1024];
};

static enum mc_err got_doc(void *ctx, const struct mc_document *d)
{
	struct docs *g = ctx;
	size_t used = strlen(g->text);

	g->n++;
	snprintf(g->text + used, sizeof(g->text) - used, "%d:%s:%d:%d;", (int)d->kind, d->name,
		 d->originals, d->copies);
	return MC_OK;
}

static void test_good_procedures_round_trip(void **state)
{
	struct fixture *f = *state;
	struct mc_import_stats st = {0};
	struct docs d = {0};
	struct proc p;

	put(f, "p.csv", good_procedures);
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, &st, f->errs), MC_OK);
	assert_string_equal(errors(f), "");
	assert_int_equal(st.rows, 2);
	assert_int_equal(st.created, 2);
	assert_int_equal(st.updated, 0);
	assert_int_equal(st.rejected, 0);

	get_proc(f, "1.001193", &p);
	assert_string_equal(p.title, "Đăng ký khai sinh");
	assert_string_equal(p.field, "Hộ tịch");
	/* CRLF inside the quoted cell becomes LF; each line trimmed. */
	assert_string_equal(p.steps, "Nộp tờ khai tại Bộ phận Một cửa\nNhận kết quả");
	assert_string_equal(p.office, "UBND Phường 7, Quận 8");
	assert_string_equal(p.legal, "Luật Hộ tịch 2014\nNghị định 123/2015/NĐ-CP");
	assert_string_equal(p.url, "https://dichvucong.example.vn/1.001193");
	assert_true(p.level_null);
	assert_int_equal(mc_store_procedure_documents(f->s, p.id, got_doc, &d), MC_OK);
	assert_int_equal(d.n, 4);
	assert_string_equal(d.text, "0:Tờ khai đăng ký khai sinh:1:0;0:Giấy chứng sinh:1:0;"
				    "0:Căn cước của cha, mẹ:0:2;1:Tờ khai đăng ký khai sinh:1:0;");

	get_proc(f, "2.000794", &p);
	assert_string_equal(p.title, "Chứng thực bản sao từ bản chính \"giấy tờ\"");
	assert_false(p.level_null);
}

static void test_decomposed_stored_as_nfc(void **state)
{
	struct fixture *f = *state;
	struct proc p;

	/* "ký" as y + U+0301, "ộ" as ô + U+0323: stored composed. */
	put(f, "p.csv",
	    "tthc_code,title,field,steps,duration,office\n"
	    "1.001193,Đăng ky\xCC\x81 khai sinh,Ho\xCC\x82\xCC\xA3 tịch,Nộp,5 ngày,UBND\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_OK);
	get_proc(f, "1.001193", &p);
	assert_string_equal(p.title, "Đăng k\xC3\xBD khai sinh");
	assert_string_equal(p.field, "H\xE1\xBB\x99 tịch");
}

static void test_bad_rows_import_nothing(void **state)
{
	struct fixture *f = *state;
	struct mc_import_stats st = {0};

	put(f, "p.csv",
	    "tthc_code,title,field,steps,duration,office\n"  /* line 1 */
	    "1.001193,A,B,\"one\ntwo\nthree\",5 ngày,UBND\n" /* lines 2-4 */
	    "\n"					     /* line 5 */
	    "1.001194,C,D,step,5 ngày,UBND\n"		     /* line 6 */
	    "1.00x195,E,F,step,5 ngày,UBND\n"		     /* line 7 */
	    "1.001196,G,H,\"a\nb\",5 ngày,UBND\n"	     /* lines 8-9 */
	    "1.001197,I,J,step,,UBND\n"			     /* line 10 */
	    "1.001198,K,L,step,5 ngày,UBND");		     /* line 11, no LF */
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, &st, f->errs), MC_ERR_INVALID);
	assert_int_equal(st.rows, 6);
	assert_int_equal(st.rejected, 2);
	assert_int_equal(st.created, 0);
	assert_reported(f, 7, "column tthc_code: \"1.00x195\" is not a code");
	assert_reported(f, 10, "column duration: required");
	assert_null(strstr(errors(f), ":4:"));
	assert_int_equal(procedures(f), 0);
	assert_int_equal(codes(f, NULL), 0);
}

static void test_unknown_column_refused(void **state)
{
	struct fixture *f = *state;

	put(f, "p.csv",
	    "tthc_code,titel,title,field,steps,duration,office\n"
	    "1.001193,x,A,B,C,D,E\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 1, "unknown column \"titel\"");
	assert_int_equal(procedures(f), 0);
}

static void test_missing_required_column_refused(void **state)
{
	struct fixture *f = *state;

	put(f, "p.csv", "tthc_code,title,field,steps,duration\n1.001193,A,B,C,D\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 1, "missing required column office");
	assert_int_equal(procedures(f), 0);
}

static void test_invalid_utf8_refused(void **state)
{
	struct fixture *f = *state;

	put(f, "p.csv",
	    "tthc_code,title,field,steps,duration,office\n"
	    "1.001193,A,B,C,D,E\n"
	    "1.001194,\xC4\x90\xC3ng k\xFF,B,C,D,E\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 3, "column title: not valid UTF-8");
	assert_int_equal(procedures(f), 0);
}

static const char permit_header[] =
    "number,kind,address,owner_name,scope,floors,area_m2,height_m,office,issued_on,starts_on,"
    "ends_on,status,status_reason\n";

static void test_permit_dates_checked(void **state)
{
	struct fixture *f = *state;
	char text[2048];

	snprintf(text, sizeof(text),
		 "%s"
		 "1/GPSC,repair,1 Ba Tơ,Nguyễn Văn An,Sửa mái,1,50,4,UBND,2026-01-05,2026-02-01,"
		 "2026-01-31,issued,\n"
		 "2/GPSC,repair,2 Ba Tơ,Trần Thị Bình,Sửa mái,1,50,4,UBND,2026-01-05,2026-02-01,"
		 "2026-02-30,issued,\n"
		 "3/GPSC,repair,3 Ba Tơ,Lê Văn Cường,Sửa mái,1,50,4,UBND,2026-01-05,2026-02-01,"
		 "2026-03-01,suspended,\n"
		 "4/GPSC,repair,4 Ba Tơ,Lê Văn Dũng,Sửa mái,51,50,4,UBND,2026-01-05,2026-02-01,"
		 "2026-03-01,issued,\n",
		 permit_header);
	put(f, "r.csv", text);
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 2, "column ends_on: 2026-01-31 is before starts_on 2026-02-01");
	assert_reported(f, 3, "column ends_on: \"2026-02-30\" is not a valid date");
	assert_reported(f, 4, "column status_reason: a suspended permit needs a reason");
	assert_reported(f, 5, "column floors: \"51\" is not a whole number from 0 to 50");
	assert_int_equal(codes(f, MC_KIND_PERMIT), 0);
}

struct permit {
	char kind[32], status[32], owner[128];
	int floors;
	double area;
};

static enum mc_err got_permit(void *ctx, const struct mc_permit *p)
{
	struct permit *g = ctx;

	snprintf(g->kind, sizeof(g->kind), "%s", p->kind);
	snprintf(g->status, sizeof(g->status), "%s", p->status);
	snprintf(g->owner, sizeof(g->owner), "%s", p->owner_name);
	g->floors = p->floors;
	g->area = p->area_m2;
	return MC_OK;
}

static void test_permit_vietnamese_words(void **state)
{
	struct fixture *f = *state;
	struct permit g = {0};
	char text[1024];
	int64_t id = 0;

	snprintf(text, sizeof(text),
		 "%s"
		 "15/GPSC-UBND,Sửa chữa,1 Ba Tơ,Nguyễn Văn An,\"Sửa mái\nLát nền\",2,68.5,7.8,"
		 "UBND,2026-01-05,2026-01-05,2026-03-01,đang thi công,\n",
		 permit_header);
	put(f, "r.csv", text);
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_OK);
	assert_int_equal(mc_store_permit_id(f->s, "15/GPSC-UBND", &id), MC_OK);
	assert_int_equal(mc_store_permit_get(f->s, id, got_permit, &g), MC_OK);
	assert_string_equal(g.kind, MC_PERMIT_REPAIR);
	assert_string_equal(g.status, MC_STATUS_IN_PROGRESS);
	assert_string_equal(g.owner, "Nguyễn Văn An");
	assert_int_equal(g.floors, 2);
	assert_true(g.area > 68.49 && g.area < 68.51);
	assert_int_equal(codes(f, MC_KIND_PERMIT), 1);
}

static void test_reimport_keeps_code(void **state)
{
	struct fixture *f = *state;
	struct mc_import_stats st = {0};
	char before[MC_TOKEN_LEN + 1] = "", after[MC_TOKEN_LEN + 1] = "";
	struct proc p;

	put(f, "p.csv",
	    "tthc_code,title,field,steps,duration,office\n"
	    "1.001193,Đăng ký khai sinh,Hộ tịch,Nộp,5 ngày,UBND\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_OK);
	get_proc(f, "1.001193", &p);
	assert_int_equal(mc_store_code_for_target(f->s, MC_KIND_PROCEDURE, p.id, got_token, before),
			 MC_OK);

	put(f, "p.csv",
	    "title,tthc_code,field,steps,duration,office\n"
	    "Đăng ký khai sinh (mới),1.001193,Hộ tịch,Nộp,3 ngày,UBND\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, &st, f->errs), MC_OK);
	assert_int_equal(st.created, 0);
	assert_int_equal(st.updated, 1);
	get_proc(f, "1.001193", &p);
	assert_string_equal(p.title, "Đăng ký khai sinh (mới)");
	assert_int_equal(mc_store_code_for_target(f->s, MC_KIND_PROCEDURE, p.id, got_token, after),
			 MC_OK);
	assert_int_equal(strlen(before), MC_TOKEN_LEN);
	assert_string_equal(before, after);
	assert_int_equal(codes(f, NULL), 1);
}

static void test_every_new_record_has_code(void **state)
{
	struct fixture *f = *state;

	put(f, "w.csv", "slug,name,sample\nphuong-1-quan-8,\"Phường 1, Quận 8\",no\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_OK);
	put(f, "p.csv", good_procedures);
	/* Two wards now: the file names none, so the caller must. */
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 1, "no ward column and there are several wards");
	assert_int_equal(mc_csvimport_file(f->s, f->path, "phuong-7-quan-8", NULL, f->errs), MC_OK);
	put(f, "a.csv",
	    "ward,title,body,published_on,expires_on\n"
	    "phuong-1-quan-8,Lịch tiếp dân,\"Sáng thứ Năm\nhằng tuần\",2026-11-01,\n"
	    "phuong-7-quan-8,Lịch tiếp dân,Chiều thứ Sáu,2026-11-01,2026-12-31\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_OK);
	put(f, "r.csv",
	    "ward,number,kind,address,owner_name,scope,office,issued_on,starts_on,"
	    "ends_on,status\n"
	    "phuong-7-quan-8,1/GPSC,repair,1 Ba Tơ,Nguyễn Văn An,Sửa,UBND,2026-01-05,"
	    "2026-01-06,2026-03-01,issued\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_OK);
	put(f, "i.csv",
	    "permit_number,on_date,inspector,result,note\n"
	    "1/GPSC,2026-01-20,Trần Minh Khoa,Đạt,\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_OK);
	assert_int_equal(codes(f, MC_KIND_WARD), 1); /* the new ward; setup's was not imported */
	assert_int_equal(codes(f, MC_KIND_PROCEDURE), 2);
	assert_int_equal(codes(f, MC_KIND_ANNOUNCEMENT), 2);
	assert_int_equal(codes(f, MC_KIND_PERMIT), 1);
	assert_int_equal(codes(f, NULL), 6);
}

static void test_duplicate_key_refused(void **state)
{
	struct fixture *f = *state;

	put(f, "p.csv",
	    "tthc_code,title,field,steps,duration,office\n"
	    "1.001193,A,B,C,D,E\n"
	    "1.001194,A,B,C,D,E\n"
	    "1.001193,A2,B,C,D,E\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 4, "the same ward and tthc_code as line 2");
	assert_int_equal(procedures(f), 0);
}

static void test_syntax_errors(void **state)
{
	struct fixture *f = *state;

	put(f, "p.csv",
	    "tthc_code,title,field,steps,duration,office\n"
	    "1.001193,A,B,C,D,E\n"
	    "1.001194,A\"x,B,C,D,E\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 3, "CSV syntax error");
	put(f, "q.csv",
	    "tthc_code,title,field,steps,duration,office\n"
	    "1.001193,A,B,C,D,E\n"
	    "1.001194,A,B,\"C\nD,E\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 3, "a quoted cell is never closed");
	put(f, "e.csv", BOM);
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	put(f, "x.csv", "foo,bar\n1,2\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 1, "cannot tell what the file holds");
	put(f, "c.csv", "tthc_code,title,field,steps,duration,office\n1.001193,A,B,C,D\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 2, "the row has 5 cells but the header has 6");
	snprintf(f->path, sizeof(f->path), "%s/missing.csv", f->dir);
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_NOTFOUND);
	assert_int_equal(procedures(f), 0);
}

static void test_inspection_needs_permit(void **state)
{
	struct fixture *f = *state;

	put(f, "i.csv",
	    "permit_number,on_date,inspector,result,note\n"
	    "99/GPSC,2026-01-20,Trần Minh Khoa,Đạt,\n");
	assert_int_equal(mc_csvimport_file(f->s, f->path, NULL, NULL, f->errs), MC_ERR_INVALID);
	assert_reported(f, 2, "column permit_number: there is no permit \"99/GPSC\"");
}

/* Writes the five demo files into dir, relative to the fixture's directory. */
static void put_demo(struct fixture *f, const char *dir)
{
	char name[160];

	snprintf(name, sizeof(name), "%s/ward.csv", dir);
	put(f, name,
	    "slug,name,address,phone,hours,intro,sample\n"
	    "phuong-9-quan-8,\"Phường 9, Quận 8\",,028,7:30–17:00,\"Xin chào\nquý khách\",1\n");
	snprintf(name, sizeof(name), "%s/procedures.csv", dir);
	put(f, name,
	    "tthc_code,title,field,steps,duration,office\n"
	    "1.001193,Đăng ký khai sinh,Hộ tịch,Nộp,5 ngày,UBND\n");
	snprintf(name, sizeof(name), "%s/announcements.csv", dir);
	put(f, name, "title,body,published_on\nLịch tiếp dân,Thứ Năm,2026-11-01\n");
	snprintf(name, sizeof(name), "%s/permits.csv", dir);
	put(f, name,
	    "number,kind,address,owner_name,scope,office,issued_on,starts_on,ends_on,"
	    "status\n"
	    "9/GPSC,cải tạo,1 Ba Tơ,Nguyễn Văn An,Sửa,UBND,2026-01-05,2026-01-06,"
	    "2026-03-01,hoàn thành\n");
	put(f, "demo/inspections.csv",
	    "permit_number,on_date,inspector,result\n9/GPSC,2026-01-20,Khoa,Đạt\n");
}

struct all_tokens {
	char text[512];
};

static enum mc_err add_token(void *ctx, const struct mc_code *c)
{
	struct all_tokens *t = ctx;
	size_t used = strlen(t->text);

	snprintf(t->text + used, sizeof(t->text) - used, "%s:%s;", c->target_kind, c->token);
	return MC_OK;
}

static void test_demo_twice_same_codes(void **state)
{
	struct fixture *f = *state;
	struct all_tokens one = {""}, two = {""};
	char dir[128];
	int64_t ward = 0;

	snprintf(dir, sizeof(dir), "%s/demo", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	put_demo(f, "demo");
	/* Two wards in the database: the demo files name none, the loader knows its own. */
	assert_int_equal(mc_demo_load(f->s, dir, f->errs), MC_OK);
	assert_string_equal(errors(f), "");
	assert_int_equal(mc_store_ward_id(f->s, "phuong-9-quan-8", &ward), MC_OK);
	assert_int_equal(mc_store_code_each(f->s, NULL, add_token, &one), MC_OK);
	assert_int_equal(codes(f, NULL), 4);
	assert_int_equal(codes(f, MC_KIND_WARD), 1);
	assert_int_equal(mc_demo_load(f->s, dir, f->errs), MC_OK);
	assert_int_equal(mc_store_code_each(f->s, NULL, add_token, &two), MC_OK);
	assert_string_equal(one.text, two.text);
	assert_int_equal(procedures(f), 0); /* all went to the demo ward, none to setup's */
}

static void test_demo_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	char dir[128];
	int64_t ward = 0;

	snprintf(dir, sizeof(dir), "%s/demo", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	put_demo(f, "demo");
	put(f, "demo/inspections.csv",
	    "permit_number,on_date,inspector,result\n9/GPSC,2026-13-20,Khoa,Đạt\n");
	assert_int_equal(mc_demo_load(f->s, dir, f->errs), MC_ERR_INVALID);
	assert_reported(f, 2, "column on_date: \"2026-13-20\" is not a valid date");
	assert_int_equal(mc_store_ward_id(f->s, "phuong-9-quan-8", &ward), MC_ERR_NOTFOUND);
	assert_int_equal(codes(f, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_good_procedures_round_trip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_decomposed_stored_as_nfc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_rows_import_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unknown_column_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_required_column_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_utf8_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_permit_dates_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_permit_vietnamese_words, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reimport_keeps_code, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_every_new_record_has_code, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicate_key_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_syntax_errors, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inspection_needs_permit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_demo_twice_same_codes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_demo_all_or_nothing, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
