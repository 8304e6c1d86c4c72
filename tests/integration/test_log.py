"""Issue 12: the public, signed, witnessed log over the audit trail.

Everything the C code publishes is checked by tlog.py, an independent verifier in Python
(python3-nacl) written from the C2SP specs: signatures, roots rebuilt from the served tiles,
inclusion and consistency proofs computed from those tiles and compared with the ones the C
code makes from its stored hashes. Tampering is done as a forger who knows the documented
chain scheme (and, for the worst case, the tree's) would do it, with the sqlite3 CLI.
"""

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402
import tlog  # noqa: E402

DUMP = os.environ.get("MOTCHAM_LOG_DUMP") or os.path.join(mc.SRC, "build", "tests", "log_dump")
PERMITS = os.path.join(mc.SRC, "bench", "permits.py")
UNLOCK = ("DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;"
          "DROP TRIGGER IF EXISTS audit_only_next;"
          "DROP TRIGGER IF EXISTS log_node_no_update; DROP TRIGGER IF EXISTS log_node_no_delete;")
COLS = ["id", "at", "actor_id", "actor", "entity", "entity_id", "action", "before", "after",
        "prev_hash", "hash"]


def canonical(e):
    """The documented canonical bytes of an audit entry (mc_store_audit_canonical)."""
    out = "motcham-audit-1\n%d\n%d\n%d\n" % (e["id"], e["actor_id"] or 0, e["entity_id"])
    for k in ("at", "actor", "entity", "action", "before", "after", "prev_hash"):
        v = e[k]
        out += "-\n" if v is None or v == "" else "%d:%s\n" % (len(v.encode()), v)
    return out.encode()


def entries(db):
    proc = subprocess.run(["sqlite3", "-batch", "-json", db, "SELECT %s FROM audit ORDER BY id"
                           % ", ".join(COLS)], capture_output=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.decode() or "[]")


def script(db, sql):
    proc = subprocess.run(["sqlite3", "-batch", db], input=sql.encode(), capture_output=True,
                          timeout=120)
    if proc.returncode:
        raise AssertionError("sqlite3 failed: %s" % proc.stderr.decode(errors="replace"))


def q(v):
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    return "'" + v.replace("'", "''") + "'"


def rewrite(db, rows, tree=False):
    """Writes rows as the whole audit trail, renumbered 1.. and chained as the documented
    scheme says, so that `audit verify` alone finds nothing; with tree, the stored Merkle
    tree is recomputed from them too (a forger who read the tree's documentation)."""
    prev = "0" * 64
    sql = [UNLOCK, "BEGIN;", "DELETE FROM audit;"]
    for i, e in enumerate(rows, 1):
        e = dict(e, id=i, prev_hash=prev)
        e["hash"] = mc.sha256_hex(canonical(e))
        prev = e["hash"]
        sql.append("INSERT INTO audit (%s) VALUES (%s);" % (", ".join(COLS),
                                                           ", ".join(q(e[c]) for c in COLS)))
    if tree:
        sql.append("DELETE FROM log_node;")
        level = [tlog.leaf_hash(canonical(dict(e, id=i))) for i, e in enumerate(renumber(rows), 1)]
        lv = 0
        while level:
            if lv % 4 == 0:  # the levels the store keeps
                sql += ["INSERT INTO log_node VALUES (%d, %d, '%s');" % (lv, i, h.hex())
                        for i, h in enumerate(level)]
            level = [tlog.node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
            lv += 1
    sql.append("COMMIT;")
    script(db, "\n".join(sql))


def renumber(rows):
    prev, out = "0" * 64, []
    for i, e in enumerate(rows, 1):
        e = dict(e, id=i, prev_hash=prev)
        e["hash"] = mc.sha256_hex(canonical(e))
        prev = e["hash"]
        out.append(e)
    return out


def keygen(tmp, name, witness=False):
    path = tmp.join(name.replace("/", "_") + (".wkey" if witness else ".key"))
    r = mc.run(["log", "keygen", "--witness" if witness else "--origin", name, "--out", path])
    assert r.rc == 0, r
    return path, r.out.strip()


def checkpoint(port):
    r = mc.request(port, "/log/checkpoint")
    assert r.status == 200, r
    return r.text


def served_size(port):
    r = mc.request(port, "/log/checkpoint")
    return int(r.text.split("\n")[1]) if r.status == 200 else -1


def wait_for(cond, timeout=20, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


def tile_getter(port):
    def get(level, index, width):
        r = mc.request(port, "/log/tile/" + tlog.tile_path(level, index, width))
        if r.status != 200:
            raise tlog.VerifyError("tile %d/%d.p/%d: HTTP %d" % (level, index, width, r.status))
        return r.body
    return get


def c_proofs(db, queries):
    """The C code's proofs from the stored tree, for ("I", index, size) / ("C", m, n)."""
    text = "".join("%s %d %d\n" % q for q in queries)
    proc = subprocess.run([DUMP, db], input=text.encode(), capture_output=True, timeout=300,
                          env=mc.clean_env())
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode().split("\n")[:-1]
    assert len(out) == len(queries)
    return [[bytes.fromhex(h) for h in line.split(",")] if line else [] for line in out]


def grow(db, count, first=0):
    """Adds 2 * count audit entries: count invented permits, each with its code."""
    path = db + ".permits.csv"
    with open(path, "w") as f:
        subprocess.run([sys.executable, PERMITS, str(count), str(first)], stdout=f, check=True,
                       timeout=120)
    r = mc.run(["import", "--db", db, path])
    assert r.rc == 0, r
    os.unlink(path)


class Agreement(unittest.TestCase):
    """A tree of 388 entries served by a signing server: sizes 1 to 300 in full."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = mc.TempDir()
        cls.db = cls.tmp.join("a.db")
        assert mc.run(["demo", "--db", cls.db]).rc == 0
        grow(cls.db, 100)
        cls.n = int(mc.sql(cls.db, "SELECT count(*) FROM audit"))
        cls.key, cls.vkey = keygen(cls.tmp, "log.phuong-7.example/audit")
        cls.srv = mc.Server(cls.db, extra=["--log-key", cls.key]).start()
        wait_for(lambda: served_size(cls.srv.port) == cls.n, what="the first checkpoint")
        cls.verifier = tlog.Verifier(cls.vkey)
        cls.note = checkpoint(cls.srv.port)
        cls.origin, cls.size, cls.root = tlog.parse_checkpoint(
            tlog.verify_note(cls.note, cls.verifier))
        cls.tree = tlog.tile_tree(cls.size, tile_getter(cls.srv.port))

    @classmethod
    def tearDownClass(cls):
        cls.srv.close()
        cls.tmp.cleanup()

    def test_checkpoint_is_signed_and_the_tiles_rebuild_it(self):
        self.assertEqual(self.n, 388)
        self.assertEqual((self.origin, self.size), ("log.phuong-7.example/audit", self.n))
        self.assertEqual(self.tree.mth(0, self.size), self.root)
        # The leaves are the entries' own: rehash them from the export, not from the log.
        rows = entries(self.db)
        leaves = [tlog.leaf_hash(canonical(e)) for e in rows]
        self.assertEqual(tlog.Tree(lambda lv, i: leaves[i] if lv == 0 else None).mth(0, 1),
                         self.tree.mth(0, 1))
        for i in (0, 1, 255, 256, 387):
            self.assertEqual(self.tree.mth(i, i + 1), leaves[i])
        r = mc.request(self.srv.port, "/log/checkpoint")
        self.assertEqual(r.header("Content-Type"), "text/plain; charset=utf-8")
        self.assertEqual(r.header("Cache-Control"), "public, max-age=2")
        # The signature line, byte for byte: em dash, space, name, space, base64, newline.
        text, sigs = tlog.split_note(self.note)
        self.assertEqual(self.note, text + "\n" + sigs[0][3])
        self.assertTrue(sigs[0][3].startswith("\u2014 log.phuong-7.example/audit "))

    def test_tiles(self):
        full = mc.request(self.srv.port, "/log/tile/0/000")
        self.assertEqual((full.status, len(full.body)), (200, 8192))
        self.assertEqual(full.header("Content-Type"), "application/octet-stream")
        self.assertEqual(full.header("Cache-Control"), "public, max-age=31536000, immutable")
        part = mc.request(self.srv.port, "/log/tile/0/001.p/132")
        self.assertEqual((part.status, len(part.body)), (200, 132 * 32))
        self.assertEqual(part.header("Cache-Control"), "public, max-age=60")
        self.assertEqual(mc.request(self.srv.port, "/log/tile/1/000.p/1").status, 200)
        for bad in ("/log/tile/0/001", "/log/tile/0/001.p/133", "/log/tile/0/002.p/1",
                    "/log/tile/1/000", "/log/tile/0/x000/001", "/log/tile/0/00", "/log/tile/0/000.p/0",
                    "/log/tile/entries/000", "/log/tile/entries/001.p/132", "/log/tile/0"):
            self.assertEqual(mc.request(self.srv.port, bad).status, 404, bad)

    def test_proofs_agree_for_sizes_1_to_300(self):
        queries, want = [], []
        for n in range(1, 301):
            root = self.tree.mth(0, n)
            for i in range(n):
                queries.append(("I", i, n))
                p = self.tree.inclusion(i, n)
                self.assertTrue(tlog.verify_inclusion(i, n, self.tree.mth(i, i + 1), p, root))
                want.append(p)
            for m in range(1, n + 1):
                queries.append(("C", m, n))
                p = self.tree.consistency(m, n)
                self.assertTrue(tlog.verify_consistency(m, n, p, self.tree.mth(0, m), root))
                want.append(p)
        got = c_proofs(self.db, queries)
        for q_, g, w in zip(queries, got, want):
            self.assertEqual(g, w, q_)
        self.assertEqual(len(queries), 2 * sum(range(1, 301)))

    def test_entry_proof_checks_offline(self):
        rows = entries(self.db)
        for entry in (1, 2, 200, 388):
            r = mc.run(["log", "proof", "--db", self.db, "--entry", entry])
            self.assertEqual(r.rc, 0, r)
            index, extra, origin, size = tlog.check_tlog_proof(r.out, self.verifier)
            self.assertEqual((index, origin, size), (entry - 1, self.origin, self.size))
            self.assertEqual(extra, canonical(rows[entry - 1]))
        r = mc.run(["log", "proof", "--db", self.db, "--entry", 389])
        self.assertEqual(r.rc, 1, r)


class TenThousand(unittest.TestCase):
    """A 10,000-entry tree: level-1 tiles, and proofs sampled across it."""

    def setUp(self):
        self.tmp = mc.TempDir()
        self.db = self.tmp.join("b.db")
        self.assertEqual(mc.run(["demo", "--db", self.db]).rc, 0)
        grow(self.db, 4906)
        self.assertEqual(mc.sql(self.db, "SELECT count(*) FROM audit"), "10000")
        self.key, self.vkey = keygen(self.tmp, "log.example/big")

    def tearDown(self):
        self.tmp.cleanup()

    def test_proofs_agree(self):
        with mc.Server(self.db, extra=["--log-key", self.key]) as srv:
            wait_for(lambda: served_size(srv.port) == 10000, what="the checkpoint")
            v = tlog.Verifier(self.vkey)
            _, size, root = tlog.parse_checkpoint(tlog.verify_note(checkpoint(srv.port), v))
            tree = tlog.tile_tree(size, tile_getter(srv.port))
            self.assertEqual(tree.mth(0, size), root)
            self.assertEqual(len(mc.request(srv.port, "/log/tile/1/000.p/39").body), 39 * 32)
            rng = random.Random(12)
            queries = [("I", i, 10000) for i in range(0, 10000, 37)]
            queries += [("I", rng.randrange(n), n) for n in rng.sample(range(1, 10001), 300)]
            queries += [("C", m, 10000) for m in range(1, 10001, 41)]
            queries += [("C", m, n) for n in (8192, 9999, 4097, 257)
                        for m in (1, 2, 255, 256, 1000, 4096, n - 1, n) if m <= n]
            got = c_proofs(self.db, queries)
            for (kind, a, b), g in zip(queries, got):
                want = tree.inclusion(a, b) if kind == "I" else tree.consistency(a, b)
                self.assertEqual(g, want, (kind, a, b))
                if kind == "I":
                    self.assertTrue(tlog.verify_inclusion(a, b, tree.mth(a, a + 1), g,
                                                          tree.mth(0, b)))
                else:
                    self.assertTrue(tlog.verify_consistency(a, b, g, tree.mth(0, a),
                                                            tree.mth(0, b)))


class Keys(unittest.TestCase):
    def setUp(self):
        self.tmp = mc.TempDir()

    def tearDown(self):
        self.tmp.cleanup()

    def test_keygen(self):
        path, vkey = keygen(self.tmp, "log.example/a")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        v = tlog.Verifier(vkey)  # checks the key id from name, type and key
        self.assertEqual((v.name, v.type), ("log.example/a", 1))
        with open(path) as f:
            skey = f.read()
        name, t, sk = tlog.signer_from_skey(skey)
        self.assertEqual(bytes(sk.verify_key), v.pub)
        r = mc.run(["log", "keygen", "--origin", "log.example/a", "--out", path])
        self.assertEqual(r.rc, 1, r)
        self.assertIn("never overwritten", r.err)
        with open(path) as f:
            self.assertEqual(f.read(), skey)
        _, wkey = keygen(self.tmp, "witness.example/w", witness=True)
        self.assertEqual(tlog.Verifier(wkey).type, 4)
        for bad in ("has space", "a+b", ""):
            r = mc.run(["log", "keygen", "--origin", bad, "--out", self.tmp.join("x")])
            self.assertEqual(r.rc, 2, (bad, r))
        self.assertFalse(os.path.exists(self.tmp.join("x")))

    def test_go_reference_vector_in_python_too(self):
        """The verifier reproduces the Go note package's example, as the C unit test does."""
        name, _, sk = tlog.signer_from_skey(
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")
        text = ("If you think cryptography is the answer to your problem,\n"
                "then you don't know what your problem is.\n")
        self.assertEqual(tlog.sign_note(text, name, sk), text + "\n\u2014 PeterNeumann x08go/ZJk"
                         "uBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE"
                         "6RyyBwJnAM=\n")


class Tamper(unittest.TestCase):
    """A checkpoint taken before, then the trail is forged in each way the issue names."""

    def setUp(self):
        self.tmp = mc.TempDir()
        self.db = self.tmp.join("t.db")
        self.assertEqual(mc.run(["demo", "--db", self.db]).rc, 0)
        self.assertEqual(mc.run(["demo", "--db", self.db]).rc, 0)
        self.key, self.vkey = keygen(self.tmp, "log.example/t")
        r = mc.run(["log", "sign", "--db", self.db, "--key", self.key])
        self.assertEqual(r.rc, 0, r)
        self.cp = self.tmp.join("checkpoint.txt")
        with open(self.cp, "w") as f:
            f.write(r.out)
        self.n = int(mc.sql(self.db, "SELECT count(*) FROM audit"))
        self.rows = entries(self.db)

    def tearDown(self):
        self.tmp.cleanup()

    def verify(self, vkey=None):
        return mc.run(["audit", "verify", "--db", self.db, "--checkpoint", self.cp,
                       "--vkey", vkey or self.vkey])

    def assert_chain_alone_passes(self):
        r = mc.run(["audit", "verify", "--db", self.db])
        self.assertEqual(r.rc, 0, r)

    def test_untouched_trail_verifies_and_grows(self):
        r = self.verify()
        self.assertEqual(r.rc, 0, r)
        self.assertIn("checkpoint log.example/t size %d: signed, rebuilt by the entries" % self.n,
                      r.out)
        grow(self.db, 5)
        r = self.verify()
        self.assertEqual(r.rc, 0, r)
        self.assertIn("extended to %d" % (self.n + 10), r.out)
        # The vkey may be a file; a wrong key or a changed checkpoint is refused.
        with open(self.tmp.join("vkey"), "w") as f:
            f.write(self.vkey + "\n")
        self.assertEqual(self.verify(self.tmp.join("vkey")).rc, 0)
        _, other = keygen(self.tmp, "log.example/t2")
        r = self.verify(other)
        self.assertEqual(r.rc, 1, r)
        self.assertIn("is not signed by that key", r.out)
        with open(self.cp) as f:
            forged = f.read().replace("\n%d\n" % self.n, "\n%d\n" % (self.n - 1))
        with open(self.cp, "w") as f:
            f.write(forged)
        r = self.verify()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("signature by the key that does not verify", r.out)

    def test_edited_entry_with_rehashed_chain(self):
        rows = [dict(e) for e in self.rows]
        rows[122]["after"] = rows[122]["after"].replace("Phường", "Phuong")
        self.assertNotEqual(rows[122]["after"], self.rows[122]["after"])
        rewrite(self.db, rows)
        self.assert_chain_alone_passes()
        r = self.verify()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("FAILED at entry 123: it is not the entry the checkpoint", r.out)

    def test_deleted_entry_renumbered(self):
        rewrite(self.db, self.rows[:76] + self.rows[77:])
        self.assert_chain_alone_passes()
        r = self.verify()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("FAILED at entry 77", r.out)

    def test_reordered_entries(self):
        rows = list(self.rows)
        rows[39], rows[40] = rows[40], rows[39]
        rewrite(self.db, rows)
        self.assert_chain_alone_passes()
        r = self.verify()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("FAILED at entry 40", r.out)

    def test_truncated(self):
        script(self.db, UNLOCK + "DELETE FROM audit WHERE id > %d; DELETE FROM log_node;" % (self.n - 30))
        self.assert_chain_alone_passes()
        r = self.verify()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("FAILED: tree truncated at %d" % (self.n - 30), r.out)

    def test_wholesale_rewrite_with_the_tree(self):
        rows = [dict(e, actor="someone-else") for e in self.rows]
        rewrite(self.db, rows, tree=True)
        self.assert_chain_alone_passes()
        r = self.verify()
        self.assertEqual(r.rc, 1, r)
        self.assertIn("do not rebuild the tree the checkpoint signed at size %d" % self.n, r.out)

    def test_witness_refuses_the_rewritten_log(self):
        wkey, wvkey = keygen(self.tmp, "witness.example/w", witness=True)
        state = self.tmp.join("state")
        os.mkdir(state)

        def witness(port):
            return mc.run(["log", "witness", "--log", "http://127.0.0.1:%d" % port,
                           "--vkey", self.vkey, "--state", state, "--key", wkey])

        with mc.Server(self.db, extra=["--log-key", self.key, "--log-witness", wvkey]) as srv:
            r = witness(srv.port)
            self.assertEqual(r.rc, 0, r)
            self.assertIn("cosigned log.example/t at size %d" % self.n, r.out)
        kept = [f for f in os.listdir(state) if f.endswith(".checkpoint")]
        self.assertEqual(len(kept), 1)
        with open(os.path.join(state, kept[0])) as f:
            kept_note = f.read()
        # The forger rewrites history and its tree. The server will not sign over the
        # checkpoint it signed before ...
        rows = [dict(e) for e in self.rows]
        rows[9]["actor"] = "someone-else"
        rewrite(self.db, rows, tree=True)
        srv = mc.Server(self.db, extra=["--log-key", self.key]).start()
        try:
            wait_for(lambda: "not signing a checkpoint" in srv.stderr(), what="the refusal")
            self.assertIn("is not the one this log signed", srv.stderr())
        finally:
            srv.close()
        # ... so the forger, holding the key, deletes what the log signed and signs afresh.
        script(self.db, "DELETE FROM log_cosignature; DELETE FROM log_checkpoint;")
        with mc.Server(self.db, extra=["--log-key", self.key]) as srv:
            wait_for(lambda: served_size(srv.port) == self.n, what="the forged checkpoint")
            forged = checkpoint(srv.port)
            self.assertNotEqual(tlog.parse_checkpoint(tlog.split_note(forged)[0])[2],
                                tlog.parse_checkpoint(tlog.split_note(kept_note)[0])[2])
            for _ in range(2):  # and it keeps refusing
                r = witness(srv.port)
                self.assertEqual(r.rc, 3, r)
                self.assertIn("REFUSED: the log's checkpoint at size %d does not extend the kept"
                              " one at size %d" % (self.n, self.n), r.err)
            self.assertNotIn("witness.example/w", checkpoint(srv.port))
        evidence = sorted(f for f in os.listdir(state) if ".refused-" in f)
        self.assertGreaterEqual(len(evidence), 3)
        got = {}
        for f in evidence:
            with open(os.path.join(state, f)) as fh:
                got[f.rsplit(".", 1)[1]] = fh.read()
        self.assertEqual(got["kept"], kept_note)
        self.assertEqual(got["offered"], forged)
        self.assertIn("does not extend", got["why"])
        with open(os.path.join(state, kept[0])) as f:
            self.assertEqual(f.read(), kept_note)


class TwoServers(unittest.TestCase):
    """Two wards, each a log and each the other's witness."""

    def setUp(self):
        self.tmp = mc.TempDir()
        self.a, self.b = self.tmp.join("a.db"), self.tmp.join("b.db")
        for db in (self.a, self.b):
            self.assertEqual(mc.run(["demo", "--db", db]).rc, 0)
        self.akey, self.avkey = keygen(self.tmp, "log.ward-a.example")
        self.bkey, self.bvkey = keygen(self.tmp, "log.ward-b.example")
        self.awit, self.awvkey = keygen(self.tmp, "witness.ward-a.example", witness=True)
        self.bwit, self.bwvkey = keygen(self.tmp, "witness.ward-b.example", witness=True)
        self.astate, self.bstate = self.tmp.join("a-state"), self.tmp.join("b-state")
        os.mkdir(self.astate)
        os.mkdir(self.bstate)

    def tearDown(self):
        self.tmp.cleanup()

    def witness_args(self, port, vkey, state, key):
        return ["log", "witness", "--log", "http://127.0.0.1:%d/log" % port, "--vkey", vkey,
                "--state", state, "--key", key]

    def cosigned_by(self, port, log_vkey, wvkey):
        note = checkpoint(port)
        text = tlog.verify_note(note, tlog.Verifier(log_vkey))
        return tlog.parse_checkpoint(text)[1], tlog.cosigners(note, [tlog.Verifier(wvkey)])

    def test_each_checkpoint_carries_the_other_wards_cosignature(self):
        with mc.Server(self.a, extra=["--log-key", self.akey, "--log-witness", self.bwvkey]) as sa, \
                mc.Server(self.b, extra=["--log-key", self.bkey, "--log-witness", self.awvkey]) as sb:
            n = int(mc.sql(self.a, "SELECT count(*) FROM audit"))
            wait_for(lambda: served_size(sa.port) == n and served_size(sb.port) == n)
            # B witnesses A, A witnesses B: each has the other's cosignature.
            r = mc.run(self.witness_args(sa.port, self.avkey, self.bstate, self.bwit))
            self.assertEqual(r.rc, 0, r)
            r = mc.run(self.witness_args(sb.port, self.bvkey, self.astate, self.awit))
            self.assertEqual(r.rc, 0, r)
            size, who = self.cosigned_by(sa.port, self.avkey, self.bwvkey)
            self.assertEqual(size, n)
            self.assertEqual(list(who), ["witness.ward-b.example"])
            self.assertLessEqual(abs(who["witness.ward-b.example"] - time.time()), 60)
            self.assertIn("witness.ward-a.example",
                          self.cosigned_by(sb.port, self.bvkey, self.awvkey)[1])
            # A cosignature by a key the log does not know is not kept.
            r = mc.run(self.witness_args(sa.port, self.avkey, self.astate, self.awit))
            self.assertEqual(r.rc, 1, r)
            self.assertIn("HTTP 403", r.err)
            # Writes on A; B's witness runs every second and follows (consistency proofs).
            proc = subprocess.Popen([mc.BIN] + self.witness_args(sa.port, self.avkey, self.bstate,
                                                                 self.bwit) + ["--every", "1"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=mc.clean_env())
            try:
                for k in range(3):
                    grow(self.a, 7, first=100 * k)
                    m = int(mc.sql(self.a, "SELECT count(*) FROM audit"))
                    wait_for(lambda: self.cosigned_by(sa.port, self.avkey, self.bwvkey)[0] == m
                             and self.cosigned_by(sa.port, self.avkey, self.bwvkey)[1],
                             what="B's cosignature of A at %d" % m)
            finally:
                proc.send_signal(signal.SIGTERM)
                out, err = proc.communicate(timeout=30)
            self.assertEqual(proc.returncode, 0, err)
            self.assertIn(b"(kept size was %d)" % n, out)
            self.assertEqual(m, n + 42)
            # What A published, checked the way any client would: tiles and proofs.
            tree = tlog.tile_tree(m, tile_getter(sa.port))
            _, _, root = tlog.parse_checkpoint(tlog.verify_note(checkpoint(sa.port),
                                                                tlog.Verifier(self.avkey)))
            self.assertTrue(tlog.verify_consistency(n, m, tree.consistency(n, m), tree.mth(0, n),
                                                    root))

    def test_clean_stop_signs_what_was_written(self):
        srv = mc.Server(self.a, extra=["--log-key", self.akey]).start()
        try:
            grow(self.a, 3)
        finally:
            srv.close()
        n = int(mc.sql(self.a, "SELECT count(*) FROM audit"))
        r = mc.run(["log", "checkpoint", "--db", self.a])
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(tlog.parse_checkpoint(tlog.verify_note(r.out, tlog.Verifier(self.avkey)))[1],
                         n)

    def test_add_cosignature_refuses_what_it_should(self):
        with mc.Server(self.a, extra=["--log-key", self.akey, "--log-witness", self.bwvkey]) as sa:
            n = int(mc.sql(self.a, "SELECT count(*) FROM audit"))
            wait_for(lambda: served_size(sa.port) == n)
            c = mc.Client(sa.port)
            self.assertEqual(c.post("/log/add-cosignature", {"checkpoint": "nonsense"}).status, 400)
            text = tlog.split_note(checkpoint(sa.port))[0]
            with open(self.bwit) as f:
                _, _, sk = tlog.signer_from_skey(f.read())
            ts = int(time.time())
            sig = sk.sign(tlog.cosignature_message(ts, text)).signature
            kid = tlog.key_id("witness.ward-b.example", 4, bytes(sk.verify_key))
            line = "\u2014 witness.ward-b.example %s\n" % tlog.b64(
                kid.to_bytes(4, "big") + ts.to_bytes(8, "big") + sig)
            other = text.replace("\n%d\n" % n, "\n%d\n" % (n + 1))
            self.assertEqual(c.post("/log/add-cosignature", {"checkpoint": other + "\n" + line})
                             .status, 404)
            lines = text.split("\n")
            lines[2] = tlog.b64(b"\x00" * 32)
            self.assertEqual(c.post("/log/add-cosignature",
                                    {"checkpoint": "\n".join(lines) + "\n" + line}).status, 409)
            bad = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
            self.assertEqual(c.post("/log/add-cosignature", {"checkpoint": text + "\n" + bad})
                             .status, 403)
            r = c.post("/log/add-cosignature", {"checkpoint": text + "\n" + line})
            self.assertEqual((r.status, r.text), (200, "ok 1\n"))
            self.assertEqual(tlog.cosigners(checkpoint(sa.port),
                                            [tlog.Verifier(self.bwvkey)]),
                             {"witness.ward-b.example": ts})


class Office(unittest.TestCase):
    """The supervisors' board shows the checkpoint and its cosigners; a permit's timeline
    offers each entry's tlog-proof."""

    def test_board_and_proofs(self):
        tmp = mc.TempDir()
        try:
            db = tmp.join("o.db")
            self.assertEqual(mc.run(["demo", "--db", db]).rc, 0)
            mc.add_user(db, "giamsat", "supervisor", "mat-khau-giam-sat-3")
            key, vkey = keygen(tmp, "log.example/office")
            wkey, wvkey = keygen(tmp, "witness.example/quan-8", witness=True)
            os.mkdir(tmp.join("st"))
            with mc.Server(db, extra=["--log-key", key, "--log-witness", wvkey]) as srv:
                n = int(mc.sql(db, "SELECT count(*) FROM audit"))
                wait_for(lambda: served_size(srv.port) == n)
                r = mc.run(["log", "witness", "--log", "http://127.0.0.1:%d" % srv.port, "--vkey",
                            vkey, "--state", tmp.join("st"), "--key", wkey])
                self.assertEqual(r.rc, 0, r)
                c = mc.Client(srv.port)
                form = mc.find_form(c.get("/staff/login").body, "/staff/login")
                r = c.post("/staff/login", {"name": "giamsat", "password": "mat-khau-giam-sat-3",
                                            "csrf": mc.form_value(form, "csrf")})
                self.assertEqual(r.status, 303, mc.describe(r))
                board = c.get("/supervise")
                self.assertEqual(board.status, 200, mc.describe(board))
                self.assertIn('<strong id="log-size">%d</strong>' % n, board.text)
                self.assertIn('data-witness="witness.example/quan-8"', board.text)
                permit = int(mc.sql(db, "SELECT min(id) FROM permit"))
                page = c.get("/supervise/permits/%d" % permit)
                self.assertEqual(page.status, 200, mc.describe(page))
                ids = [int(x) for x in re.findall(r'href="/supervise/proofs/(\d+)"', page.text)]
                self.assertTrue(ids)
                rows = entries(db)
                for entry in ids:
                    r = c.get("/supervise/proofs/%d" % entry)
                    self.assertEqual(r.status, 200, mc.describe(r))
                    self.assertIn("attachment", r.header("Content-Disposition"))
                    index, extra, origin, size = tlog.check_tlog_proof(
                        r.text, tlog.Verifier(vkey))
                    self.assertEqual((index, size), (entry - 1, n))
                    self.assertEqual(extra, canonical(rows[entry - 1]))
                    self.assertIn("witness.example/quan-8",
                                  tlog.cosigners(r.text.partition("\n\n")[2],
                                                 [tlog.Verifier(wvkey)]))
                self.assertEqual(c.get("/supervise/proofs/%d" % (n + 5)).status, 404)
                self.assertEqual(mc.Client(srv.port).get("/supervise/proofs/1").status, 303)
        finally:
            tmp.cleanup()


if __name__ == "__main__":
    unittest.main()
