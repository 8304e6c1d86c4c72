/* The statement table: every SQL statement of the store, indexed by enum stmt_id (private.h)
 * and grouped by the file that runs it. Parameters are numbered (?1, ?2 ...) so that a driver
 * whose database spells them otherwise can rewrite them. The driver's own words (transactions,
 * pragmas) are in the driver, the tables in schema.c. */
#include "private.h"

/* A parameter's type, where nothing before it in the statement says it (PostgreSQL infers
 * each parameter's type from where it first appears, and cannot from "?1 IS NULL"). */
#define INT(p) "CAST(" p " AS BIGINT)"
#define STR(p) "CAST(" p " AS TEXT)"

/* The JSON snapshots of the records, one list of fields each, written in both dialects:
 * SQLite's json_object, and on PostgreSQL a concatenation that gives the same text byte for
 * byte (no spaces, keys in this order, reals as SQLite prints them: mc_json_real, made by
 * the schema). Each field is F(type, column): t text, i integer, r real; the first is F1.
 * (The formatter would wrap the lists as if they were statements.) */
/* clang-format off */
#define WARD_FIELDS(F1, F)                                                                         \
	F1(t, slug) F(t, name) F(t, address) F(t, phone) F(t, hours) F(t, intro)                   \
	F(i, merged_into) F(i, sample)
#define ANN_FIELDS(F1, F)                                                                          \
	F1(i, ward_id) F(t, title) F(t, body) F(t, published_on) F(t, expires_on) F(t, retired_at)
#define PROC_FIELDS(F1, F)                                                                         \
	F1(i, ward_id) F(t, tthc_code) F(t, title) F(t, field) F(t, level) F(t, steps) F(t, ways)  \
	F(t, place) F(t, who) F(t, conditions) F(t, duration) F(t, fees) F(t, office)              \
	F(t, result) F(t, legal_basis) F(t, online_url) F(t, retired_at)
#define DOC_FIELDS(F1, F) F1(i, kind) F(t, name) F(i, originals) F(i, copies)
#define PERMIT_FIELDS(F1, F)                                                                       \
	F1(i, ward_id) F(t, number) F(t, kind) F(t, address) F(t, owner_name) F(t, scope)          \
	F(i, floors) F(r, area_m2) F(r, height_m) F(t, contractor) F(t, office) F(t, issued_on)    \
	F(t, starts_on) F(t, ends_on) F(t, status) F(t, status_reason)
#define INSP_FIELDS(F1, F) F1(i, permit_id) F(t, on_date) F(t, inspector) F(t, result) F(t, note)
#define CODE_FIELDS(F1, F)                                                                         \
	F1(t, token) F(t, target_kind) F(i, target_id) F(t, revoked_at) F(i, replaced_by)
#define USER_FIELDS(F1, F) F1(t, name) F(t, role) F(i, ward_id) F(t, disabled_at)
#define FILE_FIELDS(F1, F)                                                                         \
	F1(i, permit_id) F(t, sha256) F(t, mime) F(i, size) F(t, name) F(i, public)
#define REPORT_FIELDS(F1, F)                                                                       \
	F1(t, ref) F(i, permit_id) F(t, category) F(t, description) F(t, contact)                  \
	F(t, photo_sha256) F(t, reviewed_at) F(i, reviewed_by) F(t, review_note)                   \
	F(t, opened_at) F(t, public_reply) F(t, replied_at) F(t, erased_at)

#define KIOSK_FEATURE_FIELDS(F1, F) F1(i, ward_id) F(i, procedure_id) F(i, pos) F(i, seconds)
#define KIOSK_SLIDE_FIELDS(F1, F)                                                                  \
	F1(i, ward_id) F(t, title) F(t, body) F(t, shows_from) F(t, shows_until) F(i, seconds)     \
	F(t, retired_at)
#define KIOSK_NOTICE_FIELDS(F1, F)                                                                 \
	F1(i, ward_id) F(t, title) F(t, body) F(i, created_at) F(i, expires_at) F(i, lifted_at)

#define SQ_F1(type, col) "'" #col "', " #col
#define SQ_F(type, col) ", " SQ_F1(type, col)
#define SQ_OBJECT(FIELDS, more) "SELECT json_object(" FIELDS(SQ_F1, SQ_F) more ")"
#define PG_t(col) "coalesce(to_json(" #col ")::text, 'null')"
#define PG_i(col) "coalesce(" #col "::text, 'null')"
#define PG_r(col) "mc_json_real(" #col ")"
#define PG_F1(type, col) "'\"" #col "\":' || " PG_##type(col)
#define PG_F(type, col) " || ',' || " PG_F1(type, col)
#define PG_OBJECT(FIELDS, more) "SELECT '{' || " FIELDS(PG_F1, PG_F) more " || '}'"
#define SNAP(FIELDS, table)                                                                        \
	{SQ_OBJECT(FIELDS, "") " FROM " table " WHERE id = ?1",                                    \
	 PG_OBJECT(FIELDS, "") " FROM " table " WHERE id = ?1"}
/* A procedure's documents, in order, as an array in its snapshot. */
#define SQ_DOCS                                                                                    \
	", 'documents', json((SELECT json_group_array(json_object(" DOC_FIELDS(SQ_F1, SQ_F) ")) "  \
	"FROM (SELECT * FROM procedure_document d WHERE d.procedure_id = procedure.id "            \
	"ORDER BY pos)))"
#define PG_DOCS                                                                                    \
	" || ',\"documents\":[' || coalesce((SELECT string_agg('{' || " DOC_FIELDS(PG_F1, PG_F)    \
	" || '}', ',' ORDER BY pos) FROM procedure_document d WHERE d.procedure_id = "             \
	"procedure.id), '') || ']'"
/* clang-format on */

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
	"r.photo_mime, r.client_key, r.created_at, r.reviewed_at, r.review_note, p.ward_id, "      \
	"r.opened_at, r.public_reply, r.replied_at, r.photo_size, r.erased_at, "                   \
	"(SELECT k.key FROM report_key k WHERE k.report_id = r.id)"
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
	"WHERE (" INT("?2") " = 0 OR p.ward_id = ?2) AND (" STR(                                   \
	    "?3") " IS NULL OR p.status = ?3) "                                                    \
		  "AND (" STR("?5") " IS NULL OR " SUP_DAY " >= ?5) AND (" STR(                    \
		      "?6") " IS NULL OR " SUP_DAY                                                 \
			    " <= ?6) AND CASE " INT(                                               \
				"?1") " "                                                          \
				      "WHEN 1 THEN " SUP_OPEN " AND p.ends_on < ?7 "               \
				      "WHEN 2 THEN " SUP_OPEN                                      \
				      " AND p.ends_on >= ?7 AND p.ends_on <= ?8 "                  \
				      "WHEN 3 THEN p.status IN ('suspended', 'revoked') "          \
				      "WHEN 4 THEN " SUP_OPEN_COUNT " > 0 ELSE TRUE END "
#define KIOSK_FEATURE_COLS                                                                         \
	"f.id, f.ward_id, f.procedure_id, f.pos, f.seconds, p.title, p.field, p.duration, "        \
	"p.fees, "                                                                                 \
	"p.place, p.retired_at"
#define KIOSK_FEATURE_FROM "FROM kiosk_feature f JOIN procedure p ON p.id = f.procedure_id "
#define KIOSK_SLIDE_COLS                                                                           \
	"id, ward_id, title, body, shows_from, shows_until, seconds, updated_at, retired_at"
#define KIOSK_NOTICE_COLS "id, ward_id, title, body, created_at, expires_at, lifted_at"
#define SUP_SNAP                                                                                   \
	"CASE WHEN json_valid(coalesce(a.after, a.before)) THEN coalesce(a.after, a.before) END"
/* mc_jsonb (made by the schema) is NULL for text that is not JSON. */
#define PG_SNAP "mc_jsonb(coalesce(a.after, a.before))"
/* What an audit row (alias a) is checked against (mc_audit_check_entry): the stored hash of
 * the entry before it and its leaf in the log's tree. Each is a read of a primary key, made
 * in the row's own statement: a page of entries is one query, not one more a row, and sees
 * the trail and the tree as of one moment. */
#define AUDIT_LINKS                                                                                \
	", (SELECT p.hash FROM audit p WHERE p.id = a.id - 1), (SELECT n.hash FROM log_node n "    \
	"WHERE n.level = 0 AND n.idx = a.id - 1) "

const char *const stmt_sql[ST_COUNT_][DB_DIALECTS] = {
    /* store.c */
    [ST_AUDIT_HEAD] = {"SELECT coalesce(max(id), 0) FROM audit"},
    /* audit.c */
    [ST_AUDIT_LAST] = {"SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"},
    [ST_AUDIT_INSERT] =
	{"INSERT INTO audit (id, at, actor_id, actor, entity, entity_id, action, "
	 "before, after, prev_hash, hash) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11)"},
    [ST_AUDIT_EACH] = {"SELECT id, at, actor_id, actor, entity, entity_id, action, before, after, "
		       "prev_hash, hash FROM audit WHERE id > ?1 AND (" STR(
			   "?2") " IS NULL OR "
				 "(entity = ?2 AND entity_id = ?3)) ORDER BY id"},
    [ST_AUDIT_COUNT] = {"SELECT count(*) FROM audit"},
    /* audit.c: each record as its audit entry writes it down (JSON) */
    [ST_SNAP_WARD] = SNAP(WARD_FIELDS, "ward"),
    [ST_SNAP_ANN] = SNAP(ANN_FIELDS, "announcement"),
    [ST_SNAP_PROC] = {SQ_OBJECT(PROC_FIELDS, SQ_DOCS) " FROM procedure WHERE id = ?1",
		      PG_OBJECT(PROC_FIELDS, PG_DOCS) " FROM procedure WHERE id = ?1"},
    [ST_SNAP_PERMIT] = SNAP(PERMIT_FIELDS, "permit"),
    [ST_SNAP_INSP] = SNAP(INSP_FIELDS, "inspection"),
    [ST_SNAP_CODE] = SNAP(CODE_FIELDS, "code"),
    [ST_SNAP_USER] = SNAP(USER_FIELDS, "\"user\""),
    [ST_SNAP_FILE] = SNAP(FILE_FIELDS, "file"),
    [ST_SNAP_REPORT] = SNAP(REPORT_FIELDS, "report"),
    /* ward.c */
    [ST_WARD_ID] = {"SELECT id FROM ward WHERE slug = ?1"},
    [ST_WARD_INSERT] =
	{"INSERT INTO ward (slug, name, address, phone, hours, intro, "
	 "merged_into, sample, updated_at) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9) RETURNING id"},
    [ST_WARD_UPDATE] = {"UPDATE ward SET slug = ?1, name = ?2, address = ?3, phone = ?4, "
			"hours = ?5, intro = ?6, merged_into = ?7, sample = ?8, updated_at = ?9 "
			"WHERE id = ?10"},
    [ST_WARD_BY_SLUG] = {"SELECT " WARD_COLS " FROM ward WHERE slug = ?1"},
    [ST_WARD_BY_ID] = {"SELECT " WARD_COLS " FROM ward WHERE id = ?1"},
    [ST_WARD_EACH] = {"SELECT " WARD_COLS " FROM ward WHERE merged_into IS NULL ORDER BY name"},
    [ST_WARD_COUNT] = {"SELECT count(*) FROM ward WHERE merged_into IS NULL"},
    /* announcement.c */
    [ST_ANN_ID] = {"SELECT id FROM announcement WHERE ward_id = ?1 AND title = ?2"},
    [ST_ANN_INSERT] = {"INSERT INTO announcement (ward_id, title, body, published_on, "
		       "expires_on, updated_at) VALUES (?1,?2,?3,?4,?5,?6) RETURNING id"},
    [ST_ANN_UPDATE] = {"UPDATE announcement SET ward_id = ?1, title = ?2, body = ?3, "
		       "published_on = ?4, expires_on = ?5, updated_at = ?6 WHERE id = ?7"},
    [ST_ANN_GET] = {"SELECT " ANN_COLS " FROM announcement WHERE id = ?1"},
    [ST_ANN_CURRENT] = {"SELECT " ANN_COLS " FROM announcement WHERE ward_id = ?1 "
			"AND published_on <= ?2 AND (expires_on IS NULL OR expires_on >= ?2) "
			"AND retired_at IS NULL "
			"ORDER BY published_on DESC, id DESC"},
    [ST_ANN_EACH] = {"SELECT " ANN_COLS " FROM announcement WHERE ward_id = ?1 "
		     "ORDER BY published_on DESC, id DESC"},
    /* The staff lists, a page at a time: ?1 ward, ?2 limit, ?3 offset. */
    [ST_ANN_PAGE] = {"SELECT " ANN_COLS " FROM announcement WHERE ward_id = ?1 "
		     "ORDER BY published_on DESC, id DESC LIMIT ?2 OFFSET ?3"},
    [ST_ANN_COUNT] = {"SELECT count(*) FROM announcement WHERE ward_id = ?1"},
    [ST_ANN_RETIRE] = {"UPDATE announcement SET retired_at = ?2 WHERE id = ?1 AND retired_at IS "
		       "NULL"},
    /* procedure.c */
    [ST_PROC_ID] = {"SELECT id FROM procedure WHERE ward_id = ?1 AND tthc_code = ?2"},
    [ST_PROC_INSERT] =
	{"INSERT INTO procedure (ward_id, tthc_code, title, field, level, steps, "
	 "ways, place, who, conditions, duration, fees, office, result, "
	 "legal_basis, online_url, updated_at, title_fold) VALUES "
	 "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18) RETURNING id"},
    [ST_PROC_UPDATE] = {"UPDATE procedure SET ward_id = ?1, tthc_code = ?2, title = ?3, "
			"field = ?4, level = ?5, steps = ?6, ways = ?7, place = ?8, who = ?9, "
			"conditions = ?10, duration = ?11, fees = ?12, office = ?13, "
			"result = ?14, legal_basis = ?15, online_url = ?16, updated_at = ?17, "
			"title_fold = ?18 WHERE id = ?19"},
    [ST_PROC_GET] = {"SELECT " PROC_COLS " FROM procedure WHERE id = ?1"},
    [ST_PROC_EACH] = {"SELECT " PROC_COLS " FROM procedure WHERE ward_id = ?1 "
		      "AND (?2 <> 0 OR retired_at IS NULL) ORDER BY field, title"},
    [ST_PROC_PAGE] = {"SELECT " PROC_COLS " FROM procedure WHERE ward_id = ?1 "
		      "ORDER BY field, title, id LIMIT ?2 OFFSET ?3"},
    [ST_PROC_COUNT] = {"SELECT count(*) FROM procedure WHERE ward_id = ?1"},
    [ST_PROC_SEARCH] = {"SELECT " PROC_COLS " FROM procedure WHERE ward_id = ?1 "
			"AND title_fold LIKE ?2 ESCAPE '\\' AND retired_at IS NULL "
			"ORDER BY title LIMIT ?3"},
    [ST_PROC_RETIRE] = {"UPDATE procedure SET retired_at = ?2 WHERE id = ?1 AND retired_at IS "
			"NULL"},
    [ST_DOC_DELETE] = {"DELETE FROM procedure_document WHERE procedure_id = ?1"},
    [ST_DOC_INSERT] = {"INSERT INTO procedure_document (procedure_id, pos, kind, name, "
		       "originals, copies) VALUES (?1,?2,?3,?4,?5,?6)"},
    [ST_DOC_EACH] = {"SELECT kind, name, originals, copies FROM procedure_document "
		     "WHERE procedure_id = ?1 ORDER BY pos"},
    /* permit.c */
    [ST_PERMIT_ID] = {"SELECT id FROM permit WHERE number = ?1"},
    [ST_PERMIT_INSERT] =
	{"INSERT INTO permit (ward_id, number, kind, address, owner_name, "
	 "scope, floors, area_m2, height_m, contractor, office, issued_on, "
	 "starts_on, ends_on, status, status_reason, updated_at) VALUES "
	 "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17) RETURNING id"},
    [ST_PERMIT_UPDATE] = {"UPDATE permit SET ward_id = ?1, number = ?2, kind = ?3, "
			  "address = ?4, owner_name = ?5, scope = ?6, floors = ?7, "
			  "area_m2 = ?8, height_m = ?9, contractor = ?10, office = ?11, "
			  "issued_on = ?12, starts_on = ?13, ends_on = ?14, status = ?15, "
			  "status_reason = ?16, updated_at = ?17 WHERE id = ?18"},
    [ST_PERMIT_GET] = {"SELECT " PERMIT_COLS " FROM permit WHERE id = ?1"},
    [ST_PERMIT_EACH] = {"SELECT " PERMIT_COLS " FROM permit WHERE ward_id = ?1 "
			"ORDER BY issued_on DESC, id DESC"},
    [ST_PERMIT_PAGE] = {"SELECT " PERMIT_COLS " FROM permit WHERE ward_id = ?1 "
			"ORDER BY issued_on DESC, id DESC LIMIT ?2 OFFSET ?3"},
    [ST_PERMIT_COUNT] = {"SELECT count(*) FROM permit WHERE ward_id = ?1"},
    [ST_PERMIT_STATUS] = {"SELECT status FROM permit WHERE id = ?1"},
    [ST_PERMIT_SET_STATUS] = {"UPDATE permit SET status = ?2, status_reason = ?3, "
			      "updated_at = ?4 WHERE id = ?1"},
    [ST_INSP_ID] = {"SELECT id FROM inspection WHERE permit_id = ?1 AND on_date = ?2 "
		    "AND inspector = ?3"},
    [ST_INSP_INSERT] = {"INSERT INTO inspection (permit_id, on_date, inspector, result, note) "
			"VALUES (?1,?2,?3,?4,?5) RETURNING id"},
    [ST_INSP_UPDATE] = {"UPDATE inspection SET result = ?4, note = ?5 WHERE id = ?6 "
			"AND permit_id = ?1 AND on_date = ?2 AND inspector = ?3"},
    [ST_INSP_EACH] = {"SELECT id, permit_id, on_date, inspector, result, note FROM inspection "
		      "WHERE permit_id = ?1 ORDER BY on_date, id"},
    /* code.c */
    /* A token already taken inserts nothing and returns no row: the caller draws another,
     * and its transaction stays usable on every database. */
    [ST_CODE_INSERT] = {"INSERT INTO code (token, target_kind, target_id, created_at) "
			"VALUES (?1, ?2, ?3, ?4) ON CONFLICT (token) DO NOTHING RETURNING id"},
    [ST_CODE_GET] = {CODE_SELECT "WHERE c.token = ?1"},
    [ST_CODE_FOR_TARGET] = {CODE_SELECT "WHERE c.target_kind = ?1 AND c.target_id = ?2 "
					"AND c.revoked_at IS NULL ORDER BY c.id DESC LIMIT 1"},
    [ST_CODE_EACH] = {CODE_SELECT "WHERE c.revoked_at IS NULL "
				  "AND (" STR("?1") " IS NULL OR c.target_kind = ?1) "
						    "ORDER BY c.target_kind, c.id"},
    /* Apart from ST_CODE_EACH: with "?1 IS NULL OR" the planner scans the whole index, which
     * at a million permits is thousands of pages read to list one ward's codes. */
    [ST_CODE_EACH_KIND] = {CODE_SELECT "WHERE c.target_kind = ?1 AND c.revoked_at IS NULL "
				       "ORDER BY c.id"},
    [ST_CODE_HISTORY] = {CODE_SELECT "WHERE c.target_kind = ?1 AND c.target_id = ?2 "
				     "ORDER BY c.id DESC"},
    [ST_CODE_RESTORE] = {"UPDATE code SET revoked_at = NULL, replaced_by = NULL WHERE id = ?1 "
			 "AND revoked_at IS NOT NULL"},
    [ST_CODE_REVOKE] = {"UPDATE code SET revoked_at = ?3, replaced_by = ?2 WHERE id = ?1 AND "
			"revoked_at IS NULL"},
    [ST_TARGET_EXISTS] = {"SELECT CASE ?1"
			  " WHEN 'ward' THEN (SELECT id FROM ward WHERE id = ?2)"
			  " WHEN 'announcement' THEN (SELECT id FROM announcement WHERE id = ?2)"
			  " WHEN 'procedure' THEN (SELECT id FROM procedure WHERE id = ?2)"
			  " WHEN 'permit' THEN (SELECT id FROM permit WHERE id = ?2) END"},
    /* user.c */
    [ST_USER_INSERT] = {"INSERT INTO \"user\" (name, role, ward_id, pw_hash, created_at) "
			"VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id"},
    [ST_USER_BY_NAME] = {"SELECT " USER_COLS " FROM \"user\" WHERE name = ?1"},
    [ST_USER_BY_ID] = {"SELECT " USER_COLS " FROM \"user\" WHERE id = ?1"},
    [ST_USER_EACH] = {"SELECT " USER_COLS " FROM \"user\" ORDER BY name"},
    [ST_USER_DISABLE] = {"UPDATE \"user\" SET disabled_at = ?2 WHERE id = ?1 AND disabled_at IS "
			 "NULL"},
    [ST_USER_SET_PASSWORD] = {"UPDATE \"user\" SET pw_hash = ?2 WHERE id = ?1"},
    /* session.c */
    [ST_SESSION_INSERT] = {"INSERT INTO session (token_hash, user_id, csrf, created_at, "
			   "expires_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, ?4)"},
    [ST_SESSION_GET] = {"SELECT " USER_COLS_U ", s.csrf, s.seen_at FROM session s JOIN \"user\" u "
			"ON u.id = s.user_id WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND "
			"s.seen_at > ?3 AND u.disabled_at IS NULL"},
    [ST_SESSION_TOUCH] = {"UPDATE session SET seen_at = ?2 WHERE token_hash = ?1"},
    [ST_SESSION_END] = {"DELETE FROM session WHERE token_hash = ?1 OR expires_at <= ?2 OR "
			"seen_at <= ?3"},
    [ST_SESSION_END_USER] = {"DELETE FROM session WHERE user_id = ?1"},
    [ST_SESSION_END_OTHERS] = {"DELETE FROM session WHERE user_id = ?1 AND token_hash <> ?2"},
    /* throttle.c */
    [ST_THROTTLE_GET] = {"SELECT CASE WHEN first_at > " INT("?2") " - " INT(
	"?3") " THEN "
	      "failures ELSE 0 END, locked_until FROM throttle WHERE key = ?1"},
    [ST_THROTTLE_ROW] = {"SELECT failures, first_at, locked_until, locks FROM throttle "
			 "WHERE key = ?1"},
    [ST_THROTTLE_PUT] = {"INSERT INTO throttle (key, failures, first_at, locked_until, locks) "
			 "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO UPDATE SET "
			 "failures = excluded.failures, first_at = excluded.first_at, "
			 "locked_until = excluded.locked_until, locks = excluded.locks"},
    [ST_THROTTLE_CLEAR] = {"DELETE FROM throttle WHERE key = ?1"},
    /* schema.c: SQLite's count of schema changes, which tells its connections to read the
     * schema again; PostgreSQL has no such count to keep. */
    [ST_SCHEMA_COOKIE] = {"PRAGMA schema_version", "SELECT 0"},
    /* setting.c */
    [ST_SECRET] = {"SELECT value FROM setting WHERE key = 'secret'"},
    [ST_SECRET_ENSURE] = {"INSERT INTO setting (key, value) VALUES ('secret', ?1) "
			  "ON CONFLICT (key) DO NOTHING"},
    /* file.c */
    [ST_FILE_INSERT] = {"INSERT INTO file (permit_id, sha256, mime, size, name, public, "
			"created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id"},
    [ST_FILE_EACH] = {"SELECT " FILE_COLS " FROM file WHERE permit_id = ?1 AND (?2 = 0 OR "
		      "public = 1) ORDER BY id"},
    [ST_FILE_BY_HASH] = {"SELECT " FILE_COLS " FROM file WHERE sha256 = ?1 AND (?2 = 0 OR "
			 "public = 1) ORDER BY public DESC, id LIMIT 1"},
    /* file.c: the files' content, where the database keeps it (db_ops.keeps_files) */
    [ST_BLOB_PUT] = {"INSERT INTO blob (sha256, data) VALUES (?1, ?2) ON CONFLICT (sha256) DO "
		     "NOTHING"},
    [ST_BLOB_GET] = {"SELECT data FROM blob WHERE sha256 = ?1"},
    /* file.c: every content hash the records name */
    [ST_FILE_HASHES] = {"SELECT sha256 FROM file UNION SELECT photo_sha256 FROM report WHERE "
			"photo_sha256 IS NOT NULL ORDER BY 1"},
    /* file.c: what a ward's files and residents' photos take, against its quota */
    [ST_FILE_WARD_BYTES] = {"SELECT CAST((SELECT coalesce(sum(f.size), 0) FROM file f JOIN "
			    "permit p ON p.id = f.permit_id WHERE p.ward_id = ?1) + (SELECT "
			    "coalesce(sum(r.photo_size), 0) FROM report r JOIN permit p ON p.id = "
			    "r.permit_id WHERE p.ward_id = ?1) AS BIGINT)"},
    [ST_FILE_HASH_USED] = {"SELECT count(*) FROM (SELECT 1 AS one FROM file WHERE sha256 = ?1 "
			   "UNION ALL SELECT 1 FROM report WHERE photo_sha256 = ?1) x"},
    [ST_BLOB_DELETE] = {"DELETE FROM blob WHERE sha256 = ?1"},
    /* file.c: a file's content in pieces, so that no download holds all of it at once */
    [ST_BLOB_SIZE] = {"SELECT length(data) FROM blob WHERE sha256 = ?1"},
    [ST_BLOB_PIECE] = {"SELECT substr(data, ?2, ?3) FROM blob WHERE sha256 = ?1"},
    /* copy.c */
    [ST_DEFER_KEYS] = {"PRAGMA defer_foreign_keys = ON", "SET CONSTRAINTS ALL DEFERRED"},
    [ST_SETTING_CLEAR] = {"DELETE FROM setting"},
    /* report.c */
    [ST_REPORT_INSERT] = {"INSERT INTO report (ref, permit_id, category, description, contact, "
			  "photo_sha256, photo_mime, client_key, created_at, photo_size) VALUES "
			  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id"},
    [ST_REPORT_BY_ID] = {"SELECT " REPORT_COLS " FROM report r JOIN permit p ON p.id = "
			 "r.permit_id WHERE r.id = ?1"},
    [ST_REPORT_KEY_PUT] = {"INSERT INTO report_key (report_id, key) VALUES (?1, ?2)"},
    [ST_REPORT_KEY_DELETE] = {"DELETE FROM report_key WHERE report_id = ?1"},
    /* ?1 id, ?2 now: the photo goes with the words, and words kept in the clear (a report
     * from before version 8) are blanked, since no key can erase them. */
    [ST_REPORT_ERASE] = {"UPDATE report SET erased_at = ?2, photo_sha256 = NULL, photo_mime = "
			 "NULL, photo_size = NULL, description = CASE WHEN description LIKE "
			 "'mc1:%' THEN description ELSE '' END, contact = CASE WHEN contact LIKE "
			 "'mc1:%' THEN contact END WHERE id = ?1 AND erased_at IS NULL"},
    /* SQLite overwrites what it deletes, and gives the log's pages back to the file, so that
     * an erased key is in neither; PostgreSQL's old row versions go with its vacuum. */
    [ST_SECURE_DELETE] = {"PRAGMA secure_delete = ON", "SELECT 1"},
    [ST_WAL_TRUNCATE] = {"PRAGMA wal_checkpoint(TRUNCATE)", "SELECT 1"},
    [ST_REPORT_COUNT] = {"SELECT count(*) FROM report WHERE client_key = ?1 AND created_at >= ?2"},
    [ST_REPORT_EACH] = {"SELECT " REPORT_COLS " FROM report r JOIN permit p ON p.id = r.permit_id "
			"WHERE " INT(
			    "?1") " = 0 OR p.ward_id = ?1 ORDER BY r.reviewed_at IS NOT NULL, "
				  "r.created_at, r.id"},
    [ST_REPORT_REVIEW] =
	{"UPDATE report SET reviewed_at = ?4, reviewed_by = ?2, review_note = ?3 WHERE id = ?1 "
	 "AND reviewed_at IS NULL"},
    /* ?1 id, ?2 reply, ?3 note, ?4 done, ?5 the user, ?6 now. The SET expressions all read the
     * row as it was, so replied_at moves only when the reply text changes. */
    [ST_REPORT_ANSWER] = {"UPDATE report SET opened_at = coalesce(opened_at, reviewed_at, ?6), "
			  "replied_at = CASE WHEN " STR(
			      "?2") " IS NULL THEN NULL WHEN public_reply IS NOT "
				    "DISTINCT FROM ?2 THEN replied_at ELSE ?6 END, public_reply = "
				    "?2, review_note = ?3, "
				    "reviewed_at = CASE WHEN ?4 = 1 THEN ?6 ELSE reviewed_at END, "
				    "reviewed_by = CASE WHEN ?4 = 1 THEN ?5 ELSE reviewed_by END "
				    "WHERE id = ?1 AND (?4 = 0 OR reviewed_at IS NULL)"},
    [ST_REPORT_BY_REF] = {"SELECT " REPORT_COLS " FROM report r JOIN permit p ON p.id = "
			  "r.permit_id WHERE r.ref = ?1"},
    /* scan.c */
    /* Every node adds its own counts to the same rows. */
    [ST_SCAN_ADD] = {"INSERT INTO scan_daily (code_id, day, count) VALUES (?1, ?2, ?3) "
		     "ON CONFLICT (code_id, day) DO UPDATE SET count = scan_daily.count + "
		     "excluded.count"},
    [ST_SCAN_MISS_ADD] = {"INSERT INTO scan_miss_daily (day, reason, count) VALUES (?1, ?2, ?3) "
			  "ON CONFLICT (day, reason) DO UPDATE SET count = scan_miss_daily.count + "
			  "excluded.count"},
    [ST_SCAN_TOP] =
	{"SELECT c.token, c.target_kind, "
	 "CASE c.target_kind"
	 " WHEN 'procedure' THEN (SELECT title FROM procedure WHERE id = c.target_id)"
	 " WHEN 'permit' THEN (SELECT number FROM permit WHERE id = c.target_id)"
	 " WHEN 'announcement' THEN (SELECT title FROM announcement WHERE id = c.target_id)"
	 " WHEN 'ward' THEN (SELECT name FROM ward WHERE id = c.target_id) END, "
	 "c.target_id, sum(d.count) AS n FROM scan_daily d JOIN code c ON c.id = d.code_id "
	 "WHERE d.day >= ?2 AND (" STR("?3") " IS NULL OR c.target_kind = ?3) AND (" INT(
	     "?1") " = 0 OR "
		   "CASE c.target_kind"
		   " WHEN 'procedure' THEN (SELECT ward_id FROM procedure WHERE id = c.target_id)"
		   " WHEN 'permit' THEN (SELECT ward_id FROM permit WHERE id = c.target_id)"
		   " WHEN 'announcement' THEN (SELECT ward_id FROM announcement WHERE id = "
		   "c.target_id)"
		   " WHEN 'ward' THEN c.target_id END = ?1) "
		   "GROUP BY c.id ORDER BY n DESC, c.id LIMIT ?4"},
    [ST_SCAN_MISS_COUNT] = {"SELECT coalesce(sum(count), 0) FROM scan_miss_daily WHERE day >= ?1 "
			    "AND reason = ?2"},
    [ST_SCAN_TOTAL] = {"SELECT coalesce(sum(count), 0) FROM scan_daily WHERE (" INT(
	"?1") " = 0 OR code_id = ?1)"},
    /* merge.c */
    [ST_MERGE_PERMITS] = {"SELECT id FROM permit WHERE ward_id = ?1 ORDER BY id"},
    /* Records whose key is taken in the other ward stay where they are (still reachable
     * through their codes); the rest move. */
    [ST_MERGE_PROCS] = {"SELECT id FROM procedure p WHERE ward_id = ?1 AND NOT EXISTS (SELECT 1 "
			"FROM procedure q WHERE q.ward_id = ?2 AND q.tthc_code = p.tthc_code) "
			"ORDER BY id"},
    [ST_MERGE_ANNS] = {"SELECT id FROM announcement a WHERE ward_id = ?1 AND NOT EXISTS (SELECT "
		       "1 FROM announcement b WHERE b.ward_id = ?2 AND b.title = a.title) "
		       "ORDER BY id"},
    [ST_MERGE_USERS] = {"SELECT id FROM \"user\" WHERE ward_id = ?1 ORDER BY id"},
    [ST_MOVE_PERMIT] = {"UPDATE permit SET ward_id = ?2 WHERE id = ?1"},
    [ST_MOVE_PROC] = {"UPDATE procedure SET ward_id = ?2 WHERE id = ?1"},
    [ST_MOVE_ANN] = {"UPDATE announcement SET ward_id = ?2 WHERE id = ?1"},
    [ST_MOVE_USER] = {"UPDATE \"user\" SET ward_id = ?2 WHERE id = ?1"},
    [ST_WARD_MERGE] = {"UPDATE ward SET merged_into = ?2 WHERE id = ?1"},
    /* supervise.c */
    [ST_SUP_PERMITS] = {"SELECT " PERMIT_COLS ", (SELECT slug FROM ward w WHERE w.id = p.ward_id), "
			"(SELECT name FROM ward w WHERE w.id = p.ward_id), " SUP_OPEN_COUNT
			", " SUP_OLDEST " FROM permit p " SUP_WHERE
			"ORDER BY CASE ?1 WHEN 4 THEN " SUP_OLDEST
			" END, CASE WHEN ?1 IN (1, 2) THEN p.ends_on END, CASE WHEN ?1 "
			"= 3 THEN p.updated_at END DESC, p.issued_on DESC, p.id DESC "
			"LIMIT ?9 OFFSET ?10"},
    [ST_SUP_PERMIT_COUNT] = {"SELECT count(*) FROM permit p " SUP_WHERE},
    [ST_SUP_WARDS] = {"SELECT w.id, w.slug, w.name, count(p.id), "
		      "count(CASE WHEN p.status = 'issued' THEN 1 END), "
		      "count(CASE WHEN p.status = 'in_progress' THEN 1 END), "
		      "count(CASE WHEN p.status = 'suspended' THEN 1 END), "
		      "count(CASE WHEN p.status = 'revoked' THEN 1 END), "
		      "count(CASE WHEN p.status = 'completed' THEN 1 END), "
		      "count(CASE WHEN " SUP_OPEN " AND p.ends_on < ?2 THEN 1 END), "
		      "count(CASE WHEN " SUP_OPEN
		      " AND p.ends_on >= ?2 AND p.ends_on <= ?3 THEN 1 END), "
		      "count(CASE WHEN " SUP_OPEN_COUNT " > 0 THEN 1 END) "
		      "FROM ward w LEFT JOIN permit p ON p.ward_id = w.id "
		      "WHERE w.merged_into IS NULL AND (" INT(
			  "?1") " = 0 OR w.id = ?1) GROUP BY w.id "
				"ORDER BY w.name"},
    /* The permit's own entries and those of the records that hang off it: its codes, files,
     * inspections and reports name it in their snapshots. Text that is not JSON (a hand-made
     * entry) is skipped rather than failing the whole page. Each with its links, to be
     * checked before it is shown. */
    [ST_SUP_AUDIT] = {"SELECT id, at, actor_id, actor, entity, entity_id, action, before, after, "
		      "prev_hash, hash" AUDIT_LINKS "FROM audit a WHERE (entity = 'permit' AND "
		      "entity_id = ?1) OR (entity IN ('file', 'inspection', 'report') AND "
		      "json_extract(" SUP_SNAP ", '$.permit_id') = ?1) OR (entity = 'code' AND "
		      "json_extract(" SUP_SNAP ", '$.target_kind') = 'permit' AND "
		      "json_extract(" SUP_SNAP ", '$.target_id') = ?1) ORDER BY id",
		      "SELECT id, at, actor_id, actor, entity, entity_id, action, before, after, "
		      "prev_hash, hash" AUDIT_LINKS "FROM audit a WHERE (entity = 'permit' AND "
		      "entity_id = ?1) OR (entity IN ('file', 'inspection', 'report') AND " PG_SNAP
		      " -> 'permit_id' = to_jsonb(?1)) OR (entity = 'code' AND " PG_SNAP " ->> "
		      "'target_kind' = 'permit' AND " PG_SNAP " -> 'target_id' = to_jsonb(?1)) "
		      "ORDER BY id"},
    [ST_SUP_AUDIT_ENTRY] = {"SELECT id, at, actor_id, actor, entity, entity_id, action, before, "
			    "after, prev_hash, hash" AUDIT_LINKS "FROM audit a WHERE id = ?1"},
    [ST_SUP_REPORTS] = {"SELECT " REPORT_COLS " FROM report r JOIN permit p ON p.id = r.permit_id "
			"WHERE r.permit_id = ?1 ORDER BY r.created_at, r.id"},
    /* kiosk.c */
    [ST_SNAP_KIOSK_FEATURE] = SNAP(KIOSK_FEATURE_FIELDS, "kiosk_feature"),
    [ST_SNAP_KIOSK_SLIDE] = SNAP(KIOSK_SLIDE_FIELDS, "kiosk_slide"),
    [ST_SNAP_KIOSK_NOTICE] = SNAP(KIOSK_NOTICE_FIELDS, "kiosk_notice"),
    /* A procedure moved to another ward (a merge) or retired is no longer featured; the staff
     * list (?2 = 1) still shows a retired one, to be taken off. */
    [ST_KIOSK_FEATURE_EACH] = {"SELECT " KIOSK_FEATURE_COLS " " KIOSK_FEATURE_FROM
			       "WHERE f.ward_id = ?1 AND p.ward_id = f.ward_id AND (?2 = 1 OR "
			       "p.retired_at IS NULL) ORDER BY f.pos, f.id"},
    [ST_KIOSK_FEATURE_GET] = {"SELECT " KIOSK_FEATURE_COLS " " KIOSK_FEATURE_FROM
			      "WHERE f.id = ?1"},
    /* The casts give the parameters of the select list their types where a database cannot
     * tell them from the target columns (PostgreSQL). */
    [ST_KIOSK_FEATURE_INSERT] = {"INSERT INTO kiosk_feature (ward_id, procedure_id, pos, seconds) "
				 "SELECT CAST(?1 AS BIGINT), p.id, coalesce((SELECT max(pos) FROM "
				 "kiosk_feature WHERE ward_id = ?1), 0) + 1, CAST(?3 AS INTEGER) "
				 "FROM procedure p WHERE p.id = ?2 AND p.ward_id = ?1 AND "
				 "p.retired_at IS NULL RETURNING id"},
    [ST_KIOSK_FEATURE_PREV] = {"SELECT id, pos FROM kiosk_feature WHERE ward_id = ?1 AND "
			       "(pos < ?2 OR (pos = ?2 AND id < ?3)) ORDER BY pos DESC, id DESC "
			       "LIMIT 1"},
    [ST_KIOSK_FEATURE_NEXT] = {"SELECT id, pos FROM kiosk_feature WHERE ward_id = ?1 AND "
			       "(pos > ?2 OR (pos = ?2 AND id > ?3)) ORDER BY pos, id LIMIT 1"},
    [ST_KIOSK_FEATURE_SET_POS] = {"UPDATE kiosk_feature SET pos = ?2 WHERE id = ?1"},
    [ST_KIOSK_FEATURE_DELETE] = {"DELETE FROM kiosk_feature WHERE id = ?1"},
    [ST_KIOSK_SLIDE_INSERT] = {"INSERT INTO kiosk_slide (ward_id, title, body, shows_from, "
			       "shows_until, seconds, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
			       "?7) RETURNING id"},
    [ST_KIOSK_SLIDE_UPDATE] = {"UPDATE kiosk_slide SET title = ?2, body = ?3, shows_from = ?4, "
			       "shows_until = ?5, seconds = ?6, updated_at = ?7 WHERE id = ?1"},
    [ST_KIOSK_SLIDE_GET] = {"SELECT " KIOSK_SLIDE_COLS " FROM kiosk_slide WHERE id = ?1"},
    [ST_KIOSK_SLIDE_EACH] = {"SELECT " KIOSK_SLIDE_COLS " FROM kiosk_slide WHERE ward_id = ?1 "
			     "ORDER BY retired_at IS NOT NULL, shows_from DESC, id DESC"},
    [ST_KIOSK_SLIDE_CURRENT] = {"SELECT " KIOSK_SLIDE_COLS " FROM kiosk_slide WHERE ward_id = ?1 "
				"AND shows_from <= ?2 AND (shows_until IS NULL OR shows_until >= "
				"?2) AND retired_at IS NULL ORDER BY shows_from, id"},
    [ST_KIOSK_SLIDE_RETIRE] = {"UPDATE kiosk_slide SET retired_at = ?2 WHERE id = ?1 AND "
			       "retired_at IS NULL"},
    [ST_KIOSK_NOTICE_INSERT] = {"INSERT INTO kiosk_notice (ward_id, title, body, created_at, "
				"expires_at) VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id"},
    [ST_KIOSK_NOTICE_GET] = {"SELECT " KIOSK_NOTICE_COLS " FROM kiosk_notice WHERE id = ?1"},
    [ST_KIOSK_NOTICE_RECENT] = {"SELECT " KIOSK_NOTICE_COLS " FROM kiosk_notice WHERE ward_id = "
				"?1 AND created_at >= ?2 ORDER BY created_at DESC, id DESC"},
    [ST_KIOSK_NOTICE_CURRENT] = {"SELECT " KIOSK_NOTICE_COLS " FROM kiosk_notice WHERE ward_id = "
				 "?1 AND lifted_at IS NULL AND expires_at > ?2 ORDER BY "
				 "created_at DESC, id DESC LIMIT 1"},
    [ST_KIOSK_NOTICE_LIFT] = {"UPDATE kiosk_notice SET lifted_at = ?2 WHERE id = ?1 AND "
			      "lifted_at IS NULL AND expires_at > ?2"},
    /* A beat counts only when the screen's last one is at least the gap old (?7: now minus
     * the gap). */
    [ST_KIOSK_BEAT] = {"UPDATE kiosk_screen SET last_at = ?3, slide = ?4, width = ?5, height = ?6 "
		       "WHERE ward_id = ?1 AND screen = ?2 AND last_at <= ?7"},
    [ST_KIOSK_SCREEN_LAST] = {"SELECT last_at FROM kiosk_screen WHERE ward_id = ?1 AND "
			      "screen = ?2"},
    [ST_KIOSK_SCREEN_PRUNE] = {"DELETE FROM kiosk_screen WHERE ward_id = ?1 AND last_at < ?2"},
    [ST_KIOSK_SCREEN_COUNT] = {"SELECT count(*) FROM kiosk_screen WHERE ward_id = ?1"},
    [ST_KIOSK_SCREEN_INSERT] = {"INSERT INTO kiosk_screen (ward_id, screen, first_at, last_at, "
				"slide, width, height) VALUES (?1, ?2, ?3, ?3, ?4, ?5, ?6)"},
    [ST_KIOSK_SCREEN_EACH] = {"SELECT screen, first_at, last_at, slide, width, height FROM "
			      "kiosk_screen WHERE ward_id = ?1 ORDER BY screen"},
    /* tree.c */
    [ST_LOG_NODE_INSERT] = {"INSERT INTO log_node (level, idx, hash) VALUES (?1, ?2, ?3)"},
    [ST_LOG_NODE] = {"SELECT hash FROM log_node WHERE level = ?1 AND idx = ?2"},
    [ST_LOG_NODES] = {"SELECT idx, hash FROM log_node WHERE level = ?1 AND idx >= ?2 AND "
		      "idx < ?3 ORDER BY idx"},
    /* Ranges of stored nodes, given as a JSON array of [level, first, end] (end excluded):
     * each range's rows, ranges in their order (numbered from 0), in one round trip. (The
     * SQLite store reads point by point instead, see tree.c; the same question in its
     * words.) On PostgreSQL each range is its own index scan (LATERAL ... LIMIT): joined
     * as a whole, the planner would scan all of log_node for a few ranges. */
    [ST_LOG_NODE_BATCH] =
	{"SELECT r.key, n.idx, n.hash FROM json_each(?1) r JOIN log_node n "
	 "ON n.level = json_extract(r.value, '$[0]') AND n.idx >= "
	 "json_extract(r.value, '$[1]') AND n.idx < json_extract(r.value, "
	 "'$[2]') ORDER BY r.key, n.idx",
	 "SELECT r.ord - 1, n.idx, n.hash FROM json_array_elements(CAST(?1 AS "
	 "json)) WITH ORDINALITY AS r(v, ord) CROSS JOIN LATERAL (SELECT idx, hash "
	 "FROM log_node WHERE level = CAST(r.v ->> 0 AS bigint) AND idx >= CAST(r.v "
	 "->> 1 AS bigint) AND idx < CAST(r.v ->> 2 AS bigint) ORDER BY idx LIMIT "
	 "8) n ORDER BY 1, 2"},
    /* The last leaf's index through the primary key: count(*) would read every leaf. */
    [ST_LOG_SIZE] = {"SELECT coalesce(max(idx) + 1, 0) FROM log_node WHERE level = 0"},
    /* checkpoint.c */
    [ST_CKPT_NOTE] = {"SELECT note FROM log_checkpoint WHERE size = ?1"},
    [ST_CKPT_SIZE] = {"SELECT size FROM log_checkpoint WHERE size = ?1"},
    [ST_CKPT_PUT] = {"INSERT INTO log_checkpoint (size, root, note, signed_at) VALUES (?1, ?2, "
		     "?3, ?4) ON CONFLICT (size) DO UPDATE SET root = excluded.root, note = "
		     "excluded.note, signed_at = excluded.signed_at"},
    [ST_CKPT_GET] = {"SELECT size, root, note, signed_at FROM log_checkpoint WHERE size = ?1"},
    [ST_CKPT_LATEST] = {"SELECT size, root, note, signed_at FROM log_checkpoint ORDER BY size "
			"DESC LIMIT 1"},
    [ST_COSIG_CLEAR] = {"DELETE FROM log_cosignature WHERE size = ?1"},
    [ST_COSIG_PUT] = {"INSERT INTO log_cosignature (size, name, key_id, cosigned_at, line, "
		      "received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (size, name, "
		      "key_id) DO UPDATE SET cosigned_at = excluded.cosigned_at, line = "
		      "excluded.line, received_at = excluded.received_at"},
    [ST_COSIG_EACH] = {"SELECT size, name, key_id, cosigned_at, line, received_at FROM "
		       "log_cosignature WHERE size = ?1 ORDER BY name, key_id"},
};

/* Every table with its columns, as copy.c copies them: each row's references first where
 * they can be (a ward merged into a later one, a code replaced by a later one wait for the
 * commit). Types: i integer, r real, t text, b blob. */
const struct copy_table copy_tables[] = {
    {"ward", "id, slug, name, address, phone, hours, intro, merged_into, sample, updated_at",
     "ittttttiit", "id", false},
    {"\"user\"", "id, name, role, ward_id, pw_hash, disabled_at, created_at", "ittittt", "id",
     false},
    {"announcement", ANN_COLS,
     "iittttt"
     "t",
     "id", false},
    {"procedure", PROC_COLS ", title_fold",
     "iittttttttttttttttt"
     "t",
     "id", false},
    {"procedure_document", "procedure_id, pos, kind, name, originals, copies", "iiitii",
     "procedure_id, pos", false},
    {"permit", PERMIT_COLS,
     "iitttttirrttttttt"
     "t",
     "id", false},
    {"inspection", "id, permit_id, on_date, inspector, result, note", "iitttt", "id", false},
    {"code", "id, token, target_kind, target_id, created_at, revoked_at, replaced_by", "ittitti",
     "id", false},
    {"file", FILE_COLS, "iittitit", "id", false},
    {"report",
     "id, ref, permit_id, category, description, contact, photo_sha256, photo_mime, "
     "client_key, created_at, reviewed_at, reviewed_by, review_note, opened_at, public_reply, "
     "replied_at, photo_size, erased_at",
     "itittttttttittttit", "id", false},
    {"report_key", "report_id, key", "it", "report_id", false},
    {"session", "token_hash, user_id, csrf, created_at, expires_at, seen_at", "titiii",
     "token_hash", false},
    {"throttle", "key, failures, first_at, locked_until, locks", "tiiii", "key", false},
    {"setting", "key, value", "tt", "key", false},
    {"audit", "id, at, actor_id, actor, entity, entity_id, action, before, after, prev_hash, hash",
     "itittittttt", "id", false},
    {"scan_daily", "code_id, day, count", "iti", "code_id, day", false},
    {"scan_miss_daily", "day, reason, count", "tti", "day, reason", false},
    {"log_node", "level, idx, hash", "iit", "level, idx", false},
    {"log_checkpoint", "size, root, note, signed_at", "ittt", "size", false},
    {"log_cosignature", "size, name, key_id, cosigned_at, line, received_at", "ittitt",
     "size, name, key_id", false},
    {"kiosk_feature", "id, ward_id, procedure_id, pos, seconds", "iiiii", "id", false},
    {"kiosk_slide", KIOSK_SLIDE_COLS, "iittttitt", "id", false},
    {"kiosk_notice", KIOSK_NOTICE_COLS, "iittiii", "id", false},
    {"kiosk_screen", "ward_id, screen, first_at, last_at, slide, width, height", "itiitii",
     "ward_id, screen", false},
    {"blob", "sha256, data", "tb", "sha256", true},
};
const size_t copy_ntables = sizeof(copy_tables) / sizeof(copy_tables[0]);

const char *sql_for(const char *const text[DB_DIALECTS], enum db_dialect d)
{
	return text[d] ? text[d] : text[DB_SQLITE];
}
