"""The command line: help, usage errors, init, demo, code list/revoke, serve start and stop."""

import datetime
import os
import signal
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SUBCOMMANDS = [["init"], ["demo"], ["import"], ["gen"], ["code"], ["code", "list"],
               ["code", "revoke"], ["serve"]]


class Usage(unittest.TestCase):
    def assert_usage_error(self, r):
        self.assertEqual(r.rc, 2, r)
        lines = [ln for ln in r.err.splitlines() if ln.strip()]
        self.assertEqual(len(lines), 1, "want exactly one line on stderr: %r" % r)

    def test_help(self):
        r = mc.run(["--help"])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("usage", r.out.lower(), r)
        for cmd in ["init", "demo", "import", "gen", "code", "serve"]:
            self.assertIn(cmd, r.out, "top-level help does not mention %s" % cmd)

    def test_help_each_subcommand(self):
        for cmd in SUBCOMMANDS:
            with self.subTest(cmd=cmd):
                r = mc.run(cmd + ["--help"])
                self.assertEqual(r.rc, 0, r)
                self.assertTrue(r.out.strip(), "usage expected on stdout: %r" % r)
                self.assertIn(cmd[-1], r.out, r)

    def test_unknown_subcommand(self):
        self.assert_usage_error(mc.run(["frobnicate"]))
        self.assert_usage_error(mc.run(["code", "frobnicate"]))

    def test_unknown_flag(self):
        t = mc.TempDir()
        self.addCleanup(t.cleanup)
        db = mc.new_db(t, "x.db")
        for cmd in [["init"], ["demo"], ["gen"], ["code", "list"], ["serve"], ["import"]]:
            with self.subTest(cmd=cmd):
                r = mc.run(cmd + ["--db", db, "--no-such-flag"])
                self.assert_usage_error(r)
                self.assertIn("--no-such-flag", r.err, r)
        self.assertFalse(mc.db_touched(db), "a usage error must not create the db")

    def test_missing_value(self):
        t = mc.TempDir()
        self.addCleanup(t.cleanup)
        db = mc.new_db(t, "x.db")
        cases = [["init", "--db"],
                 ["code", "list", "--db", db, "--kind"],
                 ["serve", "--db", db, "--port"],
                 ["gen", "--db", db, "--all", "--format", "png", "--out", t.join("o"),
                  "--base-url"],
                 ["import", "--db", db, "--ward"]]
        for args in cases:
            with self.subTest(args=args):
                self.assert_usage_error(mc.run(args))


class Init(unittest.TestCase):
    def setUp(self):
        self.t = mc.TempDir()
        self.addCleanup(self.t.cleanup)

    def test_init_creates_schema(self):
        db = mc.new_db(self.t, "m.db")
        r = mc.run(["init", "--db", db])
        self.assertEqual(r.rc, 0, r)
        version = mc.schema_version(db)
        self.assertGreater(version, 0)
        # SQLite: the file is in WAL mode. PostgreSQL always writes ahead to its log, except
        # for UNLOGGED and TEMP tables: no table may be either.
        self.assertEqual(mc.sql(db, "PRAGMA journal_mode;",
                                pg="SELECT CASE WHEN count(*) = 0 THEN 'wal' ELSE "
                                   "string_agg(c.relname, ' ') END FROM pg_class c JOIN "
                                   "pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind "
                                   "IN ('r', 'p') AND c.relpersistence <> 'p' AND n.nspname "
                                   "NOT IN ('pg_catalog', 'information_schema');").lower(),
                         "wal")
        tables = mc.db_tables(db)
        self.assertGreaterEqual(len(tables), 5, tables)
        # Running it again is harmless and keeps the version.
        r = mc.run(["init", "--db", db])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(mc.schema_version(db), version)
        self.assertEqual(mc.db_tables(db), tables)

    def test_db_from_env_and_default(self):
        env_db = mc.new_db(self.t, "env.db")
        r = mc.run(["init"], cwd=self.t.path, env={"MOTCHAM_DB": env_db})
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(mc.db_touched(env_db))
        self.assertFalse(os.path.exists(self.t.join("motcham.db")))
        flag_db = mc.new_db(self.t, "flag.db")
        r = mc.run(["init", "--db", flag_db], cwd=self.t.path, env={"MOTCHAM_DB": env_db})
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(mc.db_touched(flag_db), "--db wins over MOTCHAM_DB")
        r = mc.run(["init"], cwd=self.t.path)
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(os.path.exists(self.t.join("motcham.db")), "default is ./motcham.db")

    def test_init_unwritable_path_fails(self):
        r = mc.run(["init", "--db", mc.unusable_db(self.t)])
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.err.strip(), r)


class DemoAndCodes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "demo.db")
        cls.demo = mc.run(["demo", "--db", cls.db])

    @classmethod
    def tearDownClass(cls):
        cls.t.cleanup()

    def setUp(self):
        self.assertEqual(self.demo.rc, 0, self.demo)

    def test_demo_codes(self):
        rows = mc.code_list(self.db)
        kinds = {}
        for tok, kind, title in rows:
            self.assertRegex(tok, "^[0-9A-HJKMNP-TV-Z]{9}$")
            self.assertTrue(title.strip(), "empty title for %s" % tok)
            kinds[kind] = kinds.get(kind, 0) + 1
        self.assertEqual(kinds.get("ward"), 1, kinds)
        self.assertGreaterEqual(kinds.get("procedure", 0), 25, kinds)
        self.assertEqual(kinds.get("announcement"), 5, kinds)
        self.assertEqual(kinds.get("permit"), 40, kinds)
        self.assertEqual(len({r[0] for r in rows}), len(rows), "tokens must be unique")
        ward = [r for r in rows if r[1] == "ward"][0]
        self.assertIn("Phường 7", ward[2])

    def test_code_list_kind(self):
        rows = mc.code_list(self.db, "permit")
        self.assertEqual(len(rows), 40)
        self.assertTrue(all(k == "permit" for _, k, _ in rows))
        r = mc.run(["code", "list", "--db", self.db, "--kind", "spaceship"])
        self.assertIn(r.rc, (1, 2), r)

    def test_demo_follows_today(self):
        """data/ is written around 2026-11-25; the demo moves its dates to today, so the
        sample always has permits not started, under way, ending within a week and expired."""
        today = (datetime.datetime.now(datetime.timezone.utc) +
                 datetime.timedelta(hours=7)).date()
        with mc.Server(self.db) as srv:
            verdicts, ending_soon, dates = {}, 0, set()
            for tok, _, _ in mc.code_list(self.db, "permit"):
                r, j = mc.api(srv.port, tok)
                self.assertEqual(r.status, 200, r)
                rec = j["record"]
                verdicts[rec["verdict"]] = verdicts.get(rec["verdict"], 0) + 1
                ends = datetime.date.fromisoformat(rec["ends_on"])
                if rec["status"] in ("issued", "in_progress") and 0 <= (ends - today).days <= 7:
                    ending_soon += 1
                dates.add(rec["issued_on"])
        for v in ("allowed", "not_started", "expired", "suspended", "revoked", "completed"):
            self.assertGreater(verdicts.get(v, 0), 0, "no %s permit in the demo: %r" % (v, verdicts))
        self.assertGreater(ending_soon, 0, "no permit ending within 7 days")
        # Every date moved by the same number of days: the latest issue date in data/ is
        # 2026-11-24, the day before the anchor.
        latest = max(datetime.date.fromisoformat(d) for d in dates)
        self.assertEqual(today - latest, datetime.date(2026, 11, 25) - datetime.date(2026, 11, 24))

    def test_demo_again_keeps_codes(self):
        t = mc.TempDir()
        self.addCleanup(t.cleanup)
        db = mc.new_db(t, "d.db")
        self.assertEqual(mc.run(["demo", "--db", db]).rc, 0)
        before = sorted(mc.code_list(db))
        r = mc.run(["demo", "--db", db])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(sorted(mc.code_list(db)), before)

    def test_revoke(self):
        t = mc.TempDir()
        self.addCleanup(t.cleanup)
        db = mc.new_db(t, "r.db")
        self.assertEqual(mc.run(["demo", "--db", db]).rc, 0)
        procs = mc.code_list(db, "procedure")
        a, b, c = procs[0][0], procs[1][0], procs[2][0]
        r = mc.run(["code", "revoke", "--db", db, a, "--replacement", b])
        self.assertEqual(r.rc, 0, r)
        active = {row[0] for row in mc.code_list(db)}
        self.assertNotIn(a, active)
        self.assertIn(b, active)
        self.assertEqual(mc.run(["code", "revoke", "--db", db, a]).rc, 1, "already revoked")
        self.assertEqual(mc.run(["code", "revoke", "--db", db, c, "--replacement", c]).rc, 1,
                         "a code cannot replace itself")
        self.assertEqual(mc.run(["code", "revoke", "--db", db, c, "--replacement", a]).rc, 1,
                         "a revoked code cannot be the replacement")
        self.assertEqual(mc.run(["code", "revoke", "--db", db, mc.mistype(c)]).rc, 1,
                         "mistyped token")
        self.assertIn(c, {row[0] for row in mc.code_list(db)}, "failed revokes change nothing")
        # Typed forms are accepted: lower case.
        r = mc.run(["code", "revoke", "--db", db, c.lower()])
        self.assertEqual(r.rc, 0, r)
        self.assertNotIn(c, {row[0] for row in mc.code_list(db)})


class Serve(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "s.db")
        cls.init = mc.run(["demo", "--db", cls.db])

    @classmethod
    def tearDownClass(cls):
        cls.t.cleanup()

    def start(self):
        self.assertEqual(self.init.rc, 0, self.init)
        srv = mc.Server(self.db, port=0)
        self.addCleanup(srv.close)
        srv.start()
        self.assertNotEqual(srv.port, 0)
        return srv

    def test_port_zero_and_sigterm(self):
        srv = self.start()
        self.assertIn("http://127.0.0.1:%d/" % srv.port, srv.first_line)
        self.assertEqual(srv.get("/healthz").status, 200)
        rc, in_time = srv.stop(signal.SIGTERM)
        self.assertTrue(in_time, "SIGTERM did not stop the server within 10 s")
        self.assertEqual(rc, 0, srv.stderr())

    def test_sigint(self):
        srv = self.start()
        self.assertEqual(srv.get("/healthz").status, 200)
        rc, in_time = srv.stop(signal.SIGINT)
        self.assertTrue(in_time, "SIGINT did not stop the server within 10 s")
        self.assertEqual(rc, 0, srv.stderr())

    def test_sigterm_with_idle_keepalive_connection(self):
        srv = self.start()
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
        self.addCleanup(s.close)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200"))
        rc, in_time = srv.stop(signal.SIGTERM)
        self.assertTrue(in_time, "an idle keep-alive connection kept the server from stopping")
        self.assertEqual(rc, 0, srv.stderr())

    def test_port_in_use_fails(self):
        with socket.socket() as blocker:
            blocker.bind(("127.0.0.1", 0))
            blocker.listen(1)
            port = blocker.getsockname()[1]
            r = mc.run(["serve", "--db", self.db, "--port", str(port), "--bind", "127.0.0.1"],
                       timeout=20)
            self.assertEqual(r.rc, 1, r)
            self.assertTrue(r.err.strip(), r)


if __name__ == "__main__":
    mc.main()
