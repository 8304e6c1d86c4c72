"""Upgrades and downgrades of the database: a database of the previous release's schema
(version 2, tests/deploy/fixtures/schema_v2.sql) is copied beside itself and then migrated by
`motcham init` and by `motcham serve` (what a package upgrade's restart runs), keeping every
record and the audit chain; a database of a newer schema than the binary knows is refused with
a clear message and not touched at all."""

import glob
import hashlib
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy  # noqa: E402

FIXTURE = os.path.join(deploy.FIXTURES, "schema_v2.sql")
OLD_SLUG = "phuong-thu-nghiem"
BAK_RE = re.compile(r"\.schema2-\d{8}T\d{6}Z\.bak$")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def counts(db):
    tables = deploy.sqlite(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND "
                               "name NOT LIKE 'sqlite_%' ORDER BY name;").split()
    return {t: int(deploy.sqlite(db, 'SELECT count(*) FROM "%s";' % t)) for t in tables}


class Upgrade(unittest.TestCase):
    def setUp(self):
        self.t = deploy.TempDir()
        self.addCleanup(self.t.cleanup)
        self.known = None

    def old_db(self, name="old.db"):
        """A fresh database of schema version 2, made from the fixture."""
        db = self.t.join(name)
        with open(FIXTURE, encoding="utf-8") as f:
            deploy.sh(["sqlite3", "-batch", db], input=f.read())
        self.assertEqual(deploy.sqlite(db, "PRAGMA user_version;"), "2")
        return db

    def current_version(self):
        """The schema version this binary makes (a new database of its own, elsewhere)."""
        if self.known is None:
            t = deploy.TempDir()
            try:
                db = t.join("current.db")
                deploy.must(deploy.run(["init", "--db", db]))
                self.known = int(deploy.sqlite(db, "PRAGMA user_version;"))
            finally:
                t.cleanup()
        return self.known

    def backups(self, db):
        return sorted(p for p in glob.glob(db + ".schema*") if BAK_RE.search(p))

    def assert_migrated(self, db, before, stderr):
        """db went from version 2 to the current one with a backup of version 2 beside it
        holding every record it had, and lost nothing."""
        baks = self.backups(db)
        self.assertEqual(len(baks), 1, "one backup beside %s: %s" % (db, os.listdir(self.t.path)))
        bak = baks[0]
        print("backup left beside the database: %s" % os.path.basename(bak))
        self.assertIn(bak, stderr, "the command names the backup it made")
        self.assertEqual(deploy.sqlite(bak, "PRAGMA user_version;"), "2")
        self.assertEqual(deploy.sqlite(bak, "PRAGMA integrity_check;"), "ok")
        self.assertEqual(counts(bak), before, "the backup holds the database as it was")
        self.assertEqual(int(deploy.sqlite(db, "PRAGMA user_version;")), self.current_version())
        after = counts(db)
        for table, n in before.items():
            self.assertEqual(after.get(table), n, "rows of %s after the migration" % table)
        self.assertIn("scan_daily", after, "the version-3 tables were made")
        v = deploy.must(deploy.run(["audit", "verify", "--db", db]))
        self.assertIn("OK, %d entries" % before["audit"], v.stdout)
        return bak

    def test_init_backs_up_then_migrates(self):
        db = self.old_db()
        before = counts(db)
        self.assertGreater(before["audit"], 0)
        p = deploy.must(deploy.run(["init", "--db", db]))
        bak = self.assert_migrated(db, before, p.stderr)
        # Again: nothing left to migrate, so no second backup.
        deploy.must(deploy.run(["init", "--db", db]))
        self.assertEqual(self.backups(db), [bak])
        # The staff account of the old release still signs in.
        with deploy.Server(["--db", db, "--port", "0"]) as srv:
            c = deploy.Client(srv.port)
            self.assertEqual(deploy.sign_in(c, "lan", "mat-khau-cu-0123").status, 303)

    def test_serve_backs_up_then_migrates(self):
        db = self.old_db()
        before = counts(db)
        srv = deploy.Server(["--db", db, "--port", "0"]).start()
        try:
            r = deploy.Client(srv.port).get("/w/%s" % OLD_SLUG)
            self.assertEqual(r.status, 200, r)
            self.assertIn("Phường Thử Nghiệm", r.text)
        finally:
            err = srv.close()
        self.assert_migrated(db, before, err)

    def test_no_migration_without_backup(self):
        db = self.old_db()
        now = int(time.time())
        # Every name the backup could take in the next seconds is taken already.
        for t in range(now - 1, now + 30):
            name = "%s.schema2-%s.bak" % (db, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t)))
            with open(name, "w") as f:
                f.write("not a database")
        p = deploy.run(["init", "--db", db])
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("not migrating", p.stderr)
        self.assertEqual(deploy.sqlite(db, "PRAGMA user_version;"), "2", "left as it was")

    def test_newer_schema_refused_untouched(self):
        db = self.old_db("newer.db")
        known = self.current_version()
        deploy.sqlite(db, "PRAGMA user_version = %d;" % (known + 1))
        digest = sha256(db)
        files = sorted(os.listdir(self.t.path))
        for args in (["serve", "--port", "0"], ["init"], ["demo"], ["code", "list"],
                     ["backup", "--to", self.t.join("copy.db")]):
            with self.subTest(args=args):
                p = deploy.run(args + ["--db", db], timeout=30)
                self.assertEqual(p.returncode, 1, p)
                self.assertNotIn("serving on", p.stdout)
                self.assertIn("schema version %d, newer than this motcham" % (known + 1),
                              p.stderr)
                self.assertIn("Nothing was changed", p.stderr)
                self.assertEqual(sha256(db), digest, "the newer database was changed")
                self.assertEqual(sorted(os.listdir(self.t.path)), files,
                                 "files appeared beside it (-wal, -shm, a backup)")
        print("refused: %s" % p.stderr.strip())


if __name__ == "__main__":
    unittest.main(verbosity=2)
