"""Hostile input against the real server: oversized requests, bodies over every limit, bad bytes,
path traversal, injection payloads, idle and slow clients, odd methods and request forms.

Every case must end in a clean 4xx (or a closed connection, where noted), never a 5xx or a
crash, and the server must answer GET /healthz with 200 right after it."""

import html
import http.client
import os
import re
import socket
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
SQL_PAYLOADS = ["' OR 1=1 --", '"; DROP TABLE permit; --', "1' UNION SELECT name FROM user --",
                "%' OR '%'='"]
HTML_PAYLOADS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>',
                 "'><svg onload=alert(1)>", "javascript:alert(1)"]
BAD_BYTES = ["%00", "a%00b", "%C0%AF", "%FF", "%E2%82", "%ED%A0%80", "%C3%28", "%F8%88%80%80%80"]
ASSET_ESCAPES = ["../src/http.c", "..%2fsrc%2fhttp.c", "%2e%2e/src/http.c", "%2e%2e%2fsrc%2fhttp.c",
                 "..%5csrc%5chttp.c", "%2e%2e%5csrc%5chttp.c", "%252e%252e%252fsrc%252fhttp.c",
                 "..%252fsrc%252fhttp.c", "....//src/http.c", "..;/src/http.c",
                 "../../../../../../etc/passwd", "%2e%2e/%2e%2e/%2e%2e/etc/passwd",
                 "%c0%ae%c0%ae/src/http.c", "/etc/passwd", "%2fetc%2fpasswd", ".",
                 "..", "%2e", "style.css/../../src/http.c", "style.css%00.png",
                 "..\\src\\http.c", ".%2e/src/http.c"]
# Lines only a file from outside assets/ would contain.
FOREIGN_MARKERS = [b"root:x:0:0", b"#include", b"mc_http_start", b"MHD_"]


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "hostile.db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        if r.rc != 0:
            cls.t.cleanup()
            raise AssertionError("demo failed: %r" % r)
        cls.schema = mc.schema_sql(cls.db)
        cls.counts = mc.db_counts(cls.db)
        cls.permit_id = int(mc.sql(cls.db, "SELECT min(id) FROM permit;"))
        cls.proc_id = int(mc.sql(cls.db, "SELECT min(id) FROM procedure;"))
        cls.srv = mc.Server(cls.db).start()
        cls.port = cls.srv.port

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.close()  # raises on a crash, a bad exit or a sanitizer report
        finally:
            cls.t.cleanup()

    # --- helpers ------------------------------------------------------------------------------

    def assert_alive(self, case=""):
        self.assertIsNone(self.srv.proc.poll(), "server exited after %s: %s"
                          % (case, self.srv.stderr()[-2000:]))
        self.assertEqual(mc.healthz_status(self.port), 200, "no /healthz 200 after %s" % case)

    def raw(self, data, timeout=10):
        return mc.raw_exchange(self.port, data, timeout=timeout)

    def assert_4xx_or_closed(self, reply, case):
        """The first answer is a 4xx, or there is none and the server closed (not hung)."""
        reply, how = reply
        if not reply:
            self.assertIn(how, ("eof", "reset"), "%s: no answer and no close" % case)
            return None
        status = mc.raw_status(reply)
        self.assertTrue(400 <= status < 500, "%s: answered %d, want 4xx: %r"
                        % (case, status, reply[:300]))
        return status

    def get_raw(self, target, extra=b""):
        req = b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + \
            b"Connection: close\r\n\r\n"
        reply, how = self.raw(req)
        self.assertTrue(reply, "no answer to GET %r (%s)" % (target[:100], how))
        resps = mc.parse_responses(reply)
        self.assertTrue(resps, "no complete response to GET %r: %r" % (target[:100], reply[:200]))
        return resps[0]

    def assert_page_safe(self, case, status, headers, body, payloads=()):
        """No 5xx; an HTML answer is valid UTF-8, has no NUL and no payload left unescaped."""
        self.assertLess(status, 500, "%s: %d %r" % (case, status, body[:300]))
        self.assertNotIn(b"\x00", body, "%s: NUL byte in the answer" % case)
        if "text/html" in headers.get("content-type", ""):
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                self.fail("%s: the page is not valid UTF-8" % case)
            for p in payloads:
                if any(c in p for c in "<>\"'"):
                    self.assertNotIn(p, text, "%s: raw payload on the page" % case)
            self.assertNotRegex(text.lower(), r"<script|<img[^>]*onerror|<svg[^>]*onload",
                                "%s: active markup on the page" % case)

    def assert_db_intact(self):
        self.assertEqual(mc.schema_sql(self.db), self.schema, "schema changed")
        now = mc.db_counts(self.db)
        for t in ("ward", "procedure", "announcement", "permit", "code", "user"):
            if t in self.counts:
                self.assertEqual(now.get(t), self.counts[t], "row count of %s changed" % t)
        self.assertEqual(mc.integrity_check(self.db), "ok")

    # --- sizes --------------------------------------------------------------------------------

    def test_huge_url(self):
        for n in (40 * 1024, 64 * 1024, 1024 * 1024):
            for base in (b"/", b"/w/" + SLUG.encode() + b"/search?q="):
                case = "URL of %d bytes" % n
                self.assert_4xx_or_closed(self.raw(b"GET " + base + b"a" * n + b" HTTP/1.1\r\n"
                                                   b"Host: 127.0.0.1\r\n\r\n"), case)
                self.assert_alive(case)

    def test_huge_header(self):
        for n in (40 * 1024, 64 * 1024, 1024 * 1024):
            for name in (b"X-Big", b"Cookie", b"Host"):
                case = "%s header of %d bytes" % (name.decode(), n)
                self.assert_4xx_or_closed(self.raw(
                    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" + name + b": " + b"a" * n +
                    b"\r\n\r\n"), case)
                self.assert_alive(case)
        # a header name with no end and no value
        case = "header line without colon, 100 KB"
        self.assert_4xx_or_closed(self.raw(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                           b"X" * 100000 + b"\r\n\r\n"), case)
        self.assert_alive(case)

    def test_many_headers(self):
        many = b"".join(b"X-H%d: v\r\n" % i for i in range(10000))
        case = "10000 headers"
        self.assert_4xx_or_closed(self.raw(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                                           many + b"\r\n"), case)
        self.assert_alive(case)
        # A reasonable number of headers is still served.
        status, _, body = self.get_raw(b"/healthz", b"".join(b"X-H%d: v\r\n" % i
                                                             for i in range(50)))
        self.assertEqual((status, body), (200, b"ok\n"))

    def test_body_over_limit_refused_without_reading_it(self):
        """Content-Length: 50 MB on the login form: 413 before the body is sent."""
        for path in (b"/staff/login", ("/w/%s/permits/%d/report" % (SLUG, self.permit_id))
                     .encode()):
            case = "POST %s with Content-Length 50 MB" % path.decode()
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
                s.sendall(b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/x-www-form-urlencoded\r\n"
                          b"Content-Length: 52428800\r\n\r\n")
                t0 = time.monotonic()
                first = s.recv(65536)
                self.assertLess(time.monotonic() - t0, 5, case + ": slow answer")
                self.assertTrue(first, case + ": closed without an answer")
                self.assertEqual(mc.raw_status(first), 413, "%s: %r" % (case, first[:200]))
                # Whatever we push now must not be read to the end: the server closes.
                sent = 0
                try:
                    s.settimeout(5)
                    while sent < 16 * 1024 * 1024:
                        s.sendall(b"a" * 65536)
                        sent += 65536
                except (BrokenPipeError, ConnectionResetError, socket.timeout):
                    pass
                self.assertLess(sent, 16 * 1024 * 1024, case + ": the server kept reading")
            self.assert_alive(case)
        case = "Content-Length over 64 bits"
        self.assert_4xx_or_closed(self.raw(b"POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           b"Content-Length: 99999999999999999999999999\r\n\r\n"),
                                  case)
        self.assert_alive(case)
        case = "negative Content-Length"
        self.assert_4xx_or_closed(self.raw(b"POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           b"Content-Length: -1\r\n\r\n"), case)
        self.assert_alive(case)

    def test_body_refused_where_no_row_takes_one(self):
        """A body is read only where a route takes one: a POST to / or to any page, or a GET
        with a body, is answered at once, before the body is sent, and the connection closed."""
        for method, path, want in ((b"POST", b"/", 405), (b"POST", b"/w/%s" % SLUG.encode(), 405),
                                   (b"POST", b"/no/such/page", 404), (b"GET", b"/healthz", 400),
                                   (b"GET", b"/", 400)):
            case = "%s %s with a 50 MB body" % (method.decode(), path.decode())
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
                s.sendall(method + b" " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                          b"Content-Type: application/x-www-form-urlencoded\r\n"
                          b"Content-Length: 52428800\r\n\r\n")
                first = s.recv(65536)
                self.assertEqual(mc.raw_status(first), want, "%s: %r" % (case, first[:200]))
                sent = 0
                try:
                    s.settimeout(5)
                    while sent < 8 * 1024 * 1024:
                        s.sendall(b"a" * 65536)
                        sent += 65536
                except (BrokenPipeError, ConnectionResetError, socket.timeout):
                    pass
                self.assertLess(sent, 8 * 1024 * 1024, case + ": the server kept reading")
            self.assert_alive(case)

    def page_cache(self):
        """(hits, misses) of the server's page cache, from /metrics."""
        text = mc.request(self.port, "/metrics").text
        got = dict(re.findall(r'motcham_page_cache_total\{result="(hit|miss)"\} (\d+)', text))
        return int(got.get("hit", 0)), int(got.get("miss", 0))

    def test_cache_not_flushed_by_junk(self):
        """Thousands of unknown codes, spellings of real paths and query strings neither fill
        the page cache nor push the hot page out of it: the page is still a hit after them."""
        srv = mc.Server(self.db, extra=["--metrics-allow", "127.0.0.1", "--page-cache", "1",
                                        "--threads", "1"]).start()
        try:
            port = srv.port
            token = [t for t, k, _ in mc.code_list(self.db, "permit")][0]
            pid = self.permit_id
            self.port, saved = port, self.port
            try:
                for _ in range(2):
                    self.assertEqual(mc.request(port, "/q/" + token).status, 200)
                hits0, _ = self.page_cache()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                for i in range(3000):
                    junk = ["/q/%09d" % i, "/Q/" + token.lower(), "/q/%s?utm=%d" % (token, i),
                            "/W/%s/PERMITS/%d" % (SLUG.upper(), pid),
                            "/w/%s/permits/%d?x=%d" % (SLUG, pid, i)][i % 5]
                    conn.request("GET", junk)
                    conn.getresponse().read()
                conn.close()
                hits1, misses1 = self.page_cache()
                self.assertEqual(mc.request(port, "/q/" + token).status, 200)
                hits2, misses2 = self.page_cache()
            finally:
                self.port = saved
        finally:
            srv.close()
        # Spellings and query strings of the two real pages were hits; each unknown code was
        # rendered (a miss) and not kept; the hot page is still kept.
        self.assertGreaterEqual(hits1 - hits0, 3000 * 4 // 5 - 2)
        self.assertEqual((hits2 - hits1, misses2 - misses1), (1, 0))

    def test_chunked_body_without_length(self):
        """A chunked body that never ends: cut off past the 12 MB limit with a 4xx or a close."""
        case = "chunked POST /staff/login over 12 MB"
        limit = 40 * 1024 * 1024
        sent, reply, how = 0, b"", "eof"
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            s.sendall(b"POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Content-Type: application/x-www-form-urlencoded\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"10000\r\n" + b"name=" + b"a" * (65536 - 5) + b"\r\n"
            deadline = time.monotonic() + 60
            try:
                while sent < limit and time.monotonic() < deadline:
                    s.sendall(chunk)
                    sent += 65536
            except (BrokenPipeError, ConnectionResetError):
                how = "reset"
            except socket.timeout:
                how = "timeout"
            s.settimeout(5)
            try:
                while len(reply) < 1 << 20:
                    b = s.recv(65536)
                    if not b:
                        break
                    reply += b
            except (ConnectionResetError, socket.timeout):
                pass
        self.assertLess(sent, limit, case + ": the server read 40 MB of a chunked body")
        if reply:
            status = mc.raw_status(reply)
            self.assertTrue(400 <= status < 500, "%s: %d" % (case, status))
        self.assert_alive(case)
        # A small chunked form is read like any other (4xx: no csrf cookie).
        body = b"name=a&password=b&csrf=c"
        reply, how = self.raw(b"POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              b"Content-Type: application/x-www-form-urlencoded\r\n"
                              b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" +
                              b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        self.assert_4xx_or_closed((reply, how), "small chunked login")
        self.assert_alive("small chunked login")
        # A chunk size that is not hex, and one that overflows.
        for size in (b"zz", b"FFFFFFFFFFFFFFFFFFFF", b"-5"):
            case = "chunk size %r" % size
            self.assert_4xx_or_closed(self.raw(
                b"POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + size + b"\r\nname=a\r\n0\r\n\r\n"), case)
            self.assert_alive(case)

    # --- bytes --------------------------------------------------------------------------------

    def test_bad_bytes_in_paths_and_queries(self):
        targets = []
        for b in BAD_BYTES:
            targets += ["/w/%s/search?q=%s" % (SLUG, b), "/w/%s/search?q=ab%sc" % (SLUG, b),
                        "/q/%s" % b, "/q?t=%s" % b, "/q/ABC%sDEF" % b, "/w/%s/" % b,
                        "/w/%s%s/" % (SLUG, b), "/api/v1/codes/%s" % b, "/qr/%s.png" % b,
                        "/w/%s/procedures/%s" % (SLUG, b), "/w/%s/permits/1%s" % (SLUG, b),
                        "/healthz%s" % b, "/%s" % b, "/assets/%s" % b, "/?%s=%s" % (b, b),
                        "/files/%s" % b, "/staff/%s" % b]
        targets += ["/w/%ZZ/", "/%", "/w/%s/search?q=%%" % SLUG, "/w/%s/search?q=%%G0" % SLUG,
                    "/w/%s/search?q&q=1&q=%%00" % SLUG, "/w/%s/search?%%00=1" % SLUG]
        for t in targets:
            status, headers, body = self.get_raw(t.encode("ascii"))
            self.assert_page_safe("GET " + t, status, headers, body)
        self.assert_alive("bad bytes in paths")
        # Raw (not percent-encoded) bytes over 0x7F and control characters in the target.
        for t in (b"/w/" + SLUG.encode() + b"/search?q=\xff\xfe", b"/q/\xc0\xaf",
                  b"/w/\x01\x02/", b"/\x7f"):
            reply, how = self.raw(b"GET " + t + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  b"Connection: close\r\n\r\n")
            if reply:
                resp = mc.parse_responses(reply)[0]
                self.assert_page_safe("raw %r" % t, *resp)
            self.assert_alive("raw %r" % t)

    def test_bad_bytes_in_form_fields(self):
        c = mc.Client(self.port)
        report = "/w/%s/permits/%d/report" % (SLUG, self.permit_id)
        for b in BAD_BYTES:
            raw = urllib.parse.unquote_to_bytes(b)
            body = ("name=%s&password=x%sy&csrf=%s" % (b, b, b)).encode("ascii")
            r = c.request("POST", "/staff/login", body=body,
                          content_type="application/x-www-form-urlencoded")
            self.assertTrue(400 <= r.status < 500, "login with %s: %r" % (b, r))
            self.assert_page_safe("login " + b, r.status, dict(
                (k.lower(), v) for k, v in r.headers), r.body)
            fields = [("category", b"other" + raw), ("description", b"Thi c\xc3\xb4ng " + raw * 8),
                      ("contact", raw), ("token", raw), (raw.decode("latin-1"), b"x")]
            body, ctype = self.multipart_bytes(fields)
            self.assert_4xx_or_closed(self.raw(
                b"POST " + report.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: " + ctype.encode() + b"\r\nContent-Length: " +
                str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body),
                "report with " + b)
            self.assert_alive("form fields with " + b)
        self.assert_db_intact()

    @staticmethod
    def multipart_bytes(fields):
        boundary = b"----hostile" + os.urandom(8).hex().encode()
        out = []
        for name, value in fields:
            n = name.encode("latin-1") if isinstance(name, str) else name
            out.append(b"--" + boundary + b"\r\nContent-Disposition: form-data; name=\"" + n +
                       b"\"\r\n\r\n" + value + b"\r\n")
        out.append(b"--" + boundary + b"--\r\n")
        return b"".join(out), "multipart/form-data; boundary=" + boundary.decode()

    def test_malformed_forms(self):
        cases = [
            ("multipart/form-data", b"--x\r\n\r\n"),
            ("multipart/form-data; boundary=", b"----\r\n"),
            ("multipart/form-data; boundary=" + "b" * 5000, b"--" + b"b" * 5000 + b"\r\n"),
            ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data\r\n" +
             b"X-Pad: " + b"p" * 200000 + b"\r\n\r\nv\r\n--zz--\r\n"),
            ("multipart/form-data; boundary=zz", b"--zz\r\n" + b"\r\n" * 1000),
            ("multipart/form-data; boundary=zz", b"garbage without any boundary" * 100),
            ("application/x-www-form-urlencoded", b"&&&===&&&" * 1000),
            ("application/x-www-form-urlencoded", b"a=" + b"%" * 1000),
            ("application/x-www-form-urlencoded",
             b"&".join(b"f%d=v" % i for i in range(5000))),
            ("application/x-www-form-urlencoded", b"name=" + b"a" * (200 * 1024)),
            ("text/plain", b"name=a&password=b"),
            ("application/json", b'{"name": "a"}'),
        ]
        for ctype, body in cases:
            case = "POST /staff/login %s (%d bytes)" % (ctype[:40], len(body))
            reply = self.raw(b"POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                             b"Content-Type: " + ctype.encode() + b"\r\nContent-Length: " +
                             str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            self.assert_4xx_or_closed(reply, case)
            self.assert_alive(case)
        self.assert_db_intact()

    # --- traversal ----------------------------------------------------------------------------

    def test_assets_never_outside(self):
        names = sorted(os.listdir(os.path.join(mc.SRC, "assets")))
        served = {}
        for n in names:
            if re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", n):
                status, _, body = self.get_raw(b"/assets/" + n.encode())
                self.assertEqual(status, 200, "asset %s not served" % n)
                served[n] = body
        self.assertTrue(served, "no asset served at all: nothing to compare against")
        for esc in ASSET_ESCAPES:
            for prefix in (b"/assets/", b"/ASSETS/", b"/assets/x/", b"/assets%2f"):
                t = prefix + esc.encode("latin-1")
                reply, how = self.raw(b"GET " + t + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                      b"Connection: close\r\n\r\n")
                if not reply:
                    self.assertIn(how, ("eof", "reset"), "GET %r hung" % t)
                    continue
                status, headers, body = mc.parse_responses(reply)[0]
                self.assertLess(status, 500, "GET %r: %d" % (t, status))
                if status == 200:
                    self.assertIn(body, list(served.values()) + [],
                                  "GET %r answered 200 with something not in assets/" % t)
                for m in FOREIGN_MARKERS:
                    self.assertNotIn(m, body, "GET %r leaked a file outside assets/" % t)
        self.assert_alive("asset traversal")

    # --- injection ----------------------------------------------------------------------------

    def test_sql_and_html_in_every_parameter(self):
        payloads = SQL_PAYLOADS + HTML_PAYLOADS
        for p in payloads:
            q = urllib.parse.quote(p, safe="")
            targets = ["/w/%s/search?q=%s" % (SLUG, q), "/q?t=%s" % q, "/q/%s" % q,
                       "/api/v1/codes/%s" % q, "/qr/%s.svg" % q, "/w/%s/" % q,
                       "/w/%s/search?q=%s" % (q, q), "/w/%s/permits/%s" % (SLUG, q),
                       "/w/%s/procedures/%d?x=%s" % (SLUG, self.proc_id, q), "/?%s=%s" % (q, q),
                       "/staff?ward=%s" % q, "/staff/login?next=%s" % q, "/files/%s" % q]
            for t in targets:
                r = mc.request(self.port, t)
                self.assert_page_safe("GET " + t, r.status,
                                      dict((k.lower(), v) for k, v in r.headers), r.body, [p])
                if r.status == 200 and (r.header("Content-Type") or "").startswith("text/html"):
                    text = r.body.decode("utf-8")
                    # the search page echoes the query: escaped, not dropped
                    if t.startswith("/w/%s/search" % SLUG):
                        self.assertIn(p, html.unescape(text), "query not echoed: " + t)
            self.assert_alive("payload %r" % p)
        # search must not turn into "match everything" with a quote trick
        plain = mc.request(self.port, "/w/%s/search?q=zzqqxxnotthere" % SLUG)
        tricked = mc.request(self.port, "/w/%s/search?q=%s"
                             % (SLUG, urllib.parse.quote("zzqqxxnotthere' OR 1=1 --")))
        self.assertEqual(plain.status, tricked.status)
        self.assertEqual(len(mc.links(plain.body)), len(mc.links(tricked.body)),
                         "a quote in the search widened the result")
        self.assert_db_intact()

    def test_sql_and_html_in_login_fields(self):
        """Each payload in each login field, urlencoded and multipart, with a matching CSRF
        pair where the staff side hands one out (so name and password reach the lookup).
        Every attempt comes from its own 127.0.0.N, so the throttle does not slow the run."""
        payloads = SQL_PAYLOADS + HTML_PAYLOADS
        n = 1
        for i, p in enumerate(payloads):
            for field in ("name", "password", "csrf"):
                for enc in ("urlencoded", "multipart"):
                    n += 1
                    c = mc.Client(self.port, source="127.0.0.%d" % n)
                    login = c.get("/staff/login")
                    self.assertLess(login.status, 500, login)
                    form = mc.find_form(login.body, "/staff/login") \
                        if login.status == 200 else None
                    csrf = (mc.form_value(form, "csrf") if form else None) or "x"
                    fields = {"name": "admin%d" % n, "password": "0123456789x", "csrf": csrf}
                    fields[field] = p
                    if enc == "urlencoded":
                        r = c.post("/staff/login", fields)
                    else:
                        r = c.post_multipart("/staff/login", fields)
                    case = "login %s=%r (%s)" % (field, p, enc)
                    self.assertTrue(400 <= r.status < 500, "%s: %r" % (case, r))
                    self.assertNotIn("mc_session", c.cookies, case + ": signed in")
                    self.assert_page_safe(case, r.status, dict((k.lower(), v)
                                                               for k, v in r.headers),
                                          r.body, [p])
            self.assert_alive("login payload %r" % p)
        self.assert_db_intact()

    def test_header_injection(self):
        """CR LF smuggled through a path or a query never becomes a response header."""
        for t in ("/q/ABC%0d%0aSet-Cookie:%20evil=1", "/w/x%0d%0aX-Evil:%201/",
                  "/q?t=%0d%0aLocation:%20http://evil.example/",
                  "/w/%s/search?q=%%0d%%0aX-Evil:%%201" % SLUG):
            status, headers, body = self.get_raw(t.encode("ascii"))
            self.assertLess(status, 500, t)
            self.assertNotIn("x-evil", headers, t)
            self.assertNotIn("evil=1", headers.get("set-cookie", ""), t)
            self.assertNotIn("evil.example", headers.get("location", ""), t)
        self.assert_alive("header injection")

    # --- slow and idle clients ----------------------------------------------------------------

    def test_idle_and_slow_clients(self):
        idle, errors, stop = [], [], threading.Event()
        try:
            for _ in range(300):
                s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                idle.append(s)

            def slow():
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                        for b in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n":
                            if stop.wait(1.0):
                                return
                            s.sendall(bytes([b]))
                except OSError as e:  # the server may close a slow client: fine
                    errors.append(e)
            slow_threads = [threading.Thread(target=slow, daemon=True) for _ in range(5)]
            for th in slow_threads:
                th.start()
            worst = 0.0
            # The idle and slow clients hold connections from 127.0.0.1; the others come
            # from another address (each address has its share of connections).
            other = mc.Client(self.port, "127.0.0.2")
            for i in range(12):
                for path in ("/healthz", "/", "/w/%s/" % SLUG):
                    t0 = time.monotonic()
                    r = other.get(path, timeout=10)
                    worst = max(worst, time.monotonic() - t0)
                    self.assertEqual(r.status, 200, "%s with 300 idle clients: %r" % (path, r))
                time.sleep(0.5)
            self.assertLess(worst, 2.5, "an answer took %.1f s next to idle and slow clients"
                            % worst)
            # The 15 s connection timeout closes idle connections (bounded wait).
            deadline = time.monotonic() + 22
            closed = 0
            for s in idle[:20]:
                s.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    closed += s.recv(1) == b""
                except (socket.timeout, ConnectionResetError):
                    closed += deadline > time.monotonic()
            self.assertEqual(closed, 20, "idle connections still open after 22 s")
        finally:
            stop.set()
            for s in idle:
                s.close()
        self.assert_alive("idle and slow clients")

    def test_slow_loris_from_one_address(self):
        """A thousand connections from one address, each trickling a byte a second of a
        request that never ends: that address gets its share (64) and no more, and every
        other client is answered as usual."""
        socks, errors = [], []
        try:
            for _ in range(1000):
                try:
                    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    s.bind(("127.0.0.9", 0))
                    s.settimeout(2)
                    s.connect(("127.0.0.1", self.port))
                    s.sendall(b"G")
                    socks.append(s)
                except OSError as e:
                    errors.append(e)
            other = mc.Client(self.port, "127.0.0.3")
            worst, deadline = 0.0, time.monotonic() + 12
            while time.monotonic() < deadline:
                for s in socks:  # one more byte of each slow request
                    try:
                        s.sendall(b"E")
                    except OSError:
                        pass
                t0 = time.monotonic()
                r = other.get("/w/%s/" % SLUG, timeout=10)
                worst = max(worst, time.monotonic() - t0)
                self.assertEqual(r.status, 200, r)
                time.sleep(1)
            # What the server kept open of the thousand: their share, the rest closed.
            open_ = 0
            for s in socks:
                s.setblocking(False)
                try:
                    open_ += s.recv(1) != b""
                except BlockingIOError:
                    open_ += 1
                except OSError:
                    pass
            print("slow-loris: %d of %d connections left open, worst other answer %.3f s"
                  % (open_, len(socks), worst), file=sys.stderr)
            self.assertLessEqual(open_, 64)
            self.assertLess(worst, 2.5)
        finally:
            for s in socks:
                s.close()
        self.assert_alive("slow-loris")
        # Once its connections are gone the address has its whole share again: nothing
        # counted stays counted. 64 connections from it, all open at once, each answered.
        deadline = time.monotonic() + 20
        while True:
            held = [http.client.HTTPConnection("127.0.0.1", self.port, timeout=5,
                                               source_address=("127.0.0.9", 0))
                    for _ in range(64)]
            codes = []
            try:
                for c in held:
                    c.connect()
                for c in held:
                    try:
                        c.request("GET", "/healthz")
                        r = c.getresponse()
                        r.read()
                        codes.append(r.status)
                    except OSError as e:
                        codes.append(repr(e))
            finally:
                for c in held:
                    c.close()
            if codes == [200] * 64 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        self.assertEqual(codes, [200] * 64, "127.0.0.9 after its slow-loris")

    def test_sign_in_attack_does_not_stall_scans(self):
        """Four streams of wrong passwords, each attempt with a name and from an address of
        its own so that no throttle spares the server its Argon2id (an unknown name costs a
        dummy hash): scans of a printed code keep their pace (p99 under 50 ms), since
        sign-ins run on the write pool's threads, not on the ones that answer scans."""
        token = [t for t, k, _ in mc.code_list(self.db, "permit")][0]
        stop, made, errors = threading.Event(), [0], []

        def attack(n):
            i = 0
            while not stop.is_set():
                i += 1
                c = mc.Client(self.port, "127.0.%d.%d" % (10 + n, 1 + i % 250))
                try:
                    r = c.get("/staff/login")
                    form = mc.find_form(r.body, "/staff/login")
                    r = c.post("/staff/login", {"name": "khach-%d-%d" % (n, i),
                                                "password": "sai-mat-khau-%d" % i,
                                                "csrf": mc.form_value(form, "csrf")})
                    if r.status >= 500:
                        errors.append(r.status)
                    made[0] += 1
                except OSError:
                    pass  # a sign-in may wait its turn past the client's timeout: not a failure

        threads = [threading.Thread(target=attack, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        try:
            deadline = time.monotonic() + 60
            while made[0] < 8 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertGreaterEqual(made[0], 8, "the attack streams made no sign-in attempts")
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            times, start, before = [], time.monotonic(), made[0]
            # At least 300 scans over at least 2 s, while the streams make 8 more attempts.
            while (len(times) < 300 or time.monotonic() - start < 2 or
                   made[0] - before < 8) and time.monotonic() - start < 60:
                t0 = time.monotonic()
                conn.request("GET", "/q/" + token)
                r = conn.getresponse()
                r.read()
                times.append(time.monotonic() - t0)
                self.assertEqual(r.status, 200)
            conn.close()
            attempts_during = made[0] - before
        finally:
            stop.set()
            for t in threads:
                t.join(60)
        times.sort()
        p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
        print("scans during 4 sign-in attack streams: p50 %.1f ms, p99 %.1f ms, %d attempts"
              % (p50 * 1000, p99 * 1000, attempts_during), file=sys.stderr)
        self.assertEqual(errors, [])
        self.assertLess(p99, 0.050, "p99 %.1f ms" % (p99 * 1000))
        self.assert_alive("sign-in attack")

    def test_many_connections_over_the_limit(self):
        """Past 1000 open connections new ones are refused or queued, never a crash."""
        socks = []
        try:
            for _ in range(1100):
                try:
                    socks.append(socket.create_connection(("127.0.0.1", self.port), timeout=2))
                except OSError:
                    break
        finally:
            for s in socks:
                s.close()
        deadline = time.monotonic() + 10
        while mc.healthz_status(self.port, timeout=2) != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assert_alive("1100 connections")

    # --- methods and request forms ------------------------------------------------------------

    def test_odd_methods(self):
        for m in (b"PROPFIND", b"TRACE", b"CONNECT", b"OPTIONS", b"DELETE", b"PUT", b"PATCH",
                  b"get", b"Get", b"G\x00ET", b"BREW", b"M" * 5000, b"\xff\xfe"):
            target = b"127.0.0.1:80" if m == b"CONNECT" else b"/healthz"
            case = "method %r" % m[:20]
            self.assert_4xx_or_closed(self.raw(m + b" " + target + b" HTTP/1.1\r\nHost: 127.0.0.1"
                                               b"\r\nContent-Length: 0\r\nConnection: close"
                                               b"\r\n\r\n"), case)
            self.assert_alive(case)

    NUL_LINES = (b"GET\x00 /healthz HTTP/1.1", b"GET\x00XYZ /healthz HTTP/1.1",
                 b"GET /healthz\x00junk HTTP/1.1", b"GET /healthz HTTP/1.1\x00")

    def test_nul_in_request_line_no_crash(self):
        for line in self.NUL_LINES:
            case = "request line %r" % line
            reply, how = self.raw(line + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            if reply:
                self.assertLess(mc.raw_status(reply), 500, case)
            self.assert_alive(case)

    @unittest.expectedFailure
    def test_nul_in_request_line_refused(self):
        """A NUL byte in the request line is refused, not read as a GET of what comes before it.
        Known: libmicrohttpd 0.9.75 cuts the line at the NUL and answers 200; remove the marker
        once the server refuses these."""
        for line in self.NUL_LINES:
            self.assert_4xx_or_closed(self.raw(line + b"\r\nHost: 127.0.0.1\r\n"
                                               b"Connection: close\r\n\r\n"), repr(line))

    def test_http11_without_host_refused(self):
        """RFC 9112 3.2: an HTTP/1.1 request without Host gets 400 (the daemon runs with
        MHD_OPTION_STRICT_FOR_CLIENT 1)."""
        self.assert_4xx_or_closed(self.raw(b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"),
                                  "HTTP/1.1 without Host")

    def test_form_error_mid_upload_gets_an_answer(self):
        """A form refused while its body is read (a text field over MC_FORM_MAX_TEXT, a bad
        field name) gets a 4xx answer, not a connection closed without one."""
        cases = [("application/x-www-form-urlencoded", b"name=" + b"a" * (100 * 1024)),
                 self.multipart_bytes([(b"a\x00b", b"x")])[::-1]]
        for ctype, body in cases:
            case = "POST /staff/login %s, %d bytes" % (ctype[:35], len(body))
            reply, how = self.raw(b"POST /staff/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  b"Content-Type: " + ctype.encode() + b"\r\nContent-Length: " +
                                  str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" +
                                  body)
            self.assertTrue(reply, "%s: closed without an answer (%s)" % (case, how))
            status = mc.raw_status(reply)
            self.assertIn(status, (400, 413), case)
            self.assert_alive(case)

    def test_request_forms(self):
        # HTTP/1.0 without Host is a valid request.
        status, _, body = mc.parse_responses(self.raw(b"GET /healthz HTTP/1.0\r\n\r\n")[0])[0]
        self.assertEqual((status, body), (200, b"ok\n"))
        # HTTP/1.1 without Host: see test_http11_without_host_refused; never a 5xx.
        reply, how = self.raw(b"GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n")
        if reply:
            self.assertLess(mc.raw_status(reply), 500)
        self.assert_alive("HTTP/1.1 without Host")
        # Absolute-form targets: our own host answers like origin-form or a clean 4xx; another
        # host is never fetched (no proxying).
        own = ("http://127.0.0.1:%d/healthz" % self.port).encode()
        for t in (own, b"http://evil.example/healthz", b"http://evil.example:1/",
                  b"https://127.0.0.1/healthz", b"*", b"//evil.example/x"):
            reply, how = self.raw(b"GET " + t + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                  b"Connection: close\r\n\r\n")
            if not reply:
                self.assertIn(how, ("eof", "reset"), "GET %r hung" % t)
                continue
            status, headers, body = mc.parse_responses(reply)[0]
            self.assertTrue(status == 200 or 400 <= status < 500, "GET %r: %d" % (t, status))
            if status == 200:
                self.assertEqual(body, b"ok\n", "GET %r" % t)
            self.assert_alive("absolute form %r" % t)
        # Odd versions.
        for v in (b"HTTP/0.9", b"HTTP/2.0", b"HTTP/1.1111", b"HTTP/x", b"FOO/1.1", b""):
            case = "version %r" % v
            reply = self.raw(b"GET /healthz " + v + b"\r\nHost: 127.0.0.1\r\n"
                             b"Connection: close\r\n\r\n")
            if reply[0] and mc.raw_status(reply[0]) in (200, 505):
                continue  # leniency, or the one 5xx made for this: Version Not Supported
            self.assert_4xx_or_closed(reply, case)
            self.assert_alive(case)

    def test_pipelined(self):
        req = (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
               b"GET /w/" + SLUG.encode() + b"/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
               b"HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
               b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
               b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        reply, how = self.raw(req, timeout=10)
        # the HEAD answer has a Content-Length but no body
        heads = [False, False, True, False, False]
        resps, pos = [], 0
        for head in heads:
            got = mc.parse_response_at(reply, pos, head)
            self.assertTrue(got, "pipelined: %d answers, then %r" % (len(resps), reply[pos:200]))
            resps.append((got[0], got[2]))
            pos = got[3]
        self.assertEqual([s for s, _ in resps], [200, 200, 200, 404, 200], resps)
        self.assertEqual(resps[0][1], b"ok\n")
        self.assertIn(b"<html", resps[1][1].lower())
        self.assertEqual(resps[4][1], b"ok\n")
        self.assertEqual(reply[pos:], b"", "bytes after the last pipelined answer")
        self.assertEqual(how, "eof", "connection not closed after Connection: close")
        # A body smuggled into a GET with both Content-Length and Transfer-Encoding.
        smuggle = (b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n"
                   b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                   b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        reply, how = self.raw(smuggle)
        for status, _, _ in mc.parse_responses(reply):
            self.assertLess(status, 500)
        self.assert_alive("pipelined")


if __name__ == "__main__":
    mc.main()
