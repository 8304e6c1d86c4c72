/* mc_csvimport_file on arbitrary bytes written to a file, against a real SQLite database.
 * The import must never crash; when it fails it must say why, leave no transaction open
 * and leave the database exactly as it was (same number of rows in every table).
 *
 * Each process makes its database once and keeps a copy of the file: after an import that
 * succeeded the copy is put back, so every input runs against the same state and a saved
 * crash reproduces on its own. */

#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "motcham/import/csvimport.h"
#include "motcham/store/store.h"

struct csv_env {
	char csv[256], db[256], wal[260], shm[260];
	struct mc_store *s;
	unsigned char *pristine;
	size_t plen;
	long long rows;
};

/* The one piece of state kept across runs: made on the first input, freed at exit. */
static struct csv_env *env;

static long long row_count(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *names = NULL, *count = NULL;
	long long total = 0;

	FUZZ_CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1,
				      &names, NULL) == SQLITE_OK);
	while (sqlite3_step(names) == SQLITE_ROW) {
		char *sql = sqlite3_mprintf("SELECT count(*) FROM \"%w\"",
					    (const char *)sqlite3_column_text(names, 0));

		FUZZ_CHECK(sql && sqlite3_prepare_v2(db, sql, -1, &count, NULL) == SQLITE_OK);
		FUZZ_CHECK(sqlite3_step(count) == SQLITE_ROW);
		total += sqlite3_column_int64(count, 0);
		sqlite3_finalize(count);
		sqlite3_free(sql);
	}
	sqlite3_finalize(names);
	sqlite3_close(db);
	return total;
}

static void remove_db(void)
{
	unlink(env->db);
	unlink(env->wal);
	unlink(env->shm);
}

static void write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	FUZZ_CHECK(f != NULL);
	FUZZ_CHECK(size == 0 || fwrite(data, 1, size, f) == size);
	FUZZ_CHECK(fclose(f) == 0);
}

/* Closing the last connection checkpoints the WAL, so the main file alone is the state. */
static void save_pristine(void)
{
	FILE *f;
	long n;

	mc_store_destroy(env->s);
	env->s = NULL;
	FUZZ_CHECK((f = fopen(env->db, "rb")) != NULL);
	FUZZ_CHECK(fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0);
	FUZZ_CHECK((env->pristine = malloc((size_t)n)) != NULL);
	FUZZ_CHECK(fread(env->pristine, 1, (size_t)n, f) == (size_t)n);
	fclose(f);
	env->plen = (size_t)n;
	FUZZ_CHECK(mc_store_open(env->db, 0, &env->s) == MC_OK);
}

static void restore_pristine(void)
{
	mc_store_destroy(env->s);
	env->s = NULL;
	remove_db();
	write_file(env->db, env->pristine, env->plen);
	FUZZ_CHECK(mc_store_open(env->db, 0, &env->s) == MC_OK);
}

static void env_free(void)
{
	if (!env)
		return;
	mc_store_destroy(env->s);
	remove_db();
	unlink(env->csv);
	free(env->pristine);
	free(env);
	env = NULL;
}

/* A permit for the inspection inputs to refer to. */
static const char setup_permits[] =
    "number,kind,address,owner_name,scope,floors,area_m2,height_m,contractor,office,"
    "issued_on,starts_on,ends_on,status,status_reason\n"
    "184/GPSC-UBND,repair,\"12 Ba Tơ, Phường 7\",Lê Văn Tám,Thay mái tôn,2,60,7.5,"
    "Tổ thợ Tấn Lộc,\"UBND Phường 7, Quận 8\",2026-08-01,2026-08-10,2027-02-10,issued,\n";

static void env_make(void)
{
	const char *tmp = getenv("TMPDIR");
	struct mc_ward w = {.slug = "phuong-7-quan-8", .name = "Phường 7, Quận 8"};
	int pid = (int)getpid();

	FUZZ_CHECK((env = calloc(1, sizeof *env)) != NULL);
	if (!tmp || !*tmp || strlen(tmp) > 200)
		tmp = "/tmp";
	snprintf(env->csv, sizeof env->csv, "%s/motcham-fuzz-csv-%d.csv", tmp, pid);
	snprintf(env->db, sizeof env->db, "%s/motcham-fuzz-csv-%d.db", tmp, pid);
	snprintf(env->wal, sizeof env->wal, "%s-wal", env->db);
	snprintf(env->shm, sizeof env->shm, "%s-shm", env->db);
	remove_db();
	FUZZ_CHECK(mc_store_open(env->db, MC_STORE_CREATE, &env->s) == MC_OK);
	FUZZ_CHECK(mc_store_migrate(env->s) == MC_OK);
	FUZZ_CHECK(mc_store_ward_upsert(env->s, &w, NULL) == MC_OK);
	write_file(env->csv, setup_permits, strlen(setup_permits));
	FUZZ_CHECK(mc_csvimport_file(env->s, env->csv, NULL, NULL, stderr) == MC_OK);
	save_pristine();
	env->rows = row_count(env->db);
	atexit(env_free);
}

static void check_failed(enum mc_err err, const struct mc_import_stats *st, size_t msglen)
{
	FUZZ_CHECK(err == MC_ERR_INVALID || err == MC_ERR_TOOBIG);
	FUZZ_CHECK(msglen > 0);
	FUZZ_CHECK(st->created == 0 && st->updated == 0);
	FUZZ_CHECK(row_count(env->db) == env->rows);
	/* A transaction left open would make the next write fail. */
	FUZZ_CHECK(mc_store_begin(env->s) == MC_OK);
	mc_store_rollback(env->s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mc_import_stats st = {0};
	char *msg = NULL;
	size_t msglen = 0;
	enum mc_err err;
	FILE *errs;

	if (!env)
		env_make();
	write_file(env->csv, data, size);
	FUZZ_CHECK((errs = open_memstream(&msg, &msglen)) != NULL);
	err = mc_csvimport_file(env->s, env->csv, NULL, &st, errs);
	FUZZ_CHECK(fclose(errs) == 0);
	FUZZ_CHECK(st.rows >= 0 && st.created >= 0 && st.updated >= 0 && st.rejected >= 0);
	if (err != MC_OK) {
		check_failed(err, &st, msglen);
	} else {
		FUZZ_CHECK(st.rejected == 0 && st.created + st.updated <= st.rows);
		restore_pristine();
	}
	free(msg);
	return 0;
}
