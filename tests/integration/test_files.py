"""Issue 14, data and files: uploads as an attacker sends them, against the real server.

- A flood of 10 MB posts (MC_UPLOAD_FLOOD of them at once, default 200; 1,000 is the issue's
  figure) grows the server's peak RSS (VmHWM, reset before through /proc/PID/clear_refs) by at
  most RSS_BOUND: uploads are spooled to disk as they arrive, never held whole in memory.
- Downloads are attachments named with the extension of the type found in the content (never
  the client's .html or .svg) and sandboxed (Content-Security-Policy: sandbox).
- An image with something after its end (HTML after IEND or EOI) is refused, a phone's second
  JPEG or zero padding after it is cut off; a PDF with JavaScript (also #-escaped or in a
  compressed object stream) or embedded files is refused with a Vietnamese message.
- A ward's upload quota and the disk reserve refuse uploads with a message, nothing kept.
- `motcham backup` copies the uploaded files, and the README's restore steps, run as written,
  give a server that serves every file the original did.
"""

import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
import unittest
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
PASSWORD = "mat-khau-cua-lan-14"
MB = 1 << 20
FLOOD = int(os.environ.get("MC_UPLOAD_FLOOD", "200"))
FLOOD_SIZE = 10 * MB
RSS_BOUND = 64 * MB  # what the whole flood may add to the server's peak resident memory
HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"


def login(t, port, name="lan"):
    return mc.staff_login(t, port, name, PASSWORD)


def jpeg(seed=0, size=(64, 48)):
    """A real JPEG (Pillow, Debian's python3-pil)."""
    from PIL import Image
    img = Image.new("RGB", size, ((seed * 40) % 256, 120, 200))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def noise_png(nbytes, seed=1):
    """A valid PNG of about nbytes that does not compress (noise)."""
    side = int(nbytes ** 0.5) + 1
    rnd = __import__("random").Random(seed)
    fd, path = __import__("tempfile").mkstemp(suffix=".png")
    os.close(fd)
    try:
        mc.write_gray_png(path, [[rnd.randrange(256) for _ in range(side)] for _ in range(side)])
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


def make_pdf(catalog_extra=b"", extra=(), version=b"1.4"):
    """A one-page PDF whose catalog carries catalog_extra, with the objects extra (bytes, from
    object 5 on) after the page's four."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b" >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>"]
    stream = b"BT /F1 12 Tf 10 50 Td (JavaScript /JS is only text here) Tj ET"
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objs += list(extra)
    out = bytearray(b"%PDF-" + version + b"\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1,
                                                                             xref)
    return bytes(out)


def objstm_pdf(inner):
    """A PDF 1.5 whose object 6 lives compressed in an object stream (object 5)."""
    body = b"6 0 " + inner
    data = zlib.compress(body)
    stm = (b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n"
           % len(data)) + data + b"\nendstream"
    return make_pdf(b"/OpenAction 6 0 R", [stm], b"1.5")


def status_line(data):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(m.group(1)) if m else None


class Ward(unittest.TestCase):
    """The demo ward with staff "lan"; a class's own server with extra serve options."""

    extra = ()

    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, cls.__name__.lower() + ".db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        mc.add_user(cls.db, "lan", "staff", PASSWORD, SLUG)
        ids = mc.sql(cls.db, "SELECT id FROM permit WHERE status IN ('issued', 'in_progress') "
                             "ORDER BY id;").split()
        cls.permits = [int(x) for x in ids]
        cls.srv = cls.start(cls.db)
        cls.port = cls.srv.port

    @classmethod
    def start(cls, db):
        return mc.server_on_free_port(db, cls.extra)

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.close()
        finally:
            cls.t.cleanup()

    def state(self):
        return (mc.audit_last_id(self.db), mc.stored_files(self.db),
                mc.sql(self.db, "SELECT count(*) FROM file;"),
                mc.sql(self.db, "SELECT count(*) FROM report;"))

    def upload(self, c, pid, name, data, public=True):
        fields = [("csrf", c.csrf)] + ([("public", "1")] if public else [])
        return c.post_multipart("/staff/permits/%d/files" % pid, fields,
                                [("file", name, "application/octet-stream", data)])

    def report(self, pid, photo, source, name="anh.jpg", headers=None):
        c = mc.Client(self.port, source)
        action = "/w/%s/permits/%d/report" % (SLUG, pid)
        page = c.get("/w/%s/permits/%d" % (SLUG, pid))
        self.assertEqual(page.status, 200, mc.describe(page))
        form = mc.find_form(page.body, action)
        f = dict(form["fields"])
        f.update({"category": "unsafe", "contact": "",
                  "description": "Vật liệu xây dựng đổ tràn ra lòng đường."})
        files = [("photo", name, "image/jpeg", photo)] if photo is not None else []
        return c.post_multipart(action, list(f.items()), files, headers=headers)


class Uploads(Ward):
    def test_flood_of_uploads_stays_within_memory_bound(self):
        pid = self.permits[0]
        action = "/w/%s/permits/%d/report" % (SLUG, pid)
        form = mc.find_form(mc.Client(self.port).get("/w/%s/permits/%d" % (SLUG, pid)).body,
                            action)
        fields = dict(form["fields"])
        fields.update({"category": "other", "description": "Ảnh rất lớn gửi cùng lúc."})
        boundary = "----motcham-flood"
        head = b"".join(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                         % (boundary, k, v)).encode("utf-8") for k, v in fields.items())
        head += ("--%s\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n"
                 "Content-Type: image/jpeg\r\n\r\n" % boundary).encode("ascii")
        tail = ("\r\n--%s--\r\n" % boundary).encode("ascii")
        length = len(head) + FLOOD_SIZE + len(tail)
        request = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: multipart/form-data;"
                   " boundary=%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                   % (action, self.port, boundary, length)).encode("ascii") + head
        chunk = b"\xff\xd8\xff" + os.urandom(256 * 1024 - 3)
        pid_file = "/proc/%d/" % self.srv.proc.pid
        # The peak so far is forgotten: what follows is measured from here.
        with open(pid_file + "clear_refs", "w") as f:
            f.write("5")
        with open(pid_file + "status") as f:
            base = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
        halfway = threading.Barrier(FLOOD, timeout=8)
        addresses = max(8, FLOOD // 50 + 1)  # under the 64 connections one address may hold
        answers = [None] * FLOOD

        def post(i):
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=60,
                                             source_address=("127.0.0.%d" % (100 + i % addresses),
                                                             0))
                with s:
                    s.sendall(request)
                    sent = 0
                    while sent < FLOOD_SIZE:
                        n = min(len(chunk), FLOOD_SIZE - sent)
                        s.sendall(chunk[:n])
                        sent += n
                        if sent >= FLOOD_SIZE // 2 and sent - n < FLOOD_SIZE // 2:
                            try:
                                halfway.wait()  # every post half sent at once
                            except threading.BrokenBarrierError:
                                pass
                    s.sendall(tail)
                    data = b""
                    while len(data) < 64:
                        got = s.recv(4096)
                        if not got:
                            break
                        data += got
                    answers[i] = status_line(data)
            except OSError as e:
                answers[i] = repr(e)

        threads = [threading.Thread(target=post, args=(i,)) for i in range(FLOOD)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        took = time.monotonic() - started
        with open(pid_file + "status") as f:
            status = f.read()
        peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        grown = (peak - base) * 1024
        print("%d posts of %d MB in %.1f s: peak RSS %d kB, %d kB over the %d kB before; "
              "answers %s" % (FLOOD, FLOOD_SIZE // MB, took, peak, peak - base, base,
                              sorted(set(map(str, answers)))))
        self.assertLessEqual(grown, RSS_BOUND, "the flood grew the server's peak RSS by %d kB"
                             % (grown // 1024))
        # Each too large photo is refused with the form; past the write pool's queue (256),
        # a post is told to come back later.
        self.assertTrue(all(a in (422, 503) for a in answers), sorted(set(map(str, answers))))
        self.assertIn(422, answers)
        self.assertEqual(mc.healthz_status(self.port), 200)
        self.assertEqual([f for f in mc.stored_files(self.db) if f.startswith(".")], [],
                         "no temporary file left behind")

    def test_many_slow_downloads_stay_within_memory_bound(self):
        lan = login(self, self.port)
        big = mc.small_pdf("lon") + b"%" + os.urandom(9 * MB).hex()[:9 * MB].encode() + b"\n"
        r = self.upload(lan, self.permits[4], "lon.pdf", big)
        self.assertEqual(r.status, 303, mc.describe(r))
        path = "/files/" + mc.sha256_hex(big)
        pid_file = "/proc/%d/" % self.srv.proc.pid
        with open(pid_file + "clear_refs", "w") as f:
            f.write("5")
        with open(pid_file + "status") as f:
            base = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
        n = min(FLOOD, 200)
        socks = []
        try:
            for i in range(n):
                s = socket.create_connection(("127.0.0.1", self.port), timeout=30,
                                             source_address=("127.0.0.%d" % (160 + i % 8), 0))
                socks.append(s)
                s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
            for s in socks:  # each reads a little, then leaves the rest unread
                self.assertEqual(status_line(s.recv(1024)), 200)
            time.sleep(1)
            with open(pid_file + "status") as f:
                peak = int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1))
        finally:
            for s in socks:
                s.close()
        print("%d slow downloads of %d MB: %d kB over the %d kB before"
              % (n, len(big) // MB, peak - base, base))
        self.assertLessEqual((peak - base) * 1024, RSS_BOUND)
        self.assertEqual(mc.healthz_status(self.port), 200)

    def test_downloads_are_sandboxed_attachments_named_by_type(self):
        lan = login(self, self.port)
        pid = self.permits[1]
        cases = [("bao-cao.html", mc.small_pdf("khong phai html"), "application/pdf", ".pdf"),
                 ("ban-ve.svg", mc.small_png(41, 12), "image/png", ".png"),
                 ("anh", jpeg(3), "image/jpeg", ".jpg")]
        for name, data, mime, ext in cases:
            with self.subTest(name=name):
                r = self.upload(lan, pid, name, data)
                self.assertEqual(r.status, 303, mc.describe(r))
                sha = mc.sha256_hex(data)
                for path, who in (("/staff/files/" + sha, lan), ("/files/" + sha, None)):
                    got = who.get(path) if who else mc.request(self.port, path)
                    self.assertEqual(got.status, 200, path)
                    self.assertEqual(got.body, data)
                    self.assertEqual(got.header("Content-Type"), mime)
                    disp = got.header("Content-Disposition") or ""
                    self.assertTrue(disp.startswith("attachment;"), disp)
                    m = re.search(r'filename="([^"]+)"', disp)
                    self.assertTrue(m and m.group(1).endswith(ext), disp)
                    self.assertNotIn(".html", disp)
                    self.assertNotIn(".svg", disp)
                    self.assertIn("sandbox", got.header("Content-Security-Policy") or "")
                    self.assertEqual(got.header("X-Content-Type-Options"), "nosniff")

    def test_images_are_read_to_their_end(self):
        lan = login(self, self.port)
        pid = self.permits[2]
        png, jpg = mc.small_png(7, 10), jpeg(5)
        for name, data in (("a.png", png + HTML), ("a.jpg", jpg + HTML),
                           ("a.jpg", jpg[:-200]), ("b.png", png[:-12] + HTML),
                           ("c.jpg", jpg + b"PK\x03\x04" + b"\0" * 40)):
            with self.subTest(name=name, size=len(data)):
                before = self.state()
                r = self.upload(lan, pid, name, data)
                self.assertEqual(r.status, 422, mc.describe(r))
                self.assertIn("dữ liệu lạ", r.text)
                self.assertEqual(self.state(), before, "nothing kept")
        before = self.state()
        r = self.report(pid, png + HTML, "127.0.0.61", "anh.png")
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assertIn("dữ liệu lạ", r.text)
        self.assertEqual(self.state(), before, "no report, no photo")
        # What a phone appends (a second JPEG), or padding, is cut off; the image is kept.
        second = jpeg(9, (16, 16))
        for name, data, kept in (("d.jpg", jpg + second, jpg), ("e.png", png + b"\0" * 64, png)):
            with self.subTest(name=name):
                r = self.upload(lan, pid, name, data)
                self.assertEqual(r.status, 303, mc.describe(r))
                self.assertIn(mc.sha256_hex(kept), mc.stored_files(self.db))
                self.assertEqual(mc.stored_file(self.db, mc.sha256_hex(kept)), kept)
                self.assertNotIn(mc.sha256_hex(data), mc.stored_files(self.db))

    def test_pdfs_that_run_or_carry_files_are_refused(self):
        lan = login(self, self.port)
        pid = self.permits[3]
        script = "mã lệnh"
        files = "đính kèm"
        cases = [
            ("open-action.pdf", make_pdf(b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>"),
             script),
            ("names.pdf", make_pdf(b"/Names << /JavaScript 5 0 R >>",
                                   [b"<< /Names [(a) << /S /JavaScript /JS (x) >>] >>"]), script),
            ("escaped.pdf", make_pdf(b"/OpenAction << /S /J#61vaScript /J#53 (x) >>"), script),
            ("aa.pdf", make_pdf(b"/AA << /O << /S /Launch /F (cmd.exe) >> >>"), script),
            ("embedded.pdf", make_pdf(b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >>",
                                      [b"<< /Type /Filespec /F (a.exe) /EF << /F 6 0 R >> >>",
                                       b"<< /Type /EmbeddedFile /Length 2 >>\nstream\nMZ\n"
                                       b"endstream"]), files),
            ("objstm.pdf", objstm_pdf(b"<< /S /JavaScript /JS (app.alert(1)) >>"), script),
            ("objstm-escaped.pdf", objstm_pdf(b"<< /S /JavaScrip#74 /JS (x) >>"), script),
        ]
        for name, data, why in cases:
            with self.subTest(name=name):
                before = self.state()
                r = self.upload(lan, pid, name, data)
                self.assertEqual(r.status, 422, mc.describe(r))
                self.assertIn(why, r.text)
                self.assertEqual(self.state(), before, "nothing kept")
        # A plain document, its text saying "JavaScript", and a clean object stream pass.
        for name, data in (("plain.pdf", make_pdf()),
                           ("clean-objstm.pdf", objstm_pdf(b"<< /Type /Action /S /GoTo >>"))):
            with self.subTest(name=name):
                r = self.upload(lan, pid, name, data)
                self.assertEqual(r.status, 303, mc.describe(r))
                self.assertIn(mc.sha256_hex(data), mc.stored_files(self.db))


class Quota(Ward):
    """--upload-quota 1: one ward's uploads may take 1 MiB in all, on either database."""

    extra = ("--upload-quota", "1")

    def test_quota_refuses_with_a_message(self):
        lan = login(self, self.port)
        pid = self.permits[0]
        first = mc.small_pdf("dau tien") + b"%" + b"x" * (700 * 1024) + b"\n"
        r = self.upload(lan, pid, "mot.pdf", first)
        self.assertEqual(r.status, 303, mc.describe(r))
        before = self.state()
        second = mc.small_pdf("thu hai") + b"%" + b"y" * (400 * 1024) + b"\n"
        r = self.upload(lan, pid, "hai.pdf", second)
        self.assertEqual(r.status, 507, mc.describe(r))
        self.assertIn("hết dung lượng", r.text)
        self.assertEqual(self.state(), before, "nothing kept")
        # A resident's photo counts against the same ward.
        r = self.report(pid, noise_png(400 * 1024), "127.0.0.71", "anh.png")
        self.assertEqual(r.status, 507, mc.describe(r))
        self.assertIn("hết dung lượng", r.text)
        self.assertEqual(self.state(), before, "no report, no photo")
        # What still fits is taken.
        r = self.upload(lan, pid, "nho.png", mc.small_png(3, 8))
        self.assertEqual(r.status, 303, mc.describe(r))


class Reserve(Ward):
    """--disk-reserve past any real disk: the files directory is always "nearly full"."""

    extra = ("--disk-reserve", str(1 << 30))

    def test_disk_reserve_refuses_before_the_disk_is_full(self):
        lan = login(self, self.port)
        pid = self.permits[0]
        before = self.state()
        r = self.upload(lan, pid, "mot.pdf", mc.small_pdf("du tru"))
        r2 = self.report(pid, mc.small_png(5, 8), "127.0.0.81", "anh.png")
        if mc.is_pg(self.db):
            # The files are in the database there: its own disk is the cluster's to watch.
            self.assertEqual(r.status, 303, mc.describe(r))
            self.assertEqual(r2.status, 200, mc.describe(r2))
            return
        for resp in (r, r2):
            self.assertEqual(resp.status, 507, mc.describe(resp))
            self.assertIn("sắp hết chỗ lưu trữ", resp.text)
        self.assertEqual(self.state(), before, "nothing kept")
        # A report without a photo needs no room for one.
        r = self.report(pid, None, "127.0.0.82")
        self.assertEqual(r.status, 200, mc.describe(r))


def readme_restore():
    """The shell lines of the README's "Backups, and restoring one" section."""
    with open(os.path.join(mc.SRC, "README.md"), encoding="utf-8") as f:
        text = f.read()
    section = text.split("### Backups, and restoring one", 1)[1]
    m = re.search(r"```sh\n(.*?)```", section, re.S)
    assert m, "no sh block in the README's restore section"
    return m.group(1)


class Backup(Ward):
    def test_backup_and_the_readme_restore_serve_every_file(self):
        lan = login(self, self.port)
        pid, pid2 = self.permits[4], self.permits[5]
        kept = {}
        for i, (name, data, public) in enumerate((("giay-phep.pdf", mc.small_pdf("ban goc"), True),
                                                  ("noi-bo.png", mc.small_png(77, 9), False),
                                                  ("mat-bang.jpg", jpeg(11), True))):
            r = self.upload(lan, pid if i % 2 == 0 else pid2, name, data, public)
            self.assertEqual(r.status, 303, mc.describe(r))
            kept[mc.sha256_hex(data)] = (data, public)
        photo = jpeg(21)
        r = self.report(pid, photo, "127.0.0.91")
        self.assertEqual(r.status, 200, mc.describe(r))
        kept[mc.sha256_hex(photo)] = (photo, False)

        def served(port, client):
            out = {}
            for sha, (data, public) in kept.items():
                got = client.get("/staff/files/" + sha)
                out[sha] = (got.status, got.body)
                if public:
                    pub = mc.request(port, "/files/" + sha)
                    out[sha + "/public"] = (pub.status, pub.body)
            return out

        before = served(self.port, lan)
        self.assertTrue(all(s == 200 for s, _ in before.values()), before.keys())
        backup = self.t.join("backups", "motcham-20250101T020000Z.db")
        os.makedirs(os.path.dirname(backup))
        r = mc.run(["backup", "--db", self.db, "--to", backup])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("%d uploaded files" % len(kept), r.out)
        self.assertEqual(sorted(os.listdir(backup + ".files")), sorted(kept))
        # A second backup to the same place is refused, the first left as it is.
        self.assertEqual(mc.run(["backup", "--db", self.db, "--to", backup]).rc, 1)

        # The README's steps, as written: only DB and BACKUP are set, and the system's
        # commands (systemctl, chown, sudo) are stand-ins that log what they were asked.
        self.srv.close()
        self.srv = None
        target = self.db if not mc.is_pg(self.db) else self.t.join("restored.db")
        if not mc.is_pg(self.db):
            with open(self.db + "-wal", "ab") as f:  # what a killed server leaves behind
                f.write(b"stale")
        bin_dir = self.t.join("bin")
        os.makedirs(bin_dir)
        log = self.t.join("system.log")
        for name, body in (("systemctl", 'echo "systemctl $*" >> "%s"' % log),
                           ("chown", 'echo "chown $*" >> "%s"' % log),
                           ("sudo", 'echo "sudo $1 $2" >> "%s"; shift 2; exec "$@"' % log)):
            with open(os.path.join(bin_dir, name), "w") as f:
                f.write("#!/bin/sh\n" + body + "\n")
            os.chmod(os.path.join(bin_dir, name), 0o755)
        os.symlink(mc.BIN, os.path.join(bin_dir, "motcham"))
        script = readme_restore()
        lines = script.splitlines()
        self.assertTrue(lines[0].startswith("DB=") and lines[1].startswith("BACKUP="), lines[:2])
        script = "\n".join(["DB='%s'" % target, "BACKUP='%s'" % backup] + lines[2:]) + "\n"
        env = mc.clean_env({"PATH": bin_dir + ":" + os.environ.get("PATH", "")})
        p = subprocess.run(["sh", "-e", "-c", script], capture_output=True, timeout=120, env=env,
                           stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr.decode(errors="replace"))
        self.assertIn(b"OK", p.stdout, "audit verify ran on the restored database")
        with open(log) as f:
            said = f.read().splitlines()
        self.assertEqual(said[0], "systemctl stop motcham")
        self.assertEqual(said[-1], "systemctl start motcham")
        self.assertIn("sudo -u motcham", said)
        if not mc.is_pg(self.db):
            self.assertTrue(os.path.exists(self.db + "-wal.before-restore"), "old WAL moved")
            self.assertTrue(os.path.exists(self.db + ".files.before-restore"))

        # The restored ward serves every file the original did, byte for byte.
        Backup.srv = self.srv = self.start(target)
        lan2 = login(self, self.srv.port)
        self.assertEqual(served(self.srv.port, lan2), before)
        r = mc.run(["audit", "verify", "--db", target])
        self.assertEqual(r.rc, 0, r)


if __name__ == "__main__":
    mc.main()
