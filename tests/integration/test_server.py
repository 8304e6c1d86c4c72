"""`motcham serve` on the demo ward plus a few imported records: routes, codes, pages, safety."""

import html
import http.client
import os
import re
import socket
import sys
import unicodedata
import unittest
import urllib.parse
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
XSS_TITLE = 'Thủ tục <script>alert("x")</script> & \'nháy đơn\' "nháy kép"'
VI_TITLE = "Đăng ký thường trú cho người Ê Đê ở Thừa Thiên Huế — ưu tiên ổn định"
VI_TITLE_NFD_SRC = "Xác nhận tình trạng hôn nhân của ông Nguyễn Hữu Lộc ở Đắk Lắk"
VI_STEP = "Bước 1: Nộp tờ khai ở Bộ phận một cửa — ghi rõ họ, chữ đệm, tên"


class Server(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "server.db")
        cls.setup_error = None
        cls.srv = None
        cls.imports = {}
        cls.revokes = {}
        try:
            cls.prepare()
        except Exception as e:  # reported by every test through setUp
            cls.setup_error = "%s: %s" % (type(e).__name__, e)

    @classmethod
    def prepare(cls):
        r = mc.run(["demo", "--db", cls.db])
        if r.rc != 0:
            raise AssertionError("demo failed: %r" % r)
        demo_codes = mc.code_list(cls.db)
        vi_steps = VI_STEP + "\n" + unicodedata.normalize("NFD", "Bước 2: Nhận kết quả")
        rows = [mc.procedure_row("9.000001", XSS_TITLE),
                mc.procedure_row("9.000002", VI_TITLE, steps=vi_steps),
                mc.procedure_row("9.000003", unicodedata.normalize("NFD", VI_TITLE_NFD_SRC))]
        files = {
            "permits": os.path.join(mc.FIXTURES, "permits.csv"),
            "procedures": mc.write_csv(cls.t.join("p.csv"), mc.PROCEDURE_COLUMNS, rows),
        }
        for name, path in files.items():
            cls.imports[name] = mc.run(["import", "--db", cls.db, "--ward", SLUG, path])
        procs = [c for c in demo_codes if c[1] == "procedure"]
        anns = [c for c in demo_codes if c[1] == "announcement"]
        cls.revoked_a, cls.replacement_b = procs[0][0], procs[1][0]
        cls.revoked_c = anns[0][0]
        cls.revoke_live = procs[2][0]
        cls.revokes["a"] = mc.run(["code", "revoke", "--db", cls.db, cls.revoked_a,
                                   "--replacement", cls.replacement_b])
        cls.revokes["c"] = mc.run(["code", "revoke", "--db", cls.db, cls.revoked_c])
        cls.codes = mc.code_list(cls.db)
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

    def setUp(self):
        self.assertIsNone(self.setup_error, self.setup_error)

    # --- helpers ------------------------------------------------------------------------------

    def get(self, path, **kw):
        return mc.request(self.port, path, **kw)

    def need_import(self, name):
        r = self.imports[name]
        self.assertEqual(r.rc, 0, "import of the %s fixture failed: %r" % (name, r))

    def need_revoke(self, name):
        r = self.revokes[name]
        self.assertEqual(r.rc, 0, "code revoke failed: %r" % r)

    def token_of(self, kind, title_part):
        found = [tok for tok, k, title in self.codes if k == kind and title_part in title]
        self.assertEqual(len(found), 1, "want one %s code titled like %r" % (kind, title_part))
        return found[0]

    def active(self):
        """Active codes, without the one test_revoke_while_serving revokes."""
        return [c for c in self.codes if c[0] != self.revoke_live]

    def first(self, kind):
        return next((tok, title) for tok, k, title in self.active() if k == kind)

    def assert_html(self, r, status=200):
        self.assertEqual(r.status, status, r)
        self.assertEqual((r.header("Content-Type") or "").lower().replace(" ", ""),
                         "text/html;charset=utf-8")
        self.assertTrue(r.header("Content-Security-Policy"), "no Content-Security-Policy")
        self.assertEqual((r.header("X-Content-Type-Options") or "").lower(), "nosniff")
        self.assertTrue(r.header("Referrer-Policy"), "no Referrer-Policy")
        self.assertLess(len(r.body), mc.PAGE_LIMIT, "page over 30 KB")
        self.assertFalse(b"<script" in r.body.lower(), "<script on the page")
        return r.body.decode("utf-8")

    def assert_title_on(self, body, title):
        self.assertTrue(title in html.unescape(body) or html.escape(title) in body,
                        "title %r not on the page" % title)

    def stable_path(self, token, kind):
        r, j = mc.api(self.port, token)
        self.assertEqual(r.status, 200, r)
        rid = (j.get("record") or {}).get("id")
        if rid is None:
            try:
                rid = mc.sql(self.db, "SELECT target_id FROM code WHERE token='%s';" % token)
            except AssertionError:
                rid = None
        self.assertTrue(rid, "cannot tell the record id of %s (no record.id in the API)" % token)
        return "/w/%s/%ss/%s" % (SLUG, kind, rid)

    # --- basics ---------------------------------------------------------------------------------

    def test_healthz(self):
        self.assertEqual(self.get("/healthz").status, 200)

    def test_home_and_ward(self):
        for path in ("/", "/w/" + SLUG):
            with self.subTest(path=path):
                body = self.assert_html(self.get(path))
                self.assertIn("Phường 7", html.unescape(body))
        body = html.unescape(self.assert_html(self.get("/w/" + SLUG)))
        titles = [t for _, k, t in self.codes if k == "procedure"]
        self.assertTrue(any(t in body for t in titles), "no procedure listed on the ward page")

    def test_public_pages_headers_size_no_script_no_third_party(self):
        tok_p, _ = self.first("procedure")
        tok_a, _ = self.first("announcement")
        tok_w, _ = self.first("ward")
        tok_permit, _ = self.first("permit")
        pages = [("/", 200), ("/w/" + SLUG, 200),
                 ("/w/%s/search?q=khai+sinh" % SLUG, 200),
                 ("/q/" + tok_w, 200), ("/q/" + tok_a, 200),
                 ("/q/" + tok_permit, 200), ("/q/" + tok_p, 200),
                 (self.stable_path(tok_p, "procedure"), 200),
                 (self.stable_path(tok_a, "announcement"), 200),
                 (self.stable_path(tok_permit, "permit"), 200),
                 ("/q/" + mc.mistype(tok_p), 404), ("/no/such/page", 404)]
        if self.revokes["a"].rc == 0:
            pages.append(("/q/" + self.revoked_a, 410))
        for path, status in pages:
            with self.subTest(path=path):
                r = self.get(path)
                self.assert_html(r, status)
                self.assertEqual(mc.foreign_urls(r.body, self.port, strict=True), [],
                                 "URLs to other hosts on %s" % path)

    def test_stable_urls_show_the_record(self):
        for kind in ("procedure", "announcement", "permit"):
            tok, title = self.first(kind)
            with self.subTest(kind=kind):
                body = self.assert_html(self.get(self.stable_path(tok, kind)))
                self.assert_title_on(body, title)

    def test_one_path_rule_for_every_route(self):
        """The route table's rules over real HTTP: literal segments ignore case, a slug is the
        ward's once lower-cased, ids are decimal without leading zeros, one trailing slash is
        ignored, anything else is 404, and a path served with another method is 405."""
        tok, title = self.first("procedure")
        path = self.stable_path(tok, "procedure")
        m = re.fullmatch(r"/w/([a-z0-9-]+)/procedures/([1-9][0-9]*)", path)
        self.assertTrue(m, path)
        slug, pid = m.group(1), m.group(2)
        for same in ("/W/%s/PROCEDURES/%s" % (slug.upper(), pid), path + "/",
                     "/w/%s/Procedures/%s" % (slug, pid)):
            with self.subTest(path=same):
                self.assert_title_on(self.assert_html(self.get(same)), title)
        for other in ("/w/%s/procedures/0%s" % (slug, pid), "/w/%s/procedures/+%s" % (slug, pid),
                      "/w/%s/procedures/%s.0" % (slug, pid), "/w/%s//procedures/%s" % (slug, pid),
                      "/w/%s/procedures/%s//" % (slug, pid), "/w/%s_x/procedures/%s" % (slug, pid),
                      "/w/%s/procedures/%s/x" % (slug, pid), "/w/%s/procedures/%s" % (slug, "9" * 19)):
            with self.subTest(path=other):
                self.assert_html(self.get(other), 404)
        for method, p in (("POST", path), ("POST", "/"), ("POST", "/q/" + tok),
                          ("GET", "/w/%s/permits/1/report" % slug)):
            with self.subTest(method=method, path=p):
                r = mc.request(self.port, p, method=method, body=b"" if method == "POST" else None,
                               headers={"Content-Type": "application/x-www-form-urlencoded"}
                               if method == "POST" else None)
                self.assertEqual(r.status, 405, r)

    def test_gzip_and_conditional_requests(self):
        """Public pages, assets and the API go out compressed to a client that accepts gzip,
        the same bytes once decompressed; a matching If-None-Match (either representation's
        tag) gets 304 with no body. Staff pages are never compressed (BREACH)."""
        tok, _ = self.first("procedure")
        paths = ["/", "/w/%s" % SLUG, "/q/" + tok, self.stable_path(tok, "procedure"),
                 "/w/%s/search?q=khai+sinh" % SLUG, "/assets/style.css", "/qr/%s.svg" % tok,
                 "/api/v1/codes/" + tok]
        for path in paths:
            with self.subTest(path=path):
                plain = self.get(path)
                self.assertEqual(plain.status, 200, plain)
                self.assertIsNone(plain.header("Content-Encoding"))
                self.assertIn("Accept-Encoding", plain.header("Vary") or "")
                tag = plain.header("ETag")
                self.assertTrue(tag and tag.startswith('"'), plain.headers)
                for _ in range(2):  # rendered, then from the worker's cache
                    gz = mc.request(self.port, path, headers={"Accept-Encoding": "gzip, br"})
                    self.assertEqual(gz.status, 200, gz)
                    self.assertEqual(gz.header("Content-Encoding"), "gzip", gz.headers)
                    self.assertEqual(zlib.decompress(gz.body, 16 + zlib.MAX_WBITS), plain.body)
                    self.assertLess(len(gz.body), len(plain.body))
                    gz_tag = gz.header("ETag")
                    self.assertTrue(gz_tag and gz_tag != tag, gz.headers)
                for t, ae in ((tag, None), (gz_tag, "gzip"), (tag, "gzip")):
                    h = {"If-None-Match": t}
                    if ae:
                        h["Accept-Encoding"] = ae
                    r = mc.request(self.port, path, headers=h)
                    self.assertEqual((r.status, r.body), (304, b""), r)
                    self.assertEqual(r.header("ETag"), tag)
                r = mc.request(self.port, path, headers={"If-None-Match": '"other"'})
                self.assertEqual(r.status, 200, r)
                r = mc.request(self.port, path, headers={"Accept-Encoding": "gzip;q=0"})
                self.assertIsNone(r.header("Content-Encoding"), r.headers)
        r = mc.request(self.port, "/staff/login", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("Content-Encoding"), r.headers)

    def test_stylesheet(self):
        r = self.get("/assets/style.css")
        self.assertEqual(r.status, 200, r)
        self.assertTrue((r.header("Content-Type") or "").startswith("text/css"), r.headers)
        self.assertLess(len(r.body), mc.PAGE_LIMIT)
        self.assertEqual(mc.foreign_urls(r.body, self.port, strict=True), [])

    def test_not_found_pages(self):
        tok_p, _ = self.first("procedure")
        for path in ("/w/no-such-ward", "/w/%s/procedures/987654321" % SLUG,
                     "/w/%s/permits/987654321" % SLUG, "/w/%s/announcements/987654321" % SLUG,
                     "/w/%s/procedures/abc" % SLUG, "/nothing-here"):
            with self.subTest(path=path):
                r = self.get(path)
                self.assertIn(r.status, (400, 404), r)
                if r.status == 404:
                    self.assertIn("Không tìm thấy", html.unescape(self.assert_html(r, 404)))

    # --- codes ----------------------------------------------------------------------------------

    def test_every_active_code_resolves_with_title(self):
        self.assertGreaterEqual(len(self.codes), 69, "demo codes less the two revoked")
        for tok, kind, title in self.active():
            with self.subTest(token=tok, kind=kind):
                for path in ("/q/" + tok, "/Q/" + tok):
                    r = self.get(path)
                    body = self.assert_html(r, 200)  # headers, < 30 KB, no script
                    self.assertIsNone(r.header("Location"), "the page itself, not a redirect")
                    self.assert_title_on(body, title)
                    self.assertEqual(mc.foreign_urls(r.body, self.port), [])
                    # The QR on the page is the code that was scanned.
                    self.assertIn('src="/qr/%s.svg"' % tok, body)

    def test_typed_forms(self):
        tok, title = self.first("procedure")
        with_zero = next((t for t, _, _ in self.active() if "0" in t), None)
        with_one = next((t for t, _, _ in self.active() if "1" in t), None)
        self.assertIsNotNone(with_zero, "no demo token contains 0")
        self.assertIsNotNone(with_one, "no demo token contains 1")
        titles = {t: title for t, _, title in self.codes}
        cases = [("/q/" + tok.lower(), tok), ("/Q/" + tok.lower(), tok),
                 ("/q/" + with_zero.replace("0", "O"), with_zero),
                 ("/q/" + with_zero.replace("0", "o"), with_zero),
                 ("/q/" + with_one.replace("1", "I"), with_one),
                 ("/q/" + with_one.replace("1", "l"), with_one),
                 ("/q?t=" + tok.lower(), tok),
                 ("/q?t=" + urllib.parse.quote_plus(tok[:4] + "-" + tok[4:].lower()), tok),
                 ("/q?t=" + urllib.parse.quote_plus(" " + tok[:3] + " " + tok[3:] + " "), tok)]
        for path, want in cases:
            with self.subTest(path=path):
                r = self.get(path)
                self.assertEqual(r.status, 200, r)
                self.assert_title_on(r.body.decode("utf-8"), titles[want])

    def test_unknown_and_mistyped(self):
        tok, _ = self.first("procedure")
        for path in ("/q/" + mc.mistype(tok), "/q/" + mc.mistype(tok, 0),
                     "/q/" + mc.mistype(tok, 8),
                     "/q?t=" + mc.mistype(tok).lower()):
            with self.subTest(path=path):
                body = html.unescape(self.assert_html(self.get(path), 404))
                self.assertIn("nhập sai", body)
        # Exactly one of the 32 check characters fits a random body: that one is "unknown".
        data = "ZX7KQ3PW"
        verdicts = {}
        for c in mc.CROCKFORD:
            body = html.unescape(self.assert_html(self.get("/q/" + data + c), 404))
            verdicts[c] = "nhập sai" in body
            if not verdicts[c]:
                self.assertIn("Không tìm thấy", body)
        self.assertEqual(sum(not v for v in verdicts.values()), 1, verdicts)
        for path in ("/q/ABC", "/q/" + "A" * 200, "/q/UUUUUUUUU", "/q/%00%ff",
                     "/q/" + "%C4%90" * 9):
            with self.subTest(path=path):
                r = self.get(path)
                self.assertIn(r.status, (400, 404), r)
                if r.status == 404:
                    self.assertIn("Không tìm thấy", html.unescape(self.assert_html(r, 404)))
        self.assertEqual(self.get("/healthz").status, 200)

    def test_revoked(self):
        self.need_revoke("a")
        self.need_revoke("c")
        for path in ("/q/" + self.revoked_a, "/q/" + self.revoked_a.lower(),
                     "/q?t=" + self.revoked_a):
            with self.subTest(path=path):
                body = self.assert_html(self.get(path), 410)
                hrefs = [h.upper() for h in mc.links(body)]
                self.assertTrue(any(h.endswith("/Q/" + self.replacement_b) for h in hrefs),
                                "no link to /q/%s in %r" % (self.replacement_b, hrefs))
        self.assert_html(self.get("/q/" + self.revoked_c), 410)
        self.assertEqual(self.get("/q/" + self.replacement_b).status, 200)

    def test_revoke_while_serving(self):
        tok = self.revoke_live
        self.assertEqual(self.get("/q/" + tok).status, 200)
        r = mc.run(["code", "revoke", "--db", self.db, tok])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.get("/q/" + tok).status, 410, "page stale after a revoke")
        self.assertEqual(mc.api(self.port, tok)[0].status, 410)

    # --- QR images ----------------------------------------------------------------------------

    def test_qr_png(self):
        tok, _ = self.first("ward")
        r = self.get("/qr/%s.png" % tok)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "image/png")
        self.assertTrue(r.header("Cache-Control"), "no Cache-Control")
        etag = r.header("ETag")
        self.assertTrue(etag, "no ETag")
        path = self.t.join("served.png")
        with open(path, "wb") as f:
            f.write(r.body)
        mc.png_info(r.body)
        self.assertEqual(mc.zbar_decode(path), mc.qr_url(self.base, tok))
        r2 = self.get("/qr/%s.png" % tok, headers={"If-None-Match": etag})
        self.assertEqual(r2.status, 304, r2)
        self.assertEqual(r2.body, b"")
        r3 = self.get("/qr/%s.png" % tok, headers={"If-None-Match": '"not-the-etag"'})
        self.assertEqual(r3.status, 200)

    def test_qr_svg(self):
        tok, _ = self.first("permit")
        r = self.get("/qr/%s.svg" % tok)
        self.assertEqual(r.status, 200, r)
        self.assertTrue((r.header("Content-Type") or "").startswith("image/svg+xml"), r.headers)
        self.assertTrue(r.header("Cache-Control"))
        etag = r.header("ETag")
        self.assertTrue(etag)
        svg = r.body.decode("utf-8")
        self.assertEqual(svg.count("<path"), 1)
        self.assertNotIn("<script", svg.lower())
        png = self.t.join("served-svg.png")
        mc.svg_to_png(svg, png)
        self.assertEqual(mc.zbar_decode(png), mc.qr_url(self.base, tok))
        self.assertEqual(self.get("/qr/%s.svg" % tok, headers={"If-None-Match": etag}).status, 304)

    def test_qr_unknown(self):
        tok, _ = self.first("ward")
        for path in ("/qr/%s.png" % mc.mistype(tok), "/qr/%s.gif" % tok, "/qr/ABC.png"):
            with self.subTest(path=path):
                self.assertIn(self.get(path).status, (400, 404))

    # --- search, escaping, Vietnamese ------------------------------------------------------

    def test_search(self):
        queries = ["khai+sinh", "KHAI+SINH", urllib.parse.quote_plus("đăng ký khai sinh"),
                   urllib.parse.quote_plus("Đăng Ký Khai Sinh"), "dang+ky+khai+sinh",
                   urllib.parse.quote_plus(unicodedata.normalize("NFD", "khai sinh"))]
        for q in queries:
            with self.subTest(q=q):
                body = self.assert_html(self.get("/w/%s/search?q=%s" % (SLUG, q)))
                self.assertIn("Đăng ký khai sinh", html.unescape(body))
                self.assertTrue(any(re.search(r"/(procedures/\d+|q/[0-9A-Z]{9})$", h, re.I)
                                    for h in mc.links(body)), "results link to procedures")
        for path in ("/w/%s/search" % SLUG, "/w/%s/search?q=" % SLUG,
                     "/w/%s/search?q=%s" % (SLUG, "x" * 3000),
                     "/w/%s/search?q=%%ff%%fe" % SLUG):
            with self.subTest(path=path[:60]):
                self.assertIn(self.get(path).status, (200, 400, 414))
        self.assertEqual(self.get("/healthz").status, 200)

    def test_xss_title_escaped(self):
        self.need_import("procedures")
        tok = self.token_of("procedure", "alert(")
        self.assertEqual(dict((t, ti) for t, _, ti in self.codes)[tok], XSS_TITLE)
        for path in ("/q/" + tok, self.stable_path(tok, "procedure"),
                     "/w/%s/search?q=alert" % SLUG, "/w/%s/search?q=nhay+kep" % SLUG):
            with self.subTest(path=path):
                body = self.assert_html(self.get(path))
                self.assertTrue("&lt;script&gt;" in body, "escaped title not on the page")
                self.assertFalse('alert("x")' in body, "quotes must be escaped too")
                self.assertTrue(XSS_TITLE in html.unescape(body), "title not on the page")

    def test_vietnamese_round_trip(self):
        self.need_import("procedures")
        nfd_title = unicodedata.normalize("NFD", VI_TITLE_NFD_SRC)
        for title in (VI_TITLE, VI_TITLE_NFD_SRC):
            with self.subTest(title=title):
                tok = self.token_of("procedure", title)
                r = self.get("/q/" + tok)
                body = self.assert_html(r)
                self.assertTrue(title.encode() in r.body, "page must carry the NFC bytes")
                self.assertFalse(nfd_title.encode() in r.body, "NFD bytes on the page")
                r2 = self.get(self.stable_path(tok, "procedure"))
                self.assertTrue(title.encode() in r2.body, "NFC bytes not on the stable page")
                ra, j = mc.api(self.port, tok)
                self.assertEqual(ra.status, 200, ra)
                self.assertTrue(title.encode() in ra.body, "JSON must keep UTF-8 as is")
                self.assertEqual(j["record"]["title"], title)
                if title == VI_TITLE:
                    text = mc.page_text(body)
                    self.assertIn(VI_STEP, text)
                    self.assertIn("Bước 2: Nhận kết quả", text)
                    self.assertTrue(VI_STEP.encode() in ra.body, "step not byte-exact in JSON")

    # --- API ------------------------------------------------------------------------------------

    def test_api(self):
        tok, title = self.first("procedure")
        r, j = mc.api(self.port, tok.lower())
        self.assertEqual(r.status, 200, r)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"))
        for key in ("token", "kind", "status", "replaced_by", "url", "record"):
            self.assertIn(key, j)
        self.assertEqual(j["token"], tok)
        self.assertEqual(j["kind"], "procedure")
        self.assertEqual(j["status"], "active")
        self.assertIsNone(j["replaced_by"])
        self.assertTrue(str(j["url"]).lower().startswith("http"))
        self.assertEqual(j["record"]["title"], title)
        r, j = mc.api(self.port, mc.mistype(tok))
        self.assertEqual(r.status, 404, r)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"))
        self.assertIsInstance(j, dict)
        r, j = mc.api(self.port, "ZX7KQ3PWA" if tok != "ZX7KQ3PWA" else "ZX7KQ3PWB")
        self.assertEqual(r.status, 404, r)
        self.assertIsInstance(j, dict)

    def test_api_revoked(self):
        self.need_revoke("a")
        r, j = mc.api(self.port, self.revoked_a)
        self.assertEqual(r.status, 410, r)
        self.assertTrue((r.header("Content-Type") or "").startswith("application/json"))
        self.assertEqual(j.get("replaced_by"), self.replacement_b)
        self.assertEqual(j.get("status"), "revoked")

    # --- permits --------------------------------------------------------------------------------

    def permit_pages(self, number):
        tok = self.token_of("permit", number)
        out = []
        for path in ("/q/" + tok, self.stable_path(tok, "permit")):
            r = self.get(path)
            out.append((path, mc.page_text(self.assert_html(r, 200))))
        return tok, out

    def test_permit_active(self):
        self.need_import("permits")
        tok, pages = self.permit_pages("901/GPSC-TN")
        for path, text in pages:
            with self.subTest(path=path):
                low = text.lower()
                self.assertIn("được phép thi công", low)
                self.assertNotRegex(low, r"không (còn )?được phép thi công")
                self.assertIn("901/GPSC-TN", text)
                self.assertIn("12 Đường số 5, Phường Thử Nghiệm", text)
                self.assertIn("Sửa chữa mái tôn", text)
                self.assertIn("Thay cửa sổ tầng 2", text)

    def test_permit_expired_suspended_revoked(self):
        self.need_import("permits")
        for number, word in (("902/GPSC-TN", "hết hạn"), ("903/GPXD-TN", "đình chỉ"),
                             ("904/GPCT-TN", "thu hồi")):
            tok, pages = self.permit_pages(number)
            for path, text in pages:
                with self.subTest(number=number, path=path):
                    low = text.lower()
                    self.assertIn(word, low)
                    self.assertNotRegex(low, r"(?<!không )(?<!không còn )được phép thi công")
                    self.assertIn(number, text)
        _, pages = self.permit_pages("903/GPXD-TN")
        self.assertIn("Thi công sai giấy phép", pages[0][1], "the suspension reason is shown")

    def test_permit_owner_masked(self):
        self.need_import("permits")
        for number, full, masked in (("901/GPSC-TN", "Nguyễn Văn An", "Nguyễn V. A."),
                                     ("902/GPSC-TN", "Trần Thị Bích", "Trần T. B.")):
            tok, pages = self.permit_pages(number)
            for path, text in pages:
                with self.subTest(number=number, path=path):
                    self.assertIn(masked, text)
                    self.assertNotIn(full, text)
                    self.assertNotIn(full.split(" ", 1)[1], text)
            r, _ = mc.api(self.port, tok)
            self.assertEqual(r.status, 200, r)
            self.assertFalse(full.encode() in r.body, "the public API shows the owner's full name")
        body = self.get("/w/" + SLUG).body.decode("utf-8")
        self.assertFalse("Nguyễn Văn An" in html.unescape(body), "full owner name on ward page")

    # --- HTTP hygiene ---------------------------------------------------------------------------

    def test_asset_traversal_refused(self):
        with open(os.path.join(mc.SRC, "meson.build"), "rb") as f:
            secret = f.read(60)
        targets = ["/assets/../meson.build", "/assets/%2e%2e/meson.build",
                   "/assets/..%2fmeson.build", "/assets/%2E%2E/meson.build",
                   "/assets/..%2Fmeson.build", "/assets/%2e%2e%2fmeson.build",
                   "/assets/..\\meson.build", "/assets/../../../../etc/passwd",
                   "/assets//etc/passwd", "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                   "/assets/style.css/../../meson.build", "/assets/%252e%252e/meson.build"]
        for target in targets:
            with self.subTest(target=target):
                reply = mc.raw_request(self.port, b"GET " + target.encode() +
                                       b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                self.assertIn(mc.raw_status(reply), (400, 404), reply[:200])
                self.assertNotIn(secret, reply)
                self.assertNotIn(b"root:x:0:0", reply)
        self.assertEqual(self.get("/healthz").status, 200)

    def test_unknown_methods(self):
        for method in ("DELETE", "PUT", "BREW"):
            with self.subTest(method=method):
                reply = mc.raw_request(self.port, method.encode() +
                                       b" / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                                       b"Connection: close\r\n\r\n")
                self.assertIn(mc.raw_status(reply), (405, 501), reply[:200])

    def test_keep_alive(self):
        tok, _ = self.first("procedure")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=mc.HTTP_TIMEOUT)
        try:
            conn.request("GET", "/healthz")
            r1 = conn.getresponse()
            r1.read()
            self.assertEqual(r1.status, 200)
            self.assertFalse(r1.will_close, "HTTP/1.1 connection closed after one response")
            sock = conn.sock
            self.assertIsNotNone(sock)
            conn.request("GET", "/q/" + tok)
            r2 = conn.getresponse()
            r2.read()
            self.assertEqual(r2.status, 200)
            self.assertIs(conn.sock, sock, "second request needed a new connection")
        finally:
            conn.close()

    def test_two_requests_on_one_raw_socket(self):
        req = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(req + req.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
            data = b""
            for _ in range(100):
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                if not chunk:
                    break
                data += chunk
        self.assertEqual(len(re.findall(rb"HTTP/1\.1 200", data)), 2, data[:500])

    def test_bad_requests_do_not_crash(self):
        bad = [b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
               b"GARBAGE\r\n\r\n",
               b"GET /q/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
               b"GET /w/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
               b"POST /q/ABC HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n"
               b"Connection: close\r\n\r\nxx"]
        for data in bad:
            with self.subTest(data=data[:40]):
                reply = mc.raw_request(self.port, data, timeout=5)
                if reply:
                    self.assertLess(mc.raw_status(reply), 500, reply[:200])
        self.assertEqual(self.get("/healthz").status, 200, "server died on bad input")


if __name__ == "__main__":
    mc.main()
