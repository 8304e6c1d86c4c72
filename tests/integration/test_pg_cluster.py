"""PostgreSQL clusters of the test's own, to stop and to copy: the server stopped under a running
node (pages it holds keep answering, the others get the Vietnamese 503 page, nothing crashes,
and when the server is back the node reconnects by itself and writes the scans it counted
meanwhile), and a hot standby made with pg_basebackup -R serving the public pages of a node
started with --db-read while staff writes go to the primary. Only on the suite's PostgreSQL run
(MOTCHAM_TEST_BACKEND=postgresql): on SQLite there is no server to stop."""

import os
import re
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import mc

PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")
PASSWORD = "mat-khau-cua-lan-1"
BUSY = "Hệ thống đang bận"


def as_owner(args):
    """args run as the clusters' owner: postgres when we are root (tests/pg/cluster's rule)."""
    return (["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []) + args


def until(check, timeout, what):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("not within %ss: %s" % (timeout, what))
        time.sleep(0.05)


class Cluster:
    """A cluster of tests/pg/cluster in a directory of its own, which this test may stop and
    start again on the same port."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="motcham-pgc.", dir="/tmp")
        self.url = subprocess.run(["tests/pg/cluster", "start", self.dir], cwd=mc.SRC,
                                  check=True, capture_output=True, text=True,
                                  timeout=120).stdout.strip()
        self.port = urllib.parse.urlsplit(self.url).port

    def db_url(self, name, port=None):
        u = urllib.parse.urlsplit(self.url)
        netloc = "%s@127.0.0.1:%d" % (u.netloc.rsplit("@", 1)[0], port or self.port)
        return urllib.parse.urlunsplit((u.scheme, netloc, "/" + name, "", ""))

    def pg_ctl(self, *args, data="data"):
        subprocess.run(as_owner([PGBIN + "/pg_ctl", "-D", os.path.join(self.dir, data), "-w",
                                 "-t", "60"] + list(args)), check=True, capture_output=True,
                       timeout=90)

    def stop_server(self):
        self.pg_ctl("stop", "-m", "fast")

    def start_server(self, data="data", port=None):
        self.pg_ctl("start", "-l", os.path.join(self.dir, data + ".log"), "-o",
                    "-c port=%d" % (port or self.port), data=data)

    def remove(self):
        subprocess.run(["tests/pg/cluster", "stop", self.dir], cwd=mc.SRC, timeout=120)


@unittest.skipUnless(mc.BACKEND == "postgresql", "a PostgreSQL cluster of the test's own")
class ServerStops(unittest.TestCase):
    def setUp(self):
        self.cluster = Cluster()
        self.addCleanup(self.cluster.remove)
        mc.sql(self.cluster.url, "", pg="CREATE DATABASE stops;")
        self.db = self.cluster.db_url("stops")
        r = mc.run(["demo", "--db", self.db])
        self.assertEqual(r.rc, 0, r)
        mc.add_user(self.db, "lan", "staff", PASSWORD, ward=mc.SLUG)

    def scans(self):
        return int(mc.sql(self.db, "", pg="SELECT coalesce(sum(count), 0) FROM scan_daily;"))

    def test_cached_pages_answer_then_all_comes_back(self):
        tokens = [c[0] for c in mc.code_list(self.db)]
        held, other = tokens[:4], tokens[4:8]
        hits = 0
        with mc.Server(self.db) as srv:
            pages = {}
            for t in held:
                for _ in range(3):  # every worker thread of a small server renders it once
                    r = mc.request(srv.port, "/q/" + t)
                    self.assertEqual(r.status, 200, r)
                    pages[t] = r.body
                    hits += 1
            until(lambda: self.scans() == hits, 10, "scans written")
            self.cluster.stop_server()
            try:
                answered = 0
                for _ in range(3):
                    for t in held:
                        r = mc.request(srv.port, "/q/" + t)
                        self.assertIn(r.status, (200, 503), r)
                        if r.status == 200:
                            self.assertEqual(r.body, pages[t])
                            answered += 1
                            hits += 1
                self.assertGreater(answered, 0, "no page held answered")
                for path in ["/q/" + t for t in other] + ["/healthz",
                                                          "/w/%s/search?q=xay" % mc.SLUG]:
                    r = mc.request(srv.port, path)
                    self.assertEqual(r.status, 503, (path, r))
                    if path != "/healthz":
                        self.assertIn(BUSY, r.text, path)
                c = mc.Client(srv.port)
                form = mc.find_form(c.get("/staff/login").body, "/staff/login")
                r = c.post("/staff/login", {"name": "lan", "password": PASSWORD,
                                            "csrf": mc.form_value(form, "csrf")})
                self.assertEqual(r.status, 503, mc.describe(r))
                self.assertIn(BUSY, r.text)
            finally:
                self.cluster.start_server()
            # Back by itself: every page, sign-in, and the scans counted while it was away.
            until(lambda: all(mc.request(srv.port, "/q/" + t).status == 200 for t in other),
                  15, "pages not held answer again")
            hits += sum(1 for _ in other)
            self.assertEqual(mc.request(srv.port, "/healthz").status, 200)

            def signs_in():
                form = mc.find_form(c.get("/staff/login").body, "/staff/login")
                r = c.post("/staff/login", {"name": "lan", "password": PASSWORD,
                                            "csrf": mc.form_value(form, "csrf")})
                self.assertIn(r.status, (303, 503), mc.describe(r))
                return r.status == 303

            until(signs_in, 15, "staff sign in again")
            until(lambda: self.scans() >= hits, 15, "the scans of the outage written")
            self.assertIsNone(srv.proc.poll(), "the node is still running")
        r = mc.run(["audit", "verify", "--db", self.db])
        self.assertEqual(r.rc, 0, r)


@unittest.skipUnless(mc.BACKEND == "postgresql", "a PostgreSQL cluster of the test's own")
class HotStandby(unittest.TestCase):
    def setUp(self):
        self.cluster = c = Cluster()
        self.addCleanup(c.remove)
        # tests/pg/cluster keeps no WAL for replicas: this one does.
        c.stop_server()
        subprocess.run(as_owner(["tee", "-a", os.path.join(c.dir, "data", "postgresql.conf")]),
                       input="wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n",
                       text=True, check=True, capture_output=True)
        c.start_server()
        mc.sql(c.url, "", pg="CREATE DATABASE ward;")
        self.primary = c.db_url("ward")
        r = mc.run(["demo", "--db", self.primary])
        self.assertEqual(r.rc, 0, r)
        mc.add_user(self.primary, "lan", "staff", PASSWORD, ward=mc.SLUG)
        with open(os.path.join(c.dir, "password")) as f:
            password = f.read().strip()
        subprocess.run(as_owner(["env", "PGPASSWORD=" + password, PGBIN + "/pg_basebackup",
                                 "-D", os.path.join(c.dir, "standby"), "-R", "-X", "stream",
                                 "-c", "fast", "-h", "127.0.0.1", "-p", str(c.port),
                                 "-U", "motcham"]),
                       check=True, capture_output=True, timeout=120)
        self.standby_port = mc.free_port()
        c.start_server("standby", self.standby_port)
        self.addCleanup(c.pg_ctl, "stop", "-m", "immediate", data="standby")
        self.standby = c.db_url("ward", self.standby_port)
        self.assertEqual(mc.sql(self.standby, "", pg="SELECT pg_is_in_recovery();"), "t")

    def connections(self, db):
        return int(mc.sql(db, "", pg="SELECT count(*) FROM pg_stat_activity WHERE "
                                     "application_name = 'motcham';"))

    def test_public_pages_from_the_standby_writes_on_the_primary(self):
        with mc.Server(self.primary, extra=["--db-read", self.standby, "--threads", "2"]) as srv:
            self.assertEqual(self.connections(self.standby), 0)
            for _ in range(4):
                r = mc.request(srv.port, "/w/%s" % mc.SLUG)
                self.assertEqual(r.status, 200, r)
            self.assertGreaterEqual(self.connections(self.standby), 1, "workers on the standby")
            # A staff write goes to the primary and shows on the public page once replayed.
            c = mc.Client(srv.port)
            form = mc.find_form(c.get("/staff/login").body, "/staff/login")
            r = c.post("/staff/login", {"name": "lan", "password": PASSWORD,
                                        "csrf": mc.form_value(form, "csrf")})
            self.assertEqual(r.status, 303, mc.describe(r))
            title = "Thông báo từ máy chính %d" % os.getpid()
            page = c.get("/staff/announcements/new")
            new = mc.find_form(page.body, "/staff/announcements")
            self.assertIsNotNone(new, mc.describe(page))
            fields = {k: v for k, v in new["fields"]}
            fields.update({"title": title, "body": "Nội dung thông báo.",
                           "published_on": time.strftime("%Y-%m-%d")})
            r = c.post("/staff/announcements", fields)
            self.assertEqual(r.status, 303, mc.describe(r))
            m = re.search(r"/staff/announcements/(\d+)", r.header("Location") or "")
            self.assertTrue(m, mc.describe(r))
            self.assertEqual(mc.sql(self.primary, "", pg="SELECT count(*) FROM announcement "
                                                         "WHERE title = '%s';" % title), "1")
            until(lambda: title in mc.request(srv.port, "/w/%s" % mc.SLUG).text, 5,
                  "the new announcement on the public page, read from the standby")
            # The staff read their own write at once, from the primary.
            self.assertIn(title, c.get("/staff/announcements/%s" % m.group(1)).text)


if __name__ == "__main__":
    mc.main()
