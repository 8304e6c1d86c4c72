"""The lobby kiosk end to end: the page without JavaScript, the feed and its ETag, the
heartbeat's bounds and rate limits, hostile input, the staff's kiosk page (urgent notices,
featured procedures, added pages) with an audit entry for every change, and another ward's
records kept apart.

One demo database with a second ward and three accounts, one server for the whole class. Tests
that send many beats do it from their own loopback source address (127.0.0.N), so the
per-client limit of one test never touches another.
"""

import datetime
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
PASSWORDS = {"lan": "mat-khau-cua-lan-1", "minh": "mat-khau-cua-minh-2",
             "giamsat": "mat-khau-giam-sat-3"}
TODAY = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=7)).date()
BEATS_MAX = 600  # src/public/kiosk_beat.c
KIOSK_SCREENS = 32  # MC_KIOSK_SCREENS


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


class Kiosk(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "kiosk.db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        r = mc.run(["import", "--db", cls.db, os.path.join(mc.FIXTURES, "ward2.csv")])
        assert r.rc == 0, r
        mc.add_user(cls.db, "lan", "staff", PASSWORDS["lan"], SLUG)
        mc.add_user(cls.db, "minh", "staff", PASSWORDS["minh"], SLUG2)
        mc.add_user(cls.db, "giamsat", "supervisor", PASSWORDS["giamsat"])
        cls.ward_id = int(mc.sql(cls.db, "SELECT id FROM ward WHERE slug = '%s';" % SLUG))
        cls.ward2_id = int(mc.sql(cls.db, "SELECT id FROM ward WHERE slug = '%s';" % SLUG2))
        cls.srv = mc.start_server_with_base(cls.db)
        cls.port = cls.srv.port
        cls.base = "http://127.0.0.1:%d" % cls.port
        cls.staff = {}

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.close()
        finally:
            cls.t.cleanup()

    # --- helpers ----------------------------------------------------------------------------

    def login(self, name):
        """A signed-in client and its CSRF token (one session per account for the class)."""
        if name not in self.staff:
            c = mc.Client(self.port)
            form = mc.find_form(c.get("/staff/login").body, "/staff/login")
            r = c.post("/staff/login", {"name": name, "password": PASSWORDS[name],
                                        "csrf": mc.form_value(form, "csrf")})
            self.assertEqual(r.status, 303, mc.describe(r))
            r = c.get("/staff/kiosk")
            self.assertEqual(r.status, 200, mc.describe(r))
            m = re.search(rb'name="csrf" value="([0-9a-f]+)"', r.body)
            self.assertIsNotNone(m, "no CSRF token on /staff/kiosk")
            self.staff[name] = (c, m.group(1).decode())
        return self.staff[name]

    def post(self, name, path, fields):
        c, csrf = self.login(name)
        return c.post(path, dict(fields, csrf=csrf))

    def feed(self, slug=SLUG, headers=None):
        r = mc.request(self.port, "/kiosk/%s/feed.json" % slug, headers=headers)
        if r.status == 200:
            self.assertEqual(r.header("Content-Type"), "application/json; charset=utf-8")
            r.json = json.loads(r.body)
        return r

    def beat(self, fields, source=None, slug=SLUG):
        return mc.Client(self.port, source).post("/kiosk/%s/beat" % slug, fields)

    def current_announcements(self, ward_id):
        out = mc.sql(self.db, "SELECT id FROM announcement WHERE ward_id = %d AND "
                                 "published_on <= '%s' AND (expires_on IS NULL OR expires_on >= "
                                 "'%s') AND retired_at IS NULL;" % (ward_id, day(0), day(0)))
        return {int(x) for x in out.split()}

    def token(self, kind, rid):
        return mc.sql(self.db, "SELECT token FROM code WHERE target_kind = '%s' AND "
                                  "target_id = %d AND revoked_at IS NULL ORDER BY id DESC "
                                  "LIMIT 1;" % (kind, rid))

    def procedure(self, ward_id, n=0):
        return int(mc.sql(self.db, "SELECT id FROM procedure WHERE ward_id = %d AND "
                                      "retired_at IS NULL ORDER BY id LIMIT 1 OFFSET %d;"
                             % (ward_id, n)))

    def screens(self):
        return int(mc.sql(self.db, "SELECT count(*) FROM kiosk_screen;"))

    # --- the page and the feed --------------------------------------------------------------

    def test_page_works_without_javascript(self):
        r = mc.request(self.port, "/kiosk/%s" % SLUG)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
        csp = r.header("Content-Security-Policy")
        self.assertIn("script-src 'self'", csp)
        self.assertNotIn("unsafe-inline", csp)
        body = r.text
        # Without a script the page refreshes itself, and the first slide is the one shown.
        self.assertRegex(body, r'<noscript><meta http-equiv="refresh" content="\d+"></noscript>')
        shown = re.findall(r'<section class="slide on" data-key="([a-z]+):(\d+)"', body)
        self.assertEqual(len(shown), 1, "one slide shown without a script")
        self.assertEqual(len(re.findall(r'<section class="slide[ "]', body)),
                         len(self.feed().json["slides"]))
        kind, rid = shown[0][0], int(shown[0][1])
        first = body[body.index('class="slide on"'):]
        first = first[:first.index("</section>")]
        self.assertIn('src="/qr/%s.svg"' % self.token(kind, rid), first)
        self.assertIn(self.token(kind, rid), mc.page_text(first.encode()))
        # Its script is the site's own; nothing comes from elsewhere.
        self.assertEqual(re.findall(r"<script[^>]*>", body),
                         ['<script src="/assets/kiosk.js" defer>'])
        self.assertEqual(mc.foreign_urls(r.body, self.port), [])
        text = mc.page_text(r.body)
        self.assertIn("Giờ làm việc", text)
        self.assertIn("%02d/%02d/%04d" % (TODAY.day, TODAY.month, TODAY.year), text)
        self.assertRegex(text, r"\b\d\d:\d\d\b")

    def test_small_on_the_wire(self):
        # Every procedure's full-screen view is in the page (so a screen offline can still
        # open one with its code): plain it is larger than a resident's page, compressed not.
        for path in ("/kiosk/%s" % SLUG, "/kiosk/%s/feed.json" % SLUG):
            r = mc.request(self.port, path, headers={"Accept-Encoding": "gzip"})
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.header("Content-Encoding"), "gzip", path)
            self.assertLess(len(r.body), mc.PAGE_LIMIT, path)

    def test_assets_of_the_screen(self):
        js = mc.request(self.port, "/assets/kiosk.js")
        self.assertEqual(js.status, 200)
        self.assertEqual(js.header("Content-Type"), "text/javascript; charset=utf-8")
        sw = mc.request(self.port, "/assets/kiosk-sw.js")
        self.assertEqual(sw.status, 200)
        self.assertEqual(sw.header("Service-Worker-Allowed"), "/")
        self.assertIn("connect-src 'self'", sw.header("Content-Security-Policy"))
        # Other assets keep the site's policy, which runs no script and fetches nothing.
        css = mc.request(self.port, "/assets/kiosk.css")
        self.assertNotIn("connect-src", css.header("Content-Security-Policy"))
        self.assertIsNone(css.header("Service-Worker-Allowed"))

    def test_feed_has_the_announcements_and_their_codes(self):
        r = self.feed()
        self.assertEqual(r.status, 200, r)
        self.assertRegex(r.header("ETag"), r'^"[0-9a-f]{32}"$')
        j = r.json
        self.assertEqual(j["ward"], {"slug": SLUG, "name": "Phường 7, Quận 8"})
        anns = {s["id"] for s in j["slides"] if s["kind"] == "announcement"}
        self.assertEqual(anns, self.current_announcements(self.ward_id))
        self.assertEqual(j["slides"][-1]["kind"], "ward")
        for s in j["slides"]:
            self.assertEqual(s["key"], "%s:%d" % (s["kind"], s["id"]))
            tok = self.token("ward" if s["kind"] == "slide" else s["kind"],
                             self.ward_id if s["kind"] == "slide" else s["id"])
            self.assertEqual(s["token"], tok)
            self.assertEqual(s["url"], mc.qr_url(self.base, tok))
            self.assertIn('data-key="%s"' % s["key"], j["html"])
            self.assertIn('/qr/%s.svg' % tok, j["html"])
        # The touch list has every procedure of the ward, each with its full-screen view.
        procs = mc.sql(self.db, "SELECT id FROM procedure WHERE ward_id = %d AND retired_at "
                                   "IS NULL;" % self.ward_id).split()
        for pid in procs:
            self.assertIn('data-proc="%s"' % pid, j["html"])
            self.assertIn('id="k-p%s"' % pid, j["html"])

    def test_etag_gives_304_until_something_changes(self):
        r = self.feed()
        etag = r.header("ETag")
        again = self.feed(headers={"If-None-Match": etag})
        self.assertEqual(again.status, 304, again)
        self.assertEqual(again.body, b"")
        self.assertEqual(again.header("ETag"), etag)
        # The page carries the same ETag, for the screen's first poll.
        page = mc.request(self.port, "/kiosk/%s" % SLUG)
        self.assertIn('data-etag="%s"' % etag.replace('"', "&quot;"), page.text)
        r = self.post("lan", "/staff/kiosk/slides", {
            "ward": SLUG, "title": "Lịch nghỉ Tết Nguyên đán", "body": "Nghỉ từ 28 tháng Chạp.",
            "shows_from": day(0), "shows_until": day(30), "seconds": "15"})
        self.assertEqual(r.status, 303, mc.describe(r))
        changed = self.feed(headers={"If-None-Match": etag})
        self.assertEqual(changed.status, 200, changed)
        self.assertNotEqual(changed.header("ETag"), etag)
        slide = [s for s in changed.json["slides"] if s["title"] == "Lịch nghỉ Tết Nguyên đán"]
        self.assertEqual(len(slide), 1)
        self.assertEqual(slide[0]["seconds"], 15)
        self.assertEqual(slide[0]["token"], self.token("ward", self.ward_id))

    def test_slides_show_on_their_days_only(self):
        r = self.post("lan", "/staff/kiosk/slides", {
            "ward": SLUG, "title": "Trang của tuần sau", "body": "Chưa đến ngày hiện.",
            "shows_from": day(7), "shows_until": "", "seconds": "12"})
        self.assertEqual(r.status, 303, mc.describe(r))
        titles = [s["title"] for s in self.feed().json["slides"]]
        self.assertNotIn("Trang của tuần sau", titles)
        # A range that ends before it starts is refused next to the field, nothing saved.
        before = mc.audit_last_id(self.db)
        r = self.post("lan", "/staff/kiosk/slides", {
            "ward": SLUG, "title": "Ngày ngược", "body": "Sai ngày.",
            "shows_from": day(3), "shows_until": day(1), "seconds": "12"})
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assertIn("Ngày kết thúc phải từ ngày bắt đầu trở đi.",
                      " ".join(mc.field_blocks(r.body)["shows_until"]))
        self.assertEqual(mc.audit_last_id(self.db), before)

    def test_escaping_in_page_and_feed(self):
        evil = 'Thông báo <script>alert("x")</script> & \'nháy\''
        mc.sql(self.db, "INSERT INTO kiosk_slide (ward_id, title, body, shows_from, seconds, "
                           "updated_at) VALUES (%d, '%s', '<img src=x onerror=alert(1)>', '%s', "
                           "12, '%s');" % (self.ward_id, evil.replace("'", "''"), day(0), day(0)))
        try:
            page = mc.request(self.port, "/kiosk/%s" % SLUG).text
            html = self.feed().json["html"]
            for text in (page, html):
                self.assertNotIn("<script>alert", text)
                self.assertNotIn("<img src=x", text)
                self.assertIn("&lt;script&gt;", text)
        finally:
            mc.sql(self.db, "DELETE FROM kiosk_slide WHERE body LIKE '<img%';")

    # --- urgent notices ---------------------------------------------------------------------

    def test_urgent_notice_until_lifted_or_expired(self):
        before = mc.audit_last_id(self.db)
        r = self.post("lan", "/staff/kiosk/notices", {
            "ward": SLUG, "title": "Tạm dừng tiếp nhận hồ sơ đến 14:00",
            "body": "Mất điện toàn khu vực.", "minutes": "30"})
        self.assertEqual(r.status, 303, mc.describe(r))
        urgent = self.feed().json["urgent"]
        self.assertEqual(urgent["title"], "Tạm dừng tiếp nhận hồ sơ đến 14:00")
        self.assertAlmostEqual(urgent["expires_at"], time.time() + 1800, delta=120)
        self.assertIn('class="urgent"', self.feed().json["html"])
        self.assertIsNone(self.feed(SLUG2).json["urgent"], "another ward's screens stay as they are")
        nid = urgent["id"]
        r = self.post("lan", "/staff/kiosk/notices/%d/lift" % nid, {})
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertIsNone(self.feed().json["urgent"])
        rows = mc.audit_rows(self.db, before)
        self.assertEqual([(a["entity"], a["action"], a["actor"]) for a in rows],
                         [("kiosk_notice", "create", "lan"), ("kiosk_notice", "lift", "lan")])
        self.assertIsNotNone(rows[1]["after"]["lifted_at"])
        # One that expires on its own leaves the screens at its time, with no record change.
        r = self.post("lan", "/staff/kiosk/notices", {"ward": SLUG, "title": "Hết hạn sớm",
                                                      "body": "", "minutes": "15"})
        self.assertEqual(r.status, 303, mc.describe(r))
        etag = self.feed().header("ETag")
        self.assertEqual(self.feed().json["urgent"]["title"], "Hết hạn sớm")
        mc.sql(self.db, "UPDATE kiosk_notice SET created_at = created_at - 3600, "
                           "expires_at = %d WHERE title = 'Hết hạn sớm';" % (time.time() - 1))
        after = self.feed(headers={"If-None-Match": etag})
        self.assertEqual(after.status, 200)
        self.assertIsNone(after.json["urgent"])
        # A bad choice of duration is refused next to its field.
        r = self.post("lan", "/staff/kiosk/notices", {"ward": SLUG, "title": "Sai thời gian",
                                                      "body": "", "minutes": "7"})
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assertIn("minutes", [k for k, v in mc.field_blocks(r.body).items()
                                  if any("Vui lòng chọn" in t for t in v)])

    # --- featured procedures ----------------------------------------------------------------

    def test_featured_procedures_in_their_order(self):
        ids = [self.procedure(self.ward_id, n) for n in (3, 5, 7)]
        before = mc.audit_last_id(self.db)
        for pid in ids:
            r = self.post("lan", "/staff/kiosk/features",
                          {"ward": SLUG, "procedure": str(pid), "seconds": "20"})
            self.assertEqual(r.status, 303, mc.describe(r))
        def order():
            return [s["id"] for s in self.feed().json["slides"] if s["kind"] == "procedure"]
        self.assertEqual(order(), ids)
        fid = {int(p): int(f) for f, p in (row.split("|") for row in mc.sql(
            self.db, "SELECT id, procedure_id FROM kiosk_feature;").split())}
        r = self.post("lan", "/staff/kiosk/features/%d/up" % fid[ids[2]], {})
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(order(), [ids[0], ids[2], ids[1]])
        r = self.post("lan", "/staff/kiosk/features/%d/remove" % fid[ids[0]], {})
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(order(), [ids[2], ids[1]])
        self.assertTrue(all(s["seconds"] == 20 for s in self.feed().json["slides"]
                            if s["kind"] == "procedure"))
        # Twice the same procedure: refused next to the field.
        r = self.post("lan", "/staff/kiosk/features",
                      {"ward": SLUG, "procedure": str(ids[1]), "seconds": "12"})
        self.assertEqual(r.status, 422, mc.describe(r))
        rows = mc.audit_rows(self.db, before)
        self.assertEqual([(a["entity"], a["action"]) for a in rows],
                         [("kiosk_feature", "create")] * 3 + [("kiosk_feature", "move")] * 2 +
                         [("kiosk_feature", "delete")])
        self.assertTrue(all(a["actor"] == "lan" for a in rows))
        self.assertIsNone(rows[-1]["after"])
        for f in list(fid.values())[1:]:
            self.post("lan", "/staff/kiosk/features/%d/remove" % f, {})

    def test_most_scanned_when_none_featured(self):
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM kiosk_feature WHERE ward_id = "
                                            "%d;" % self.ward_id), "0")
        a, b = self.procedure(self.ward_id, 10), self.procedure(self.ward_id, 12)
        for pid, n in ((a, 9), (b, 40)):
            mc.sql(self.db, "INSERT INTO scan_daily (code_id, day, count) SELECT id, '%s', %d "
                               "FROM code WHERE target_kind = 'procedure' AND target_id = %d;"
                      % (day(-1), n, pid))
        try:
            slides = [s for s in self.feed().json["slides"] if s["kind"] == "procedure"]
            self.assertEqual([s["id"] for s in slides], [b, a])
            self.assertEqual(slides[0]["token"], self.token("procedure", b))
        finally:
            mc.sql(self.db, "DELETE FROM scan_daily;")
        self.assertEqual([s for s in self.feed().json["slides"] if s["kind"] == "procedure"], [])

    # --- another ward, other roles, forged input --------------------------------------------

    def test_another_wards_records_stay_apart(self):
        mine = self.procedure(self.ward_id, 1)
        r = self.post("lan", "/staff/kiosk/features", {"ward": SLUG, "procedure": str(mine),
                                                       "seconds": "12"})
        self.assertEqual(r.status, 303, mc.describe(r))
        fid = int(mc.sql(self.db, "SELECT id FROM kiosk_feature WHERE procedure_id = %d;"
                            % mine))
        r = self.post("lan", "/staff/kiosk/notices", {"ward": SLUG, "title": "Chỉ phường 7",
                                                      "body": "", "minutes": "60"})
        self.assertEqual(r.status, 303, mc.describe(r))
        nid = int(mc.sql(self.db, "SELECT max(id) FROM kiosk_notice;"))
        before = mc.audit_last_id(self.db)
        # Staff of the other ward can neither change these nor feature this ward's procedure.
        self.assertEqual(self.post("minh", "/staff/kiosk/notices/%d/lift" % nid, {}).status, 403)
        for op in ("up", "down", "remove"):
            self.assertEqual(self.post("minh", "/staff/kiosk/features/%d/%s" % (fid, op),
                                       {}).status, 403)
        r = self.post("minh", "/staff/kiosk/features", {"ward": SLUG2, "procedure": str(mine),
                                                        "seconds": "12"})
        self.assertEqual(r.status, 422, mc.describe(r))
        # A staff member posting for another ward writes to their own (or nowhere).
        r = self.post("minh", "/staff/kiosk/notices", {"ward": SLUG, "title": "Giả mạo",
                                                       "body": "", "minutes": "60"})
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(mc.sql(self.db, "SELECT ward_id FROM kiosk_notice WHERE title = "
                                            "'Giả mạo';"), str(self.ward2_id))
        # Supervisors read and change nothing; unknown ids are 404s; no CSRF token, 403.
        c, _ = self.login("giamsat")
        self.assertEqual(c.get("/staff/kiosk?ward=%s" % SLUG).status, 200)
        self.assertEqual(self.post("giamsat", "/staff/kiosk/notices/%d/lift" % nid, {}).status,
                         403)
        self.assertEqual(self.post("lan", "/staff/kiosk/notices/999999/lift", {}).status, 404)
        self.assertEqual(self.post("lan", "/staff/kiosk/features/999999/up", {}).status, 404)
        self.assertEqual(self.post("lan", "/staff/kiosk/slides/999999", {}).status, 404)
        c, _ = self.login("lan")
        self.assertEqual(c.post("/staff/kiosk/notices/%d/lift" % nid, {}).status, 403)
        self.assertEqual([(a["entity"], a["actor"], a["after"]["title"])
                          for a in mc.audit_rows(self.db, before)],
                         [("kiosk_notice", "minh", "Giả mạo")])
        # The other ward's screens show none of it.
        other = self.feed(SLUG2).json
        self.assertEqual(other["ward"]["slug"], SLUG2)
        self.assertEqual(other["urgent"]["title"], "Giả mạo")
        self.assertEqual([s for s in other["slides"] if s["kind"] != "ward"], [])
        self.assertNotIn("Chỉ phường 7", other["html"])
        self.assertNotIn('data-proc="%d"' % mine, other["html"])
        # Tidy up for the other tests.
        self.post("lan", "/staff/kiosk/notices/%d/lift" % nid, {})
        self.post("minh", "/staff/kiosk/notices/%s/lift" % mc.sql(
            self.db, "SELECT id FROM kiosk_notice WHERE title = 'Giả mạo';"), {})
        self.post("lan", "/staff/kiosk/features/%d/remove" % fid, {})

    def test_forged_slugs_and_paths(self):
        for path in ("/kiosk/khong-co-phuong", "/kiosk/khong-co-phuong/feed.json",
                     "/kiosk/PHUONG_7", "/kiosk/%s/feed.xml" % SLUG, "/kiosk/%s/x" % SLUG,
                     "/kiosk/" + "a" * 65, "/kiosk/%2e%2e/feed.json"):
            r = mc.request(self.port, path)
            self.assertEqual(r.status, 404, "%s: %r" % (path, r))
        self.assertEqual(mc.request(self.port, "/kiosk/%s/beat" % SLUG).status, 405)
        self.assertEqual(mc.Client(self.port).post("/kiosk/%s" % SLUG, {}).status, 405)
        r = self.beat({"screen": "gia-mao"}, slug="khong-co-phuong")
        self.assertEqual(r.status, 404)
        # The slug is lower-cased like every slug: the same ward.
        self.assertEqual(mc.request(self.port, "/kiosk/%s" % SLUG.upper()).status, 200)

    # --- heartbeats -------------------------------------------------------------------------

    def test_beat_is_bounded_and_not_audited(self):
        audit = mc.audit_last_id(self.db)
        r = self.beat({"screen": "sanh-tang-1", "slide": "announcement:1", "w": "1920",
                       "h": "1080"}, "127.0.0.21")
        self.assertEqual(r.status, 204, mc.describe(r))
        self.assertEqual(r.body, b"")
        row = mc.sql(self.db, "SELECT ward_id, slide, width, height FROM kiosk_screen WHERE "
                                 "screen = 'sanh-tang-1';")
        self.assertEqual(row, "%d|announcement:1|1920|1080" % self.ward_id)
        # Again at once: too soon, nothing changed.
        r = self.beat({"screen": "sanh-tang-1", "slide": "procedure:2"}, "127.0.0.21")
        self.assertEqual(r.status, 429)
        self.assertIn("announcement:1", mc.sql(self.db, "SELECT slide FROM kiosk_screen "
                                                            "WHERE screen = 'sanh-tang-1';"))
        n = self.screens()
        bad = [{}, {"screen": ""}, {"screen": "a" * 65}, {"screen": "../etc"},
               {"screen": "<script>"}, {"screen": "màn-hình"}, {"screen": "a b"},
               {"screen": "ok", "slide": "Procedure:1"}, {"screen": "ok", "slide": "x" * 49},
               {"screen": "ok", "slide": "<b>"}, {"screen": "ok", "w": "abc"},
               {"screen": "ok", "w": "999999"}, {"screen": "ok", "h": "-1"},
               {"screen": "ok", "w": "30000"}]
        for fields in bad:
            r = self.beat(fields, "127.0.0.22")
            self.assertEqual(r.status, 400, "%r: %r" % (fields, r))
        # A NUL byte inside the id is not cut off there.
        body = b"screen=ok%00evil&slide=list"
        r = mc.Client(self.port, "127.0.0.22").request(
            "POST", "/kiosk/%s/beat" % SLUG, body=body,
            content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 400)
        self.assertEqual(self.screens(), n, "a refused beat wrote a screen")
        self.assertEqual(mc.audit_last_id(self.db), audit, "a beat was audited")

    def test_beat_body_is_bounded(self):
        big = b"screen=" + b"a" * (64 * 1024)
        r = mc.Client(self.port, "127.0.0.23").request(
            "POST", "/kiosk/%s/beat" % SLUG, body=big,
            content_type="application/x-www-form-urlencoded")
        self.assertEqual(r.status, 413)
        # A huge Content-Length is refused before any of it is read.
        reply, _ = mc.raw_exchange(self.port, (
            "POST /kiosk/%s/beat HTTP/1.1\r\nHost: x\r\nContent-Type: application/"
            "x-www-form-urlencoded\r\nContent-Length: 10000000000\r\n\r\nscreen=a" % SLUG)
            .encode())
        self.assertEqual(mc.raw_status(reply), 413)
        # A body that is not a form.
        r = mc.Client(self.port, "127.0.0.23").request(
            "POST", "/kiosk/%s/beat" % SLUG, body=b'{"screen": "x"}',
            content_type="application/json")
        self.assertTrue(r.status in (400, 415), r)
        self.assertEqual(mc.healthz_status(self.port), 200)

    def test_beats_limited_per_ward_and_per_client(self):
        src = "127.0.0.24"
        # A ward keeps so many screens; a new one past that is refused.
        have = int(mc.sql(self.db, "SELECT count(*) FROM kiosk_screen WHERE ward_id = %d;"
                             % self.ward2_id))
        for i in range(KIOSK_SCREENS - have):
            r = self.beat({"screen": "dem-%d" % i}, src, SLUG2)
            self.assertEqual(r.status, 204, "screen %d: %r" % (i, r))
        self.assertEqual(self.beat({"screen": "mot-nua"}, src, SLUG2).status, 429)
        # Every beat counts against its client, refused ones too: past the limit the client is
        # held off, whatever it sends; another client is not.
        sent = KIOSK_SCREENS - have + 1
        statuses = set()
        while sent < BEATS_MAX:
            statuses.add(self.beat({"screen": "mot-nua"}, src, SLUG2).status)
            sent += 1
        self.assertEqual(statuses, {429})
        r = self.beat({"screen": "moi-hoan-toan"}, src)
        self.assertEqual(r.status, 429)
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM kiosk_screen WHERE screen = "
                                            "'moi-hoan-toan';"), "0")
        self.assertEqual(self.beat({"screen": "moi-hoan-toan"}, "127.0.0.25").status, 204)
        # The client's count is kept under a keyed hash, never its address.
        keys = mc.sql(self.db, "SELECT key FROM throttle WHERE key LIKE 'kiosk:%';")
        self.assertNotIn("127.0.0", keys)
        mc.sql(self.db, "DELETE FROM kiosk_screen WHERE ward_id = %d;" % self.ward2_id)

    def test_staff_page_lists_screens_and_marks_silent_ones(self):
        self.assertEqual(self.beat({"screen": "sanh-chinh", "slide": "ward:%d" % self.ward_id,
                                    "w": "1080", "h": "1920"}, "127.0.0.26").status, 204)
        self.assertEqual(self.beat({"screen": "sanh-phu", "slide": "list"},
                                   "127.0.0.26").status, 204)
        mc.sql(self.db, "UPDATE kiosk_screen SET last_at = last_at - 301 WHERE screen = "
                           "'sanh-phu';")
        c, _ = self.login("lan")
        body = c.get("/staff/kiosk").body.decode()
        row = re.search(r'<tr class="screen( silent)?" data-screen="sanh-chinh">(.*?)</tr>', body)
        self.assertIsNotNone(row, "the live screen is listed")
        self.assertIsNone(row.group(1))
        self.assertIn("Giới thiệu phường", row.group(2))
        self.assertIn("1080×1920", row.group(2))
        row = re.search(r'<tr class="screen( silent)?" data-screen="sanh-phu">(.*?)</tr>', body)
        self.assertEqual(row.group(1), " silent")
        self.assertIn("Mất tín hiệu", row.group(2))
        # Another ward's staff do not see these screens.
        c, _ = self.login("minh")
        self.assertNotIn("sanh-chinh", c.get("/staff/kiosk").text)


if __name__ == "__main__":
    mc.main()
