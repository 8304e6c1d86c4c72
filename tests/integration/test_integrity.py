"""Records that cannot be disguised or bent, against the real server and CLI (issue 14):
text fields refuse non-characters and bidirectional overrides, and the keychain SVG stays
well-formed XML whatever a ward is called; a CSV import cannot move a permit's status where
the staff pages would not; the audit table takes an insert only as the next entry, and
`audit verify` fails on ids below 1 and on entries outside the chain."""

import datetime
import os
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
PASSWORD = "mat-khau-cua-lan-1"
TODAY = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=7)).date()
ZERO = "0" * 64
# What a record must never hold: non-characters and the bidirectional controls that reorder
# what is shown (RLO makes "GP-\u202Efdp.exe" read as "GP-exe.pdf").
REFUSED = ["\ufffe", "\uffff", "\ufdd0", "\U0001fffe", "\u202a", "\u202b", "\u202c",
           "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
TEXT_MESSAGE = "Có ký tự không được phép"


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


def permit_fields(number, **kw):
    f = {"number": number, "kind": "repair", "address": "45 Đường Âu Dương Lân, Phường 7",
         "owner_name": "Trần Thị Hạnh", "scope": "Sửa chữa mái tôn", "floors": "3",
         "area_m2": "62.5", "height_m": "11.4", "contractor": "", "office": "UBND Phường 7",
         "issued_on": day(-10), "starts_on": day(-3), "ends_on": day(120)}
    f.update(kw)
    return f


class Text(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "text.db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        mc.add_user(cls.db, "lan", "staff", PASSWORD, SLUG)
        cls.srv = mc.Server(cls.db).start()
        cls.port = cls.srv.port

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.close()
        finally:
            cls.t.cleanup()

    def login(self):
        c = mc.Client(self.port)
        form = mc.find_form(c.get("/staff/login").body, "/staff/login")
        r = c.post("/staff/login", {"name": "lan", "password": PASSWORD,
                                    "csrf": mc.form_value(form, "csrf")})
        self.assertEqual(r.status, 303, mc.describe(r))
        r = c.get("/staff/permits")
        c.csrf = mc.form_value(mc.find_form(r.body, "/staff/logout"), "csrf")
        return c

    def test_staff_forms_refuse_disguised_text(self):
        c = self.login()
        permits = mc.sql(self.db, "SELECT count(*) FROM permit;")
        last = mc.audit_last_id(self.db)
        for i, ch in enumerate(REFUSED):
            for field, value in (("number", "%d/GP%s-TEXT" % (900 + i, ch)),
                                 ("owner_name", "Nguyễn %sVăn An" % ch),
                                 ("scope", "Sửa mái\nthay%s cửa" % ch)):
                f = permit_fields("%d/GPSC-TEXT" % (900 + i))
                f[field] = value
                r = c.post("/staff/permits", dict(f, csrf=c.csrf))
                self.assertEqual(r.status, 422, "U+%04X in %s: %s" % (ord(ch), field,
                                                                     mc.describe(r)))
                blocks = mc.field_blocks(r.body)
                self.assertTrue(any(TEXT_MESSAGE in t for t in blocks[field][1:]),
                                "no message beside %s: %r" % (field, blocks[field]))
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM permit;"), permits)
        self.assertEqual(mc.audit_last_id(self.db), last, "a refused form was audited")
        # Vietnamese text with the marks that only nudge direction (LRM) is taken.
        r = c.post("/staff/permits", dict(permit_fields("999/GPSC-TEXT",
                                                        owner_name="Lê Thị Ánh\u200e"),
                                          csrf=c.csrf))
        self.assertEqual(r.status, 303, mc.describe(r))

    def test_resident_report_refuses_disguised_text(self):
        pid = int(mc.sql(self.db, "SELECT min(id) FROM permit WHERE status = 'in_progress';"))
        c = mc.Client(self.port, "127.0.40.1")
        action = "/w/%s/permits/%d/report" % (SLUG, pid)
        form = mc.find_form(c.get("/w/%s/permits/%d" % (SLUG, pid)).body, action)
        self.assertIsNotNone(form, "no report form")
        reports = mc.sql(self.db, "SELECT count(*) FROM report;")
        f = {k: v for k, v in form["fields"]}
        f.update({"category": "other", "contact": "",
                  "description": "Thi công ban đêm \u202eồn ào\u202c quá mức cho phép."})
        r = c.post_multipart(action, list(f.items()))
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assertIn(TEXT_MESSAGE, mc.page_text(r.body))
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM report;"), reports)

    def test_import_refuses_disguised_text(self):
        path = self.t.join("permits-text.csv")
        for ch in ("\uffff", "\u2067"):
            mc.write_csv(path, mc.PERMIT_COLUMNS,
                         [mc.permit_row("1/GPSC-CSV"),
                          mc.permit_row("2/GPSC-CSV", owner_name="Phạm %sVăn Bình" % ch)])
            before = mc.db_dump(self.db)
            r = mc.run(["import", "--db", self.db, "--ward", SLUG, path])
            self.assertEqual(r.rc, 1, r)
            self.assertIn("%s:3:" % path, r.err)
            self.assertIn("column owner_name: U+%04X is not allowed" % ord(ch), r.err)
            self.assertEqual(mc.db_dump(self.db), before, "a rejected import wrote something")
        ward = self.t.join("ward-text.csv")
        mc.write_csv(ward, ["slug", "name"], [["phuong-la", "Phường \u202eLạ\u202c"]])
        r = mc.run(["import", "--db", self.db, ward])
        self.assertEqual(r.rc, 1, r)
        self.assertIn("column name: U+202E is not allowed", r.err)

    def test_keychain_svg_is_xml_for_any_ward_name(self):
        """A ward name that reached the database around the checks (an older version, or
        SQL by hand) with what XML forbids, what it must escape, and what reorders text: the
        SVG for the print shop still parses, and says the name as far as XML can."""
        c = self.login()
        wid = mc.sql(self.db, "SELECT id FROM ward WHERE slug = '%s';" % SLUG)
        original = mc.sql(self.db, "SELECT name FROM ward WHERE id = %s;" % wid)
        name = "Phường <7>&\"'\x01\x1f\ufffe\uffff]]>\u202e1"
        try:
            mc.sql(self.db, "UPDATE ward SET name = '%s' WHERE id = %s;"
                   % (name.replace("'", "''"), wid))
            r = c.get("/staff/print/keychain.svg?ward=%s" % SLUG)
            self.assertEqual(r.status, 200, mc.describe(r))
            self.assertTrue(r.header("Content-Type").startswith("image/svg+xml"))
            root = ET.fromstring(r.body)  # raises on a document that is not well-formed
            ns = "{http://www.w3.org/2000/svg}"
            title = root.find(ns + "title").text
            # The caption's shortened name, U+FFFD where XML allows nothing else.
            self.assertEqual(title, "Móc khoá mã QR · P. <7>&\"'\ufffd\ufffd\ufffd\ufffd]]>"
                                    "\u202e1")
            texts = [t.text for t in root.iter(ns + "text")]
            self.assertEqual(len(texts), 2 * 56, "56 labels, each a caption and a code")
            # The HTML sheet and the ward's Atom feed carry the name too.
            self.assertEqual(c.get("/staff/print/keychain?ward=%s" % SLUG).status, 200)
            r = mc.request(self.port, "/w/%s/feed.atom" % SLUG)
            self.assertEqual(r.status, 200, r)
            ET.fromstring(r.body)
        finally:
            mc.sql(self.db, "UPDATE ward SET name = '%s' WHERE id = %s;"
                   % (original.replace("'", "''"), wid))


class PermitStatus(unittest.TestCase):
    """`motcham import` may keep a permit's status or move it only where a staff member's
    status form may: never out of revoked or completed, never from issued to completed."""

    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "status.db")
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r

    @classmethod
    def tearDownClass(cls):
        cls.t.cleanup()

    def imp(self, rows, name):
        path = mc.write_csv(self.t.join(name), mc.PERMIT_COLUMNS, rows)
        return path, mc.run(["import", "--db", self.db, "--ward", SLUG, path])

    def status(self, number):
        return mc.sql(self.db, "SELECT status FROM permit WHERE number = '%s';" % number)

    def test_import_follows_the_staff_rule(self):
        path, r = self.imp([mc.permit_row("1/GPSC-ST", status="issued"),
                            mc.permit_row("2/GPSC-ST", status="in_progress"),
                            mc.permit_row("3/GPSC-ST", status="revoked",
                                          status_reason="Sai phạm nghiêm trọng"),
                            mc.permit_row("4/GPSC-ST", status="completed")], "st0.csv")
        self.assertEqual(r.rc, 0, r)
        refused = [("3/GPSC-ST", "issued", "revoked"), ("3/GPSC-ST", "in_progress", "revoked"),
                   ("4/GPSC-ST", "in_progress", "completed"),
                   ("1/GPSC-ST", "completed", "issued")]
        for i, (number, to, was) in enumerate(refused):
            before = mc.db_dump(self.db)
            path, r = self.imp([mc.permit_row("2/GPSC-ST", status="in_progress"),
                                mc.permit_row(number, status=to)], "st%d.csv" % (i + 1))
            self.assertEqual(r.rc, 1, "%s %s -> %s: %r" % (number, was, to, r))
            self.assertIn("%s:3: column status: permit %s is %s" % (path, number, was), r.err)
            self.assertEqual(mc.db_dump(self.db), before, "a rejected import wrote something")
            self.assertEqual(self.status(number), was)
        # Moves the staff pages allow go through, and keeping a status is no move.
        path, r = self.imp([mc.permit_row("1/GPSC-ST", status="in_progress"),
                            mc.permit_row("2/GPSC-ST", status="suspended",
                                          status_reason="Thi công quá giờ"),
                            mc.permit_row("3/GPSC-ST", status="revoked",
                                          status_reason="Sai phạm nghiêm trọng"),
                            mc.permit_row("4/GPSC-ST", status="completed")], "st-ok.csv")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([self.status("%d/GPSC-ST" % i) for i in (1, 2, 3, 4)],
                         ["in_progress", "suspended", "revoked", "completed"])


class AuditTable(unittest.TestCase):
    def setUp(self):
        self.t = mc.TempDir()
        self.db = mc.new_db(self.t, "trail.db")
        r = mc.run(["demo", "--db", self.db])
        self.assertEqual(r.rc, 0, r)
        self.n = mc.audit_last_id(self.db)
        self.head = mc.sql(self.db, "SELECT hash FROM audit WHERE id = %d;" % self.n)

    def tearDown(self):
        self.t.cleanup()

    def entry(self, id_, prev, hash_="f" * 64):
        return ("(%d, '2026-12-01T00:00:00Z', NULL, 'system', 'ward', 1, 'create', NULL, "
                "'{}', '%s', '%s')" % (id_, prev, hash_))

    def insert(self, id_, prev, verb="INSERT"):
        cols = "(id, at, actor_id, actor, entity, entity_id, action, before, after, " \
               "prev_hash, hash)"
        return mc.try_sql(self.db, "%s INTO audit %s VALUES %s;" % (verb, cols,
                                                                     self.entry(id_, prev)),
                          pg="INSERT INTO audit %s VALUES %s ON CONFLICT (id) DO UPDATE SET "
                             "actor = excluded.actor, after = excluded.after, "
                             "hash = excluded.hash;" % (cols, self.entry(id_, prev))
                          if verb != "INSERT" else None)

    def verify(self):
        return mc.run(["audit", "verify", "--db", self.db])

    def test_only_the_next_entry_goes_in(self):
        dump = mc.db_dump(self.db)
        for id_, prev, why in ((self.n + 2, self.head, "a gap"),
                               (self.n + 1, ZERO, "the wrong predecessor"),
                               (self.n + 1, "e" * 64, "a made-up predecessor"),
                               (-1, ZERO, "below 1"), (0, ZERO, "zero"),
                               (5, mc.sql(self.db, "SELECT prev_hash FROM audit WHERE id = 5;"),
                                "an id taken")):
            ok, _, err = self.insert(id_, prev)
            self.assertFalse(ok, why)
            self.assertIn("only ever the next one", err, why)
        # INSERT OR REPLACE (an upsert on PostgreSQL) cannot put an entry in an old one's place.
        for id_ in (5, self.n):
            prev = mc.sql(self.db, "SELECT prev_hash FROM audit WHERE id = %d;" % id_)
            ok, _, err = self.insert(id_, prev, "INSERT OR REPLACE")
            self.assertFalse(ok, "replaced entry %d" % id_)
            self.assertIn("only ever the next one", err)
        self.assertEqual(mc.db_dump(self.db), dump)
        self.assertEqual(self.verify().rc, 0)
        # The next entry, with the head as its predecessor, is what the table takes: here a
        # forged one, which the chain then refuses for its hash.
        ok, _, err = self.insert(self.n + 1, self.head)
        self.assertTrue(ok, err)
        r = self.verify()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("FAILED at entry %d: its content does not match its hash" % (self.n + 1),
                      r.out)

    def forge(self, sql):
        mc.sql(self.db, mc.unlock_audit_sql(self.db) + sql)

    def test_verify_fails_on_entries_below_one(self):
        for id_ in (-3, 0):
            t = mc.TempDir()
            try:
                self.db = mc.new_db(t, "below.db")
                self.assertEqual(mc.run(["demo", "--db", self.db]).rc, 0)
                self.forge("INSERT INTO audit VALUES %s;" % self.entry(id_, ZERO))
                r = self.verify()
                self.assertEqual(r.rc, 1, r)
                self.assertIn("FAILED at entry 1: an entry numbered %d stands before it"
                              % id_, r.out)
            finally:
                t.cleanup()

    def test_verify_fails_on_a_count_that_does_not_match(self):
        # The one id no walk "after" any id can reach.
        self.forge("INSERT INTO audit VALUES %s;" % self.entry(-2 ** 63, ZERO))
        r = self.verify()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("FAILED at entry 1: the trail holds %d entries, the chain %d"
                      % (self.n + 1, self.n), r.out)

    def test_verify_fails_on_a_gap_at_the_end(self):
        self.forge("INSERT INTO audit VALUES %s;" % self.entry(self.n + 3, self.head))
        r = self.verify()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("FAILED at entry %d: an entry before it is missing" % (self.n + 3), r.out)


class ListChecks(unittest.TestCase):
    """The columns that take one of a few words refuse any other, in the database itself, on
    a new database and on one made by an older motcham (schema 9 rewrote SQLite's IN lists
    as OR chains, which it tests without a throw-away table on every insert)."""

    def setUp(self):
        self.t = mc.TempDir()
        self.db = mc.new_db(self.t, "lists.db")
        r = mc.run(["demo", "--db", self.db])
        self.assertEqual(r.rc, 0, r)
        self.pid = int(mc.sql(self.db, "SELECT min(id) FROM permit;"))

    def tearDown(self):
        self.t.cleanup()

    def refused(self, query):
        ok, _, err = mc.try_sql(self.db, query)
        self.assertFalse(ok, query)
        self.assertIn("constraint", err.lower(), err)

    def test_each_word_and_nothing_else(self):
        for status in ("issued", "in_progress", "suspended", "revoked", "completed"):
            mc.sql(self.db, "UPDATE permit SET status = '%s' WHERE id = %d;" % (status, self.pid))
        for kind in ("repair", "renovation", "new_build"):
            mc.sql(self.db, "UPDATE permit SET kind = '%s' WHERE id = %d;" % (kind, self.pid))
        self.refused("UPDATE permit SET status = 'approved' WHERE id = %d;" % self.pid)
        self.refused("UPDATE permit SET status = NULL WHERE id = %d;" % self.pid)
        self.refused("UPDATE permit SET kind = 'Repair' WHERE id = %d;" % self.pid)
        self.refused("UPDATE permit SET kind = '' WHERE id = %d;" % self.pid)
        for kind in ("ward", "announcement", "procedure", "permit"):
            mc.sql(self.db, "INSERT INTO code (token, target_kind, target_id, created_at) "
                            "VALUES ('T%s', '%s', 1, '2026-12-02T00:00:00Z');" % (kind, kind))
        self.refused("INSERT INTO code (token, target_kind, target_id, created_at) "
                     "VALUES ('TX', 'user', 1, '2026-12-02T00:00:00Z');")
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM code WHERE token = 'TX';"), "0")

    def test_sqlite_tests_them_in_place(self):
        if mc.is_pg(self.db):
            self.skipTest("PostgreSQL tests an IN list in place; schema 9 changes nothing there")
        schema = mc.sql(self.db, "SELECT sql FROM sqlite_schema WHERE name IN ('permit', 'code');")
        self.assertIn("kind = 'repair' OR kind = 'renovation' OR kind = 'new_build'", schema)
        self.assertIn("status = 'issued' OR status = 'in_progress'", schema)
        self.assertIn("target_kind = 'ward' OR target_kind = 'announcement'", schema)
        self.assertNotIn("IN (", schema.replace("IN  (", "IN ("))
        self.assertEqual(mc.sql(self.db, "PRAGMA integrity_check;"), "ok")


if __name__ == "__main__":
    mc.main()
