"""Faults around the database: read-only files, a full disk, `motcham import` and the server
killed with SIGKILL in the middle of writing. Nothing may crash, every failure must be clean
(exit 1 with a message, or a 4xx/503 page), and the database must stay whole: its integrity
check is ok (SQLite: PRAGMA integrity_check; PostgreSQL: amcheck) and a write is there entirely
or not at all.

On PostgreSQL each fault is its own kind: a read-only mount is a database whose new sessions are
read-only, a read-only file a role that may only read, a full disk a full tablespace, the WAL
file's growth the database's. Needs root for mounts and for running the server as another user;
a case that cannot get what it needs is skipped with the reason."""

import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
NOBODY = 65534  # nobody/nogroup on Debian: numbers, the group name varies
PUBLIC = ["/", "/w/%s/" % SLUG, "/w/%s/search?q=khai+sinh" % SLUG, "/healthz"]
BIG_IMPORT = 50000
STAFF_PASSWORD = "mat-khau-that-dai-2026"


def permits_in(db):
    return int(mc.sql(db, "SELECT count(*) FROM permit;"))


def assert_clean_failure(tc, r, cmd):
    """Exit 1 with a one-line reason from motcham, and no sanitizer report."""
    tc.assertEqual(r.rc, 1, "%s should fail with exit 1: %r" % (cmd, r))
    tc.assertIn("motcham %s" % cmd, r.err, "no motcham message: %r" % r)
    tc.assertIsNone(mc.SANITIZER_RE.search(r.err), r.err)


def serve_or_refuse(db, timeout=20):
    """Starts `motcham serve`: (proc, port) when it serves, (proc, None) once it has exited."""
    p = mc.start_motcham(["serve", "--db", db, "--port", "0", "--bind", "127.0.0.1"])
    deadline, buf = time.monotonic() + timeout, b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([p.stdout], [], [], 0.2)
        if ready:
            chunk = os.read(p.stdout.fileno(), 4096)
            buf += chunk
            m = mc.Server.URL_RE.search(buf.decode("utf-8", "replace"))
            if m:
                return p, int(m.group(1))
            if not chunk:
                break
        elif p.poll() is not None:
            break
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(10)
        raise AssertionError("serve neither served nor exited within %ss" % timeout)
    return p, None


def stop_proc(p):
    """SIGTERM, then SIGKILL; returns (exit code, stderr text)."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)
    err = p.stderr.read().decode("utf-8", "replace") if p.stderr else ""
    for f in (p.stdout, p.stderr):
        if f:
            f.close()
    return p.returncode, err


class Base(unittest.TestCase):
    def setUp(self):
        self.t = mc.TempDir(prefix="motcham-faults-")
        os.chmod(self.t.path, 0o755)
        self.mounts = []
        self.dir = self.t.join("db")
        os.mkdir(self.dir)
        self.db = mc.new_db(self.t, "db", "d.db")
        r = mc.run(["demo", "--db", self.db])
        self.assertEqual(r.rc, 0, r)
        self.counts = mc.db_counts(self.db)

    def tearDown(self):
        # A PostgreSQL database (and a tablespace on a mount) goes first: the server holds
        # its files open until then.
        mc.drop_db(self.db)
        for m in reversed(self.mounts):
            mc.umount(m)
        for root, dirs, files in os.walk(self.t.path):
            for n in dirs + files:
                try:
                    os.chmod(os.path.join(root, n), 0o755)
                except OSError:
                    pass
        self.t.cleanup()

    def assert_public_pages(self, port, rounds=5, allow=(200, 503)):
        for _ in range(rounds):
            for path in PUBLIC:
                r = mc.request(port, path, timeout=10)
                self.assertIn(r.status, allow, "GET %s: %r" % (path, r))

    def try_writes(self, port, allow):
        """Staff sign-in and a resident report: statuses from allow, never a 5xx but 503."""
        c = mc.Client(port)
        page = c.get("/staff/login")
        self.assertIn(page.status, (200, 404, 503), page)
        form = mc.find_form(page.body, "/staff/login") if page.status == 200 else None
        csrf = mc.form_value(form, "csrf") if form else "x"
        r = c.post("/staff/login", {"name": "canbo", "password": STAFF_PASSWORD, "csrf": csrf})
        self.assertIn(r.status, allow, "POST /staff/login: %r" % r)
        pid = int(mc.sql(self.db, "SELECT min(id) FROM permit;"))
        r = c.post_multipart("/w/%s/permits/%d/report" % (SLUG, pid),
                             {"category": "unsafe", "description": "Giàn giáo sát lề đường",
                              "contact": "", "token": "x"})
        self.assertIn(r.status, allow, "POST report: %r" % r)

    def assert_db_whole(self, db=None, same=True):
        db = db or self.db
        self.assertEqual(mc.integrity_check(db), "ok")
        if same:
            now = mc.db_counts(db)
            for t in ("ward", "procedure", "announcement", "permit", "code", "report", "user"):
                if t in self.counts:
                    self.assertEqual(now.get(t), self.counts[t], "rows of %s changed" % t)


class ReadOnly(Base):
    def readonly_view(self):
        """(db, undo): the database as a read-only mount shows it, and how to end that.
        SQLite: a read-only bind mount of its directory. PostgreSQL: the database itself, whose
        sessions opened from now on are read-only (default_transaction_read_only)."""
        if mc.is_pg(self.db):
            mc.pg_read_only(self.db, True)
            return self.db, lambda: mc.pg_read_only(self.db, False)
        view = self.t.join("view")
        os.mkdir(view)
        why = mc.readonly_bind(self.dir, view)
        if why:
            self.skipTest("cannot make a read-only bind mount: %s" % why)
        self.mounts.append(view)

        def undo():
            mc.umount(view)
            self.mounts.remove(view)
        return os.path.join(view, "d.db"), undo

    def test_import_on_readonly_mount(self):
        db, undo = self.readonly_view()
        before = mc.db_dump(self.db)
        csv = mc.permits_csv(self.t.join("p.csv"), 20)
        r = mc.run(["import", "--db", db, "--ward", SLUG, csv])
        assert_clean_failure(self, r, "import")
        # The file is there: the message must not send the user looking for it.
        self.assertNotRegex(r.err, r"not found|run 'motcham init'",
                            "misleading message for a read-only database: %r" % r.err)
        undo()
        self.assertEqual(mc.db_dump(self.db), before)
        self.assert_db_whole()

    def need_nobody(self):
        why = mc.readable_by(NOBODY)
        if why:
            self.skipTest("cannot run motcham as nobody here: " + why)

    def readonly_file(self):
        """(db, run): the database and a way to run motcham that may read it but not write it.
        SQLite: its files owned by nobody, mode 0444, and motcham run as nobody. PostgreSQL: the
        URL of a role that may SELECT from every table and nothing more."""
        if mc.is_pg(self.db):
            return mc.pg_read_only_role(self.db), mc.run
        self.need_nobody()
        shutil.chown(self.dir, NOBODY, NOBODY)
        for n in os.listdir(self.dir):
            shutil.chown(os.path.join(self.dir, n), NOBODY, NOBODY)
            os.chmod(os.path.join(self.dir, n), 0o444)
        return self.db, lambda args: mc.run_as(NOBODY, args)

    def test_import_on_readonly_file(self):
        db, run = self.readonly_file()
        before = mc.db_dump(self.db)
        csv = mc.permits_csv(self.t.join("p.csv"), 20)
        os.chmod(csv, 0o644)
        r = run(["import", "--db", db, "--ward", SLUG, csv])
        assert_clean_failure(self, r, "import")
        self.assertRegex(r.err, r"(?i)read-only|readonly|permission|write",
                         "the message does not say why: %r" % r.err)
        self.assertEqual(mc.db_dump(self.db), before)
        self.assert_db_whole()

    def test_server_when_db_turns_readonly(self):
        """SQLite: chmod 0444 on the files (0555 on the directory) while a server run by nobody
        serves: the writer already has its descriptor, readers opened later do not. PostgreSQL:
        the database turns read-only for the sessions opened from then on, the same split."""
        pg = mc.is_pg(self.db)
        if pg:
            srv = mc.Server(self.db, extra=["--threads", "8"]).start()
        else:
            self.need_nobody()
            shutil.chown(self.dir, NOBODY, NOBODY)
            for n in os.listdir(self.dir):
                shutil.chown(os.path.join(self.dir, n), NOBODY, NOBODY)
            srv = mc.ServerAs(self.db, NOBODY, extra=["--threads", "8"]).start()
        try:
            self.assertEqual(mc.request(srv.port, "/healthz").status, 200)
            if pg:
                mc.pg_read_only(self.db, True)
            else:
                for n in os.listdir(self.dir):
                    os.chmod(os.path.join(self.dir, n), 0o444)
                os.chmod(self.dir, 0o555)
            # Many requests, so that workers which had no connection yet open one now.
            self.assert_public_pages(srv.port, rounds=10)
            self.try_writes(srv.port, allow=(303, 400, 401, 403, 404, 422, 429, 503))
            self.assertIsNone(srv.proc.poll(), srv.stderr()[-2000:])
            self.assertIn(mc.healthz_status(srv.port), (200, 503))
        finally:
            srv.close()  # a crash, a bad exit or a sanitizer report fails here
        if pg:
            mc.pg_read_only(self.db, False)
        else:
            os.chmod(self.dir, 0o755)
        self.assert_db_whole(same=False)

    def test_server_on_readonly_mount(self):
        db, undo = self.readonly_view()
        p, port = serve_or_refuse(db)
        if port is None:
            rc, err = stop_proc(p)
            self.assertEqual(rc, 1, "serve on a read-only database: rc=%s %s" % (rc, err))
            self.assertIn("motcham serve", err)
            self.assertNotRegex(err, r"not found|run 'motcham init'",
                                "misleading message for a read-only database: %r" % err)
            self.assertIsNone(mc.SANITIZER_RE.search(err), err)
        else:
            try:
                self.assert_public_pages(port)
                self.try_writes(port, allow=(400, 401, 403, 404, 422, 429, 503))
                self.assertEqual(mc.healthz_status(port), 200)
            finally:
                rc, err = stop_proc(p)
            self.assertEqual(rc, 0, err)
            self.assertIsNone(mc.SANITIZER_RE.search(err), err)
        undo()
        self.assert_db_whole()


class DiskFull(Base):
    def small_disk(self, options):
        small = self.t.join("small")
        os.mkdir(small)
        why = mc.mount(["-t", "tmpfs", "-o", options, "tmpfs", small])
        if why:
            self.skipTest("cannot mount a small tmpfs: %s" % why)
        self.mounts.append(small)
        return small

    def db_on_small_disk(self):
        """(db, mount point): the database on a small tmpfs. SQLite: a copy of the file there.
        PostgreSQL: its tables and indexes moved to a tablespace there (the catalogs and the
        server's WAL stay where they are: a full disk for the tables is what is tested)."""
        if mc.is_pg(self.db):
            uid, gid = mc.pg_server_owner(self.db)
            small = self.small_disk("size=16m,mode=0700,uid=%d,gid=%d" % (uid, gid))
            mc.pg_move_to_tablespace(self.db, small)
            return self.db, small
        small = self.small_disk("size=1m,mode=0755")
        db = os.path.join(small, "d.db")
        mc.sql(self.db, "PRAGMA wal_checkpoint(TRUNCATE);")
        shutil.copyfile(self.db, db)
        return db, small

    def test_disk_full(self):
        db, small = self.db_on_small_disk()
        srv = mc.Server(db).start()
        filler = os.path.join(small, "filler")
        try:
            self.assert_public_pages(srv.port, rounds=1, allow=(200,))
            with open(filler, "wb", buffering=0) as f:
                try:
                    for _ in range(65536):  # 4 KB at a time, 256 MB: more than the mount
                        f.write(b"\0" * 4096)
                except OSError:
                    pass
            self.assertLess(shutil.disk_usage(small).free, 8192, "the disk did not fill")
            csv = mc.permits_csv(self.t.join("p.csv"), 2000)
            r = mc.run(["import", "--db", db, "--ward", SLUG, csv])
            assert_clean_failure(self, r, "import")
            self.try_writes(srv.port, allow=(400, 401, 403, 404, 422, 429, 503))
            self.assert_public_pages(srv.port, rounds=2)
            self.assertEqual(mc.healthz_status(srv.port), 200)
            self.assertEqual(mc.integrity_check(db), "ok", "integrity while the disk is full")
            os.unlink(filler)
            # Room again: the same database takes writes.
            r = mc.run(["import", "--db", db, "--ward", SLUG,
                        mc.permits_csv(self.t.join("q.csv"), 5, prefix="ROOM")])
            self.assertEqual(r.rc, 0, r)
        finally:
            srv.close()
        self.assertEqual(mc.integrity_check(db), "ok")
        self.assertEqual(permits_in(db), self.counts["permit"] + 5,
                         "the failed import left rows behind")


class Kill(Base):
    @classmethod
    def setUpClass(cls):
        cls.ct = mc.TempDir(prefix="motcham-kill-")
        cls.big = mc.permits_csv(cls.ct.join("big.csv"), BIG_IMPORT, prefix="KILL")

    @classmethod
    def tearDownClass(cls):
        cls.ct.cleanup()

    def kill_import_at(self, wal_bytes):
        """Starts a 50,000-row import, SIGKILLs it once it has written wal_bytes (SQLite: its
        WAL file holds that much; PostgreSQL: the database has grown by that much on disk);
        returns whether it was still running then."""
        if mc.is_pg(self.db):
            start = mc.pg_database_size(self.db)

            def written():
                return mc.pg_database_size(self.db) - start
        else:
            wal = self.db + "-wal"

            def written():
                return os.path.getsize(wal)
        p = mc.start_motcham(["import", "--db", self.db, "--ward", SLUG, self.big])
        deadline = time.monotonic() + 120
        try:
            while p.poll() is None and time.monotonic() < deadline:
                try:
                    if written() >= wal_bytes:
                        break
                except OSError:
                    pass
                time.sleep(0.002)
            running = p.poll() is None
            p.kill()
        finally:
            p.communicate(timeout=30)
        return running

    def test_kill_import_midway(self):
        old = permits_in(self.db)
        mid = []
        for wal_bytes in (256 * 1024, 4 * 1024 * 1024):
            mid.append(self.kill_import_at(wal_bytes))
            self.assertEqual(mc.integrity_check(self.db), "ok")
            n = permits_in(self.db)
            self.assertIn(n, (old, old + BIG_IMPORT), "not all-or-nothing: %d permits" % n)
            if n == old + BIG_IMPORT:
                break  # it committed before the kill: all of it, which is allowed
        self.assertTrue(mid[0], "the import finished before it could be killed; make it bigger")
        # The database is usable afterwards: a small import goes in.
        r = mc.run(["import", "--db", self.db, "--ward", SLUG,
                    mc.permits_csv(self.t.join("after.csv"), 3, prefix="AFTER")])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(mc.integrity_check(self.db), "ok")

    def test_kill_server_during_writes(self):
        mc.add_user(self.db, "canbo-kill", "staff", STAFF_PASSWORD, ward=SLUG)
        srv = mc.Server(self.db).start()
        killed = False
        try:
            c = mc.Client(srv.port)
            page = c.get("/staff/login")
            form = mc.find_form(page.body, "/staff/login") if page.status == 200 else None
            if not form:
                self.skipTest("staff side not ready: GET /staff/login answered %d without a "
                              "login form" % page.status)
            r = c.post("/staff/login", {"name": "canbo-kill", "password": STAFF_PASSWORD,
                                        "csrf": mc.form_value(form, "csrf") or ""})
            if r.status != 303 or "mc_session" not in c.cookies:
                self.skipTest("staff sign-in does not work yet: %r" % r)
            new = c.get("/staff/permits/new")
            nform = mc.find_form(new.body, "/staff/permits") if new.status == 200 else None
            if not nform:
                self.skipTest("no permit form at /staff/permits/new: %r" % new)
            csrf = mc.form_value(nform, "csrf")
            acked, errors, stop = [], [], threading.Event()

            def burst(k):
                w = mc.Client(srv.port)
                w.cookies = dict(c.cookies)
                for i in range(10000):
                    if stop.is_set():
                        return
                    row = mc.permit_row("%d/GPSC-KS%d" % (i + 1, k))
                    row.pop("status")
                    row.pop("status_reason")
                    row["csrf"] = csrf
                    try:
                        r = w.post("/staff/permits", row, timeout=10)
                    except OSError:
                        return  # the server is gone
                    if r.status == 303:
                        acked.append(row["number"])
                    else:
                        errors.append(r)
                        return
            threads = [threading.Thread(target=burst, args=(k,), daemon=True) for k in range(4)]
            for th in threads:
                th.start()
            deadline = time.monotonic() + 20
            while len(acked) < 40 and not errors and time.monotonic() < deadline:
                time.sleep(0.05)
            srv.proc.send_signal(signal.SIGKILL)
            killed = True
            stop.set()
            for th in threads:
                th.join(15)
            self.assertFalse(errors, "a permit POST was not acknowledged: %r" % errors[:1])
            self.assertTrue(acked, "no permit was acknowledged before the kill")
        finally:
            if killed:
                with self.assertRaises(AssertionError):  # close() reports the SIGKILL exit
                    srv.close()
            else:
                srv.close()
        self.assertEqual(mc.integrity_check(self.db), "ok")
        present = set(mc.sql(self.db, "SELECT number FROM permit;").splitlines())
        missing = [n for n in acked if n not in present]
        self.assertFalse(missing, "acknowledged (303) but lost after kill -9: %s" % missing[:10])


if __name__ == "__main__":
    mc.main()
