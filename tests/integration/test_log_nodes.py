"""The public log beyond one process on one file (issues 10 and 12).

Nodes: two `motcham serve` nodes on one database (PostgreSQL, or one SQLite file on one
machine), both signing with the log's key while staff write on both. The tree stays one
tree, its leaves in the audit chain's order; every checkpoint either node serves, and every
one the database keeps, is a prefix of that tree, so a witness that follows both nodes never
sees a fork; nodes (and `motcham log sign` run beside them) that sign the same size sign the
same checkpoint, without an error.

Moved: a SQLite ward with a log, moved into PostgreSQL by `motcham migrate`, keeps its tree,
checkpoints and cosignatures: a checkpoint signed before the move verifies against the moved
database, the tiles served after the move rebuild the same roots, and the witness that
cosigned before the move goes on cosigning after it. The move needs a PostgreSQL target (the
suite's _pg run), as in test_migrate.
"""

import json
import os
import re
import subprocess
import threading
import time
import unittest

import mc
import test_log as tl
import tlog
from test_nodes import created_id, permit_fields

PASSWORD = "mat-khau-cua-lan-1"
ORIGIN = "log.tp-hcm.example/phuong-7"
WITNESS = "witness.tp-hcm.example/quan-8"


def verified(note, vkey):
    """(size, root) of a note that must be a checkpoint signed by vkey."""
    _, size, root = tlog.parse_checkpoint(tlog.verify_note(note, tlog.Verifier(vkey)))
    return size, root


def log_signature(note):
    """The text of a checkpoint note and its log's own signature line (the first one)."""
    text, sigs = tlog.split_note(note)
    return text, sigs[0][3]


def witness(port, vkey, state, wkey):
    return mc.run(["log", "witness", "--log", "http://127.0.0.1:%d" % port, "--vkey", vkey,
                   "--state", state, "--key", wkey])


def checkpoints(db):
    """[(size, root hex, note)] of every checkpoint the database keeps, by size."""
    rows = json.loads(mc.sql(
        db, "SELECT coalesce(json_group_array(json_array(size, root, note)), '[]') "
            "FROM (SELECT size, root, note FROM log_checkpoint ORDER BY size);",
        pg="SELECT coalesce(json_agg(json_build_array(size, root, note) ORDER BY size), "
           "'[]') FROM log_checkpoint;"))
    return [tuple(r) for r in rows]


class Nodes(unittest.TestCase):
    serial = 0

    def setUp(self):
        self.tmp = mc.TempDir()
        self.addCleanup(self.tmp.cleanup)
        self.db = mc.new_db(self.tmp, "log-nodes.db")
        self.assertEqual(mc.run(["demo", "--db", self.db]).rc, 0)
        for name in ("lan", "khoa"):
            mc.add_user(self.db, name, "staff", PASSWORD, ward=mc.SLUG)
        self.key, self.vkey = tl.keygen(self.tmp, ORIGIN)
        self.wkey, self.wvkey = tl.keygen(self.tmp, WITNESS, witness=True)
        self.state = self.tmp.join("witness-state")
        os.mkdir(self.state)
        extra = ["--log-key", self.key, "--log-witness", self.wvkey]
        self.a = mc.Server(self.db, extra=extra).start()
        self.addCleanup(self.a.close)
        self.b = mc.Server(self.db, extra=extra).start()
        self.addCleanup(self.b.close)

    def login(self, port, name):
        c = mc.Client(port)
        form = mc.find_form(c.get("/staff/login").body, "/staff/login")
        r = c.post("/staff/login", {"name": name, "password": PASSWORD,
                                    "csrf": mc.form_value(form, "csrf")})
        self.assertEqual(r.status, 303, mc.describe(r))
        for f in mc.forms(c.get("/staff").body):
            if mc.form_value(f, "csrf"):
                c.csrf = mc.form_value(f, "csrf")
                return c
        self.fail("no csrf on /staff")

    def number(self):
        Nodes.serial += 1
        return "%d/GPXD-LOG-%d" % (Nodes.serial, os.getpid() % 10000)

    def size(self):
        return int(mc.sql(self.db, "SELECT count(*) FROM audit;"))

    def no_signing_problem(self):
        for srv in (self.a, self.b):
            self.assertNotIn("not signing a checkpoint", srv.stderr())

    def test_writes_on_both_nodes_keep_one_tree(self):
        start = self.size()
        tl.wait_for(lambda: tl.served_size(self.a.port) == start, what="the first checkpoint")
        made, errors = [], []

        def burst(port, name):
            c = self.login(port, name)
            for _ in range(20):
                r = c.post("/staff/permits", dict(permit_fields(self.number()), csrf=c.csrf))
                (made if created_id(r) else errors).append(created_id(r) or mc.describe(r))

        writers = [threading.Thread(target=burst, args=(srv.port, name))
                   for srv in (self.a, self.b) for name in ("lan", "khoa")]
        for t in writers:
            t.start()
        # While they write: read both nodes' checkpoints, and witness them in turn, one state.
        seen, rounds = {}, []
        alive = lambda: any(t.is_alive() for t in writers)  # noqa: E731
        while alive() or len(rounds) < 4:
            for srv in (self.a, self.b):
                note = tl.checkpoint(srv.port)
                size, root = verified(note, self.vkey)
                self.assertEqual(seen.setdefault(size, root), root, "two roots at one size")
                r = witness(srv.port, self.vkey, self.state, self.wkey)
                self.assertEqual(r.rc, 0, r)  # 3 would be a refusal: a fork
                m = re.search(r"cosigned %s at size (\d+) \(kept size was (\d+)\)" % ORIGIN,
                              r.out)
                self.assertIsNotNone(m, r)
                rounds.append((int(m.group(2)), int(m.group(1))))
        for t in writers:
            t.join(timeout=300)
        self.assertEqual(errors, [])
        self.assertEqual(len(set(made)), 80)
        # Both nodes come to the same checkpoint of the whole trail.
        n = self.size()
        self.assertEqual(n, start + 2 * 80)  # a permit and its code each
        tl.wait_for(lambda: tl.served_size(self.a.port) == n == tl.served_size(self.b.port),
                    what="both nodes' checkpoint of size %d" % n)
        final = tl.checkpoint(self.a.port)
        self.assertEqual(log_signature(tl.checkpoint(self.b.port)), log_signature(final))
        size, root = verified(final, self.vkey)
        seen.setdefault(size, root)
        # One tree: its leaves are the entries in the chain's order, each node's tiles
        # rebuild the same root, and every checkpoint ever served or kept is its prefix.
        tree_a = tlog.tile_tree(n, tl.tile_getter(self.a.port))
        tree_b = tlog.tile_tree(n, tl.tile_getter(self.b.port))
        self.assertEqual(tree_a.mth(0, n), root)
        self.assertEqual(tree_b.mth(0, n), root)
        rows = tl.entries(self.db)
        self.assertEqual([e["id"] for e in rows], list(range(1, n + 1)))
        for i, e in enumerate(rows):
            self.assertEqual(tree_a.mth(i, i + 1), tlog.leaf_hash(tl.canonical(e)), e["id"])
        for s, r in seen.items():
            self.assertEqual(tree_a.mth(0, s), r, "the checkpoint at size %d" % s)
        sizes = []
        stored = checkpoints(self.db)
        self.assertGreaterEqual(len(stored), 2)
        for s, r, note in stored:
            sizes.append(s)
            self.assertEqual(verified(note, self.vkey), (s, bytes.fromhex(r)))
            self.assertEqual(tree_a.mth(0, s).hex(), r, "the kept checkpoint at size %d" % s)
        self.assertEqual(sizes[-1], n)
        # The witness's view only ever grew, and is consistent from each size to the next.
        for old, new in rounds:
            self.assertLessEqual(old, new)
            self.assertTrue(tlog.verify_consistency(old, new, tree_a.consistency(old, new),
                                                    tree_a.mth(0, old), tree_a.mth(0, new)))
        # A cosignature posted to one node is served by the other: one database.
        r = witness(self.a.port, self.vkey, self.state, self.wkey)
        self.assertEqual(r.rc, 0, r)
        self.assertIn(WITNESS, tlog.cosigners(tl.checkpoint(self.b.port),
                                              [tlog.Verifier(self.wvkey)]))
        r = mc.run(["audit", "verify", "--db", self.db, "--checkpoint", self.save(final),
                    "--vkey", self.vkey])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("checkpoint %s size %d: signed, rebuilt by the entries" % (ORIGIN, n),
                      r.out)
        self.no_signing_problem()

    def test_signing_one_size_at_once(self):
        """Both nodes' signers and six `log sign` at the same moment, once the tree grew: one
        checkpoint at the new size, the same for all, and nobody fails."""
        tl.wait_for(lambda: tl.served_size(self.a.port) == self.size())
        tl.grow(self.db, 5)
        n = self.size()
        procs = [subprocess.Popen([mc.BIN, "log", "sign", "--db", self.db, "--key", self.key],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=mc.clean_env()) for _ in range(6)]
        outs = [p.communicate(timeout=120) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err)
        notes = [log_signature(out.decode()) for out, _ in outs]
        self.assertEqual(len(set(notes)), 1, notes)
        self.assertEqual(verified(notes[0][0] + "\n" + notes[0][1], self.vkey)[0], n)
        tl.wait_for(lambda: tl.served_size(self.a.port) == n == tl.served_size(self.b.port))
        for srv in (self.a, self.b):
            self.assertEqual(log_signature(tl.checkpoint(srv.port)), notes[0])
        stored = [c for c in checkpoints(self.db) if c[0] == n]
        self.assertEqual(len(stored), 1)
        self.assertEqual(log_signature(stored[0][2]), notes[0])
        self.no_signing_problem()

    def test_a_second_key_for_the_log_is_refused(self):
        """A node started with a key file of its own for the same log (keygen run again with
        the log's origin) signs nothing and says why: the checkpoint every node serves, and
        every one kept, stays signed by the log's key while the tree grows; `log sign` with
        that key fails with the same reason."""
        other = self.tmp.join("second.key")
        r = mc.run(["log", "keygen", "--origin", ORIGIN, "--out", other])
        self.assertEqual(r.rc, 0, r)
        other_vkey = r.out.strip()
        self.assertNotEqual(other_vkey, self.vkey)
        tl.wait_for(lambda: tl.served_size(self.a.port) == self.size())
        c = mc.Server(self.db, extra=["--log-key", other]).start()
        self.addCleanup(c.close)
        tl.grow(self.db, 5)
        n = self.size()
        tl.wait_for(lambda: tl.served_size(self.a.port) == n == tl.served_size(c.port),
                    what="the checkpoint of size %d on every node" % n)
        tl.wait_for(lambda: "signed by another key" in c.stderr(), what="node C's reason")
        self.assertIn("not signing a checkpoint", c.stderr())
        time.sleep(2.5)  # two more of C's rounds
        for srv in (self.a, self.b, c):
            self.assertEqual(verified(tl.checkpoint(srv.port), self.vkey)[0], n)
            with self.assertRaises(Exception):
                verified(tl.checkpoint(srv.port), other_vkey)
        for s, r, note in checkpoints(self.db):
            self.assertEqual(verified(note, self.vkey), (s, bytes.fromhex(r)))
        r = mc.run(["log", "sign", "--db", self.db, "--key", other])
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("signed by another key", r.err)
        self.no_signing_problem()

    def save(self, note):
        path = self.tmp.join("checkpoint-%d.txt" % time.monotonic_ns())
        with open(path, "w") as f:
            f.write(note)
        return path


@unittest.skipUnless(mc.BACKEND == "postgresql", "the move needs a PostgreSQL target")
class Moved(unittest.TestCase):
    def test_the_log_survives_the_move(self):
        tmp = mc.TempDir()
        self.addCleanup(tmp.cleanup)
        src = tmp.join("ward.db")  # SQLite, whatever the backend of the run
        self.assertEqual(mc.run(["demo", "--db", src]).rc, 0)
        tl.grow(src, 30)
        key, vkey = tl.keygen(tmp, ORIGIN)
        wkey, wvkey = tl.keygen(tmp, WITNESS, witness=True)
        state = tmp.join("witness-state")
        os.mkdir(state)
        extra = ["--log-key", key, "--log-witness", wvkey]
        # Before the move: a checkpoint, cosigned; then more entries, signed at a clean stop.
        with mc.Server(src, extra=extra) as srv:
            m = int(mc.sql(src, "SELECT count(*) FROM audit;"))
            tl.wait_for(lambda: tl.served_size(srv.port) == m, what="the first checkpoint")
            r = witness(srv.port, vkey, state, wkey)
            self.assertEqual(r.rc, 0, r)
            before = tl.checkpoint(srv.port)
            self.assertIn(WITNESS, tlog.cosigners(before, [tlog.Verifier(wvkey)]))
            tl.grow(src, 4, first=100)
        n = int(mc.sql(src, "SELECT count(*) FROM audit;"))
        self.assertEqual(n, m + 8)
        cp = tmp.join("before.txt")
        with open(cp, "w") as f:
            f.write(before)
        _, m_root = verified(before, vkey)
        # The move.
        dst = mc.new_db(tmp, "moved")
        r = mc.run(["migrate", "--from", src, "--to", dst])
        self.assertEqual(r.rc, 0, r)
        for q in ("SELECT level, idx, hash FROM log_node ORDER BY level, idx;",
                  "SELECT size, root, signed_at FROM log_checkpoint ORDER BY size;",
                  "SELECT size, name, key_id, cosigned_at, received_at FROM log_cosignature "
                  "ORDER BY size, name;"):
            self.assertEqual(mc.sql(dst, q), mc.sql(src, q), q)
        self.assertEqual(checkpoints(dst), checkpoints(src))
        # The checkpoint signed before the move verifies against the moved trail.
        r = mc.run(["audit", "verify", "--db", dst, "--checkpoint", cp, "--vkey", vkey])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("checkpoint %s size %d: signed, rebuilt by the entries" % (ORIGIN, m),
                      r.out)
        self.assertIn("extended to %d" % n, r.out)
        # Served from PostgreSQL: the same latest checkpoint, with its cosignature; tiles
        # that rebuild both roots; the witness's kept checkpoint extended, not forked.
        with mc.Server(dst, extra=extra) as srv:
            after = tl.checkpoint(srv.port)
            size, root = verified(after, vkey)
            self.assertEqual(size, n)
            tree = tlog.tile_tree(n, tl.tile_getter(srv.port))
            self.assertEqual(tree.mth(0, n), root)
            self.assertEqual(tree.mth(0, m), m_root)
            rows = tl.entries(dst)
            for i in (0, m - 1, n - 1):
                self.assertEqual(tree.mth(i, i + 1), tlog.leaf_hash(tl.canonical(rows[i])))
            got = tl.c_proofs(dst, [("C", m, n), ("I", 0, n), ("I", m - 1, n)])
            self.assertEqual(got, [tree.consistency(m, n), tree.inclusion(0, n),
                                   tree.inclusion(m - 1, n)])
            r = witness(srv.port, vkey, state, wkey)
            self.assertEqual(r.rc, 0, r)
            self.assertIn("cosigned %s at size %d (kept size was %d)" % (ORIGIN, n, m), r.out)
            # And it goes on: a write on PostgreSQL is signed as an extension.
            tl.grow(dst, 2, first=200)
            tl.wait_for(lambda: tl.served_size(srv.port) == n + 4, what="the next checkpoint")
            r = witness(srv.port, vkey, state, wkey)
            self.assertEqual(r.rc, 0, r)
            self.assertIn("(kept size was %d)" % n, r.out)
        r = mc.run(["audit", "verify", "--db", dst, "--checkpoint", cp, "--vkey", vkey])
        self.assertEqual(r.rc, 0, r)
        self.assertIn("extended to %d" % (n + 4), r.out)


if __name__ == "__main__":
    mc.main()
