"""The Debian package, end to end on this machine (root only; CI is a throw-away machine):
built with `dpkg-buildpackage -us -uc -b` from a copy of the tree (the checkout stays clean),
checked with lintian (no errors; its output is printed), installed with `dpkg -i`, its files
and its motcham user checked, the installed binary run as that user on the sample ward in
/var/lib/motcham with the options of /etc/default/motcham (systemd does not run here), the
logrotate rule and the backup script tried for real, then removed (the data stays) and purged
(the data and the user go).

Safe to run again: a motcham package found installed is only touched when a marker file says
this test installed it (a run that died); otherwise the test skips. Whatever happens, what it
installed is purged at the end."""

import glob
import grp
import os
import pwd
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deploy  # noqa: E402

PKG = "motcham"
SUPERVISOR_PASSWORD = "mat-khau-giam-sat-goi"
MARK = "/var/tmp/motcham-package-test.installed"
STATE = "/var/lib/motcham"
DB = STATE + "/motcham.db"
LOGS = "/var/log/motcham"
BIN = "/usr/bin/motcham"
BACKUP = "/usr/libexec/motcham/motcham-backup"
UNITDIR = "/lib/systemd/system"
FILES = [
    (BIN, 0o755), (BACKUP, 0o755),
    ("/usr/share/motcham/templates/permit.html", 0o644),
    ("/usr/share/motcham/assets/style.css", 0o644),
    ("/usr/share/motcham/data/ward.csv", 0o644),
    ("/usr/share/man/man1/motcham.1.gz", 0o644),
    (UNITDIR + "/motcham.service", 0o644),
    (UNITDIR + "/motcham-backup.service", 0o644),
    (UNITDIR + "/motcham-backup.timer", 0o644),
    ("/etc/default/motcham", 0o644),
    ("/etc/logrotate.d/motcham", 0o644),
    ("/usr/share/doc/motcham/examples/nginx-motcham.conf", 0o644),
    ("/usr/share/doc/motcham/examples/nginx-motcham-nodes.conf", 0o644),
    ("/usr/share/doc/motcham/copyright", 0o644),
]
ENABLED = ["/etc/systemd/system/multi-user.target.wants/motcham.service",
           "/etc/systemd/system/timers.target.wants/motcham-backup.timer"]


def status():
    """dpkg's status of the package ("install ok installed", "deinstall ok config-files",
    ...), or None when dpkg does not know it."""
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", PKG], capture_output=True,
                       text=True, timeout=60)
    return p.stdout.strip() if p.returncode == 0 and p.stdout.strip() else None


def present():
    s = status()
    return bool(s) and not s.endswith("not-installed")


def user_exists(name="motcham"):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name="motcham"):
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def defaults():
    """The NAME="value" settings of the installed /etc/default/motcham."""
    out = {}
    with open("/etc/default/motcham", encoding="utf-8") as f:
        for line in f:
            m = re.match(r'^([A-Z_]+)="(.*)"$', line.strip())
            if m:
                out[m.group(1)] = m.group(2)
    return out


def as_motcham():
    return {"user": "motcham", "group": "motcham", "extra_groups": []}


def copy_tree(dst):
    """The source tree as git sees it (tracked and new files, without ignored ones such as the
    build directories), or everything but build*/ and .git outside a checkout."""
    p = subprocess.run(["git", "-C", deploy.SRC, "ls-files", "-co", "--exclude-standard",
                        "-z"], capture_output=True, timeout=120)
    if p.returncode == 0 and p.stdout:
        files = [f for f in p.stdout.decode().split("\0") if f]
    else:
        files = []
        for root, dirs, names in os.walk(deploy.SRC):
            rel = os.path.relpath(root, deploy.SRC)
            dirs[:] = [d for d in dirs if not (rel == "." and (d.startswith("build") or
                                                                d == ".git"))
                       and d not in ("node_modules", "__pycache__")]
            files += [os.path.normpath(os.path.join(rel, n)) for n in names]
    for f in files:
        src = os.path.join(deploy.SRC, f)
        if not os.path.lexists(src):
            continue  # deleted in the work tree, not yet in git
        os.makedirs(os.path.join(dst, os.path.dirname(f)), exist_ok=True)
        shutil.copy2(src, os.path.join(dst, f), follow_symlinks=False)


@unittest.skipUnless(hasattr(os, "geteuid") and os.geteuid() == 0,
                     "installs a package: root only (CI runs as root)")
@unittest.skipUnless(shutil.which("dpkg-buildpackage") and shutil.which("lintian"),
                     "dpkg-dev, debhelper or lintian missing (scripts/setup installs them)")
class Package(unittest.TestCase):
    """One install's life, in order (the tests are numbered)."""

    @classmethod
    def setUpClass(cls):
        cls.t = deploy.TempDir()
        os.chmod(cls.t.path, 0o755)
        cls.srv = None
        try:
            cls.leftovers()
            cls.build()
        except BaseException:
            cls.t.cleanup()
            raise

    @classmethod
    def leftovers(cls):
        if os.path.exists(MARK):
            print("a previous run left motcham installed: purging it first")
            cls.purge_all()
        elif present() or user_exists():
            raise unittest.SkipTest("motcham is installed on this machine (or its user "
                                    "exists) and not by this test: not touching it")

    @classmethod
    def purge_all(cls):
        if present():
            deploy.sh(["dpkg", "--purge", PKG], check=False)
        if os.path.exists(MARK):
            if user_exists():
                deploy.sh(["deluser", "--system", "--quiet", "motcham"], check=False)
            if group_exists():
                deploy.sh(["delgroup", "--system", "--quiet", "motcham"], check=False)
            for d in (STATE, LOGS):
                shutil.rmtree(d, ignore_errors=True)
            os.unlink(MARK)

    @classmethod
    def build(cls):
        src = cls.t.join("src")
        copy_tree(src)
        with open(os.path.join(src, "debian", "changelog"), encoding="utf-8") as f:
            cls.version = re.match(r"motcham \(([^)]+)\)", f.readline()).group(1)
        arch = deploy.sh(["dpkg", "--print-architecture"]).stdout.strip()
        start = time.monotonic()
        p = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=1200, env=deploy.env({
                               "DEB_BUILD_OPTIONS": "parallel=%d" % (os.cpu_count() or 1)}))
        with open(cls.t.join("build.log"), "w", encoding="utf-8") as f:
            f.write(p.stdout + p.stderr)
        if p.returncode != 0:
            raise AssertionError("dpkg-buildpackage failed (%d):\n%s"
                                 % (p.returncode, (p.stdout + p.stderr)[-6000:]))
        cls.deb = cls.t.join("%s_%s_%s.deb" % (PKG, cls.version, arch))
        cls.changes = cls.t.join("%s_%s_%s.changes" % (PKG, cls.version, arch))
        ok = re.findall(r"(?m)^Ok:\s+(\d+)", p.stdout + p.stderr)
        print("built %s in %.0f s (%s unit tests passed in dh_auto_test)"
              % (os.path.basename(cls.deb), time.monotonic() - start, ok[-1] if ok else "no"))
        if not os.path.exists(cls.deb):
            raise AssertionError("no %s: %s" % (cls.deb, os.listdir(cls.t.path)))

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.stop(signal.SIGKILL)
            cls.purge_all()
        finally:
            cls.t.cleanup()

    # --- the package file --------------------------------------------------------------------

    def test_1_lintian(self):
        p = deploy.sh(["lintian", "--fail-on", "error", "--display-info", "--pedantic",
                       self.changes], check=False, timeout=600)
        out = "\n".join(ln for ln in (p.stdout + p.stderr).splitlines()
                        if "root privileges" not in ln)
        print("lintian %s:\n%s" % (os.path.basename(self.changes), out or "(nothing)"))
        self.assertEqual(p.returncode, 0, "lintian found errors")
        self.assertFalse(re.search(r"(?m)^E: ", out), out)

    def test_2_install(self):
        with open(MARK, "w") as f:
            f.write("tests/deploy/test_package.py installed motcham\n")
        deploy.sh(["dpkg", "-i", self.deb], timeout=300)
        self.assertEqual(status(), "install ok installed")
        depends = deploy.sh(["dpkg-query", "-W", "-f=${Depends}", PKG]).stdout
        print("Depends: %s" % depends)
        self.assertIn("libxlsxwriter4", depends, "the library of the .xlsx export, from shlibs")
        for path, mode in FILES:
            with self.subTest(path=path):
                st = os.stat(path)
                self.assertEqual(stat.S_IMODE(st.st_mode), mode, path)
                self.assertEqual(st.st_uid, 0, path)
        u = pwd.getpwnam("motcham")
        self.assertLess(u.pw_uid, 1000, "a system user")
        self.assertEqual(u.pw_dir, STATE)
        self.assertIn("nologin", u.pw_shell)
        for d in (STATE, LOGS):
            st = os.stat(d)
            self.assertEqual((st.st_uid, stat.S_IMODE(st.st_mode)), (u.pw_uid, 0o750), d)
        self.assertEqual(os.stat(DB).st_uid, u.pw_uid, "an empty database made on install")
        for link in ENABLED:
            self.assertTrue(os.path.islink(link), "enabled: %s" % link)
        v = deploy.sh([BIN, "--version"]).stdout.strip()
        print("installed: %s" % v)
        self.assertEqual(v, "motcham %s" % self.version)
        man = deploy.sh(["man", "-w", "motcham"]).stdout.strip()
        print("man -w motcham: %s" % man)
        self.assertEqual(man, "/usr/share/man/man1/motcham.1.gz")

    @unittest.skipUnless(shutil.which("systemd-analyze"), "systemd-analyze is missing")
    def test_3_installed_units(self):
        for unit in ("motcham.service", "motcham-backup.service"):
            p = deploy.sh(["systemd-analyze", "security", "--offline=yes", "--no-pager",
                           os.path.join(UNITDIR, unit)], check=False)
            m = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\S+)", p.stdout)
            self.assertIsNotNone(m, p.stdout + p.stderr)
            print("systemd-analyze security --offline=yes %s (installed): %s %s"
                  % (unit, m.group(1), m.group(2)))
            self.assertLessEqual(float(m.group(1)), 2.0)
        units = [os.path.join(UNITDIR, u) for u in
                 ("motcham.service", "motcham-backup.service", "motcham-backup.timer")]
        p = deploy.sh(["systemd-analyze", "verify"] + units, check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(p.stderr.strip(), "", "systemd-analyze verify says something")

    # --- running it -------------------------------------------------------------------------

    def test_4_serve_as_motcham(self):
        cfg = defaults()
        self.assertEqual(cfg["MOTCHAM_DB"], DB)
        r = subprocess.run(["setpriv", "--reuid=motcham", "--regid=motcham", "--init-groups",
                            BIN, "demo"], capture_output=True, text=True, timeout=300,
                           env=deploy.env({"MOTCHAM_DB": DB}), cwd="/")
        deploy.must(r)
        r = subprocess.run(["setpriv", "--reuid=motcham", "--regid=motcham", "--init-groups",
                            BIN, "user", "add", "--name", "giamsat", "--role", "supervisor"],
                           input=SUPERVISOR_PASSWORD + "\n", capture_output=True, text=True,
                           timeout=300, env=deploy.env({"MOTCHAM_DB": DB}), cwd="/")
        deploy.must(r)
        # The service's own command line (ExecStart), on a free port instead of 8080.
        opts = shlex.split(cfg["MOTCHAM_OPTS"])
        opts[opts.index("--port") + 1] = str(deploy.free_port())
        log = opts[opts.index("--access-log") + 1]
        self.assertTrue(log.startswith(LOGS + "/"), log)
        Package.srv = deploy.Server(opts, cmd=[BIN, "serve"], env={"MOTCHAM_DB": DB},
                                    **as_motcham()).start()
        c = deploy.Client(self.srv.port)
        r = c.get("/")
        self.assertEqual(r.status, 200, r)
        self.assertIn("Phường 7", r.text)
        self.assertEqual(c.get("/assets/style.css").status, 200, "assets from /usr/share")
        self.assertEqual(c.get("/w/%s" % deploy.SLUG).status, 200)
        for f in (DB, DB + ".files") if os.path.exists(DB + ".files") else (DB,):
            self.assertEqual(pwd.getpwuid(os.stat(f).st_uid).pw_name, "motcham", f)
        # The .xlsx export, written through a temporary file as the motcham user.
        tmp = tempfile.gettempdir()
        before = set(glob.glob(os.path.join(tmp, "motcham-xlsx-*")))
        s = deploy.Client(self.srv.port)
        self.assertEqual(deploy.sign_in(s, "giamsat", SUPERVISOR_PASSWORD).status, 303)
        r = s.get("/supervise/permits?list=all&format=xlsx")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"),
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        self.assertTrue(r.body.startswith(b"PK\x03\x04"), r.body[:20])
        self.assertEqual(set(glob.glob(os.path.join(tmp, "motcham-xlsx-*"))), before,
                         "no temporary file left")

        # The logrotate rule, for real (the SIGHUP is what its postrotate asks systemd for).
        if shutil.which("logrotate"):
            self.assertTrue(self.wait_in(log, "GET / "), "the request is in the access log")
            deploy.sh(["logrotate", "-f", "-s", self.t.join("logrotate.state"),
                       "/etc/logrotate.d/motcham"])
            self.assertTrue(os.path.exists(log + ".1"), os.listdir(LOGS))
            st = os.stat(log)
            self.assertEqual((pwd.getpwuid(st.st_uid).pw_name, stat.S_IMODE(st.st_mode)),
                             ("motcham", 0o640))
            self.srv.send_signal(signal.SIGHUP)
            time.sleep(0.3)
            self.assertEqual(c.get("/healthz").status, 200)
            self.assertTrue(self.wait_in(log, "GET /healthz "), "written to the new file")
        else:
            print("logrotate is missing: its rule was not tried")
        srv, Package.srv = Package.srv, None
        srv.close()  # SIGTERM: exit 0

    def wait_in(self, path, text, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with open(path, encoding="utf-8") as f:
                    if text in f.read():
                        return True
            except FileNotFoundError:
                pass
            time.sleep(0.05)
        return False

    def test_5_backup_keeps_the_newest(self):
        cfg = defaults()
        bdir = cfg["MOTCHAM_BACKUP_DIR"]
        os.makedirs(bdir, exist_ok=True)
        u = pwd.getpwnam("motcham")
        os.chown(bdir, u.pw_uid, u.pw_gid)
        old = ["motcham-20200101T00000%dZ.db" % i for i in (1, 2, 3)]
        for name in old:
            with open(os.path.join(bdir, name), "w") as f:
                f.write("an old backup")
            os.makedirs(os.path.join(bdir, name + ".files"))  # its uploaded files
        env = dict(cfg, MOTCHAM_BACKUP_KEEP="2")
        p = subprocess.run([BACKUP], capture_output=True, text=True, timeout=300,
                           env=deploy.env(env), cwd="/", **as_motcham())
        deploy.must(p)
        print(p.stdout.strip())
        left = sorted(n for n in os.listdir(bdir) if not n.endswith(".files"))
        self.assertEqual(len(left), 2, left)
        self.assertEqual(left[0], old[2], "the newest old one stays, the others go")
        # Each copy has its files beside it; an old copy's went with it.
        self.assertEqual(sorted(os.listdir(bdir)), sorted(left + [n + ".files" for n in left]))
        new = os.path.join(bdir, left[1])
        self.assertRegex(left[1], r"^motcham-\d{8}T\d{6}Z\.db$")
        self.assertEqual(deploy.sqlite(new, "PRAGMA integrity_check;"), "ok")
        self.assertGreater(int(deploy.sqlite(new, "SELECT count(*) FROM permit;")), 0)
        p = subprocess.run([BACKUP], capture_output=True, text=True, timeout=60,
                           env=deploy.env(dict(cfg, MOTCHAM_BACKUP_KEEP="many")), cwd="/",
                           **as_motcham())
        self.assertEqual(p.returncode, 2, p)
        self.assertEqual(sorted(os.listdir(bdir)), sorted(left + [n + ".files" for n in left]))

    # --- going away -------------------------------------------------------------------------

    def test_6_remove_keeps_the_data(self):
        deploy.sh(["dpkg", "-r", PKG], timeout=300)
        self.assertEqual(status(), "deinstall ok config-files")
        self.assertFalse(os.path.exists(BIN))
        self.assertTrue(os.path.exists(DB), "the database stays")
        self.assertTrue(glob.glob(STATE + "/backups/motcham-*.db"), "the backups stay")
        self.assertTrue(user_exists(), "the user stays")
        self.assertTrue(os.path.exists("/etc/default/motcham"), "the settings stay")

    def test_7_purge_removes_everything(self):
        deploy.sh(["dpkg", "--purge", PKG], timeout=300)
        self.assertIsNone(status() if present() else None)
        for path in (STATE, LOGS, "/etc/default/motcham", "/etc/logrotate.d/motcham"):
            self.assertFalse(os.path.exists(path), "%s after purge" % path)
        for link in ENABLED:
            self.assertFalse(os.path.lexists(link), link)
        self.assertFalse(user_exists(), "the motcham user after purge")
        self.assertFalse(group_exists(), "the motcham group after purge")
        os.unlink(MARK)


if __name__ == "__main__":
    unittest.main(verbosity=2)
