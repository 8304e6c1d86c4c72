"""The staff side end to end: sign-in, sessions, CSRF, roles, the permit forms, uploads, code
retirement, resident reports, and the audit trail behind every write.

One demo database with a second ward and four accounts, one server for the whole class. Tests
that make failed logins or reports do it from their own loopback source address (127.0.0.N),
so the per-client throttle and rate limit of one test never touch another.
"""

import datetime
import json
import os
import re
import socket
import sys
import unicodedata
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
SLUG2 = "phuong-thu-hai"
PASSWORDS = {
    "lan": "mat-khau-cua-lan-1",
    "minh": "mat-khau-cua-minh-2",
    "giamsat": "mat-khau-giam-sat-3",
    "quantri": "mat-khau-quan-tri-4",
    "khoa": "mat-khau-cua-khoa-5",   # throttled account
    "tam": "mat-khau-cua-tam-6",     # account whose failures a success clears
    "nghi": "mat-khau-cua-nghi-7",   # disabled account
}
BAD_LOGIN = "Tên đăng nhập hoặc mật khẩu không đúng."
THROTTLED = "Đăng nhập sai quá nhiều lần, vui lòng thử lại sau."
REF_RE = re.compile(r"PA-[0-9A-HJKMNP-TV-Z]{8}")
PERMIT_FIELDS = ["number", "kind", "address", "owner_name", "scope", "floors", "area_m2",
                 "height_m", "contractor", "office", "issued_on", "starts_on", "ends_on"]
# Dates relative to today, so that no check against "today" (work started, inspection not in
# the future) depends on when the tests run. The server's "today" is the ward's (UTC+7), not
# the test machine's time zone.
TODAY = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=7)).date()


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


# Written by sign-in and by page views, not by the writes under test.
UNTOUCHED_TABLES = {"session", "throttle", "scan_daily", "scan_miss_daily"}


def permit_fields(number, **kw):
    f = {
        "number": number,
        "kind": "repair",
        "address": "45 Đường Âu Dương Lân, Phường 7, Quận 8",
        "owner_name": "Trần Thị Hạnh",
        "scope": "Sửa chữa mái tôn, chống thấm sân thượng",
        "floors": "3",
        "area_m2": "62.5",
        "height_m": "11.4",
        "contractor": "Công ty TNHH Xây dựng Phú Định",
        "office": "UBND Phường 7, Quận 8",
        "issued_on": day(-10),
        "starts_on": day(-3),
        "ends_on": day(120),
    }
    f.update(kw)
    return f


def loc_path(r):
    loc = r.header("Location")
    return urllib.parse.urlsplit(loc).path if loc else None


class Staff(unittest.TestCase):
    serial = 0

    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "staff.db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        r = mc.run(["import", "--db", cls.db, os.path.join(mc.FIXTURES, "ward2.csv")])
        assert r.rc == 0, r
        wards = {"lan": SLUG, "minh": SLUG2, "khoa": SLUG, "tam": SLUG, "nghi": SLUG}
        roles = {"giamsat": "supervisor", "quantri": "admin"}
        for name, pw in PASSWORDS.items():
            mc.add_user(cls.db, name, roles.get(name, "staff"), pw, wards.get(name))
        r = mc.run(["user", "disable", "--db", cls.db, "--name", "nghi"])
        assert r.rc == 0, r
        cls.ward_id = int(mc.sql(cls.db, "SELECT id FROM ward WHERE slug = '%s';" % SLUG))
        cls.ward2_id = int(mc.sql(cls.db, "SELECT id FROM ward WHERE slug = '%s';" % SLUG2))
        ids = mc.sql(cls.db, "SELECT id FROM permit WHERE ward_id = %d AND status IN "
                             "('issued', 'in_progress') ORDER BY id;" % cls.ward_id)
        cls.demo_permits = [int(x) for x in ids.split()]
        # A resident report made before the server starts, for the supervisor's review attempt.
        mc.sql(cls.db, "INSERT INTO report (ref, permit_id, category, description, "
                       "client_key, created_at) VALUES ('PA-SETUP001', %d, 'other', "
                       "'Báo cáo có sẵn để thử quyền.', 'k', '2026-11-25T00:00:00Z');"
               % cls.demo_permits[0])
        cls.setup_report = int(mc.sql(cls.db, "SELECT id FROM report WHERE ref = "
                                              "'PA-SETUP001';"))
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

    # --- helpers ----------------------------------------------------------------------------

    def client(self, source=None):
        return mc.Client(self.port, source)

    def login_page(self, c):
        r = c.get("/staff/login")
        self.assertEqual(r.status, 200, mc.describe(r))
        return r

    def try_login(self, name, password, source=None, c=None):
        c = c or self.client(source)
        form = mc.find_form(self.login_page(c).body, "/staff/login")
        self.assertIsNotNone(form, "no form posting to /staff/login")
        csrf = mc.form_value(form, "csrf")
        return c, c.post("/staff/login", {"name": name, "password": password, "csrf": csrf})

    def login(self, name, source=None):
        c, r = self.try_login(name, PASSWORDS[name], source)
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertIn("mc_session", c.cookies, mc.describe(r))
        c.csrf = self.csrf_of(c, "/staff")
        c.name = name
        return c

    def csrf_of(self, c, path):
        r = c.get(path)
        self.assertEqual(r.status, 200, mc.describe(r))
        for f in mc.forms(r.body):
            v = mc.form_value(f, "csrf")
            if v:
                return v
        self.fail("no form with a csrf field on %s: %s" % (path, mc.describe(r)))

    def user_id(self, name):
        return int(mc.sql(self.db, "SELECT id FROM \"user\" WHERE name = '%s';" % name))

    def number(self):
        Staff.serial += 1
        return "%d/GPSC-TEST-%d" % (800 + Staff.serial, os.getpid() % 1000)

    def snapshot(self):
        counts = {k: v for k, v in mc.db_counts(self.db).items()
                  if k not in UNTOUCHED_TABLES}
        files = mc.stored_files(self.db)
        # In the table's order (SQLite: by rowid, PostgreSQL: by id, as it does not keep one).
        data = mc.sql(self.db, "SELECT json_group_array(json_object('p', p.id, 's', status, "
                               "'r', status_reason, 'sc', scope, 'e', ends_on)) "
                               "FROM permit p;",
                      pg="SELECT json_agg(json_build_object('p', p.id, 's', status, "
                         "'r', status_reason, 'sc', scope, 'e', ends_on) ORDER BY p.id) "
                         "FROM permit p;")
        codes = mc.sql(self.db, "SELECT group_concat(token || coalesce(revoked_at, '-')) "
                                "FROM code;",
                       pg="SELECT string_agg(token || coalesce(revoked_at, '-'), ',' "
                          "ORDER BY id) FROM code;")
        return {"counts": counts, "files": files, "audit": mc.audit_last_id(self.db),
                "permits": data, "codes": codes}

    def assert_nothing_written(self, before, r=None):
        after = self.snapshot()
        where = mc.describe(r) if r is not None else ""
        self.assertEqual(after["audit"], before["audit"], "audit rows added\n" + where)
        self.assertEqual(after["counts"], before["counts"], "rows added\n" + where)
        self.assertEqual(after["files"], before["files"], "files stored\n" + where)
        self.assertEqual(after["permits"], before["permits"], "permits changed\n" + where)
        self.assertEqual(after["codes"], before["codes"], "codes changed\n" + where)

    def audited(self, write, expected, actor=None):
        """Runs write() (returning a response); asserts the audit gained exactly the
        entries expected ([(entity, action)], in order) and returns (response, entries)."""
        last = mc.audit_last_id(self.db)
        r = write()
        rows = mc.audit_rows(self.db, last)
        self.assertEqual([(e["entity"], e["action"]) for e in rows], expected,
                         "audit entries after the write: %r\n%s" % (rows, mc.describe(r)))
        for e in rows:
            if actor:
                self.assertEqual(e["actor"], actor, e)
                self.assertEqual(e["actor_id"], self.user_id(actor), e)
            if e["action"] in ("create", "attach"):  # a new record has no before
                self.assertIsNone(e["before"], e)
            else:
                self.assertIsNotNone(e["before"], e)
            self.assertIsNotNone(e["after"], e)
        return r, rows

    def create_permit(self, c, **kw):
        """Creates a permit through the form; returns (id, fields, audit entries)."""
        fields = permit_fields(self.number(), **kw)
        r, rows = self.audited(lambda: c.post("/staff/permits", dict(fields, csrf=c.csrf)),
                               [("permit", "create"), ("code", "create")], c.name)
        self.assertEqual(r.status, 303, mc.describe(r))
        m = re.fullmatch(r"/staff/permits/(\d+)", loc_path(r) or "")
        self.assertTrue(m, "create must redirect to /staff/permits/ID: %s" % mc.describe(r))
        pid = int(m.group(1))
        self.assertEqual(rows[0]["entity_id"], pid)
        return pid, fields, rows

    def permit_token(self, pid):
        tok = mc.sql(self.db, "SELECT token FROM code WHERE target_kind = 'permit' AND "
                              "target_id = %d AND revoked_at IS NULL;" % pid)
        self.assertRegex(tok, r"^[0-9A-HJKMNP-TV-Z]{9}$", "one active code per permit")
        return tok

    def permit_row(self, pid):
        cols = ("'number', number, 'scope', scope, 'status', status, 'status_reason', "
                "status_reason, 'address', address, 'ends_on', ends_on, 'ward_id', ward_id")
        return json.loads(mc.sql(self.db, "SELECT json_object(%s) FROM permit WHERE id = %d;"
                                 % (cols, pid),
                                 pg="SELECT json_build_object(%s) FROM permit WHERE id = %d;"
                                 % (cols, pid)))

    def new_text(self, page, baseline, submitted=()):
        """Text pieces of page that are not in baseline nor among the submitted values."""
        known = set(mc.text_nodes(baseline)) | {v.strip() for v in submitted}
        return [t for t in mc.text_nodes(page) if t not in known]

    def assert_field_message(self, r, baseline, fields, submitted):
        """A 422 whose message stands next to one of fields (their region of the form)."""
        self.assertEqual(r.status, 422, mc.describe(r))
        values = [v for v in submitted.values()]
        self.assertTrue(self.new_text(r.body, baseline, values),
                        "422 page says nothing the empty form does not: %s" % mc.describe(r))
        known = set(mc.text_nodes(baseline)) | {v.strip() for v in values}
        blocks = mc.field_blocks(r.body)
        near = [f for f in fields if [t for t in blocks.get(f, []) if t not in known]]
        self.assertTrue(near, "no message next to any of %s: around them %r\n%s"
                        % (fields, {f: blocks.get(f) for f in fields}, mc.describe(r)))

    # --- sign-in ----------------------------------------------------------------------------

    def test_login_success(self):
        c = self.client()
        r = self.login_page(c)
        cookies = {n: (v, a) for n, v, a in r.set_cookies}
        self.assertIn("mc_login", cookies, mc.describe(r))
        value, attrs = cookies["mc_login"]
        self.assertRegex(value, r"^[0-9a-f]{32,}$")
        self.assertEqual(attrs.get("path"), "/staff")
        self.assertIn("httponly", attrs)
        self.assertEqual(str(attrs.get("samesite")).lower(), "strict")
        form = mc.find_form(r.body, "/staff/login")
        self.assertIsNotNone(form, mc.describe(r))
        self.assertEqual(form["method"].lower(), "post")
        for f in ("name", "password", "csrf"):
            self.assertIn(f, form["names"], form)
        self.assertEqual(mc.form_value(form, "csrf"), value, "double-submit token")

        r = c.post("/staff/login", {"name": "lan", "password": PASSWORDS["lan"],
                                    "csrf": value})
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(loc_path(r), "/staff", mc.describe(r))
        sess = [(v, a) for n, v, a in r.set_cookies if n == "mc_session"]
        self.assertEqual(len(sess), 1, mc.describe(r))
        token, attrs = sess[0]
        self.assertRegex(token, r"^[0-9a-f]{64}$")
        self.assertEqual(attrs.get("path"), "/")
        self.assertIn("httponly", attrs)
        self.assertEqual(str(attrs.get("samesite")).lower(), "strict")
        self.assertEqual(attrs.get("max-age"), "28800")
        self.assertNotIn("secure", attrs, "plain http base URL: no Secure")
        # Kept by the hash of the token only.
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM session WHERE token_hash = "
                                         "'%s';" % mc.sha256_hex(token.encode())), "1")
        self.assertNotIn(token.encode(), mc.db_dump(self.db))
        r = c.get("/staff")
        self.assertEqual(r.status, 200, mc.describe(r))
        self.assertIsNotNone(mc.find_form(r.body, "/staff/logout"), "dashboard has logout")

    def test_login_failure(self):
        src = "127.0.0.11"
        _, unknown = self.try_login("khongcoai", "mat-khau-bat-ky-1", src)
        _, wrong = self.try_login("lan", "mat-khau-sai-hoan-toan", src)
        _, disabled = self.try_login("nghi", PASSWORDS["nghi"], src)
        for r in (unknown, wrong, disabled):
            self.assertEqual(r.status, 401, mc.describe(r))
            self.assertIn(BAD_LOGIN, mc.page_text(r.body), mc.describe(r))
            self.assertNotIn("mc_session", [n for n, _, _ in r.set_cookies], mc.describe(r))
        self.assertEqual(mc.page_text(unknown.body), mc.page_text(wrong.body),
                         "an unknown account must look like a wrong password")

    def test_login_csrf(self):
        c = self.client("127.0.0.12")
        self.login_page(c)
        before = mc.sql(self.db, "SELECT count(*) FROM session;")
        r = c.post("/staff/login", {"name": "lan", "password": PASSWORDS["lan"]})
        self.assertEqual(r.status, 403, mc.describe(r))
        r = c.post("/staff/login", {"name": "lan", "password": PASSWORDS["lan"],
                                    "csrf": "0" * 32})
        self.assertEqual(r.status, 403, mc.describe(r))
        c2 = self.client("127.0.0.12")  # a token without its cookie
        form = mc.find_form(self.login_page(self.client()).body, "/staff/login")
        r = c2.post("/staff/login", {"name": "lan", "password": PASSWORDS["lan"],
                                     "csrf": mc.form_value(form, "csrf")})
        self.assertEqual(r.status, 403, mc.describe(r))
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM session;"), before)

    def test_logout(self):
        c = self.login("lan")
        old = dict(c.cookies)
        csrf = c.csrf
        n = int(mc.sql(self.db, "SELECT count(*) FROM session;"))
        r = c.post("/staff/logout", {"csrf": csrf})
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(loc_path(r), "/staff/login", mc.describe(r))
        cleared = [a for name, v, a in r.set_cookies if name == "mc_session"]
        self.assertTrue(cleared and cleared[0].get("max-age") == "0", mc.describe(r))
        self.assertEqual(int(mc.sql(self.db, "SELECT count(*) FROM session;")), n - 1)
        # The old cookie is dead on the server, not only in the browser.
        stale = self.client()
        stale.cookies = old
        r = stale.get("/staff")
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(loc_path(r), "/staff/login")
        before = self.snapshot()
        pid = self.demo_permits[0]
        r = stale.post("/staff/permits/%d" % pid, dict(permit_fields("X"), csrf=csrf))
        self.assertEqual(r.status, 403, mc.describe(r))
        self.assert_nothing_written(before, r)

    def test_no_session(self):
        c = self.client()
        for path in ("/staff", "/staff/permits/new", "/staff/permits/%d" % self.demo_permits[0],
                     "/staff/reports", "/staff/print/keychain"):
            r = c.get(path)
            self.assertEqual(r.status, 303, mc.describe(r))
            self.assertEqual(loc_path(r), "/staff/login", mc.describe(r))
        before = self.snapshot()
        r = c.post("/staff/permits", dict(permit_fields(self.number()), csrf="x"))
        self.assertEqual(r.status, 403, mc.describe(r))
        self.assert_nothing_written(before, r)

    def test_throttle(self):
        # Five failures from one client lock that client out of the account, with the right
        # password too. The account is not locked for everyone (issue 14: a lock-out must not
        # be a weapon): its owner signs in from another client, and the locked client may
        # still sign in to another account (test_signin covers the rest).
        for i in range(5):
            _, r = self.try_login("khoa", "sai-mat-khau-%02d" % i, "127.0.0.13")
            self.assertEqual(r.status, 401, mc.describe(r))
        _, r = self.try_login("khoa", PASSWORDS["khoa"], "127.0.0.13")
        self.assertEqual(r.status, 429, "locked pair, right password: " + mc.describe(r))
        self.assertIn(THROTTLED, mc.page_text(r.body))
        self.assertNotIn("mc_session", [n for n, _, _ in r.set_cookies])
        _, r = self.try_login("khoa", PASSWORDS["khoa"], "127.0.0.14")
        self.assertEqual(r.status, 303, "the owner from elsewhere: " + mc.describe(r))
        _, r = self.try_login("tam", PASSWORDS["tam"], "127.0.0.13")
        self.assertEqual(r.status, 303, "another account from the locked client: "
                         + mc.describe(r))
        _, r = self.try_login("lan", PASSWORDS["lan"], "127.0.0.14")
        self.assertEqual(r.status, 303, mc.describe(r))

    def test_success_clears_account_failures(self):
        for i in range(4):
            _, r = self.try_login("tam", "sai-mat-khau-%02d" % i, "127.0.0.15")
            self.assertEqual(r.status, 401, mc.describe(r))
        _, r = self.try_login("tam", PASSWORDS["tam"], "127.0.0.16")
        self.assertEqual(r.status, 303, mc.describe(r))
        for i in range(4):
            _, r = self.try_login("tam", "sai-lan-nua-%02d" % i, "127.0.0.17")
            self.assertEqual(r.status, 401, mc.describe(r))
        _, r = self.try_login("tam", PASSWORDS["tam"], "127.0.0.18")
        self.assertEqual(r.status, 303, "4 + 4 failures with a success between: "
                         + mc.describe(r))

    # --- roles and CSRF ---------------------------------------------------------------------

    def test_other_ward_refused(self):
        minh = self.login("minh")
        pid = self.demo_permits[1]
        tok = self.permit_token(pid)
        r = minh.get("/staff/permits/%d" % pid)
        self.assertEqual(r.status, 403, mc.describe(r))
        r = minh.get("/staff/print/permits/%d" % pid)
        self.assertEqual(r.status, 403, mc.describe(r))
        before = self.snapshot()
        writes = [
            ("/staff/permits/%d" % pid, dict(permit_fields(self.number()), csrf=minh.csrf)),
            ("/staff/permits/%d/status" % pid, {"status": "revoked", "reason": "Thử quyền",
                                                "csrf": minh.csrf}),
            ("/staff/permits/%d/inspections" % pid, {"on_date": day(-1),
                                                     "inspector": "Minh", "result": "Đạt",
                                                     "note": "", "csrf": minh.csrf}),
            ("/staff/codes/%s/retire" % tok, {"replacement": "", "csrf": minh.csrf}),
        ]
        for path, fields in writes:
            r = minh.post(path, fields)
            self.assertEqual(r.status, 403, mc.describe(r))
        self.assert_nothing_written(before)
        # The permit stays readable and writable for its own ward's staff and for admins.
        lan = self.login("lan")
        self.assertEqual(lan.get("/staff/permits/%d" % pid).status, 200)
        admin = self.login("quantri")
        r = admin.get("/staff/permits/%d" % pid)
        self.assertEqual(r.status, 200, mc.describe(r))
        r = minh.get("/staff")
        self.assertEqual(r.status, 200, mc.describe(r))
        self.assertNotIn(self.permit_row(pid)["number"], r.text, "other ward on dashboard")

    def test_supervisor_refused_on_every_write(self):
        sup = self.login("giamsat")
        lan = self.login("lan")
        pid, fields, _ = self.create_permit(lan)
        tok = self.permit_token(pid)
        proc = int(mc.sql(self.db, "SELECT min(id) FROM procedure WHERE ward_id = %d;"
                                   % self.ward_id))
        ann = int(mc.sql(self.db, "SELECT min(id) FROM announcement WHERE ward_id = %d;"
                                  % self.ward_id))
        # Reading is allowed.
        for path in ("/staff", "/staff/permits/%d" % pid, "/staff/reports",
                     "/staff/procedures/%d" % proc, "/staff/announcements/%d" % ann):
            r = sup.get(path)
            self.assertEqual(r.status, 200, mc.describe(r))
        proc_f = {k: v for k, v in mc.procedure_row("9.999001", "Thủ tục thử quyền").items()}
        ann_f = {"title": "Thông báo thử quyền", "body": "Nội dung thông báo thử quyền.",
                 "published_on": day(0), "expires_on": ""}
        c = sup.csrf
        writes = [
            ("/staff/procedures", dict(proc_f, csrf=c)),
            ("/staff/procedures/%d" % proc, dict(proc_f, csrf=c)),
            ("/staff/procedures/%d/retire" % proc, {"csrf": c}),
            ("/staff/announcements", dict(ann_f, csrf=c)),
            ("/staff/announcements/%d" % ann, dict(ann_f, csrf=c)),
            ("/staff/announcements/%d/retire" % ann, {"csrf": c}),
            ("/staff/permits", dict(permit_fields(self.number()), csrf=c)),
            ("/staff/permits/%d" % pid, dict(fields, scope="Giám sát sửa", csrf=c)),
            ("/staff/permits/%d/status" % pid, {"status": "in_progress", "reason": "",
                                                "csrf": c}),
            ("/staff/permits/%d/inspections" % pid, {"on_date": day(-1),
                                                     "inspector": "Giám sát",
                                                     "result": "Đạt", "note": "", "csrf": c}),
            ("/staff/codes/%s/retire" % tok, {"replacement": "", "csrf": c}),
            ("/staff/reports/%d/review" % self.setup_report, {"note": "Đã xem", "csrf": c}),
        ]
        before = self.snapshot()
        for path, f in writes:
            with self.subTest(path=path):
                r = sup.post(path, f)
                self.assertEqual(r.status, 403, mc.describe(r))
        r = sup.post_multipart("/staff/permits/%d/files" % pid, [("csrf", c), ("public", "1")],
                               [("file", "ban-ve.png", "image/png", mc.small_png(7))])
        self.assertEqual(r.status, 403, mc.describe(r))
        self.assert_nothing_written(before)
        # Logout is the one POST a supervisor may make.
        r = sup.post("/staff/logout", {"csrf": c})
        self.assertEqual(r.status, 303, mc.describe(r))

    def test_csrf_required(self):
        lan = self.login("lan")
        other = self.login("lan")  # a second session: its token is not this session's
        self.assertNotEqual(lan.csrf, other.csrf)
        pid = self.demo_permits[2]
        row = self.permit_row(pid)
        edit = mc.find_form(lan.get("/staff/permits/%d" % pid).body, "/staff/permits/%d" % pid)
        self.assertIsNotNone(edit, "edit form")
        fields = {k: v for k, v in edit["fields"] if k != "csrf"}
        fields["scope"] = "Sửa đổi không có mã CSRF"
        before = self.snapshot()
        for bad in (None, "", "0" * 64, other.csrf, lan.csrf[:-1]):
            f = dict(fields) if bad is None else dict(fields, csrf=bad)
            r = lan.post("/staff/permits/%d" % pid, f)
            self.assertEqual(r.status, 403, "csrf %r: %s" % (bad, mc.describe(r)))
            r = lan.post_multipart("/staff/permits/%d/files" % pid,
                                   [] if bad is None else [("csrf", bad)],
                                   [("file", "a.pdf", "application/pdf", mc.small_pdf("x"))])
            self.assertEqual(r.status, 403, "csrf %r: %s" % (bad, mc.describe(r)))
            r = lan.post("/staff/permits", dict(permit_fields(self.number()), csrf=bad or ""))
            self.assertEqual(r.status, 403, "csrf %r: %s" % (bad, mc.describe(r)))
        self.assert_nothing_written(before)
        self.assertEqual(self.permit_row(pid), row)
        # The same post with the right token goes through.
        r, rows = self.audited(lambda: lan.post("/staff/permits/%d" % pid,
                                                dict(fields, csrf=lan.csrf)),
                               [("permit", "update")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))

    # --- permits ----------------------------------------------------------------------------

    def test_create_and_edit_permit(self):
        lan = self.login("lan")
        r = lan.get("/staff/permits/new")
        self.assertEqual(r.status, 200, mc.describe(r))
        form = mc.find_form(r.body, "/staff/permits")
        self.assertIsNotNone(form, "new-permit form posting to /staff/permits")
        for f in PERMIT_FIELDS + ["csrf"]:
            self.assertIn(f, form["names"], "field %s missing from the new-permit form" % f)

        pid, fields, rows = self.create_permit(lan)
        after = rows[0]["after"]
        for k in ("number", "address", "scope", "issued_on", "starts_on", "ends_on", "kind"):
            self.assertEqual(after[k], fields[k], k)
        self.assertEqual(after["floors"], 3)
        self.assertAlmostEqual(after["area_m2"], 62.5)
        self.assertEqual(after["ward_id"], self.ward_id)
        self.assertEqual(after["status"], "issued")
        tok = self.permit_token(pid)
        self.assertEqual(rows[1]["after"]["token"], tok)
        self.assertEqual(rows[1]["after"]["target_id"], pid)

        # The code works at once.
        r = mc.request(self.port, "/q/" + tok)
        self.assertEqual(r.status, 200, r)
        self.assertIn(fields["number"], mc.page_text(r.body))

        # The staff page: edit form, status, inspections, upload, code, public URL, print.
        r = lan.get("/staff/permits/%d" % pid)
        self.assertEqual(r.status, 200, mc.describe(r))
        edit = mc.find_form(r.body, "/staff/permits/%d" % pid)
        self.assertIsNotNone(edit, "edit form")
        for k in PERMIT_FIELDS:
            self.assertEqual(mc.form_value(edit, k) if k not in ("floors", "area_m2",
                                                                 "height_m")
                             else float(mc.form_value(edit, k)),
                             fields[k] if k not in ("floors", "area_m2", "height_m")
                             else float(fields[k]), "edit form field %s" % k)
        self.assertIsNotNone(mc.find_form(r.body, "/staff/permits/%d/status" % pid))
        self.assertIsNotNone(mc.find_form(r.body, "/staff/permits/%d/inspections" % pid))
        up = mc.find_form(r.body, "/staff/permits/%d/files" % pid)
        self.assertIsNotNone(up, "upload form")
        self.assertEqual(up["enctype"].lower(), "multipart/form-data")
        self.assertIn(tok, r.text, "the permit's code on its staff page")
        self.assertIn("/staff/print/permits/%d" % pid, mc.links(r.body))
        self.assertIn("/q/" + tok.lower(), r.text.lower(), "public URL")

        # Edit: exactly one update entry, before and after as they were and are.
        new = dict(fields, scope="Sửa chữa mái tôn và thay lan can ban công", ends_on=day(150))
        r, rows = self.audited(lambda: lan.post("/staff/permits/%d" % pid,
                                                dict(new, csrf=lan.csrf)),
                               [("permit", "update")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(loc_path(r), "/staff/permits/%d" % pid)
        self.assertEqual(rows[0]["entity_id"], pid)
        self.assertEqual(rows[0]["before"]["scope"], fields["scope"])
        self.assertEqual(rows[0]["after"]["scope"], new["scope"])
        self.assertEqual(rows[0]["before"]["ends_on"], fields["ends_on"])
        self.assertEqual(rows[0]["after"]["ends_on"], day(150))
        self.assertEqual(rows[0]["after"]["status"], "issued", "update does not move status")
        row = self.permit_row(pid)
        self.assertEqual((row["scope"], row["ends_on"]), (new["scope"], new["ends_on"]))
        self.assertEqual(self.permit_token(pid), tok, "editing keeps the code")

        # Every field is editable, the permit number too: still one record, one entry, the
        # same code, and the public page shows the new number.
        renumbered = dict(new, number=new["number"] + "-SUA")
        r, rows = self.audited(lambda: lan.post("/staff/permits/%d" % pid,
                                                dict(renumbered, csrf=lan.csrf)),
                               [("permit", "update")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(rows[0]["before"]["number"], new["number"])
        self.assertEqual(rows[0]["after"]["number"], renumbered["number"])
        self.assertEqual(self.permit_row(pid)["number"], renumbered["number"])
        self.assertEqual(self.permit_token(pid), tok)
        self.assertIn(renumbered["number"], mc.page_text(mc.request(self.port, "/q/" + tok).body))
        # A number another permit has is refused, nothing written.
        taken = mc.sql(self.db, "SELECT number FROM permit WHERE id != %d LIMIT 1" % pid)
        before = self.snapshot()
        r = lan.post("/staff/permits/%d" % pid, dict(renumbered, number=taken, csrf=lan.csrf))
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assert_nothing_written(before, r)

        # An inspection.
        insp = {"on_date": day(-1), "inspector": "Lê Văn Tám", "result": "Đúng giấy phép",
                "note": "Đã dán thông báo tại công trình."}
        r, rows = self.audited(lambda: lan.post("/staff/permits/%d/inspections" % pid,
                                                dict(insp, csrf=lan.csrf)),
                               [("inspection", "create")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        for k, v in insp.items():
            self.assertEqual(rows[0]["after"][k], v, k)
        self.assertEqual(rows[0]["after"]["permit_id"], pid)
        r = mc.request(self.port, "/w/%s/permits/%d" % (SLUG, pid))
        self.assertIn(insp["inspector"], mc.page_text(r.body))

    def status(self, c, pid, status, reason=""):
        return c.post("/staff/permits/%d/status" % pid,
                      {"status": status, "reason": reason, "csrf": c.csrf})

    def assert_move_refused(self, c, pid, status, reason, baseline):
        before = self.snapshot()
        r = self.status(c, pid, status, reason)
        self.assertEqual(r.status, 422, "%s: %s" % (status, mc.describe(r)))
        self.assertTrue(self.new_text(r.body, baseline, [reason]),
                        "422 without a message: %s" % mc.describe(r))
        self.assert_nothing_written(before, r)

    def assert_move(self, c, pid, frm, to, reason=""):
        r, rows = self.audited(lambda: self.status(c, pid, to, reason),
                               [("permit", "status")], c.name)
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(loc_path(r), "/staff/permits/%d" % pid, mc.describe(r))
        self.assertEqual(rows[0]["before"]["status"], frm)
        self.assertEqual(rows[0]["after"]["status"], to)
        if reason:
            self.assertEqual(rows[0]["after"]["status_reason"], reason)
        self.assertEqual(self.permit_row(pid)["status"], to)

    def test_status_moves(self):
        lan = self.login("lan")
        pid, _, _ = self.create_permit(lan)
        baseline = lan.get("/staff/permits/%d" % pid).body
        self.assert_move_refused(lan, pid, "completed", "", baseline)
        self.assert_move_refused(lan, pid, "suspended", "", baseline)
        self.assert_move_refused(lan, pid, "revoked", "  ", baseline)
        self.assert_move_refused(lan, pid, "da-xong", "", baseline)
        self.assert_move_refused(lan, pid, "issued", "", baseline)  # staying put
        self.assert_move(lan, pid, "issued", "in_progress")
        self.assert_move(lan, pid, "in_progress", "suspended",
                         "Thi công vượt phạm vi giấy phép (lấn chiếm vỉa hè)")
        self.assert_move(lan, pid, "suspended", "in_progress")
        self.assert_move(lan, pid, "in_progress", "revoked", "Chủ đầu tư không khắc phục vi phạm")
        baseline = lan.get("/staff/permits/%d" % pid).body
        for to in ("issued", "in_progress", "suspended", "completed"):
            self.assert_move_refused(lan, pid, to, "Lý do bất kỳ", baseline)
        # completed is final too except for revocation.
        pid2, _, _ = self.create_permit(lan)
        self.assert_move(lan, pid2, "issued", "in_progress")
        self.assert_move(lan, pid2, "in_progress", "completed")
        baseline = lan.get("/staff/permits/%d" % pid2).body
        self.assert_move_refused(lan, pid2, "in_progress", "", baseline)

    def test_validation(self):
        lan = self.login("lan")
        baseline = lan.get("/staff/permits/new").body
        cases = [
            ("starts before issued", {"starts_on": day(-11)},
             ["issued_on", "starts_on"]),
            ("ends before starts", {"ends_on": day(-4)}, ["starts_on", "ends_on"]),
            ("no such day", {"ends_on": "%d-02-30" % (TODAY.year + 1)}, ["ends_on"]),
            ("floors not a number", {"floors": "ba"}, ["floors"]),
            ("too many floors", {"floors": "51"}, ["floors"]),
            ("area zero", {"area_m2": "0"}, ["area_m2"]),
            ("height too big", {"height_m": "301"}, ["height_m"]),
            ("unknown kind", {"kind": "palace"}, ["kind"]),
            ("missing address", {"address": ""}, ["address"]),
            ("blank number", {"number": "   "}, ["number"]),
            ("line too long", {"owner_name": "Nguyễn " * 100}, ["owner_name"]),
        ]
        before = self.snapshot()
        for name, change, where in cases:
            with self.subTest(case=name):
                f = dict(permit_fields(self.number()), **change)
                r = lan.post("/staff/permits", dict(f, csrf=lan.csrf))
                self.assert_field_message(r, baseline, where, f)
                again = mc.find_form(r.body, "/staff/permits")
                self.assertIsNotNone(again, "the form shown again: %s" % mc.describe(r))
                for k in ("number", "address", "scope", "contractor"):
                    if k not in change:
                        self.assertEqual(mc.form_value(again, k), f[k],
                                         "submitted %s kept" % k)
        r = lan.post("/staff/permits", {"number": self.number(), "csrf": lan.csrf})
        self.assertEqual(r.status, 422, "only a number: " + mc.describe(r))
        self.assert_nothing_written(before)

        # Updates are checked the same way.
        pid = self.demo_permits[3]
        edit = mc.find_form(lan.get("/staff/permits/%d" % pid).body, "/staff/permits/%d" % pid)
        f = {k: v for k, v in edit["fields"]}
        f["ends_on"] = "2000-01-01"
        r = lan.post("/staff/permits/%d" % pid, dict(f, csrf=lan.csrf))
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assert_nothing_written(before, r)

    def test_nfc(self):
        lan = self.login("lan")
        address = "18 Đường Phạm Thế Hiển, Phường 7, Quận 8"
        scope = "Cải tạo nhà ở riêng lẻ, nâng nền, thay mái ngói"
        owner = "Huỳnh Thị Mỹ Hường"
        nfd = {k: unicodedata.normalize("NFD", v) for k, v in
               (("address", address), ("scope", scope), ("owner_name", owner))}
        self.assertNotEqual(nfd["address"], address)
        pid, _, rows = self.create_permit(lan, **nfd)
        for k, want in (("address", address), ("scope", scope), ("owner_name", owner)):
            got = mc.sql(self.db, "SELECT hex(%s) FROM permit WHERE id = %d;" % (k, pid),
                         pg="SELECT upper(encode(convert_to(%s, 'UTF8'), 'hex')) FROM permit "
                            "WHERE id = %d;" % (k, pid))
            self.assertEqual(got, want.encode("utf-8").hex().upper(), "%s stored NFC" % k)
            self.assertEqual(rows[0]["after"][k], want)

    # --- files ------------------------------------------------------------------------------

    def upload(self, c, pid, name, ctype, data, public):
        fields = [("csrf", c.csrf)] + ([("public", "1")] if public else [])
        return c.post_multipart("/staff/permits/%d/files" % pid, fields,
                                [("file", name, ctype, data)])

    def test_upload_public_and_internal(self):
        lan = self.login("lan")
        pid, _, _ = self.create_permit(lan)
        pdf = mc.small_pdf("ban ve %d" % pid)
        png = mc.small_png(pid % 200)
        # The client's content type is not trusted: the content decides.
        r, rows = self.audited(lambda: self.upload(lan, pid, "Bản vẽ mặt đứng.pdf",
                                                   "application/octet-stream", pdf, True),
                               [("file", "attach")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(loc_path(r), "/staff/permits/%d" % pid)
        pdf_sha = mc.sha256_hex(pdf)
        a = rows[0]["after"]
        self.assertEqual((a["sha256"], a["mime"], a["size"], a["public"], a["permit_id"]),
                         (pdf_sha, "application/pdf", len(pdf), 1, pid))
        r, rows = self.audited(lambda: self.upload(lan, pid, "giay-to-noi-bo.png", "image/png",
                                                   png, False),
                               [("file", "attach")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        png_sha = mc.sha256_hex(png)
        self.assertEqual((rows[0]["after"]["sha256"], rows[0]["after"]["public"]), (png_sha, 0))
        for sha, data in ((pdf_sha, pdf), (png_sha, png)):
            self.assertEqual(mc.stored_file(self.db, sha), data, "stored under its SHA-256")

        # Public: downloadable without an account, as an attachment, never sniffed.
        r = mc.request(self.port, "/files/" + pdf_sha)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, pdf)
        self.assertEqual(r.header("Content-Type").split(";")[0].strip(), "application/pdf")
        self.assertEqual(r.header("X-Content-Type-Options"), "nosniff")
        disp = r.header("Content-Disposition") or ""
        self.assertTrue(disp.startswith("attachment"), r)
        self.assertTrue(all(32 <= ord(ch) < 127 for ch in disp), "ASCII-safe: %r" % disp)
        page = mc.request(self.port, "/w/%s/permits/%d" % (SLUG, pid))
        hrefs = [urllib.parse.urlsplit(h).path for h in mc.links(page.body)]
        self.assertIn("/files/" + pdf_sha, hrefs, "public file listed on the public page")
        self.assertNotIn("/files/" + png_sha, hrefs, "internal file listed publicly")
        self.assertNotIn(png_sha, page.text)

        # Internal: not public, but there for staff of the ward.
        r = mc.request(self.port, "/files/" + png_sha)
        self.assertEqual(r.status, 404, r)
        r = lan.get("/staff/files/" + png_sha)
        self.assertEqual(r.status, 200, mc.describe(r))
        self.assertEqual(r.body, png)
        r = self.client().get("/staff/files/" + png_sha)
        self.assertEqual(r.status, 303, mc.describe(r))
        r = self.login("minh").get("/staff/files/" + png_sha)
        self.assertEqual(r.status, 403, "another ward's file: " + mc.describe(r))
        r = mc.request(self.port, "/files/" + "0" * 64)
        self.assertEqual(r.status, 404, r)

    def test_upload_refused_type(self):
        lan = self.login("lan")
        pid = self.demo_permits[4]
        before = self.snapshot()
        fakes = [("x.jpg", "image/jpeg", b"this is not a JPEG at all, only text\n" * 20),
                 ("x.pdf", "application/pdf", b"%PDF"),  # too short for the signature
                 ("x.png", "image/png", b"\x89PNG\r\n\x1a"),
                 ("x.gif", "image/gif", b"GIF89a" + b"\x00" * 64),
                 ("x.html", "text/html", b"<html><script>alert(1)</script></html>")]
        for name, ctype, data in fakes:
            with self.subTest(name=name):
                r = self.upload(lan, pid, name, ctype, data, True)
                self.assertEqual(r.status, 415, mc.describe(r))
        self.assert_nothing_written(before)

    def test_upload_too_big(self):
        lan = self.login("lan")
        pid = self.demo_permits[4]
        before = self.snapshot()
        # PDF by its magic bytes, one byte over the limit.
        data = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024 + 1 - 9)
        self.assertGreater(len(data), 10 * 1024 * 1024)
        body, ctype = mc.multipart([("csrf", lan.csrf), ("public", "1")],
                                   [("file", "lon.pdf", "application/pdf", data)])
        status, head = self.tolerant_post(lan, "/staff/permits/%d/files" % pid, body, ctype)
        self.assertEqual(status, 413, "reply: %r" % head[:500])
        self.assert_nothing_written(before)

    def tolerant_post(self, c, path, body, ctype):
        """POSTs over a raw socket and reads the reply even when the server answers (and
        stops reading) before the whole body is sent."""
        cookie = "; ".join("%s=%s" % kv for kv in c.cookies.items())
        head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nCookie: %s\r\nContent-Type: %s\r\n"
                "Content-Length: %d\r\nConnection: close\r\n\r\n"
                % (path, self.port, cookie, ctype, len(body))).encode("ascii")
        reply = b""
        with socket.create_connection(("127.0.0.1", self.port), timeout=60) as s:
            try:
                s.sendall(head)
                for i in range(0, len(body), 1 << 16):
                    s.sendall(body[i:i + (1 << 16)])
            except (BrokenPipeError, ConnectionResetError):
                pass
            try:
                while len(reply) < 1 << 20:
                    b = s.recv(65536)
                    if not b:
                        break
                    reply += b
            except (ConnectionResetError, socket.timeout):
                pass
        self.assertTrue(reply, "POST %s (%d bytes): the server closed the connection without "
                        "any reply" % (path, len(body)))
        return mc.raw_status(reply), reply

    # --- codes ------------------------------------------------------------------------------

    def test_retire_code(self):
        lan = self.login("lan")
        pid, _, _ = self.create_permit(lan)
        pid2, f2, _ = self.create_permit(lan)
        old, repl = self.permit_token(pid), self.permit_token(pid2)
        r, rows = self.audited(lambda: lan.post("/staff/codes/%s/retire" % old,
                                                {"replacement": repl, "csrf": lan.csrf}),
                               [("code", "revoke")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertIsNone(rows[0]["before"]["revoked_at"])
        self.assertIsNotNone(rows[0]["after"]["revoked_at"])
        self.assertEqual(rows[0]["after"]["token"], old)
        repl_id = int(mc.sql(self.db, "SELECT id FROM code WHERE token = '%s';" % repl))
        self.assertIn(rows[0]["after"]["replaced_by"], (repl, repl_id))
        r = mc.request(self.port, "/q/" + old)
        self.assertEqual(r.status, 410, r)
        self.assertTrue(any(repl.lower() in urllib.parse.unquote(h).lower()
                            for h in mc.links(r.body)), "410 page links the replacement: %r"
                        % mc.links(r.body))
        r = mc.request(self.port, "/q/" + repl)
        self.assertEqual(r.status, 200, r)
        self.assertIn(f2["number"], mc.page_text(r.body))
        # Retiring it again, or naming a retired replacement, is refused without writing.
        before = self.snapshot()
        r = lan.post("/staff/codes/%s/retire" % old, {"replacement": "", "csrf": lan.csrf})
        self.assertIn(r.status, (404, 409, 410, 422), mc.describe(r))
        r = lan.post("/staff/codes/%s/retire" % repl, {"replacement": old, "csrf": lan.csrf})
        self.assertIn(r.status, (404, 409, 422), mc.describe(r))
        self.assert_nothing_written(before, r)

    # --- resident reports -------------------------------------------------------------------

    def report_form(self, pid, c):
        r = c.get("/w/%s/permits/%d" % (SLUG, pid))
        self.assertEqual(r.status, 200, mc.describe(r))
        action = "/w/%s/permits/%d/report" % (SLUG, pid)
        form = mc.find_form(r.body, action)
        self.assertIsNotNone(form, "public permit page has a form posting to " + action)
        return form

    def report(self, c, pid, form, **kw):
        f = {k: v for k, v in form["fields"]}
        f.update({"category": "beyond_permit",
                  "description": "Công trình xây thêm tầng 4 không có trong giấy phép.",
                  "contact": ""})
        f.update(kw)
        photo = f.pop("photo", None)
        files = [("photo", "anh.png", "image/png", photo)] if photo else []
        return c.post_multipart(form["action_path"], list(f.items()), files)

    def test_report(self):
        c = self.client("127.0.0.21")
        pid = self.demo_permits[5]
        form = self.report_form(pid, c)
        form["action_path"] = "/w/%s/permits/%d/report" % (SLUG, pid)
        self.assertEqual(form["enctype"].lower(), "multipart/form-data")
        for name in ("category", "description", "contact", "photo", "token"):
            self.assertIn(name, form["names"], "report form field %s" % name)
        page = c.get("/w/%s/permits/%d" % (SLUG, pid)).text
        for label in ("Thi công vượt phép", "Thi công khi giấy phép đã hết hạn",
                      "Không dán thông báo", "Công trình mất an toàn", "Khác"):
            self.assertIn(label, page)

        before = self.snapshot()
        r = self.report(c, pid, form, token="0" * 64)
        self.assertEqual(r.status, 403, mc.describe(r))
        r = self.report(c, pid, form, description="ngắn")
        self.assertEqual(r.status, 422, mc.describe(r))
        r = self.report(c, pid, form, category="spaceship")
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assert_nothing_written(before)

        photo = mc.small_png(99, 16)
        desc = "Công trình đổ vật liệu ra lòng đường, che kín lối đi của người dân."
        r, rows = self.audited(lambda: self.report(c, pid, form, category="unsafe",
                                                   description=desc, contact="0909 000 111",
                                                   photo=photo),
                               [("report", "create")])
        self.assertEqual(r.status, 200, mc.describe(r))
        refs = REF_RE.findall(mc.page_text(r.body))
        self.assertTrue(refs, "reference number on the receipt: %s" % mc.describe(r))
        ref = refs[0]
        a = rows[0]["after"]
        rid = int(mc.sql(self.db, "SELECT id FROM report WHERE ref = '%s';" % ref))
        # The trail holds the resident's words sealed with the report's own key (erasable:
        # test_erasure), which opens them to what was sent.
        key = mc.report_key(self.db, rid)
        self.assertEqual((a["ref"], a["permit_id"], a["category"],
                          mc.unseal(a["description"], key), mc.unseal(a["contact"], key)),
                         (ref, pid, "unsafe", desc, "0909 000 111"))
        self.assertNotIn(desc.encode("utf-8"), mc.db_dump(self.db))
        self.assertEqual(a["photo_sha256"], mc.sha256_hex(photo))
        self.assertEqual(mc.stored_file(self.db, a["photo_sha256"]), photo)

        lan = self.login("lan")
        self.assertIn(ref, lan.get("/staff/reports").text)
        self.assertIn(ref, self.login("giamsat").get("/staff/reports").text)
        self.assertNotIn(ref, self.login("minh").get("/staff/reports").text)
        r, rows = self.audited(lambda: lan.post("/staff/reports/%d/review" % rid,
                                                {"note": "Đã cử cán bộ kiểm tra.",
                                                 "csrf": lan.csrf}),
                               [("report", "review")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(rows[0]["after"]["review_note"], "Đã cử cán bộ kiểm tra.")
        self.assertIsNotNone(rows[0]["after"]["reviewed_at"])
        self.assertNotIn(b"127.0.0.", mc.db_dump(self.db), "a raw IP address is stored")

    def test_report_rate_limit(self):
        c = self.client("127.0.0.22")
        pid = self.demo_permits[6]
        form = self.report_form(pid, c)
        form["action_path"] = "/w/%s/permits/%d/report" % (SLUG, pid)
        for i in range(5):
            r = self.report(c, pid, form, description="Phản ánh số %d: thi công ồn ào ban đêm."
                            % (i + 1), category="other")
            self.assertEqual(r.status, 200, "report %d: %s" % (i + 1, mc.describe(r)))
        before = self.snapshot()
        r = self.report(c, pid, form, description="Phản ánh thứ sáu trong cùng một giờ.")
        self.assertEqual(r.status, 429, mc.describe(r))
        self.assert_nothing_written(before, r)
        # Another client is not affected.
        other = self.client("127.0.0.23")
        r = self.report(other, pid, form, description="Phản ánh từ một người khác.")
        self.assertEqual(r.status, 200, mc.describe(r))
        dump = mc.db_dump(self.db)
        for ip in (b"127.0.0.1", b"127.0.0.22", b"127.0.0.23"):
            self.assertNotIn(ip, dump, "raw IP address stored")

    # --- procedures and announcements -------------------------------------------------------

    def test_procedure_and_announcement_forms(self):
        lan = self.login("lan")
        r = lan.get("/staff/procedures/new")
        self.assertEqual(r.status, 200, mc.describe(r))
        self.assertIsNotNone(mc.find_form(r.body, "/staff/procedures"))
        proc = mc.procedure_row("9.100%03d" % (os.getpid() % 1000), "Đăng ký thử nghiệm")
        # A new procedure gets its code at once, as a new permit does.
        r, rows = self.audited(lambda: lan.post("/staff/procedures", dict(proc, csrf=lan.csrf)),
                               [("procedure", "create"), ("code", "create")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        m = re.fullmatch(r"/staff/procedures/(\d+)", loc_path(r) or "")
        self.assertTrue(m, mc.describe(r))
        proc_id = int(m.group(1))
        self.assertEqual(rows[0]["after"]["title"], proc["title"])
        self.assertEqual(rows[0]["after"]["ward_id"], self.ward_id)
        self.assertEqual(len(rows[0]["after"]["documents"]), 3)  # 2 papers + 1 form
        upd = dict(proc, fees="50.000 đồng", csrf=lan.csrf)
        r, rows = self.audited(lambda: lan.post("/staff/procedures/%d" % proc_id, upd),
                               [("procedure", "update")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual((rows[0]["before"]["fees"], rows[0]["after"]["fees"]),
                         ("Miễn phí", "50.000 đồng"))
        before = self.snapshot()
        r = lan.post("/staff/procedures/%d" % proc_id,
                     dict(proc, online_url="javascript:alert(1)", csrf=lan.csrf))
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assert_nothing_written(before, r)
        r, rows = self.audited(lambda: lan.post("/staff/procedures/%d/retire" % proc_id,
                                                {"csrf": lan.csrf}),
                               [("procedure", "retire")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertIsNone(rows[0]["before"]["retired_at"])
        self.assertIsNotNone(rows[0]["after"]["retired_at"])

        ann = {"title": "Thông báo lịch tiếp dân tháng 12", "body": "Thứ Năm hằng tuần.",
               "published_on": day(0), "expires_on": day(36)}
        r, rows = self.audited(lambda: lan.post("/staff/announcements", dict(ann, csrf=lan.csrf)),
                               [("announcement", "create"), ("code", "create")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        m = re.fullmatch(r"/staff/announcements/(\d+)", loc_path(r) or "")
        self.assertTrue(m, mc.describe(r))
        ann_id = int(m.group(1))
        baseline = lan.get("/staff/announcements/new").body
        before = self.snapshot()
        bad = dict(ann, expires_on=day(-24))
        r = lan.post("/staff/announcements/%d" % ann_id, dict(bad, csrf=lan.csrf))
        self.assert_field_message(r, baseline, ["published_on", "expires_on"], bad)
        self.assert_nothing_written(before, r)
        r, rows = self.audited(lambda: lan.post("/staff/announcements/%d" % ann_id,
                                                dict(ann, body="Thứ Năm và thứ Sáu.",
                                                     csrf=lan.csrf)),
                               [("announcement", "update")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual(rows[0]["after"]["body"], "Thứ Năm và thứ Sáu.")
        r, rows = self.audited(lambda: lan.post("/staff/announcements/%d/retire" % ann_id,
                                                {"csrf": lan.csrf}),
                               [("announcement", "retire")], "lan")
        self.assertEqual(r.status, 303, mc.describe(r))


if __name__ == "__main__":
    mc.main()
