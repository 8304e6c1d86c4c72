"""Issue 5: the tamper-evident audit trail, its export, backups, ward merges and scan counts.

Tampering is done the way a dishonest operator would: with the database's own shell (sqlite3 or
psql), lifting the append-only guard first (mc.unlock_audit_sql).
"""

import json
import os
import re
import threading
import time
import unittest

import mc

SLUG = mc.SLUG


def demo_db(tmp, name="a.db"):
    db = mc.new_db(tmp, name)
    r = mc.run(["demo", "--db", db])
    assert r.rc == 0, r
    return db


class Chain(unittest.TestCase):
    def setUp(self):
        self.tmp = mc.TempDir()
        self.db = demo_db(self.tmp)
        # A few hundred entries: the demo (188) plus a re-import that updates every record.
        r = mc.run(["demo", "--db", self.db])
        self.assertEqual(r.rc, 0, r)
        self.n = int(mc.sql(self.db, "SELECT count(*) FROM audit"))
        self.assertGreaterEqual(self.n, 250)

    def tearDown(self):
        self.tmp.cleanup()

    def tamper(self, sql):
        """Runs sql on the audit table with its append-only guard lifted."""
        mc.sql(self.db, mc.unlock_audit_sql(self.db) + sql)

    def verify(self):
        return mc.run(["audit", "verify", "--db", self.db])

    def test_untouched_chain_verifies(self):
        r = self.verify()
        self.assertEqual(r.rc, 0, r)
        self.assertIn("OK, %d entries" % self.n, r.out)

    def test_append_only_triggers(self):
        for sql in ("UPDATE audit SET actor = 'x' WHERE id = 5", "DELETE FROM audit WHERE id = 5"):
            ok, _, _ = mc.try_sql(self.db, sql)
            self.assertFalse(ok, sql)
        self.assertEqual(self.verify().rc, 0)

    def assert_fails_at(self, entry):
        r = self.verify()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("FAILED at entry %d" % entry, r.out, r)

    def test_changed_field_is_named(self):
        self.tamper("UPDATE audit SET after = replace(after, 'Phường', 'Phuong')"
                    " WHERE id = 123;")
        self.assert_fails_at(123)

    def test_changed_actor_is_named(self):
        self.tamper("UPDATE audit SET actor = 'someone-else' WHERE id = 250;")
        self.assert_fails_at(250)

    def test_deleted_entry_is_found(self):
        self.tamper("DELETE FROM audit WHERE id = 77;")
        # The entry that no longer follows its predecessor is the one after the gap.
        self.assert_fails_at(78)

    def test_swapped_entries_are_found(self):
        self.tamper("UPDATE audit SET id = -1 WHERE id = 40;"
                    "UPDATE audit SET id = 40 WHERE id = 41;"
                    "UPDATE audit SET id = 41 WHERE id = -1;")
        self.assert_fails_at(40)

    def test_rehashed_entry_still_breaks_the_chain(self):
        # A forger who recomputes the entry's own hash still breaks the link to the next one.
        row = mc.sql(self.db, "SELECT hash FROM audit WHERE id = 60")
        self.tamper("UPDATE audit SET hash = '%s' WHERE id = 60;" % ("f" * 64))
        self.assertNotEqual(row, "f" * 64)
        self.assert_fails_at(60)

    def test_export_is_json_lines_and_reverifiable(self):
        out = self.tmp.join("audit.jsonl")
        r = mc.run(["audit", "export", "--db", self.db, "--out", out])
        self.assertEqual(r.rc, 0, r)
        with open(out, encoding="utf-8") as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual(len(lines), self.n)
        # Recompute every hash from the exported fields alone: verifiable elsewhere.
        prev = "0" * 64
        for e in lines:
            self.assertEqual(e["prev_hash"], prev)
            canon = "motcham-audit-1\n%d\n%d\n%d\n" % (e["id"], e["actor_id"], e["entity_id"])
            for k in ("at", "actor", "entity", "action", "before", "after", "prev_hash"):
                v = e[k]
                canon += "-\n" if v is None else "%d:%s\n" % (len(v.encode()), v)
            self.assertEqual(mc.sha256_hex(canon.encode()), e["hash"], e["id"])
            prev = e["hash"]
        self.assertIn("Phường 7, Quận 8", lines[0]["after"])
        r = mc.run(["audit", "export", "--db", self.db, "--since", "2199-12-31"])
        self.assertEqual((r.rc, r.out), (0, ""))
        r = mc.run(["audit", "export", "--db", self.db, "--since", "yesterday"])
        self.assertEqual(r.rc, 2, r)


class Backup(unittest.TestCase):
    def setUp(self):
        self.tmp = mc.TempDir()
        self.db = demo_db(self.tmp)

    def tearDown(self):
        self.tmp.cleanup()

    def test_backup_during_write_load_verifies(self):
        stop = threading.Event()
        errors = []

        def load():
            while not stop.is_set():
                r = mc.run(["demo", "--db", self.db])
                if r.rc != 0:
                    errors.append(r)

        t = threading.Thread(target=load)
        t.start()
        try:
            for i in range(3):
                copy = self.tmp.join("copy%d.db" % i)
                r = mc.run(["backup", "--db", self.db, "--to", copy])
                self.assertEqual(r.rc, 0, r)
                self.assertIn("verified", r.out)
                # The restore test: the copy opens, verifies and serves as a database.
                self.assertEqual(mc.integrity_check(copy), "ok")
                r = mc.run(["audit", "verify", "--db", copy])
                self.assertEqual(r.rc, 0, r)
                self.assertGreaterEqual(len(mc.code_list(copy)), 78)
        finally:
            stop.set()
            t.join(timeout=120)
        self.assertEqual(errors, [])

    def test_backup_refuses_to_overwrite(self):
        target = self.tmp.join("exists.db")
        open(target, "w").close()
        r = mc.run(["backup", "--db", self.db, "--to", target])
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(os.path.getsize(target), 0)


class Merge(unittest.TestCase):
    def setUp(self):
        self.tmp = mc.TempDir()
        self.db = demo_db(self.tmp)
        r = mc.run(["import", "--db", self.db, os.path.join(mc.FIXTURES, "ward2.csv")])
        self.assertEqual(r.rc, 0, r)

    def tearDown(self):
        self.tmp.cleanup()

    def test_merge_moves_everything_audited_and_codes_still_resolve(self):
        before = {c[0]: c for c in mc.code_list(self.db)}
        n0 = int(mc.sql(self.db, "SELECT count(*) FROM audit"))
        r = mc.run(["ward", "merge", "--db", self.db, "--from", SLUG, "--into", "phuong-thu-hai"])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("40 permits", r.out)
        left = mc.sql(self.db, "SELECT count(*) FROM permit p JOIN ward w ON w.id = p.ward_id "
                      "WHERE w.slug = '%s'" % SLUG)
        self.assertEqual(left, "0")
        moved = int(mc.sql(self.db, "SELECT count(*) FROM audit WHERE action = 'merge'"))
        n1 = int(mc.sql(self.db, "SELECT count(*) FROM audit"))
        self.assertEqual(n1 - n0, moved)
        self.assertEqual(mc.run(["audit", "verify", "--db", self.db]).rc, 0)
        self.assertEqual({c[0]: c for c in mc.code_list(self.db)}.keys(), before.keys())
        with mc.Server(self.db) as srv:
            for token, kind, title in list(before.values()):
                resp = mc.request(srv.port, "/q/" + token)
                self.assertEqual(resp.status, 200, (token, kind))
                if kind != "ward":
                    self.assertIn(mc.html.escape(title, quote=False), resp.text)
            # The old keychain opens the new ward's home, naming the old ward.
            old_key = [t for t, k, title in before.values() if k == "ward"
                       and title == "Phường 7, Quận 8"][0]
            page = mc.request(srv.port, "/q/" + old_key).text
            self.assertIn("Phường 7, Quận 8", page)
            self.assertIn("đã sáp nhập vào", page)
            self.assertIn("Phường Thử Hai, Quận 8", page)
        r = mc.run(["ward", "merge", "--db", self.db, "--from", SLUG, "--into", "phuong-thu-hai"])
        self.assertEqual(r.rc, 1, r)

    def test_merge_into_itself_or_unknown_changes_nothing(self):
        dump = mc.db_dump(self.db)
        for into in (SLUG, "khong-co-phuong-nay"):
            r = mc.run(["ward", "merge", "--db", self.db, "--from", SLUG, "--into", into])
            self.assertEqual(r.rc, 1, r)
        self.assertEqual(mc.db_dump(self.db), dump)


class Scans(unittest.TestCase):
    def setUp(self):
        self.tmp = mc.TempDir()
        self.db = demo_db(self.tmp)

    def tearDown(self):
        self.tmp.cleanup()

    def test_scan_counts_match_requests_after_stop(self):
        self.check_scan_counts([])

    def test_scan_counts_without_page_cache(self):
        """--page-cache 0 renders every page from the database and still counts every scan."""
        self.check_scan_counts(["--page-cache", "0"])

    def check_scan_counts(self, extra):
        codes = mc.code_list(self.db)
        permit = [c for c in codes if c[1] == "permit"][0][0]
        proc = [c for c in codes if c[1] == "procedure"][0][0]
        with mc.Server(self.db, extra=extra) as srv:
            first = mc.request(srv.port, "/q/" + permit)
            self.assertEqual(first.status, 200)
            for _ in range(136):
                r = mc.request(srv.port, "/q/" + permit)
                self.assertEqual(r.status, 200)
                self.assertEqual(r.body, first.body)
            for _ in range(23):
                self.assertEqual(mc.request(srv.port, "/Q/" + proc.lower()).status, 200)
            for _ in range(5):
                self.assertEqual(mc.request(srv.port, "/q/" + mc.mistype(permit)).status, 404)
            # Pages that are not scans are not counted.
            self.assertEqual(mc.request(srv.port, "/w/" + SLUG).status, 200)
        # The server has stopped (SIGTERM): everything queued must be on disk now.
        def count(token):
            return int(mc.sql(self.db, "SELECT coalesce(sum(d.count), 0) FROM scan_daily d "
                              "JOIN code c ON c.id = d.code_id WHERE c.token = '%s'" % token))
        self.assertEqual(count(permit), 137)
        self.assertEqual(count(proc), 23)
        self.assertEqual(mc.sql(self.db, "SELECT sum(count) FROM scan_miss_daily "
                                "WHERE reason = 'mistyped'"), "5")
        self.assertEqual(mc.sql(self.db, "SELECT sum(count) FROM scan_daily"), "160")
        # Nothing that identifies a person: no address anywhere in the database.
        self.assertNotIn(b"127.0.0.1", mc.db_dump(self.db))


class Operations(unittest.TestCase):
    def setUp(self):
        self.tmp = mc.TempDir()
        self.db = demo_db(self.tmp)

    def tearDown(self):
        self.tmp.cleanup()

    def test_metrics_only_for_allowed_addresses(self):
        token = mc.code_list(self.db, "permit")[0][0]
        with mc.Server(self.db, extra=["--metrics-allow", "127.0.0.1"]) as srv:
            for _ in range(7):
                self.assertEqual(mc.request(srv.port, "/q/" + token).status, 200)
            self.assertEqual(mc.request(srv.port, "/q/" + mc.mistype(token)).status, 404)
            # A request is counted when its worker finishes it, which can be a
            # moment after the client has read the answer: poll briefly.
            deadline = time.monotonic() + 5
            while True:
                r = mc.request(srv.port, "/metrics")
                self.assertEqual(r.status, 200, r)
                text = r.text
                # Whole lines: the /metrics route's own counter must not end the wait.
                if ('motcham_http_requests_total{route="code",status="200"} 7\n' in text and
                        'motcham_http_requests_total{route="code",status="404"} 1\n' in text) \
                        or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.assertTrue(r.header("Content-Type").startswith("text/plain"), r)
            self.assertIn('motcham_http_requests_total{route="code",status="200"} 7', text)
            self.assertIn('motcham_http_requests_total{route="code",status="404"} 1', text)
            self.assertIn("motcham_http_request_seconds_bucket{le=\"+Inf\"}", text)
            self.assertIn("motcham_scans_queued_total 8", text)
            self.assertIn("motcham_db_errors_total 0", text)
        # Without --metrics-allow nobody may read them.
        with mc.Server(self.db) as srv:
            self.assertEqual(mc.request(srv.port, "/metrics").status, 403)

    def test_access_log_one_line_per_request(self):
        log = self.tmp.join("access.log")
        token = mc.code_list(self.db, "permit")[0][0]
        with mc.Server(self.db, extra=["--access-log", log]) as srv:
            paths = ["/q/" + token, "/w/" + SLUG, "/khong-co", "/assets/style.css"]
            for p in paths:
                mc.request(srv.port, p)
        with open(log, encoding="utf-8") as f:
            lines = f.read().splitlines()
        self.assertEqual(len(lines), len(paths), lines)
        line = re.compile(r'^[0-9a-f]{12} - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] '
                          r'"GET (\S+) HTTP/1\.1" (\d{3}) (\d+) [0-9.]+$')
        # Workers log when a request completes, so two quick requests may swap lines.
        got = {m.group(1): m.group(2) for m in (line.match(l) for l in lines) if m}
        self.assertEqual(got, dict(zip(paths, ["200", "200", "404", "200"])), lines)
        # Addresses are not written down: the client appears as a keyed hash.
        self.assertNotIn("127.0.0.1", "\n".join(lines))


if __name__ == "__main__":
    unittest.main()
