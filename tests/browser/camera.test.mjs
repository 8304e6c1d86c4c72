// Printed codes read by a phone from where people stand: the permit notice from across a
// narrow street (3 m), the procedure poster on the office wall (1.5 m), the keychain label
// in the hand (25 cm). Each print page is printed to PDF by Chromium, the paper that exists
// (the A4 sheet, or one cut keychain label) is rasterised with pdftoppm, photographed by the
// simulated camera of camera.py (12 MP, 70 degree field of view, 15 degree tilt, blur,
// uneven light, JPEG) and decoded by zbar and by ZXing; both must read the code's URL. The
// pixels per module the camera gets are printed. The photos are kept under MC_ARTIFACTS.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ARTIFACTS, HERE_DIR, open, pdfPages, rasterise, run, signIn } from './harness.mjs';

const PYTHON = process.env.MC_PYTHON || '/usr/bin/python3';
const PX_MM = 25.4 / 96; // a CSS pixel in millimetres
const A4_PX = Math.round(210 / PX_MM);

let h = null;

before(async () => {
	h = await open('motcham-camera-');
	await signIn(h);
	fs.mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
	await h?.close();
});

// Where, in millimetres from the sheet's top left, the print page puts the code (the img
// of selector, quiet zone included) and the box of paper around it (paper: a selector, the
// sheet itself by default), laid out for print at the A4 width; and the symbol's size in
// modules, from its SVG.
async function measure(page, selector, paper = '.a4') {
	await page.setViewportSize({ width: A4_PX, height: 1200 });
	await page.emulateMedia({ media: 'print' });
	const m = await page.evaluate(([sel, box]) => {
		const sheet = document.querySelector('.a4').getBoundingClientRect();
		const img = document.querySelector(sel);
		const r = img.getBoundingClientRect();
		const p = document.querySelector(box).getBoundingClientRect();
		return {
			img: [r.left - sheet.left, r.top - sheet.top, r.width, r.height],
			paper: [p.left - sheet.left, p.top - sheet.top, p.width, p.height],
			src: img.src,
		};
	}, [selector, paper]);
	await page.emulateMedia({ media: null });
	// The page's CSP lets it fetch nothing: the test asks for the picture itself.
	const svg = await (await fetch(m.src)).text();
	const vb = /viewBox="0 0 (\d+) (\d+)"/.exec(svg);
	const mm = (a) => a.map((v) => v * PX_MM);
	return { img: mm(m.img), paper: mm(m.paper), modules: vb ? Number(vb[1]) : 0 };
}

// Prints the page at url, photographs the paper from distance metres and decodes the photo.
async function photograph(t, name, url, selector, paper, distance, dpi) {
	const page = h.page;
	const resp = await page.goto(url);
	assert.equal(resp.status(), 200, url);
	const file = path.join(h.tmp, `${name}.pdf`);
	await page.pdf({ path: file, format: 'A4', printBackground: true });
	assert.equal(pdfPages(file), 1, `${name}: one page`);
	fs.copyFileSync(file, path.join(ARTIFACTS, `camera-${name}.pdf`));
	const m = await measure(page, selector, paper);
	assert.ok(m.modules >= 21 + 8, `${name}: a QR symbol with its quiet zone (${m.modules})`);
	assert.ok(Math.abs(m.img[2] - m.img[3]) < 0.1, `${name}: the code is square`);
	// The code lies wholly on the paper.
	assert.ok(m.img[0] >= m.paper[0] - 0.1 && m.img[1] >= m.paper[1] - 0.1 &&
		m.img[0] + m.img[2] <= m.paper[0] + m.paper[2] + 0.1 &&
		m.img[1] + m.img[3] <= m.paper[1] + m.paper[3] + 0.1, `${name}: code on the paper`);
	const sheet = rasterise(file, dpi, paper === '.a4' ? null : m.paper);
	const centre = [m.img[0] + m.img[2] / 2 - (paper === '.a4' ? 0 : m.paper[0]),
		m.img[1] + m.img[3] / 2 - (paper === '.a4' ? 0 : m.paper[1])];
	const photo = path.join(ARTIFACTS, `camera-${name}.jpg`);
	const moduleMm = m.img[2] / m.modules;
	const r = run(PYTHON, [path.join(HERE_DIR, 'camera.py'), '--sheet', sheet, '--dpi',
		String(dpi), '--centre-mm', String(centre[0]), String(centre[1]), '--module-mm',
		String(moduleMm), '--distance', String(distance), '--out', photo], { timeout: 300000 });
	assert.equal(r.status, 0, `camera.py: ${r.stderr}`);
	const got = JSON.parse(r.stdout);
	t.diagnostic(`${name}: code ${m.img[2].toFixed(1)} mm (${m.modules} modules with the ` +
		`quiet zone, ${moduleMm.toFixed(2)} mm each), at ${distance} m: ` +
		`${got.ppm_across} px per module across (15° tilt), ${got.ppm_down} down; ` +
		`photo ${got.photo.join('x')} px of the 4000x3000 frame`);
	return got;
}

function tokenOf(kind, id) {
	const tok = h.sql(`SELECT token FROM code WHERE target_kind = '${kind}' AND target_id = ${id} ` +
		'AND revoked_at IS NULL ORDER BY id DESC LIMIT 1;');
	assert.match(tok, /^[0-9A-HJKMNP-TV-Z]{9}$/);
	return tok;
}

const url = (token) => `${h.base}/q/${token}`.toUpperCase();

function assertRead(got, token, name) {
	assert.deepEqual(got.zbar.map((s) => s.toUpperCase()), [url(token)], `${name}: zbar`);
	assert.deepEqual(got.zxing.map((s) => s.toUpperCase()), [url(token)], `${name}: ZXing`);
}

test('permit notice: read from 3 m', { timeout: 300000 }, async (t) => {
	const id = h.sql("SELECT min(p.id) FROM permit p JOIN code c ON c.target_kind = 'permit' " +
		"AND c.target_id = p.id AND c.revoked_at IS NULL WHERE p.status = 'in_progress';");
	const got = await photograph(t, 'notice', `${h.base}/staff/print/permits/${id}`,
		'.qrbox img', '.a4', 3.0, 150);
	assertRead(got, tokenOf('permit', id), 'notice');
});

test('procedure poster: read from 1.5 m', { timeout: 300000 }, async (t) => {
	const id = h.sql("SELECT min(p.id) FROM procedure p JOIN code c ON c.target_kind = " +
		"'procedure' AND c.target_id = p.id AND c.revoked_at IS NULL;");
	const got = await photograph(t, 'poster', `${h.base}/staff/print/procedures/${id}`,
		'.qrbox img', '.a4', 1.5, 200);
	assertRead(got, tokenOf('procedure', id), 'poster');
});

test('keychain label: read from 25 cm', { timeout: 300000 }, async (t) => {
	const ward = h.sql("SELECT id FROM ward WHERE slug = 'phuong-7-quan-8';");
	// One label as it is cut from the sheet: the paper is the first cell of the grid.
	const got = await photograph(t, 'keychain', `${h.base}/staff/print/keychain`,
		'.label img', '.label', 0.25, 1200);
	assertRead(got, tokenOf('ward', ward), 'keychain');
});
