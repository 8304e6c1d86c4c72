"""Keys worth stealing, attacked against the real server (issue 14): the ward's keychain code,
on thousands of keychains, which only an admin may retire, after a confirmation naming the
ward and the replacement, and which can be brought back within 7 days."""

import os
import re
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


if __name__ == "__main__":
    mc.main()
