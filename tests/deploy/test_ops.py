"""What an operator relies on, against the real binary: --version, the access log reopened on
SIGHUP (logrotate) while the server keeps serving, --trust-proxy on the command line (only a
trusted peer's forwarding headers count, and a chain a client stuffed or cut short never lets
it choose its address), and a manual page that covers every subcommand and option."""

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy  # noqa: E402

MAN_SRC = os.path.join(deploy.SRC, "doc", "motcham.1.scd")
MAN_BUILT = os.path.join(deploy.BUILD, "doc", "motcham.1")
LOG_KEY_RE = re.compile(r"^([0-9a-f]{12}) - - \[[^]]+\] \"(\S+) (\S+) HTTP/1.1\" (\d{3}) ",
                        re.M)


def project_version():
    with open(os.path.join(deploy.SRC, "meson.build"), encoding="utf-8") as f:
        return re.search(r"version : '([^']+)'", f.read()).group(1)


def wait_for(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    return pred()


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        return ""


class Version(unittest.TestCase):
    def test_version(self):
        want = project_version()
        for args in (["--version"], ["version"]):
            p = deploy.must(deploy.run(args))
            line = p.stdout.strip()
            print("%s -> %s" % (" ".join(args), line))
            # X.Y.Z outside a checkout; X.Y.Z-gHASH before the first tag; from a tag vA.B.C
            # (then A.B.C or A.B.C-N-gHASH): -dirty for uncommitted changes.
            self.assertRegex(line, r"^motcham \d+\.\d+\.\d+(-\d+)?(-g[0-9a-f]{4,})?(-dirty)?$")
            if not re.search(r"-\d+-g", line):
                self.assertTrue(line.startswith("motcham %s" % want), line)

    def test_debian_version_is_the_project_version(self):
        with open(os.path.join(deploy.SRC, "debian", "changelog"), encoding="utf-8") as f:
            first = f.readline()
        m = re.match(r"motcham \(([^)]+)\)", first)
        self.assertIsNotNone(m, first)
        self.assertEqual(m.group(1), project_version(), "debian/changelog and meson.build")


class AccessLog(unittest.TestCase):
    def setUp(self):
        self.t = deploy.TempDir()
        self.addCleanup(self.t.cleanup)
        self.db = self.t.join("ops.db")
        deploy.must(deploy.run(["demo", "--db", self.db]))

    def test_sighup_reopens_the_access_log(self):
        log = self.t.join("access.log")
        with deploy.Server(["--db", self.db, "--port", "0", "--access-log", log]) as srv:
            c = deploy.Client(srv.port)
            self.assertEqual(c.get("/before-rotation").status, 404)
            self.assertTrue(wait_for(lambda: "/before-rotation" in read(log)), read(log))
            # What logrotate does: move the file away, then tell the server.
            os.rename(log, log + ".1")
            srv.send_signal(signal.SIGHUP)
            self.assertTrue(wait_for(lambda: os.path.exists(log)), "a new file after SIGHUP")
            self.assertEqual(c.get("/after-rotation").status, 404)
            self.assertTrue(wait_for(lambda: "/after-rotation" in read(log)), read(log))
            self.assertNotIn("/before-rotation", read(log))
            self.assertNotIn("/after-rotation", read(log + ".1"), "nothing new in the old file")
            # SIGHUP again and again, also with the file still in place: it keeps serving.
            for _ in range(5):
                srv.send_signal(signal.SIGHUP)
            self.assertEqual(c.get("/healthz").status, 200)
            self.assertTrue(wait_for(lambda: "/healthz" in read(log)))
            self.assertTrue(srv.alive())
            lines = read(log).splitlines()
            self.assertTrue(all(LOG_KEY_RE.match(ln) for ln in lines), lines)

    def test_sighup_without_a_log_file(self):
        for extra in ([], ["--access-log", "-"]):
            with self.subTest(extra=extra), \
                    deploy.Server(["--db", self.db, "--port", "0"] + extra) as srv:
                srv.send_signal(signal.SIGHUP)
                time.sleep(0.2)
                self.assertEqual(deploy.Client(srv.port).get("/healthz").status, 200)
                self.assertTrue(srv.alive())

    def test_unwritable_log_is_an_error(self):
        p = deploy.run(["serve", "--db", self.db, "--port", "0", "--access-log",
                        self.t.join("no", "such", "dir", "access.log")], timeout=30)
        self.assertEqual(p.returncode, 1, p)
        self.assertIn("cannot open access log", p.stderr)


class TrustProxy(unittest.TestCase):
    """Straight to motcham on loopback: 127.0.0.1 plays the trusted proxy, 127.0.0.9 the
    monitoring host, other 127.0.0.N addresses clients."""

    @classmethod
    def setUpClass(cls):
        cls.t = deploy.TempDir()
        cls.db = cls.t.join("proxy.db")
        cls.log = cls.t.join("access.log")
        deploy.must(deploy.run(["init", "--db", cls.db]))
        cls.srv = deploy.Server(["--db", cls.db, "--port", "0", "--trust-proxy",
                                 "127.0.0.1, 10.9.0.0/16", "--metrics-allow", "127.0.0.9",
                                 "--access-log", cls.log]).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.close()
        finally:
            cls.t.cleanup()

    def metrics(self, source, headers=()):
        c = deploy.Client(self.srv.port, source=source)
        return c.request("GET", "/metrics", headers=dict(headers)).status

    def test_direct_clients(self):
        self.assertEqual(self.metrics("127.0.0.9"), 200, "the monitoring host itself")
        self.assertEqual(self.metrics("127.0.0.5"), 403)

    def test_headers_only_from_a_trusted_peer(self):
        xff = [("X-Forwarded-For", "127.0.0.9")]
        self.assertEqual(self.metrics("127.0.0.1", xff), 200, "the proxy says: monitoring")
        self.assertEqual(self.metrics("127.0.0.5", xff), 403, "a forged header is ignored")
        fwd = [("Forwarded", 'for="127.0.0.9:4711";proto=https')]
        self.assertEqual(self.metrics("127.0.0.1", fwd), 200, "Forwarded (RFC 7239)")
        self.assertEqual(self.metrics("127.0.0.5", fwd), 403)
        # The right-most address that is not a trusted proxy is the client.
        self.assertEqual(self.metrics("127.0.0.1", [("X-Forwarded-For",
                                                     "127.0.0.9, 127.0.0.66")]), 403)
        self.assertEqual(self.metrics("127.0.0.1", [("X-Forwarded-For",
                                                     "127.0.0.66, 127.0.0.9, 10.9.3.4")]), 200)

    def test_stuffed_and_cut_chains(self):
        hops = ["10.0.0.%d" % i for i in range(40)]
        hops[31] = "127.0.0.9"  # where a parser keeping the first 32 hops would look
        hops[-1] = "203.0.113.5"  # what the proxy appended: the real client
        self.assertEqual(self.metrics("127.0.0.1", [("X-Forwarded-For", ", ".join(hops))]),
                         403, "a long chain: its right end counts")
        hops[-1] = "127.0.0.9"
        self.assertEqual(self.metrics("127.0.0.1", [("X-Forwarded-For", ", ".join(hops))]),
                         200)
        # Over 4 KiB in several header lines: the proxy's own, last, line would be lost, so
        # the chain is not believed at all and the proxy is the client.
        padded = ",".join([" " * 120 + "10.1.1.1"] * 30 + ["127.0.0.9"])
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10,
                                          source_address=("127.0.0.1", 0))
        try:
            conn.putrequest("GET", "/metrics")
            conn.putheader("X-Forwarded-For", padded)
            conn.putheader("X-Forwarded-For", "203.0.113.5")
            conn.endheaders()
            r = conn.getresponse()
            r.read()
            self.assertEqual(r.status, 403)
        finally:
            conn.close()

    def test_access_log_counts_the_forwarded_client(self):
        for path, who in (("/who-a", "127.0.0.70"), ("/who-b", "127.0.0.71"),
                          ("/who-a", "127.0.0.70")):
            deploy.Client(self.srv.port, source="127.0.0.1").get(
                path, headers={"X-Forwarded-For": who})
        deploy.Client(self.srv.port, source="127.0.0.72").get(
            "/who-forged", headers={"X-Forwarded-For": "127.0.0.70"})
        keys = {}
        ok = wait_for(lambda: read(self.log).count("/who-") >= 4)
        self.assertTrue(ok, read(self.log))
        for key, _, path, _ in LOG_KEY_RE.findall(read(self.log)):
            keys.setdefault(path, set()).add(key)
        a, b = keys["/who-a"], keys["/who-b"]
        self.assertEqual(len(a), 1, "one client, one key")
        self.assertNotEqual(a, b, "two forwarded clients, two keys")
        self.assertNotEqual(keys["/who-forged"], a, "a forged header is not believed")
        self.assertNotIn("127.0.0.7", read(self.log), "no address in the log")

    def test_scheme_from_a_trusted_peer(self):
        """X-Forwarded-Proto: https from the proxy makes cookies Secure and the answer carry
        HSTS (this server's base URL is plain http); from anyone else it means nothing."""
        https = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "127.0.0.80"}
        for source, secure in (("127.0.0.1", True), ("127.0.0.81", False)):
            with self.subTest(source=source):
                c = deploy.Client(self.srv.port, source=source, headers=https)
                r = c.get("/staff/login")
                self.assertEqual(r.status, 200, r)
                self.assertTrue(c.set_cookies, r)
                for name, _, attrs in c.set_cookies:
                    self.assertEqual("secure" in attrs, secure, "cookie %s" % name)
                self.assertEqual(bool(r.all("Strict-Transport-Security")), secure, r)

    def test_bad_list_is_refused(self):
        for bad in ("300.1.1.1", "127.0.0.1/33", "example.org"):
            with self.subTest(bad=bad):
                p = deploy.run(["serve", "--db", self.db, "--port", "0", "--trust-proxy", bad],
                               timeout=30)
                self.assertEqual(p.returncode, 1, p)
                self.assertIn("--trust-proxy", p.stderr)


class Manual(unittest.TestCase):
    """Every subcommand and option of the usage texts is in motcham(1), and the manual names
    no option the binary does not have."""

    def usage_texts(self):
        top = deploy.must(deploy.run(["--help"])).stdout
        cmds = re.findall(r"^  ([a-z]+) ", top, re.M)
        self.assertIn("serve", cmds)
        return {c: deploy.must(deploy.run([c, "--help"])).stdout
                for c in cmds if c != "version"}

    def test_every_option_is_documented(self):
        with open(MAN_SRC, encoding="utf-8") as f:
            man = f.read()
        usage = self.usage_texts()
        known = {"--help", "--version"}
        for cmd, text in usage.items():
            self.assertRegex(man, r"(?m)^\*%s[* ]" % cmd, "motcham(1) has no entry for %s" % cmd)
            for opt in sorted(set(re.findall(r"--[a-z][a-z-]*", text))):
                known.add(opt)
                self.assertIn("*%s*" % opt, man, "motcham(1) does not document %s %s"
                              % (cmd, opt))
        for opt in set(re.findall(r"\*(--[a-z][a-z-]*)\*", man)):
            self.assertIn(opt, known, "motcham(1) documents %s, which no command has" % opt)

    @unittest.skipUnless(os.path.exists(MAN_BUILT) and shutil.which("man"),
                         "the manual was not built (scdoc) or man is missing")
    def test_built_page_renders(self):
        p = subprocess.run(["man", "--warnings", "-P", "cat", "-l", MAN_BUILT],
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, MANWIDTH="80"))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr.strip(), "", "warnings from groff")
        text = re.sub(r".\x08", "", p.stdout)  # no overstriking for bold and underline
        for section in ("SYNOPSIS", "COMMANDS", "UPGRADES", "SIGNALS", "FILES"):
            self.assertIn("\n" + section + "\n", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
