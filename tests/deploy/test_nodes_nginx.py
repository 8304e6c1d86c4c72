"""Two motcham nodes on one PostgreSQL database behind nginx, with the shipped multi-node site
(dist/nginx/motcham-nodes.conf, its addresses, ports, certificate and log paths replaced by a
temporary directory's and loopback ports), as README.md's "Running many nodes" sets them up: a
throw-away cluster of tests/pg/cluster, node A given the password in its --db URL, node B a URL
without one and a pgpass file named by PGPASSFILE, both with --trust-proxy 127.0.0.1.

Checked, in this order: public pages come through nginx from both nodes; a staff member signed
in through nginx (the sign-in form from one node, the post to the other) edits a permit whose
page both nodes hold, and within a second every answer through nginx shows the edit; then node
A is killed with SIGKILL, and through nginx public pages (held or not) still answer 200, and the
staff session made before still works, for reading and for an edit."""

import datetime
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy  # noqa: E402
from test_nginx import NGINX, wait_port  # noqa: E402

SITE = os.path.join(deploy.SRC, "dist", "nginx", "motcham-nodes.conf")
CLUSTER = os.path.join(deploy.SRC, "tests", "pg", "cluster")
PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
PASSWORD = "mat-khau-hai-may-1"
NODES = ("192.0.2.21:8080", "192.0.2.22:8080")


def site_for_test(text, t, http_port, https_port, node_ports):
    """The shipped multi-node site with only what must differ on a test machine replaced;
    every replacement must apply, so a changed site file fails here instead of being
    half-tested."""
    subs = [
        ("listen 80;", "listen 127.0.0.1:%d;" % http_port),
        ("\tlisten [::]:80;\n", ""),
        ("listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % https_port),
        ("\tlisten [::]:443 ssl http2;\n", ""),
        ("/etc/letsencrypt/live/motcham.example.org/fullchain.pem", t.join("cert.pem")),
        ("/etc/letsencrypt/live/motcham.example.org/privkey.pem", t.join("key.pem")),
        ("/var/log/nginx/motcham.access.log", t.join("access.log")),
        ("/var/log/nginx/motcham.error.log", t.join("error.log")),
        ("root /var/www/html;", "root %s;" % t.join("www")),
    ]
    subs += [("server %s " % node, "server 127.0.0.1:%d " % port)
             for node, port in zip(NODES, node_ports)]
    for old, new in subs:
        if old not in text:
            raise AssertionError("the site file no longer has %r" % old)
        text = text.replace(old, new)
    directives = re.sub(r"#[^\n]*", "", text)
    left = re.findall(r"(?<![\w.])/(?:etc|var|run)/\S*", directives)
    if left:
        raise AssertionError("the site file still names paths of this machine: %s" % left)
    return text


def day(offset):
    return (datetime.date.today() + datetime.timedelta(days=offset)).isoformat()


def permit_fields(number, scope):
    return {"number": number, "kind": "repair", "address": "5 Ba Tơ, Phường 7, Quận 8",
            "owner_name": "Trần Thị Hồng", "scope": scope, "floors": "2", "area_m2": "45",
            "height_m": "7.2", "contractor": "", "office": "UBND Phường 7, Quận 8",
            "issued_on": day(-3), "starts_on": day(-1), "ends_on": day(90)}


def psql(url, query):
    return deploy.sh([os.path.join(PGBIN, "psql"), "-X", "-q", "-A", "-t", "-v",
                      "ON_ERROR_STOP=1", "-d", url, "-c", query]).stdout.strip()


def requests_seen(port):
    """How many requests the node on port has answered, /metrics itself left out."""
    r = deploy.Client(port).get("/metrics")
    if r.status != 200:
        raise AssertionError("/metrics of the node on %d: %r" % (port, r))
    return sum(int(n) for route, n in
               re.findall(r'^motcham_http_requests_total\{route="([^"]*)",[^}]*\} (\d+)$',
                          r.text, re.M) if route != "metrics")


@unittest.skipUnless(NGINX, "nginx is missing (scripts/setup installs nginx-light)")
@unittest.skipUnless(shutil.which("openssl"), "openssl is missing")
@unittest.skipUnless(os.access(os.path.join(PGBIN, "initdb"), os.X_OK),
                     "PostgreSQL 15 is missing (scripts/setup installs postgresql-15)")
class NodesBehindNginx(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = deploy.TempDir()
        cls.a = cls.b = cls.nginx = cls.pg = None
        try:
            cls.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start(cls):
        t = cls.t
        os.chmod(t.path, 0o755)  # the cluster's and nginx's processes may run as other users
        for d in ("www", "tmp"):
            os.mkdir(t.join(d))
        cls.pg = t.join("pg")
        root = deploy.sh([CLUSTER, "start", cls.pg], timeout=120).stdout.strip()
        psql(root, "CREATE DATABASE ward")
        u = urllib.parse.urlsplit(root)
        cls.db = urllib.parse.urlunsplit((u.scheme, u.netloc, "/ward", "", ""))
        deploy.must(deploy.run(["demo", "--db", cls.db]))
        deploy.add_user(cls.db, "lan", "staff", PASSWORD, deploy.SLUG)
        # Node B's URL has no password: libpq finds it in the file PGPASSFILE names.
        pgpass = t.join("pgpass")
        with open(pgpass, "w", encoding="utf-8") as f:
            f.write("127.0.0.1:%d:ward:%s:%s\n" % (u.port, u.username, u.password))
        os.chmod(pgpass, 0o600)
        db_b = "postgresql://%s@127.0.0.1:%d/ward" % (u.username, u.port)

        # One worker thread a node: a page a node has rendered is then held for every request
        # nginx sends it.
        # One --client-key for both, as the README says (the first node makes the file).
        node = ["--bind", "127.0.0.1", "--port", "0", "--threads", "1",
                "--trust-proxy", "127.0.0.1", "--metrics-allow", "127.0.0.1",
                "--client-key", t.join("client-key")]
        cls.a = deploy.Server(["--db", cls.db] + node).start()
        cls.b = deploy.Server(["--db", db_b] + node, env={"PGPASSFILE": pgpass}).start()

        deploy.sh(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
                   "-keyout", t.join("key.pem"), "-out", t.join("cert.pem"),
                   "-subj", "/CN=127.0.0.1", "-addext",
                   "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        cls.tls = ssl.create_default_context(cafile=t.join("cert.pem"))
        cls.http_port, cls.https_port = deploy.free_port(), deploy.free_port()
        with open(SITE, encoding="utf-8") as f:
            site = site_for_test(f.read(), t, cls.http_port, cls.https_port,
                                 (cls.a.port, cls.b.port))
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
        if not wait_port(cls.https_port):
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
        try:
            if cls.nginx:
                cls.nginx.send_signal(signal.SIGQUIT)
                try:
                    cls.nginx.wait(15)
                except subprocess.TimeoutExpired:
                    cls.nginx.kill()
                    cls.nginx.wait(10)
            for srv in (cls.a, cls.b):
                if srv and srv.alive():
                    srv.close()
                elif srv:
                    srv.stop()
        finally:
            if cls.pg:
                subprocess.run([CLUSTER, "stop", cls.pg], stdin=subprocess.DEVNULL,
                               capture_output=True, timeout=120)
            cls.t.cleanup()

    def https(self):
        return deploy.Client(self.https_port, context=self.tls)

    def get_ok(self, path, n, contains=None):
        for _ in range(n):
            r = self.https().get(path)
            self.assertEqual(r.status, 200, "%s through nginx: %r" % (path, r))
            if contains:
                self.assertIn(contains, r.text, path)

    # Named in the order they run (unittest sorts by name): the last kills node A.

    def test_1_pages_from_both_nodes(self):
        before = (requests_seen(self.a.port), requests_seen(self.b.port))
        self.get_ok("/w/%s" % deploy.SLUG, 10, "Phường 7")
        after = (requests_seen(self.a.port), requests_seen(self.b.port))
        self.assertGreaterEqual(after[0] - before[0], 3, "node A answered its share")
        self.assertGreaterEqual(after[1] - before[1], 3, "node B answered its share")
        self.assertEqual(after[0] - before[0] + after[1] - before[1], 10)

    def test_2_edit_through_nginx_is_seen_on_both(self):
        c = self.https()
        r = deploy.sign_in(c, "lan", PASSWORD)
        self.assertEqual(r.status, 303, "signed in through nginx: %r" % r)
        type(self).staff = c
        number = "7/GPSC-HAIMAY-%d" % (os.getpid() % 10000)
        r = self.post_permit("/staff/permits", number, "Chống thấm sân thượng")
        m = re.fullmatch(r"/staff/permits/(\d+)",
                         urllib.parse.urlsplit(r.header("Location") or "").path)
        self.assertTrue(m, "created: %r" % r)
        type(self).permit = int(m.group(1))
        type(self).number = number
        page = "/w/%s/permits/%d" % (deploy.SLUG, self.permit)
        self.get_ok(page, 6, "Chống thấm sân thượng")  # now held by both nodes
        self.edit_and_see("Thay mái tôn và xà gồ")

    def post_permit(self, path, number, scope):
        c = self.staff
        csrf = deploy.hidden(c.get("/staff").body, "csrf")
        self.assertTrue(csrf, "a CSRF token on /staff")
        return c.post_form(path, dict(permit_fields(number, scope), csrf=csrf))

    def edit_and_see(self, scope):
        """Edits the permit's scope through nginx; then, within a second, six answers in a
        row through nginx (from both nodes, in turn) show the new text."""
        r = self.post_permit("/staff/permits/%d" % self.permit, self.number, scope)
        self.assertEqual(r.status, 303, "edited through nginx: %r" % r)
        t0 = time.monotonic()
        page = "/w/%s/permits/%d" % (deploy.SLUG, self.permit)
        fresh = 0
        while fresh < 6:
            r = self.https().get(page)
            self.assertEqual(r.status, 200, r)
            fresh = fresh + 1 if scope in r.text else 0
            self.assertLess(time.monotonic() - t0, 1.0, "a node still shows the old page")

    def pg_ctl(self, *args):
        cmd = [os.path.join(PGBIN, "pg_ctl"), "-D", os.path.join(self.pg, "data"), "-w",
               "-t", "60"] + list(args)
        deploy.sh((["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []) + cmd,
                  timeout=90)

    def test_3_database_stopped(self):
        """PostgreSQL stopped: through nginx the pages the nodes hold still answer, others get
        motcham's 503 page (not retried, and no node taken out for it), and once it is back
        every page answers again, the nodes having reconnected by themselves."""
        page = "/w/%s/permits/%d" % (deploy.SLUG, self.permit)
        token = deploy.must(deploy.run(["code", "list", "--db", self.db, "--kind", "permit"])
                            ).stdout.splitlines()[-1].split("\t")[0]
        port = urllib.parse.urlsplit(self.db).port
        self.pg_ctl("stop", "-m", "fast")
        try:
            self.get_ok(page, 4, "Thay mái tôn và xà gồ")
            # Enough 503s that, were they counted as failures (max_fails=3), both nodes
            # would be taken out and the held page answer nginx's 502.
            for _ in range(8):
                r = self.https().get("/q/%s" % token)
                self.assertEqual(r.status, 503, r)
                self.assertIn("Hệ thống đang bận", r.text, "motcham's own page")
            self.get_ok(page, 4)
        finally:
            self.pg_ctl("start", "-l", os.path.join(self.pg, "server.log"), "-o",
                        "-c port=%d" % port)
        deadline = time.monotonic() + 20
        while self.https().get("/q/%s" % token).status != 200:
            self.assertLess(time.monotonic() - deadline, 0, "pages not held answer again")
            time.sleep(0.1)
        self.get_ok("/q/%s" % token, 4)

    def test_4_node_killed(self):
        self.a.send_signal(signal.SIGKILL)
        self.a.proc.wait(15)
        before = requests_seen(self.b.port)
        tokens = [line.split("\t")[0] for line in deploy.must(deploy.run(
            ["code", "list", "--db", self.db, "--kind", "permit"])).stdout.splitlines()[:4]]
        self.get_ok("/w/%s" % deploy.SLUG, 4, "Phường 7")
        self.get_ok("/w/%s/permits/%d" % (deploy.SLUG, self.permit), 2)
        for token in tokens:  # pages no node has rendered yet
            self.get_ok("/q/%s" % token, 1)
        self.assertGreaterEqual(requests_seen(self.b.port) - before, 10, "B answered all")
        self.assertEqual(self.staff.get("/staff").status, 200,
                         "the session made through nginx still works")
        self.edit_and_see("Sửa cầu thang, lát lại nền")


if __name__ == "__main__":
    unittest.main(verbosity=2)
