"""One copy of each rule: a value the CSV import accepts, the staff form accepts too, stores
the same way, and the public page shows the same way; a value one refuses, the other refuses.

Checked through the real binary and the real server only: the import command, the staff forms
over HTTP, the public pages and the JSON API.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

PASSWORD = "mat-khau-cua-lan-1"
# An address as an office might paste it: scheme in capitals, a query string.
ADDRESS = "HTTPS://DichVuCong.HoChiMinhCity.gov.vn/thu-tuc?ma=1.999001&b=2"
STORED = "https://DichVuCong.HoChiMinhCity.gov.vn/thu-tuc?ma=1.999001&b=2"


class Rules(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "rules.db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        mc.add_user(cls.db, "lan", "staff", PASSWORD, mc.SLUG)
        path = mc.write_csv(cls.t.join("procedures.csv"), mc.PROCEDURE_COLUMNS, [
            mc.procedure_row("1.999001", "Thủ tục nhập từ tệp", online_url=ADDRESS)])
        r = mc.run(["import", "--db", cls.db, "--ward", mc.SLUG, path])
        assert r.rc == 0, r
        path = mc.write_csv(cls.t.join("permits.csv"), mc.PERMIT_COLUMNS, [
            mc.permit_row("991/GPSC-THU", area_m2="48,5", height_m="7.25")])
        r = mc.run(["import", "--db", cls.db, "--ward", mc.SLUG, path])
        assert r.rc == 0, r
        cls.srv = mc.start_server_with_base(cls.db)
        cls.port = cls.srv.port

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.close()
        finally:
            cls.t.cleanup()

    def token_of(self, kind, title):
        for token, k, t in mc.code_list(self.db, kind):
            if t == title:
                return token
        self.fail("no %s code titled %r" % (kind, title))

    def record(self, kind, title):
        r, j = mc.api(self.port, self.token_of(kind, title))
        self.assertEqual(r.status, 200, r)
        return j

    def login(self):
        c = mc.Client(self.port)
        r = c.get("/staff/login")
        form = mc.find_form(r.body, "/staff/login")
        r = c.post("/staff/login", {"name": "lan", "password": PASSWORD,
                                    "csrf": mc.form_value(form, "csrf")})
        self.assertEqual(r.status, 303, mc.describe(r))
        for f in mc.forms(c.get("/staff").body):
            if mc.form_value(f, "csrf"):
                c.csrf = mc.form_value(f, "csrf")
                return c
        self.fail("no csrf token on /staff")

    def online_link(self, token):
        r = mc.request(self.port, "/q/" + token)
        self.assertEqual(r.status, 200, r)
        return [href for href in mc.links(r.body) if "DichVuCong" in href]

    def test_web_address_import_form_page_agree(self):
        # The import took the address, stored its scheme in lower case, and the page links it.
        imported = self.record("procedure", "Thủ tục nhập từ tệp")
        self.assertEqual(imported["record"]["online_url"], STORED)
        self.assertEqual(self.online_link(self.token_of("procedure", "Thủ tục nhập từ tệp")),
                         [STORED])
        # The staff form takes the very same text and stores and shows it the same way.
        lan = self.login()
        proc = mc.procedure_row("1.999002", "Thủ tục nhập từ biểu mẫu", online_url=ADDRESS)
        r = lan.post("/staff/procedures", dict(proc, csrf=lan.csrf))
        self.assertEqual(r.status, 303, mc.describe(r))
        typed = self.record("procedure", "Thủ tục nhập từ biểu mẫu")
        self.assertEqual(typed["record"]["online_url"], imported["record"]["online_url"])
        self.assertEqual(self.online_link(self.token_of("procedure", "Thủ tục nhập từ biểu mẫu")),
                         [STORED])

    def test_refusals_agree(self):
        lan = self.login()
        bad = {
            "online_url": ["ftp://x.vn/", "https://", "https://a b.vn/", "javascript:alert(1)",
                           "https://x.vn/\"onmouseover=1"],
            "tthc_code": ["1..2", ".1", "1.", "a.001", "1" * 21],
        }
        n = 0
        for column, values in bad.items():
            for v in values:
                n += 1
                code = "1.9991%02d" % n
                with self.subTest(column=column, value=v):
                    row = mc.procedure_row(code, "Thủ tục sai %d" % n, **{column: v})
                    path = mc.write_csv(self.t.join("bad%d.csv" % n), mc.PROCEDURE_COLUMNS,
                                        [row])
                    r = mc.run(["import", "--db", self.db, "--ward", mc.SLUG, path])
                    self.assertEqual(r.rc, 1, r)
                    self.assertIn("column %s" % column, r.err)
                    r = lan.post("/staff/procedures", dict(row, csrf=lan.csrf))
                    self.assertEqual(r.status, 422, mc.describe(r))

    def test_numbers_agree(self):
        # A decimal comma (as Vietnamese write it) reads the same in a file and in a form.
        imported = self.record("permit", "991/GPSC-THU")["record"]
        self.assertEqual((imported["area_m2"], imported["height_m"]), (48.5, 7.25))
        lan = self.login()
        edit_path = "/staff/permits/new"
        form = mc.find_form(lan.get(edit_path).body, "/staff/permits")
        self.assertIsNotNone(form)
        fields = {k: v for k, v in form["fields"] if k != "csrf"}
        fields.update({k: v for k, v in mc.permit_row("992/GPSC-THU").items()
                       if k in fields and k not in ("status", "status_reason")})
        fields.update(area_m2="48,5", height_m="7.25", csrf=lan.csrf)
        r = lan.post("/staff/permits", fields)
        self.assertEqual(r.status, 303, mc.describe(r))
        typed = self.record("permit", "992/GPSC-THU")["record"]
        self.assertEqual((typed["area_m2"], typed["height_m"]), (48.5, 7.25))
        # Two marks, a sign or a grouping are refused by both.
        for n, v in enumerate(("1,250.5", "-3", "4.", "1e3"), 1):
            with self.subTest(value=v):
                path = mc.write_csv(self.t.join("num%d.csv" % n), mc.PERMIT_COLUMNS,
                                    [mc.permit_row("99%d/GPSC-SAI" % n, area_m2=v)])
                r = mc.run(["import", "--db", self.db, "--ward", mc.SLUG, path])
                self.assertEqual(r.rc, 1, r)
                self.assertIn("column area_m2", r.err)
                bad = dict(fields, number="98%d/GPSC-SAI" % n, area_m2=v)
                r = lan.post("/staff/permits", bad)
                self.assertEqual(r.status, 422, mc.describe(r))
        titles = [t for _, _, t in mc.code_list(self.db, "permit")]
        self.assertFalse([t for t in titles if "GPSC-SAI" in t], "a refused permit was stored")


if __name__ == "__main__":
    mc.main()
