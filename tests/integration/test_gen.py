"""`motcham gen`: every printed code scans to its URL, and that URL serves the right page."""

import html
import os
import re
import sys
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

MANIFEST_HEADER = ["token", "kind", "title", "url", "version", "ecc", "file"]


class Gen(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "demo.db")
        cls.demo = mc.run(["demo", "--db", cls.db])
        cls.server = None
        if cls.demo.rc == 0:
            cls.server = mc.Server(cls.db, port=0)
            try:
                cls.server.start()
            except AssertionError as e:
                cls.server_error = str(e)
                cls.server = None

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.server:
                cls.server.close()
        finally:
            cls.t.cleanup()

    def setUp(self):
        self.assertEqual(self.demo.rc, 0, self.demo)
        self.codes = {tok: (kind, title) for tok, kind, title in mc.code_list(self.db)}
        self.assertTrue(self.codes)

    def base(self):
        self.assertIsNotNone(self.server, getattr(self, "server_error", "no server"))
        return "http://127.0.0.1:%d" % self.server.port

    def gen(self, out, *args, base=None):
        return mc.run(["gen", "--db", self.db, "--base-url", base or "http://127.0.0.1:8080",
                       "--out", out] + list(args))

    def manifest(self, out):
        path = os.path.join(out, "manifest.csv")
        self.assertTrue(os.path.exists(path), "no manifest.csv in %s" % out)
        with open(path, "rb") as f:
            raw = f.read()
        raw.decode("utf-8")  # must be UTF-8
        header, rows = mc.read_manifest(path)
        self.assertEqual(header, MANIFEST_HEADER)
        return rows

    def image_path(self, out, row, ext):
        f = row["file"]
        self.assertEqual(os.path.basename(f), row["token"] + "." + ext, row)
        for p in ([f] if os.path.isabs(f) else [os.path.join(out, f), os.path.join(mc.SRC, f)]):
            if os.path.exists(p):
                return p
        self.fail("image %s not found in %s" % (f, out))

    def out_dir(self, name):
        return self.t.join(name)

    # --- the main check ---------------------------------------------------------------

    def test_all_png_decode_to_manifest_url_and_resolve(self):
        base = self.base()
        out = self.out_dir("all-png")
        r = self.gen(out, "--all", "--format", "png", base=base)
        self.assertEqual(r.rc, 0, r)
        rows = self.manifest(out)
        self.assertEqual(sorted(row["token"] for row in rows), sorted(self.codes))
        for row in rows:
            with self.subTest(token=row["token"]):
                tok = row["token"]
                self.assertEqual(row["kind"], self.codes[tok][0])
                self.assertEqual(row["title"], self.codes[tok][1])
                self.assertEqual(row["url"], mc.qr_url(base, tok))
                self.assertEqual(row["ecc"], "Q")
                img = self.image_path(out, row, "png")
                self.assertEqual(mc.zbar_decode(img), row["url"])
                u = urllib.parse.urlsplit(row["url"])
                self.assertEqual((u.hostname, u.port), ("127.0.0.1", self.server.port))
                self.assertEqual(u.path, "/Q/" + tok)
                resp = mc.request(u.port, u.path, host=u.hostname)
                self.assertEqual(resp.status, 200, resp)
                body = resp.body.decode("utf-8")
                title = row["title"]
                self.assertTrue(title in html.unescape(body) or html.escape(title) in body,
                                "title %r not on the page of %s" % (title, tok))

    def test_manifest_version_is_smallest(self):
        for ecc in ("Q", "L", "H"):
            out = self.out_dir("ver-" + ecc)
            args = ["--all", "--format", "png"] + ([] if ecc == "Q" else ["--ecc", ecc])
            r = self.gen(out, *args, base="http://127.0.0.1:8080/")
            self.assertEqual(r.rc, 0, r)
            for row in self.manifest(out):
                with self.subTest(ecc=ecc, token=row["token"]):
                    self.assertEqual(row["url"], mc.qr_url("http://127.0.0.1:8080", row["token"]),
                                     "trailing '/' of the base URL must be dropped")
                    self.assertEqual(row["ecc"], ecc)
                    self.assertEqual(int(row["version"]), mc.qrencode_version(row["url"], ecc))

    def test_png_geometry_and_phys(self):
        tok = next(t for t, (k, _) in self.codes.items() if k == "ward")
        out = self.out_dir("geom")
        r = self.gen(out, "--token", tok, "--format", "png", "--scale", "3", "--margin", "2",
                     "--dpi", "600")
        self.assertEqual(r.rc, 0, r)
        (row,) = self.manifest(out)
        with open(self.image_path(out, row, "png"), "rb") as f:
            info = mc.png_info(f.read())
        modules = 17 + 4 * int(row["version"]) + 2 * 2
        self.assertEqual((info["width"], info["height"]), (modules * 3, modules * 3))
        self.assertEqual((info["depth"], info["color"]), (1, 0), "1-bit greyscale")
        self.assertEqual(info["phys"], (23622, 23622, 1), "600 dpi = 23622 dots per metre")
        self.assertEqual(mc.zbar_decode(self.image_path(out, row, "png")), row["url"])

    def test_png_default_scale_margin_and_dpi(self):
        tok = next(t for t, (k, _) in self.codes.items() if k == "permit")
        out = self.out_dir("defaults")
        r = self.gen(out, "--token", tok, "--format", "png")
        self.assertEqual(r.rc, 0, r)
        (row,) = self.manifest(out)
        with open(self.image_path(out, row, "png"), "rb") as f:
            info = mc.png_info(f.read())
        modules = 17 + 4 * int(row["version"]) + 2 * 4
        self.assertEqual(info["width"], modules * 8, "default scale 8, margin 4")
        self.assertEqual(info["phys"], (11811, 11811, 1), "default 300 dpi")

    def test_size_mm_sets_scale_and_phys(self):
        tok = next(t for t, (k, _) in self.codes.items() if k == "procedure")
        out = self.out_dir("size-mm")
        r = self.gen(out, "--token", tok, "--format", "png", "--size-mm", "30", "--dpi", "300")
        self.assertEqual(r.rc, 0, r)
        (row,) = self.manifest(out)
        img = self.image_path(out, row, "png")
        with open(img, "rb") as f:
            info = mc.png_info(f.read())
        self.assertEqual(info["phys"], (11811, 11811, 1))
        modules = 17 + 4 * int(row["version"]) + 2 * 4
        self.assertEqual(info["width"] % modules, 0, "whole pixels per module")
        # Whole pixels per module: the largest scale whose image is not wider than asked.
        size_px = 30 / 25.4 * 300
        self.assertLessEqual(info["width"], size_px, "printed wider than 30 mm")
        self.assertGreater(info["width"] + modules, size_px, "a larger scale would still fit")
        self.assertEqual(mc.zbar_decode(img), row["url"])

    def test_size_mm_too_small_fails(self):
        out = self.out_dir("too-small")
        r = self.gen(out, "--all", "--format", "png", "--size-mm", "5", "--dpi", "72")
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.err.strip(), "a message is expected: %r" % r)

    def test_svg(self):
        out = self.out_dir("svg")
        r = self.gen(out, "--kind", "ward", "--format", "svg", "--margin", "2")
        self.assertEqual(r.rc, 0, r)
        rows = self.manifest(out)
        self.assertEqual(len(rows), 1)
        out_all = self.out_dir("svg-all")
        r = self.gen(out_all, "--all", "--format", "svg", "--size-mm", "25")
        self.assertEqual(r.rc, 0, r)
        all_rows = self.manifest(out_all)
        self.assertEqual(len(all_rows), len(self.codes))
        checks = [(out, rows[0], 2, None)] + [(out_all, row, 4, 25.0) for row in all_rows]
        for n, (d, row, margin, size_mm) in enumerate(checks):
            with self.subTest(token=row["token"], margin=margin):
                with open(self.image_path(d, row, "svg"), encoding="utf-8") as f:
                    svg = f.read()
                root = ET.fromstring(svg)  # well-formed XML
                self.assertTrue(root.tag.endswith("svg"))
                self.assertEqual(svg.count("<path"), 1)
                side = 17 + 4 * int(row["version"]) + 2 * margin
                vb = [float(v) for v in root.get("viewBox").replace(",", " ").split()]
                self.assertEqual(vb, [0, 0, side, side])
                if size_mm:
                    for attr in ("width", "height"):
                        m = re.fullmatch(r"([\d.]+)mm", root.get(attr) or "")
                        self.assertTrue(m, "%s=%r" % (attr, root.get(attr)))
                        self.assertAlmostEqual(float(m.group(1)), size_mm, places=2)
                if n < 4:  # draw a few of them and scan them
                    png = self.t.join("svg-%d.png" % n)
                    mc.svg_to_png(svg, png)
                    self.assertEqual(mc.zbar_decode(png), row["url"])

    def test_kind_and_token_selection(self):
        permits = {t for t, (k, _) in self.codes.items() if k == "permit"}
        out = self.out_dir("kind")
        r = self.gen(out, "--kind", "permit", "--format", "png")
        self.assertEqual(r.rc, 0, r)
        rows = self.manifest(out)
        self.assertEqual({row["token"] for row in rows}, permits)
        self.assertTrue(all(row["kind"] == "permit" for row in rows))
        pngs = [f for f in os.listdir(out) if f.endswith(".png")]
        self.assertEqual(len(pngs), len(permits))
        # A token as typed (lower case, with a dash) is normalised.
        tok = sorted(permits)[0]
        out = self.out_dir("one")
        r = self.gen(out, "--token", tok[:4].lower() + "-" + tok[4:].lower(), "--format", "svg")
        self.assertEqual(r.rc, 0, r)
        (row,) = self.manifest(out)
        self.assertEqual(row["token"], tok)
        self.assertTrue(os.path.exists(os.path.join(out, tok + ".svg")))

    def test_unknown_token_and_bad_options(self):
        tok = sorted(self.codes)[0]
        r = self.gen(self.out_dir("bad1"), "--token", mc.mistype(tok), "--format", "png")
        self.assertEqual(r.rc, 1, r)
        self.assertTrue(r.err.strip(), r)
        r = self.gen(self.out_dir("bad2"), "--all", "--format", "gif")
        self.assertIn(r.rc, (1, 2), r)
        r = self.gen(self.out_dir("bad3"), "--all", "--format", "png", "--ecc", "X")
        self.assertIn(r.rc, (1, 2), r)
        r = self.gen(self.out_dir("bad4"), "--all", "--format", "png", base="ftp://example")
        self.assertIn(r.rc, (1, 2), r)
        r = self.gen(self.out_dir("bad5"), "--all", "--format", "png",
                     base="http://127.0.0.1:8080/a?b=c")
        self.assertIn(r.rc, (1, 2), "'?' does not fit QR alphanumeric mode: %r" % r)
        for d in ("bad2", "bad3", "bad4", "bad5"):
            self.assertFalse(os.path.exists(os.path.join(self.out_dir(d), "manifest.csv")), d)


if __name__ == "__main__":
    mc.main()
