"""Links that share well, and what crawlers ask for: every public page has a description, a
canonical URL (the record's stable page, also when reached by /q/TOKEN), Open Graph and
Twitter tags with a preview image a link preview shows (PNG, at least 600 x 315, checked by
its bytes and decoded by zbarimg); robots.txt, sitemap.xml and /favicon.ico exist; staff
pages stay noindex; each ward's announcements are an Atom feed that a real feed parser
(Debian's python3-feedparser) reads with every current announcement in it.
"""

import html.parser
import os
import struct
import sys
import unittest
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mc  # noqa: E402

import feedparser  # noqa: E402  (python3-feedparser)

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


class _Head(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.canonical = {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and ("name" in a or "property" in a):
            self.tags[a.get("property") or a.get("name")] = a.get("content")
        if tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")


def metas(body):
    """{name or property: content} and the canonical link of a page."""
    p = _Head()
    p.feed(body.decode("utf-8"))
    return p.tags, p.canonical


class Share(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t = mc.TempDir()
        cls.db = mc.new_db(cls.t, "share.db")
        r = mc.run(["demo", "--db", cls.db])
        assert r.rc == 0, r
        cls.srv = mc.start_server_with_base(cls.db)
        cls.port = cls.srv.port
        cls.base = "http://127.0.0.1:%d" % cls.port
        cls.codes = mc.code_list(cls.db)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.srv.close()
        finally:
            cls.t.cleanup()

    def get(self, path, status=200):
        r = mc.request(self.port, path)
        self.assertEqual(r.status, status, "%s: %r" % (path, r))
        return r

    def stable(self, token):
        r, j = mc.api(self.port, token)
        self.assertEqual(r.status, 200, r)
        return urllib.parse.urlsplit(j["url"]).path

    def check_page(self, path, canonical_path):
        body = self.get(path).body
        tags, canonical = metas(body)
        self.assertEqual(canonical, self.base + canonical_path, path)
        for key in ("description", "og:title", "og:description", "og:url", "og:image",
                    "og:type", "twitter:card", "twitter:image"):
            self.assertTrue(tags.get(key), "%s: no %s in %r" % (path, key, tags))
        self.assertEqual(tags["og:url"], canonical)
        self.assertLessEqual(len(tags["description"].encode()), 200)
        self.assertEqual(tags["description"], tags["og:description"])
        return tags

    def check_image(self, url):
        path = urllib.parse.urlsplit(url).path
        r = self.get(path)
        self.assertIn(r.header("Content-Type"), ("image/png", "image/jpeg"))
        self.assertEqual(r.body[:8], b"\x89PNG\r\n\x1a\n")
        w, h = struct.unpack(">II", r.body[16:24])
        self.assertTrue(w >= 600 and h >= 315, (w, h))
        png = self.t.join("preview-%d.png" % abs(hash(path)))
        with open(png, "wb") as f:
            f.write(r.body)
        return mc.zbar_decode(png)

    def test_every_public_page(self):
        images = set()
        pages = [("/", "/w/" + mc.SLUG), ("/w/" + mc.SLUG, "/w/" + mc.SLUG),
                 ("/w/%s/search?q=khai" % mc.SLUG, "/w/%s/search" % mc.SLUG)]
        for token, kind, _ in self.codes:
            if kind == "ward":
                continue
            stable = self.stable(token)
            pages.append((stable, stable))
            # Reached by its printed code, the page says where it really lives.
            pages.append(("/q/" + token, stable))
        for path, canonical in pages:
            with self.subTest(path=path):
                images.add(self.check_page(path, canonical)["og:image"])
        self.assertEqual(images, {self.base + "/w/%s/preview.png" % mc.SLUG})
        ward_token = [t for t, k, _ in self.codes if k == "ward"][0]
        decoded = self.check_image(images.pop())
        self.assertEqual(decoded, mc.qr_url(self.base, ward_token))
        self.assertTrue(self.check_image(self.base + "/preview.png"))

    def test_robots_sitemap_favicon(self):
        robots = self.get("/robots.txt").text
        self.assertIn("Disallow: /staff", robots)
        self.assertIn("Disallow: /supervise", robots)
        self.assertIn("Sitemap: %s/sitemap.xml" % self.base, robots)
        index = ET.fromstring(self.get("/sitemap.xml").body)
        maps = [e.text for e in index.iter(SM + "loc")]
        self.assertEqual(maps, [self.base + "/w/%s/sitemap.xml" % mc.SLUG])
        urls = {e.text for e in ET.fromstring(self.get(urllib.parse.urlsplit(maps[0]).path)
                                              .body).iter(SM + "loc")}
        self.assertIn(self.base + "/w/" + mc.SLUG, urls)
        for token, kind, _ in self.codes:
            if kind in ("procedure", "permit"):
                self.assertIn(self.base + self.stable(token), urls)
        self.assertFalse([u for u in urls if "/staff" in u or "/q/" in u])
        ico = self.get("/favicon.ico")
        self.assertEqual(ico.header("Content-Type"), "image/x-icon")
        self.assertEqual(ico.body[:4], b"\0\0\1\0")
        # Staff pages are kept out of search engines.
        tags, _ = metas(self.get("/staff/login").body)
        self.assertIn("noindex", tags.get("robots", ""))

    def test_atom_feed(self):
        home = self.get("/w/" + mc.SLUG).body
        self.assertIn(b'type="application/atom+xml"', home)
        r = self.get("/w/%s/feed.atom" % mc.SLUG)
        self.assertTrue(r.header("Content-Type").startswith("application/atom+xml"))
        feed = feedparser.parse(r.body)
        self.assertFalse(feed.bozo, getattr(feed, "bozo_exception", None))
        self.assertEqual(feed.version, "atom10")
        self.assertIn("Phường 7", feed.feed.title)
        # Every current announcement the ward home lists, and nothing else.
        listed = {urllib.parse.urljoin(self.base, href) for href in mc.links(home)
                  if "/announcements/" in href}
        self.assertTrue(listed)
        self.assertEqual({e.link for e in feed.entries}, listed)
        for e in feed.entries:
            self.assertTrue(e.title and e.id and e.updated_parsed and e.summary, e)
        self.assertEqual(self.get("/w/no-such-ward/feed.atom", 404).status, 404)


if __name__ == "__main__":
    mc.main()
