"""Issue 5: the supervisor dashboard (/supervise) and the scan statistics on /staff.

One demo database with a second ward, extra permits in both wards and a few resident reports,
one server for the whole class. Every expected set is computed with the database's own CLI
(sqlite3 or psql) from the database itself, relative to today's ward-local date (UTC+7), never
copied from the pages.
"""

import csv
import datetime
import io
import json
import os
import re
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
SLUG2 = "phuong-thu-hai"
PASSWORDS = {"lan": "mat-khau-cua-lan-1", "giamsat": "mat-khau-giam-sat-3",
             "quantri": "mat-khau-quan-tri-4"}
TODAY = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=7)).date()
PAGE = 50
LISTS = ("all", "overdue", "expiring", "halted", "reported")
OPEN = "status IN ('issued', 'in_progress')"
OPEN_REPORT = "EXISTS (SELECT 1 FROM report r WHERE r.permit_id = p.id AND r.reviewed_at IS NULL)"
REASON2 = 'Xây vượt tầng, "khẩn cấp"; đình chỉ theo biên bản số 12'
STATUS_LABELS = {"issued": "Đã cấp phép", "in_progress": "Đang thi công",
                 "suspended": "Đình chỉ", "revoked": "Thu hồi", "completed": "Đã hoàn thành"}
CROCKFORD = mc.CROCKFORD


def day(offset):
    return (TODAY + datetime.timedelta(days=offset)).isoformat()


def list_where(name):
    """The SQL condition of each list, written independently of the server's queries."""
    return {
        "all": "1 = 1",
        "overdue": "%s AND ends_on < '%s'" % (OPEN, day(0)),
        "expiring": "%s AND ends_on BETWEEN '%s' AND '%s'" % (OPEN, day(0), day(7)),
        "halted": "status IN ('suspended', 'revoked')",
        "reported": OPEN_REPORT,
    }[name]


def unknown_token(seed=7):
    """A token whose check symbol is right but that no code has (hardly ever made)."""
    def mul_x(c):
        c <<= 1
        return c ^ 0x25 if c & 0x20 else c
    vals = [(seed * 7 + i * 13) % 32 for i in range(8)]
    h = 0
    for v in vals:
        h = mul_x(h) ^ v
    vals.append(mul_x(h))
    return "".join(CROCKFORD[v] for v in vals)


def login(tc, port, name):
    """A Client signed in as name, with the session's CSRF token as .csrf."""
    c = mc.Client(port)
    r = c.get("/staff/login")
    form = mc.find_form(r.body, "/staff/login")
    tc.assertIsNotNone(form, mc.describe(r))
    r = c.post("/staff/login", {"name": name, "password": PASSWORDS[name],
                                "csrf": mc.form_value(form, "csrf")})
    tc.assertEqual(r.status, 303, mc.describe(r))
    r = c.get("/staff")
    tc.assertEqual(r.status, 200, mc.describe(r))
    c.csrf = next(mc.form_value(f, "csrf") for f in mc.forms(r.body) if mc.form_value(f, "csrf"))
    return c


class Supervise(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "sup.db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        r = mc.run(["import", "--db", cls.db, os.path.join(mc.FIXTURES, "ward2.csv")])
        assert r.rc == 0, r
        # Ward 2: enough permits to need three pages, plus one of each kind a list shows.
        rows = [mc.permit_row("%d/GPSC-SUP" % (i + 1), issued_on=day(-400 + i),
                              starts_on=day(-390 + i), ends_on=day(300 + i))
                for i in range(60)]
        rows += [
            mc.permit_row("1/QH-SUP", issued_on=day(-90), starts_on=day(-80), ends_on=day(-3),
                          owner_name="Nguyễn Thị Ánh Tuyết"),
            mc.permit_row("2/SH-SUP", status="issued", issued_on=day(-20), starts_on=day(-10),
                          ends_on=day(2), owner_name="Phạm Đức Thịnh"),
            mc.permit_row("3/DC-SUP", status="suspended", status_reason=REASON2,
                          issued_on=day(-30), starts_on=day(-25), ends_on=day(40),
                          address="=1+2, Hẻm 5, Phường Thử Hai"),
        ]
        path = mc.write_csv(cls.t.join("permits2.csv"), mc.PERMIT_COLUMNS, rows)
        r = mc.run(["import", "--db", cls.db, "--ward", SLUG2, path])
        assert r.rc == 0, r
        for name, pw in PASSWORDS.items():
            role = {"giamsat": "supervisor", "quantri": "admin"}.get(name, "staff")
            mc.add_user(cls.db, name, role, pw, SLUG if role == "staff" else None)
        cls.ward2_id = int(mc.sql(cls.db, "SELECT id FROM ward WHERE slug = '%s';" % SLUG2))
        # Resident reports: two open ones (the later made permit first), one reviewed.
        ids = [int(x) for x in mc.sql(cls.db, "SELECT id FROM permit WHERE ward_id = 1 AND "
                                              "status = 'in_progress' ORDER BY id LIMIT 3;"
                                      ).split()]
        for ref, pid, at, reviewed in (("PA-SUP00001", ids[0], "2026-03-02T01:00:00Z", None),
                                       ("PA-SUP00002", ids[1], "2026-01-15T01:00:00Z", None),
                                       ("PA-SUP00003", ids[2], "2026-01-01T01:00:00Z",
                                        "2026-01-02T01:00:00Z")):
            mc.sql(cls.db, "INSERT INTO report (ref, permit_id, category, description, "
                           "client_key, created_at, reviewed_at) VALUES ('%s', %d, 'other', "
                           "'Phản ánh thử.', 'k', '%s', %s);"
                   % (ref, pid, at, "'%s'" % reviewed if reviewed else "NULL"))
        cls.srv = mc.start_server_with_base(cls.db)
        cls.port = cls.srv.port

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.close()
        finally:
            cls.t.cleanup()

    # --- helpers ----------------------------------------------------------------------------

    def login(self, name):
        return login(self, self.port, name)

    def supervisor(self):
        if not getattr(Supervise, "_sup", None):
            Supervise._sup = self.login("giamsat")
        return Supervise._sup

    def ids(self, where, order="id"):
        out = mc.sql(self.db, "SELECT id FROM permit p WHERE %s ORDER BY %s;" % (where, order))
        return [int(x) for x in out.split()]

    def page_ids(self, body):
        return [int(x) for x in re.findall(r'<tr data-id="(\d+)"', body.decode("utf-8"))]

    def fetch_list(self, c, query):
        """Every id of a list, page after page (bounded), and the count the page states."""
        got, page, count = [], 1, None
        while page <= 20:
            r = c.get("/supervise/permits?%s&page=%d" % (query, page))
            self.assertEqual(r.status, 200, mc.describe(r))
            m = re.search(r'<span id="count">(\d+)</span>', r.text)
            self.assertTrue(m, mc.describe(r))
            count = int(m.group(1))
            ids = self.page_ids(r.body)
            self.assertLessEqual(len(ids), PAGE)
            got += ids
            if 'rel="next"' not in r.text:
                break
            self.assertEqual(len(ids), PAGE, "a page before the last is full")
            page += 1
        return got, count

    def ward_where(self, slug):
        return "ward_id = (SELECT id FROM ward WHERE slug = '%s')" % slug if slug else "1 = 1"

    # --- access -----------------------------------------------------------------------------

    def test_access_by_role(self):
        anon = mc.Client(self.port)
        for path in ("/supervise", "/supervise/permits?list=overdue", "/supervise/permits/1"):
            r = anon.get(path)
            self.assertEqual(r.status, 303, mc.describe(r))
            self.assertEqual(urllib.parse.urlsplit(r.header("Location")).path, "/staff/login")
        staff = self.login("lan")
        for path in ("/supervise", "/supervise/permits", "/supervise/permits?format=csv",
                     "/supervise/permits?format=xlsx", "/supervise/permits/1"):
            r = staff.get(path)
            self.assertEqual(r.status, 403, mc.describe(r))
            self.assertNotIn(b"text/csv", (r.header("Content-Type") or "").encode())
        for c in (self.supervisor(), self.login("quantri")):
            r = c.get("/supervise")
            self.assertEqual(r.status, 200, mc.describe(r))
            # Every ward that stands on its own is on the supervisor's board.
            for slug in (SLUG, SLUG2):
                self.assertIn('data-ward="%s"' % slug, r.text)
        r = self.supervisor().post("/supervise", {"csrf": self.supervisor().csrf})
        self.assertEqual(r.status, 405, mc.describe(r))

    # --- the board --------------------------------------------------------------------------

    def test_board_counts_per_ward_and_total(self):
        r = self.supervisor().get("/supervise")
        self.assertEqual(r.status, 200, mc.describe(r))
        rows = dict(re.findall(r'<tr data-ward="([a-z0-9-]*)">(.*?)</tr>', r.text, re.S))
        self.assertEqual(set(rows), {SLUG, SLUG2, ""})
        for slug in (SLUG, SLUG2, None):
            cells = {k: int(v) for k, v in
                     re.findall(r'<td class="(\w+)">(?:<a [^>]*>)?(\d+)', rows[slug or ""])}
            w = self.ward_where(slug)
            want = {s: len(self.ids("%s AND status = '%s'" % (w, s))) for s in STATUS_LABELS}
            want["total"] = len(self.ids(w))
            for name in ("overdue", "expiring", "reported"):
                want[name] = len(self.ids("%s AND %s" % (w, list_where(name))))
            self.assertEqual(cells, want, slug)
        self.assertGreater(len(self.ids(list_where("overdue"))), 0)

    def test_chain_head_matches_cli(self):
        # The plain board shows the head without walking the chain; ?verify=1 walks it.
        plain = self.supervisor().get("/supervise")
        self.assertEqual(plain.status, 200, mc.describe(plain))
        self.assertNotIn("Toàn vẹn (OK)", plain.text)
        r = self.supervisor().get("/supervise?verify=1")
        self.assertEqual(r.status, 200, mc.describe(r))
        head = re.search(r'<code id="chain-head">([0-9a-f]{64})</code>', r.text)
        self.assertIn(head.group(0), plain.text)
        self.assertTrue(head, mc.describe(r))
        v = mc.run(["audit", "verify", "--db", self.db])
        self.assertEqual(v.rc, 0, v)
        self.assertIn("head %s" % head.group(1), v.out)
        n = re.search(r"OK, (\d+) entries", v.out).group(1)
        self.assertIn("Toàn vẹn (OK)</strong>, %s mục" % n, r.text)

    # --- lists ------------------------------------------------------------------------------

    def test_each_list_per_ward_and_across(self):
        c = self.supervisor()
        for name in LISTS:
            for slug in (None, SLUG, SLUG2):
                q = "list=%s" % name + ("&ward=%s" % slug if slug else "")
                got, count = self.fetch_list(c, q)
                want = self.ids("%s AND %s" % (self.ward_where(slug), list_where(name)))
                self.assertEqual(sorted(got), want, q)
                self.assertEqual(len(got), len(set(got)), q)
                self.assertEqual(count, len(want), q)
        for name in ("overdue", "expiring", "halted", "reported"):
            self.assertTrue(self.ids(list_where(name)), "demo data has %s permits" % name)

    def test_list_orders(self):
        c = self.supervisor()
        got, _ = self.fetch_list(c, "list=reported")
        want = self.ids(OPEN_REPORT, "(SELECT min(created_at) FROM report r WHERE "
                                     "r.permit_id = p.id AND r.reviewed_at IS NULL), id")
        self.assertEqual(got, want, "oldest open report first")
        self.assertEqual(len(want), 2)
        got, _ = self.fetch_list(c, "list=overdue")
        ends = [mc.sql(self.db, "SELECT ends_on FROM permit WHERE id = %d;" % i) for i in got]
        self.assertEqual(ends, sorted(ends), "earliest end first")

    def test_pagination(self):
        c = self.supervisor()
        want = self.ids("1 = 1")
        self.assertGreater(len(want), 2 * PAGE)
        pages = []
        for n in (1, 2, 3):
            r = c.get("/supervise/permits?list=all&page=%d" % n)
            self.assertEqual(r.status, 200, mc.describe(r))
            pages.append(self.page_ids(r.body))
            self.assertIn("Trang %d / 3" % n, mc.page_text(r.body))
        self.assertEqual([len(p) for p in pages], [PAGE, PAGE, len(want) - 2 * PAGE])
        flat = [i for p in pages for i in p]
        self.assertEqual(sorted(flat), want)
        self.assertEqual(len(set(flat)), len(flat))
        for bad, status in (("page=4", 404), ("page=0", 400), ("page=-1", 400),
                            ("page=abc", 400), ("page=" + "9" * 30, 400)):
            r = c.get("/supervise/permits?list=all&" + bad)
            self.assertEqual(r.status, status, mc.describe(r))

    def test_filters(self):
        c = self.supervisor()
        cases = [
            ("list=all&status=suspended", "status = 'suspended'"),
            ("list=all&ward=%s&status=in_progress" % SLUG2,
             "%s AND status = 'in_progress'" % self.ward_where(SLUG2)),
            ("list=all&from=%s&to=%s" % (day(-200), day(-10)),
             "issued_on BETWEEN '%s' AND '%s'" % (day(-200), day(-10))),
            ("list=all&date=ends&from=%s&to=%s" % (day(0), day(60)),
             "ends_on BETWEEN '%s' AND '%s'" % (day(0), day(60))),
            ("list=overdue&date=ends&from=%s" % day(-30),
             "%s AND ends_on >= '%s'" % (list_where("overdue"), day(-30))),
            ("list=halted&status=revoked", "status = 'revoked'"),
        ]
        for q, where in cases:
            got, count = self.fetch_list(c, q)
            want = self.ids(where)
            self.assertTrue(want, q)
            self.assertEqual(sorted(got), want, q)
            self.assertEqual(count, len(want), q)
        for q in ("list=nope", "status=built", "ward=no-such-ward", "ward=A%20B",
                  "from=2026-02-30", "from=yesterday", "date=created",
                  "from=%s&to=%s" % (day(5), day(1)), "format=pdf"):
            r = c.get("/supervise/permits?" + q)
            self.assertEqual(r.status, 400, "%s\n%s" % (q, mc.describe(r)))

    # --- CSV --------------------------------------------------------------------------------

    def csv_rows(self, query):
        r = self.supervisor().get("/supervise/permits?%s&format=csv" % query)
        self.assertEqual(r.status, 200, mc.describe(r))
        self.assertEqual(r.header("Content-Type"), "text/csv; charset=utf-8")
        disp = r.header("Content-Disposition") or ""
        self.assertRegex(disp, r'^attachment; filename="[A-Za-z0-9._-]+\.csv"$')
        self.assertTrue(r.body.startswith(b"\xef\xbb\xbf"), r.body[:20])
        text = r.body[3:].decode("utf-8")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        return r.body, rows[0], [dict(zip(rows[0], x)) for x in rows[1:]], rows

    def test_csv_export(self):
        body, head, rows, raw = self.csv_rows("list=all")
        self.assertTrue(all(len(x) == len(head) for x in raw), "every row has every column")
        want = mc.sql(self.db, "SELECT number FROM permit ORDER BY number;").splitlines()
        self.assertEqual(sorted(x["Số giấy phép"] for x in rows), sorted(want),
                         "the whole list, not one page")
        self.assertGreater(len(rows), PAGE)
        # Vietnamese byte for byte: every owner's name as the database holds it.
        held = json.loads(mc.sql(self.db, "SELECT json_group_array(json_array(number, "
                                          "owner_name, address)) FROM permit;",
                                 pg="SELECT json_agg(json_build_array(number, owner_name, "
                                    "address)) FROM permit;"))
        self.assertEqual(len(held), len(rows))
        for number, owner, address in held:
            row = next(x for x in rows if x["Số giấy phép"] == number)
            self.assertEqual(row["Chủ đầu tư"].encode("utf-8"), owner.encode("utf-8"))
            self.assertIn(owner.encode("utf-8"), body)
            if not address.startswith("="):
                self.assertEqual(row["Địa chỉ"], address)
        # Quotes, commas and semicolons survive; a formula-like cell is defused.
        row = next(x for x in rows if x["Số giấy phép"] == "3/DC-SUP")
        self.assertEqual(row["Lý do"], REASON2)
        self.assertEqual(row["Trạng thái"], STATUS_LABELS["suspended"])
        self.assertEqual(row["Địa chỉ"], "'=1+2, Hẻm 5, Phường Thử Hai")
        self.assertEqual(row["Phường"], "Phường Thử Hai, Quận 8")
        self.assertIn(b"\r\n", body)

    def test_csv_follows_the_filter(self):
        for q, where in (("list=overdue", list_where("overdue")),
                         ("list=reported&ward=%s" % SLUG, OPEN_REPORT),
                         ("list=expiring&ward=%s" % SLUG2,
                          "%s AND %s" % (self.ward_where(SLUG2), list_where("expiring")))):
            _, _, rows, _ = self.csv_rows(q)
            want = mc.sql(self.db, "SELECT number FROM permit p WHERE %s;" % where)
            self.assertEqual(sorted(x["Số giấy phép"] for x in rows),
                             sorted(want.splitlines()), q)

    # --- one permit -------------------------------------------------------------------------

    def test_permit_timeline_shows_staff_changes(self):
        lan = self.login("lan")
        number = "%d/GPSC-TL" % (os.getpid() % 100000)
        fields = {"number": number, "kind": "repair",
                  "address": "45 Đường Âu Dương Lân, Phường 7, Quận 8",
                  "owner_name": "Trần Thị Hạnh", "scope": "Sửa chữa mái tôn",
                  "floors": "2", "area_m2": "40", "height_m": "8",
                  "contractor": "Công ty TNHH Xây dựng Phú Định",
                  "office": "UBND Phường 7, Quận 8", "issued_on": day(-10),
                  "starts_on": day(-3), "ends_on": day(90), "csrf": lan.csrf}
        r = lan.post("/staff/permits", fields)
        self.assertEqual(r.status, 303, mc.describe(r))
        pid = int(re.search(r"/staff/permits/(\d+)$", r.header("Location")).group(1))
        reason = "Tạm dừng: thi công vượt phép"
        r = lan.post("/staff/permits/%d/status" % pid,
                     {"status": "suspended", "reason": reason, "csrf": lan.csrf})
        self.assertEqual(r.status, 303, mc.describe(r))
        r = self.supervisor().get("/supervise/permits/%d" % pid)
        self.assertEqual(r.status, 200, mc.describe(r))
        items = re.findall(r'<li data-audit="(\d+)" data-entity="(\w+)" data-action="(\w+)">'
                           r'(.*?)(?=<li data-audit=|</ol>)', r.text, re.S)
        audit = mc.sql(self.db, "SELECT id || ' ' || entity || ' ' || action || ' ' || actor "
                                "FROM audit WHERE (entity = 'permit' AND entity_id = %d) OR "
                                "(entity = 'code' AND json_extract(after, '$.target_id') = "
                                "%d AND json_extract(after, '$.target_kind') = 'permit') "
                                "ORDER BY id;" % (pid, pid),
                       pg="SELECT id || ' ' || entity || ' ' || action || ' ' || actor "
                          "FROM audit WHERE (entity = 'permit' AND entity_id = %d) OR "
                          "(entity = 'code' AND (\"after\"::json ->> 'target_id')::bigint = "
                          "%d AND \"after\"::json ->> 'target_kind' = 'permit') "
                          "ORDER BY id;" % (pid, pid)).splitlines()
        self.assertEqual([" ".join(i[:3]) for i in items],
                         [" ".join(a.split(" ")[:3]) for a in audit])
        kinds = [(e, a) for _, e, a, _ in items]
        self.assertEqual(kinds, [("permit", "create"), ("code", "create"), ("permit", "status")])
        for _, _, _, text in items:
            self.assertIn('<span class="who">lan</span>', text)
        status_text = mc.page_text(items[2][3])
        self.assertIn(reason, status_text)
        self.assertIn(STATUS_LABELS["suspended"], status_text)
        self.assertIn("Trần Thị Hạnh", mc.page_text(r.body), "full owner name for officials")
        self.assertEqual(self.supervisor().get("/supervise/permits/999999").status, 404)
        self.assertEqual(self.supervisor().get("/supervise/permits/01").status, 404)

    def test_permit_page_lists_its_reports(self):
        pid = self.ids("EXISTS (SELECT 1 FROM report r WHERE r.permit_id = p.id)")[0]
        r = self.supervisor().get("/supervise/permits/%d" % pid)
        self.assertEqual(r.status, 200, mc.describe(r))
        for ref in mc.sql(self.db, "SELECT ref FROM report WHERE permit_id = %d;"
                          % pid).splitlines():
            self.assertIn(ref, r.text)

    # --- scan statistics on /staff ----------------------------------------------------------

    def scan_section(self, c, days):
        r = c.get("/staff")
        self.assertEqual(r.status, 200, mc.describe(r))
        m = re.search(r'<section class="scans" data-days="%d">(.*?)</section>' % days, r.text,
                      re.S)
        self.assertTrue(m, mc.describe(r))
        s = m.group(1)
        top = {(k, int(i)): int(n) for k, i, n in re.findall(
            r'<li data-kind="(\w+)" data-id="(\d+)">.*?<span class="n">(\d+)</span>', s)}
        unknown = int(re.search(r'class="scan-unknown">(\d+)<', s).group(1))
        mistyped = int(re.search(r'class="scan-mistyped">(\d+)<', s).group(1))
        return top, unknown, mistyped

    def test_scan_counts_on_staff_home(self):
        lan = self.login("lan")
        proc_id, proc_tok = mc.sql(self.db, "SELECT target_id || ' ' || token FROM code "
                                            "WHERE target_kind = 'procedure' AND revoked_at "
                                            "IS NULL ORDER BY id LIMIT 1;").split()
        permit_id, permit_tok = mc.sql(self.db, "SELECT c.target_id || ' ' || c.token FROM "
                                                "code c JOIN permit p ON p.id = c.target_id "
                                                "WHERE c.target_kind = 'permit' AND "
                                                "p.ward_id = 1 AND c.revoked_at IS NULL "
                                                "ORDER BY c.id DESC LIMIT 1;").split()
        before = {d: self.scan_section(lan, d) for d in (7, 30)}
        for _ in range(3):
            self.assertEqual(mc.request(self.port, "/q/" + permit_tok).status, 200)
        for _ in range(2):
            self.assertEqual(mc.request(self.port, "/q/" + proc_tok).status, 200)
            self.assertEqual(mc.request(self.port, "/q/" + unknown_token()).status, 404)
        self.assertEqual(mc.request(self.port, "/q/" + mc.mistype(permit_tok)).status, 404)
        want_permit = before[7][0].get(("permit", int(permit_id)), 0) + 3
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the writer thread batches every ~100 ms
            top, unknown, mistyped = self.scan_section(lan, 7)
            if top.get(("permit", int(permit_id))) == want_permit and \
                    mistyped == before[7][2] + 1 and unknown == before[7][1] + 2:
                break
            time.sleep(0.1)
        for d in (7, 30):
            top, unknown, mistyped = self.scan_section(lan, d)
            b_top, b_unknown, b_mistyped = before[d]
            self.assertEqual(top.get(("permit", int(permit_id))),
                             b_top.get(("permit", int(permit_id)), 0) + 3, d)
            self.assertEqual(top.get(("procedure", int(proc_id))),
                             b_top.get(("procedure", int(proc_id)), 0) + 2, d)
            self.assertEqual(unknown, b_unknown + 2, d)
            self.assertEqual(mistyped, b_mistyped + 1, d)
        # What the page says is what the database holds.
        n = mc.sql(self.db, "SELECT sum(d.count) FROM scan_daily d JOIN code c ON c.id = "
                            "d.code_id WHERE c.target_kind = 'permit' AND c.target_id = %s;"
                   % permit_id)
        self.assertEqual(int(n), top[("permit", int(permit_id))])


class TamperedChain(unittest.TestCase):
    """The board's verdict on a chain edited behind the application's back."""

    def test_board_names_the_first_bad_entry(self):
        t = mc.TempDir()
        srv = None
        try:
            db = mc.new_db(t, "t.db")
            self.assertEqual(mc.run(["demo", "--db", db]).rc, 0)
            mc.add_user(db, "giamsat", "supervisor", PASSWORDS["giamsat"])
            mc.sql(db, "DROP TRIGGER IF EXISTS audit_no_update; UPDATE audit SET actor = "
                       "'someone-else' WHERE id = 42;",
                   pg=mc.unlock_audit_sql(db) + "UPDATE audit SET actor = 'someone-else' "
                                                "WHERE id = 42;")
            v = mc.run(["audit", "verify", "--db", db])
            self.assertEqual(v.rc, 1, v)
            self.assertIn("FAILED at entry 42", v.out)
            srv = mc.start_server_with_base(db)
            c = login(self, srv.port, "giamsat")
            r = c.get("/supervise?verify=1")
            self.assertEqual(r.status, 200, mc.describe(r))
            self.assertIn('<strong id="first-bad">42</strong>', r.text)
            self.assertNotIn("Toàn vẹn (OK)", r.text)
        finally:
            if srv:
                srv.close()
            t.cleanup()


if __name__ == "__main__":
    mc.main()
