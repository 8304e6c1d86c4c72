/* The schema: the tables of each version and the migrations between them. */
#include "private.h"

#define SCHEMA_VERSION 7

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
/* PostgreSQL has no rowid: ids are identity columns, times and ids 64-bit. */
static const char schema_v4_pg[] =
    KIOSK_SCHEMA("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT");

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
/* PostgreSQL has no WITHOUT ROWID and no RAISE: its slot has the tables only, and the
 * append-only rule for log_node is its driver's to add as it adds the audit table's. */
static const char schema_v6_pg[] = SCHEMA_V6_NODE ";" SCHEMA_V6_TABLES;

/* Hardening. Sign-in locks that grow (how many a key has had), and sessions that end when
 * idle (when each was last used, Unix time; a session of before counts from its start). */
#define SCHEMA_V7_COMMON                                                                           \
	"ALTER TABLE throttle ADD COLUMN locks BIGINT NOT NULL DEFAULT 0;"                         \
	"ALTER TABLE session ADD COLUMN seen_at BIGINT NOT NULL DEFAULT 0;"                        \
	"UPDATE session SET seen_at = created_at;"

static const char schema_v7[] = SCHEMA_V7_COMMON;
static const char schema_v7_pg[] = SCHEMA_V7_COMMON;

/* Each entry brings a database from version i to i + 1, in each dialect's words: SQLite's,
 * and another dialect's where it must differ (see sql_for). */
static const char *const migrations[][DB_DIALECTS] = {
    {schema_v1},
    {schema_v2},
    {schema_v3},
    {[DB_SQLITE] = schema_v4, [DB_PG] = schema_v4_pg},
    {schema_v5, schema_v5},
    {schema_v6, schema_v6_pg},
    {schema_v7, schema_v7_pg},
};

/* What a migration computes that SQL cannot: after version 6, the leaves of the entries
 * written before the tree existed. */
static enum mc_err (*const after_migration[])(struct mc_store *s) = {
    [5] = tree_backfill,
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
	return mc_store_commit(s);
fail:
	mc_store_rollback(s);
	return err;
}
