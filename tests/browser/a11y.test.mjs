// Accessibility on every page, on a 360 x 740 phone: axe-core (WCAG 2.1 A and AA rules) finds
// no violation on any public, staff, supervisor or print page; on public pages every control
// and every link that stands on its own is at least 44 px tall; a keyboard focus ring shows
// with at least 3:1 contrast against the page; the pages never scroll sideways (the
// supervisors' wide tables scroll inside their own box). axe runs through page.evaluate,
// which the pages' CSP (no scripts at all) does not stop.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';

import { SLUG, fillField, motcham, open, signIn, submit } from './harness.mjs';

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const PHONE = { width: 360, height: 740 };
const SUPERVISOR = 'giamsat';
const SUPERVISOR_PASSWORD = 'mat-khau-giam-sat-2026';

let h = null;

before(async () => {
	h = await open('motcham-a11y-');
	motcham(['user', 'add', '--db', h.db, '--name', SUPERVISOR, '--role', 'supervisor'],
		`${SUPERVISOR_PASSWORD}\n`);
	await h.page.setViewportSize(PHONE);
	await signIn(h);
});

after(async () => {
	await h?.close();
});

// Runs axe on the page as it is and returns its violations, each with where it was found.
async function axe(page) {
	await page.evaluate(AXE);
	const res = await page.evaluate(() => globalThis.axe.run(document, {
		runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
		resultTypes: ['violations'],
	}));
	return res.violations.map((v) => `${v.id} (${v.impact}): ${v.help}\n    ` +
		v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`)
			.join('\n    '));
}

// The page does not scroll sideways on the phone.
async function overflow(page) {
	return page.evaluate(() => document.documentElement.scrollWidth -
		document.documentElement.clientWidth);
}

// Controls and links that stand alone (not a word inside a sentence) lower than 44 px.
async function smallTargets(page) {
	return page.evaluate(() => {
		const out = [];
		for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), ' +
			'select, textarea, summary')) {
			const r = el.getBoundingClientRect();
			if (!r.width && !r.height) continue;
			if (el.tagName === 'A') {
				// A link inside running text is exempt: its block holds other words.
				const block = el.closest('p, li, dd, td, figcaption, small, span') || el.parentElement;
				const rest = block.textContent.replace(el.textContent, '').trim();
				if (rest.length > 0 && !el.matches('.button, .links a')) continue;
			}
			if (el.type === 'checkbox' || el.type === 'radio') continue;
			if (r.height < 44 - 0.5) out.push(`${el.outerHTML.slice(0, 80)} is ${r.height.toFixed(1)} px`);
		}
		return out;
	});
}

// Tabs to every focusable element (at most 60) and checks the ring each one shows: a solid
// outline or a box shadow at least 2 px wide, whose colour has 3:1 contrast with the page.
async function focusRings(page) {
	const bad = [];
	await page.evaluate(() => document.activeElement?.blur());
	await page.locator('body').click({ position: { x: 1, y: 1 } }).catch(() => {});
	for (let i = 0; i < 60; i++) {
		await page.keyboard.press('Tab');
		const f = await page.evaluate(() => {
			const el = document.activeElement;
			if (!el || el === document.body) return null;
			const cs = getComputedStyle(el);
			const lum = (c) => {
				const m = /rgba?\(([\d.]+), ([\d.]+), ([\d.]+)/.exec(c);
				if (!m) return null;
				const ch = [m[1], m[2], m[3]].map((v) => {
					const s = Number(v) / 255;
					return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
				});
				return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
			};
			let bg = 'rgb(255, 255, 255)';
			for (let p = el.parentElement; p; p = p.parentElement) {
				const b = getComputedStyle(p).backgroundColor;
				if (b && !b.startsWith('rgba(0, 0, 0, 0)') && b !== 'transparent') { bg = b; break; }
			}
			const width = parseFloat(cs.outlineWidth);
			const ring = cs.outlineStyle !== 'none' && width >= 2 ? cs.outlineColor : null;
			const l1 = ring ? lum(ring) : null;
			const l2 = lum(bg);
			const ratio = l1 === null || l2 === null ? 0
				: (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
			return { what: el.outerHTML.slice(0, 70), ratio, ring };
		});
		if (!f) break;
		if (f.ratio < 3) bad.push(`${f.what}: ring ${f.ring}, contrast ${f.ratio.toFixed(2)}`);
	}
	return bad;
}

// sheet: a print page, an A4 sheet wider than a phone by design.
async function check(page, url, { pub = false, status = 200, sheet = false } = {}) {
	const resp = await page.goto(url);
	assert.equal(resp.status(), status, url);
	const problems = [];
	problems.push(...(await axe(page)));
	const wide = await overflow(page);
	if (wide > 0 && !sheet) problems.push(`scrolls sideways by ${wide} px`);
	if (pub) {
		problems.push(...(await smallTargets(page)));
		problems.push(...(await focusRings(page)));
	}
	return problems;
}

function ids() {
	const one = (q) => h.sql(q);
	return {
		permit: one("SELECT min(id) FROM permit WHERE status = 'in_progress';"),
		proc: one('SELECT min(id) FROM procedure;'),
		ann: one('SELECT min(id) FROM announcement;'),
		code: one("SELECT token FROM code WHERE target_kind = 'permit' AND revoked_at IS NULL " +
			'ORDER BY id LIMIT 1;'),
	};
}

test('public pages: no axe violation, 44 px targets, visible focus', { timeout: 600000 },
	async () => {
		const page = await h.context.newPage();
		await page.setViewportSize(PHONE);
		const i = ids();
		const pages = [
			['/', 200], [`/w/${SLUG}`, 200], [`/w/${SLUG}/procedures/${i.proc}`, 200],
			[`/w/${SLUG}/announcements/${i.ann}`, 200], [`/w/${SLUG}/permits/${i.permit}`, 200],
			[`/w/${SLUG}/search?q=khai+sinh`, 200], [`/q/${i.code}`, 200],
			['/q/ZZZZZZZZZ', 404], ['/r/PA-00000000', 404], ['/nothing-here', 404],
		];
		const found = {};
		try {
			for (const [url, status] of pages) {
				const p = await check(page, `${h.base}${url}`, { pub: true, status });
				if (p.length) found[url] = p;
			}
			// The report form's error page, its receipt and the follow-up page.
			await page.goto(`${h.base}/w/${SLUG}/permits/${i.permit}`);
			const form = page.locator('form.report');
			await fillField(page, form, 'description', 'ngắn');
			await submit(page, '/report');
			let p = [...(await axe(page)), ...(await smallTargets(page))];
			if (p.length) found['report error page'] = p;
			await fillField(page, form, 'category', 'unsafe');
			await fillField(page, form, 'description', 'Giàn giáo nghiêng ra lòng đường.');
			await submit(page, '/report');
			p = [...(await axe(page)), ...(await smallTargets(page))];
			if (p.length) found['report receipt'] = p;
			const ref = /PA-[0-9A-Z]{8}/.exec(await page.textContent('main'))[0];
			p = await check(page, `${h.base}/r/${ref}`, { pub: true });
			if (p.length) found[`/r/${ref}`] = p;
		} finally {
			await page.close();
		}
		assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
	});

test('staff and print pages: no axe violation', { timeout: 600000 }, async () => {
	const i = ids();
	const pages = ['/staff', '/staff/permits', '/staff/procedures', '/staff/announcements',
		`/staff/permits/${i.permit}`, '/staff/permits/new', `/staff/procedures/${i.proc}`,
		'/staff/procedures/new', `/staff/announcements/${i.ann}`, '/staff/announcements/new',
		'/staff/reports', `/staff/print/permits/${i.permit}`,
		`/staff/print/procedures/${i.proc}`, '/staff/print/keychain'];
	const found = {};
	for (const url of pages) {
		const p = await check(h.page, `${h.base}${url}`, { sheet: url.includes('/print/') });
		if (p.length) found[url] = p;
	}
	assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
});

test('required staff fields are marked required', { timeout: 120000 }, async () => {
	for (const url of ['/staff/permits/new', '/staff/procedures/new', '/staff/announcements/new']) {
		await h.page.goto(`${h.base}${url}`);
		const bad = await h.page.evaluate(() => [...document.querySelectorAll('.field')]
			.filter((f) => f.querySelector('.req'))
			.map((f) => f.querySelector('input, select, textarea'))
			.filter((c) => c && !c.required).map((c) => c.name));
		assert.deepEqual(bad, [], `${url}: fields marked * without required`);
	}
});

test('supervisor pages: no axe violation, usable on a phone', { timeout: 600000 }, async () => {
	const page = await h.context.newPage();
	await page.setViewportSize(PHONE);
	const i = ids();
	const found = {};
	try {
		// The supervisor signs in on a page of their own (the context shares cookies, so sign
		// the staff session out first and back in at the end).
		await page.goto(`${h.base}/staff`);
		await submit(page, '/staff/logout');
		await signIn(h, page, SUPERVISOR, SUPERVISOR_PASSWORD);
		for (const url of ['/supervise', '/supervise/permits', '/supervise/permits?list=overdue',
			`/supervise/permits/${i.permit}`]) {
			const p = await check(page, `${h.base}${url}`, { status: 200 });
			if (p.length) found[url] = p;
		}
		await page.goto(`${h.base}/staff`);
		await submit(page, '/staff/logout');
		const p = await check(page, `${h.base}/staff/login`);
		if (p.length) found['/staff/login'] = p;
	} finally {
		await page.close();
	}
	await signIn(h);
	assert.deepEqual(found, {}, JSON.stringify(found, null, 2));
});
