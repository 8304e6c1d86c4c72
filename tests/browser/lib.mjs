// What the browser tests share: the binary and the source tree, running commands, a real
// server on a loopback port, Debian's chromium through playwright-core (never a downloaded
// browser), and the staff forms.
//
// Environment: MOTCHAM (the binary, default build/motcham), MOTCHAM_SRC (source root),
// MC_CHROMIUM (the browser, default /usr/bin/chromium), MC_ARTIFACTS (where screenshots go,
// default $MESON_BUILD_ROOT or the temp dir).

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SRC = process.env.MOTCHAM_SRC || path.resolve(HERE, '..', '..');
export const BIN = path.resolve(process.env.MOTCHAM || path.join(SRC, 'build', 'motcham'));
export const ARTIFACTS = process.env.MC_ARTIFACTS ||
	path.join(process.env.MESON_BUILD_ROOT || os.tmpdir(), 'browser-artifacts');
export const CHROMIUM = process.env.MC_CHROMIUM || '/usr/bin/chromium';
export const STEP_MS = 30000;

export function run(cmd, args, opts = {}) {
	const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120000, ...opts });
	if (r.error) throw r.error;
	return r;
}

export function motcham(args, input) {
	const r = run(BIN, args, { cwd: SRC, input: input ?? '' });
	assert.equal(r.status, 0, `motcham ${args.join(' ')}: ${r.stderr}`);
	return r.stdout;
}

export function sql(db, query) {
	const r = run('sqlite3', ['-batch', db, query]);
	assert.equal(r.status, 0, `sqlite3 ${query}: ${r.stderr}`);
	return r.stdout.trim();
}

// `motcham serve` prints its URL once it listens (port 0: a free one).
export function startServer(db, port = 0) {
	return new Promise((resolve, reject) => {
		const child = spawn(BIN, ['serve', '--db', db, '--port', String(port), '--bind', '127.0.0.1'], {
			cwd: SRC,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let out = '';
		let err = '';
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`server did not start: ${out} ${err}`));
		}, 20000);
		child.stderr.on('data', (d) => { err += d; });
		child.stdout.on('data', (d) => {
			out += d;
			const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
			if (m && !child.base) {
				clearTimeout(timer);
				child.base = `http://127.0.0.1:${m[1]}`;
				child.stderrText = () => err;
				resolve(child);
			}
		});
		child.on('exit', (code) => {
			clearTimeout(timer);
			if (!child.base) reject(new Error(`server exited (${code}): ${err}`));
		});
	});
}

export function stopServer(child) {
	return new Promise((resolve) => {
		if (!child || child.exitCode !== null) return resolve(child?.exitCode ?? null);
		const kill = setTimeout(() => child.kill('SIGKILL'), 10000);
		child.once('exit', (code) => {
			clearTimeout(kill);
			resolve(code);
		});
		child.kill('SIGTERM');
	});
}

// A headless chromium with its own profile under dir (kept between pages, as a kiosk's is).
export async function launch(dir) {
	const context = await chromium.launchPersistentContext(path.join(dir, 'profile'), {
		executablePath: CHROMIUM,
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
			'--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	const page = context.pages()[0] || await context.newPage();
	page.setDefaultTimeout(STEP_MS);
	return { context, page };
}

export function pngSize(file) {
	const b = fs.readFileSync(file);
	assert.ok(b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
		`${file} is not a PNG`);
	return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

// Every symbol zbarimg reads in an image (zbarimg exits 4 when it finds none: an empty list).
export function decodeImage(file) {
	const z = run('zbarimg', ['--raw', '-q', file]);
	return z.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
}

export async function submit(page, actionSuffix) {
	const form = page.locator(`form[action$="${actionSuffix}"]`).first();
	await Promise.all([
		page.waitForNavigation({ timeout: STEP_MS }),
		form.locator('button[type=submit], input[type=submit], button:not([type])').first().click(),
	]);
}

export async function fillField(page, form, name, value) {
	const el = form.locator(`[name="${name}"]`).first();
	const tag = await el.evaluate((e) => e.tagName.toLowerCase());
	if (tag === 'select') await el.selectOption(value);
	else await el.fill(value);
}

export async function signIn(page, base, name, password) {
	const resp = await page.goto(`${base}/staff/login`);
	assert.equal(resp.status(), 200);
	const login = page.locator('form[action$="/staff/login"]').first();
	await fillField(page, login, 'name', name);
	await fillField(page, login, 'password', password);
	await submit(page, '/staff/login');
	assert.equal(new URL(page.url()).pathname, '/staff', `after sign-in: ${page.url()}`);
}
