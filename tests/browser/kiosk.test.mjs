// The lobby kiosk in a real browser (Debian's headless chromium through playwright-core), as
// issue 13 says it is checked: at 1920x1080 and 1080x1920 the slides advance on a short
// duration set for the test and cover the announcements and the featured procedures, and a
// screenshot of each decodes with zbarimg to that record's code URL; a tap opens the procedure
// list and the rotation comes back after the idle time; an urgent notice pushed on the staff
// page shows within 10 s and goes when lifted; heartbeats show on the staff page and a stopped
// screen is marked silent; with the server stopped the screen keeps rotating the same content
// with the offline note (a reload too, through the service worker), and once the server is
// back a changed announcement shows within a minute. Screenshots at TV and phone size are kept
// as artifacts.
//
// Waits are bounded and poll (two shared cores): every check of time allows for a loaded
// machine except the issue's own bounds (10 s for a notice, a minute after a restart).
//
// Run: node --test tests/browser/kiosk.test.mjs (meson does it in the "browser" suite).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import {
	ARTIFACTS, decodeImage, dropDb, fillField, launch, motcham, newDb, pngSize, signIn,
	sql as dbSql, startServer, STEP_MS, stopServer, submit,
} from './harness.mjs';

const SLUG = 'phuong-7-quan-8';
const USER = 'sanh';
const PASSWORD = 'mat-khau-man-hinh-sanh';
const SLIDE_S = 3; // the slide duration set for the test (?slide=)
const MIN_TEXT_PX = 32;

const state = { tmp: null, db: null, port: 0, server: null, base: null, context: null,
	staff: null, foreign: [] };

const sql = (query) => dbSql(state.db, query);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns a true value or ms pass; returns the value (or the last one).
async function until(fn, ms, what, step = 200) {
	const end = Date.now() + ms;
	let v;
	for (;;) {
		v = await fn();
		if (v) return v;
		if (Date.now() > end) assert.fail(`${what}: not within ${ms / 1000} s (last: ${v})`);
		await sleep(step);
	}
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

async function feed() {
	const r = await fetch(`${state.base}/kiosk/${SLUG}/feed.json`);
	assert.equal(r.status, 200);
	return r.json();
}

// A kiosk page at a screen size, with its settings in the query string.
async function kiosk(width, height, query) {
	const page = await state.context.newPage();
	await page.setViewportSize({ width, height });
	page.on('request', (r) => {
		if (!r.url().startsWith(`${state.base}/`)) state.foreign.push(r.url());
	});
	const resp = await page.goto(`${state.base}/kiosk/${SLUG}?${query}`);
	assert.equal(resp.status(), 200);
	await until(() => page.evaluate(() => document.documentElement.classList.contains('js')),
		STEP_MS, 'the page\'s script');
	return page;
}

const shownKey = (page) => page.evaluate(() =>
	document.querySelector('#k-content .slide.on')?.getAttribute('data-key') ?? null);

// Notes in the page itself when each slide comes on, so that the timing does not depend on
// how fast this process polls.
function watchSlides(page) {
	return page.evaluate(() => {
		window.shows = [];
		const note = () => {
			const on = document.querySelector('#k-content .slide.on');
			const key = on && on.getAttribute('data-key');
			const last = window.shows[window.shows.length - 1];
			if (key && (!last || last.key !== key)) window.shows.push({ key, t: performance.now() });
		};
		new MutationObserver(note).observe(document.getElementById('k-content'),
			{ subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
		note();
	});
}

// Every visible piece of text smaller than MIN_TEXT_PX.
const smallText = (page) => page.evaluate((min) => {
	const out = [];
	for (const el of document.querySelectorAll('body *')) {
		if (!el.getClientRects().length) continue;
		const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
		const size = parseFloat(getComputedStyle(el).fontSize);
		if (own && size < min) out.push(`${el.tagName}.${el.className}: ${size}px`);
	}
	return out;
}, MIN_TEXT_PX);

async function staffPage(pathname) {
	const resp = await state.staff.goto(`${state.base}${pathname}`);
	assert.equal(resp.status(), 200, `${pathname}: ${resp.status()}`);
	return state.staff;
}

async function staffPost(pathname, fields, action) {
	const page = await staffPage(pathname);
	const form = page.locator(`form[action$="${action}"]`).first();
	for (const [k, v] of Object.entries(fields)) await fillField(page, form, k, v);
	await submit(page, action);
	return page;
}

before(async () => {
	state.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'motcham-kiosk-'));
	state.db = newDb(state.tmp, 'k.db');
	motcham(['demo', '--db', state.db]);
	motcham(['user', 'add', '--db', state.db, '--name', USER, '--role', 'staff', '--ward', SLUG],
		`${PASSWORD}\n`);
	// A port of its own: the server is stopped and started again on it.
	state.port = await freePort();
	state.server = await startServer(state.db, state.port);
	state.base = state.server.base;
	({ context: state.context, page: state.staff } = await launch(state.tmp));
	await signIn({ base: state.base }, state.staff, USER, PASSWORD);
	// Two featured procedures, chosen through the real form, the second before the first.
	for (const title of ['Đăng ký kết hôn', 'Đăng ký khai sinh']) {
		const id = sql(`SELECT id FROM procedure WHERE title = '${title}';`);
		await staffPost('/staff/kiosk', { procedure: id, seconds: '12' }, '/staff/kiosk/features');
	}
	fs.mkdirSync(ARTIFACTS, { recursive: true });
});

after(async () => {
	await state.context?.close().catch(() => {});
	const code = await stopServer(state.server);
	if (state.db) dropDb(state.db);
	if (state.tmp) fs.rmSync(state.tmp, { recursive: true, force: true });
	assert.equal(code, 0, `server did not stop cleanly: ${state.server?.stderrText?.()}`);
	assert.deepEqual(state.foreign, [], 'the kiosk asked another site for something');
});

for (const [width, height] of [[1920, 1080], [1080, 1920]]) {
	test(`${width}x${height}: slides advance, cover announcements and featured procedures, ` +
		'each code decodes to its record', { timeout: 240000 }, async (t) => {
		const f = await feed();
		const kinds = f.slides.map((s) => s.kind);
		assert.ok(kinds.filter((k) => k === 'announcement').length >= 3, `slides: ${kinds}`);
		assert.deepEqual(f.slides.filter((s) => s.kind === 'procedure').map((s) => s.title),
			['Đăng ký kết hôn', 'Đăng ký khai sinh'], 'the featured procedures, in their order');
		const page = await kiosk(width, height, `slide=${SLIDE_S}&screen=tv-${width}x${height}`);
		try {
			await watchSlides(page);
			assert.deepEqual(await smallText(page), [], `text under ${MIN_TEXT_PX}px`);
			// Burn-in: the whole layout moves a few pixels, in steps minutes apart.
			const shift = await page.evaluate(() => {
				const a = document.getAnimations().find((x) => x.animationName === 'k-shift');
				if (!a) return null;
				const moves = a.effect.getKeyframes().map((k) => (k.transform.match(/-?\d+(\.\d+)?px/g) ||
					[]).map((px) => Math.abs(parseFloat(px))));
				return { ms: a.effect.getTiming().duration, max: Math.max(...moves.flat()),
					steps: a.effect.getKeyframes().length - 1 };
			});
			assert.ok(shift, 'no burn-in shift');
			assert.ok(shift.max > 0 && shift.max <= 6, `shift of ${shift.max}px`);
			assert.ok(shift.ms / shift.steps >= 120000, `a step every ${shift.ms / shift.steps} ms`);

			const want = new Map(f.slides.map((s) => [s.key, s]));
			const shots = new Map();
			const deadline = Date.now() + want.size * SLIDE_S * 4000 + 60000;
			while (shots.size < want.size) {
				assert.ok(Date.now() < deadline, `slides seen: ${[...shots.keys()]}`);
				const key = await shownKey(page);
				if (key && want.has(key) && !shots.has(key)) {
					const file = path.join(state.tmp, `${width}x${height}-${key.replace(':', '-')}.png`);
					await page.screenshot({ path: file });
					// The screenshot is of this slide only if it was still on afterwards.
					if (await shownKey(page) === key) shots.set(key, file);
					continue;
				}
				await until(async () => await shownKey(page) !== key, SLIDE_S * 4000 + 20000,
					`the slide after ${key}`, 100);
			}
			for (const [key, file] of shots) {
				assert.deepEqual(decodeImage(file).map((s) => s.toUpperCase()), [want.get(key).url],
					`the code on ${key}`);
			}
			// The code is large: at least a tenth of the screen's height.
			const qr = await page.evaluate(() =>
				document.querySelector('#k-content .slide.on .code img').getBoundingClientRect().height);
			assert.ok(qr >= height / 10, `code of ${qr}px on a ${height}px screen`);
			// On schedule: each slide stayed its time (a loaded machine may add a little). The
			// first one noted was already on when the watch began.
			const shows = await page.evaluate(() => window.shows);
			const gaps = shows.slice(2).map((s, i) => (s.t - shows[i + 1].t) / 1000);
			t.diagnostic(`slides stayed ${gaps.map((g) => g.toFixed(2)).join(', ')} s`);
			assert.ok(gaps.length >= want.size - 2, `${gaps.length} changes seen`);
			for (const g of gaps) assert.ok(g >= SLIDE_S - 0.3 && g <= SLIDE_S + 5, `a slide stayed ${g} s`);
			const order = shows.map((s) => s.key);
			for (let i = 1; i < order.length; i++) {
				const at = f.slides.findIndex((s) => s.key === order[i - 1]);
				assert.equal(order[i], f.slides[(at + 1) % f.slides.length].key, 'in the feed\'s order');
			}
			const shot = path.join(ARTIFACTS, `kiosk-${width}x${height}.png`);
			fs.copyFileSync(shots.get(f.slides[0].key), shot);
			assert.deepEqual(pngSize(shot), { width, height });
		} finally {
			await page.close();
		}
	});
}

test('phone-sized screenshot, nothing wider than the screen', { timeout: 60000 }, async () => {
	const page = await kiosk(390, 844, 'screen=phone');
	try {
		const overflow = await page.evaluate(
			() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		assert.ok(overflow <= 0, `page is ${overflow}px wider than a 390px phone`);
		const shot = path.join(ARTIFACTS, 'kiosk-390x844.png');
		await page.screenshot({ path: shot });
		assert.deepEqual(pngSize(shot), { width: 390, height: 844 });
		assert.equal(decodeImage(shot).length, 1, 'the code reads on a phone-sized screen too');
	} finally {
		await page.close();
	}
});

test('a tap opens the procedure list; one opens full screen with its code; idle, the rotation',
	{ timeout: 120000 }, async () => {
		const idle = 4;
		const page = await kiosk(1920, 1080, `slide=${SLIDE_S}&idle=${idle}&screen=cham`);
		try {
			await page.mouse.click(960, 540);
			await page.waitForSelector('#k-menu:not([hidden])');
			const fields = await page.$$eval('#k-menu h3', (h) => h.map((x) => x.textContent));
			assert.ok(fields.includes('Hộ tịch'), `fields: ${fields}`);
			const button = page.locator('#k-menu button[data-proc]').first();
			const id = await button.getAttribute('data-proc');
			const box = await button.boundingBox();
			assert.ok(box.height >= 80, `a target of ${box.height}px`);
			await button.click();
			await page.waitForSelector(`#k-p${id}:not([hidden])`);
			assert.ok(await page.$eval('#k-menu', (m) => m.hidden), 'the list gave way');
			const file = path.join(state.tmp, 'detail.png');
			await page.screenshot({ path: file });
			const token = sql(`SELECT token FROM code WHERE target_kind = 'procedure' AND target_id = ${id} ` +
				'AND revoked_at IS NULL ORDER BY id DESC LIMIT 1;');
			assert.deepEqual(decodeImage(file).map((s) => s.toUpperCase()),
				[`${state.base}/q/${token}`.toUpperCase()]);
			// Back to the list, then nobody touches the screen: the rotation is back.
			await page.click(`#k-p${id} button[data-act="list"]`);
			await page.waitForSelector('#k-menu:not([hidden])');
			const left = Date.now();
			await until(() => page.evaluate(() => document.getElementById('k-menu').hidden &&
				![...document.querySelectorAll('#k-content .detail')].some((d) => !d.hidden) &&
				document.querySelector('#k-content .slide.on') !== null), (idle + 20) * 1000,
			'the rotation back');
			const after = (Date.now() - left) / 1000;
			assert.ok(after >= idle - 1, `back after ${after} s, before the idle time`);
		} finally {
			await page.close();
		}
	});

test('an urgent notice pushed by staff shows within 10 s and goes when lifted',
	{ timeout: 120000 }, async () => {
		// The default poll interval: the bound holds for a screen as it is installed.
		const page = await kiosk(1920, 1080, 'screen=khan');
		try {
			await sleep(1000);
			const title = 'Tạm dừng tiếp nhận hồ sơ đến 14:00 do mất điện';
			const staff = await staffPost('/staff/kiosk',
				{ title, body: 'Xin lỗi vì sự bất tiện.', minutes: '30' }, '/staff/kiosk/notices');
			let pushed = Date.now();
			await page.waitForSelector('#k-content .urgent', { timeout: 10000 });
			const shownIn = (Date.now() - pushed) / 1000;
			assert.ok(shownIn <= 10, `shown after ${shownIn} s`);
			assert.equal(await page.textContent('#k-content .urgent h2'), title);
			// It holds the screen: a tap does not open the list.
			await page.mouse.click(960, 540);
			await sleep(500);
			assert.ok(await page.$eval('#k-menu', (m) => m.hidden), 'a tap got past the notice');
			const lift = staff.locator('form[action*="/staff/kiosk/notices/"][action$="/lift"]').first();
			await Promise.all([staff.waitForNavigation(), lift.locator('button').click()]);
			pushed = Date.now();
			await page.waitForSelector('#k-content .urgent', { state: 'detached', timeout: 10000 });
			assert.ok((Date.now() - pushed) / 1000 <= 10, 'gone within 10 s');
			await page.waitForSelector('#k-content .slide.on');
		} finally {
			await page.close();
		}
	});

test('heartbeats show on the staff page; a stopped screen is marked silent',
	{ timeout: 120000 }, async () => {
		const screen = 'sanh-tang-1';
		const page = await kiosk(1920, 1080, `screen=${screen}&beat=5&slide=${SLIDE_S}`);
		const row = `tr[data-screen="${screen}"]`;
		try {
			await until(async () => {
				const staff = await staffPage('/staff/kiosk');
				return (await staff.$(row)) !== null;
			}, 30000, 'the screen on the staff page', 1000);
			const staff = state.staff;
			assert.equal(await staff.getAttribute(row, 'class'), 'screen');
			assert.match(await staff.textContent(`${row} .showing`),
				/^(Thông báo|Thủ tục|Giới thiệu phường)/);
			assert.match(await staff.textContent(row), /Đang hoạt động/);
			assert.match(await staff.textContent(row), /1920×1080/);
		} finally {
			await page.close();
		}
		// Stopped: its last beat is made six minutes old, as if it had been off since.
		sql(`UPDATE kiosk_screen SET last_at = last_at - 360 WHERE screen = '${screen}';`);
		const staff = await staffPage('/staff/kiosk');
		assert.equal(await staff.getAttribute(row, 'class'), 'screen silent');
		assert.match(await staff.textContent(row), /Mất tín hiệu hơn 5 phút/);
	});

test('server stopped: same content keeps rotating with the offline note, a reload too; ' +
	'back: a changed announcement within a minute', { timeout: 300000 }, async () => {
	const page = await kiosk(1920, 1080, `slide=2&poll=2&screen=mat-ket-noi`);
	try {
		// The service worker controls the page and the page has kept itself for it.
		await until(() => page.evaluate(() => !!navigator.serviceWorker?.controller), 30000,
			'the service worker');
		await until(() => page.evaluate(async () => {
			const keys = await (await caches.open('motcham-kiosk-1')).keys();
			return keys.some((k) => new URL(k.url).pathname.startsWith('/kiosk/')) &&
				keys.some((k) => new URL(k.url).pathname.startsWith('/qr/'));
		}), 30000, 'the page in the cache');
		const keys = await page.$$eval('#k-content .slide', (s) => s.map((x) => x.getAttribute('data-key')));

		assert.equal(await stopServer(state.server), 0, 'the server stopped cleanly');
		const note = await until(() => page.evaluate(() => {
			const n = document.getElementById('k-offline');
			return !n.hidden && n.textContent;
		}), 20000, 'the offline note');
		assert.match(note, /^mất kết nối từ \d\d:\d\d$/);
		const wardNow = new Date(Date.now() + 7 * 3600000);
		const [hh, mm] = note.slice(-5).split(':').map(Number);
		const apart = Math.abs(hh * 60 + mm - (wardNow.getUTCHours() * 60 + wardNow.getUTCMinutes()));
		assert.ok(apart <= 2 || apart >= 1438, `note says ${note}, ward time is ${wardNow.toISOString()}`);
		// Still rotating, still the same slides.
		await watchSlides(page);
		await until(() => page.evaluate(() => window.shows.length >= 4), 40000, 'rotation while offline');
		const seen = await page.evaluate(() => window.shows.map((s) => s.key));
		assert.ok(seen.every((k) => keys.includes(k)), `offline slides ${seen} not in ${keys}`);
		assert.deepEqual(await page.$$eval('#k-content .slide', (s) => s.map((x) => x.getAttribute('data-key'))), keys);

		// Restarted while the server is away (a power cut): the last good content, no error page.
		const resp = await page.reload();
		assert.equal(resp.status(), 200);
		await until(() => page.evaluate(() => document.documentElement.classList.contains('js')),
			STEP_MS, 'the page\'s script after a reload');
		assert.deepEqual(await page.$$eval('#k-content .slide', (s) => s.map((x) => x.getAttribute('data-key'))), keys);
		await until(() => page.evaluate(() => !document.getElementById('k-offline').hidden), 20000,
			'the offline note after a reload');
		await watchSlides(page);
		await until(() => page.evaluate(() => window.shows.length >= 2), 30000, 'rotation after a reload');

		// Back: the server starts again and an announcement is changed on the staff page.
		state.server = await startServer(state.db, state.port);
		const id = sql("SELECT id FROM announcement WHERE title = 'Lịch thu gom rác sinh hoạt và rác cồng kềnh';");
		const title = 'Lịch thu gom rác mới từ tháng 12/2026';
		await staffPost(`/staff/announcements/${id}`, { title }, `/staff/announcements/${id}`);
		const changed = Date.now();
		await until(() => page.evaluate((want) =>
			[...document.querySelectorAll('#k-content .slide h2')].some((h) => h.textContent === want),
		title), 60000, 'the changed announcement on screen', 500);
		const t = (Date.now() - changed) / 1000;
		assert.ok(t <= 60, `shown after ${t} s`);
		await until(() => page.evaluate(() => document.getElementById('k-offline').hidden), 20000,
			'the offline note gone');
	} finally {
		await page.close();
		if (state.server.exitCode !== null) state.server = await startServer(state.db, state.port);
	}
});
