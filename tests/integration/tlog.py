"""An independent verifier of motcham's public log, written from the C2SP specs and RFC 6962
in another language than the C code: signed notes (Ed25519 and tlog-cosignature), vkeys,
checkpoints, tiles, Merkle roots, inclusion and consistency proofs (made by RFC 6962's
recursion, checked by RFC 9162's algorithms) and tlog-proofs. Standard library and
python3-nacl only. Shares no code with the C side.
"""

import base64
import hashlib
import struct
import sys

try:
    import nacl.signing
except ImportError:  # a python3 other than Debian's (pyenv ...): use Debian's python3-nacl
    sys.path.append("/usr/lib/python3/dist-packages")
    import nacl.signing
import nacl.exceptions

DASH = "\u2014 "


class VerifyError(Exception):
    pass


def b64(data):
    return base64.b64encode(data).decode("ascii")


def unb64(text):
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as e:
        raise VerifyError("bad base64 %r" % text) from e


def key_id(name, sigtype, pub):
    return struct.unpack(">I", hashlib.sha256(name.encode() + b"\n" + bytes([sigtype]) + pub).digest()[:4])[0]


class Verifier:
    """A verifier key NAME+KEYID+base64(type || key)."""

    def __init__(self, vkey):
        name, hexid, key = vkey.strip().split("+", 2)
        raw = unb64(key)
        if len(raw) != 33 or raw[0] not in (1, 4):
            raise VerifyError("not an Ed25519 vkey: %r" % vkey)
        self.name, self.type, self.pub = name, raw[0], raw[1:]
        self.id = int(hexid, 16)
        if len(hexid) != 8 or key_id(name, self.type, self.pub) != self.id:
            raise VerifyError("key id does not match %r" % vkey)
        self.key = nacl.signing.VerifyKey(self.pub)


def signer_from_skey(skey):
    """(name, type, nacl SigningKey) of a Go-style PRIVATE+KEY+NAME+KEYID+base64(type||seed)."""
    parts = skey.strip().split("+", 4)
    assert parts[:2] == ["PRIVATE", "KEY"], skey
    raw = unb64(parts[4])
    sk = nacl.signing.SigningKey(raw[1:])
    assert key_id(parts[2], raw[0], bytes(sk.verify_key)) == int(parts[3], 16)
    return parts[2], raw[0], sk


def split_note(note):
    """(text, [(name, key id, signature bytes, line)]) of a signed note, per signed-note.md."""
    if not note.endswith("\n") or any(ord(c) < 0x20 and c != "\n" for c in note):
        raise VerifyError("not a note")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise VerifyError("no blank line")
    text, sigs = note[:cut + 1], note[cut + 2:]
    out = []
    for line in sigs.splitlines():
        if not line.startswith(DASH):
            raise VerifyError("bad signature line %r" % line)
        name, sig = line[len(DASH):].split(" ")
        raw = unb64(sig)
        if len(raw) < 5:
            raise VerifyError("short signature")
        out.append((name, struct.unpack(">I", raw[:4])[0], raw[4:], line + "\n"))
    if not out:
        raise VerifyError("no signatures")
    return text, out


def cosignature_message(timestamp, text):
    return ("cosignature/v1\ntime %d\n" % timestamp + text).encode()


def verify_note(note, verifier):
    """The note's text when a signature by verifier verifies (and none by it fails)."""
    text, sigs = split_note(note)
    ok = False
    for name, kid, sig, _ in sigs:
        if name != verifier.name or kid != verifier.id:
            continue
        if verifier.type == 4:
            if len(sig) != 72:
                raise VerifyError("cosignature of %d bytes" % len(sig))
            msg, sig = cosignature_message(struct.unpack(">Q", sig[:8])[0], text), sig[8:]
        else:
            msg = text.encode()
        try:
            verifier.key.verify(msg, sig)
        except nacl.exceptions.BadSignatureError as e:
            raise VerifyError("signature by %s does not verify" % name) from e
        ok = True
    if not ok:
        raise VerifyError("no signature by %s+%08x" % (verifier.name, verifier.id))
    return text


def cosigners(note, verifiers):
    """{name: timestamp} of the witnesses among verifiers whose cosignature verifies."""
    text, sigs = split_note(note)
    out = {}
    for v in verifiers:
        try:
            verify_note(note, v)
        except VerifyError:
            continue
        for name, kid, sig, _ in sigs:
            if name == v.name and kid == v.id:
                out[name] = struct.unpack(">Q", sig[:8])[0]
    return out


def sign_note(text, name, sk):
    sig = sk.sign(text.encode()).signature
    kid = key_id(name, 1, bytes(sk.verify_key))
    return text + "\n" + DASH + name + " " + b64(struct.pack(">I", kid) + sig) + "\n"


def parse_checkpoint(text):
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "" or not lines[0]:
        raise VerifyError("not a checkpoint: %r" % text)
    size = lines[1]
    if not size.isdigit() or (size != "0" and size.startswith("0")):
        raise VerifyError("bad size %r" % size)
    root = unb64(lines[2])
    if len(root) != 32:
        raise VerifyError("bad root")
    return lines[0], int(size), root


# --- RFC 6962 -----------------------------------------------------------------------------

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


class Tree:
    """A tree read from hashes: leaves[i] (level 0), with optional known complete nodes."""

    def __init__(self, node_fn):
        self.node_fn = node_fn  # (level, index) -> hash of a complete subtree
        self.memo = {}

    def mth(self, lo, hi):
        n = hi - lo
        if n == 0:
            return hashlib.sha256(b"").digest()
        if n & (n - 1) == 0 and lo % n == 0:
            key = (n.bit_length() - 1, lo // n)
            if key not in self.memo:
                self.memo[key] = self.node_fn(*key)
            return self.memo[key]
        k = split(n)
        return node_hash(self.mth(lo, lo + k), self.mth(lo + k, hi))

    def path(self, m, lo, hi):
        """RFC 6962 2.1.1 PATH(m, D[lo:hi]), m absolute."""
        if hi - lo == 1:
            return []
        k = split(hi - lo)
        if m < lo + k:
            return self.path(m, lo, lo + k) + [self.mth(lo + k, hi)]
        return self.path(m, lo + k, hi) + [self.mth(lo, lo + k)]

    def inclusion(self, m, n):
        return self.path(m, 0, n)

    def subproof(self, m, lo, hi, whole):
        n = hi - lo
        if m == n:
            return [] if whole else [self.mth(lo, hi)]
        k = split(n)
        if m <= k:
            return self.subproof(m, lo, lo + k, whole) + [self.mth(lo + k, hi)]
        return self.subproof(m - k, lo + k, hi, False) + [self.mth(lo, lo + k)]

    def consistency(self, m, n):
        if m == 0 or m == n:
            return []
        return self.subproof(m, 0, n, True)


def tile_tree(size, get_tile):
    """A Tree over the tlog-tiles of a tree of size; get_tile(level, index, width) -> bytes."""
    cache = {}

    def tile(level, index):
        avail = size >> (8 * level)
        width = 256 if (index + 1) * 256 <= avail else avail - index * 256
        if width <= 0:
            raise VerifyError("tile %d/%d is outside the tree" % (level, index))
        key = (level, index, width)
        if key not in cache:
            data = get_tile(level, index, width)
            if len(data) != 32 * width:
                raise VerifyError("tile %r has %d bytes" % (key, len(data)))
            cache[key] = [data[i:i + 32] for i in range(0, len(data), 32)]
        return cache[key]

    def node(level, index):
        tl, up = divmod(level, 8)
        first, count = index << up, 1 << up
        if first + count > size >> (8 * tl):
            raise VerifyError("node %d/%d is not complete" % (level, index))
        row = tile(tl, first // 256)[first % 256:first % 256 + count]
        while len(row) > 1:
            row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
        return row[0]

    return Tree(node)


def tile_path(level, index, width=256):
    groups = []
    while True:
        groups.append(index % 1000)
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    n = "/".join(["x%03d" % g for g in groups[:-1]] + ["%03d" % groups[-1]])
    return "%d/%s" % (level, n) + (".p/%d" % width if width < 256 else "")


def verify_inclusion(index, size, leaf, proof, root):
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(m, n, proof, old, new):
    """RFC 9162 2.1.4.2."""
    if m == n:
        return not proof and old == new
    if m == 0:
        return not proof
    if not proof:
        return False
    if m & (m - 1) == 0:
        proof = [old] + list(proof)
    fn, sn = m - 1, n - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old and sr == new


def check_tlog_proof(text, log_verifier):
    """Checks a c2sp.org/tlog-proof@v1 whose extra line is the entry: returns (index, entry
    bytes, origin, size) when the entry is included in the signed checkpoint."""
    head, _, note = text.partition("\n\n")
    lines = head.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        raise VerifyError("not a tlog-proof")
    rest = lines[1:]
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = unb64(rest[0][6:])
        rest = rest[1:]
    if not rest or not rest[0].startswith("index "):
        raise VerifyError("no index line")
    index = int(rest[0][6:])
    proof = [unb64(h) for h in rest[1:]]
    origin, size, root = parse_checkpoint(verify_note(note, log_verifier))
    if extra is None or not verify_inclusion(index, size, leaf_hash(extra), proof, root):
        raise VerifyError("inclusion proof does not verify")
    return index, extra, origin, size
