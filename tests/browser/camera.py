"""An ordinary phone camera looking at a printed sheet, then two QR decoders reading the photo.

Used by camera.test.mjs (run with Debian's /usr/bin/python3: python3-pil, python3-numpy,
python3-zxing-cpp and zbar-tools). Input: a rasterised sheet (PNG of the paper that exists,
at a known dpi), where the code's centre is on it, the distance. Output (stdout, JSON): what
each decoder read and the pixels per module the camera gets.

The camera and the conditions are fixed here, not chosen per sheet, and nothing is tuned to
make a sheet pass:
- 12 MP sensor, 4000 x 3000 pixels, 70 degrees horizontal field of view (a phone's main
  camera), so the focal length is 2000 / tan(35 deg) = 2856 pixels;
- aimed at the code's centre from the given distance, the sheet turned 15 degrees about its
  vertical axis (seen from the side of the street): an exact pinhole projection, each sensor
  pixel averaging 4 x 4 points of the sheet (a pixel integrates the light over its area);
- slight blur: a Gaussian of sigma 1.0 pixel (lens and demosaicing);
- uneven light: paper reflects 85 %, ink 6 %; the light falls linearly to half across the
  sheet, and exposure is set for the brightest paper; sensor noise of sigma 2 levels;
- JPEG at quality 75, as a phone hands its frames to a scanning app.
The photo is the part of the frame around the sheet (on a grey wall), as an app crops it.
"""

import argparse
import io
import json
import math
import subprocess
import sys

import numpy as np
from PIL import Image, ImageFilter
import zxingcpp

SENSOR_W, SENSOR_H = 4000, 3000
HFOV_DEG = 70.0
FOCAL_PX = (SENSOR_W / 2) / math.tan(math.radians(HFOV_DEG / 2))
TILT_DEG = 15.0
SUPERSAMPLE = 4
BLUR_SIGMA_PX = 1.0
PAPER, INK, WALL = 0.85, 0.06, 0.35
LIGHT_FALL = 0.5  # the far side of the sheet gets half the light of the near side
NOISE_LEVELS = 2.0
JPEG_QUALITY = 75
MARGIN_PX = 48


def project(x, y, d, tilt):
    """Sheet point (metres from the code's centre, x right, y down) to sensor offsets from
    the optical centre, for a sheet turned by tilt about its vertical axis."""
    z = d + x * math.sin(tilt)
    return FOCAL_PX * x * math.cos(tilt) / z, FOCAL_PX * y / z


def unproject(u, v, d, tilt):
    """Sensor offsets (arrays) back to sheet metres: the inverse of project."""
    x = u * d / (FOCAL_PX * math.cos(tilt) - u * math.sin(tilt))
    y = v * (d + x * math.sin(tilt)) / FOCAL_PX
    return x, y


def bilinear(img, px, py, outside):
    h, w = img.shape
    x0 = np.floor(px).astype(np.int64)
    y0 = np.floor(py).astype(np.int64)
    fx, fy = px - x0, py - y0
    inside = (x0 >= 0) & (y0 >= 0) & (x0 < w - 1) & (y0 < h - 1)
    x0c, y0c = np.clip(x0, 0, w - 2), np.clip(y0, 0, h - 2)
    a = img[y0c, x0c]
    b = img[y0c, x0c + 1]
    c = img[y0c + 1, x0c]
    e = img[y0c + 1, x0c + 1]
    val = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + e * fx) * fy
    return np.where(inside, val, outside), inside


def photograph(sheet, dpi, centre, distance, seed):
    """sheet: 2-D array of reflectance 0..1; centre: the code's centre in sheet pixels."""
    tilt = math.radians(TILT_DEG)
    m_per_px = 0.0254 / dpi
    h, w = sheet.shape
    corners = [((cx - centre[0]) * m_per_px, (cy - centre[1]) * m_per_px)
               for cx, cy in ((0, 0), (w, 0), (0, h), (w, h))]
    us, vs = zip(*(project(x, y, distance, tilt) for x, y in corners))
    u0 = max(math.floor(min(us)) - MARGIN_PX, -SENSOR_W // 2)
    u1 = min(math.ceil(max(us)) + MARGIN_PX, SENSOR_W // 2)
    v0 = max(math.floor(min(vs)) - MARGIN_PX, -SENSOR_H // 2)
    v1 = min(math.ceil(max(vs)) + MARGIN_PX, SENSOR_H // 2)
    uu = np.arange(u0, u1, dtype=np.float64)
    vv = np.arange(v0, v1, dtype=np.float64)
    acc = np.zeros((len(vv), len(uu)))
    light = np.zeros_like(acc)
    for i in range(SUPERSAMPLE):
        for j in range(SUPERSAMPLE):
            U, V = np.meshgrid(uu + (i + 0.5) / SUPERSAMPLE, vv + (j + 0.5) / SUPERSAMPLE)
            x, y = unproject(U, V, distance, tilt)
            px = x / m_per_px + centre[0]
            py = y / m_per_px + centre[1]
            r, inside = bilinear(sheet, px, py, WALL)
            acc += r
            # The light falls off across the sheet, left to right.
            light += 1.0 - LIGHT_FALL * np.clip(px / w, 0.0, 1.0)
    n = SUPERSAMPLE * SUPERSAMPLE
    signal = (acc / n) * (light / n) / PAPER * 235.0
    img = Image.fromarray(np.clip(signal, 0, 255).astype(np.uint8), "L")
    img = img.filter(ImageFilter.GaussianBlur(BLUR_SIGMA_PX))
    noisy = np.asarray(img, dtype=np.float64)
    noisy += np.random.default_rng(seed).normal(0.0, NOISE_LEVELS, noisy.shape)
    img = Image.fromarray(np.clip(np.rint(noisy), 0, 255).astype(np.uint8), "L")
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=JPEG_QUALITY)
    return buf.getvalue()


def zbar(path):
    r = subprocess.run(["zbarimg", "--raw", "-q", path], capture_output=True, text=True,
                       timeout=120)
    return [s.strip() for s in r.stdout.splitlines() if s.strip()]


def zxing(path):
    with Image.open(path) as img:
        found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    return [r.text for r in found if r.valid]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sheet", required=True, help="PNG of the paper, at --dpi")
    ap.add_argument("--dpi", type=float, required=True)
    ap.add_argument("--centre-mm", type=float, nargs=2, required=True,
                    help="the code's centre on the sheet, millimetres from its top left")
    ap.add_argument("--module-mm", type=float, required=True, help="one module's side")
    ap.add_argument("--distance", type=float, required=True, help="metres")
    ap.add_argument("--out", required=True, help="where the photo (JPEG) goes")
    ap.add_argument("--seed", type=int, default=15)
    a = ap.parse_args()

    with Image.open(a.sheet) as im:
        grey = np.asarray(im.convert("L"), dtype=np.float64) / 255.0
    sheet = INK + (PAPER - INK) * grey
    centre = [c / 25.4 * a.dpi for c in a.centre_mm]
    jpeg = photograph(sheet, a.dpi, centre, a.distance, a.seed)
    with open(a.out, "wb") as f:
        f.write(jpeg)
    # Pixels per module at the code's centre: across (foreshortened by the tilt) and down.
    ppm = FOCAL_PX * a.module_mm / 1000.0 / a.distance
    with Image.open(a.out) as im:
        size = im.size
    json.dump({"zbar": zbar(a.out), "zxing": zxing(a.out),
               "ppm_across": round(ppm * math.cos(math.radians(TILT_DEG)), 2),
               "ppm_down": round(ppm, 2), "photo": list(size)}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
