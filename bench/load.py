#!/usr/bin/env python3
"""Background load for bench/mixed, until it is killed (SIGTERM) or DURATION seconds pass.

  load.py writes PORT USER PASSWORD RATE DURATION   signs in once, then edits a procedure's
                                                    fees RATE times a second (real staff
                                                    writes, each one audited)
  load.py attack PORT STREAMS DURATION              STREAMS threads of wrong sign-ins, each
                                                    attempt with a name and a source address
                                                    of its own, so no throttle spares the
                                                    server its Argon2id

Prints one line at the end: what it did and how many answers were 5xx or failed.
Standard library only; talks to 127.0.0.1 only.
"""
import html.parser
import http.client
import re
import signal
import sys
import threading
import time
import urllib.parse

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())


def request(port, method, path, body=None, cookies=None, source=None):
    h = {}
    if cookies:
        h["Cookie"] = "; ".join("%s=%s" % kv for kv in cookies.items())
    if body is not None:
        h["Content-Type"] = "application/x-www-form-urlencoded"
        body = urllib.parse.urlencode(body).encode()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30,
                                   source_address=(source, 0) if source else None)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        jar = dict(cookies or {})
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                jar[name] = rest.split(";", 1)[0]
        return r.status, data.decode("utf-8", "replace"), jar
    finally:
        c.close()


def csrf_of(page):
    m = re.search(r'name="csrf" value="([0-9a-f]{64})"', page)
    return m.group(1) if m else ""


class _Form(html.parser.HTMLParser):
    """The fields of the form posting to one action: inputs' values, textareas' text."""

    def __init__(self, action):
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.fields, self.text = action, False, {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action") == self.action
        elif self.inside and tag == "input" and a.get("name"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields[a["name"]] = a.get("value") or ""
        elif self.inside and tag == "textarea" and a.get("name"):
            self.text = a["name"]
            self.fields[self.text] = ""

    def handle_data(self, data):
        if self.text:
            self.fields[self.text] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self.text = None
        elif tag == "form":
            self.inside = False


def form_fields(page, action):
    f = _Form(action)
    f.feed(page)
    return f.fields


def writes(port, user, password, rate, duration):
    # wrk's 64 connections from 127.0.0.1 fill that address's share (serve --max-per-client):
    # the staff member sits at another machine.
    src = "127.0.0.2"
    _, page, jar = request(port, "GET", "/staff/login", source=src)
    status, _, jar = request(port, "POST", "/staff/login",
                             {"name": user, "password": password, "csrf": csrf_of(page)}, jar,
                             source=src)
    if status != 303:
        sys.exit("load.py: sign-in answered %d" % status)
    _, page, jar = request(port, "GET", "/staff", cookies=jar, source=src)
    pid = re.search(r'href="/staff/procedures/(\d+)"', page).group(1)
    _, page, jar = request(port, "GET", "/staff/procedures/" + pid, cookies=jar, source=src)
    fields = form_fields(page, "/staff/procedures/" + pid)
    done = bad = 0
    t0 = time.monotonic()
    while not stop.is_set() and time.monotonic() - t0 < duration:
        fields["fees"] = "%d.000 đồng" % (done % 50)
        try:
            status, _, jar = request(port, "POST", "/staff/procedures/" + pid, fields, jar,
                                     source=src)
            bad += status >= 500 or status not in (303,)
        except OSError:
            bad += 1
        done += 1
        time.sleep(max(0.0, t0 + done / rate - time.monotonic()))
    print("writes: %d edits in %.0f s, %d not accepted" % (done, time.monotonic() - t0, bad))


def attack(port, streams, duration):
    counts = [0] * streams
    bad = [0]

    def one(n):
        i = 0
        t0 = time.monotonic()
        while not stop.is_set() and time.monotonic() - t0 < duration:
            i += 1
            src = "127.0.%d.%d" % (20 + n, 1 + i % 250)
            try:
                _, page, jar = request(port, "GET", "/staff/login", source=src)
                status, _, _ = request(port, "POST", "/staff/login",
                                       {"name": "khach-%d-%d" % (n, i), "password": "sai-%d" % i,
                                        "csrf": csrf_of(page)}, jar, source=src)
                bad[0] += status >= 500
            except OSError:
                pass
            counts[n] += 1

    threads = [threading.Thread(target=one, args=(n,)) for n in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("attack: %d sign-in attempts from %d streams, %d answered 5xx" % (sum(counts), streams,
                                                                           bad[0]))


if __name__ == "__main__":
    if sys.argv[1] == "writes":
        writes(int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5]), float(sys.argv[6]))
    else:
        attack(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]))
