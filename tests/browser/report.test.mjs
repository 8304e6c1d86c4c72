// The residents' report form on a 360 x 740 phone, as a resident uses it: every control at
// least 44 px tall with 16 px text, nothing wider than the screen; a post with mistakes comes
// back with every value kept, each error in red beside its field and the first one focused
// (autofocus: the pages have no script); the receipt's link /r/REF shows the status and,
// once a staff member has answered through the staff page, the ward's reply; an unknown
// reference is a 404.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { SLUG, STEP_MS, fillField, open, signIn, submit } from './harness.mjs';

const PHONE = { width: 360, height: 740 };

let h = null;
let page = null;
let ref = null;

before(async () => {
	h = await open('motcham-report-');
	page = await h.context.newPage();
	page.setDefaultTimeout(STEP_MS);
	await page.setViewportSize(PHONE);
});

after(async () => {
	await h?.close();
});

// Every control of the report form: its height, its text size, its right edge.
async function controls(p) {
	return p.evaluate(() => [...document.querySelectorAll(
		'form.report select, form.report textarea, form.report input:not([type=hidden]), ' +
		'form.report button')].map((el) => {
		const r = el.getBoundingClientRect();
		return { name: el.name || el.textContent.trim(), height: r.height, right: r.right,
			font: parseFloat(getComputedStyle(el).fontSize) };
	}));
}

function assertFits(list, where) {
	assert.ok(list.length >= 5, `${where}: the form's controls (${list.length})`);
	for (const c of list) {
		assert.ok(c.height >= 44, `${where}: ${c.name} is ${c.height} px tall`);
		assert.ok(c.font >= 16, `${where}: ${c.name} has ${c.font} px text`);
		assert.ok(c.right <= PHONE.width, `${where}: ${c.name} ends at ${c.right} px`);
	}
}

async function sideways(p) {
	return p.evaluate(() => document.documentElement.scrollWidth -
		document.documentElement.clientWidth);
}

const permitUrl = () => `${h.base}/w/${SLUG}/permits/` +
	h.sql("SELECT min(id) FROM permit WHERE status = 'in_progress';");

test('the form fits a phone', { timeout: 120000 }, async () => {
	const resp = await page.goto(permitUrl());
	assert.equal(resp.status(), 200);
	assertFits(await controls(page), 'permit page');
	assert.ok(await sideways(page) <= 0, 'the permit page does not scroll sideways');
});

test('mistakes come back beside their fields, values kept, first one focused',
	{ timeout: 120000 }, async () => {
		await page.goto(permitUrl());
		const form = page.locator('form.report');
		await fillField(page, form, 'description', 'ngắn quá');
		await fillField(page, form, 'contact', '0909 111 222');
		await submit(page, '/report');
		assert.equal(await page.locator('h1').textContent(), 'Phản ánh về công trình');
		assert.equal(await page.inputValue('#f-description'), 'ngắn quá');
		assert.equal(await page.inputValue('#f-contact'), '0909 111 222');
		assertFits(await controls(page), 'error page');
		assert.ok(await sideways(page) <= 0, 'the error page does not scroll sideways');
		const errors = await page.evaluate(() => [...document.querySelectorAll('.error')].map((e) => {
			const field = e.closest('.field');
			const control = field?.querySelector('select, textarea, input');
			const er = e.getBoundingClientRect();
			const cr = control?.getBoundingClientRect();
			return {
				id: e.id,
				color: getComputedStyle(e).color,
				control: control?.id,
				describes: (control?.getAttribute('aria-describedby') || '').split(' ').includes(e.id),
				invalid: control?.getAttribute('aria-invalid'),
				gap: cr ? cr.top - er.bottom : 1e9,
			};
		}));
		assert.deepEqual(errors.map((e) => e.control), ['f-category', 'f-description']);
		for (const e of errors) {
			const [r, g, b] = /rgb\((\d+), (\d+), (\d+)\)/.exec(e.color).slice(1).map(Number);
			assert.ok(r >= 150 && g <= 60 && b <= 60, `${e.id} is red: ${e.color}`);
			assert.ok(e.describes, `${e.control} is described by ${e.id}`);
			assert.equal(e.invalid, 'true', `${e.control} is aria-invalid`);
			assert.ok(e.gap >= 0 && e.gap < 24, `${e.id} sits right above its field (${e.gap} px)`);
		}
		assert.equal(await page.evaluate(() => document.activeElement?.id), 'f-category',
			'the first field with an error has the focus');
		// The same labels in the same order as on the permit page.
		const labels = (p) => p.evaluate(() => [...document.querySelectorAll('form.report label')]
			.map((l) => l.textContent.trim()));
		const again = await labels(page);
		const other = await h.context.newPage();
		try {
			await other.goto(permitUrl());
			assert.deepEqual(again, await labels(other));
		} finally {
			await other.close();
		}
	});

test('the receipt leads to /r/REF, which shows the status', { timeout: 120000 }, async () => {
	const form = page.locator('form.report');
	await fillField(page, form, 'category', 'unsafe');
	await fillField(page, form, 'description', 'Giàn giáo nghiêng ra lòng đường, không có lưới.');
	await submit(page, '/report');
	assert.equal(await page.locator('h1').textContent(), 'Đã nhận phản ánh');
	ref = /PA-[0-9A-HJKMNP-TV-Z]{8}/.exec(await page.textContent('main'))[0];
	await Promise.all([page.waitForNavigation(), page.click(`a[href="/r/${ref}"]`)]);
	assert.equal(new URL(page.url()).pathname, `/r/${ref}`);
	const text = await page.textContent('main');
	assert.match(text, /Tình trạng: Đã nhận/);
	assert.doesNotMatch(text, /Giàn giáo|0909/, 'nothing the resident wrote');
	assert.ok(await sideways(page) <= 0);
});

test('after a staff reply, /r/REF shows it', { timeout: 120000 }, async () => {
	assert.ok(ref, 'needs the report of the test before');
	await signIn(h);
	const staff = h.page;
	await staff.goto(`${h.base}/staff/reports`);
	const item = staff.locator('li', { hasText: ref }).first();
	const reply = 'Phường đã yêu cầu chủ đầu tư gia cố giàn giáo ngay trong ngày.';
	await item.locator('textarea[name=reply]').fill(reply);
	await item.locator('textarea[name=note]').fill('Ghi chú nội bộ: đã gọi chủ đầu tư.');
	await Promise.all([staff.waitForNavigation(),
		item.locator('button[formaction$="/reply"]').click()]);
	const resp = await page.goto(`${h.base}/r/${ref}`);
	assert.equal(resp.status(), 200);
	const text = await page.textContent('main');
	assert.match(text, /Tình trạng: Đang xem xét/);
	assert.ok(text.includes(reply), 'the reply is shown');
	assert.doesNotMatch(text, /Ghi chú nội bộ/, 'the internal note is not');
});

test('an unknown reference is a 404', { timeout: 60000 }, async () => {
	const resp = await page.goto(`${h.base}/r/PA-00000000`);
	assert.equal(resp.status(), 404);
	// The lookup form, without any script, sends a typed number to its page.
	await page.fill('#ref', ref.toLowerCase().replace('-', ' '));
	await Promise.all([page.waitForNavigation(), page.click('form.ref button')]);
	assert.equal(new URL(page.url()).pathname, `/r/${ref}`);
});
