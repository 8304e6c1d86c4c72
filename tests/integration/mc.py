"""Shared helpers for the motcham end-to-end tests (Python 3 standard library only).

Everything here talks to the real binary ($MOTCHAM), to 127.0.0.1 only, with a timeout on every
wait. Servers are stopped with SIGTERM and killed if they do not exit in time.
"""

import csv
import html
import html.parser
import http.client
import io
import json
import os
import re
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse
import unittest
import zlib

# The database helpers (new_db, sql, db_counts, db_tables, db_dump, integrity_check, schema_sql
# and the rest) live in backend.py, one module for SQLite and PostgreSQL; tests use them as mc.*.
from backend import (BACKEND, db_counts, db_dump, db_tables, db_touched, drop_db,  # noqa: F401
                     files_dir, integrity_check, is_pg, new_db, pg_database_size,
                     pg_move_to_tablespace, pg_read_only, pg_read_only_role, pg_server_owner,
                     schema_sql, schema_version, sql, stored_file, stored_files, try_sql,
                     unlock_audit_sql, unusable_db)

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("MOTCHAM_SRC") or os.path.dirname(os.path.dirname(HERE))
BIN = os.path.abspath(os.environ.get("MOTCHAM") or os.path.join(SRC, "build", "motcham"))
FIXTURES = os.path.join(HERE, "fixtures")
SLUG = "phuong-7-quan-8"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAGE_LIMIT = 30 * 1024
CMD_TIMEOUT = 120
HTTP_TIMEOUT = 15


class Result:
    """A finished command: exit code, raw bytes and decoded text of both streams."""

    def __init__(self, args, proc):
        self.args = args
        self.rc = proc.returncode
        self.stdout_bytes = proc.stdout
        self.stderr_bytes = proc.stderr
        self.out = proc.stdout.decode("utf-8", "replace")
        self.err = proc.stderr.decode("utf-8", "replace")

    def __repr__(self):
        return "motcham %s -> rc=%s\nstdout: %s\nstderr: %s" % (
            " ".join(self.args), self.rc, self.out[-2000:], self.err[-2000:])


def clean_env(extra=None):
    env = os.environ.copy()
    env.pop("MOTCHAM_DB", None)
    # Under a sanitizer build any report must fail the run, also outside `meson test`.
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:abort_on_error=1:print_stacktrace=1")
    env.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
    env.update(extra or {})
    return env


def run(args, cwd=None, env=None, timeout=CMD_TIMEOUT):
    """Runs motcham ARGS and returns a Result (never raises on a non-zero exit)."""
    args = [str(a) for a in args]
    proc = subprocess.run([BIN] + args, cwd=cwd or SRC, env=clean_env(env),
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    return Result(args, proc)


class TempDir:
    """A temporary directory removed on cleanup(), with what on_cleanup() was given (the
    PostgreSQL databases of new_db) undone first, last given first."""

    def __init__(self, prefix="motcham-test-"):
        self.path = tempfile.mkdtemp(prefix=prefix)
        self._undo = []

    def join(self, *parts):
        return os.path.join(self.path, *parts)

    def on_cleanup(self, fn):
        self._undo.append(fn)

    def cleanup(self):
        try:
            while self._undo:
                self._undo.pop()()
        finally:
            shutil.rmtree(self.path, ignore_errors=True)


# --- CSV fixtures ------------------------------------------------------------------------------

def write_csv(path, header, rows, bom=False, newline="\r\n"):
    """Writes an RFC 4180 file (every cell quoted) in UTF-8, optionally with a BOM."""
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator=newline)
    w.writerow(header)
    for r in rows:
        w.writerow([r.get(h, "") for h in header] if isinstance(r, dict) else r)
    data = buf.getvalue().encode("utf-8")
    with open(path, "wb") as f:
        f.write((b"\xef\xbb\xbf" if bom else b"") + data)
    return path


PROCEDURE_COLUMNS = ["tthc_code", "title", "field", "level", "steps", "ways", "place",
                     "documents", "forms", "who", "conditions", "duration", "fees", "office",
                     "result", "legal_basis", "online_url"]

PERMIT_COLUMNS = ["number", "kind", "address", "owner_name", "scope", "floors", "area_m2",
                  "height_m", "contractor", "office", "issued_on", "starts_on", "ends_on",
                  "status", "status_reason"]


def procedure_row(code, title, **kw):
    row = {
        "tthc_code": code,
        "title": title,
        "field": "Hộ tịch",
        "level": "Cấp xã",
        "steps": "Bước 1: Nộp hồ sơ tại Bộ phận một cửa\nBước 2: Nhận kết quả",
        "ways": "Trực tiếp; trực tuyến",
        "place": "Bộ phận tiếp nhận và trả kết quả, UBND phường",
        "documents": "Tờ khai theo mẫu | 1 | 0\nGiấy tờ tùy thân | 0 | 1",
        "forms": "Tờ khai đăng ký",
        "who": "Công dân Việt Nam",
        "conditions": "",
        "duration": "Trong ngày",
        "fees": "Miễn phí",
        "office": "UBND phường 7, quận 8",
        "result": "Giấy xác nhận",
        "legal_basis": "Luật Hộ tịch 2014\nNghị định 123/2015/NĐ-CP",
        "online_url": "",
    }
    row.update(kw)
    return row


def permit_row(number, **kw):
    row = {
        "number": number,
        "kind": "repair",
        "address": "12 Đường số 5, Phường 7, Quận 8",
        "owner_name": "Nguyễn Văn An",
        "scope": "Sửa chữa mái tôn, thay cửa",
        "floors": "2",
        "area_m2": "48.5",
        "height_m": "7.2",
        "contractor": "Công ty TNHH Xây dựng Bình An",
        "office": "UBND Phường 7, Quận 8",
        "issued_on": "2024-01-05",
        "starts_on": "2024-01-10",
        "ends_on": "2099-12-31",
        "status": "in_progress",
        "status_reason": "",
    }
    row.update(kw)
    return row


# --- the code list -----------------------------------------------------------------------------

def code_list(db, kind=None):
    """[(token, kind, title)] from `motcham code list`; raises if the command fails."""
    args = ["code", "list", "--db", db] + (["--kind", kind] if kind else [])
    r = run(args)
    if r.rc != 0:
        raise AssertionError("code list failed: %r" % r)
    rows = []
    for line in r.stdout_bytes.decode("utf-8").splitlines():
        if not line.strip():
            continue
        parts = line.split("\t", 2)
        if len(parts) != 3:
            raise AssertionError("code list line is not TOKEN<TAB>KIND<TAB>TITLE: %r" % line)
        rows.append(tuple(parts))
    return rows


def mistype(token, pos=3):
    """The token with one data character replaced by another (not a look-alike)."""
    look_alike = {"0": "0O", "1": "1IL"}
    c = token[pos]
    for alt in CROCKFORD:
        if alt != c and alt not in look_alike.get(c, c) and c not in look_alike.get(alt, alt):
            return token[:pos] + alt + token[pos + 1:]
    raise AssertionError("no replacement character")


# --- HTTP --------------------------------------------------------------------------------------

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # list of (name, value)
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    @property
    def text(self):
        return self.body.decode("utf-8")

    def __repr__(self):
        return "HTTP %s %r %r" % (self.status, self.headers, self.body[:300])


def request(port, path, method="GET", headers=None, body=None, host="127.0.0.1",
            timeout=HTTP_TIMEOUT):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, r.getheaders(), data)
    finally:
        conn.close()


def raw_request(port, data, timeout=HTTP_TIMEOUT, limit=4 << 20):
    """Sends bytes as they are and reads until the server closes (bounded in time and size)."""
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        chunks, total = [], 0
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            return b""  # refused before reading it all: a closed connection
        while time.monotonic() < deadline and total < limit:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break  # a reset is a closed connection too
            if not b:
                break
            chunks.append(b)
            total += len(b)
    return b"".join(chunks)


def raw_status(reply):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", reply)
    if not m:
        raise AssertionError("not an HTTP reply: %r" % reply[:200])
    return int(m.group(1))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_on_free_port(db, extra=(), tries=3):
    """A started Server whose --base-url names its own port (pages link to themselves), on a
    free port picked beforehand; tried again on another port if one was taken meanwhile."""
    last = None
    for _ in range(tries):
        port = free_port()
        srv = Server(db, port=port, base_url="http://127.0.0.1:%d" % port, extra=list(extra))
        try:
            return srv.start()
        except AssertionError as e:
            last = e
    raise last


SANITIZER_RE = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:|ThreadSanitizer")


class Server:
    """`motcham serve` on a loopback port; use start() and stop() (or as a context manager)."""

    URL_RE = re.compile(r"http://127\.0\.0\.1:(\d+)/")

    def __init__(self, db, port=0, base_url=None, extra=(), start_timeout=20):
        self.db = db
        self.want_port = port
        self.base_url = base_url
        self.extra = list(extra)
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.first_line = None
        self._errfile = None
        self._drain = None
        self._spool = None

    def _own_spool(self):
        return True

    def start(self):
        args = [BIN, "serve", "--db", self.db, "--port", str(self.want_port),
                "--bind", "127.0.0.1"]
        if self.base_url:
            args += ["--base-url", self.base_url]
        args += self.extra
        # On PostgreSQL each node keeps the files it sends in a spool of its own: one for this
        # server, gone with it, rather than the shared default under /var/tmp.
        if is_pg(self.db) and "--spool" not in args and self._own_spool():
            if not self._spool:  # a restarted server finds its files again
                self._spool = tempfile.mkdtemp(prefix="motcham-test-spool-")
            args += ["--spool", self._spool]
        self._errfile = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(args, cwd=SRC, env=clean_env(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._errfile,
                                     **self._popen_extra())
        deadline = time.monotonic() + self.start_timeout
        buf = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
                m = self.URL_RE.search(buf.decode("utf-8", "replace"))
                if m:
                    self.port = int(m.group(1))
                    self.first_line = buf.decode("utf-8", "replace")
                    break
            elif self.proc.poll() is not None:
                break
        if self.port is None:
            self.stop(sig=signal.SIGKILL)
            err = self.stderr()
            self._errfile.close()
            self._errfile = None
            self.proc = None
            raise AssertionError("server did not print its URL within %ss; stdout %r stderr %r"
                                 % (self.start_timeout, buf[-500:], err[-1000:]))
        # Keep reading stdout so a chatty server never blocks on a full pipe.
        self._drain = threading.Thread(target=self._drain_stdout, daemon=True)
        self._drain.start()
        return self

    def _popen_extra(self):
        """More subprocess.Popen arguments, for subclasses."""
        return {}

    def _drain_stdout(self):
        try:
            while self.proc.stdout.read(65536):
                pass
        except (OSError, ValueError):
            pass

    def stderr(self):
        if not self._errfile:
            return ""
        self._errfile.seek(0)
        return self._errfile.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Stops the server; returns (exit code, stopped_in_time)."""
        if self.proc is None:
            return None, True
        in_time = True
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                in_time = False
                self.proc.kill()
                self.proc.wait(10)
        if self._drain:
            self._drain.join(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode, in_time

    def close(self):
        """Stops the server; raises if it did not stop cleanly (exit 0 within the timeout,
        no sanitizer report), so a crash or leak at shutdown is not lost."""
        if self.proc is None:
            return
        rc, in_time = self.stop()
        err = self.stderr()
        if self._errfile:
            self._errfile.close()
            self._errfile = None
        if self._spool:
            shutil.rmtree(self._spool, ignore_errors=True)
            self._spool = None
        self.proc = None
        if not in_time or rc != 0 or SANITIZER_RE.search(err):
            raise AssertionError("server did not stop cleanly: rc=%s in_time=%s stderr=%s"
                                 % (rc, in_time, err[-3000:]))

    def get(self, path, **kw):
        return request(self.port, path, **kw)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


def start_server_with_base(db, attempts=3):
    """A server whose --base-url is its own http://127.0.0.1:PORT (port picked beforehand)."""
    last = None
    for _ in range(attempts):
        port = free_port()
        srv = Server(db, port=port, base_url="http://127.0.0.1:%d" % port)
        try:
            return srv.start()
        except AssertionError as e:  # the port was taken in between: try another
            last = e
    raise last


# --- HTML --------------------------------------------------------------------------------------

class _Collector(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text = []
        self.attrs = []  # (tag, attr, value)

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            self.attrs.append((tag, k, v or ""))

    handle_startendtag = handle_starttag

    def handle_data(self, data):
        self.text.append(data)


def parse_html(body):
    p = _Collector()
    p.feed(body.decode("utf-8") if isinstance(body, bytes) else body)
    p.close()
    return p


def page_text(body):
    """The visible text of a page, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", "".join(parse_html(body).text)).strip()


def links(body):
    return [v for t, k, v in parse_html(body).attrs if t == "a" and k == "href"]


RESOURCE_ATTRS = {"src", "srcset", "poster", "data", "action", "formaction", "background"}
URL_RE = re.compile(r"https?://[^\s\"'<>)]+", re.I)


def foreign_urls(body, port, strict=True):
    """http(s) URLs in a page that point to a host other than 127.0.0.1:port.

    strict=False only looks where a browser would make a request by itself (src, <link href>,
    form actions, CSS url()/@import); strict=True looks at every URL outside <a href>."""
    own = re.compile(r"https?://127\.0\.0\.1:%d(/|$)" % port, re.I)
    text = body.decode("utf-8")
    p = parse_html(text)
    found = []
    for tag, k, v in p.attrs:
        if k in RESOURCE_ATTRS or (tag == "link" and k == "href") or \
                (tag == "meta" and k == "content") or k == "style":
            found += URL_RE.findall(v)
    found += re.findall(r"(?:url\(|@import)\s*['\"]?(https?://[^'\")\s]+)", text, re.I)
    if strict:
        stripped = re.sub(r"<a\s[^>]*>", "", text, flags=re.I)
        found += URL_RE.findall(html.unescape(stripped))
    return sorted({u for u in found if not own.match(u)})


# --- PNG, QR -----------------------------------------------------------------------------------

PNG_SIG = b"\x89PNG\r\n\x1a\n"


def png_chunks(data):
    """[(type, payload)] with every CRC checked."""
    if not data.startswith(PNG_SIG):
        raise AssertionError("not a PNG")
    pos, out = len(PNG_SIG), []
    while pos + 12 <= len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        ctype = data[pos + 4:pos + 8]
        payload = data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        if zlib.crc32(ctype + payload) & 0xffffffff != crc:
            raise AssertionError("bad CRC in PNG chunk %r" % ctype)
        out.append((ctype.decode("ascii"), payload))
        pos += 12 + n
        if ctype == b"IEND":
            break
    if not out or out[-1][0] != "IEND":
        raise AssertionError("PNG without IEND")
    return out


def png_info(data):
    info = {"phys": None}
    for ctype, p in png_chunks(data):
        if ctype == "IHDR":
            w, h, depth, color = struct.unpack(">IIBB", p[:10])
            info.update(width=w, height=h, depth=depth, color=color)
        elif ctype == "pHYs":
            info["phys"] = struct.unpack(">IIB", p)
    return info


def write_gray_png(path, rows):
    """Writes an 8-bit greyscale PNG from rows of 0..255 values."""
    h, w = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(r) for r in rows)

    def chunk(t, p):
        return struct.pack(">I", len(p)) + t + p + struct.pack(">I", zlib.crc32(t + p) & 0xffffffff)
    with open(path, "wb") as f:
        f.write(PNG_SIG + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def zbar_decode(path):
    """The text zbarimg reads from an image (None if it finds no symbol)."""
    proc = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        return None
    return proc.stdout.decode("utf-8").rstrip("\n")


def qrencode_version(text, ecc):
    """The version libqrencode picks for text, told by its own CLI (width = line count)."""
    proc = subprocess.run(["qrencode", "-l", ecc, "-t", "ASCII", "-m", "0", "-o", "-", text],
                          capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise AssertionError("qrencode failed: %s" % proc.stderr.decode(errors="replace"))
    width = len(proc.stdout.decode("ascii").rstrip("\n").split("\n"))
    if (width - 17) % 4:
        raise AssertionError("qrencode printed %d lines, not a QR width" % width)
    return (width - 17) // 4


def qr_url(base, token):
    return (base.rstrip("/") + "/Q/" + token).upper()


# --- SVG: rasterise the one <path> to check it is the same symbol ------------------------------

_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def svg_path_edges(d):
    """Vertical edges (x, y0, y1, dir) of a path made of M/m L/l H/h V/v Z/z commands."""
    tokens = re.findall(r"[MmLlHhVvZz]|" + _NUM, d)
    edges = []
    x = y = sx = sy = 0.0
    cmd = None
    i = 0

    def num():
        nonlocal i
        v = float(tokens[i])
        i += 1
        return v

    def line_to(nx, ny):
        nonlocal x, y
        if nx != x and ny != y:
            raise AssertionError("diagonal segment in a QR path")
        if nx == x and ny != y:
            edges.append((x, min(y, ny), max(y, ny), 1 if ny > y else -1))
        x, y = nx, ny

    while i < len(tokens):
        t = tokens[i]
        if t.isalpha():
            cmd = t
            i += 1
            if cmd in "Zz":
                line_to(sx, sy)
                continue
        elif cmd is None:
            raise AssertionError("path data starts with a number")
        if cmd in "Mm":
            nx, ny = num(), num()
            x, y = (nx, ny) if cmd == "M" else (x + nx, y + ny)
            sx, sy = x, y
            cmd = "L" if cmd == "M" else "l"  # later pairs are line-tos
        elif cmd in "Ll":
            nx, ny = num(), num()
            line_to(*((nx, ny) if cmd == "L" else (x + nx, y + ny)))
        elif cmd in "Hh":
            n = num()
            line_to(n if cmd == "H" else x + n, y)
        elif cmd in "Vv":
            n = num()
            line_to(x, n if cmd == "V" else y + n)
        else:
            raise AssertionError("unsupported path command %r" % cmd)
    return edges


def svg_to_png(svg_text, path, scale=4):
    """Draws the SVG's <path> (module units, non-zero fill) as a PNG zbarimg can read."""
    vb = re.search(r'viewBox="([^"]+)"', svg_text)
    d = re.search(r'<path[^>]*\sd="([^"]+)"', svg_text)
    if not vb or not d:
        raise AssertionError("SVG without viewBox or path d")
    x0, y0, w, h = (float(v) for v in vb.group(1).replace(",", " ").split())
    edges = svg_path_edges(d.group(1))
    rows = []
    for my in range(int(h)):
        cy = y0 + my + 0.5
        crossing = sorted((ex, dr) for ex, a, b, dr in edges if a <= cy < b)
        row = []
        for mx in range(int(w)):
            cx = x0 + mx + 0.5
            wind = sum(dr for ex, dr in crossing if ex > cx)
            row += [0 if wind else 255] * scale
        rows += [row] * scale
    write_gray_png(path, rows)


def read_manifest(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], [dict(zip(rows[0], r)) for r in rows[1:]]


def api(port, token):
    r = request(port, "/api/v1/codes/" + token)
    return r, (json.loads(r.body.decode("utf-8")) if r.body else None)


def main():
    unittest.main(verbosity=2)


# --- staff side: accounts, a cookie jar, forms, the audit trail (used by test_staff) ----------

def add_user(db, name, role, password, ward=None):
    """`motcham user add` with the password on stdin; raises if the command fails."""
    args = ["user", "add", "--db", db, "--name", name, "--role", role]
    if ward:
        args += ["--ward", ward]
    proc = subprocess.run([BIN] + args, cwd=SRC, env=clean_env(), capture_output=True,
                          input=(password + "\n").encode("utf-8"), timeout=CMD_TIMEOUT)
    r = Result(args, proc)
    if r.rc != 0:
        raise AssertionError("user add failed: %r" % r)
    return r


def parse_set_cookie(value):
    """(name, value, {attribute (lower case): value or True}) of one Set-Cookie header."""
    parts = [p.strip() for p in value.split(";")]
    name, _, val = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        if not p:
            continue
        k, eq, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip() if eq else True
    return name.strip(), val.strip(), attrs


def multipart(fields=(), files=()):
    """(body, content type) of a multipart/form-data form, encoded by hand.

    fields: [(name, text)]; files: [(name, filename, content type, bytes)]."""
    boundary = "----motcham-test-%s" % os.urandom(12).hex()
    out = []
    for name, value in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n"
                    % (boundary, name)).encode("utf-8"))
        out.append(value.encode("utf-8") if isinstance(value, str) else value)
        out.append(b"\r\n")
    for name, filename, ctype, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (boundary, name, filename, ctype))
                   .encode("utf-8"))
        out.append(data)
        out.append(b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode("ascii"))
    return b"".join(out), "multipart/form-data; boundary=" + boundary


class Client:
    """An HTTP client with a small cookie jar, optionally from its own loopback source address
    (127.0.0.N: the server then sees another client, with its own throttle and rate limit)."""

    def __init__(self, port, source=None):
        self.port = port
        self.source = source
        self.cookies = {}

    def request(self, method, path, body=None, content_type=None, headers=None,
                timeout=HTTP_TIMEOUT):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if content_type:
            h["Content-Type"] = content_type
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout,
                                          source_address=(self.source, 0) if self.source
                                          else None)
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            r = Response(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()
        r.method, r.path, r.sent = method, path, body
        r.set_cookies = [parse_set_cookie(v) for k, v in r.headers if k.lower() == "set-cookie"]
        for name, value, attrs in r.set_cookies:
            gone = attrs.get("max-age") == "0" or not value
            if gone:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, fields, **kw):
        """POSTs fields ([(name, value)] or a dict) urlencoded."""
        items = list(fields.items()) if isinstance(fields, dict) else list(fields)
        body = urllib.parse.urlencode(items).encode("ascii")
        return self.request("POST", path, body=body,
                            content_type="application/x-www-form-urlencoded", **kw)

    def post_multipart(self, path, fields=(), files=(), **kw):
        items = list(fields.items()) if isinstance(fields, dict) else list(fields)
        body, ctype = multipart(items, files)
        return self.request("POST", path, body=body, content_type=ctype, **kw)


def describe(r):
    """The whole exchange of a Client response, for assertion messages."""
    sent = r.sent if isinstance(getattr(r, "sent", None), (bytes, type(None))) else b""
    sent = (sent or b"")
    shown = sent[:600] + (b"...(%d bytes)" % len(sent) if len(sent) > 600 else b"")
    try:
        body = page_text(r.body)[:800] if r.body else ""
    except UnicodeDecodeError:
        body = "%d bytes, not UTF-8: %r" % (len(r.body), r.body[:40])
    return "%s %s\n  sent: %r\n  -> %s %r\n  body: %s" % (
        getattr(r, "method", "?"), getattr(r, "path", "?"), shown, r.status, r.headers, body)


class _Forms(html.parser.HTMLParser):
    """Every <form>: action, method, enctype and its fields as a browser would submit them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._text = None  # (field name) of the open textarea
        self._select = None
        self._options = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "method": a.get("method", "get"),
                               "enctype": a.get("enctype", ""), "fields": [], "names": []})
            return
        if not self.forms:
            return
        f = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name:
            f["names"].append(name)
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            f["fields"].append([name, a.get("value", "on" if kind == "checkbox" else "")])
        elif tag == "textarea" and name:
            f["names"].append(name)
            f["fields"].append([name, ""])
            self._text = f["fields"][-1]
        elif tag == "select" and name:
            f["names"].append(name)
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((a.get("value"), "selected" in a, []))

    def handle_endtag(self, tag):
        if tag == "textarea":
            if self._text and self._text[1].startswith("\n"):
                self._text[1] = self._text[1][1:]  # as browsers do
            self._text = None
        elif tag == "select" and self._select and self.forms:
            chosen = [o for o in self._options if o[1]] or self._options[:1]
            if chosen:
                v, _, text = chosen[0]
                self.forms[-1]["fields"].append(
                    [self._select, v if v is not None else "".join(text).strip()])
            self._select = None

    def handle_data(self, data):
        if self._text is not None:
            self._text[1] += data
        elif self._select and self._options:
            self._options[-1][2].append(data)


def forms(body):
    p = _Forms()
    p.feed(body.decode("utf-8") if isinstance(body, bytes) else body)
    p.close()
    return p.forms


def find_form(body, action_path):
    """The form posting to action_path (absolute URLs compared by path), or None."""
    for f in forms(body):
        if urllib.parse.urlsplit(html.unescape(f["action"])).path == action_path:
            return f
    return None


def form_value(form, name):
    for k, v in form["fields"]:
        if k == name:
            return v
    return None


def staff_login(t, port, name, password):
    """Signs name in on the server at port through the real form and returns the Client,
    its csrf set to the token of its staff pages; fails the test t when that goes wrong."""
    c = Client(port)
    form = find_form(c.get("/staff/login").body, "/staff/login")
    r = c.post("/staff/login", {"name": name, "password": password,
                                "csrf": form_value(form, "csrf")})
    t.assertEqual(r.status, 303, describe(r))
    for f in forms(c.get("/staff").body):
        if form_value(f, "csrf"):
            c.csrf = form_value(f, "csrf")
            return c
    t.fail("no csrf token on /staff")


def text_nodes(fragment):
    """The non-empty visible text pieces of an HTML fragment, whitespace collapsed."""
    p = _Collector()
    p.feed(fragment.decode("utf-8") if isinstance(fragment, bytes) else fragment)
    p.close()
    out = []
    for t in p.text:
        t = re.sub(r"\s+", " ", t).strip()
        if t:
            out.append(t)
    return out


def audit_rows(db, after_id=0):
    """Audit entries with id > after_id as dicts (before/after decoded from JSON)."""
    out = sql(db, "SELECT json_group_array(json_object('id', id, 'actor_id', actor_id, "
                  "'actor', actor, 'entity', entity, 'entity_id', entity_id, 'action', "
                  "action, 'before', before, 'after', after)) FROM (SELECT * FROM audit "
                  "WHERE id > %d ORDER BY id);" % int(after_id),
              pg="SELECT json_agg(json_build_object('id', id, 'actor_id', actor_id, "
                 "'actor', actor, 'entity', entity, 'entity_id', entity_id, 'action', "
                 "action, 'before', \"before\"::text, 'after', \"after\"::text) ORDER BY id) "
                 "FROM audit WHERE id > %d;" % int(after_id))
    rows = json.loads(out or "[]")
    for r in rows:
        for k in ("before", "after"):
            r[k] = json.loads(r[k]) if r[k] is not None else None
    return rows


def audit_last_id(db):
    return int(sql(db, "SELECT coalesce(max(id), 0) FROM audit;"))


def report_key(db, report_id):
    """The hex key a report's words are sealed with (table report_key), or None once erased."""
    out = sql(db, "SELECT key FROM report_key WHERE report_id = %d;" % report_id)
    return out or None


def unseal(sealed, key_hex):
    """The text a report's sealed words ("mc1:" and base64 of nonce || secretbox) hold, opened
    with key_hex (PyNaCl, Debian's python3-nacl); None when that key does not open it."""
    import base64
    import nacl.exceptions
    import nacl.secret
    if not sealed or not sealed.startswith("mc1:") or not key_hex:
        return None
    box = base64.b64decode(sealed[4:])
    try:
        return nacl.secret.SecretBox(bytes.fromhex(key_hex)).decrypt(
            box[24:], box[:24]).decode("utf-8")
    except (nacl.exceptions.CryptoError, ValueError):
        return None


def sha256_hex(data):
    import hashlib
    return hashlib.sha256(data).hexdigest()


def small_pdf(text="motcham test"):
    """A minimal valid one-page PDF (cross-reference offsets computed)."""
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R >>"]
    stream = ("BT /F1 12 Tf 10 50 Td (%s) Tj ET" % text).encode("latin-1")
    objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
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


def small_png(seed=0, size=8):
    """A valid small greyscale PNG whose content depends on seed."""
    fd, path = tempfile.mkstemp(suffix=".png")
    os.close(fd)
    try:
        write_gray_png(path, [[(x * 31 + y * 17 + seed) % 256 for x in range(size)]
                              for y in range(size)])
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.unlink(path)


# === hostile input and faults (used by test_hostile and test_faults) =========================
# One block, appended; nothing above is changed.

def raw_exchange(port, data, timeout=10, limit=4 << 20):
    """Sends bytes as they are and reads the reply until the server closes, without raising
    when the server resets or stops reading. Returns (reply, how): how is 'eof', 'reset',
    'timeout' or 'limit'. Bounded in time and size."""
    deadline = time.monotonic() + timeout
    chunks, total, how = [], 0, "timeout"
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            how = "reset"  # the server may have answered already: read what is there
        while time.monotonic() < deadline and total < limit:
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                b = s.recv(65536)
            except socket.timeout:
                how = "timeout"
                break
            except ConnectionResetError:
                how = "reset"
                break
            if not b:
                how = "eof" if how != "reset" else how
                break
            chunks.append(b)
            total += len(b)
        else:
            how = "limit" if total >= limit else "timeout"
    return b"".join(chunks), how


def parse_response_at(data, pos=0, head=False):
    """(status, {lower-case header: value}, body, end offset) of the HTTP/1.x response that
    starts at data[pos], or None when it is incomplete. Understands Content-Length and
    chunked bodies; head=True: the answer to a HEAD, no body."""
    end = data.find(b"\r\n\r\n", pos)
    if end < 0:
        return None
    lines = data[pos:end].split(b"\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        raise AssertionError("not an HTTP status line: %r" % lines[0][:200])
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    pos, status = end + 4, int(m.group(1))
    if head or status in (204, 304) or 100 <= status < 200:
        return status, headers, b"", pos
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            nl = data.find(b"\r\n", pos)
            if nl < 0:
                return None
            size = int(data[pos:nl].split(b";")[0], 16)
            pos = nl + 2
            if size == 0:
                nl = data.find(b"\r\n", pos)
                return (status, headers, body, nl + 2) if nl >= 0 else None
            body += data[pos:pos + size]
            pos += size + 2
    if "content-length" in headers:
        n = int(headers["content-length"])
        if pos + n > len(data):
            return None
        return status, headers, data[pos:pos + n], pos + n
    return status, headers, data[pos:], len(data)


def parse_responses(data, head=False):
    """[(status, {lower-case header: value}, body)] of the HTTP/1.x responses in data, in
    order; an incomplete last one is left out. head: one bool for all, or one per response."""
    out, pos = [], 0
    while pos < len(data):
        h = head[len(out)] if isinstance(head, (list, tuple)) and len(out) < len(head) \
            else bool(head) if not isinstance(head, (list, tuple)) else False
        got = parse_response_at(data, pos, h)
        if got is None:
            break
        out.append(got[:3])
        pos = got[3]
    return out


def healthz_status(port, timeout=5):
    """Status of GET /healthz, or None when no answer came within timeout."""
    try:
        return request(port, "/healthz", timeout=timeout).status
    except (OSError, http.client.HTTPException):
        return None


def start_motcham(args, env=None, user=None):
    """Starts motcham ARGS in the background (a Popen; the caller waits or kills it)."""
    kw = {"user": user, "group": user, "extra_groups": []} if user is not None else {}
    return subprocess.Popen([BIN] + [str(a) for a in args], cwd=SRC, env=clean_env(env),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, **kw)


def run_as(user, args, timeout=CMD_TIMEOUT):
    """Runs motcham ARGS as another user (uid; also its gid); returns a Result."""
    p = start_motcham(args, user=user)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate(10)
    p.stdout, p.stderr = out, err
    return Result([str(a) for a in args], p)


def readable_by(uid):
    """None when user uid can run the built binary and read the templates and assets it
    serves (every directory on the way must let others through), else why not: a checkout
    inside a private directory (mktemp -d, a 0700 home) cannot be tested as another user."""
    for path in (BIN, os.path.join(SRC, "templates", "permit.html"),
                 os.path.join(SRC, "assets", "style.css")):
        parts = os.path.abspath(path).split(os.sep)
        for i in range(2, len(parts) + 1):
            here = os.sep.join(parts[:i]) or os.sep
            st = os.stat(here)
            need = stat.S_IXOTH if i < len(parts) or path == BIN else stat.S_IROTH
            if st.st_uid != uid and not st.st_mode & need:
                return "%s is closed to other users (mode %o)" % (here, st.st_mode & 0o777)
    return None


class ServerAs(Server):
    """A Server whose process runs as another user (uid; also its gid), e.g. 65534."""

    def __init__(self, db, user, **kw):
        super().__init__(db, **kw)
        self.user = user

    def _popen_extra(self):
        return {"user": self.user, "group": self.user, "extra_groups": []}

    def _own_spool(self):
        return False  # a directory made here would be root's, which that user may not use


def mount(args):
    """Runs mount ARGS; returns None on success, else the reason (for a skip message)."""
    try:
        p = subprocess.run(["mount"] + args, capture_output=True, timeout=30,
                           stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    return None if p.returncode == 0 else (p.stderr.decode(errors="replace").strip() or
                                           "mount exited %d" % p.returncode)


def umount(path):
    subprocess.run(["umount", path], capture_output=True, timeout=30, stdin=subprocess.DEVNULL)


def readonly_bind(src, dst):
    """Makes dst a read-only view of directory src; None on success, else the reason."""
    why = mount(["--bind", src, dst])
    if why:
        return why
    why = mount(["-o", "remount,bind,ro", dst])
    if why:
        umount(dst)
    return why


def permits_csv(path, n, prefix="K"):
    """A permits CSV of n valid rows with numbers NNN/GPSC-<prefix>."""
    rows = (permit_row("%d/GPSC-%s" % (i + 1, prefix)) for i in range(n))
    return write_csv(path, PERMIT_COLUMNS, rows)
# === end of hostile input and faults =========================================================


VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "source", "track", "wbr"}
BLOCK_TAGS = {"address", "article", "aside", "div", "dl", "fieldset", "footer", "form", "h1",
              "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p", "pre",
              "section", "table", "ul"}


class _Tree(html.parser.HTMLParser):
    """A forgiving element tree: {"tag", "attrs", "children"} with text as plain strings."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = {"tag": "#root", "attrs": {}, "children": []}
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        if tag in BLOCK_TAGS and self.stack[-1]["tag"] == "p":
            self.stack.pop()  # a block closes an open <p>
        el = {"tag": tag, "attrs": {k: v or "" for k, v in attrs}, "children": []}
        self.stack[-1]["children"].append(el)
        if tag not in VOID_TAGS:
            self.stack.append(el)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1]["children"].append({"tag": tag, "attrs": {k: v or "" for k, v in attrs},
                                           "children": []})

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i]["tag"] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        self.stack[-1]["children"].append(data)


def _controls(el):
    """Names of the visible named form controls inside el (el included)."""
    if isinstance(el, str):
        return []
    names = []
    if el["tag"] in ("input", "select", "textarea") and el["attrs"].get("name") and \
            el["attrs"].get("type", "").lower() != "hidden":
        names.append(el["attrs"]["name"])
    for c in el["children"]:
        names += _controls(c)
    return names


def _texts(el, out):
    if isinstance(el, str):
        t = re.sub(r"\s+", " ", el).strip()
        if t:
            out.append(t)
        return out
    if el["tag"] in ("textarea", "option", "script", "style"):
        return out  # values, not messages
    for c in el["children"]:
        _texts(c, out)
    return out


def field_blocks(body):
    """{field name: text pieces of the largest element around that control holding no other
    visible control}: the place a message about that field belongs. Option labels and
    textarea contents are left out."""
    t = _Tree()
    t.feed(body.decode("utf-8") if isinstance(body, bytes) else body)
    t.close()
    out = {}

    def walk(el, path):
        if isinstance(el, str):
            return
        path = path + [el]
        if el["tag"] in ("input", "select", "textarea") and el["attrs"].get("name"):
            name = el["attrs"]["name"]
            block = el
            for anc in reversed(path[:-1]):
                if set(_controls(anc)) - {name}:
                    break
                block = anc
            out.setdefault(name, _texts(block, []))
        for c in el["children"]:
            walk(c, path)
    walk(t.root, [])
    return out
