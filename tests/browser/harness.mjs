// What the browser tests share: a demo database with a staff account, the real server on a
// loopback port, Debian's headless Chromium driven by playwright-core (which never downloads a
// browser here), signing in through the real form, and the PDF tools.
//
// Environment: MOTCHAM (the binary, default build/motcham), MOTCHAM_SRC (source root),
// MC_CHROMIUM (default /usr/bin/chromium), MC_ARTIFACTS (where screenshots and photos go),
// MOTCHAM_TEST_BACKEND (sqlite, the default, or postgresql: each test file's database is then
// one of its own on the cluster of MOTCHAM_TEST_PG_URL, as the integration tests' new_db).
// Every wait is bounded (STEP_MS) and polls; nothing sleeps a fixed time.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
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
export const HERE_DIR = HERE;
export const SLUG = 'phuong-7-quan-8';
export const USER = 'inan';
export const PASSWORD = 'mat-khau-in-an-2026';
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

export const BACKEND = process.env.MOTCHAM_TEST_BACKEND || 'sqlite';
const PSQL15 = '/usr/lib/postgresql/15/bin/psql';
const PSQL = fs.existsSync(PSQL15) ? PSQL15 : 'psql';
const isPg = (db) => /^postgres(ql)?:\/\//.test(db);

function psql(url, query) {
	const r = run(PSQL, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', query],
		{ env: { ...process.env, PGCLIENTENCODING: 'UTF8' } });
	assert.equal(r.status, 0, `psql ${query}: ${r.stderr}`);
	return r.stdout.trim();
}

// What to pass to --db for a new, empty database: a file in dir on SQLite; on PostgreSQL a
// database made now on the test cluster (UTF8, byte-order collation, as SQLite compares),
// which dropDb removes.
export function newDb(dir, name) {
	if (BACKEND === 'sqlite') return path.join(dir, name);
	assert.equal(BACKEND, 'postgresql', `MOTCHAM_TEST_BACKEND ${BACKEND}`);
	const admin = process.env.MOTCHAM_TEST_PG_URL;
	assert.ok(admin, 'MOTCHAM_TEST_PG_URL is not set (tests/pg/cluster start prints it)');
	const db = `mc_b_${name.replace(/[^a-z0-9]/g, '')}_${crypto.randomBytes(5).toString('hex')}`;
	psql(admin, `CREATE DATABASE "${db}" TEMPLATE template0 ENCODING 'UTF8' ` +
		"LC_COLLATE 'C' LC_CTYPE 'C'");
	const url = new URL(admin);
	url.pathname = `/${db}`;
	return url.toString();
}

export function dropDb(db) {
	if (!isPg(db)) return;
	const url = new URL(db);
	const name = url.pathname.slice(1);
	url.pathname = new URL(process.env.MOTCHAM_TEST_PG_URL).pathname;
	psql(url.toString(), `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

// Runs query on db (sqlite3 or psql by its form) and returns what it printed: a row a line,
// columns joined by '|' in both.
export function sql(db, query) {
	if (isPg(db)) return psql(db, query);
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

// One test file's world: a demo database with a staff account, the server, a browser. sql()
// reads the database; close() stops everything and says whether the server stopped cleanly.
export async function open(prefix) {
	const h = { tmp: fs.mkdtempSync(path.join(os.tmpdir(), prefix)) };
	h.db = newDb(h.tmp, 'b.db');
	motcham(['demo', '--db', h.db]);
	motcham(['user', 'add', '--db', h.db, '--name', USER, '--role', 'staff', '--ward', SLUG],
		`${PASSWORD}\n`);
	h.server = await startServer(h.db);
	h.base = h.server.base;
	({ context: h.context, page: h.page } = await launch(h.tmp));
	h.sql = (query) => sql(h.db, query);
	h.close = async () => {
		await h.context?.close().catch(() => {});
		const code = await stopServer(h.server);
		dropDb(h.db);
		fs.rmSync(h.tmp, { recursive: true, force: true });
		assert.equal(code, 0, `server did not stop cleanly: ${h.server?.stderrText?.()}`);
	};
	return h;
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

// Signs an account (the staff one by default) in on page through the real form.
export async function signIn(h, page = h.page, name = USER, password = PASSWORD) {
	const resp = await page.goto(`${h.base}/staff/login`);
	assert.equal(resp.status(), 200);
	const login = page.locator('form[action$="/staff/login"]').first();
	await fillField(page, login, 'name', name);
	await fillField(page, login, 'password', password);
	await submit(page, '/staff/login');
	assert.equal(new URL(page.url()).pathname, '/staff', `after sign-in: ${page.url()}`);
}

export function pdfPages(file) {
	const r = run('pdfinfo', [file]);
	assert.equal(r.status, 0, `pdfinfo: ${r.stderr}`);
	const m = /^Pages:\s+(\d+)/m.exec(r.stdout);
	assert.ok(m, `pdfinfo without a page count: ${r.stdout}`);
	return Number(m[1]);
}

// Rasterises page 1 of a PDF to PNG at dpi and returns the file; crop: [x, y, width, height]
// in millimetres on the page.
export function rasterise(file, dpi, crop) {
	const prefix = file.replace(/\.pdf$/, '') + (crop ? `-crop${dpi}` : `-${dpi}`);
	const box = crop ? crop.flatMap((mm, i) => [['-x', '-y', '-W', '-H'][i],
		String(Math.round((mm * dpi) / 25.4))]) : [];
	const r = run('pdftoppm', ['-r', String(dpi), '-png', '-f', '1', '-l', '1', '-singlefile',
		...box, file, prefix]);
	assert.equal(r.status, 0, `pdftoppm: ${r.stderr}`);
	const png = `${prefix}.png`;
	assert.ok(fs.existsSync(png), 'pdftoppm wrote no image');
	return png;
}

// YYYY-MM-DD, offset days from today (so a permit is valid whenever the test runs).
export const day = (offset) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
