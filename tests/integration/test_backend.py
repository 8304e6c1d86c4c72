"""The database helpers themselves (backend.py) on the backend under test: the shape of what
sql() prints, db_tables, db_counts, db_dump, schema_sql, integrity_check, the audit guard, and
new_db's fresh, separate, dropped databases. The databases are filled with the backend's own CLI
(sqlite3 or psql), not with motcham, so this runs before any motcham code is involved."""

import os
import shutil
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

# The same SQL on both: "user" quoted (a reserved word in PostgreSQL), INTEGER ids given.
SCHEMA = """
CREATE TABLE ward (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
CREATE TABLE "user" (id INTEGER PRIMARY KEY, name TEXT NOT NULL,
                     ward_id INTEGER REFERENCES ward(id), note TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY, actor TEXT NOT NULL);
CREATE INDEX user_ward ON "user"(ward_id);
INSERT INTO ward VALUES (1, 'phuong-7', 'Phường 7'), (2, 'ben-thanh', 'Bến Thành');
INSERT INTO "user" VALUES (1, 'lan', 1, NULL), (2, 'Đức', 2, 'x|y'), (3, 'Zoe', NULL, 'hai
dòng');
INSERT INTO audit VALUES (1, 'lan'), (2, 'Đức');
"""
GUARD = """
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
 BEGIN SELECT RAISE(ABORT, 'audit entries are never changed'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
 BEGIN SELECT RAISE(ABORT, 'audit entries are never deleted'); END;
"""
PG_GUARD = """
CREATE FUNCTION audit_never() RETURNS trigger LANGUAGE plpgsql AS
 $$BEGIN RAISE EXCEPTION 'audit entries are never changed or deleted'; END$$;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION audit_never();
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_never();
"""


class Helpers(unittest.TestCase):
    def setUp(self):
        self.t = mc.TempDir()
        self.addCleanup(self.t.cleanup)
        self.db = mc.new_db(self.t, "helpers.db")
        mc.sql(self.db, SCHEMA + GUARD, pg=SCHEMA + PG_GUARD)

    def test_backend_is_the_one_asked_for(self):
        self.assertEqual(mc.is_pg(self.db), mc.BACKEND == "postgresql", self.db)

    def test_rows_columns_and_null(self):
        self.assertEqual(mc.sql(self.db, 'SELECT id, name, note FROM "user" ORDER BY id;'),
                         "1|lan|\n2|Đức|x|y\n3|Zoe|hai\ndòng")
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM ward; SELECT 'a', 'b';"),
                         "2\na|b")
        self.assertEqual(mc.sql(self.db, "SELECT name FROM ward WHERE id = 99;"), "")

    def test_text_sorts_in_byte_order(self):
        self.assertEqual(mc.sql(self.db, 'SELECT name FROM "user" ORDER BY name;').splitlines(),
                         ["Zoe", "lan", "Đức"])
        # Byte order puts every lower-case and accented letter after 'Z'; a language's order
        # would put 'lan' before 'Zz'.
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM \"user\" WHERE name > 'Zz';"), "2")

    def test_pg_variant_is_used_there(self):
        got = mc.sql(self.db, "SELECT 'sqlite';", pg="SELECT 'postgresql';")
        self.assertEqual(got, mc.BACKEND)

    def test_failures(self):
        with self.assertRaises(AssertionError):
            mc.sql(self.db, "SELECT * FROM no_such_table;")
        ok, out, err = mc.try_sql(self.db, "INSERT INTO ward VALUES (3, 'phuong-7', 'Trùng');")
        self.assertFalse(ok)
        self.assertTrue(err, "no message for a failed statement")
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM ward;"), "2")

    def test_tables_and_counts(self):
        self.assertEqual(mc.db_tables(self.db), ["audit", "user", "ward"])
        self.assertEqual(mc.db_counts(self.db), {"audit": 2, "user": 3, "ward": 2})

    def test_dump(self):
        dump = mc.db_dump(self.db)
        self.assertIsInstance(dump, bytes)
        self.assertEqual(mc.db_dump(self.db), dump, "the same database, the same dump")
        for text in ("Phường 7", "Đức", "x|y", "dòng"):
            self.assertIn(text.encode("utf-8"), dump)
        self.assertFalse(mc.try_sql(self.db, "INSERT INTO ward VALUES (3, 'ben-thanh', 'X');")[0])
        self.assertEqual(mc.db_dump(self.db), dump, "a failed statement changes nothing")
        mc.sql(self.db, "UPDATE \"user\" SET note = 'đã sửa' WHERE id = 1;")
        changed = mc.db_dump(self.db)
        self.assertNotEqual(changed, dump)
        self.assertIn("đã sửa".encode("utf-8"), changed)
        mc.sql(self.db, "UPDATE \"user\" SET note = NULL WHERE id = 1;")
        self.assertEqual(mc.db_dump(self.db), dump, "undone, the same dump again")
        mc.sql(self.db, "CREATE INDEX ward_name ON ward(name);")
        self.assertNotEqual(mc.db_dump(self.db), dump, "a new index is in the dump")

    def test_schema(self):
        schema = mc.schema_sql(self.db)
        for name in ("ward", "user", "audit", "user_ward", "audit_no_update", "audit_no_delete"):
            self.assertIn(name, schema)
        mc.sql(self.db, "INSERT INTO ward VALUES (3, 'tan-dinh', 'Tân Định');")
        self.assertEqual(mc.schema_sql(self.db), schema, "rows are not schema")
        mc.sql(self.db, "ALTER TABLE ward ADD COLUMN phone TEXT;")
        self.assertNotEqual(mc.schema_sql(self.db), schema)

    def test_audit_guard_and_unlock(self):
        for q in ("UPDATE audit SET actor = 'x' WHERE id = 1;", "DELETE FROM audit WHERE id = 2;"):
            self.assertFalse(mc.try_sql(self.db, q)[0], q)
        schema = mc.schema_sql(self.db)
        mc.sql(self.db, mc.unlock_audit_sql(self.db) + "UPDATE audit SET actor = 'x' WHERE id = 1;"
                        "DELETE FROM audit WHERE id = 2;")
        self.assertEqual(mc.sql(self.db, "SELECT id, actor FROM audit;"), "1|x")
        self.assertNotEqual(mc.schema_sql(self.db), schema, "the lifted guard shows")

    def test_integrity(self):
        self.assertEqual(mc.integrity_check(self.db), "ok")

    def test_new_db_is_fresh_separate_and_dropped(self):
        t = mc.TempDir()
        self.addCleanup(t.cleanup)
        a, b = mc.new_db(t, "a.db"), mc.new_db(t, "b.db")
        self.assertNotEqual(a, b)
        self.assertNotEqual(a, self.db)
        self.assertFalse(mc.db_touched(a))
        mc.sql(a, "CREATE TABLE only_here (x INTEGER);")
        self.assertTrue(mc.db_touched(a))
        self.assertFalse(mc.db_touched(b))
        self.assertEqual(mc.db_tables(b), [])
        self.assertEqual(mc.db_counts(b), {})
        t.cleanup()
        if mc.is_pg(a):
            # Both databases are gone from the cluster.
            for db in (a, b):
                self.assertFalse(mc.try_sql(db, "", pg="SELECT 1;")[0], db)
        else:
            self.assertFalse(os.path.exists(a))

    def test_unusable_db(self):
        db = mc.unusable_db(self.t)
        self.assertEqual(mc.is_pg(db), mc.BACKEND == "postgresql")
        self.assertFalse(mc.try_sql(db, "CREATE TABLE x (y INTEGER);")[0])


class PostgreSQLFaults(unittest.TestCase):
    """The helpers test_faults uses on PostgreSQL only (on SQLite it has files to work with)."""

    def setUp(self):
        if mc.BACKEND != "postgresql":
            self.skipTest("PostgreSQL's own helpers")
        self.t = mc.TempDir()
        self.addCleanup(self.t.cleanup)
        self.db = mc.new_db(self.t, "faults.db")
        mc.sql(self.db, "", pg=SCHEMA)

    def test_read_only_database(self):
        mc.pg_read_only(self.db, True)
        ok, _, err = mc.try_sql(self.db, "", pg="INSERT INTO ward VALUES (3, 'x', 'X');")
        self.assertFalse(ok)
        self.assertIn("read-only", err)
        self.assertEqual(mc.integrity_check(self.db), "ok", "checks still run")
        mc.pg_read_only(self.db, False)
        mc.sql(self.db, "", pg="INSERT INTO ward VALUES (3, 'x', 'X');")

    def test_read_only_role(self):
        url = mc.pg_read_only_role(self.db)
        self.assertEqual(mc.sql(url, "", pg="SELECT count(*) FROM \"user\";"), "3")
        ok, _, err = mc.try_sql(url, "", pg="INSERT INTO ward VALUES (3, 'x', 'X');")
        self.assertFalse(ok)
        self.assertIn("permission denied", err)

    def test_database_size_grows_before_commit(self):
        before = mc.pg_database_size(self.db)
        mc.sql(self.db, "", pg="INSERT INTO audit SELECT g, repeat('a', 200) FROM "
                               "generate_series(10, 5000) g;")
        self.assertGreater(mc.pg_database_size(self.db), before + 256 * 1024)

    def test_tablespace(self):
        os.chmod(self.t.path, 0o755)  # the server's user must reach the directory
        where = self.t.join("ts")
        os.mkdir(where, 0o700)
        uid, gid = mc.pg_server_owner(self.db)
        if os.getuid() != uid:
            shutil.chown(where, uid, gid)
        name = mc.pg_move_to_tablespace(self.db, where)
        q = ("SELECT count(*) FROM pg_class c JOIN pg_tablespace s ON s.oid = c.reltablespace "
             "WHERE s.spcname = '%s' AND c.relname IN ('ward', 'user', 'audit', 'ward_pkey');"
             % name)
        self.assertEqual(mc.sql(self.db, "", pg=q), "4")
        self.assertEqual(mc.db_counts(self.db), {"audit": 2, "user": 3, "ward": 2})
        self.assertEqual(mc.integrity_check(self.db), "ok")
        mc.drop_db(self.db)
        self.assertEqual(os.listdir(where), [], "the tablespace is dropped with the database")


if __name__ == "__main__":
    mc.main()
