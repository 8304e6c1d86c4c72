/* The schema: the tables of each version and the migrations between them. */
#include "private.h"

#include <stdio.h>

#include "motcham/base/auth.h"

#define SCHEMA_VERSION 9

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

/* PostgreSQL's words for the same tables. Text compares and sorts byte by byte as in SQLite
 * whatever the database's own collation (COLLATE "C"); integers are 64-bit as SQLite's;
 * reals are doubles. A new row's id is one more than the largest, as SQLite gives a rowid
 * (mc_next_id): every insert of the store runs in a write transaction, under the one write
 * lock (pg.c), so two nodes never pick the same; and the ids are the same on both backends,
 * with no gap where a transaction was rolled back (a sequence would leave one). An id given
 * is taken as it is (motcham migrate). Foreign keys may wait for the end of a transaction
 * when it asks (copy.c copies rows that name later ones). */
#define TXT " text COLLATE \"C\""
#define ID(t) " id bigint PRIMARY KEY DEFAULT mc_next_id('" t "'),"
#define REF(t) " bigint REFERENCES " t "(id) DEFERRABLE"

/* clang-format off */
static const char pg_v1[] =
    "CREATE FUNCTION mc_next_id(t text) RETURNS bigint LANGUAGE plpgsql AS $$"
    " DECLARE n bigint; BEGIN"
    " EXECUTE format('SELECT coalesce(max(id), 0) + 1 FROM %I', t) INTO n; RETURN n;"
    " END $$;"
    "CREATE TABLE ward ("
    ID("ward")
    " slug" TXT " NOT NULL UNIQUE,"
    " name" TXT " NOT NULL,"
    " address" TXT ", phone" TXT ", hours" TXT ", intro" TXT ","
    " merged_into" REF("ward") ","
    " sample bigint NOT NULL DEFAULT 0 CHECK (sample IN (0, 1)),"
    " updated_at" TXT " NOT NULL);"
    "CREATE TABLE announcement ("
    ID("announcement")
    " ward_id" REF("ward") " NOT NULL,"
    " title" TXT " NOT NULL, body" TXT " NOT NULL,"
    " published_on" TXT " NOT NULL, expires_on" TXT ","
    " updated_at" TXT " NOT NULL,"
    " UNIQUE (ward_id, title));"
    "CREATE INDEX announcement_ward ON announcement(ward_id, published_on);"
    "CREATE TABLE procedure ("
    ID("procedure")
    " ward_id" REF("ward") " NOT NULL,"
    " tthc_code" TXT " NOT NULL, title" TXT " NOT NULL, title_fold" TXT " NOT NULL,"
    " field" TXT " NOT NULL, level" TXT ", steps" TXT ", ways" TXT ", place" TXT ","
    " who" TXT ", conditions" TXT ", duration" TXT ", fees" TXT ", office" TXT ","
    " result" TXT ", legal_basis" TXT ", online_url" TXT ", updated_at" TXT " NOT NULL,"
    " UNIQUE (ward_id, tthc_code));"
    "CREATE INDEX procedure_ward ON procedure(ward_id, field, title);"
    "CREATE TABLE procedure_document ("
    " procedure_id bigint NOT NULL REFERENCES procedure(id) ON DELETE CASCADE DEFERRABLE,"
    " pos bigint NOT NULL,"
    " kind bigint NOT NULL CHECK (kind IN (0, 1)),"
    " name" TXT " NOT NULL,"
    " originals bigint NOT NULL CHECK (originals >= 0),"
    " copies bigint NOT NULL CHECK (copies >= 0),"
    " PRIMARY KEY (procedure_id, pos));"
    "CREATE TABLE permit ("
    ID("permit")
    " ward_id" REF("ward") " NOT NULL,"
    " number" TXT " NOT NULL UNIQUE,"
    " kind" TXT " NOT NULL CHECK (kind IN ('repair', 'renovation', 'new_build')),"
    " address" TXT " NOT NULL, owner_name" TXT " NOT NULL, scope" TXT " NOT NULL,"
    " floors bigint NOT NULL DEFAULT 0, area_m2 double precision NOT NULL DEFAULT 0,"
    " height_m double precision NOT NULL DEFAULT 0, contractor" TXT ", office" TXT " NOT NULL,"
    " issued_on" TXT " NOT NULL, starts_on" TXT " NOT NULL, ends_on" TXT " NOT NULL,"
    " status" TXT " NOT NULL CHECK (status IN"
    "  ('issued', 'in_progress', 'suspended', 'revoked', 'completed')),"
    " status_reason" TXT ", updated_at" TXT " NOT NULL,"
    " CHECK (starts_on <= ends_on));"
    "CREATE INDEX permit_ward ON permit(ward_id, issued_on);"
    "CREATE TABLE inspection ("
    ID("inspection")
    " permit_id" REF("permit") " NOT NULL,"
    " on_date" TXT " NOT NULL, inspector" TXT " NOT NULL, result" TXT ", note" TXT ","
    " UNIQUE (permit_id, on_date, inspector));"
    "CREATE TABLE code ("
    ID("code")
    " token" TXT " NOT NULL UNIQUE,"
    " target_kind" TXT " NOT NULL CHECK (target_kind IN"
    "  ('ward', 'announcement', 'procedure', 'permit')),"
    " target_id bigint NOT NULL,"
    " created_at" TXT " NOT NULL,"
    " revoked_at" TXT ","
    " replaced_by" REF("code") ");"
    "CREATE INDEX code_target ON code(target_kind, target_id);";

/* As SQLite's version 2, with what PostgreSQL lacks made here: the append-only guard of the
 * audit table as a trigger function (TRUNCATE too), the JSON the snapshots and the
 * supervisors' audit query need (sql.c), and the table that keeps uploaded files' content,
 * which every node reaches (db_ops.keeps_files). The secret is drawn by migrate. */
static const char pg_v2[] =
    "ALTER TABLE procedure ADD COLUMN retired_at" TXT ";"
    "ALTER TABLE announcement ADD COLUMN retired_at" TXT ";"
    "CREATE TABLE setting (key" TXT " PRIMARY KEY, value" TXT " NOT NULL);"
    "CREATE TABLE \"user\" ("
    ID("user")
    " name" TXT " NOT NULL UNIQUE,"
    " role" TXT " NOT NULL CHECK (role IN ('staff', 'supervisor', 'admin')),"
    " ward_id" REF("ward") ","
    " pw_hash" TXT " NOT NULL,"
    " disabled_at" TXT ","
    " created_at" TXT " NOT NULL);"
    "CREATE TABLE session ("
    " token_hash" TXT " PRIMARY KEY,"
    " user_id" REF("\"user\"") " NOT NULL,"
    " csrf" TXT " NOT NULL,"
    " created_at bigint NOT NULL,"
    " expires_at bigint NOT NULL);"
    "CREATE TABLE throttle ("
    " key" TXT " PRIMARY KEY,"
    " failures bigint NOT NULL,"
    " first_at bigint NOT NULL,"
    " locked_until bigint NOT NULL DEFAULT 0);"
    "CREATE TABLE file ("
    ID("file")
    " permit_id" REF("permit") " NOT NULL,"
    " sha256" TXT " NOT NULL,"
    " mime" TXT " NOT NULL CHECK (mime IN ('application/pdf', 'image/jpeg', 'image/png')),"
    " size bigint NOT NULL,"
    " name" TXT " NOT NULL,"
    " public bigint NOT NULL CHECK (public IN (0, 1)),"
    " created_at" TXT " NOT NULL);"
    "CREATE INDEX file_permit ON file(permit_id);"
    "CREATE INDEX file_hash ON file(sha256);"
    "CREATE TABLE report ("
    ID("report")
    " ref" TXT " NOT NULL UNIQUE,"
    " permit_id" REF("permit") " NOT NULL,"
    " category" TXT " NOT NULL CHECK (category IN"
    "  ('beyond_permit', 'after_expiry', 'no_notice', 'unsafe', 'other')),"
    " description" TXT " NOT NULL,"
    " contact" TXT ","
    " photo_sha256" TXT ", photo_mime" TXT ","
    " client_key" TXT " NOT NULL,"
    " created_at" TXT " NOT NULL,"
    " reviewed_at" TXT ", reviewed_by" REF("\"user\"") ", review_note" TXT ");"
    "CREATE INDEX report_client ON report(client_key, created_at);"
    "CREATE TABLE audit ("
    " id bigint PRIMARY KEY,"
    " at" TXT " NOT NULL,"
    " actor_id bigint,"
    " actor" TXT " NOT NULL,"
    " entity" TXT " NOT NULL,"
    " entity_id bigint NOT NULL,"
    " action" TXT " NOT NULL,"
    " before" TXT ","
    " after" TXT ","
    " prev_hash" TXT " NOT NULL,"
    " hash" TXT " NOT NULL);"
    "CREATE INDEX audit_entity ON audit(entity, entity_id);"
    "CREATE FUNCTION mc_audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " RAISE EXCEPTION '% are never %',"
    "  CASE TG_TABLE_NAME WHEN 'log_node' THEN 'log hashes' ELSE 'audit entries' END,"
    "  CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END"
    "  USING ERRCODE = 'integrity_constraint_violation';"
    " END $$;"
    "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
    " FOR EACH ROW EXECUTE FUNCTION mc_audit_refuse();"
    "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
    " FOR EACH ROW EXECUTE FUNCTION mc_audit_refuse();"
    "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit"
    " FOR EACH STATEMENT EXECUTE FUNCTION mc_audit_refuse();"
    "CREATE TABLE blob ("
    " sha256" TXT " PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),"
    " data bytea NOT NULL);"
    /* A real as SQLite's JSON writes it: 15 significant digits, always a decimal point
     * (100.0, 1.0e+20), NaN as null, infinities as 9.0e+999. */
    "CREATE FUNCTION mc_json_real(v double precision) RETURNS text LANGUAGE plpgsql IMMUTABLE"
    " SET extra_float_digits = 0 AS $$ DECLARE t text; BEGIN"
    " IF v IS NULL OR v = 'NaN' THEN RETURN 'null'; END IF;"
    " IF v = 'Infinity' THEN RETURN '9.0e+999'; END IF;"
    " IF v = '-Infinity' THEN RETURN '-9.0e+999'; END IF;"
    " IF v = 0 THEN RETURN '0.0'; END IF;"
    " t := v::text;"
    " IF position('.' IN t) = 0 THEN"
    "  IF position('e' IN t) > 0 THEN t := replace(t, 'e', '.0e'); ELSE t := t || '.0'; END IF;"
    " END IF;"
    " RETURN t; END $$;"
    /* SQLite's json_valid and json(): the text as JSON, or NULL when it is none. */
    "CREATE FUNCTION mc_jsonb(v text) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN"
    " RETURN v::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$;";

static const char pg_v3[] =
    "CREATE TABLE scan_daily ("
    " code_id" REF("code") " NOT NULL,"
    " day" TXT " NOT NULL,"
    " count bigint NOT NULL,"
    " PRIMARY KEY (code_id, day));"
    "CREATE TABLE scan_miss_daily ("
    " day" TXT " NOT NULL,"
    " reason" TXT " NOT NULL CHECK (reason IN ('unknown', 'mistyped')),"
    " count bigint NOT NULL,"
    " PRIMARY KEY (day, reason));";
/* clang-format on */

/* The lobby kiosk: the procedures a ward features on its screens, in order; the pages staff
 * add for a range of days; urgent notices that take over the screens until lifted or
 * expired (Unix times); and each screen's last heartbeat, which is not a record (never
 * audited, forgotten when a screen stays silent for long). */
#define KIOSK_SECONDS_CHECK " CHECK (seconds BETWEEN 5 AND 120)"
#define KIOSK_SCHEMA(ID, BIG)                                                                      \
	"CREATE TABLE kiosk_feature ("                                                             \
	" id " ID ","                                                                              \
	" ward_id " BIG " NOT NULL REFERENCES ward(id),"                                           \
	" procedure_id " BIG " NOT NULL REFERENCES procedure(id),"                                 \
	" pos INTEGER NOT NULL,"                                                                   \
	" seconds INTEGER NOT NULL" KIOSK_SECONDS_CHECK ","                                        \
	" UNIQUE (ward_id, procedure_id));"                                                        \
	"CREATE TABLE kiosk_slide ("                                                               \
	" id " ID ","                                                                              \
	" ward_id " BIG " NOT NULL REFERENCES ward(id),"                                           \
	" title TEXT NOT NULL, body TEXT NOT NULL,"                                                \
	" shows_from TEXT NOT NULL, shows_until TEXT,"                                             \
	" seconds INTEGER NOT NULL" KIOSK_SECONDS_CHECK ","                                        \
	" updated_at TEXT NOT NULL, retired_at TEXT,"                                              \
	" CHECK (shows_until IS NULL OR shows_from <= shows_until));"                              \
	"CREATE INDEX kiosk_slide_ward ON kiosk_slide(ward_id, shows_from);"                       \
	"CREATE TABLE kiosk_notice ("                                                              \
	" id " ID ","                                                                              \
	" ward_id " BIG " NOT NULL REFERENCES ward(id),"                                           \
	" title TEXT NOT NULL, body TEXT,"                                                         \
	" created_at " BIG " NOT NULL, expires_at " BIG " NOT NULL, lifted_at " BIG ","            \
	" CHECK (created_at < expires_at));"                                                       \
	"CREATE INDEX kiosk_notice_ward ON kiosk_notice(ward_id, expires_at);"                     \
	"CREATE TABLE kiosk_screen ("                                                              \
	" ward_id " BIG " NOT NULL REFERENCES ward(id),"                                           \
	" screen TEXT NOT NULL,"                                                                   \
	" first_at " BIG " NOT NULL, last_at " BIG " NOT NULL,"                                    \
	" slide TEXT, width INTEGER, height INTEGER,"                                              \
	" PRIMARY KEY (ward_id, screen));"

static const char schema_v4[] = KIOSK_SCHEMA("INTEGER PRIMARY KEY", "INTEGER");
/* The same on PostgreSQL, in the words of its other tables (see pg_v1). */
/* clang-format off */
static const char pg_v4[] =
    "CREATE TABLE kiosk_feature ("
    ID("kiosk_feature")
    " ward_id" REF("ward") " NOT NULL,"
    " procedure_id" REF("procedure") " NOT NULL,"
    " pos bigint NOT NULL,"
    " seconds bigint NOT NULL" KIOSK_SECONDS_CHECK ","
    " UNIQUE (ward_id, procedure_id));"
    "CREATE TABLE kiosk_slide ("
    ID("kiosk_slide")
    " ward_id" REF("ward") " NOT NULL,"
    " title" TXT " NOT NULL, body" TXT " NOT NULL,"
    " shows_from" TXT " NOT NULL, shows_until" TXT ","
    " seconds bigint NOT NULL" KIOSK_SECONDS_CHECK ","
    " updated_at" TXT " NOT NULL, retired_at" TXT ","
    " CHECK (shows_until IS NULL OR shows_from <= shows_until));"
    "CREATE INDEX kiosk_slide_ward ON kiosk_slide(ward_id, shows_from);"
    "CREATE TABLE kiosk_notice ("
    ID("kiosk_notice")
    " ward_id" REF("ward") " NOT NULL,"
    " title" TXT " NOT NULL, body" TXT ","
    " created_at bigint NOT NULL, expires_at bigint NOT NULL, lifted_at bigint,"
    " CHECK (created_at < expires_at));"
    "CREATE INDEX kiosk_notice_ward ON kiosk_notice(ward_id, expires_at);"
    "CREATE TABLE kiosk_screen ("
    " ward_id" REF("ward") " NOT NULL,"
    " screen" TXT " NOT NULL,"
    " first_at bigint NOT NULL, last_at bigint NOT NULL,"
    " slide" TXT ", width bigint, height bigint,"
    " PRIMARY KEY (ward_id, screen));";
/* clang-format on */

/* A resident follows a report up at /r/REF: when staff took it up, and the ward's public
 * reply, kept apart from the internal review note. Both dialects say it the same way. */
static const char schema_v5[] = "ALTER TABLE report ADD COLUMN opened_at TEXT;"
				"ALTER TABLE report ADD COLUMN public_reply TEXT;"
				"ALTER TABLE report ADD COLUMN replied_at TEXT;";

/* The public log (store/log.h): the hash of every complete subtree of the Merkle tree over
 * the audit trail, append-only like the trail; the signed checkpoints; the cosignatures
 * witnesses sent for them. Hashes are 64 hex characters. */
#define SCHEMA_V6_TABLES                                                                           \
	"CREATE TABLE log_checkpoint ("                                                            \
	" size BIGINT NOT NULL PRIMARY KEY,"                                                       \
	" root TEXT NOT NULL,"                                                                     \
	" note TEXT NOT NULL,"                                                                     \
	" signed_at TEXT NOT NULL);"                                                               \
	"CREATE TABLE log_cosignature ("                                                           \
	" size BIGINT NOT NULL REFERENCES log_checkpoint(size),"                                   \
	" name TEXT NOT NULL,"                                                                     \
	" key_id TEXT NOT NULL,"                                                                   \
	" cosigned_at BIGINT NOT NULL,"                                                            \
	" line TEXT NOT NULL,"                                                                     \
	" received_at TEXT NOT NULL,"                                                              \
	" PRIMARY KEY (size, name, key_id));"
#define SCHEMA_V6_NODE                                                                             \
	"CREATE TABLE log_node ("                                                                  \
	" level INTEGER NOT NULL,"                                                                 \
	" idx BIGINT NOT NULL,"                                                                    \
	" hash TEXT NOT NULL,"                                                                     \
	" PRIMARY KEY (level, idx))"

static const char schema_v6[] = SCHEMA_V6_NODE
    " WITHOUT ROWID;"
    "CREATE TRIGGER log_node_no_update BEFORE UPDATE ON log_node"
    " BEGIN SELECT RAISE(ABORT, 'log hashes are never changed'); END;"
    "CREATE TRIGGER log_node_no_delete BEFORE DELETE ON log_node"
    " BEGIN SELECT RAISE(ABORT, 'log hashes are never deleted'); END;" SCHEMA_V6_TABLES;
/* The same on PostgreSQL, in the words of its other tables (see pg_v1), log_node guarded as
 * the audit table is (mc_audit_refuse, made by pg_v2, names the table it guards). */
/* clang-format off */
static const char pg_v5[] =
    "ALTER TABLE report ADD COLUMN opened_at" TXT ";"
    "ALTER TABLE report ADD COLUMN public_reply" TXT ";"
    "ALTER TABLE report ADD COLUMN replied_at" TXT ";";

static const char pg_v6[] =
    "CREATE TABLE log_node ("
    " level bigint NOT NULL,"
    " idx bigint NOT NULL,"
    " hash" TXT " NOT NULL,"
    " PRIMARY KEY (level, idx));"
    "CREATE TRIGGER log_node_no_update BEFORE UPDATE ON log_node"
    " FOR EACH ROW EXECUTE FUNCTION mc_audit_refuse();"
    "CREATE TRIGGER log_node_no_delete BEFORE DELETE ON log_node"
    " FOR EACH ROW EXECUTE FUNCTION mc_audit_refuse();"
    "CREATE TRIGGER log_node_no_truncate BEFORE TRUNCATE ON log_node"
    " FOR EACH STATEMENT EXECUTE FUNCTION mc_audit_refuse();"
    "CREATE TABLE log_checkpoint ("
    " size bigint NOT NULL PRIMARY KEY,"
    " root" TXT " NOT NULL,"
    " note" TXT " NOT NULL,"
    " signed_at" TXT " NOT NULL);"
    "CREATE TABLE log_cosignature ("
    " size bigint NOT NULL REFERENCES log_checkpoint(size) DEFERRABLE,"
    " name" TXT " NOT NULL,"
    " key_id" TXT " NOT NULL,"
    " cosigned_at bigint NOT NULL,"
    " line" TXT " NOT NULL,"
    " received_at" TXT " NOT NULL,"
    " PRIMARY KEY (size, name, key_id));";
/* clang-format on */

/* Hardening. Sign-in locks that grow (how many a key has had), and sessions that end when
 * idle (when each was last used, Unix time; a session of before counts from its start).
 * And the audit table takes an entry only as the next one: its id one more than the last
 * (so above 0, and never an existing one: INSERT OR REPLACE or an upsert cannot put a new
 * entry in an old one's place), its prev_hash the last one's hash (64 zeros for the first). */
#define SCHEMA_V7_COMMON                                                                           \
	"ALTER TABLE throttle ADD COLUMN locks BIGINT NOT NULL DEFAULT 0;"                         \
	"ALTER TABLE session ADD COLUMN seen_at BIGINT NOT NULL DEFAULT 0;"                        \
	"UPDATE session SET seen_at = created_at;"
#define ZERO_HASH "'0000000000000000000000000000000000000000000000000000000000000000'"

/* clang-format off */
static const char schema_v7[] = SCHEMA_V7_COMMON
    "CREATE TRIGGER audit_only_next BEFORE INSERT ON audit"
    " WHEN NEW.id IS NULL OR NEW.id < 1"
    "  OR NEW.id IS NOT (SELECT coalesce(max(id), 0) + 1 FROM audit)"
    "  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1),"
    "   " ZERO_HASH ")"
    " BEGIN SELECT RAISE(ABORT, 'an audit entry is only ever the next one'); END;";
static const char pg_v7[] = SCHEMA_V7_COMMON
    "CREATE FUNCTION mc_audit_next() RETURNS trigger LANGUAGE plpgsql AS $$"
    " DECLARE last_id bigint; head text; BEGIN"
    " SELECT id, hash INTO last_id, head FROM audit ORDER BY id DESC LIMIT 1;"
    " IF NEW.id IS NULL OR NEW.id < 1 OR NEW.id <> coalesce(last_id, 0) + 1"
    "  OR NEW.prev_hash IS DISTINCT FROM coalesce(head, " ZERO_HASH ") THEN"
    "  RAISE EXCEPTION 'an audit entry is only ever the next one'"
    "  USING ERRCODE = 'integrity_constraint_violation';"
    " END IF;"
    " RETURN NEW; END $$;"
    "CREATE TRIGGER audit_only_next BEFORE INSERT ON audit"
    " FOR EACH ROW EXECUTE FUNCTION mc_audit_next();";
/* clang-format on */

/* Residents' reports: the photo's size (counted against the ward's upload quota), when the
 * resident's own words were erased, and the key each report's words are sealed with, kept
 * apart from the report and its audit entries: deleting it erases them (report.c). */
static const char schema_v8[] = "ALTER TABLE report ADD COLUMN photo_size INTEGER;"
				"ALTER TABLE report ADD COLUMN erased_at TEXT;"
				"CREATE TABLE report_key ("
				" report_id INTEGER PRIMARY KEY REFERENCES report(id),"
				" key TEXT NOT NULL);";
/* clang-format off */
static const char pg_v8[] =
    "ALTER TABLE report ADD COLUMN photo_size bigint;"
    "ALTER TABLE report ADD COLUMN erased_at" TXT ";"
    "CREATE TABLE report_key ("
    " report_id" REF("report") " PRIMARY KEY,"
    " key" TXT " NOT NULL);";
/* clang-format on */

/* SQLite tests "x IN ('a', 'b', 'c')" in a CHECK by filling a throw-away b-tree with the
 * list, on every insert into the table: a fifth of an import's instructions went on the
 * three lists of permit and code. The same rules as OR chains are tested in place. A CHECK
 * is not part of what is stored, so this is the change SQLite's documentation (ALTER TABLE,
 * "making other kinds of table schema changes") makes by editing the table's text under
 * writable_schema; schema_reread then tells every connection to read it again. The texts
 * replaced are version 1's, character for character. PostgreSQL tests an IN list in place:
 * nothing to change there. */
/* clang-format off */
static const char schema_v9[] =
    "PRAGMA writable_schema = ON;"
    "UPDATE sqlite_schema SET sql = replace(replace(sql,"
    " 'CHECK (kind IN (''repair'', ''renovation'', ''new_build''))',"
    " 'CHECK (kind = ''repair'' OR kind = ''renovation'' OR kind = ''new_build'')'),"
    " 'CHECK (status IN  (''issued'', ''in_progress'', ''suspended'', ''revoked'', ''completed''))',"
    " 'CHECK (status = ''issued'' OR status = ''in_progress'' OR status = ''suspended''"
    " OR status = ''revoked'' OR status = ''completed'')')"
    " WHERE type = 'table' AND name = 'permit';"
    "UPDATE sqlite_schema SET sql = replace(sql,"
    " 'CHECK (target_kind IN  (''ward'', ''announcement'', ''procedure'', ''permit''))',"
    " 'CHECK (target_kind = ''ward'' OR target_kind = ''announcement''"
    " OR target_kind = ''procedure'' OR target_kind = ''permit'')')"
    " WHERE type = 'table' AND name = 'code';"
    "PRAGMA writable_schema = OFF;";
static const char pg_v9[] = "SELECT 1";
/* clang-format on */

static enum mc_err schema_reread(struct mc_store *s)
{
	char sql[64];
	long long cookie;
	enum mc_err err;

	if (s->db->ops->dialect != DB_SQLITE)
		return MC_OK;
	if ((err = scalar(s, ST_SCHEMA_COOKIE, &cookie)) != MC_OK)
		return err;
	snprintf(sql, sizeof(sql), "PRAGMA schema_version = %lld", cookie + 1);
	return s->db->ops->exec(s->db, sql);
}

/* Each entry brings a database from version i to i + 1, in each dialect's words. */
static const char *const migrations[][DB_DIALECTS] = {
    {schema_v1, pg_v1}, {schema_v2, pg_v2}, {schema_v3, pg_v3},
    {schema_v4, pg_v4}, {schema_v5, pg_v5}, {schema_v6, pg_v6},
    {schema_v7, pg_v7}, {schema_v8, pg_v8}, {schema_v9, pg_v9},
};

/* What a migration computes that SQL cannot: after version 6, the leaves of the entries
 * written before the tree existed; after version 9, the count that makes SQLite read the
 * edited schema. */
static enum mc_err (*const after_migration[])(struct mc_store *s) = {
    [5] = tree_backfill,
    [8] = schema_reread,
};
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == SCHEMA_VERSION,
	       "one migration for each schema version");

int mc_store_schema_version(void)
{
	return SCHEMA_VERSION;
}

enum mc_err mc_store_version(struct mc_store *s, int *version)
{
	return s->db->ops->user_version(s->db, version);
}

/* The per-database secret, drawn here (libsodium) where the migration did not make one:
 * SQLite's version 2 makes it with randomblob, PostgreSQL has no random bytes of that
 * quality without an extension. */
static enum mc_err ensure_secret(struct mc_store *s)
{
	char secret[MC_AUTH_TOKEN_LEN + 1];
	struct db_stmt *st;

	mc_auth_token(secret);
	PREPARE(s, ST_SECRET_ENSURE, st);
	bind_text(st, 1, secret);
	return exec_stmt(st);
}

enum mc_err mc_store_migrate(struct mc_store *s)
{
	struct db *db = s->db;
	enum mc_err err;
	int version;

	if ((err = mc_store_begin(s)) != MC_OK)
		return err;
	if ((err = mc_store_version(s, &version)) != MC_OK)
		goto fail;
	if (version > SCHEMA_VERSION) {
		err = MC_ERR_INVALID; /* made by a newer motcham: do not touch it */
		goto fail;
	}
	for (; version < SCHEMA_VERSION; version++) {
		err = db->ops->exec(db, sql_for(migrations[version], db->ops->dialect));
		if (err == MC_OK &&
		    (size_t)version < sizeof(after_migration) / sizeof(after_migration[0]) &&
		    after_migration[version])
			err = after_migration[version](s);
		if (err == MC_OK)
			err = db->ops->set_user_version(db, version + 1);
		if (err != MC_OK)
			goto fail;
	}
	if ((err = ensure_secret(s)) != MC_OK)
		goto fail;
	return mc_store_commit(s);
fail:
	mc_store_rollback(s);
	return err;
}
