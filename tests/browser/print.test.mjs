// Print test in a real browser: Debian's headless Chromium driven by playwright-core (which
// never downloads a browser here). A staff member signs in and creates a permit through the
// real forms; the notice and the keychain sheet are printed to PDF, rasterised with pdftoppm
// and decoded with zbarimg; a phone-sized screenshot of the public page is kept as an artifact.
//
// Run: node --test tests/browser/print.test.mjs (meson does it in the "browser" suite).
// Environment: MOTCHAM (the binary, default build/motcham), MOTCHAM_SRC (source root),
// MC_ARTIFACTS (where the screenshot goes, default $MESON_BUILD_ROOT or the temp dir).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { ARTIFACTS, SLUG, fillField, open, pdfPages, pngSize, rasterise, run, signIn, submit, day }
	from './harness.mjs';

let h = null;

// Rasterises page 1 of a PDF and returns every symbol zbarimg reads in it.
function decodePdf(file, dpi, crop) {
	const z = run('zbarimg', ['--raw', '-q', rasterise(file, dpi, crop)]);
	// zbarimg exits 4 when it finds nothing: that is a test failure, reported below.
	return z.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}

const codeUrl = (token) => `${h.base}/q/${token}`.toUpperCase();

before(async () => {
	h = await open('motcham-browser-');
});

after(async () => {
	await h?.close();
});

let permitId = null;

test('sign in and create a permit through the real forms', { timeout: 120000 }, async () => {
	const page = h.page;
	await signIn(h);

	const resp = await page.goto(`${h.base}/staff/permits/new`);
	assert.equal(resp.status(), 200);
	const form = page.locator('form[action$="/staff/permits"]').first();
	const fields = {
		number: '321/GPSC-TRINHDUYET',
		kind: 'renovation',
		address: '27 Đường Dương Bá Trạc, Phường 7, Quận 8',
		owner_name: 'Phạm Quốc Bảo',
		scope: 'Cải tạo mặt tiền, thay mái tôn',
		floors: '2',
		area_m2: '54',
		height_m: '8.5',
		contractor: 'Hộ kinh doanh Thợ Xây Ba Tốt',
		office: 'UBND Phường 7, Quận 8',
		issued_on: day(-5),
		starts_on: day(-3),
		ends_on: day(90),
	};
	for (const [k, v] of Object.entries(fields)) await fillField(page, form, k, v);
	await submit(page, '/staff/permits');
	const m = /^\/staff\/permits\/(\d+)$/.exec(new URL(page.url()).pathname);
	assert.ok(m, `after create: ${page.url()}`);
	permitId = Number(m[1]);
	assert.equal(h.sql(`SELECT number FROM permit WHERE id = ${permitId};`), fields.number);
});

test('permit notice prints on one A4 page with a readable code', { timeout: 120000 }, async () => {
	assert.ok(permitId, 'needs the permit from the first test');
	const token = h.sql(`SELECT token FROM code WHERE target_kind = 'permit' AND target_id = ${permitId} ` +
		'AND revoked_at IS NULL;');
	assert.match(token, /^[0-9A-HJKMNP-TV-Z]{9}$/);
	const resp = await h.page.goto(`${h.base}/staff/print/permits/${permitId}`);
	assert.equal(resp.status(), 200);
	const file = path.join(h.tmp, 'notice.pdf');
	await h.page.pdf({ path: file, format: 'A4', printBackground: true });
	assert.equal(pdfPages(file), 1, 'the notice must fit one page');
	const symbols = decodePdf(file, 150);
	assert.deepEqual(symbols.map((s) => s.toUpperCase()), [codeUrl(token)]);
	// The token is printed under the code so it can be typed.
	assert.ok((await h.page.textContent('body')).includes(token), 'token printed');
});

test('keychain sheet prints on one A4 page of readable codes', { timeout: 180000 }, async (t) => {
	const wardId = h.sql(`SELECT id FROM ward WHERE slug = '${SLUG}';`);
	const token = h.sql(`SELECT token FROM code WHERE target_kind = 'ward' AND target_id = ${wardId} ` +
		'AND revoked_at IS NULL ORDER BY id DESC LIMIT 1;');
	assert.match(token, /^[0-9A-HJKMNP-TV-Z]{9}$/);
	const resp = await h.page.goto(`${h.base}/staff/print/keychain`);
	assert.equal(resp.status(), 200);
	const file = path.join(h.tmp, 'keychain.pdf');
	await h.page.pdf({ path: file, format: 'A4', printBackground: true });
	assert.equal(pdfPages(file), 1, 'the sheet must fit one page');
	// One label, as a resident's keychain would be cut: the first cell of the 7 x 8 grid of
	// 27 x 34 mm labels that starts 10.5 mm from the left and 12.5 mm from the top
	// (assets/print.css), with a little of the cut margin around it.
	const one = decodePdf(file, 300, [8.5, 10.5, 31, 38]).map((s) => s.toUpperCase());
	assert.deepEqual(one, [codeUrl(token)], 'the first label decodes to the ward URL');
	// The whole sheet: zbarimg finds a varying number of the 56 symbols on one page, and
	// every one it finds must be the ward's.
	const symbols = decodePdf(file, 300).map((s) => s.toUpperCase());
	t.diagnostic(`${symbols.length} labels read on the whole sheet at 300 dpi`);
	assert.ok(symbols.every((s) => s === codeUrl(token)), `a label with another code: ${symbols}`);
});

test('public permit page at phone size: screenshot kept, no sideways scrolling',
	{ timeout: 120000 }, async () => {
		// A demo permit: this page needs no account, so it does not depend on the tests above.
		const id = h.sql(`SELECT min(id) FROM permit WHERE status = 'in_progress';`);
		const page = await h.context.newPage();
		try {
			await page.setViewportSize({ width: 390, height: 844 });
			const resp = await page.goto(`${h.base}/w/${SLUG}/permits/${id}`);
			assert.equal(resp.status(), 200);
			const overflow = await page.evaluate(
				() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
			assert.ok(overflow <= 0, `page is ${overflow}px wider than a 390px phone`);
			fs.mkdirSync(ARTIFACTS, { recursive: true });
			const shot = path.join(ARTIFACTS, 'permit-390x844.png');
			fs.rmSync(shot, { force: true });
			await page.screenshot({ path: shot });
			assert.ok(fs.existsSync(shot), `no screenshot at ${shot}`);
			const size = pngSize(shot);
			assert.equal(size.width, 390);
			assert.equal(size.height, 844);
		} finally {
			await page.close();
		}
	});
