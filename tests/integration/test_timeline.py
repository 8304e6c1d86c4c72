"""Issue 14: a permit's timeline on /supervise/permits/ID shows an audit entry's content only
when the entry verifies: its hash is that of its canonical bytes, its prev_hash is the stored
hash of the entry before it, and its leaf in the stored Merkle tree is the leaf hash of its
canonical bytes. Any other entry is a warning row with nothing of its content, and the page
says how many it hid.

Tampering is done as a dishonest operator with the database file would: with the database's
own shell (sqlite3 or psql), the append-only guard lifted first (mc.unlock_audit_sql), and,
for the worst cases, with the documented chain scheme at hand (test_log.canonical) to
recompute what the forgery broke. Every test runs on either backend (backend.py).
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402
from test_log import canonical, entries, q, unlock  # noqa: E402

PASSWORDS = {"lan": "mat-khau-cua-lan-1", "giamsat": "mat-khau-giam-sat-3"}
REASON = "Tạm dừng: thi công vượt phép tầng 3"
FORGED = "Lê Văn Giả Mạo"
WARNING = "không khớp chuỗi kiểm tra"


class Timeline(unittest.TestCase):
    """The demo's first permit (its create entry, its code's, and a status change made by
    staff), on a database and server of each test's own."""

    def setUp(self):
        self.tmp = mc.TempDir()
        self.db = mc.new_db(self.tmp, "t.db")
        r = mc.run(["demo", "--db", self.db])
        self.assertEqual(r.rc, 0, r)
        mc.add_user(self.db, "lan", "staff", PASSWORDS["lan"], mc.SLUG)
        mc.add_user(self.db, "giamsat", "supervisor", PASSWORDS["giamsat"])
        self.srv = mc.Server(self.db).start()
        self.pid = int(mc.sql(self.db, "SELECT min(id) FROM permit WHERE ward_id = 1;"))
        lan = mc.staff_login(self, self.srv.port, "lan", PASSWORDS["lan"])
        r = lan.post("/staff/permits/%d/status" % self.pid,
                     {"status": "suspended", "reason": REASON, "csrf": lan.csrf})
        self.assertEqual(r.status, 303, mc.describe(r))
        self.sup = mc.staff_login(self, self.srv.port, "giamsat", PASSWORDS["giamsat"])
        # The permit's entries, written independently of the server's query: its own and its
        # code's (the demo gives it no files, inspections or reports).
        self.ids = [int(x) for x in mc.sql(
            self.db, "SELECT id FROM audit WHERE (entity = 'permit' AND entity_id = %d) OR "
                     "(entity = 'code' AND json_extract(after, '$.target_kind') = 'permit' "
                     "AND json_extract(after, '$.target_id') = %d) ORDER BY id;"
            % (self.pid, self.pid),
            pg="SELECT id FROM audit WHERE (entity = 'permit' AND entity_id = %d) OR "
               "(entity = 'code' AND \"after\"::json ->> 'target_kind' = 'permit' AND "
               "(\"after\"::json ->> 'target_id')::bigint = %d) ORDER BY id;"
            % (self.pid, self.pid)).split()]
        self.assertEqual(len(self.ids), 3, self.ids)
        self.create, self.code, self.status = self.ids
        self.assertEqual(self.code, self.create + 1, "the code is made right after its permit")
        self.owner = mc.sql(self.db, "SELECT owner_name FROM permit WHERE id = %d;" % self.pid)

    def tearDown(self):
        self.srv.close()
        self.tmp.cleanup()

    # --- helpers -----------------------------------------------------------------------------

    def tamper(self, sql, pg=None):
        """Runs sql (on PostgreSQL pg, when given) with the trail's append-only guard lifted."""
        unlock = mc.unlock_audit_sql(self.db)
        mc.sql(self.db, unlock + sql, pg=None if pg is None else unlock + pg)

    def forge(self, entry, rehash, was=None):
        """Writes FORGED for was (the owner's true name when None) in entry's after-values;
        with rehash, also its hash recomputed from the forged content as the documented
        scheme says."""
        was = was or self.owner
        e = next(x for x in entries(self.db) if x["id"] == entry)
        self.assertIn(was, e["after"])
        e["after"] = e["after"].replace(was, FORGED)
        sets = "after = %s" % q(e["after"])
        if rehash:
            e["hash"] = mc.sha256_hex(canonical(e))
            sets += ", hash = %s" % q(e["hash"])
        self.tamper("UPDATE audit SET %s WHERE id = %d;" % (sets, entry))

    def rechain_from(self, entry):
        """Recomputes prev_hash and hash of entry and of every entry after it, in order, as a
        forger who knows the chain's scheme would, so that `audit verify` finds nothing."""
        rows = entries(self.db)
        prev = rows[entry - 2]["hash"] if entry > 1 else "0" * 64
        sql = []
        for e in rows[entry - 1:]:
            e = dict(e, prev_hash=prev)
            e["hash"] = prev = mc.sha256_hex(canonical(e))
            sql.append("UPDATE audit SET prev_hash = '%s', hash = '%s' WHERE id = %d;"
                       % (e["prev_hash"], e["hash"], e["id"]))
        self.tamper("BEGIN;" + "".join(sql) + "COMMIT;")

    def page(self):
        """The permit's page: (its text, {id: shown row's HTML}, [ids of hidden rows],
        the hidden count it states or None)."""
        r = self.sup.get("/supervise/permits/%d" % self.pid)
        self.assertEqual(r.status, 200, mc.describe(r))
        m = re.search(r'<h2 id="timeline">(.*?)<h2 id="inspections">', r.text, re.S)
        self.assertTrue(m, mc.describe(r))
        timeline = m.group(1)
        shown = {int(i): text for i, text in re.findall(
            r'<li data-audit="(\d+)" data-entity="\w+" data-action="\w+">(.*?)'
            r'(?=<li data-audit=|<li class="alert"|</ol>)', timeline, re.S)}
        hidden = [int(i) for i in re.findall(r'<li class="alert" data-hidden="(\d+)">',
                                             timeline)]
        for i in hidden:
            row = re.search(r'<li class="alert" data-hidden="%d">(.*?)</li>' % i,
                            timeline, re.S).group(1)
            self.assertIn("Mục nhật ký #%d %s — nội dung bị ẩn" % (i, WARNING),
                          mc.page_text(row))
            self.assertIn("motcham audit verify", mc.page_text(row))
        m = re.search(r'<p class="alert" id="timeline-hidden"[^>]*>(.*?)</p>', timeline, re.S)
        count = None
        if m:
            c = re.search(r"Đã ẩn (\d+) mục nhật ký", mc.page_text(m.group(1)))
            self.assertTrue(c, m.group(1))
            count = int(c.group(1))
        return r.text, shown, hidden, count

    def assert_shown_normally(self, shown, ids):
        """Each of ids is shown with its content: the create entry with the owner's true
        name, the status change with its reason."""
        for i in ids:
            self.assertIn(i, shown)
            self.assertIn('<span class="who">', shown[i])
        if self.create in ids:
            self.assertIn(self.owner, mc.page_text(shown[self.create]))
        if self.status in ids:
            self.assertIn(REASON, mc.page_text(shown[self.status]))

    def assert_verify_fails(self):
        r = mc.run(["audit", "verify", "--db", self.db])
        self.assertEqual(r.rc, 1, r)

    # --- tests -------------------------------------------------------------------------------

    def test_untouched_entries_are_shown(self):
        text, shown, hidden, count = self.page()
        self.assertEqual((sorted(shown), hidden, count), (self.ids, [], None))
        self.assert_shown_normally(shown, self.ids)
        self.assertNotIn(WARNING, text)
        # Numbers as people wrote them: a height of 7.8 m is not shown as 7.7999999999999998.
        height = mc.sql(self.db, "SELECT height_m FROM permit WHERE id = %d;" % self.pid)
        self.assertRegex(mc.page_text(shown[self.create]), r"(?<![\d.])%s(?![\d])"
                         % re.escape(height.rstrip("0").rstrip(".") if "." in height else height))
        self.assertNotRegex(text, r"\d\.\d{12,}")

    def test_edited_entry_is_hidden(self):
        self.forge(self.create, rehash=False)
        self.assert_verify_fails()
        text, shown, hidden, count = self.page()
        self.assertEqual((hidden, count), ([self.create], 1))
        self.assertNotIn(FORGED, text)
        self.assertNotIn(FORGED, mc.page_text(text))
        self.assertEqual(sorted(shown), [self.code, self.status])
        self.assert_shown_normally(shown, [self.code, self.status])

    def test_edited_field_outside_the_values_is_hidden(self):
        # Who made it is content too.
        self.tamper("UPDATE audit SET actor = 'ke-gia-mao' WHERE id = %d;" % self.status)
        text, shown, hidden, count = self.page()
        self.assertEqual((hidden, count), ([self.status], 1))
        self.assertNotIn("ke-gia-mao", text)
        self.assert_shown_normally(shown, [self.create, self.code])

    def test_rehashed_entry_is_hidden(self):
        # Its own hash matches again, but its leaf in the tree does not, and the next entry
        # no longer follows it.
        self.forge(self.create, rehash=True)
        self.assert_verify_fails()
        text, shown, hidden, count = self.page()
        self.assertEqual((hidden, count), ([self.create, self.code], 2))
        self.assertNotIn(FORGED, text)
        self.assertEqual(sorted(shown), [self.status])
        self.assert_shown_normally(shown, [self.status])

    def test_rechained_trail_is_hidden_by_the_tree(self):
        # The whole chain from the forgery on recomputed: `audit verify` finds nothing, the
        # stored tree still has every leaf as it was.
        self.forge(self.create, rehash=False)
        self.rechain_from(self.create)
        r = mc.run(["audit", "verify", "--db", self.db])
        self.assertEqual(r.rc, 0, r)
        text, shown, hidden, count = self.page()
        self.assertEqual((hidden, count), (self.ids, 3))
        self.assertEqual(shown, {})
        self.assertNotIn(FORGED, text)

    def test_newest_entry_without_its_leaf_is_hidden(self):
        # The newest entry has no entry after it whose link would break: a forger rehashes it
        # and takes its leaf away, as if the tree had not reached it yet. It always has: the
        # leaf is written in the entry's own transaction.
        self.assertEqual(self.status, mc.audit_last_id(self.db))
        self.forge(self.status, rehash=True, was=REASON)
        mc.sql(self.db, unlock(self.db) + "DELETE FROM log_node WHERE level = 0 AND idx = %d;"
               % (self.status - 1))
        r = mc.run(["audit", "verify", "--db", self.db])
        self.assertEqual(r.rc, 0, r)
        text, shown, hidden, count = self.page()
        self.assertEqual((hidden, count), ([self.status], 1))
        self.assertNotIn(FORGED, text)
        self.assert_shown_normally(shown, [self.create, self.code])

    def test_entry_after_a_deleted_one_is_hidden(self):
        self.tamper("DELETE FROM audit WHERE id = %d;" % (self.create - 1))
        self.assert_verify_fails()
        text, shown, hidden, count = self.page()
        self.assertEqual((hidden, count), ([self.create], 1))
        self.assert_shown_normally(shown, [self.code, self.status])

    def test_hidden_entry_offers_no_proof(self):
        # A tlog-proof carries the entry's bytes: one that does not verify is not handed out
        # either, linked or asked for by its number.
        self.forge(self.create, rehash=False)
        text, _, _, _ = self.page()
        self.assertNotIn('href="/supervise/proofs/%d"' % self.create, text)
        self.assertIn('href="/supervise/proofs/%d"' % self.code, text)
        r = self.sup.get("/supervise/proofs/%d" % self.create)
        self.assertEqual(r.status, 409, mc.describe(r))
        self.assertIn("Mục nhật ký #%d %s" % (self.create, WARNING), mc.page_text(r.body))
        self.assertNotIn(FORGED, r.text)
        self.assertNotIn("attachment", r.header("Content-Disposition") or "")
        # The entry beside it verifies: its proof waits only for a signed checkpoint (this
        # server signs none).
        r = self.sup.get("/supervise/proofs/%d" % self.code)
        self.assertEqual(r.status, 503, mc.describe(r))
        self.assertEqual(self.sup.get("/supervise/proofs/999999").status, 404)


if __name__ == "__main__":
    mc.main()
