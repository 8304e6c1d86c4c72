"""motcham migrate: the demo ward, with a staff upload, moved from SQLite into PostgreSQL keeps
every id, code, page, file and the audit chain; a target with records, or a file missing from
PATH.files, leaves the target without a record. The usage rules are checked on every backend;
the move itself needs PostgreSQL (the suite's _pg run: MOTCHAM_TEST_BACKEND=postgresql)."""

import shutil
import unittest
import urllib.parse

import mc

BASE = b"http://ward.example"
PASSWORD = "mat-khau-du-dai"
APP_TABLES = ("announcement", "audit", "code", "file", "inspection", "kiosk_feature",
              "kiosk_notice", "kiosk_screen", "kiosk_slide", "permit", "procedure",
              "procedure_document", "report", "scan_daily", "scan_miss_daily", "session",
              "setting", "throttle", "user", "ward")


def pages(db, tokens):
    """{token: (status, body)} of /q/TOKEN from a server on db, with the server's own address
    in the body (its links) written as BASE."""
    out = {}
    with mc.Server(db) as srv:
        here = ("http://127.0.0.1:%d" % srv.port).encode("ascii")
        for t in tokens:
            r = mc.request(srv.port, "/q/" + t)
            out[t] = (r.status, r.body.replace(here, BASE))
    return out


class Usage(unittest.TestCase):
    def setUp(self):
        self.t = mc.TempDir()
        self.addCleanup(self.t.cleanup)

    def test_usage_errors(self):
        src = self.t.join("a.db")
        for args in (["migrate"], ["migrate", "--from", src],
                     ["migrate", "--to", "postgresql://h/db"],
                     ["migrate", "--from", src, "--to", self.t.join("b.db")],
                     ["migrate", "--from", "postgresql://h/a", "--to", "postgresql://h/b"],
                     ["migrate", "--db", src, "--from", src, "--to", "postgresql://h/b"]):
            with self.subTest(args=args):
                r = mc.run(args)
                self.assertEqual(r.rc, 2, r)
                self.assertIn("--help", r.err)


@unittest.skipUnless(mc.BACKEND == "postgresql", "the move needs a PostgreSQL target")
class Migrate(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.src = cls.t.join("ward.db")  # SQLite, whatever the backend of the run
        r = mc.run(["demo", "--db", cls.src])
        assert r.rc == 0, r
        mc.add_user(cls.src, "lan", "admin", PASSWORD)
        cls.pdf = mc.small_pdf("ban ve")
        cls.sha = mc.sha256_hex(cls.pdf)
        pid = int(mc.sql(cls.src, "SELECT min(id) FROM permit;"))
        with mc.Server(cls.src) as srv:
            c = mc.Client(srv.port)
            form = mc.find_form(c.get("/staff/login").body, "/staff/login")
            r = c.post("/staff/login", {"name": "lan", "password": PASSWORD,
                                        "csrf": mc.form_value(form, "csrf")})
            assert r.status == 303, mc.describe(r)
            page = c.get("/staff/permits/%d" % pid)
            up = mc.find_form(page.body, "/staff/permits/%d/files" % pid)
            r = c.post_multipart("/staff/permits/%d/files" % pid,
                                 [("csrf", mc.form_value(up, "csrf")), ("public", "1")],
                                 [("file", "bản vẽ.pdf", "application/pdf", cls.pdf)])
            assert r.status == 303, mc.describe(r)
        cls.tokens = [c[0] for c in mc.code_list(cls.src)]
        cls.before = pages(cls.src, cls.tokens)

    @classmethod
    def tearDownClass(cls):
        cls.t.cleanup()

    def test_everything_carries_over(self):
        dst = mc.new_db(self.t, "dst")
        r = mc.run(["migrate", "--from", self.src, "--to", dst])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("1 uploaded files", r.out)
        self.assertIn("audit chain verified", r.out)
        password = urllib.parse.urlsplit(dst).password
        if password:
            self.assertNotIn(password, r.out + r.err, "the password is never shown")
        # The same rows, ids included, in every table.
        src_counts, dst_counts = mc.db_counts(self.src), mc.db_counts(dst)
        for table in APP_TABLES:
            self.assertEqual(dst_counts.get(table), src_counts.get(table), table)
        for q in ("SELECT id, number, ward_id, floors, owner_name FROM permit ORDER BY id;",
                  "SELECT id, token, target_kind, target_id, created_at FROM code ORDER BY id;",
                  "SELECT id, hash FROM audit ORDER BY id;",
                  "SELECT value FROM setting WHERE key = 'secret';"):
            self.assertEqual(mc.sql(dst, q), mc.sql(self.src, q), q)
        # The chain verifies on the copy, to the same head.
        a = mc.run(["audit", "verify", "--db", self.src])
        b = mc.run(["audit", "verify", "--db", dst])
        self.assertEqual((a.rc, b.rc), (0, 0), (a, b))
        self.assertEqual(b.out, a.out)
        # Every code resolves to the same page; the file is served from the database.
        self.assertEqual(mc.stored_file(dst, self.sha), self.pdf)
        after = pages(dst, self.tokens)
        self.assertEqual(len(after), len(self.before))
        for t in self.tokens:
            self.assertEqual(after[t][0], self.before[t][0], t)
            self.assertEqual(after[t][1], self.before[t][1], t)
        with mc.Server(dst) as srv:
            r = mc.request(srv.port, "/files/" + self.sha)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, self.pdf)
        # Once only: a target with records is refused, and keeps them.
        r = mc.run(["migrate", "--from", self.src, "--to", dst])
        self.assertEqual(r.rc, 1, r)
        self.assertIn("holds records", r.err)
        self.assertEqual(mc.db_counts(dst), dst_counts)

    def test_missing_file_copies_nothing(self):
        copy = self.t.join("broken.db")
        r = mc.run(["backup", "--db", self.src, "--to", copy])
        self.assertEqual(r.rc, 0, r)
        shutil.rmtree(copy + ".files")  # the copy without its files
        dst = mc.new_db(self.t, "dst_missing")
        r = mc.run(["migrate", "--from", copy, "--to", dst])
        self.assertEqual(r.rc, 1, r)
        self.assertIn(self.sha, r.err)
        self.assertIn("missing", r.err)
        counts = mc.db_counts(dst)
        self.assertEqual({t: n for t, n in counts.items() if n and t != "schema_version"},
                         {"setting": 1}, "nothing but the new database's secret")
        # With the files where they are (--files), it goes through.
        r = mc.run(["migrate", "--from", copy, "--to", dst, "--files", self.src + ".files"])
        self.assertEqual(r.rc, 0, r)


if __name__ == "__main__":
    mc.main()
