"""`motcham import`: the CSV contract, all-or-nothing, FILE:LINE errors, stable codes."""

import os
import re
import sys
import unicodedata
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

WARD = "phuong-thu-nghiem"


def fixture(name):
    return os.path.join(mc.FIXTURES, name)


class Import(unittest.TestCase):
    def setUp(self):
        self.t = mc.TempDir()
        self.addCleanup(self.t.cleanup)
        self.db = mc.new_db(self.t, "i.db")
        r = mc.run(["init", "--db", self.db])
        self.assertEqual(r.rc, 0, r)
        r = self.imp(fixture("ward.csv"), ward=None)
        self.assertEqual(r.rc, 0, r)

    def imp(self, path, ward=WARD):
        return mc.run(["import", "--db", self.db] + (["--ward", ward] if ward else []) + [path])

    def assert_rejected(self, path, lines, ward=WARD, mention=None):
        """Import fails with FILE:LINE for each line in lines and the database is untouched."""
        before = mc.db_dump(self.db)
        r = self.imp(path, ward=ward)
        self.assertEqual(r.rc, 1, r)
        for line in lines:
            self.assertIn("%s:%d:" % (path, line), r.err, r)
        if mention:
            self.assertIn(mention, r.err, r)
        self.assertEqual(mc.db_dump(self.db), before, "a rejected import wrote something")
        return r

    def csv(self, name, header, rows, **kw):
        return mc.write_csv(self.t.join(name), header, rows, **kw)

    def codes(self, kind):
        return {tok: title for tok, k, title in mc.code_list(self.db) if k == kind}

    # --- procedures -------------------------------------------------------------------------

    def test_procedures(self):
        r = self.imp(fixture("procedures.csv"))
        self.assertEqual(r.rc, 0, r)
        titles = sorted(self.codes("procedure").values())
        self.assertEqual(titles, sorted(["Đăng ký khai sinh", "Chứng thực bản sao từ bản chính",
                                         "Đăng ký kết hôn"]))

    def test_bad_row_reports_line_and_writes_nothing(self):
        path = fixture("procedures_bad_row.csv")
        counts = mc.db_counts(self.db)
        r = self.assert_rejected(path, [5])
        self.assertNotIn("%s:2:" % path, r.err, "the good rows must not be reported")
        self.assertNotIn("%s:6:" % path, r.err, "the good rows must not be reported")
        self.assertEqual(mc.db_counts(self.db), counts)
        self.assertEqual(self.codes("procedure"), {})

    def test_every_bad_row_is_reported(self):
        one_line = dict(steps="Bước 1: Nộp hồ sơ", documents="Tờ khai", legal_basis="Luật")
        rows = [mc.procedure_row("1.009301", "Một", **one_line),
                mc.procedure_row("1.009302", "", **one_line),  # title missing
                mc.procedure_row("1.009303", "Ba", **one_line),
                mc.procedure_row("1.009304", "Bốn", duration="", **one_line)]
        self.assert_rejected(self.csv("two-bad.csv", mc.PROCEDURE_COLUMNS, rows), [3, 5])

    def test_bom_accepted(self):
        with open(fixture("procedures.csv"), "rb") as f:
            data = f.read()
        path = self.t.join("bom.csv")
        with open(path, "wb") as f:
            f.write(b"\xef\xbb\xbf" + data)
        r = self.imp(path)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(len(self.codes("procedure")), 3)

    def test_unknown_column_refused(self):
        self.assert_rejected(fixture("procedures_unknown_column.csv"), [], mention="titel")

    def test_missing_required_column_named(self):
        self.assert_rejected(fixture("procedures_missing_office.csv"), [], mention="office")

    def test_header_case_spaces_and_order_free(self):
        r = self.imp(fixture("procedures_loose_header.csv"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(list(self.codes("procedure").values()), ["Cấp bản sao trích lục hộ tịch"])

    def test_reimport_keeps_tokens(self):
        self.assertEqual(self.imp(fixture("procedures.csv")).rc, 0)
        first = self.codes("procedure")
        counts = mc.db_counts(self.db)
        r = self.imp(fixture("procedures.csv"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.codes("procedure"), first)
        # Same tthc_code with a new title: an update, same code.
        with open(fixture("procedures.csv"), encoding="utf-8") as f:
            text = f.read().replace("1.001193,Đăng ký khai sinh,", "1.001193,Đăng ký khai sinh (mới),")
        path = self.t.join("renamed.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        r = self.imp(path)
        self.assertEqual(r.rc, 0, r)
        after = self.codes("procedure")
        self.assertEqual(set(after), set(first))
        self.assertIn("Đăng ký khai sinh (mới)", after.values())
        self.assertNotIn("Đăng ký khai sinh", after.values())
        self.assertEqual({k: v for k, v in mc.db_counts(self.db).items() if "code" in k},
                         {k: v for k, v in counts.items() if "code" in k})

    def test_nfc(self):
        nfc = "Đăng ký thường trú cho người Ê Đê ở Thừa Thiên Huế"
        nfd = unicodedata.normalize("NFD", nfc)
        self.assertNotEqual(nfc.encode(), nfd.encode())
        steps = unicodedata.normalize("NFD", "Bước 1: Nộp hồ sơ\nBước 2: Nhận kết quả")
        path = self.csv("nfd.csv", mc.PROCEDURE_COLUMNS,
                        [mc.procedure_row("1.009401", nfd, steps=steps)])
        r = self.imp(path)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(list(self.codes("procedure").values()), [nfc])
        dump = mc.db_dump(self.db)
        self.assertIn(nfc.encode(), dump)
        self.assertNotIn(nfd.encode(), dump)
        self.assertNotIn(unicodedata.normalize("NFD", "Bước").encode(), dump)

    def test_invalid_utf8_rejected(self):
        path = self.t.join("latin1.csv")
        with open(path, "wb") as f:
            f.write(b"tthc_code,title,field,steps,duration,office\r\n"
                    b"1.009501,Th\xe1\xbb\xa7 t\xfcc,H\xe1\xbb\x99 t\xe1\xbb\x8bch,B1,1 ng\xe0y,UBND\r\n")
        self.assert_rejected(path, [2])

    def test_field_limits(self):
        cases = {
            "bad-code.csv": mc.procedure_row("1.0.0.0.0.0.0.0.0.0.0.1", "Mã quá dài"),
            "bad-url.csv": mc.procedure_row("1.009601", "Đường dẫn sai", online_url="ftp://x.vn/"),
            "bad-count.csv": mc.procedure_row("1.009602", "Số bản sai",
                                              documents="Giấy tờ | 21 | 0"),
            "bad-count2.csv": mc.procedure_row("1.009603", "Số bản âm",
                                               documents="Giấy tờ | 1 | -1"),
            "long-title.csv": mc.procedure_row("1.009604", "Dài " + "ữ" * 200),
            "long-steps.csv": mc.procedure_row("1.009605", "Nhiều bước",
                                               steps="Bước\n" * 5000),
        }
        for name, row in cases.items():
            with self.subTest(name=name):
                self.assert_rejected(self.csv(name, mc.PROCEDURE_COLUMNS, [row]), [2])

    def test_quoted_cells_span_lines_and_default_counts(self):
        row = mc.procedure_row("1.009701", "Thủ tục nhiều dòng",
                               documents="Tờ khai\nGiấy tờ tùy thân | 0 | 2\nẢnh 4x6 | 2",
                               legal_basis="Luật A\nLuật B")
        r = self.imp(self.csv("multi.csv", mc.PROCEDURE_COLUMNS, [row]))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(list(self.codes("procedure").values()), ["Thủ tục nhiều dòng"])

    # --- wards ------------------------------------------------------------------------------

    def test_several_wards_need_ward(self):
        r = self.imp(fixture("ward2.csv"), ward=None)
        self.assertEqual(r.rc, 0, r)
        self.assert_rejected(fixture("procedures.csv"), [], ward=None)
        self.assert_rejected(fixture("procedures.csv"), [], ward="khong-co-phuong-nay")
        r = self.imp(fixture("procedures.csv"), ward="phuong-thu-hai")
        self.assertEqual(r.rc, 0, r)

    def test_bad_ward_slug(self):
        self.assert_rejected(self.csv("w.csv", ["slug", "name"], [["Phuong 9", "Phường 9"]]), [2])

    # --- permits, announcements -------------------------------------------------------------

    def test_permits(self):
        r = self.imp(fixture("permits.csv"))
        self.assertEqual(r.rc, 0, r)
        titles = sorted(self.codes("permit").values())
        self.assertEqual(len(titles), 4, titles)
        for number in ("901/GPSC-TN", "902/GPSC-TN", "903/GPXD-TN", "904/GPCT-TN"):
            self.assertTrue(any(number in t for t in titles), (number, titles))
        for name in ("Nguyễn Văn An", "Trần Thị Bích"):
            self.assertFalse(any(name in t for t in titles), "owner name in a code title")

    def test_permit_validation(self):
        cases = {
            "dates-order.csv": mc.permit_row("911/T", starts_on="2024-01-01",
                                             issued_on="2024-01-05"),
            "ends-before.csv": mc.permit_row("912/T", ends_on="2024-01-09"),
            "bad-date.csv": mc.permit_row("913/T", ends_on="2024-02-30"),
            "suspended.csv": mc.permit_row("914/T", status="suspended"),
            "revoked.csv": mc.permit_row("915/T", status="thu hồi"),
            "floors.csv": mc.permit_row("916/T", floors="51"),
            "area.csv": mc.permit_row("917/T", area_m2="0"),
            "height.csv": mc.permit_row("918/T", height_m="301"),
            "kind.csv": mc.permit_row("919/T", kind="demolish"),
            "status.csv": mc.permit_row("920/T", status="paused"),
            "owner.csv": mc.permit_row("921/T", owner_name=""),
        }
        for name, row in cases.items():
            with self.subTest(name=name):
                self.assert_rejected(self.csv(name, mc.PERMIT_COLUMNS, [row]), [2])

    def test_announcements(self):
        r = self.imp(fixture("announcements.csv"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(sorted(self.codes("announcement").values()),
                         sorted(["Lịch tiếp công dân tháng này", "Thông báo nghỉ lễ"]))
        self.assert_rejected(fixture("announcements_bad_dates.csv"), [2])

    def test_missing_file(self):
        r = self.imp(self.t.join("nope.csv"))
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.err.strip(), r)

    def test_error_lines_format(self):
        path = fixture("procedures_bad_row.csv")
        r = self.imp(path)
        self.assertEqual(r.rc, 1, r)
        for line in r.err.splitlines():
            if line.startswith(path + ":"):
                self.assertRegex(line, "^" + re.escape(path) + r":\d+: \S")


if __name__ == "__main__":
    mc.main()
