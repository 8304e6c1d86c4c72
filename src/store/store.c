/* The storage module: every SQL statement of the project lives in this file. Statements are
 * prepared once per connection and reused (reset after each use). */
#include "motcham/store/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "motcham/base/auth.h"
#include "motcham/base/buf.h"
#include "motcham/base/date.h"
#include "motcham/domain/permit.h"
#include "motcham/base/utf8.h"

#define SCHEMA_VERSION 3

enum stmt_id {
	ST_DATA_VERSION,
	ST_AUDIT_HEAD,
	ST_WARD_ID,
	ST_WARD_INSERT,
	ST_WARD_UPDATE,
	ST_WARD_BY_SLUG,
	ST_WARD_BY_ID,
	ST_WARD_EACH,
	ST_WARD_COUNT,
	ST_ANN_ID,
	ST_ANN_INSERT,
	ST_ANN_UPDATE,
	ST_ANN_GET,
	ST_ANN_CURRENT,
	ST_ANN_EACH,
	ST_PROC_ID,
	ST_PROC_INSERT,
	ST_PROC_UPDATE,
	ST_PROC_GET,
	ST_PROC_EACH,
	ST_PROC_SEARCH,
	ST_DOC_DELETE,
	ST_DOC_INSERT,
	ST_DOC_EACH,
	ST_PERMIT_ID,
	ST_PERMIT_INSERT,
	ST_PERMIT_UPDATE,
	ST_PERMIT_GET,
	ST_PERMIT_EACH,
	ST_INSP_ID,
	ST_INSP_INSERT,
	ST_INSP_UPDATE,
	ST_INSP_EACH,
	ST_CODE_INSERT,
	ST_CODE_GET,
	ST_CODE_FOR_TARGET,
	ST_CODE_EACH,
	ST_CODE_EACH_KIND,
	ST_CODE_REVOKE,
	ST_TARGET_EXISTS,
	ST_AUDIT_LAST,
	ST_AUDIT_INSERT,
	ST_AUDIT_EACH,
	ST_AUDIT_COUNT,
	ST_USER_INSERT,
	ST_USER_BY_NAME,
	ST_USER_BY_ID,
	ST_USER_EACH,
	ST_USER_DISABLE,
	ST_SESSION_INSERT,
	ST_SESSION_GET,
	ST_SESSION_END,
	ST_SESSION_END_USER,
	ST_THROTTLE_GET,
	ST_THROTTLE_FAIL,
	ST_THROTTLE_CLEAR,
	ST_SECRET,
	ST_PERMIT_STATUS,
	ST_PERMIT_SET_STATUS,
	ST_PROC_RETIRE,
	ST_ANN_RETIRE,
	ST_FILE_INSERT,
	ST_FILE_EACH,
	ST_FILE_BY_HASH,
	ST_REPORT_INSERT,
	ST_REPORT_COUNT,
	ST_REPORT_EACH,
	ST_REPORT_REVIEW,
	ST_SCAN_ADD,
	ST_SCAN_MISS_ADD,
	ST_SCAN_TOP,
	ST_SCAN_MISS_COUNT,
	ST_SCAN_TOTAL,
	ST_MERGE_PERMITS,
	ST_MERGE_PROCS,
	ST_MERGE_ANNS,
	ST_MERGE_USERS,
	ST_MOVE_PERMIT,
	ST_MOVE_PROC,
	ST_MOVE_ANN,
	ST_MOVE_USER,
	ST_WARD_MERGE,
	ST_SUP_PERMITS,
	ST_SUP_PERMIT_COUNT,
	ST_SUP_WARDS,
	ST_SUP_AUDIT,
	ST_SUP_REPORTS,
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_COUNT_
};

#define WARD_COLS "id, slug, name, address, phone, hours, intro, merged_into, sample"
#define ANN_COLS "id, ward_id, title, body, published_on, expires_on, updated_at, retired_at"
#define PROC_COLS                                                                                  \
	"id, ward_id, tthc_code, title, field, level, steps, ways, place, who, conditions, "       \
	"duration, fees, office, result, legal_basis, online_url, updated_at, retired_at"
#define PERMIT_COLS                                                                                \
	"id, ward_id, number, kind, address, owner_name, scope, floors, area_m2, height_m, "       \
	"contractor, office, issued_on, starts_on, ends_on, status, status_reason, updated_at"
#define USER_COLS "id, name, role, ward_id, pw_hash, disabled_at, created_at"
#define USER_COLS_U "u.id, u.name, u.role, u.ward_id, u.pw_hash, u.disabled_at, u.created_at"
#define FILE_COLS "id, permit_id, sha256, mime, size, name, public, created_at"
#define REPORT_COLS                                                                                \
	"r.id, r.ref, r.permit_id, r.category, r.description, r.contact, r.photo_sha256, "         \
	"r.photo_mime, r.client_key, r.created_at, r.reviewed_at, r.review_note, p.ward_id"
/* A code with its target's title and ward, whatever the target's kind. */
#define CODE_SELECT                                                                                \
	"SELECT c.id, c.token, c.target_kind, c.target_id, c.created_at, c.revoked_at, r.token, "  \
	"CASE c.target_kind "                                                                      \
	" WHEN 'ward' THEN (SELECT name FROM ward WHERE id = c.target_id)"                         \
	" WHEN 'announcement' THEN (SELECT title FROM announcement WHERE id = c.target_id)"        \
	" WHEN 'procedure' THEN (SELECT title FROM procedure WHERE id = c.target_id)"              \
	" WHEN 'permit' THEN (SELECT number FROM permit WHERE id = c.target_id) END, "             \
	"CASE c.target_kind "                                                                      \
	" WHEN 'ward' THEN c.target_id"                                                            \
	" WHEN 'announcement' THEN (SELECT ward_id FROM announcement WHERE id = c.target_id)"      \
	" WHEN 'procedure' THEN (SELECT ward_id FROM procedure WHERE id = c.target_id)"            \
	" WHEN 'permit' THEN (SELECT ward_id FROM permit WHERE id = c.target_id) END "             \
	"FROM code c LEFT JOIN code r ON r.id = c.replaced_by "

/* Supervision: the permits a list shows. ?1 list (enum mc_sup_list), ?2 ward (0: all),
 * ?3 status, ?4 'ends' to filter ends_on instead of issued_on, ?5/?6 date range, ?7 today,
 * ?8 the last day counted as "soon". */
#define SUP_OPEN "p.status IN ('issued', 'in_progress')"
#define SUP_OPEN_COUNT                                                                             \
	"(SELECT count(*) FROM report r WHERE r.permit_id = p.id AND r.reviewed_at IS NULL)"
#define SUP_OLDEST                                                                                 \
	"(SELECT min(r.created_at) FROM report r WHERE r.permit_id = p.id AND r.reviewed_at IS "   \
	"NULL)"
#define SUP_DAY "CASE ?4 WHEN 'ends' THEN p.ends_on ELSE p.issued_on END"
#define SUP_WHERE                                                                                  \
	"WHERE (?2 = 0 OR p.ward_id = ?2) AND (?3 IS NULL OR p.status = ?3) AND (?5 IS NULL "      \
	"OR " SUP_DAY " >= ?5) AND (?6 IS NULL OR " SUP_DAY " <= ?6) AND CASE ?1 "                 \
	"WHEN 1 THEN " SUP_OPEN " AND p.ends_on < ?7 "                                             \
	"WHEN 2 THEN " SUP_OPEN " AND p.ends_on >= ?7 AND p.ends_on <= ?8 "                        \
	"WHEN 3 THEN p.status IN ('suspended', 'revoked') "                                        \
	"WHEN 4 THEN " SUP_OPEN_COUNT " > 0 ELSE 1 END "
#define SUP_SNAP                                                                                   \
	"CASE WHEN json_valid(coalesce(a.after, a.before)) THEN coalesce(a.after, a.before) END"

static const char *const stmt_sql[ST_COUNT_] = {
    [ST_DATA_VERSION] = "PRAGMA data_version",
    [ST_AUDIT_HEAD] = "SELECT coalesce(max(id), 0) FROM audit",
    [ST_WARD_ID] = "SELECT id FROM ward WHERE slug = ?1",
    [ST_WARD_INSERT] = "INSERT INTO ward (slug, name, address, phone, hours, intro, "
		       "merged_into, sample, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9)",
    [ST_WARD_UPDATE] = "UPDATE ward SET slug = ?1, name = ?2, address = ?3, phone = ?4, "
		       "hours = ?5, intro = ?6, merged_into = ?7, sample = ?8, updated_at = ?9 "
		       "WHERE id = ?10",
    [ST_WARD_BY_SLUG] = "SELECT " WARD_COLS " FROM ward WHERE slug = ?1",
    [ST_WARD_BY_ID] = "SELECT " WARD_COLS " FROM ward WHERE id = ?1",
    [ST_WARD_EACH] = "SELECT " WARD_COLS " FROM ward WHERE merged_into IS NULL ORDER BY name",
    [ST_WARD_COUNT] = "SELECT count(*) FROM ward WHERE merged_into IS NULL",
    [ST_ANN_ID] = "SELECT id FROM announcement WHERE ward_id = ?1 AND title = ?2",
    [ST_ANN_INSERT] = "INSERT INTO announcement (ward_id, title, body, published_on, "
		      "expires_on, updated_at) VALUES (?1,?2,?3,?4,?5,?6)",
    [ST_ANN_UPDATE] = "UPDATE announcement SET ward_id = ?1, title = ?2, body = ?3, "
		      "published_on = ?4, expires_on = ?5, updated_at = ?6 WHERE id = ?7",
    [ST_ANN_GET] = "SELECT " ANN_COLS " FROM announcement WHERE id = ?1",
    [ST_ANN_CURRENT] = "SELECT " ANN_COLS " FROM announcement WHERE ward_id = ?1 "
		       "AND published_on <= ?2 AND (expires_on IS NULL OR expires_on >= ?2) "
		       "AND retired_at IS NULL "
		       "ORDER BY published_on DESC, id DESC",
    [ST_PROC_ID] = "SELECT id FROM procedure WHERE ward_id = ?1 AND tthc_code = ?2",
    [ST_PROC_INSERT] = "INSERT INTO procedure (ward_id, tthc_code, title, field, level, steps, "
		       "ways, place, who, conditions, duration, fees, office, result, "
		       "legal_basis, online_url, updated_at, title_fold) VALUES "
		       "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
    [ST_PROC_UPDATE] = "UPDATE procedure SET ward_id = ?1, tthc_code = ?2, title = ?3, "
		       "field = ?4, level = ?5, steps = ?6, ways = ?7, place = ?8, who = ?9, "
		       "conditions = ?10, duration = ?11, fees = ?12, office = ?13, "
		       "result = ?14, legal_basis = ?15, online_url = ?16, updated_at = ?17, "
		       "title_fold = ?18 WHERE id = ?19",
    [ST_PROC_GET] = "SELECT " PROC_COLS " FROM procedure WHERE id = ?1",
    [ST_PROC_EACH] = "SELECT " PROC_COLS " FROM procedure WHERE ward_id = ?1 "
		     "AND (?2 OR retired_at IS NULL) ORDER BY field, title",
    [ST_ANN_EACH] = "SELECT " ANN_COLS " FROM announcement WHERE ward_id = ?1 "
		    "ORDER BY published_on DESC, id DESC",
    [ST_PROC_SEARCH] = "SELECT " PROC_COLS " FROM procedure WHERE ward_id = ?1 "
		       "AND title_fold LIKE ?2 ESCAPE '\\' AND retired_at IS NULL "
		       "ORDER BY title LIMIT ?3",
    [ST_DOC_DELETE] = "DELETE FROM procedure_document WHERE procedure_id = ?1",
    [ST_DOC_INSERT] = "INSERT INTO procedure_document (procedure_id, pos, kind, name, "
		      "originals, copies) VALUES (?1,?2,?3,?4,?5,?6)",
    [ST_DOC_EACH] = "SELECT kind, name, originals, copies FROM procedure_document "
		    "WHERE procedure_id = ?1 ORDER BY pos",
    [ST_PERMIT_ID] = "SELECT id FROM permit WHERE number = ?1",
    [ST_PERMIT_INSERT] = "INSERT INTO permit (ward_id, number, kind, address, owner_name, "
			 "scope, floors, area_m2, height_m, contractor, office, issued_on, "
			 "starts_on, ends_on, status, status_reason, updated_at) VALUES "
			 "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17)",
    [ST_PERMIT_UPDATE] = "UPDATE permit SET ward_id = ?1, number = ?2, kind = ?3, "
			 "address = ?4, owner_name = ?5, scope = ?6, floors = ?7, "
			 "area_m2 = ?8, height_m = ?9, contractor = ?10, office = ?11, "
			 "issued_on = ?12, starts_on = ?13, ends_on = ?14, status = ?15, "
			 "status_reason = ?16, updated_at = ?17 WHERE id = ?18",
    [ST_PERMIT_GET] = "SELECT " PERMIT_COLS " FROM permit WHERE id = ?1",
    [ST_PERMIT_EACH] = "SELECT " PERMIT_COLS " FROM permit WHERE ward_id = ?1 "
		       "ORDER BY issued_on DESC, id DESC",
    [ST_INSP_ID] = "SELECT id FROM inspection WHERE permit_id = ?1 AND on_date = ?2 "
		   "AND inspector = ?3",
    [ST_INSP_INSERT] = "INSERT INTO inspection (permit_id, on_date, inspector, result, note) "
		       "VALUES (?1,?2,?3,?4,?5)",
    [ST_INSP_UPDATE] = "UPDATE inspection SET result = ?4, note = ?5 WHERE id = ?6 "
		       "AND permit_id = ?1 AND on_date = ?2 AND inspector = ?3",
    [ST_INSP_EACH] = "SELECT id, permit_id, on_date, inspector, result, note FROM inspection "
		     "WHERE permit_id = ?1 ORDER BY on_date, id",
    [ST_CODE_INSERT] = "INSERT INTO code (token, target_kind, target_id, created_at) "
		       "VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
    [ST_CODE_GET] = CODE_SELECT "WHERE c.token = ?1",
    [ST_CODE_FOR_TARGET] = CODE_SELECT "WHERE c.target_kind = ?1 AND c.target_id = ?2 "
				       "AND c.revoked_at IS NULL ORDER BY c.id DESC LIMIT 1",
    [ST_CODE_EACH] = CODE_SELECT "WHERE c.revoked_at IS NULL "
				 "AND (?1 IS NULL OR c.target_kind = ?1) "
				 "ORDER BY c.target_kind, c.id",
    /* Apart from ST_CODE_EACH: with "?1 IS NULL OR" the planner scans the whole index, which
     * at a million permits is thousands of pages read to list one ward's codes. */
    [ST_CODE_EACH_KIND] = CODE_SELECT "WHERE c.target_kind = ?1 AND c.revoked_at IS NULL "
				      "ORDER BY c.id",
    [ST_CODE_REVOKE] = "UPDATE code SET revoked_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
		       "replaced_by = ?2 WHERE id = ?1 AND revoked_at IS NULL",
    [ST_TARGET_EXISTS] = "SELECT CASE ?1"
			 " WHEN 'ward' THEN (SELECT id FROM ward WHERE id = ?2)"
			 " WHEN 'announcement' THEN (SELECT id FROM announcement WHERE id = ?2)"
			 " WHEN 'procedure' THEN (SELECT id FROM procedure WHERE id = ?2)"
			 " WHEN 'permit' THEN (SELECT id FROM permit WHERE id = ?2) END",
    [ST_AUDIT_LAST] = "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1",
    [ST_AUDIT_INSERT] =
	"INSERT INTO audit (id, at, actor_id, actor, entity, entity_id, action, "
	"before, after, prev_hash, hash) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)",
    [ST_AUDIT_EACH] = "SELECT id, at, actor_id, actor, entity, entity_id, action, before, after, "
		      "prev_hash, hash FROM audit WHERE id > ?1 AND (?2 IS NULL OR "
		      "(entity = ?2 AND entity_id = ?3)) ORDER BY id",
    [ST_AUDIT_COUNT] = "SELECT count(*) FROM audit",
    [ST_USER_INSERT] = "INSERT INTO user (name, role, ward_id, pw_hash, created_at) VALUES "
		       "(?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
    [ST_USER_BY_NAME] = "SELECT " USER_COLS " FROM user WHERE name = ?1",
    [ST_USER_BY_ID] = "SELECT " USER_COLS " FROM user WHERE id = ?1",
    [ST_USER_EACH] = "SELECT " USER_COLS " FROM user ORDER BY name",
    [ST_USER_DISABLE] = "UPDATE user SET disabled_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') "
			"WHERE id = ?1 AND disabled_at IS NULL",
    [ST_SESSION_INSERT] = "INSERT INTO session (token_hash, user_id, csrf, created_at, "
			  "expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_SESSION_GET] = "SELECT " USER_COLS_U ", s.csrf FROM session s JOIN user u ON "
		       "u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND "
		       "u.disabled_at IS NULL",
    [ST_SESSION_END] = "DELETE FROM session WHERE token_hash = ?1 OR expires_at < ?2",
    [ST_SESSION_END_USER] = "DELETE FROM session WHERE user_id = ?1",
    [ST_THROTTLE_GET] = "SELECT CASE WHEN first_at > ?2 - ?3 THEN failures ELSE 0 END, "
			"locked_until FROM throttle WHERE key = ?1",
    [ST_THROTTLE_FAIL] = "INSERT INTO throttle (key, failures, first_at, locked_until) "
			 "VALUES (?1, 1, ?2, 0) ON CONFLICT (key) DO UPDATE SET "
			 "failures = CASE WHEN first_at > ?2 - ?3 THEN failures + 1 ELSE 1 END, "
			 "first_at = CASE WHEN first_at > ?2 - ?3 THEN first_at ELSE ?2 END, "
			 "locked_until = CASE WHEN first_at > ?2 - ?3 AND failures + 1 >= ?4 "
			 "THEN ?2 + ?5 ELSE locked_until END",
    [ST_THROTTLE_CLEAR] = "DELETE FROM throttle WHERE key = ?1",
    [ST_SECRET] = "SELECT value FROM setting WHERE key = 'secret'",
    [ST_PERMIT_STATUS] = "SELECT status FROM permit WHERE id = ?1",
    [ST_PERMIT_SET_STATUS] = "UPDATE permit SET status = ?2, status_reason = ?3, "
			     "updated_at = ?4 WHERE id = ?1",
    [ST_PROC_RETIRE] = "UPDATE procedure SET retired_at = ?2 WHERE id = ?1 AND retired_at IS "
		       "NULL",
    [ST_ANN_RETIRE] = "UPDATE announcement SET retired_at = ?2 WHERE id = ?1 AND retired_at IS "
		      "NULL",
    [ST_FILE_INSERT] = "INSERT INTO file (permit_id, sha256, mime, size, name, public, "
		       "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
		       "strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
    [ST_FILE_EACH] = "SELECT " FILE_COLS " FROM file WHERE permit_id = ?1 AND (?2 = 0 OR "
		     "public = 1) ORDER BY id",
    [ST_FILE_BY_HASH] = "SELECT " FILE_COLS " FROM file WHERE sha256 = ?1 AND (?2 = 0 OR "
			"public = 1) ORDER BY public DESC, id LIMIT 1",
    [ST_REPORT_INSERT] = "INSERT INTO report (ref, permit_id, category, description, contact, "
			 "photo_sha256, photo_mime, client_key, created_at) VALUES (?1, ?2, ?3, "
			 "?4, ?5, ?6, ?7, ?8, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))",
    [ST_REPORT_COUNT] = "SELECT count(*) FROM report WHERE client_key = ?1 AND created_at >= ?2",
    [ST_REPORT_EACH] = "SELECT " REPORT_COLS " FROM report r JOIN permit p ON p.id = r.permit_id "
		       "WHERE ?1 = 0 OR p.ward_id = ?1 ORDER BY r.reviewed_at IS NOT NULL, "
		       "r.created_at, r.id",
    [ST_REPORT_REVIEW] = "UPDATE report SET reviewed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
			 "reviewed_by = ?2, review_note = ?3 WHERE id = ?1 AND reviewed_at IS NULL",
    [ST_SCAN_ADD] = "INSERT INTO scan_daily (code_id, day, count) VALUES (?1, ?2, ?3) "
		    "ON CONFLICT (code_id, day) DO UPDATE SET count = count + excluded.count",
    [ST_SCAN_MISS_ADD] = "INSERT INTO scan_miss_daily (day, reason, count) VALUES (?1, ?2, ?3) "
			 "ON CONFLICT (day, reason) DO UPDATE SET count = count + excluded.count",
    [ST_SCAN_TOP] =
	"SELECT c.token, c.target_kind, "
	"CASE c.target_kind"
	" WHEN 'procedure' THEN (SELECT title FROM procedure WHERE id = c.target_id)"
	" WHEN 'permit' THEN (SELECT number FROM permit WHERE id = c.target_id)"
	" WHEN 'announcement' THEN (SELECT title FROM announcement WHERE id = c.target_id)"
	" WHEN 'ward' THEN (SELECT name FROM ward WHERE id = c.target_id) END, "
	"c.target_id, sum(d.count) AS n FROM scan_daily d JOIN code c ON c.id = d.code_id "
	"WHERE d.day >= ?2 AND (?3 IS NULL OR c.target_kind = ?3) AND (?1 = 0 OR "
	"CASE c.target_kind"
	" WHEN 'procedure' THEN (SELECT ward_id FROM procedure WHERE id = c.target_id)"
	" WHEN 'permit' THEN (SELECT ward_id FROM permit WHERE id = c.target_id)"
	" WHEN 'announcement' THEN (SELECT ward_id FROM announcement WHERE id = c.target_id)"
	" WHEN 'ward' THEN c.target_id END = ?1) "
	"GROUP BY c.id ORDER BY n DESC, c.id LIMIT ?4",
    [ST_SCAN_MISS_COUNT] = "SELECT coalesce(sum(count), 0) FROM scan_miss_daily WHERE day >= ?1 "
			   "AND reason = ?2",
    [ST_SCAN_TOTAL] =
	"SELECT coalesce(sum(count), 0) FROM scan_daily WHERE (?1 = 0 OR code_id = ?1)",
    [ST_MERGE_PERMITS] = "SELECT id FROM permit WHERE ward_id = ?1 ORDER BY id",
    /* Records whose key is taken in the other ward stay where they are (still reachable
     * through their codes); the rest move. */
    [ST_MERGE_PROCS] = "SELECT id FROM procedure p WHERE ward_id = ?1 AND NOT EXISTS (SELECT 1 "
		       "FROM procedure q WHERE q.ward_id = ?2 AND q.tthc_code = p.tthc_code) "
		       "ORDER BY id",
    [ST_MERGE_ANNS] = "SELECT id FROM announcement a WHERE ward_id = ?1 AND NOT EXISTS (SELECT "
		      "1 FROM announcement b WHERE b.ward_id = ?2 AND b.title = a.title) "
		      "ORDER BY id",
    [ST_MERGE_USERS] = "SELECT id FROM user WHERE ward_id = ?1 ORDER BY id",
    [ST_MOVE_PERMIT] = "UPDATE permit SET ward_id = ?2 WHERE id = ?1",
    [ST_MOVE_PROC] = "UPDATE procedure SET ward_id = ?2 WHERE id = ?1",
    [ST_MOVE_ANN] = "UPDATE announcement SET ward_id = ?2 WHERE id = ?1",
    [ST_MOVE_USER] = "UPDATE user SET ward_id = ?2 WHERE id = ?1",
    [ST_WARD_MERGE] = "UPDATE ward SET merged_into = ?2 WHERE id = ?1",
    [ST_SUP_PERMITS] =
	"SELECT " PERMIT_COLS ", (SELECT slug FROM ward w WHERE w.id = p.ward_id), "
	"(SELECT name FROM ward w WHERE w.id = p.ward_id), " SUP_OPEN_COUNT ", " SUP_OLDEST
	" FROM permit p " SUP_WHERE "ORDER BY CASE ?1 WHEN 4 THEN " SUP_OLDEST
	" END, CASE WHEN ?1 IN (1, 2) THEN p.ends_on END, CASE WHEN ?1 "
	"= 3 THEN p.updated_at END DESC, p.issued_on DESC, p.id DESC "
	"LIMIT ?9 OFFSET ?10",
    [ST_SUP_PERMIT_COUNT] = "SELECT count(*) FROM permit p " SUP_WHERE,
    [ST_SUP_WARDS] =
	"SELECT w.id, w.slug, w.name, count(p.id), "
	"count(CASE WHEN p.status = 'issued' THEN 1 END), "
	"count(CASE WHEN p.status = 'in_progress' THEN 1 END), "
	"count(CASE WHEN p.status = 'suspended' THEN 1 END), "
	"count(CASE WHEN p.status = 'revoked' THEN 1 END), "
	"count(CASE WHEN p.status = 'completed' THEN 1 END), "
	"count(CASE WHEN " SUP_OPEN " AND p.ends_on < ?2 THEN 1 END), "
	"count(CASE WHEN " SUP_OPEN " AND p.ends_on >= ?2 AND p.ends_on <= ?3 THEN 1 END), "
	"count(CASE WHEN " SUP_OPEN_COUNT " > 0 THEN 1 END) "
	"FROM ward w LEFT JOIN permit p ON p.ward_id = w.id "
	"WHERE w.merged_into IS NULL AND (?1 = 0 OR w.id = ?1) GROUP BY w.id ORDER BY w.name",
    /* The permit's own entries and those of the records that hang off it: its codes, files,
     * inspections and reports name it in their snapshots. Text that is not JSON (a hand-made
     * entry) is skipped rather than failing the whole page. */
    [ST_SUP_AUDIT] = "SELECT id, at, actor_id, actor, entity, entity_id, action, before, after, "
		     "prev_hash, hash FROM audit a WHERE (entity = 'permit' AND entity_id = ?1) "
		     "OR (entity IN ('file', 'inspection', 'report') AND "
		     "json_extract(" SUP_SNAP ", '$.permit_id') = ?1) OR (entity = 'code' AND "
		     "json_extract(" SUP_SNAP ", '$.target_kind') = 'permit' AND "
		     "json_extract(" SUP_SNAP ", '$.target_id') = ?1) ORDER BY id",
    [ST_SUP_REPORTS] = "SELECT " REPORT_COLS " FROM report r JOIN permit p ON p.id = r.permit_id "
		       "WHERE r.permit_id = ?1 ORDER BY r.created_at, r.id",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

static const char schema_v1[] =
    "CREATE TABLE ward ("
    " id INTEGER PRIMARY KEY,"
    " slug TEXT NOT NULL UNIQUE,"
    " name TEXT NOT NULL,"
    " address TEXT, phone TEXT, hours TEXT, intro TEXT,"
    " merged_into INTEGER REFERENCES ward(id),"
    " sample INTEGER NOT NULL DEFAULT 0 CHECK (sample IN (0, 1)),"
    " updated_at TEXT NOT NULL);"
    "CREATE TABLE announcement ("
    " id INTEGER PRIMARY KEY,"
    " ward_id INTEGER NOT NULL REFERENCES ward(id),"
    " title TEXT NOT NULL, body TEXT NOT NULL,"
    " published_on TEXT NOT NULL, expires_on TEXT,"
    " updated_at TEXT NOT NULL,"
    " UNIQUE (ward_id, title));"
    "CREATE INDEX announcement_ward ON announcement(ward_id, published_on);"
    "CREATE TABLE procedure ("
    " id INTEGER PRIMARY KEY,"
    " ward_id INTEGER NOT NULL REFERENCES ward(id),"
    " tthc_code TEXT NOT NULL, title TEXT NOT NULL, title_fold TEXT NOT NULL,"
    " field TEXT NOT NULL, level TEXT, steps TEXT, ways TEXT, place TEXT, who TEXT,"
    " conditions TEXT, duration TEXT, fees TEXT, office TEXT, result TEXT,"
    " legal_basis TEXT, online_url TEXT, updated_at TEXT NOT NULL,"
    " UNIQUE (ward_id, tthc_code));"
    "CREATE INDEX procedure_ward ON procedure(ward_id, field, title);"
    "CREATE TABLE procedure_document ("
    " procedure_id INTEGER NOT NULL REFERENCES procedure(id) ON DELETE CASCADE,"
    " pos INTEGER NOT NULL,"
    " kind INTEGER NOT NULL CHECK (kind IN (0, 1)),"
    " name TEXT NOT NULL,"
    " originals INTEGER NOT NULL CHECK (originals >= 0),"
    " copies INTEGER NOT NULL CHECK (copies >= 0),"
    " PRIMARY KEY (procedure_id, pos));"
    "CREATE TABLE permit ("
    " id INTEGER PRIMARY KEY,"
    " ward_id INTEGER NOT NULL REFERENCES ward(id),"
    " number TEXT NOT NULL UNIQUE,"
    " kind TEXT NOT NULL CHECK (kind IN ('repair', 'renovation', 'new_build')),"
    " address TEXT NOT NULL, owner_name TEXT NOT NULL, scope TEXT NOT NULL,"
    " floors INTEGER NOT NULL DEFAULT 0, area_m2 REAL NOT NULL DEFAULT 0,"
    " height_m REAL NOT NULL DEFAULT 0, contractor TEXT, office TEXT NOT NULL,"
    " issued_on TEXT NOT NULL, starts_on TEXT NOT NULL, ends_on TEXT NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN"
    "  ('issued', 'in_progress', 'suspended', 'revoked', 'completed')),"
    " status_reason TEXT, updated_at TEXT NOT NULL,"
    " CHECK (starts_on <= ends_on));"
    "CREATE INDEX permit_ward ON permit(ward_id, issued_on);"
    "CREATE TABLE inspection ("
    " id INTEGER PRIMARY KEY,"
    " permit_id INTEGER NOT NULL REFERENCES permit(id),"
    " on_date TEXT NOT NULL, inspector TEXT NOT NULL, result TEXT, note TEXT,"
    " UNIQUE (permit_id, on_date, inspector));"
    "CREATE TABLE code ("
    " id INTEGER PRIMARY KEY,"
    " token TEXT NOT NULL UNIQUE,"
    " target_kind TEXT NOT NULL CHECK (target_kind IN"
    "  ('ward', 'announcement', 'procedure', 'permit')),"
    " target_id INTEGER NOT NULL,"
    " created_at TEXT NOT NULL,"
    " revoked_at TEXT,"
    " replaced_by INTEGER REFERENCES code(id));"
    "CREATE INDEX code_target ON code(target_kind, target_id);";

static const char schema_v2[] =
    "ALTER TABLE procedure ADD COLUMN retired_at TEXT;"
    "ALTER TABLE announcement ADD COLUMN retired_at TEXT;"
    "CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO setting VALUES ('secret', lower(hex(randomblob(32))));"
    "CREATE TABLE user ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " role TEXT NOT NULL CHECK (role IN ('staff', 'supervisor', 'admin')),"
    " ward_id INTEGER REFERENCES ward(id),"
    " pw_hash TEXT NOT NULL,"
    " disabled_at TEXT,"
    " created_at TEXT NOT NULL);"
    "CREATE TABLE session ("
    " token_hash TEXT PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES user(id),"
    " csrf TEXT NOT NULL,"
    " created_at INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL);"
    "CREATE TABLE throttle ("
    " key TEXT PRIMARY KEY,"
    " failures INTEGER NOT NULL,"
    " first_at INTEGER NOT NULL,"
    " locked_until INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE file ("
    " id INTEGER PRIMARY KEY,"
    " permit_id INTEGER NOT NULL REFERENCES permit(id),"
    " sha256 TEXT NOT NULL,"
    " mime TEXT NOT NULL CHECK (mime IN ('application/pdf', 'image/jpeg', 'image/png')),"
    " size INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " public INTEGER NOT NULL CHECK (public IN (0, 1)),"
    " created_at TEXT NOT NULL);"
    "CREATE INDEX file_permit ON file(permit_id);"
    "CREATE INDEX file_hash ON file(sha256);"
    "CREATE TABLE report ("
    " id INTEGER PRIMARY KEY,"
    " ref TEXT NOT NULL UNIQUE,"
    " permit_id INTEGER NOT NULL REFERENCES permit(id),"
    " category TEXT NOT NULL CHECK (category IN"
    "  ('beyond_permit', 'after_expiry', 'no_notice', 'unsafe', 'other')),"
    " description TEXT NOT NULL,"
    " contact TEXT,"
    " photo_sha256 TEXT, photo_mime TEXT,"
    " client_key TEXT NOT NULL,"
    " created_at TEXT NOT NULL,"
    " reviewed_at TEXT, reviewed_by INTEGER REFERENCES user(id), review_note TEXT);"
    "CREATE INDEX report_client ON report(client_key, created_at);"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " at TEXT NOT NULL,"
    " actor_id INTEGER,"
    " actor TEXT NOT NULL,"
    " entity TEXT NOT NULL,"
    " entity_id INTEGER NOT NULL,"
    " action TEXT NOT NULL,"
    " before TEXT,"
    " after TEXT,"
    " prev_hash TEXT NOT NULL,"
    " hash TEXT NOT NULL);"
    "CREATE INDEX audit_entity ON audit(entity, entity_id);"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit entries are never changed'); END;"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'audit entries are never deleted'); END;";

/* Scan counts: per code and ward-local day, and scans of codes that do not exist or were
 * mistyped. Nothing about who scanned is kept. */
static const char schema_v3[] = "CREATE TABLE scan_daily ("
				" code_id INTEGER NOT NULL REFERENCES code(id),"
				" day TEXT NOT NULL,"
				" count INTEGER NOT NULL,"
				" PRIMARY KEY (code_id, day)) WITHOUT ROWID;"
				"CREATE TABLE scan_miss_daily ("
				" day TEXT NOT NULL,"
				" reason TEXT NOT NULL CHECK (reason IN ('unknown', 'mistyped')),"
				" count INTEGER NOT NULL,"
				" PRIMARY KEY (day, reason)) WITHOUT ROWID;";

/* Each entry brings a database from version i to i + 1. */
static const char *const migrations[] = {schema_v1, schema_v2, schema_v3};

/* What the audit trail can name, and how each record is written down in it (JSON). */
enum entity { E_WARD, E_ANN, E_PROC, E_PERMIT, E_INSP, E_CODE, E_USER, E_FILE, E_REPORT, E_COUNT_ };

static const char *const entity_name[E_COUNT_] = {
    "ward", "announcement", "procedure", "permit", "inspection", "code", "user", "file", "report",
};

static const char *const snap_sql[E_COUNT_] = {
    [E_WARD] = "SELECT json_object('slug', slug, 'name', name, 'address', address, 'phone', "
	       "phone, 'hours', hours, 'intro', intro, 'merged_into', merged_into, 'sample', "
	       "sample) FROM ward WHERE id = ?1",
    [E_ANN] = "SELECT json_object('ward_id', ward_id, 'title', title, 'body', body, "
	      "'published_on', published_on, 'expires_on', expires_on, 'retired_at', "
	      "retired_at) FROM announcement WHERE id = ?1",
    [E_PROC] = "SELECT json_object('ward_id', ward_id, 'tthc_code', tthc_code, 'title', title, "
	       "'field', field, 'level', level, 'steps', steps, 'ways', ways, 'place', place, "
	       "'who', who, 'conditions', conditions, 'duration', duration, 'fees', fees, "
	       "'office', office, 'result', result, 'legal_basis', legal_basis, 'online_url', "
	       "online_url, 'retired_at', retired_at, 'documents', json((SELECT "
	       "json_group_array(json_object('kind', kind, 'name', name, 'originals', "
	       "originals, 'copies', copies)) FROM (SELECT * FROM procedure_document d WHERE "
	       "d.procedure_id = procedure.id ORDER BY pos)))) FROM procedure WHERE id = ?1",
    [E_PERMIT] = "SELECT json_object('ward_id', ward_id, 'number', number, 'kind', kind, "
		 "'address', address, 'owner_name', owner_name, 'scope', scope, 'floors', "
		 "floors, 'area_m2', area_m2, 'height_m', height_m, 'contractor', contractor, "
		 "'office', office, 'issued_on', issued_on, 'starts_on', starts_on, 'ends_on', "
		 "ends_on, 'status', status, 'status_reason', status_reason) FROM permit "
		 "WHERE id = ?1",
    [E_INSP] = "SELECT json_object('permit_id', permit_id, 'on_date', on_date, 'inspector', "
	       "inspector, 'result', result, 'note', note) FROM inspection WHERE id = ?1",
    [E_CODE] = "SELECT json_object('token', token, 'target_kind', target_kind, 'target_id', "
	       "target_id, 'revoked_at', revoked_at, 'replaced_by', replaced_by) FROM code "
	       "WHERE id = ?1",
    [E_USER] = "SELECT json_object('name', name, 'role', role, 'ward_id', ward_id, "
	       "'disabled_at', disabled_at) FROM user WHERE id = ?1",
    [E_FILE] = "SELECT json_object('permit_id', permit_id, 'sha256', sha256, 'mime', mime, "
	       "'size', size, 'name', name, 'public', public) FROM file WHERE id = ?1",
    [E_REPORT] = "SELECT json_object('ref', ref, 'permit_id', permit_id, 'category', category, "
		 "'description', description, 'contact', contact, 'photo_sha256', "
		 "photo_sha256, 'reviewed_at', reviewed_at, 'reviewed_by', reviewed_by, "
		 "'review_note', review_note) FROM report WHERE id = ?1",
};

struct mc_store {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT_];
	sqlite3_stmt *snap[E_COUNT_];
	int depth;	      /* open transactions: 0 or 1 */
	int64_t actor_id;     /* who the writes are made by (0: system) */
	struct mc_buf before; /* the record as it was before the current write */
	char actor[128];
};

static enum mc_err map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return MC_OK;
	case SQLITE_NOMEM:
		return MC_ERR_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_READONLY:
		return MC_ERR_BUSY;
	case SQLITE_FULL:
		return MC_ERR_FULL;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
			return MC_ERR_EXISTS;
		return MC_ERR_INVALID;
	case SQLITE_CANTOPEN:
		return MC_ERR_IO;
	default:
		return MC_ERR_DB;
	}
}

enum mc_err mc_store_open(const char *path, unsigned flags, struct mc_store **out)
{
	struct mc_store *s;
	int oflags = SQLITE_OPEN_NOMUTEX;
	enum mc_err err;
	int rc;

	*out = NULL;
	if (!path || !*path)
		return MC_ERR_INVALID;
	s = calloc(1, sizeof(*s));
	if (!s)
		return MC_ERR_NOMEM;
	if (flags & MC_STORE_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |=
		    SQLITE_OPEN_READWRITE | ((flags & MC_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	rc = sqlite3_open_v2(path, &s->db, oflags, NULL);
	if (rc != SQLITE_OK) {
		/* Missing file or directory: say so; otherwise it exists but cannot be opened
		 * (permissions, a read-only file system). */
		err = access(path, F_OK) != 0 && !(flags & MC_STORE_CREATE) ? MC_ERR_NOTFOUND
									    : map_rc(rc);
		goto fail;
	}
	sqlite3_extended_result_codes(s->db, 1);
	sqlite3_busy_timeout(s->db, 5000);
	rc = sqlite3_exec(s->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	/* WAL lets the server's readers carry on while one writer commits; NORMAL sync is
	 * durable against a killed process, which is what a ward office server meets. */
	if (rc == SQLITE_OK && !(flags & MC_STORE_READONLY))
		rc = sqlite3_exec(s->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		err = map_rc(rc);
		goto fail;
	}
	*out = s;
	return MC_OK;
fail:
	mc_store_destroy(s);
	return err == MC_OK ? MC_ERR_DB : err;
}

void mc_store_destroy(struct mc_store *s)
{
	if (!s)
		return;
	for (int i = 0; i < ST_COUNT_; i++)
		sqlite3_finalize(s->st[i]);
	for (int i = 0; i < E_COUNT_; i++)
		sqlite3_finalize(s->snap[i]);
	sqlite3_close(s->db);
	mc_buf_finish(&s->before);
	free(s);
}

const char *mc_store_errmsg(struct mc_store *s)
{
	return s && s->db ? sqlite3_errmsg(s->db) : "no database";
}

/* Why preparing failed; a statement missing from the table is a bug, never success. */
static enum mc_err prep_err(struct mc_store *s)
{
	enum mc_err err = map_rc(sqlite3_errcode(s->db));

	return err == MC_OK ? MC_ERR_INTERNAL : err;
}

/* Returns the cached statement, preparing it on first use; NULL on failure. */
static sqlite3_stmt *stmt(struct mc_store *s, enum stmt_id id)
{
	if (!s->st[id] && sqlite3_prepare_v3(s->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					     &s->st[id], NULL) != SQLITE_OK)
		return NULL;
	return s->st[id];
}

static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (!v || !*v)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const char *v = (const char *)sqlite3_column_text(st, i);

	return v && *v ? v : NULL;
}

/* Steps a statement that returns no rows we need; resets it. */
static enum mc_err exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	done(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? MC_OK : map_rc(rc);
}

/* Reads the first column of the first row as an id; MC_ERR_NOTFOUND without rows. */
static enum mc_err query_id(sqlite3_stmt *st, int64_t *id)
{
	int rc = sqlite3_step(st);
	enum mc_err err = MC_OK;

	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		err = MC_ERR_NOTFOUND;
	else
		err = map_rc(rc);
	done(st);
	return err;
}

/* The caller's typed callback and its context, carried through walk(). */
struct visit {
	union {
		mc_store_ward_fn ward;
		mc_store_announcement_fn ann;
		mc_store_procedure_fn proc;
		mc_store_document_fn doc;
		mc_store_permit_fn permit;
		mc_store_inspection_fn insp;
		mc_store_code_fn code;
		mc_store_audit_fn audit;
		mc_store_user_fn user;
		mc_store_file_fn file;
		mc_store_report_fn report;
		mc_store_scan_fn scan;
	} fn;
	void *ctx;
};

typedef enum mc_err (*row_fn)(sqlite3_stmt *st, const struct visit *v);

/* Walks the rows of a bound statement through row(). With one set, no row is
 * MC_ERR_NOTFOUND. */
static enum mc_err walk(sqlite3_stmt *st, row_fn row, const struct visit *v, bool one)
{
	enum mc_err err = MC_OK;
	int rc, n = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if ((err = row(st, v)) != MC_OK)
			break;
	}
	if (err == MC_OK && rc != SQLITE_DONE)
		err = map_rc(rc);
	if (err == MC_OK && one && n == 0)
		err = MC_ERR_NOTFOUND;
	done(st);
	return err;
}

int mc_store_schema_version(void)
{
	return SCHEMA_VERSION;
}

enum mc_err mc_store_version(struct mc_store *s, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? MC_OK : map_rc(rc);
}

enum mc_err mc_store_migrate(struct mc_store *s)
{
	char pragma[64];
	enum mc_err err;
	int version, rc;

	if ((err = mc_store_begin(s)) != MC_OK)
		return err;
	if ((err = mc_store_version(s, &version)) != MC_OK)
		goto fail;
	if (version > SCHEMA_VERSION) {
		err = MC_ERR_INVALID; /* made by a newer motcham: do not touch it */
		goto fail;
	}
	for (; version < SCHEMA_VERSION; version++) {
		rc = sqlite3_exec(s->db, migrations[version], NULL, NULL, NULL);
		if (rc == SQLITE_OK) {
			snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", version + 1);
			rc = sqlite3_exec(s->db, pragma, NULL, NULL, NULL);
		}
		if (rc != SQLITE_OK) {
			err = map_rc(rc);
			goto fail;
		}
	}
	return mc_store_commit(s);
fail:
	mc_store_rollback(s);
	return err;
}

enum mc_err mc_store_begin(struct mc_store *s)
{
	sqlite3_stmt *st = stmt(s, ST_BEGIN);
	enum mc_err err;

	if (!st)
		return prep_err(s);
	if ((err = exec_stmt(st)) == MC_OK)
		s->depth = 1;
	return err;
}

enum mc_err mc_store_read_begin(struct mc_store *s)
{
	sqlite3_stmt *st = stmt(s, ST_BEGIN_READ);

	return st ? exec_stmt(st) : prep_err(s);
}

void mc_store_read_end(struct mc_store *s)
{
	mc_store_rollback(s); /* nothing was written: ending the read is all it does */
}

enum mc_err mc_store_commit(struct mc_store *s)
{
	sqlite3_stmt *st = stmt(s, ST_COMMIT);
	enum mc_err err;

	if (!st)
		return prep_err(s);
	if ((err = exec_stmt(st)) != MC_OK) {
		mc_store_rollback(s);
		return err;
	}
	s->depth = 0;
	return MC_OK;
}

void mc_store_rollback(struct mc_store *s)
{
	sqlite3_stmt *st;

	if (!s || sqlite3_get_autocommit(s->db)) {
		if (s)
			s->depth = 0;
		return;
	}
	if ((st = stmt(s, ST_ROLLBACK)) != NULL)
		exec_stmt(st);
	s->depth = 0;
}

/* Prepares and fetches statement id into *st, or returns the error. */
#define PREPARE(s, id, st)                                                                         \
	do {                                                                                       \
		if (!((st) = stmt((s), (id))))                                                     \
			return prep_err(s);                                                        \
	} while (0)

/* The first column of the one row of a statement without parameters. */
static enum mc_err scalar(struct mc_store *s, enum stmt_id id, long long *out)
{
	sqlite3_stmt *st;
	int64_t n = 0;
	enum mc_err err;

	PREPARE(s, id, st);
	err = query_id(st, &n);
	*out = n;
	return err;
}

/* walk() over a statement whose ?1 is bound to an integer key (unused ?1 is harmless). */
static enum mc_err walk_int(struct mc_store *s, enum stmt_id id, int64_t key, row_fn row,
			    const struct visit *v, bool one)
{
	sqlite3_stmt *st;

	PREPARE(s, id, st);
	sqlite3_bind_int64(st, 1, key);
	return walk(st, row, v, one);
}

/* walk() over a statement whose ?1 is bound to a text key. */
static enum mc_err walk_text(struct mc_store *s, enum stmt_id id, const char *key, row_fn row,
			     const struct visit *v, bool one)
{
	sqlite3_stmt *st;

	PREPARE(s, id, st);
	bind_text(st, 1, key);
	return walk(st, row, v, one);
}

/* ---- the audit trail ---- */

enum mc_err mc_store_set_actor(struct mc_store *s, int64_t user_id, const char *label)
{
	s->actor_id = user_id;
	snprintf(s->actor, sizeof(s->actor), "%s", label && *label ? label : "system");
	return MC_OK;
}

/* Opens a transaction unless the caller has one; *owned says who must end it. */
static enum mc_err tx_begin(struct mc_store *s, bool *owned)
{
	*owned = sqlite3_get_autocommit(s->db) != 0;
	return *owned ? mc_store_begin(s) : MC_OK;
}

static enum mc_err tx_end(struct mc_store *s, enum mc_err err, bool owned)
{
	if (!owned)
		return err;
	if (err != MC_OK) {
		mc_store_rollback(s);
		return err;
	}
	return mc_store_commit(s);
}

/* Appends the record's current JSON form to out; leaves out empty when it is gone. */
static enum mc_err snap(struct mc_store *s, enum entity e, int64_t id, struct mc_buf *out)
{
	sqlite3_stmt *st;
	enum mc_err err = MC_OK;
	int rc;

	mc_buf_reset(out);
	if (!s->snap[e] && sqlite3_prepare_v3(s->db, snap_sql[e], -1, SQLITE_PREPARE_PERSISTENT,
					      &s->snap[e], NULL) != SQLITE_OK)
		return prep_err(s);
	st = s->snap[e];
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
		err = mc_buf_puts(out, (const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = map_rc(rc);
	done(st);
	return err;
}

static enum mc_err add_field(struct mc_buf *out, const char *v)
{
	if (!v)
		return mc_buf_puts(out, "-\n");
	return mc_buf_printf(out, "%zu:%s\n", strlen(v), v);
}

enum mc_err mc_store_audit_canonical(const struct mc_audit *a, struct mc_buf *out)
{
	enum mc_err err;

	/* Length-prefixed fields: no two different entries can share a canonical form. */
	err = mc_buf_printf(out, "motcham-audit-1\n%lld\n%lld\n%lld\n", (long long)a->id,
			    (long long)a->actor_id, (long long)a->entity_id);
	const char *fields[] = {a->at,	   a->actor, a->entity,	  a->action,
				a->before, a->after, a->prev_hash};
	for (size_t i = 0; err == MC_OK && i < sizeof(fields) / sizeof(fields[0]); i++)
		err = add_field(out, fields[i]);
	return err;
}

static void utc_now(char out[21])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static enum mc_err audit_insert(struct mc_store *s, struct mc_audit *a)
{
	char hash[MC_AUTH_SHA256_LEN + 1];
	struct mc_buf canon;
	sqlite3_stmt *st;
	enum mc_err err;

	mc_buf_init(&canon);
	if ((err = mc_store_audit_canonical(a, &canon)) != MC_OK)
		goto out;
	mc_auth_sha256_hex(canon.data, canon.len, hash);
	if (!(st = stmt(s, ST_AUDIT_INSERT))) {
		err = prep_err(s);
		goto out;
	}
	sqlite3_bind_int64(st, 1, a->id);
	bind_text(st, 2, a->at);
	if (a->actor_id)
		sqlite3_bind_int64(st, 3, a->actor_id);
	bind_text(st, 4, a->actor);
	bind_text(st, 5, a->entity);
	sqlite3_bind_int64(st, 6, a->entity_id);
	bind_text(st, 7, a->action);
	bind_text(st, 8, a->before);
	bind_text(st, 9, a->after);
	bind_text(st, 10, a->prev_hash);
	bind_text(st, 11, hash);
	err = exec_stmt(st);
out:
	mc_buf_finish(&canon);
	return err;
}

/* Appends one entry for record (e, id): before is the JSON taken before the write (empty
 * for a new record); the after image is taken now. Must run inside the write's
 * transaction, which also makes the chain's "last entry" stable. */
static enum mc_err audit(struct mc_store *s, enum entity e, int64_t id, const char *action,
			 const struct mc_buf *before)
{
	char at[21], prev[MC_AUTH_SHA256_LEN + 1];
	struct mc_audit a = {0};
	struct mc_buf after;
	sqlite3_stmt *st;
	int64_t last = 0;
	enum mc_err err = MC_OK;
	int rc;

	mc_buf_init(&after);
	memset(prev, '0', MC_AUTH_SHA256_LEN);
	prev[MC_AUTH_SHA256_LEN] = '\0';
	if (!(st = stmt(s, ST_AUDIT_LAST)))
		return prep_err(s);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		last = sqlite3_column_int64(st, 0);
		snprintf(prev, sizeof(prev), "%s", (const char *)sqlite3_column_text(st, 1));
	} else if (rc != SQLITE_DONE) {
		err = map_rc(rc);
	}
	done(st);
	if (err == MC_OK)
		err = snap(s, e, id, &after);
	if (err != MC_OK)
		goto out;
	utc_now(at);
	a = (struct mc_audit){.id = last + 1,
			      .at = at,
			      .actor_id = s->actor_id,
			      .actor = s->actor[0] ? s->actor : "system",
			      .entity = entity_name[e],
			      .entity_id = id,
			      .action = action,
			      .before = before && before->len ? before->data : NULL,
			      .after = after.len ? after.data : NULL,
			      .prev_hash = prev};
	err = audit_insert(s, &a);
out:
	mc_buf_finish(&after);
	return err;
}

/* Keeps the record's JSON form before a write for the audit entry (nothing for a new one). */
static enum mc_err remember(struct mc_store *s, enum entity e, int64_t id)
{
	mc_buf_reset(&s->before);
	return id ? snap(s, e, id, &s->before) : MC_OK;
}

/* An edit names its record by id, and may then change the natural key too: *old (the
 * record that has the key now, or 0) must be that record or none. */
static enum mc_err by_id(int64_t *old, int64_t id)
{
	if (!id)
		return MC_OK;
	if (*old && *old != id)
		return MC_ERR_EXISTS;
	*old = id;
	return MC_OK;
}

/* remember(), and for an edit by id, MC_ERR_NOTFOUND when there is no such record. */
static enum mc_err remember_known(struct mc_store *s, enum entity e, int64_t old, int64_t id)
{
	enum mc_err err = remember(s, e, old);

	return err == MC_OK && id && !s->before.len ? MC_ERR_NOTFOUND : err;
}

/* Ends an audited write: appends the entry when the write worked, then commits the
 * transaction it opened, or rolls back. */
static enum mc_err end_write(struct mc_store *s, enum mc_err err, bool owned, enum entity e,
			     int64_t id, const char *action)
{
	if (err == MC_OK)
		err = audit(s, e, id,
			    action	    ? action
			    : s->before.len ? "update"
					    : "create",
			    &s->before);
	mc_buf_reset(&s->before);
	return tx_end(s, err, owned);
}

/* An audited insert of one new record: its own transaction unless one is open, the
 * statement bound by bind, one audit entry, and the new row's id in *id (may be NULL). */
static enum mc_err audited_insert(struct mc_store *s, enum stmt_id sid,
				  void (*bind)(sqlite3_stmt *st, const void *rec), const void *rec,
				  enum entity e, const char *action, int64_t *id)
{
	sqlite3_stmt *st;
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	if (!(st = stmt(s, sid))) {
		err = prep_err(s);
	} else {
		bind(st, rec);
		if ((err = exec_stmt(st)) == MC_OK)
			rowid = sqlite3_last_insert_rowid(s->db);
	}
	if (id)
		*id = rowid;
	return end_write(s, err, owned, e, rowid, action);
}

static enum mc_err audit_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_audit a = {
	    .id = sqlite3_column_int64(st, 0),
	    .at = col_text(st, 1),
	    .actor_id = sqlite3_column_int64(st, 2),
	    .actor = col_text(st, 3),
	    .entity = col_text(st, 4),
	    .entity_id = sqlite3_column_int64(st, 5),
	    .action = col_text(st, 6),
	    .before = col_text(st, 7),
	    .after = col_text(st, 8),
	    .prev_hash = col_text(st, 9),
	    .hash = col_text(st, 10),
	};
	return v->fn.audit(v->ctx, &a);
}

enum mc_err mc_store_audit_each(struct mc_store *s, int64_t after_id, const char *entity,
				int64_t entity_id, mc_store_audit_fn fn, void *ctx)
{
	struct visit v = {.fn.audit = fn, .ctx = ctx};
	sqlite3_stmt *st;

	PREPARE(s, ST_AUDIT_EACH, st);
	sqlite3_bind_int64(st, 1, after_id);
	bind_text(st, 2, entity);
	sqlite3_bind_int64(st, 3, entity_id);
	return walk(st, audit_row, &v, false);
}

enum mc_err mc_store_audit_count(struct mc_store *s, long long *n)
{
	return scalar(s, ST_AUDIT_COUNT, n);
}

enum mc_err mc_store_data_version(struct mc_store *s, long long *v)
{
	return scalar(s, ST_DATA_VERSION, v);
}

enum mc_err mc_store_content_version(struct mc_store *s, long long *v)
{
	/* Every change to a record appends an audit entry, so the newest entry's id moves
	 * exactly when content does, and not when only scan counts are written. */
	return scalar(s, ST_AUDIT_HEAD, v);
}

/* ---- wards ---- */

static enum mc_err ward_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_ward w = {
	    .id = sqlite3_column_int64(st, 0),
	    .slug = col_text(st, 1),
	    .name = col_text(st, 2),
	    .address = col_text(st, 3),
	    .phone = col_text(st, 4),
	    .hours = col_text(st, 5),
	    .intro = col_text(st, 6),
	    .merged_into = sqlite3_column_int64(st, 7),
	    .sample = sqlite3_column_int(st, 8) != 0,
	};
	return v->fn.ward(v->ctx, &w);
}

enum mc_err mc_store_ward_id(struct mc_store *s, const char *slug, int64_t *id)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_WARD_ID, st);
	bind_text(st, 1, slug);
	return query_id(st, id);
}

static enum mc_err ward_write(struct mc_store *s, const struct mc_ward *w, int64_t *id)
{
	char today[MC_DATE_LEN + 1];
	sqlite3_stmt *st;
	int64_t old = 0;
	enum mc_err err;

	if (!w->slug || !w->name)
		return MC_ERR_INVALID;
	err = mc_store_ward_id(s, w->slug, &old);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	if ((err = remember(s, E_WARD, old)) != MC_OK)
		return err;
	PREPARE(s, old ? ST_WARD_UPDATE : ST_WARD_INSERT, st);
	mc_date_today(today);
	bind_text(st, 1, w->slug);
	bind_text(st, 2, w->name);
	bind_text(st, 3, w->address);
	bind_text(st, 4, w->phone);
	bind_text(st, 5, w->hours);
	bind_text(st, 6, w->intro);
	if (w->merged_into)
		sqlite3_bind_int64(st, 7, w->merged_into);
	sqlite3_bind_int(st, 8, w->sample ? 1 : 0);
	bind_text(st, 9, today);
	if (old)
		sqlite3_bind_int64(st, 10, old);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	if (id)
		*id = old ? old : sqlite3_last_insert_rowid(s->db);
	return MC_OK;
}

enum mc_err mc_store_ward_by_slug(struct mc_store *s, const char *slug, mc_store_ward_fn fn,
				  void *ctx)
{
	struct visit v = {.fn.ward = fn, .ctx = ctx};

	return walk_text(s, ST_WARD_BY_SLUG, slug, ward_row, &v, true);
}

enum mc_err mc_store_ward_by_id(struct mc_store *s, int64_t id, mc_store_ward_fn fn, void *ctx)
{
	struct visit v = {.fn.ward = fn, .ctx = ctx};

	return walk_int(s, ST_WARD_BY_ID, id, ward_row, &v, true);
}

enum mc_err mc_store_ward_each(struct mc_store *s, mc_store_ward_fn fn, void *ctx)
{
	struct visit v = {.fn.ward = fn, .ctx = ctx};

	return walk_int(s, ST_WARD_EACH, 0, ward_row, &v, false);
}

enum mc_err mc_store_ward_count(struct mc_store *s, int *n)
{
	sqlite3_stmt *st;
	int64_t count = 0;
	enum mc_err err;

	PREPARE(s, ST_WARD_COUNT, st);
	err = query_id(st, &count);
	*n = (int)count;
	return err;
}

/* ---- announcements ---- */

static enum mc_err ann_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_announcement a = {
	    .id = sqlite3_column_int64(st, 0),
	    .ward_id = sqlite3_column_int64(st, 1),
	    .title = col_text(st, 2),
	    .body = col_text(st, 3),
	    .published_on = col_text(st, 4),
	    .expires_on = col_text(st, 5),
	    .updated_at = col_text(st, 6),
	    .retired_at = col_text(st, 7),
	};
	return v->fn.ann(v->ctx, &a);
}

/* Looks a record's id up by its natural key; *old is 0 when there is none. */
static enum mc_err find_old(sqlite3_stmt *st, int64_t *old)
{
	enum mc_err err = query_id(st, old);

	if (err == MC_ERR_NOTFOUND) {
		*old = 0;
		return MC_OK;
	}
	return err;
}

/* Finishes an upsert: steps the bound statement and reports id and created. */
static enum mc_err finish_upsert(struct mc_store *s, sqlite3_stmt *st, int64_t old, int64_t *id,
				 bool *created)
{
	enum mc_err err = exec_stmt(st);

	if (err != MC_OK)
		return err;
	if (id)
		*id = old ? old : sqlite3_last_insert_rowid(s->db);
	if (created)
		*created = old == 0;
	return MC_OK;
}

static enum mc_err ann_write(struct mc_store *s, const struct mc_announcement *a, int64_t *id,
			     bool *created)
{
	char today[MC_DATE_LEN + 1];
	sqlite3_stmt *st;
	int64_t old;
	enum mc_err err;

	if (!a->title || !a->body || !a->published_on)
		return MC_ERR_INVALID;
	PREPARE(s, ST_ANN_ID, st);
	sqlite3_bind_int64(st, 1, a->ward_id);
	bind_text(st, 2, a->title);
	if ((err = find_old(st, &old)) != MC_OK || (err = by_id(&old, a->id)) != MC_OK ||
	    (err = remember_known(s, E_ANN, old, a->id)) != MC_OK)
		return err;
	PREPARE(s, old ? ST_ANN_UPDATE : ST_ANN_INSERT, st);
	mc_date_today(today);
	sqlite3_bind_int64(st, 1, a->ward_id);
	bind_text(st, 2, a->title);
	bind_text(st, 3, a->body);
	bind_text(st, 4, a->published_on);
	bind_text(st, 5, a->expires_on);
	bind_text(st, 6, today);
	if (old)
		sqlite3_bind_int64(st, 7, old);
	return finish_upsert(s, st, old, id, created);
}

enum mc_err mc_store_announcement_get(struct mc_store *s, int64_t id, mc_store_announcement_fn fn,
				      void *ctx)
{
	struct visit v = {.fn.ann = fn, .ctx = ctx};

	return walk_int(s, ST_ANN_GET, id, ann_row, &v, true);
}

enum mc_err mc_store_announcement_each_current(struct mc_store *s, int64_t ward_id,
					       const char *today, mc_store_announcement_fn fn,
					       void *ctx)
{
	struct visit v = {.fn.ann = fn, .ctx = ctx};
	sqlite3_stmt *st;

	PREPARE(s, ST_ANN_CURRENT, st);
	sqlite3_bind_int64(st, 1, ward_id);
	bind_text(st, 2, today);
	return walk(st, ann_row, &v, false);
}

/* ---- procedures ---- */

static enum mc_err proc_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_procedure p = {
	    .id = sqlite3_column_int64(st, 0),
	    .ward_id = sqlite3_column_int64(st, 1),
	    .tthc_code = col_text(st, 2),
	    .title = col_text(st, 3),
	    .field = col_text(st, 4),
	    .level = col_text(st, 5),
	    .steps = col_text(st, 6),
	    .ways = col_text(st, 7),
	    .place = col_text(st, 8),
	    .who = col_text(st, 9),
	    .conditions = col_text(st, 10),
	    .duration = col_text(st, 11),
	    .fees = col_text(st, 12),
	    .office = col_text(st, 13),
	    .result = col_text(st, 14),
	    .legal_basis = col_text(st, 15),
	    .online_url = col_text(st, 16),
	    .updated_at = col_text(st, 17),
	    .retired_at = col_text(st, 18),
	};
	return v->fn.proc(v->ctx, &p);
}

static void bind_procedure(sqlite3_stmt *st, const struct mc_procedure *p, const char *today,
			   const char *fold)
{
	const char *text[] = {p->tthc_code, p->title,  p->field,  p->level,	  p->steps,
			      p->ways,	    p->place,  p->who,	  p->conditions,  p->duration,
			      p->fees,	    p->office, p->result, p->legal_basis, p->online_url,
			      today,	    fold};

	sqlite3_bind_int64(st, 1, p->ward_id);
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		bind_text(st, (int)i + 2, text[i]);
}

static enum mc_err put_documents(struct mc_store *s, int64_t proc_id,
				 const struct mc_document *docs, size_t ndocs)
{
	sqlite3_stmt *st;
	enum mc_err err;

	PREPARE(s, ST_DOC_DELETE, st);
	sqlite3_bind_int64(st, 1, proc_id);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	PREPARE(s, ST_DOC_INSERT, st);
	for (size_t i = 0; i < ndocs; i++) {
		if (!docs[i].name || docs[i].originals < 0 || docs[i].copies < 0)
			return MC_ERR_INVALID;
		sqlite3_bind_int64(st, 1, proc_id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_int(st, 3, docs[i].kind == MC_DOC_FORM ? 1 : 0);
		bind_text(st, 4, docs[i].name);
		sqlite3_bind_int(st, 5, docs[i].originals);
		sqlite3_bind_int(st, 6, docs[i].copies);
		if ((err = exec_stmt(st)) != MC_OK)
			return err;
	}
	return MC_OK;
}

static enum mc_err proc_write(struct mc_store *s, const struct mc_procedure *p,
			      const struct mc_document *docs, size_t ndocs, int64_t *id,
			      bool *created)
{
	char today[MC_DATE_LEN + 1];
	struct mc_buf fold;
	sqlite3_stmt *st;
	int64_t old, rowid;
	enum mc_err err;

	if (!p->tthc_code || !p->title || !p->field)
		return MC_ERR_INVALID;
	mc_buf_init(&fold);
	if ((err = mc_utf8_fold(p->title, strlen(p->title), &fold)) != MC_OK)
		goto out;
	if (!(st = stmt(s, ST_PROC_ID))) {
		err = prep_err(s);
		goto out;
	}
	sqlite3_bind_int64(st, 1, p->ward_id);
	bind_text(st, 2, p->tthc_code);
	if ((err = find_old(st, &old)) != MC_OK || (err = by_id(&old, p->id)) != MC_OK ||
	    (err = remember_known(s, E_PROC, old, p->id)) != MC_OK)
		goto out;
	if (!(st = stmt(s, old ? ST_PROC_UPDATE : ST_PROC_INSERT))) {
		err = prep_err(s);
		goto out;
	}
	mc_date_today(today);
	bind_procedure(st, p, today, fold.data ? fold.data : "");
	if (old)
		sqlite3_bind_int64(st, 19, old);
	if ((err = finish_upsert(s, st, old, &rowid, created)) != MC_OK)
		goto out;
	if ((err = put_documents(s, rowid, docs, ndocs)) != MC_OK)
		goto out;
	if (id)
		*id = rowid;
out:
	mc_buf_finish(&fold);
	return err;
}

enum mc_err mc_store_procedure_get(struct mc_store *s, int64_t id, mc_store_procedure_fn fn,
				   void *ctx)
{
	struct visit v = {.fn.proc = fn, .ctx = ctx};

	return walk_int(s, ST_PROC_GET, id, proc_row, &v, true);
}

static enum mc_err doc_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_document d = {
	    .kind = sqlite3_column_int(st, 0) ? MC_DOC_FORM : MC_DOC_PAPER,
	    .name = col_text(st, 1),
	    .originals = sqlite3_column_int(st, 2),
	    .copies = sqlite3_column_int(st, 3),
	};
	return v->fn.doc(v->ctx, &d);
}

enum mc_err mc_store_procedure_documents(struct mc_store *s, int64_t procedure_id,
					 mc_store_document_fn fn, void *ctx)
{
	struct visit v = {.fn.doc = fn, .ctx = ctx};

	return walk_int(s, ST_DOC_EACH, procedure_id, doc_row, &v, false);
}

enum mc_err mc_store_procedure_each(struct mc_store *s, int64_t ward_id, mc_store_procedure_fn fn,
				    void *ctx)
{
	struct visit v = {.fn.proc = fn, .ctx = ctx};
	sqlite3_stmt *st;

	PREPARE(s, ST_PROC_EACH, st);
	sqlite3_bind_int64(st, 1, ward_id);
	sqlite3_bind_int(st, 2, 0);
	return walk(st, proc_row, &v, false);
}

enum mc_err mc_store_procedure_each_all(struct mc_store *s, int64_t ward_id,
					mc_store_procedure_fn fn, void *ctx)
{
	struct visit v = {.fn.proc = fn, .ctx = ctx};
	sqlite3_stmt *st;

	PREPARE(s, ST_PROC_EACH, st);
	sqlite3_bind_int64(st, 1, ward_id);
	sqlite3_bind_int(st, 2, 1);
	return walk(st, proc_row, &v, false);
}

enum mc_err mc_store_announcement_each(struct mc_store *s, int64_t ward_id,
				       mc_store_announcement_fn fn, void *ctx)
{
	struct visit v = {.fn.ann = fn, .ctx = ctx};

	return walk_int(s, ST_ANN_EACH, ward_id, ann_row, &v, false);
}

/* "khai sinh" -> "%khai%sinh%", with LIKE's own characters escaped. */
static enum mc_err like_pattern(const char *q, struct mc_buf *out)
{
	enum mc_err err = mc_buf_putc(out, '%');

	for (; err == MC_OK && *q; q++) {
		if (*q == ' ')
			err = mc_buf_putc(out, '%');
		else if (*q == '%' || *q == '_' || *q == '\\')
			err = mc_buf_printf(out, "\\%c", *q);
		else
			err = mc_buf_putc(out, *q);
	}
	return err == MC_OK ? mc_buf_putc(out, '%') : err;
}

enum mc_err mc_store_procedure_search(struct mc_store *s, int64_t ward_id, const char *folded_query,
				      int limit, mc_store_procedure_fn fn, void *ctx)
{
	struct visit v = {.fn.proc = fn, .ctx = ctx};
	struct mc_buf pat;
	sqlite3_stmt *st;
	enum mc_err err;

	PREPARE(s, ST_PROC_SEARCH, st);
	mc_buf_init(&pat);
	if ((err = like_pattern(folded_query, &pat)) == MC_OK) {
		sqlite3_bind_int64(st, 1, ward_id);
		bind_text(st, 2, pat.data);
		sqlite3_bind_int(st, 3, limit);
		err = walk(st, proc_row, &v, false);
	}
	mc_buf_finish(&pat);
	return err;
}

/* ---- permits and inspections ---- */

static enum mc_err permit_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_permit p = {
	    .id = sqlite3_column_int64(st, 0),
	    .ward_id = sqlite3_column_int64(st, 1),
	    .number = col_text(st, 2),
	    .kind = col_text(st, 3),
	    .address = col_text(st, 4),
	    .owner_name = col_text(st, 5),
	    .scope = col_text(st, 6),
	    .floors = sqlite3_column_int(st, 7),
	    .area_m2 = sqlite3_column_double(st, 8),
	    .height_m = sqlite3_column_double(st, 9),
	    .contractor = col_text(st, 10),
	    .office = col_text(st, 11),
	    .issued_on = col_text(st, 12),
	    .starts_on = col_text(st, 13),
	    .ends_on = col_text(st, 14),
	    .status = col_text(st, 15),
	    .status_reason = col_text(st, 16),
	    .updated_at = col_text(st, 17),
	};
	return v->fn.permit(v->ctx, &p);
}

enum mc_err mc_store_permit_id(struct mc_store *s, const char *number, int64_t *id)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_PERMIT_ID, st);
	bind_text(st, 1, number);
	return query_id(st, id);
}

static enum mc_err permit_write(struct mc_store *s, const struct mc_permit *p, int64_t *id,
				bool *created)
{
	char today[MC_DATE_LEN + 1];
	sqlite3_stmt *st;
	int64_t old = 0;
	enum mc_err err;

	if (!p->number)
		return MC_ERR_INVALID;
	err = mc_store_permit_id(s, p->number, &old);
	if (err != MC_OK && err != MC_ERR_NOTFOUND)
		return err;
	if ((err = by_id(&old, p->id)) != MC_OK ||
	    (err = remember_known(s, E_PERMIT, old, p->id)) != MC_OK)
		return err;
	PREPARE(s, old ? ST_PERMIT_UPDATE : ST_PERMIT_INSERT, st);
	mc_date_today(today);
	sqlite3_bind_int64(st, 1, p->ward_id);
	bind_text(st, 2, p->number);
	bind_text(st, 3, p->kind);
	bind_text(st, 4, p->address);
	bind_text(st, 5, p->owner_name);
	bind_text(st, 6, p->scope);
	sqlite3_bind_int(st, 7, p->floors);
	sqlite3_bind_double(st, 8, p->area_m2);
	sqlite3_bind_double(st, 9, p->height_m);
	bind_text(st, 10, p->contractor);
	bind_text(st, 11, p->office);
	bind_text(st, 12, p->issued_on);
	bind_text(st, 13, p->starts_on);
	bind_text(st, 14, p->ends_on);
	bind_text(st, 15, p->status);
	bind_text(st, 16, p->status_reason);
	bind_text(st, 17, today);
	if (old)
		sqlite3_bind_int64(st, 18, old);
	return finish_upsert(s, st, old, id, created);
}

enum mc_err mc_store_permit_get(struct mc_store *s, int64_t id, mc_store_permit_fn fn, void *ctx)
{
	struct visit v = {.fn.permit = fn, .ctx = ctx};

	return walk_int(s, ST_PERMIT_GET, id, permit_row, &v, true);
}

enum mc_err mc_store_permit_each(struct mc_store *s, int64_t ward_id, mc_store_permit_fn fn,
				 void *ctx)
{
	struct visit v = {.fn.permit = fn, .ctx = ctx};

	return walk_int(s, ST_PERMIT_EACH, ward_id, permit_row, &v, false);
}

static enum mc_err insp_write(struct mc_store *s, const struct mc_inspection *i, int64_t *id,
			      bool *created)
{
	sqlite3_stmt *st;
	int64_t old;
	enum mc_err err;

	if (!i->on_date || !i->inspector)
		return MC_ERR_INVALID;
	PREPARE(s, ST_INSP_ID, st);
	sqlite3_bind_int64(st, 1, i->permit_id);
	bind_text(st, 2, i->on_date);
	bind_text(st, 3, i->inspector);
	if ((err = find_old(st, &old)) != MC_OK)
		return err;
	if ((err = remember(s, E_INSP, old)) != MC_OK)
		return err;
	PREPARE(s, old ? ST_INSP_UPDATE : ST_INSP_INSERT, st);
	sqlite3_bind_int64(st, 1, i->permit_id);
	bind_text(st, 2, i->on_date);
	bind_text(st, 3, i->inspector);
	bind_text(st, 4, i->result);
	bind_text(st, 5, i->note);
	if (old)
		sqlite3_bind_int64(st, 6, old);
	return finish_upsert(s, st, old, id, created);
}

static enum mc_err insp_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_inspection i = {
	    .id = sqlite3_column_int64(st, 0),
	    .permit_id = sqlite3_column_int64(st, 1),
	    .on_date = col_text(st, 2),
	    .inspector = col_text(st, 3),
	    .result = col_text(st, 4),
	    .note = col_text(st, 5),
	};
	return v->fn.insp(v->ctx, &i);
}

enum mc_err mc_store_permit_inspections(struct mc_store *s, int64_t permit_id,
					mc_store_inspection_fn fn, void *ctx)
{
	struct visit v = {.fn.insp = fn, .ctx = ctx};

	return walk_int(s, ST_INSP_EACH, permit_id, insp_row, &v, false);
}

/* ---- codes ---- */

static enum mc_err code_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_code c = {
	    .id = sqlite3_column_int64(st, 0),
	    .token = col_text(st, 1),
	    .target_kind = col_text(st, 2),
	    .target_id = sqlite3_column_int64(st, 3),
	    .created_at = col_text(st, 4),
	    .revoked_at = col_text(st, 5),
	    .replaced_by = col_text(st, 6),
	    .title = col_text(st, 7),
	    .ward_id = sqlite3_column_int64(st, 8),
	};
	return v->fn.code(v->ctx, &c);
}

static enum mc_err target_exists(struct mc_store *s, const char *kind, int64_t target_id)
{
	sqlite3_stmt *st;
	int64_t id = 0;
	enum mc_err err;

	PREPARE(s, ST_TARGET_EXISTS, st);
	bind_text(st, 1, kind);
	sqlite3_bind_int64(st, 2, target_id);
	err = query_id(st, &id);
	return err == MC_OK && id == 0 ? MC_ERR_NOTFOUND : err;
}

enum mc_err mc_store_code_create(struct mc_store *s, const char *kind, int64_t target_id,
				 char token[MC_TOKEN_LEN + 1])
{
	sqlite3_stmt *st;
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	if ((err = target_exists(s, kind, target_id)) != MC_OK)
		goto out;
	if (!(st = stmt(s, ST_CODE_INSERT))) {
		err = prep_err(s);
		goto out;
	}
	/* 40 random bits make a collision rare; a few retries make it harmless. */
	for (int tries = 0; tries < 8; tries++) {
		mc_token_make(token);
		bind_text(st, 1, token);
		bind_text(st, 2, kind);
		sqlite3_bind_int64(st, 3, target_id);
		if ((err = exec_stmt(st)) != MC_ERR_EXISTS)
			break;
	}
	rowid = sqlite3_last_insert_rowid(s->db);
out:
	return end_write(s, err, owned, E_CODE, rowid, "create");
}

struct token_copy {
	char *token;
};

static enum mc_err copy_token(void *ctx, const struct mc_code *c)
{
	struct token_copy *t = ctx;

	snprintf(t->token, MC_TOKEN_LEN + 1, "%s", c->token);
	return MC_OK;
}

enum mc_err mc_store_code_ensure(struct mc_store *s, const char *kind, int64_t target_id,
				 char token[MC_TOKEN_LEN + 1], bool *created)
{
	struct token_copy t = {token};
	enum mc_err err;

	err = mc_store_code_for_target(s, kind, target_id, copy_token, &t);
	if (created)
		*created = false;
	if (err != MC_ERR_NOTFOUND)
		return err;
	if ((err = mc_store_code_create(s, kind, target_id, token)) == MC_OK && created)
		*created = true;
	return err;
}

enum mc_err mc_store_code_get(struct mc_store *s, const char *token, mc_store_code_fn fn, void *ctx)
{
	struct visit v = {.fn.code = fn, .ctx = ctx};

	return walk_text(s, ST_CODE_GET, token, code_row, &v, true);
}

enum mc_err mc_store_code_for_target(struct mc_store *s, const char *kind, int64_t target_id,
				     mc_store_code_fn fn, void *ctx)
{
	struct visit v = {.fn.code = fn, .ctx = ctx};
	sqlite3_stmt *st;

	PREPARE(s, ST_CODE_FOR_TARGET, st);
	bind_text(st, 1, kind);
	sqlite3_bind_int64(st, 2, target_id);
	return walk(st, code_row, &v, true);
}

enum mc_err mc_store_code_each(struct mc_store *s, const char *kind, mc_store_code_fn fn, void *ctx)
{
	struct visit v = {.fn.code = fn, .ctx = ctx};

	return walk_text(s, kind ? ST_CODE_EACH_KIND : ST_CODE_EACH, kind, code_row, &v, false);
}

struct code_state {
	int64_t id;
	bool revoked;
};

static enum mc_err read_state(void *ctx, const struct mc_code *c)
{
	struct code_state *cs = ctx;

	cs->id = c->id;
	cs->revoked = c->revoked_at != NULL;
	return MC_OK;
}

static enum mc_err revoke_write(struct mc_store *s, const char *token, const char *replacement,
				int64_t *id)
{
	struct code_state old = {0}, repl = {0};
	sqlite3_stmt *st;
	enum mc_err err;

	if ((err = mc_store_code_get(s, token, read_state, &old)) != MC_OK)
		return err;
	if (old.revoked)
		return MC_ERR_GONE;
	if (replacement) {
		if ((err = mc_store_code_get(s, replacement, read_state, &repl)) != MC_OK)
			return err;
		if (repl.revoked || repl.id == old.id)
			return MC_ERR_INVALID;
	}
	if ((err = remember(s, E_CODE, old.id)) != MC_OK)
		return err;
	PREPARE(s, ST_CODE_REVOKE, st);
	sqlite3_bind_int64(st, 1, old.id);
	if (replacement)
		sqlite3_bind_int64(st, 2, repl.id);
	*id = old.id;
	return exec_stmt(st);
}

enum mc_err mc_store_code_revoke(struct mc_store *s, const char *token, const char *replacement)
{
	int64_t id = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = revoke_write(s, token, replacement, &id);
	return end_write(s, err, owned, E_CODE, id, "revoke");
}

/* ---- audited public writes ---- */

enum mc_err mc_store_ward_upsert(struct mc_store *s, const struct mc_ward *w, int64_t *id)
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	err = ward_write(s, w, &rowid);
	if (id)
		*id = rowid;
	return end_write(s, err, owned, E_WARD, rowid, NULL);
}

enum mc_err mc_store_announcement_upsert(struct mc_store *s, const struct mc_announcement *a,
					 int64_t *id, bool *created)
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	err = ann_write(s, a, &rowid, created);
	if (id)
		*id = rowid;
	return end_write(s, err, owned, E_ANN, rowid, NULL);
}

enum mc_err mc_store_procedure_upsert(struct mc_store *s, const struct mc_procedure *p,
				      const struct mc_document *docs, size_t ndocs, int64_t *id,
				      bool *created)
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	err = proc_write(s, p, docs, ndocs, &rowid, created);
	if (id)
		*id = rowid;
	return end_write(s, err, owned, E_PROC, rowid, NULL);
}

enum mc_err mc_store_permit_upsert(struct mc_store *s, const struct mc_permit *p, int64_t *id,
				   bool *created)
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	err = permit_write(s, p, &rowid, created);
	if (id)
		*id = rowid;
	return end_write(s, err, owned, E_PERMIT, rowid, NULL);
}

enum mc_err mc_store_inspection_upsert(struct mc_store *s, const struct mc_inspection *i,
				       int64_t *id, bool *created)
{
	int64_t rowid = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	mc_buf_reset(&s->before);
	err = insp_write(s, i, &rowid, created);
	if (id)
		*id = rowid;
	return end_write(s, err, owned, E_INSP, rowid, NULL);
}

/* ---- users and sessions ---- */

static enum mc_err user_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_user u = {
	    .id = sqlite3_column_int64(st, 0),
	    .name = col_text(st, 1),
	    .role = col_text(st, 2),
	    .ward_id = sqlite3_column_int64(st, 3),
	    .pw_hash = col_text(st, 4),
	    .disabled_at = col_text(st, 5),
	    .created_at = col_text(st, 6),
	};
	return v->fn.user(v->ctx, &u);
}

static void bind_user(sqlite3_stmt *st, const void *rec)
{
	const struct mc_user *u = rec;

	bind_text(st, 1, u->name);
	bind_text(st, 2, u->role);
	if (u->ward_id)
		sqlite3_bind_int64(st, 3, u->ward_id);
	bind_text(st, 4, u->pw_hash);
}

enum mc_err mc_store_user_add(struct mc_store *s, const struct mc_user *u, int64_t *id)
{
	if (!u->name || !u->role || !u->pw_hash)
		return MC_ERR_INVALID;
	return audited_insert(s, ST_USER_INSERT, bind_user, u, E_USER, "create", id);
}

enum mc_err mc_store_user_by_name(struct mc_store *s, const char *name, mc_store_user_fn fn,
				  void *ctx)
{
	struct visit v = {.fn.user = fn, .ctx = ctx};

	return walk_text(s, ST_USER_BY_NAME, name, user_row, &v, true);
}

enum mc_err mc_store_user_by_id(struct mc_store *s, int64_t id, mc_store_user_fn fn, void *ctx)
{
	struct visit v = {.fn.user = fn, .ctx = ctx};

	return walk_int(s, ST_USER_BY_ID, id, user_row, &v, true);
}

enum mc_err mc_store_user_each(struct mc_store *s, mc_store_user_fn fn, void *ctx)
{
	struct visit v = {.fn.user = fn, .ctx = ctx};

	return walk_int(s, ST_USER_EACH, 0, user_row, &v, false);
}

struct user_state {
	int64_t id;
	bool disabled;
};

static enum mc_err read_user_state(void *ctx, const struct mc_user *u)
{
	struct user_state *us = ctx;

	us->id = u->id;
	us->disabled = u->disabled_at != NULL;
	return MC_OK;
}

static enum mc_err disable_write(struct mc_store *s, const char *name, int64_t *id)
{
	struct user_state us = {0};
	sqlite3_stmt *st;
	enum mc_err err;

	if ((err = mc_store_user_by_name(s, name, read_user_state, &us)) != MC_OK)
		return err;
	if (us.disabled)
		return MC_ERR_GONE;
	*id = us.id;
	if ((err = remember(s, E_USER, us.id)) != MC_OK)
		return err;
	PREPARE(s, ST_USER_DISABLE, st);
	sqlite3_bind_int64(st, 1, us.id);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	PREPARE(s, ST_SESSION_END_USER, st);
	sqlite3_bind_int64(st, 1, us.id);
	return exec_stmt(st);
}

enum mc_err mc_store_user_disable(struct mc_store *s, const char *name)
{
	int64_t id = 0;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = disable_write(s, name, &id);
	return end_write(s, err, owned, E_USER, id, "disable");
}

enum mc_err mc_store_session_add(struct mc_store *s, const char *token_hash, int64_t user_id,
				 const char *csrf, long long now, long long expires)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_SESSION_INSERT, st);
	bind_text(st, 1, token_hash);
	sqlite3_bind_int64(st, 2, user_id);
	bind_text(st, 3, csrf);
	sqlite3_bind_int64(st, 4, now);
	sqlite3_bind_int64(st, 5, expires);
	return exec_stmt(st);
}

static enum mc_err session_user(void *ctx, const struct mc_user *u)
{
	(void)ctx;
	(void)u;
	return MC_OK;
}

enum mc_err mc_store_session_get(struct mc_store *s, const char *token_hash, long long now,
				 mc_store_user_fn fn, void *ctx, char csrf[65])
{
	sqlite3_stmt *st;
	enum mc_err err = MC_ERR_NOTFOUND;
	struct visit v = {.fn.user = fn ? fn : session_user, .ctx = ctx};
	int rc;

	PREPARE(s, ST_SESSION_GET, st);
	bind_text(st, 1, token_hash);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(csrf, 65, "%s", col_text(st, 7) ? col_text(st, 7) : "");
		err = user_row(st, &v);
	} else if (rc != SQLITE_DONE) {
		err = map_rc(rc);
	}
	done(st);
	return err;
}

enum mc_err mc_store_session_end(struct mc_store *s, const char *token_hash)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_SESSION_END, st);
	bind_text(st, 1, token_hash);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	return exec_stmt(st);
}

/* ---- login throttling ---- */

enum mc_err mc_store_throttle_get(struct mc_store *s, const char *key, long long now, int *failures,
				  long long *locked_until)
{
	sqlite3_stmt *st;
	enum mc_err err = MC_OK;
	int rc;

	*failures = 0;
	*locked_until = 0;
	PREPARE(s, ST_THROTTLE_GET, st);
	bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, 3600); /* failures older than an hour are forgotten */
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*failures = sqlite3_column_int(st, 0);
		*locked_until = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		err = map_rc(rc);
	}
	done(st);
	return err;
}

enum mc_err mc_store_throttle_fail(struct mc_store *s, const char *key, long long now, int max,
				   long long window, long long lock)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_THROTTLE_FAIL, st);
	bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, now);
	sqlite3_bind_int64(st, 3, window);
	sqlite3_bind_int(st, 4, max);
	sqlite3_bind_int64(st, 5, lock);
	return exec_stmt(st);
}

enum mc_err mc_store_throttle_clear(struct mc_store *s, const char *key)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_THROTTLE_CLEAR, st);
	bind_text(st, 1, key);
	return exec_stmt(st);
}

enum mc_err mc_store_secret(struct mc_store *s, char out[65])
{
	sqlite3_stmt *st;
	enum mc_err err = MC_OK;
	int rc;

	PREPARE(s, ST_SECRET, st);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && col_text(st, 0))
		snprintf(out, 65, "%s", col_text(st, 0));
	else
		err = rc == SQLITE_DONE || rc == SQLITE_ROW ? MC_ERR_NOTFOUND : map_rc(rc);
	done(st);
	return err;
}

/* ---- permit status, retiring ---- */

static enum mc_err status_write(struct mc_store *s, int64_t id, const char *status,
				const char *reason)
{
	char today[MC_DATE_LEN + 1], from[32] = "";
	sqlite3_stmt *st;
	enum mc_err err = MC_OK;
	int rc;

	PREPARE(s, ST_PERMIT_STATUS, st);
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		snprintf(from, sizeof(from), "%s", col_text(st, 0) ? col_text(st, 0) : "");
	else
		err = rc == SQLITE_DONE ? MC_ERR_NOTFOUND : map_rc(rc);
	done(st);
	if (err != MC_OK)
		return err;
	if (!mc_permit_can_move(from, status) ||
	    (mc_permit_needs_reason(status) && (!reason || !*reason)))
		return MC_ERR_INVALID;
	if ((err = remember(s, E_PERMIT, id)) != MC_OK)
		return err;
	PREPARE(s, ST_PERMIT_SET_STATUS, st);
	mc_date_today(today);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, status);
	bind_text(st, 3, mc_permit_needs_reason(status) ? reason : NULL);
	bind_text(st, 4, today);
	return exec_stmt(st);
}

enum mc_err mc_store_permit_set_status(struct mc_store *s, int64_t permit_id, const char *status,
				       const char *reason)
{
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = status_write(s, permit_id, status, reason);
	return end_write(s, err, owned, E_PERMIT, permit_id, "status");
}

static enum mc_err retire(struct mc_store *s, enum stmt_id sid, enum entity e, int64_t id)
{
	char today[MC_DATE_LEN + 1];
	sqlite3_stmt *st;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	if ((err = remember(s, e, id)) == MC_OK && !s->before.len)
		err = MC_ERR_NOTFOUND;
	if (err == MC_OK && !(st = stmt(s, sid)))
		err = prep_err(s);
	if (err == MC_OK) {
		mc_date_today(today);
		sqlite3_bind_int64(st, 1, id);
		bind_text(st, 2, today);
		err = exec_stmt(st);
		if (err == MC_OK && sqlite3_changes(s->db) == 0)
			err = MC_ERR_GONE;
	}
	return end_write(s, err, owned, e, id, "retire");
}

enum mc_err mc_store_procedure_retire(struct mc_store *s, int64_t id)
{
	return retire(s, ST_PROC_RETIRE, E_PROC, id);
}

enum mc_err mc_store_announcement_retire(struct mc_store *s, int64_t id)
{
	return retire(s, ST_ANN_RETIRE, E_ANN, id);
}

/* ---- files ---- */

static enum mc_err file_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_file f = {
	    .id = sqlite3_column_int64(st, 0),
	    .permit_id = sqlite3_column_int64(st, 1),
	    .sha256 = col_text(st, 2),
	    .mime = col_text(st, 3),
	    .size = sqlite3_column_int64(st, 4),
	    .name = col_text(st, 5),
	    .public = sqlite3_column_int(st, 6) != 0,
	    .created_at = col_text(st, 7),
	};
	return v->fn.file(v->ctx, &f);
}

static void bind_file(sqlite3_stmt *st, const void *rec)
{
	const struct mc_file *f = rec;

	sqlite3_bind_int64(st, 1, f->permit_id);
	bind_text(st, 2, f->sha256);
	bind_text(st, 3, f->mime);
	sqlite3_bind_int64(st, 4, f->size);
	bind_text(st, 5, f->name);
	sqlite3_bind_int(st, 6, f->public ? 1 : 0);
}

enum mc_err mc_store_file_add(struct mc_store *s, const struct mc_file *f, int64_t *id)
{
	if (!f->sha256 || !f->mime || !f->name)
		return MC_ERR_INVALID;
	return audited_insert(s, ST_FILE_INSERT, bind_file, f, E_FILE, "attach", id);
}

enum mc_err mc_store_file_each(struct mc_store *s, int64_t permit_id, bool public_only,
			       mc_store_file_fn fn, void *ctx)
{
	struct visit v = {.fn.file = fn, .ctx = ctx};
	sqlite3_stmt *st;

	PREPARE(s, ST_FILE_EACH, st);
	sqlite3_bind_int64(st, 1, permit_id);
	sqlite3_bind_int(st, 2, public_only ? 1 : 0);
	return walk(st, file_row, &v, false);
}

enum mc_err mc_store_file_by_hash(struct mc_store *s, const char *sha256, bool public_only,
				  mc_store_file_fn fn, void *ctx)
{
	struct visit v = {.fn.file = fn, .ctx = ctx};
	sqlite3_stmt *st;

	PREPARE(s, ST_FILE_BY_HASH, st);
	bind_text(st, 1, sha256);
	sqlite3_bind_int(st, 2, public_only ? 1 : 0);
	return walk(st, file_row, &v, true);
}

/* ---- resident reports ---- */

static enum mc_err report_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_report r = {
	    .id = sqlite3_column_int64(st, 0),
	    .ref = col_text(st, 1),
	    .permit_id = sqlite3_column_int64(st, 2),
	    .category = col_text(st, 3),
	    .description = col_text(st, 4),
	    .contact = col_text(st, 5),
	    .photo_sha256 = col_text(st, 6),
	    .photo_mime = col_text(st, 7),
	    .client_key = col_text(st, 8),
	    .created_at = col_text(st, 9),
	    .reviewed_at = col_text(st, 10),
	    .review_note = col_text(st, 11),
	    .ward_id = sqlite3_column_int64(st, 12),
	};
	return v->fn.report(v->ctx, &r);
}

static void bind_report(sqlite3_stmt *st, const void *rec)
{
	const struct mc_report *r = rec;

	bind_text(st, 1, r->ref);
	sqlite3_bind_int64(st, 2, r->permit_id);
	bind_text(st, 3, r->category);
	bind_text(st, 4, r->description);
	bind_text(st, 5, r->contact);
	bind_text(st, 6, r->photo_sha256);
	bind_text(st, 7, r->photo_mime);
	bind_text(st, 8, r->client_key);
}

enum mc_err mc_store_report_add(struct mc_store *s, const struct mc_report *r, int64_t *id)
{
	if (!r->ref || !r->category || !r->description || !r->client_key)
		return MC_ERR_INVALID;
	return audited_insert(s, ST_REPORT_INSERT, bind_report, r, E_REPORT, "create", id);
}

enum mc_err mc_store_report_count_since(struct mc_store *s, const char *client_key,
					const char *since, int *n)
{
	sqlite3_stmt *st;
	int64_t count = 0;
	enum mc_err err;

	PREPARE(s, ST_REPORT_COUNT, st);
	bind_text(st, 1, client_key);
	bind_text(st, 2, since);
	err = query_id(st, &count);
	*n = (int)count;
	return err;
}

enum mc_err mc_store_report_each(struct mc_store *s, int64_t ward_id, mc_store_report_fn fn,
				 void *ctx)
{
	struct visit v = {.fn.report = fn, .ctx = ctx};

	return walk_int(s, ST_REPORT_EACH, ward_id, report_row, &v, false);
}

enum mc_err mc_store_report_review(struct mc_store *s, int64_t id, const char *note)
{
	sqlite3_stmt *st;
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	if ((err = remember(s, E_REPORT, id)) == MC_OK && !s->before.len)
		err = MC_ERR_NOTFOUND;
	if (err == MC_OK && !(st = stmt(s, ST_REPORT_REVIEW)))
		err = prep_err(s);
	if (err == MC_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (s->actor_id)
			sqlite3_bind_int64(st, 2, s->actor_id);
		bind_text(st, 3, note);
		err = exec_stmt(st);
		if (err == MC_OK && sqlite3_changes(s->db) == 0)
			err = MC_ERR_GONE;
	}
	return end_write(s, err, owned, E_REPORT, id, "review");
}

/* ---- scan statistics (not audited: counts, not records) ---- */

enum mc_err mc_store_scan_add(struct mc_store *s, int64_t code_id, const char *day, long long n)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_SCAN_ADD, st);
	sqlite3_bind_int64(st, 1, code_id);
	bind_text(st, 2, day);
	sqlite3_bind_int64(st, 3, n);
	return exec_stmt(st);
}

enum mc_err mc_store_scan_miss_add(struct mc_store *s, const char *day, const char *reason,
				   long long n)
{
	sqlite3_stmt *st;

	PREPARE(s, ST_SCAN_MISS_ADD, st);
	bind_text(st, 1, day);
	bind_text(st, 2, reason);
	sqlite3_bind_int64(st, 3, n);
	return exec_stmt(st);
}

static enum mc_err scan_row(sqlite3_stmt *st, const struct visit *v)
{
	struct mc_scan_count c = {
	    .token = col_text(st, 0),
	    .kind = col_text(st, 1),
	    .title = col_text(st, 2),
	    .target_id = sqlite3_column_int64(st, 3),
	    .count = sqlite3_column_int64(st, 4),
	};
	return v->fn.scan(v->ctx, &c);
}

enum mc_err mc_store_scan_top(struct mc_store *s, int64_t ward_id, const char *since,
			      const char *kind, int limit, mc_store_scan_fn fn, void *ctx)
{
	struct visit v = {.fn.scan = fn, .ctx = ctx};
	sqlite3_stmt *st;

	PREPARE(s, ST_SCAN_TOP, st);
	sqlite3_bind_int64(st, 1, ward_id);
	bind_text(st, 2, since);
	bind_text(st, 3, kind);
	sqlite3_bind_int(st, 4, limit);
	return walk(st, scan_row, &v, false);
}

enum mc_err mc_store_scan_miss_count(struct mc_store *s, const char *since, const char *reason,
				     long long *n)
{
	sqlite3_stmt *st;
	int64_t count = 0;
	enum mc_err err;

	PREPARE(s, ST_SCAN_MISS_COUNT, st);
	bind_text(st, 1, since);
	bind_text(st, 2, reason);
	err = query_id(st, &count);
	*n = count;
	return err;
}

enum mc_err mc_store_scan_total(struct mc_store *s, int64_t code_id, long long *n)
{
	sqlite3_stmt *st;
	int64_t count = 0;
	enum mc_err err;

	PREPARE(s, ST_SCAN_TOTAL, st);
	sqlite3_bind_int64(st, 1, code_id);
	err = query_id(st, &count);
	*n = count;
	return err;
}

/* ---- merging wards ---- */

/* Moves the rows listed by sel (ids, bound to from and into) to ward into with upd, one
 * audited "merge" entry each. */
static enum mc_err move_rows(struct mc_store *s, enum stmt_id sel, enum stmt_id upd, enum entity e,
			     int64_t from, int64_t into, long *moved)
{
	int64_t *ids = NULL, *grown;
	size_t n = 0, cap = 0;
	sqlite3_stmt *st;
	enum mc_err err = MC_OK;
	int rc;

	PREPARE(s, sel, st);
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, into);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			if (!(grown = realloc(ids, cap * sizeof(*ids)))) {
				err = MC_ERR_NOMEM;
				break;
			}
			ids = grown;
		}
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (err == MC_OK && rc != SQLITE_DONE)
		err = map_rc(rc);
	done(st);
	for (size_t i = 0; err == MC_OK && i < n; i++) {
		if ((err = remember(s, e, ids[i])) != MC_OK)
			break;
		if (!(st = stmt(s, upd))) {
			err = prep_err(s);
			break;
		}
		sqlite3_bind_int64(st, 1, ids[i]);
		sqlite3_bind_int64(st, 2, into);
		if ((err = exec_stmt(st)) == MC_OK)
			err = audit(s, e, ids[i], "merge", &s->before);
	}
	if (err == MC_OK && moved)
		*moved = (long)n;
	free(ids);
	return err;
}

struct ward_state {
	int64_t id;
	int64_t merged_into;
};

static enum mc_err read_ward_state(void *ctx, const struct mc_ward *w)
{
	struct ward_state *ws = ctx;

	ws->id = w->id;
	ws->merged_into = w->merged_into;
	return MC_OK;
}

static enum mc_err merge_write(struct mc_store *s, const char *from_slug, const char *into_slug,
			       struct mc_merge_stats *ms)
{
	struct ward_state from = {0}, into = {0};
	sqlite3_stmt *st;
	enum mc_err err;

	if ((err = mc_store_ward_by_slug(s, from_slug, read_ward_state, &from)) != MC_OK ||
	    (err = mc_store_ward_by_slug(s, into_slug, read_ward_state, &into)) != MC_OK)
		return err;
	if (from.id == into.id || into.merged_into)
		return MC_ERR_INVALID;
	if (from.merged_into)
		return MC_ERR_GONE;
	if ((err = move_rows(s, ST_MERGE_PERMITS, ST_MOVE_PERMIT, E_PERMIT, from.id, into.id,
			     &ms->permits)) != MC_OK ||
	    (err = move_rows(s, ST_MERGE_PROCS, ST_MOVE_PROC, E_PROC, from.id, into.id,
			     &ms->procedures)) != MC_OK ||
	    (err = move_rows(s, ST_MERGE_ANNS, ST_MOVE_ANN, E_ANN, from.id, into.id,
			     &ms->announcements)) != MC_OK ||
	    (err = move_rows(s, ST_MERGE_USERS, ST_MOVE_USER, E_USER, from.id, into.id,
			     &ms->users)) != MC_OK)
		return err;
	if ((err = remember(s, E_WARD, from.id)) != MC_OK)
		return err;
	PREPARE(s, ST_WARD_MERGE, st);
	sqlite3_bind_int64(st, 1, from.id);
	sqlite3_bind_int64(st, 2, into.id);
	if ((err = exec_stmt(st)) != MC_OK)
		return err;
	ms->from_id = from.id;
	return MC_OK;
}

enum mc_err mc_store_ward_merge(struct mc_store *s, const char *from_slug, const char *into_slug,
				struct mc_merge_stats *stats)
{
	struct mc_merge_stats ms = {0};
	bool owned;
	enum mc_err err;

	if ((err = tx_begin(s, &owned)) != MC_OK)
		return err;
	err = merge_write(s, from_slug, into_slug, &ms);
	if (stats)
		*stats = ms;
	return end_write(s, err, owned, E_WARD, ms.from_id, "merge");
}

/* ---- backup ---- */

enum mc_err mc_store_backup(struct mc_store *s, const char *path)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	enum mc_err err;
	int rc;

	rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(dst);
		return MC_ERR_IO;
	}
	sqlite3_busy_timeout(dst, 5000);
	if (!(b = sqlite3_backup_init(dst, "main", s->db, "main"))) {
		err = map_rc(sqlite3_errcode(dst));
		sqlite3_close(dst);
		return err == MC_OK ? MC_ERR_DB : err;
	}
	/* Copy in steps so that writers get the lock between them; a write on another
	 * connection restarts the copy, which keeps it consistent. */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	err = rc == SQLITE_DONE ? MC_OK : map_rc(rc);
	sqlite3_close(dst);
	return err;
}

enum mc_err mc_store_integrity(struct mc_store *s, bool *ok)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, "PRAGMA integrity_check", -1, &st, NULL);

	*ok = false;
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*ok = col_text(st, 0) && !strcmp(col_text(st, 0), "ok");
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_OK ? MC_OK : map_rc(rc);
}

/* ---- supervision queries ---- */

/* The caller's callback for rows no member of struct visit carries. */
struct sup_visit {
	mc_store_sup_permit_fn permit;
	mc_store_sup_ward_fn ward;
	void *ctx;
};

static void bind_filter(sqlite3_stmt *st, const struct mc_sup_filter *f)
{
	sqlite3_bind_int(st, 1, (int)f->list);
	sqlite3_bind_int64(st, 2, f->ward_id);
	bind_text(st, 3, f->status);
	bind_text(st, 4, f->by_end ? "ends" : "issued");
	bind_text(st, 5, f->from);
	bind_text(st, 6, f->to);
	bind_text(st, 7, f->today);
	bind_text(st, 8, f->soon);
}

/* Lets permit_row fill the permit part of a supervision row. */
static enum mc_err copy_permit(void *ctx, const struct mc_permit *p)
{
	*(struct mc_permit *)ctx = *p;
	return MC_OK;
}

static enum mc_err sup_permit_row(sqlite3_stmt *st, const struct visit *v)
{
	const struct sup_visit *sv = v->ctx;
	struct mc_sup_permit p = {
	    .ward_slug = col_text(st, 18),
	    .ward_name = col_text(st, 19),
	    .open_reports = sqlite3_column_int64(st, 20),
	    .oldest_report = col_text(st, 21),
	};
	struct visit inner = {.fn.permit = copy_permit, .ctx = &p.permit};
	enum mc_err err;

	if ((err = permit_row(st, &inner)) != MC_OK)
		return err;
	return sv->permit(sv->ctx, &p);
}

enum mc_err mc_store_sup_permits(struct mc_store *s, const struct mc_sup_filter *f, int limit,
				 long long offset, mc_store_sup_permit_fn fn, void *ctx)
{
	struct sup_visit sv = {.permit = fn, .ctx = ctx};
	struct visit v = {.ctx = &sv};
	sqlite3_stmt *st;

	if (limit < 0 || offset < 0)
		return MC_ERR_INVALID;
	PREPARE(s, ST_SUP_PERMITS, st);
	bind_filter(st, f);
	sqlite3_bind_int(st, 9, limit);
	sqlite3_bind_int64(st, 10, offset);
	return walk(st, sup_permit_row, &v, false);
}

enum mc_err mc_store_sup_permit_count(struct mc_store *s, const struct mc_sup_filter *f,
				      long long *n)
{
	sqlite3_stmt *st;
	int64_t count = 0;
	enum mc_err err;

	PREPARE(s, ST_SUP_PERMIT_COUNT, st);
	bind_filter(st, f);
	err = query_id(st, &count);
	*n = count;
	return err;
}

static enum mc_err sup_ward_row(sqlite3_stmt *st, const struct visit *v)
{
	const struct sup_visit *sv = v->ctx;
	struct mc_sup_ward w = {
	    .ward_id = sqlite3_column_int64(st, 0),
	    .slug = col_text(st, 1),
	    .name = col_text(st, 2),
	    .total = sqlite3_column_int64(st, 3),
	    .overdue = sqlite3_column_int64(st, 9),
	    .expiring = sqlite3_column_int64(st, 10),
	    .reported = sqlite3_column_int64(st, 11),
	};

	for (int i = 0; i < 5; i++)
		w.by_status[i] = sqlite3_column_int64(st, 4 + i);
	return sv->ward(sv->ctx, &w);
}

enum mc_err mc_store_sup_wards(struct mc_store *s, int64_t ward_id, const char *today,
			       const char *soon, mc_store_sup_ward_fn fn, void *ctx)
{
	struct sup_visit sv = {.ward = fn, .ctx = ctx};
	struct visit v = {.ctx = &sv};
	sqlite3_stmt *st;

	PREPARE(s, ST_SUP_WARDS, st);
	sqlite3_bind_int64(st, 1, ward_id);
	bind_text(st, 2, today);
	bind_text(st, 3, soon);
	return walk(st, sup_ward_row, &v, false);
}

enum mc_err mc_store_sup_permit_audit(struct mc_store *s, int64_t permit_id, mc_store_audit_fn fn,
				      void *ctx)
{
	struct visit v = {.fn.audit = fn, .ctx = ctx};

	return walk_int(s, ST_SUP_AUDIT, permit_id, audit_row, &v, false);
}

enum mc_err mc_store_sup_permit_reports(struct mc_store *s, int64_t permit_id,
					mc_store_report_fn fn, void *ctx)
{
	struct visit v = {.fn.report = fn, .ctx = ctx};

	return walk_int(s, ST_SUP_REPORTS, permit_id, report_row, &v, false);
}
