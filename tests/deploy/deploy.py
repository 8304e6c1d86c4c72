"""Helpers for the deployment tests (tests/deploy): the real motcham binary ($MOTCHAM), its
build directory ($MOTCHAM_BUILD), HTTP and HTTPS on loopback addresses only, with a timeout
on every wait. Python 3 standard library only; independent of tests/integration/mc.py.
"""

import http.client
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("MOTCHAM_SRC") or os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("MOTCHAM_BUILD") or os.path.join(SRC, "build")
BIN = os.path.abspath(os.environ.get("MOTCHAM") or os.path.join(BUILD, "motcham"))
FIXTURES = os.path.join(HERE, "fixtures")
SLUG = "phuong-7-quan-8"
TIMEOUT = 120
HTTP_TIMEOUT = 15
SANITIZER_RE = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:")


def env(extra=None):
    e = os.environ.copy()
    for k in ("MOTCHAM_DB", "MOTCHAM_HOME"):
        e.pop(k, None)
    e.setdefault("UBSAN_OPTIONS", "halt_on_error=1:abort_on_error=1:print_stacktrace=1")
    e.setdefault("ASAN_OPTIONS", "abort_on_error=1:detect_leaks=1")
    e.update(extra or {})
    return e


def run(args, binary=None, input=None, user=None, timeout=TIMEOUT, extra_env=None, cwd=None):
    """Runs motcham ARGS (or binary ARGS); returns the CompletedProcess with text output."""
    cmd = [binary or BIN] + [str(a) for a in args]
    if user:
        cmd = ["runuser", "-u", user, "--"] + cmd
    return subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout,
                          env=env(extra_env), cwd=cwd or tempfile.gettempdir())


def must(p):
    """p (a CompletedProcess), after checking that it exited 0."""
    if p.returncode != 0:
        raise AssertionError("%s exited %d\nstdout: %s\nstderr: %s"
                             % (" ".join(p.args), p.returncode, p.stdout[-2000:],
                                p.stderr[-3000:]))
    return p


def sh(cmd, timeout=TIMEOUT, check=True, input=None, **kw):
    """Runs a command (a list), with input (text) or nothing on standard input; returns the
    CompletedProcess with text output, after checking its exit status unless check is
    False."""
    if input is None:
        kw["stdin"] = subprocess.DEVNULL
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, input=input, **kw)
    return must(p) if check else p


def sqlite(db, sql):
    return sh(["sqlite3", "-batch", db, sql]).stdout.strip()


def add_user(db, name, role, password, ward=None):
    args = ["user", "add", "--db", db, "--name", name, "--role", role]
    if ward:
        args += ["--ward", ward]
    return must(run(args, input=password + "\n"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TempDir:
    def __init__(self, prefix="motcham-deploy-"):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def join(self, *parts):
        return os.path.join(self.path, *parts)

    def cleanup(self):
        shutil.rmtree(self.path, ignore_errors=True)


class Server:
    """`motcham serve ARGS` (or another command line) until stop(); start() waits for the
    "serving on http://HOST:PORT/" line and sets self.port."""

    URL_RE = re.compile(r"serving on http://[0-9.]+:(\d+)/")
    SERVING_RE = re.compile(r"serving on \S+")

    def __init__(self, args, cmd=None, start_timeout=20, env=None, **popen):
        self.cmd = cmd or [BIN, "serve"]
        self.args = [str(a) for a in args]
        self.env = env
        self.popen = popen  # more subprocess.Popen arguments (user=, group=, ...)
        port = self.args[self.args.index("--port") + 1] if "--port" in self.args else "0"
        self.fixed_port = int(port) if port.isdigit() and int(port) else None
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self._err = None
        self._drain = None

    def start(self):
        self._err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.cmd + self.args, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self._err,
                                     env=env(self.env), cwd=tempfile.gettempdir(),
                                     **self.popen)
        deadline, buf = time.monotonic() + self.start_timeout, b""
        while time.monotonic() < deadline and self.port is None:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
                text = buf.decode("utf-8", "replace")
                m = self.URL_RE.search(text)
                if m:
                    self.port = int(m.group(1))
                elif self.fixed_port and self.SERVING_RE.search(text):
                    self.port = self.fixed_port  # another --base-url: the port asked for
            elif self.proc.poll() is not None:
                break
        if self.port is None:
            self.stop(signal.SIGKILL)
            raise AssertionError("server did not start: stdout %r stderr %s"
                                 % (buf[-500:], self.stderr()[-2000:]))
        self._drain = threading.Thread(target=self._read_out, daemon=True)
        self._drain.start()
        return self

    def _read_out(self):
        try:
            while self.proc.stdout.read(65536):
                pass
        except (OSError, ValueError):
            pass

    def stderr(self):
        if not self._err:
            return ""
        self._err.seek(0)
        return self._err.read().decode("utf-8", "replace")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the server; returns its exit status (None when it had to be killed)."""
        if self.proc is None:
            return None
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(sig)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
                rc = None
        if self._drain:
            self._drain.join(5)
        self.proc.stdout.close()
        return rc

    def close(self):
        """Stops the server and raises unless it exited 0 in time without a sanitizer
        report; returns what it wrote to standard error."""
        if self.proc is None:
            return ""
        rc = self.stop()
        err = self.stderr()
        self._err.close()
        self.proc = None
        if rc != 0 or SANITIZER_RE.search(err):
            raise AssertionError("server did not stop cleanly (rc %s): %s" % (rc, err[-3000:]))
        return err

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # [(name, value)]
        self.body = body

    def header(self, name):
        values = self.all(name)
        return values[0] if values else None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def __repr__(self):
        return "HTTP %s %r %r" % (self.status, self.headers, self.body[:300])


class Client:
    """HTTP or HTTPS (context given) to host:port, from a chosen loopback source address, with
    a small cookie jar. Every request is a new connection."""

    def __init__(self, port, host="127.0.0.1", source=None, context=None, headers=None):
        self.port, self.host, self.source, self.context = port, host, source, context
        self.headers = dict(headers or {})
        self.cookies = {}
        self.set_cookies = []  # (name, value, {attribute: value}) of the last response

    def request(self, method, path, body=None, headers=None):
        h = dict(self.headers)
        h.update(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        src = (self.source, 0) if self.source else None
        if self.context:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=HTTP_TIMEOUT,
                                               source_address=src, context=self.context)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=HTTP_TIMEOUT,
                                              source_address=src)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            resp = Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()
        self.set_cookies = [parse_set_cookie(v) for v in resp.all("Set-Cookie")]
        for name, value, attrs in self.set_cookies:
            if value and attrs.get("max-age") != "0":
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_form(self, path, fields):
        body = urllib.parse.urlencode(fields).encode("ascii")
        return self.request("POST", path, body=body,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})

    def post_multipart(self, path, fields):
        body, ctype = multipart(fields)
        return self.request("POST", path, body=body, headers={"Content-Type": ctype})


def parse_set_cookie(value):
    parts = [p.strip() for p in value.split(";")]
    name, _, val = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        if p:
            k, eq, v = p.partition("=")
            attrs[k.strip().lower()] = v.strip() if eq else True
    return name.strip(), val.strip(), attrs


def multipart(fields, files=()):
    """(body, content type) of a multipart/form-data form: text fields [(name, value)] and
    files [(name, file name, content type, bytes)]."""
    boundary = "----motcham-deploy-%s" % os.urandom(8).hex()
    out = []
    for name, value in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n"
                    % (boundary, name, value)).encode("utf-8"))
    for name, filename, ctype, data in files:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                    "Content-Type: %s\r\n\r\n" % (boundary, name, filename, ctype))
                   .encode("utf-8") + data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode("ascii"))
    return b"".join(out), "multipart/form-data; boundary=" + boundary


def hidden(body, name):
    """The value of the hidden input called name in an HTML page, or None."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    m = re.search(r'<input type="hidden" name="%s" value="([^"]*)"' % re.escape(name), text)
    return m.group(1) if m else None


def sign_in(c, name, password):
    """Signs in through Client c; returns the answer to the POST (303 on success)."""
    page = c.get("/staff/login")
    if page.status != 200:
        raise AssertionError("GET /staff/login: %r" % page)
    return c.post_form("/staff/login", {"name": name, "password": password,
                                        "csrf": hidden(page.body, "csrf") or ""})


def permit_ids(db, n):
    """Ids of n permits of the demo ward open to reports (issued or in progress)."""
    out = sqlite(db, "SELECT p.id FROM permit p JOIN ward w ON w.id = p.ward_id WHERE "
                     "w.slug = '%s' AND p.status IN ('issued', 'in_progress') ORDER BY p.id "
                     "LIMIT %d;" % (SLUG, n))
    return [int(x) for x in out.split()]


def report(c, permit_id, i):
    """Sends resident report number i about a permit through Client c (the form's token is
    read from the permit's page first); returns the answer to the POST."""
    page = c.get("/w/%s/permits/%d" % (SLUG, permit_id))
    if page.status != 200:
        raise AssertionError("permit page: %r" % page)
    fields = [("token", hidden(page.body, "token") or ""), ("category", "other"),
              ("description", "Phản ánh số %d: công trình thi công ồn ào ban đêm." % i),
              ("contact", "")]
    return c.post_multipart("/w/%s/permits/%d/report" % (SLUG, permit_id), fields)
