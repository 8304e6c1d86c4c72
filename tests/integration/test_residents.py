"""Issue 15, residents first: the report form and its error page agree, a report is followed
up at /r/REF (status, dates, the ward's public reply, nothing personal), staff answer it with a
public reply apart from their internal note (audited), and the staff pages stay under the page
budget for a ward with 2,000 permits.
"""

import html
import os
import re
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
PASSWORD = "mat-khau-cua-lan-15"
REF_RE = re.compile(r"PA-[0-9A-HJKMNP-TV-Z]{8}")
BUDGET = 30 * 1024
MANY = 2000


def labels(body):
    """The labels of the report form, in order (text without the "(bắt buộc)" mark)."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    form = re.search(r'<form class="report".*?</form>', text, re.S)
    assert form, "no report form"
    out = []
    for m in re.finditer(r'<label for="([^"]+)">(.*?)</label>', form.group(0), re.S):
        out.append((m.group(1), html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).strip()))
    return out


def control(body, ident):
    """The opening tag of the control with this id."""
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    m = re.search(r'<(?:input|select|textarea)\b[^>]*\bid="%s"[^>]*>' % re.escape(ident), text)
    assert m, "no control #%s" % ident
    return m.group(0)


class DemoWard(unittest.TestCase):
    """The demo ward with the staff account "lan", a class's own server; prepare(cls) adds
    what a class needs before the server starts."""

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, cls.__name__.lower() + ".db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        mc.add_user(cls.db, "lan", "staff", PASSWORD, SLUG)
        cls.prepare()
        cls.srv = mc.start_server_with_base(cls.db)
        cls.port = cls.srv.port

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.close()
        finally:
            cls.t.cleanup()

    def login(self, name="lan"):
        return mc.staff_login(self, self.port, name, PASSWORD)


class Residents(DemoWard):
    @classmethod
    def prepare(cls):
        cls.permit = int(mc.sql(cls.db, "SELECT min(id) FROM permit WHERE status = "
                                           "'in_progress';"))

    def permit_page(self, c):
        r = c.get("/w/%s/permits/%d" % (SLUG, self.permit))
        self.assertEqual(r.status, 200, mc.describe(r))
        return r

    def send(self, c, **kw):
        action = "/w/%s/permits/%d/report" % (SLUG, self.permit)
        form = mc.find_form(self.permit_page(c).body, action)
        self.assertIsNotNone(form, "the permit page has the report form")
        f = dict(form["fields"])
        f.update({"category": "unsafe", "contact": "0909 123 456",
                  "description": "Giàn giáo nghiêng ra lòng đường, không có lưới che."})
        f.update(kw)
        return c.post_multipart(action, list(f.items()))

    def report(self, source):
        c = mc.Client(self.port, source)
        r = self.send(c)
        self.assertEqual(r.status, 200, mc.describe(r))
        refs = REF_RE.findall(mc.page_text(r.body))
        self.assertTrue(refs, "a reference on the receipt")
        self.assertIn("/r/" + refs[0], mc.links(r.body), "the receipt links /r/REF")
        return refs[0]

    def follow(self, path, status=200):
        r = mc.request(self.port, path)
        self.assertEqual(r.status, status, r)
        return r

    # --- the form and its error page --------------------------------------------------------

    def test_error_page_keeps_labels_order_and_values(self):
        c = mc.Client(self.port, "127.0.0.151")
        form_labels = labels(self.permit_page(c).body)
        self.assertEqual([i for i, _ in form_labels],
                         ["f-category", "f-description", "f-contact", "f-photo"])
        r = self.send(c, category="", description="ngắn", contact="0912 000 111")
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assertEqual(labels(r.body), form_labels, "same labels, same order")
        cat, desc = control(r.body, "f-category"), control(r.body, "f-description")
        for tag, name in ((cat, "category"), (desc, "description")):
            self.assertIn('aria-invalid="true"', tag)
            ids = re.search(r'aria-describedby="([^"]+)"', tag).group(1).split()
            self.assertIn("e-" + name, ids)
            self.assertIn('id="e-%s"' % name, r.text, "the error is on the page")
        self.assertIn("autofocus", cat, "the first error has the focus")
        self.assertNotIn("autofocus", desc)
        self.assertIn(">ngắn</textarea>", r.text, "the description is kept")
        self.assertIn('value="0912 000 111"', control(r.body, "f-contact"), "contact kept")
        self.assertNotIn('aria-invalid', control(r.body, "f-contact"))
        # Ten characters, not ten bytes: "ngắn quá" is 8 characters in 11 bytes.
        r = self.send(c, description="ngắn quá")
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assertIn('id="e-description"', r.text)

    # --- following a report up -------------------------------------------------------------

    def test_follow_up_and_staff_reply(self):
        ref = self.report("127.0.0.152")
        page = self.follow("/r/" + ref)
        text = mc.page_text(page.body)
        self.assertIn("Đã nhận", text)
        self.assertIn("Công trình mất an toàn", text, "the category is shown")
        for private in ("Giàn giáo", "0909 123 456"):
            self.assertNotIn(private, page.text, "nothing the resident wrote is shown")
        self.assertIn('name="robots" content="noindex"', page.text)
        # As typed: lower case, without the prefix or its dash, O for 0.
        data = ref[3:]
        for typed in (ref.lower(), data, "pa " + data.lower(), ref.replace("0", "O")):
            self.assertEqual(self.follow("/r/" + urllib.parse.quote(typed)).body, page.body)
        r = self.follow("/r?ref=" + urllib.parse.quote(ref.lower()), 303)
        self.assertEqual(urllib.parse.urlsplit(r.header("Location")).path, "/r/" + ref)

        rid = int(mc.sql(self.db, "SELECT id FROM report WHERE ref = '%s';" % ref))
        lan = self.login()
        staff = lan.get("/staff/reports")
        self.assertIn('action="/staff/reports/%d/review"' % rid, staff.text)
        self.assertIn('formaction="/staff/reports/%d/reply"' % rid, staff.text)
        last = mc.audit_last_id(self.db)
        reply = "Phường đã cử cán bộ địa chính đến kiểm tra chiều nay."
        note = "Gọi lại cho người báo sau khi kiểm tra."
        r = lan.post("/staff/reports/%d/reply" % rid, {"reply": reply, "note": note,
                                                       "csrf": lan.csrf})
        self.assertEqual(r.status, 303, mc.describe(r))
        rows = mc.audit_rows(self.db, last)
        self.assertEqual([(x["entity"], x["action"], x["actor"]) for x in rows],
                         [("report", "reply", "lan")])
        self.assertEqual(rows[0]["after"]["public_reply"], reply)
        self.assertEqual(rows[0]["after"]["review_note"], note)
        self.assertIsNotNone(rows[0]["after"]["opened_at"])
        self.assertIsNone(rows[0]["after"]["reviewed_at"])

        text = mc.page_text(self.follow("/r/" + ref).body)
        self.assertIn("Tình trạng: Đang xem xét", text)
        self.assertIn(reply, text)
        self.assertNotIn(note, text, "the internal note stays inside")

        last = mc.audit_last_id(self.db)
        done = "Đã yêu cầu chủ đầu tư gia cố giàn giáo và che chắn trong ngày."
        r = lan.post("/staff/reports/%d/review" % rid, {"reply": done, "note": note,
                                                        "csrf": lan.csrf})
        self.assertEqual(r.status, 303, mc.describe(r))
        rows = mc.audit_rows(self.db, last)
        self.assertEqual([(x["entity"], x["action"]) for x in rows], [("report", "review")])
        self.assertIsNotNone(rows[0]["after"]["reviewed_at"])
        text = mc.page_text(self.follow("/r/" + ref).body)
        self.assertIn("Tình trạng: Đã xử lý", text)
        self.assertIn(done, text)
        self.assertNotIn(reply, text, "the reply was replaced")
        # Reviewed once: a second review is refused and writes nothing.
        last = mc.audit_last_id(self.db)
        r = lan.post("/staff/reports/%d/review" % rid, {"reply": "x", "csrf": lan.csrf})
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assertEqual(mc.audit_last_id(self.db), last)

    def test_unknown_reference(self):
        for path in ("/r/PA-00000000", "/r/PA-0000000", "/r/" + "A" * 40, "/r?ref=",
                     "/r?ref=PA-%3Cb%3E", "/r/PA-0000000U"):
            with self.subTest(path=path):
                r = self.follow(path, 404)
                self.assertIn('action="/r"', r.text, "the lookup form again")
        r = self.follow("/r?ref=PA-00000000", 303)
        self.follow(r.header("Location"), 404)

    def test_lookup_form_on_permit_page(self):
        r = self.permit_page(mc.Client(self.port))
        forms = [f for f in mc.forms(r.body) if f["action"] == "/r"]
        self.assertEqual(len(forms), 1, "one lookup form")
        self.assertEqual(forms[0]["method"].lower(), "get")
        self.assertIn("ref", forms[0]["names"])


class Budget(DemoWard):
    """A ward with 2,000 permits: every staff page stays under 30 KB, the lists a page at a
    time with a way to the next."""

    @classmethod
    def prepare(cls):
        rows = [mc.permit_row("%04d/GPXD-NGAN" % i,
                              address="%d Đường Phạm Thế Hiển, Phường 7, Quận 8" % (i + 1),
                              issued_on="2023-%02d-%02d" % (i % 12 + 1, i % 28 + 1))
                for i in range(MANY)]
        path = mc.write_csv(cls.t.join("many.csv"), mc.PERMIT_COLUMNS, rows)
        r = mc.run(["import", "--db", cls.db, "--ward", SLUG, path], timeout=600)
        assert r.rc == 0, r
        mc.add_user(cls.db, "giamsat", "supervisor", PASSWORD)

    def test_staff_pages_under_budget(self):
        total = int(mc.sql(self.db, "SELECT count(*) FROM permit p JOIN ward w ON w.id = "
                                       "p.ward_id WHERE w.slug = '%s';" % SLUG))
        self.assertGreaterEqual(total, MANY)
        lan = self.login("lan")
        pages = (total + 49) // 50
        paths = ["/staff", "/staff/permits", "/staff/permits?page=2",
                 "/staff/permits?page=%d" % pages, "/staff/procedures",
                 "/staff/announcements", "/staff/reports"]
        seen = set()
        for path in paths:
            with self.subTest(path=path):
                r = lan.get(path)
                self.assertEqual(r.status, 200, mc.describe(r))
                self.assertLess(len(r.body), BUDGET, "%s is %d bytes" % (path, len(r.body)))
                seen.update(re.findall(r'href="/staff/permits/(\d+)"', r.text))
        home = lan.get("/staff").text
        self.assertIn('href="/staff/permits?ward=%s"' % SLUG, home, "a way to the whole list")
        self.assertIn("(%d)" % total, home, "the home says how many there are")
        # Page by page, every permit is reached once.
        ids = set()
        for n in range(1, pages + 1):
            r = lan.get("/staff/permits?page=%d" % n)
            page_ids = re.findall(r'<li><a href="/staff/permits/(\d+)">', r.text)
            self.assertLessEqual(len(page_ids), 50)
            self.assertTrue(ids.isdisjoint(page_ids), "page %d repeats a permit" % n)
            ids.update(page_ids)
            if n < pages:
                self.assertIn("page=%d" % (n + 1), r.text, "a link to the next page")
        self.assertEqual(len(ids), total)
        for path, status in (("/staff/permits?page=%d" % (pages + 1), 404),
                             ("/staff/permits?page=0", 400), ("/staff/permits?page=x", 400)):
            with self.subTest(path=path):
                self.assertEqual(lan.get(path).status, status)

    def test_supervisor_pages_under_budget(self):
        sup = self.login("giamsat")
        for path in ("/supervise", "/supervise/permits", "/staff?ward=%s" % SLUG,
                     "/staff/permits?ward=%s" % SLUG):
            with self.subTest(path=path):
                r = sup.get(path)
                self.assertEqual(r.status, 200, mc.describe(r))
                self.assertLess(len(r.body), BUDGET, "%s is %d bytes" % (path, len(r.body)))


if __name__ == "__main__":
    mc.main()
