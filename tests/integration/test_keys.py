"""Keys worth stealing, attacked against the real server (issue 14): the ward's keychain code,
on thousands of keychains, which only an admin may retire, after a confirmation naming the
ward and the replacement, and which can be brought back within 7 days; and the secret that
keys client addresses, which is not in the database, so that a copy of the database does not
give the addresses back to whoever hashes every address there is."""

import hashlib
import os
import re
import stat
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

SLUG = mc.SLUG
PASSWORDS = {"lan": "mat-khau-cua-lan-1", "giamsat": "mat-khau-giam-sat-3",
             "quantri": "mat-khau-quan-tri-4"}
ROLES = {"lan": "staff", "giamsat": "supervisor", "quantri": "admin"}
TOKEN_RE = re.compile(r"[0-9A-HJKMNP-TV-Z]{9}")
RATCHET = b"motcham client key ratchet"


def login(port, name, source=None):
    c = mc.Client(port, source)
    form = mc.find_form(c.get("/staff/login").body, "/staff/login")
    r = c.post("/staff/login", {"name": name, "password": PASSWORDS[name],
                                "csrf": mc.form_value(form, "csrf")})
    assert r.status == 303, mc.describe(r)
    r = c.get("/staff/password")
    c.csrf = mc.form_value(mc.find_form(r.body, "/staff/logout"), "csrf")
    return c


class WardCode(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "keychain.db")
        cls.srv = None
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        for name, pw in PASSWORDS.items():
            mc.add_user(cls.db, name, ROLES[name], pw, SLUG if name == "lan" else None)
        cls.ward_id = int(mc.sql(cls.db, "SELECT id FROM ward WHERE slug = '%s';" % SLUG))
        cls.ward_name = mc.sql(cls.db, "SELECT name FROM ward WHERE id = %d;" % cls.ward_id)
        cls.srv = mc.Server(cls.db).start()
        cls.port = cls.srv.port

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.srv:
                cls.srv.close()
        finally:
            cls.t.cleanup()

    def active_code(self):
        return mc.sql(self.db, "SELECT token FROM code WHERE target_kind = 'ward' AND "
                               "target_id = %d AND revoked_at IS NULL ORDER BY id DESC LIMIT 1;"
                      % self.ward_id)

    def codes(self):
        return mc.sql(self.db, "SELECT id, token, coalesce(revoked_at, '-'), "
                               "coalesce(replaced_by, 0) FROM code WHERE target_kind = 'ward' "
                               "ORDER BY id;")

    def retire(self, c, token, **fields):
        return c.post("/staff/codes/%s/retire" % token, dict(fields, csrf=c.csrf))

    def assert_untouched(self, before, last, r):
        self.assertEqual(self.codes(), before, mc.describe(r))
        self.assertEqual(mc.audit_last_id(self.db), last, "audited: " + mc.describe(r))

    def test_only_an_admin_retires_the_keychain_code(self):
        token = self.active_code()
        before, last = self.codes(), mc.audit_last_id(self.db)
        other = mc.sql(self.db, "SELECT token FROM code WHERE target_kind = 'permit' LIMIT 1;")
        for name in ("lan", "giamsat"):
            c = login(self.port, name)
            page = c.get("/staff/keychain?ward=%s" % SLUG)
            self.assertEqual(page.status, 200, mc.describe(page))
            self.assertIn(token, mc.page_text(page.body))
            self.assertIsNone(mc.find_form(page.body, "/staff/codes/%s/retire" % token))
            # Whatever is posted, however it is confirmed: refused, nothing changes.
            for fields in ({}, {"replacement": ""}, {"replacement": other},
                           {"replacement": "", "confirm": SLUG},
                           {"replacement": other, "fresh": "0", "confirm": SLUG}):
                r = self.retire(c, token, **fields)
                self.assertEqual(r.status, 403, "%s %r: %s" % (name, fields, mc.describe(r)))
                self.assert_untouched(before, last, r)
        r = mc.request(self.port, "/q/" + token)
        self.assertEqual(r.status, 200, r)

    def test_admin_confirms_naming_ward_and_replacement_then_undoes(self):
        admin = login(self.port, "quantri")
        token = self.active_code()
        page = admin.get("/staff/keychain?ward=%s" % SLUG)
        self.assertIsNotNone(mc.find_form(page.body, "/staff/codes/%s/retire" % token))
        before, last = self.codes(), mc.audit_last_id(self.db)
        # Asking: a confirmation page that names the ward, the code and its replacement,
        # and changes nothing yet.
        r = self.retire(admin, token, replacement="")
        self.assertEqual(r.status, 200, mc.describe(r))
        self.assert_untouched(before, last, r)
        text = mc.page_text(r.body)
        self.assertIn(self.ward_name, text)
        self.assertIn(token, text)
        form = mc.find_form(r.body, "/staff/codes/%s/retire" % token)
        repl = mc.form_value(form, "replacement")
        self.assertRegex(repl, TOKEN_RE)
        self.assertNotEqual(repl, token)
        self.assertIn(repl, text, "the confirmation does not name the replacement")
        self.assertIn("confirm", form["names"])
        fields = {k: v for k, v in form["fields"] if k != "csrf"}
        # A wrong or missing slug confirms nothing.
        for typed in ("", "phuong-khac", self.ward_name, SLUG.upper()):
            r = self.retire(admin, token, **dict(fields, confirm=typed))
            self.assertEqual(r.status, 422, mc.describe(r))
            self.assert_untouched(before, last, r)
        r = self.retire(admin, token, **dict(fields, confirm=" %s " % SLUG))
        self.assertEqual(r.status, 303, mc.describe(r))
        rows = mc.audit_rows(self.db, last)
        self.assertEqual([(e["entity"], e["action"], e["actor"]) for e in rows],
                         [("code", "create", "quantri"), ("code", "revoke", "quantri")])
        self.assertEqual(self.active_code(), repl)
        old = mc.sql(self.db, "SELECT r.token FROM code c JOIN code r ON r.id = c.replaced_by "
                              "WHERE c.token = '%s';" % token)
        self.assertEqual(old, repl)
        r = mc.request(self.port, "/q/" + token)
        self.assertEqual(r.status, 410, r)
        self.assertIn(repl, r.text)
        self.assertEqual(mc.request(self.port, "/q/" + repl).status, 200)
        # Staff cannot bring it back; the admin can, within the week.
        lan = login(self.port, "lan")
        r = lan.post("/staff/codes/%s/restore" % token, {"csrf": lan.csrf})
        self.assertEqual(r.status, 403, mc.describe(r))
        page = admin.get("/staff/keychain?ward=%s" % SLUG)
        self.assertIsNotNone(mc.find_form(page.body, "/staff/codes/%s/restore" % token))
        last = mc.audit_last_id(self.db)
        r = admin.post("/staff/codes/%s/restore" % token, {"csrf": admin.csrf})
        self.assertEqual(r.status, 303, mc.describe(r))
        self.assertEqual([(e["entity"], e["action"]) for e in mc.audit_rows(self.db, last)],
                         [("code", "restore")])
        r = mc.request(self.port, "/q/" + token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(mc.request(self.port, "/q/" + repl).status, 200)

    def test_undo_ends_after_seven_days_and_replacements_stay_in_the_ward(self):
        admin = login(self.port, "quantri")
        token = self.active_code()
        other_ward = mc.sql(self.db, "SELECT token FROM code WHERE target_kind = 'ward' AND "
                                     "target_id <> %d AND revoked_at IS NULL LIMIT 1;"
                            % self.ward_id)
        permit = mc.sql(self.db, "SELECT token FROM code WHERE target_kind = 'permit' AND "
                                 "revoked_at IS NULL LIMIT 1;")
        before, last = self.codes(), mc.audit_last_id(self.db)
        for typed in [permit, other_ward, token, "KHONGPHAI"]:
            if not typed:
                continue
            r = self.retire(admin, token, replacement=typed, fresh="0", confirm=SLUG)
            self.assertEqual(r.status, 422, "replacement %s: %s" % (typed, mc.describe(r)))
            self.assert_untouched(before, last, r)
        r = self.retire(admin, token, replacement="")
        fields = {k: v for k, v in mc.find_form(r.body, "/staff/codes/%s/retire" % token)
                  ["fields"] if k != "csrf"}
        r = self.retire(admin, token, **dict(fields, confirm=SLUG))
        self.assertEqual(r.status, 303, mc.describe(r))
        # Eight days on, the undo is gone.
        mc.sql(self.db, "UPDATE code SET revoked_at = '%s' WHERE token = '%s';"
               % (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 8 * 86400)),
                  token))
        page = admin.get("/staff/keychain?ward=%s" % SLUG)
        self.assertIsNone(mc.find_form(page.body, "/staff/codes/%s/restore" % token))
        last = mc.audit_last_id(self.db)
        r = admin.post("/staff/codes/%s/restore" % token, {"csrf": admin.csrf})
        self.assertEqual(r.status, 422, mc.describe(r))
        self.assertEqual(mc.audit_last_id(self.db), last)
        self.assertEqual(mc.request(self.port, "/q/" + token).status, 410)


class ClientKey(unittest.TestCase):
    """Sign-in failures from several clients, then the database copied: the copy holds the
    clients' keys, the per-database secret and the code that made them, and still no
    address comes back from hashing every candidate."""

    def setUp(self):
        self.t = mc.TempDir()
        self.db = mc.new_db(self.t, "clients.db")
        self.assertEqual(mc.run(["demo", "--db", self.db]).rc, 0)
        self.keyfile = self.t.join("client.key")
        self.srv = None

    def tearDown(self):
        try:
            if self.srv:
                self.srv.close()
        finally:
            self.t.cleanup()

    def serve(self, *extra):
        self.srv = mc.Server(self.db, extra=list(extra)).start()
        return self.srv.port

    def stop(self):
        self.srv.close()
        self.srv = None

    def fail_sign_in(self, port, source):
        c = mc.Client(port, source)
        form = mc.find_form(c.get("/staff/login").body, "/staff/login")
        r = c.post("/staff/login", {"name": "khong-co-ai", "password": "sai-mat-khau-1",
                                    "csrf": mc.form_value(form, "csrf")})
        self.assertEqual(r.status, 401, mc.describe(r))

    def stored_keys(self):
        keys = set()
        for k in mc.sql(self.db, "SELECT key FROM throttle WHERE key LIKE 'client:%' OR "
                                 "key LIKE 'pair:%';").split():
            keys.add(k.split("|")[-1].split(":")[-1])
        return keys

    def key_of(self, secret_hex, addr):
        return hashlib.sha256(("%s|%s" % (secret_hex, addr)).encode()).hexdigest()

    def read_keyfile(self, path=None):
        with open(path or self.keyfile) as f:
            magic, version, period, hex_ = f.read().split()
        self.assertEqual((magic, version), ("motcham-client-key", "1"))
        return int(period), hex_

    def test_a_copy_of_the_database_does_not_give_addresses_back(self):
        port = self.serve()
        sources = ["127.0.61.%d" % i for i in range(1, 6)]
        for s in sources:
            self.fail_sign_in(port, s)
        self.stop()
        keys = self.stored_keys()
        self.assertEqual(len(keys), len(sources), keys)
        dump = mc.db_dump(self.db)
        self.assertNotIn(b"127.0.61.", dump)
        secret = mc.sql(self.db, "SELECT value FROM setting WHERE key = 'secret';")
        candidates = ["127.0.61.%d" % i for i in range(256)] + ["127.0.0.1"]
        found = [a for a in candidates if self.key_of(secret, a) in keys]
        self.assertEqual(found, [], "the database's own secret gives the addresses back")
        if mc.is_pg(self.db):
            return  # the key was in the server's memory only, and is gone with it
        # The key is the file's beside the database, which the database does not hold, and
        # which only its owner may read.
        path = self.db + ".client-key"
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        period, hex_ = self.read_keyfile(path)
        self.assertEqual(period, int(time.time()) // 86400)
        self.assertNotIn(hex_.encode(), dump)
        self.assertEqual({self.key_of(hex_, s) for s in sources}, keys)

    def test_the_key_outlasts_a_restart_and_moves_on_each_day(self):
        port = self.serve("--client-key", self.keyfile)
        self.fail_sign_in(port, "127.0.62.1")
        self.stop()
        period, k0 = self.read_keyfile()
        port = self.serve("--client-key", self.keyfile)
        self.fail_sign_in(port, "127.0.62.1")
        self.assertEqual(mc.sql(self.db, "SELECT failures FROM throttle WHERE key = 'client:%s';"
                                % self.key_of(k0, "127.0.62.1")), "2",
                         "a restart forgot the client")
        self.stop()
        # As if the file had been written the day before: the server moves the key on by
        # one ratchet step and forgets the old one.
        with open(self.keyfile, "w") as f:
            f.write("motcham-client-key 1 %d %s\n" % (period - 1, k0))
        port = self.serve("--client-key", self.keyfile)
        self.fail_sign_in(port, "127.0.62.1")
        self.stop()
        now, k1 = self.read_keyfile()
        self.assertEqual(now, period)
        self.assertEqual(k1, hashlib.sha256(RATCHET + bytes.fromhex(k0)).hexdigest())
        with open(self.keyfile) as f:
            self.assertNotIn(k0, f.read())
        self.assertIn(self.key_of(k1, "127.0.62.1"), self.stored_keys())

    def test_a_broken_key_file_stops_the_server(self):
        with open(self.keyfile, "w") as f:
            f.write("not a key\n")
        r = mc.run(["serve", "--db", self.db, "--port", "0", "--client-key", self.keyfile],
                   timeout=30)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("not a motcham client key file", r.err)


if __name__ == "__main__":
    mc.main()
