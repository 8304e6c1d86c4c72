"""HTTPS in front of motcham: Debian's nginx with the shipped site file (dist/nginx/motcham.conf,
its ports, certificate and log paths replaced by a temporary directory's) and a self-signed
certificate, on loopback ports, in front of the real motcham started with --trust-proxy.

Checked: the page over HTTPS (HTTP/2 offered, HSTS, a Secure session cookie when signing in
through the proxy), the redirect from plain HTTP, separate report rate limits for two clients
through the proxy, a client forging X-Forwarded-For (through the proxy, or straight to motcham)
limited by its real address, /metrics refused through the proxy but answered for the
monitoring host, compression, caching and the body size limit.

Clients are told apart by their loopback source address (127.0.0.N); 127.0.0.9 plays the
monitoring host."""

import gzip
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy  # noqa: E402

SITE = os.path.join(deploy.SRC, "dist", "nginx", "motcham.conf")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                  else None)
MONITOR = "127.0.0.9"
PASSWORD = "mat-khau-qua-proxy-1"


def site_for_test(text, t, http_port, https_port, motcham_port):
    """The shipped site with only what must differ on a test machine replaced; every
    replacement must apply, so a changed site file fails here instead of being half-tested."""
    subs = [
        ("listen 80;", "listen 127.0.0.1:%d;" % http_port),
        ("\tlisten [::]:80;\n", ""),
        ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % https_port),
        ("\tlisten [::]:443 ssl http2;\n", ""),
        ("server 127.0.0.1:8080;", "server 127.0.0.1:%d;" % motcham_port),
        ("/etc/letsencrypt/live/motcham.example.org/fullchain.pem", t.join("cert.pem")),
        ("/etc/letsencrypt/live/motcham.example.org/privkey.pem", t.join("key.pem")),
        ("/var/log/nginx/motcham.access.log", t.join("access.log")),
        ("/var/log/nginx/motcham.error.log", t.join("error.log")),
        ("root /var/www/html;", "root %s;" % t.join("www")),
        ("allow 192.0.2.10;", "allow %s;" % MONITOR),
    ]
    for old, new in subs:
        if old not in text:
            raise AssertionError("the site file no longer has %r" % old)
        text = text.replace(old, new)
    directives = re.sub(r"#[^\n]*", "", text)
    left = re.findall(r"(?<![\w.])/(?:etc|var|run)/\S*", directives)
    if left:
        raise AssertionError("the site file still names paths of this machine: %s" % left)
    return text


def wait_port(port, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


@unittest.skipUnless(NGINX, "nginx is missing (scripts/setup installs nginx-light)")
@unittest.skipUnless(shutil.which("openssl"), "openssl is missing")
class BehindNginx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = deploy.TempDir()
        cls.srv = cls.nginx = None
        try:
            cls.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start(cls):
        t = cls.t
        os.chmod(t.path, 0o755)  # nginx's workers may run as another user
        for d in ("www", "tmp"):
            os.mkdir(t.join(d))
        cls.db = t.join("proxy.db")
        deploy.must(deploy.run(["demo", "--db", cls.db]))
        deploy.add_user(cls.db, "lan", "staff", PASSWORD, deploy.SLUG)
        cls.permits = deploy.permit_ids(cls.db, 5)
        cls.ward_token = deploy.sqlite(cls.db, "SELECT token FROM code WHERE target_kind = "
                                               "'ward' ORDER BY id LIMIT 1;")
        deploy.sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                   "-keyout", t.join("key.pem"), "-out", t.join("cert.pem"),
                   "-subj", "/CN=127.0.0.1", "-addext",
                   "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        cls.tls = ssl.create_default_context(cafile=t.join("cert.pem"))

        cls.srv = deploy.Server(["--db", cls.db, "--port", "0", "--bind", "127.0.0.1",
                                 "--trust-proxy", "127.0.0.1", "--metrics-allow", MONITOR])
        cls.srv.start()
        cls.http_port, cls.https_port = deploy.free_port(), deploy.free_port()
        with open(SITE, encoding="utf-8") as f:
            site = site_for_test(f.read(), t, cls.http_port, cls.https_port, cls.srv.port)
        with open(t.join("site.conf"), "w", encoding="utf-8") as f:
            f.write(site)
        temps = "".join("\t%s_temp_path %s;\n" % (k, t.join("tmp", k))
                        for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        with open(t.join("nginx.conf"), "w", encoding="utf-8") as f:
            f.write("daemon off;\nworker_processes 1;\npid %s;\nerror_log %s info;\n"
                    "events { worker_connections 64; }\n"
                    "http {\n\tinclude /etc/nginx/mime.types;\n"
                    "\tdefault_type application/octet-stream;\n\taccess_log off;\n%s"
                    "\tinclude %s;\n}\n"
                    % (t.join("nginx.pid"), t.join("error.log"), temps, t.join("site.conf")))
        cmd = [NGINX, "-p", t.path, "-e", t.join("error.log"), "-c", t.join("nginx.conf")]
        deploy.sh(cmd + ["-t"])
        cls.nginx = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        if not (wait_port(cls.https_port) and wait_port(cls.http_port)):
            raise AssertionError("nginx did not start: %s" % cls.nginx_log())

    @classmethod
    def nginx_log(cls):
        try:
            with open(cls.t.join("error.log"), encoding="utf-8", errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("KEEP_NGINX_LOG"):
            print(cls.nginx_log())
        try:
            if cls.nginx:
                cls.nginx.send_signal(signal.SIGQUIT)
                try:
                    cls.nginx.wait(15)
                except subprocess.TimeoutExpired:
                    cls.nginx.kill()
                    cls.nginx.wait(10)
            if cls.srv:
                cls.srv.close()
        finally:
            cls.t.cleanup()

    # --- clients ------------------------------------------------------------------------

    def https(self, source=None, **kw):
        return deploy.Client(self.https_port, source=source, context=self.tls, **kw)

    def direct(self, source=None, **kw):
        return deploy.Client(self.srv.port, source=source, **kw)

    # --- the page over HTTPS -------------------------------------------------------------

    def test_page_over_https(self):
        r = self.https().get("/w/%s" % deploy.SLUG)
        self.assertEqual(r.status, 200, r)
        self.assertIn("Phường 7", r.text)
        hsts = r.all("Strict-Transport-Security")
        self.assertEqual(len(hsts), 1, "one HSTS header (motcham's): %r" % r.headers)
        self.assertRegex(hsts[0], r"max-age=\d{7,}")
        # Straight to motcham over plain HTTP: no HSTS (it would mean nothing there).
        r = self.direct().get("/w/%s" % deploy.SLUG)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.all("Strict-Transport-Security"), [])

    def test_http2_offered(self):
        ctx = ssl.create_default_context(cafile=self.t.join("cert.pem"))
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", self.https_port), timeout=10) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as tls:
                self.assertEqual(tls.selected_alpn_protocol(), "h2")

    def test_plain_http_redirects(self):
        c = deploy.Client(self.http_port)
        r = c.get("/w/%s?x=1" % deploy.SLUG)
        self.assertEqual(r.status, 301, r)
        self.assertRegex(r.header("Location"), r"^https://[^/]+/w/%s\?x=1$" % deploy.SLUG)

    def test_sign_in_through_the_proxy(self):
        c = self.https(source="127.0.0.40")
        r = deploy.sign_in(c, "lan", PASSWORD)
        self.assertEqual(r.status, 303, r)
        session = [a for n, v, a in c.set_cookies if n == "mc_session"]
        self.assertEqual(len(session), 1, c.set_cookies)
        self.assertIn("secure", session[0], "the session cookie is Secure over HTTPS")
        self.assertIn("httponly", session[0])
        r = c.get("/staff")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.all("Strict-Transport-Security")), 1)
        self.assertNotEqual(r.header("Content-Encoding"), "gzip", "staff pages: no gzip")

    # --- who the client is ---------------------------------------------------------------

    def reports_until_refused(self, c, permit, n):
        """Sends n reports through c; returns their statuses."""
        return [deploy.report(c, permit, i).status for i in range(n)]

    def test_rate_limits_per_client_through_the_proxy(self):
        a = self.https(source="127.0.0.31")
        self.assertEqual(self.reports_until_refused(a, self.permits[0], 6),
                         [200] * 5 + [429], "the 6th report of one client in an hour")
        b = self.https(source="127.0.0.32")
        self.assertEqual(deploy.report(b, self.permits[0], 1).status, 200,
                         "another client through the same proxy is not limited")
        # The first client writing its own forwarding headers through nginx: still itself.
        forged = self.https(source="127.0.0.31", headers={
            "X-Forwarded-For": "127.0.0.99", "Forwarded": "for=127.0.0.98",
            "X-Real-IP": "127.0.0.97"})
        self.assertEqual(deploy.report(forged, self.permits[1], 7).status, 429)

    def test_forged_header_straight_to_motcham(self):
        statuses = []
        for i in range(6):
            c = self.direct(source="127.0.0.33",
                            headers={"X-Forwarded-For": "127.0.0.%d" % (100 + i)})
            statuses.append(deploy.report(c, self.permits[2], i).status)
        self.assertEqual(statuses, [200] * 5 + [429],
                         "not via the trusted proxy: limited by its real address")

    def test_metrics(self):
        for source in ("127.0.0.1", "127.0.0.5"):
            for path in ("/metrics", "/METRICS", "/metrics/", "//metrics", "/%6detrics"):
                r = self.https(source=source).get(path)
                self.assertEqual(r.status, 403, "%s through the proxy from %s: %r"
                                 % (path, source, r))
                self.assertIn(b"<center>nginx</center>", r.body, "refused by nginx")
        r = self.https(source=MONITOR).get("/metrics")
        self.assertEqual(r.status, 200, "the monitoring host through the proxy: %r" % r)
        self.assertIn("motcham_", r.text)
        r = self.direct(source=MONITOR).get("/metrics")
        self.assertEqual(r.status, 200, "the monitoring host straight to motcham")
        r = self.direct(source="127.0.0.1").get("/metrics")
        self.assertEqual(r.status, 403, "the proxy's own address is no monitoring host")

    # --- compression, caching, limits ----------------------------------------------------

    def test_gzip_and_caching(self):
        gz = {"Accept-Encoding": "gzip"}
        r = self.https(headers=gz).get("/assets/style.css")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Encoding"), "gzip")
        self.assertIn(b"{", gzip.decompress(r.body))
        self.assertEqual(r.all("Cache-Control"), ["public, max-age=604800"])
        r = self.https(headers=gz).get("/w/%s" % deploy.SLUG)
        self.assertEqual(r.header("Content-Encoding"), "gzip", "HTML is compressed")
        self.assertIn("Phường 7", gzip.decompress(r.body).decode("utf-8"))
        r = self.https(headers=gz).get("/qr/%s.svg" % self.ward_token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Encoding"), "gzip", "SVG is compressed")
        self.assertEqual(r.all("Cache-Control"), ["public, max-age=2592000, immutable"])
        for path in ("/staff/login", "/STAFF/login", "/Supervise"):
            r = self.https(headers=gz).get(path)
            self.assertIn(r.status, (200, 303), r)
            self.assertIsNone(r.header("Content-Encoding"),
                              "%s: no compression next to CSRF tokens" % path)

    def test_body_limit(self):
        """nginx's limit is just above motcham's largest body (12 MiB of form and its
        framing, MC_FORM_MAX_TOTAL): a body over it is refused by nginx, the largest a
        resident may send (a 10 MiB photo) reaches motcham."""
        path = "/w/%s/permits/%d/report" % (deploy.SLUG, self.permits[3])
        big = self.https(source="127.0.0.50").request(
            "POST", path, body=b"x" * (14 << 20),
            headers={"Content-Type": "multipart/form-data; boundary=motcham"})
        self.assertEqual(big.status, 413, "over nginx's limit")
        self.assertIn(b"<center>nginx</center>", big.body, "refused by nginx itself, which "
                      "does not tell its version (server_tokens off)")
        body, ctype = deploy.multipart([("token", "0" * 64), ("category", "other"),
                                        ("description", "Ảnh chụp công trình, rất lớn.")],
                                       [("photo", "anh.png", "image/png",
                                         b"\x89PNG" + b"x" * ((10 << 20) - 1024))])
        r = self.https(source="127.0.0.51").request("POST", path, body=body,
                                                     headers={"Content-Type": ctype})
        self.assertEqual(r.status, 403, "motcham read it all and refused the stale form: %r"
                         % r)
        self.assertNotIn(b"<center>nginx</center>", r.body, "motcham's own answer")

if __name__ == "__main__":
    unittest.main(verbosity=2)
