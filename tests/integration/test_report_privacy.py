"""Issue 14, residents' reports: where a report may be sent from, and erasing what a resident
wrote on their request (Decree 13/2023) without breaking the audit chain.

- The report form carries a token tied to the permit and the ward-local day; a post from
  another site (a foreign Origin, "null", Sec-Fetch-Site cross-site) is refused, a post
  without Origin (an old browser) is judged by its token alone, and a token from before
  yesterday, or the old token tied to the permit for ever, is refused.
- A report's description and contact are sealed with a key of its own, kept outside the
  audit trail: the database never holds them in the clear. Staff erase them (and the photo):
  the key goes, the chain still verifies, and the text is gone from the pages, the audit
  export, the database dump and, on SQLite, the database's files on disk.
"""

import hashlib
import json
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
SLUG2 = "phuong-thu-hai"
PASSWORD = "mat-khau-bao-mat-14"
REF_RE = re.compile(r"PA-[0-9A-HJKMNP-TV-Z]{8}")
FOREIGN = "Biểu mẫu này chỉ gửi được từ trang của phường"
STALE = "Biểu mẫu đã cũ"


class Reports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "privacy.db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        r = mc.run(["import", "--db", cls.db, os.path.join(mc.FIXTURES, "ward2.csv")])
        assert r.rc == 0, r
        mc.add_user(cls.db, "lan", "staff", PASSWORD, SLUG)
        mc.add_user(cls.db, "minh", "staff", PASSWORD, SLUG2)
        mc.add_user(cls.db, "giamsat", "supervisor", PASSWORD)
        ids = mc.sql(cls.db, "SELECT p.id FROM permit p JOIN ward w ON w.id = p.ward_id WHERE "
                             "w.slug = '%s' AND status IN ('issued', 'in_progress') ORDER BY "
                             "p.id;" % SLUG).split()
        cls.permits = [int(x) for x in ids]
        # A report from before the words were sealed (schema 7 and older), in the clear.
        mc.sql(cls.db, "INSERT INTO report (ref, permit_id, category, description, contact, "
                       "client_key, created_at) VALUES ('PA-0LD00001', %d, 'other', "
                       "'Lời cũ của bà Tư, không niêm phong.', 'ba.tu@example.vn', 'k', "
                       "'2026-01-05T00:00:00Z');" % cls.permits[4])
        cls.srv = mc.start_server_with_base(cls.db)
        cls.port = cls.srv.port
        cls.base = "http://127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.close()
        finally:
            cls.t.cleanup()

    def login(self, name):
        return mc.staff_login(self, self.port, name, PASSWORD)

    def send(self, pid, source, headers=None, token=None, photo=None, **kw):
        c = mc.Client(self.port, source)
        action = "/w/%s/permits/%d/report" % (SLUG, pid)
        page = c.get("/w/%s/permits/%d" % (SLUG, pid))
        self.assertEqual(page.status, 200, mc.describe(page))
        f = dict(mc.find_form(page.body, action)["fields"])
        f.update({"category": "unsafe", "contact": "",
                  "description": "Giàn giáo không có lưới che chắn."})
        f.update(kw)
        if token is not None:
            f["token"] = token
        files = [("photo", "anh.jpg", "image/jpeg", photo)] if photo else []
        return c.post_multipart(action, list(f.items()), files, headers=headers), page

    def reports(self):
        return mc.sql(self.db, "SELECT count(*) FROM report;")

    def token(self, pid, day=None, purpose=None):
        secret = mc.sql(self.db, "SELECT value FROM setting WHERE key = 'secret';")
        if day is None:
            day = int((time.time() + 7 * 3600) // 86400)
        purpose = purpose or "report:%d:%d" % (pid, day)
        return hashlib.sha256((secret + "|" + purpose).encode()).hexdigest()

    # --- where a report comes from ----------------------------------------------------------

    def test_cross_site_posts_are_refused(self):
        pid = self.permits[0]
        for i, headers in enumerate(({"Origin": "http://evil.example"}, {"Origin": "null"},
                                     {"Origin": self.base + ".evil.example"},
                                     {"Sec-Fetch-Site": "cross-site"},
                                     {"Origin": self.base, "Sec-Fetch-Site": "same-site"})):
            with self.subTest(headers=headers):
                before = self.reports()
                r, _ = self.send(pid, "127.0.0.%d" % (120 + i), headers)
                self.assertEqual(r.status, 403, mc.describe(r))
                self.assertIn(FOREIGN, r.text)
                self.assertEqual(self.reports(), before, "nothing written")
        # From the site's own page, and from a browser that says nothing.
        for i, headers in enumerate(({"Origin": self.base, "Sec-Fetch-Site": "same-origin"},
                                     {"Origin": "http://127.0.0.1:%d" % self.port},
                                     {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
                                     None)):
            with self.subTest(headers=headers):
                r, page = self.send(pid, "127.0.0.%d" % (130 + i), headers)
                self.assertEqual(r.status, 200, mc.describe(r))
                self.assertTrue(REF_RE.search(r.text))
        # The pages with the form ask for the real Origin rather than "null", also when the
        # browser revalidates the page it keeps (it takes the 304's headers for it).
        self.assertEqual(page.header("Referrer-Policy"), "same-origin")
        again = mc.request(self.port, "/w/%s/permits/%d" % (SLUG, pid),
                           headers={"If-None-Match": page.header("ETag")})
        self.assertEqual(again.status, 304)
        self.assertEqual(again.header("Referrer-Policy"), "same-origin")

    def test_token_is_of_the_day(self):
        pid = self.permits[1]
        today = int((time.time() + 7 * 3600) // 86400)
        for i, (tok, status) in enumerate(((self.token(pid, today - 2), 403),
                                           (self.token(pid, purpose="report:%d" % pid), 403),
                                           (self.token(self.permits[2], today), 403),
                                           (self.token(pid, today - 1), 200),
                                           (self.token(pid, today), 200))):
            with self.subTest(i=i):
                before = self.reports()
                r, _ = self.send(pid, "127.0.0.%d" % (140 + i), token=tok)
                self.assertEqual(r.status, status, mc.describe(r))
                if status == 403:
                    self.assertIn(STALE, r.text)
                    self.assertEqual(self.reports(), before, "nothing written")

    # --- erasing a resident's words ---------------------------------------------------------

    def test_erase_personal_data(self):
        from test_files import jpeg
        pid = self.permits[3]
        words = "Cô Hoa ở số 14 thấy giàn giáo sắp đổ lúc 7 giờ sáng."
        contact = "0912 345 678, hoa.nguyen@example.vn"
        photo = jpeg(33)
        r, _ = self.send(pid, "127.0.0.150", description=words, contact=contact, photo=photo)
        self.assertEqual(r.status, 200, mc.describe(r))
        ref = REF_RE.search(r.text).group(0)
        rid = int(mc.sql(self.db, "SELECT id FROM report WHERE ref = '%s';" % ref))
        sha = mc.sha256_hex(photo)
        clear = [words.encode(), contact.encode()]
        # Sealed from the start: the database never holds the words in the clear.
        dump = mc.db_dump(self.db)
        for text in clear:
            self.assertNotIn(text, dump)
        key = mc.report_key(self.db, rid)
        self.assertTrue(key and re.fullmatch(r"[0-9a-f]{64}", key), key)
        created = [a for a in mc.audit_rows(self.db) if a["entity"] == "report"
                   and a["entity_id"] == rid]
        self.assertEqual([a["action"] for a in created], ["create"])
        sealed = (created[0]["after"]["description"], created[0]["after"]["contact"])
        self.assertEqual(tuple(mc.unseal(s, key) for s in sealed), (words, contact))
        lan, sup = self.login("lan"), self.login("giamsat")
        for c, path in ((lan, "/staff/reports"), (sup, "/supervise/permits/%d" % pid)):
            page = c.get(path)
            self.assertIn(words, page.text)
            self.assertIn(contact, page.text)
            self.assertNotIn("mc1:", page.text, "no sealed text on a page")
        self.assertEqual(lan.get("/staff/files/" + sha).status, 200)

        # Not without the confirmation, not by another ward, not by a supervisor.
        last = mc.audit_last_id(self.db)
        action = "/staff/reports/%d/erase" % rid
        r = lan.post(action, {"csrf": lan.csrf})
        self.assertEqual(r.status, 422, mc.describe(r))
        r = lan.post(action, {"csrf": lan.csrf, "confirm": "PA-00000000"})
        self.assertEqual(r.status, 422, mc.describe(r))
        minh = self.login("minh")
        r = minh.post(action, {"csrf": minh.csrf, "confirm": ref})
        self.assertEqual(r.status, 403, mc.describe(r))
        r = sup.post(action, {"csrf": sup.csrf, "confirm": ref})
        self.assertEqual(r.status, 403, mc.describe(r))
        self.assertEqual(mc.audit_last_id(self.db), last)
        self.assertEqual(mc.report_key(self.db, rid), key)

        self.assertIn('action="%s"' % action, lan.get("/staff/reports").text)
        r = lan.post(action, {"csrf": lan.csrf, "confirm": ref})
        self.assertEqual(r.status, 303, mc.describe(r))
        rows = mc.audit_rows(self.db, last)
        self.assertEqual([(a["entity"], a["action"], a["actor"]) for a in rows],
                         [("report", "erase", "lan")])
        self.assertIsNotNone(rows[0]["after"]["erased_at"])
        self.assertIsNone(rows[0]["after"]["photo_sha256"])

        # The chain verifies; the words are gone from every page, export and dump.
        r = mc.run(["audit", "verify", "--db", self.db])
        self.assertEqual(r.rc, 0, r)
        self.assertIsNone(mc.report_key(self.db, rid))
        for c, path in ((lan, "/staff/reports"), (sup, "/supervise/permits/%d" % pid),
                        (None, "/r/" + ref)):
            page = c.get(path) if c else mc.request(self.port, path)
            self.assertEqual(page.status, 200, path)
            for text in clear:
                self.assertNotIn(text, page.body, path)
            if c:
                self.assertIn("đã được xoá theo yêu cầu", page.text, path)
        self.assertEqual(lan.get("/staff/files/" + sha).status, 404)
        self.assertNotIn(sha, mc.stored_files(self.db), "the photo's content is gone")
        export = self.t.join("audit.jsonl")
        r = mc.run(["audit", "export", "--db", self.db, "--out", export])
        self.assertEqual(r.rc, 0, r)
        with open(export, "rb") as f:
            exported = f.read()
        dump = mc.db_dump(self.db)
        self.assertIn(sealed[0].encode(), exported, "the trail keeps what it held, sealed")
        for blob in (dump, exported):
            for text in clear:
                self.assertNotIn(text, blob)
            self.assertNotIn(key.encode(), blob)
        # No key anywhere in them opens what the trail holds.
        candidates = set(re.findall(rb"[0-9a-f]{64}", dump + exported))
        for s in sealed:
            self.assertFalse([k for k in candidates if mc.unseal(s, k.decode())],
                             "a key in the database opens the erased words")
        if not mc.is_pg(self.db):
            for path in (self.db, self.db + "-wal"):
                if os.path.exists(path):
                    with open(path, "rb") as f:
                        self.assertNotIn(key.encode(), f.read(), "the key is still in " + path)
        # Once is enough.
        r = lan.post(action, {"csrf": lan.csrf, "confirm": ref})
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assertIn("đã được xoá trước đó", r.text)
        # A report's follow-up stays: status and the ward's reply, as before.
        self.assertEqual(json.loads(mc.sql(self.db, "SELECT json_array(category, erased_at IS "
                                                    "NOT NULL) FROM report WHERE id = %d;" % rid,
                                           pg="SELECT json_build_array(category, erased_at IS "
                                              "NOT NULL) FROM report WHERE id = %d;" % rid)),
                         ["unsafe", 1 if not mc.is_pg(self.db) else True])

    def test_erase_a_report_from_before_sealing(self):
        rid = int(mc.sql(self.db, "SELECT id FROM report WHERE ref = 'PA-0LD00001';"))
        lan = self.login("lan")
        self.assertIn("Lời cũ của bà Tư", lan.get("/staff/reports").text)
        r = lan.post("/staff/reports/%d/erase" % rid, {"csrf": lan.csrf, "confirm": "PA-0LD00001"})
        self.assertEqual(r.status, 303, mc.describe(r))
        page = lan.get("/staff/reports").text
        self.assertNotIn("Lời cũ của bà Tư", page)
        self.assertNotIn("ba.tu@example.vn", page)
        # Blanked in the record (no key can erase them); the trail keeps the entries it had.
        self.assertEqual(mc.sql(self.db, "SELECT description || '|' || coalesce(contact, '-') "
                                         "FROM report WHERE id = %d;" % rid), "|-")
        self.assertEqual(mc.run(["audit", "verify", "--db", self.db]).rc, 0)


if __name__ == "__main__":
    mc.main()
