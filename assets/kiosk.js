// The lobby screen's one script (templates/kiosk.html). It rotates the slides the server
// rendered, polls the feed and swaps in new content when its ETag changes, keeps the last good
// feed (localStorage) and, with the service worker (kiosk-sw.js), the page itself, so a screen
// keeps showing and rotating while the server is unreachable; opens the procedure list on a
// touch and goes back to the rotation when nobody touches it; and sends a heartbeat.
//
// Settings come from the page's query string, for operators and tests: slide (seconds every
// slide stays, instead of each slide's own), poll (seconds between feed checks, 5), idle
// (seconds without a touch before the rotation is back, 60), beat (seconds between
// heartbeats, 60), screen (this screen's name; else a random id kept in localStorage).
'use strict';
(function () {
	var root = document.documentElement;
	var query = new URLSearchParams(location.search);

	function setting(name, fallback, min, max) {
		var v = Number(query.get(name));
		return query.has(name) && isFinite(v) && v >= min && v <= max ? v : fallback;
	}

	var conf = {
		slide: setting('slide', 0, 1, 600),
		poll: setting('poll', 5, 1, 300),
		idle: setting('idle', 60, 2, 3600),
		beat: setting('beat', 60, 5, 3600),
	};
	var slug = root.getAttribute('data-slug');
	var base = '/kiosk/' + encodeURIComponent(slug);
	var kept = 'motcham-kiosk:' + slug;
	var CACHE = 'motcham-kiosk-1';
	var content = document.getElementById('k-content');
	var state = {
		etag: root.getAttribute('data-etag'),
		cached: null, // the ETag whose page and images are in the cache
		index: 0,
		timer: 0,
		mode: 'rotate', // or 'list', 'detail'
		detail: null,
		touched: 0,
		offline: 0,
	};
	var DAYS = ['Chủ nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'];

	root.classList.add('js');

	// ---- the ward's clock (UTC+7, whatever the screen's own time zone) ----

	function two(n) {
		return (n < 10 ? '0' : '') + n;
	}

	function wardTime(ms) {
		return new Date(ms + 7 * 3600 * 1000); // read with the getUTC* methods
	}

	function hhmm(ms) {
		var d = wardTime(ms);
		return two(d.getUTCHours()) + ':' + two(d.getUTCMinutes());
	}

	function setText(id, text) {
		var el = document.getElementById(id);
		if (el && el.textContent !== text) el.textContent = text;
	}

	function tick() {
		var now = Date.now(), d = wardTime(now);
		setText('k-clock', hhmm(now));
		setText('k-date', DAYS[d.getUTCDay()] + ', ' + two(d.getUTCDate()) + '/' +
			two(d.getUTCMonth() + 1) + '/' + d.getUTCFullYear());
		if (state.mode !== 'rotate' && now - state.touched > conf.idle * 1000) setMode('rotate');
	}

	// ---- the rotation ----

	function slides() {
		return content.querySelectorAll('.slide');
	}

	function show(i) {
		var all = slides();
		clearTimeout(state.timer);
		if (!all.length) return;
		state.index = ((i % all.length) + all.length) % all.length;
		for (var j = 0; j < all.length; j++) all[j].classList.toggle('on', j === state.index);
		setText('k-pos', all.length > 1 ? (state.index + 1) + '/' + all.length : '');
		var seconds = conf.slide || Number(all[state.index].getAttribute('data-seconds')) || 12;
		state.timer = setTimeout(function () { show(state.index + 1); }, seconds * 1000);
	}

	function currentKey() {
		var on = slides()[state.index];
		return on ? on.getAttribute('data-key') : '';
	}

	// ---- touch: the procedure list, one procedure full screen ----

	function setMode(mode, id) {
		var detail = mode === 'detail' ? document.getElementById('k-p' + id) : null;
		var menu = document.getElementById('k-menu');
		var details = content.querySelectorAll('.detail');
		if (mode === 'detail' && !detail) mode = 'list';
		state.mode = mode;
		state.detail = detail ? id : null;
		if (menu) menu.hidden = mode !== 'list';
		for (var j = 0; j < details.length; j++) details[j].hidden = details[j] !== detail;
	}

	function touched() {
		state.touched = Date.now();
	}

	['pointerdown', 'keydown', 'wheel'].forEach(function (type) {
		document.addEventListener(type, touched, { passive: true, capture: true });
	});
	content.addEventListener('scroll', touched, { passive: true, capture: true });
	document.addEventListener('click', function (e) {
		var b = e.target.closest ? e.target.closest('button') : null;
		touched();
		if (content.querySelector('.urgent')) return; // an urgent notice holds the screen
		if (b && b.hasAttribute('data-proc')) setMode('detail', b.getAttribute('data-proc'));
		else if (b && b.getAttribute('data-act') === 'list') setMode('list');
		else if (b && b.getAttribute('data-act') === 'close') setMode('rotate');
		else if (state.mode === 'rotate') setMode('list');
	});

	// ---- the feed: new content, the last good one kept, the offline note ----

	function apply(html, etag) {
		var key = currentKey(), all, at = 0;
		content.innerHTML = html;
		state.etag = etag;
		all = slides();
		for (var j = 0; j < all.length; j++) if (all[j].getAttribute('data-key') === key) at = j;
		setMode(state.mode, state.detail);
		show(at);
		holding();
	}

	// While an urgent notice holds the screen, the hint to touch it would be wrong.
	function holding() {
		root.classList.toggle('holding', !!content.querySelector('.urgent'));
	}

	function save(html, etag) {
		try {
			localStorage.setItem(kept, JSON.stringify({ etag: etag, at: Date.now(), html: html }));
		} catch (e) { /* full or disabled: the page in memory still rotates */ }
	}

	// The page, its assets and the images its content shows, for the service worker to answer
	// with when the network fails; what the content no longer shows is dropped.
	function cache() {
		if (!window.caches || state.cached === state.etag) return;
		var urls = [location.pathname + location.search, '/assets/kiosk.css', '/assets/kiosk.js',
			'/assets/favicon.svg'];
		content.querySelectorAll('img').forEach(function (img) {
			var src = img.getAttribute('src');
			if (urls.indexOf(src) < 0) urls.push(src);
		});
		state.cached = state.etag;
		caches.open(CACHE).then(function (c) {
			return Promise.all(urls.map(function (u) { return c.add(u).catch(function () {}); }))
				.then(function () { return c.keys(); })
				.then(function (keys) {
					keys.forEach(function (k) {
						var u = new URL(k.url);
						if (urls.indexOf(u.pathname + u.search) < 0) c.delete(k);
					});
				});
		}).catch(function () { state.cached = null; });
	}

	function online() {
		if (state.offline) {
			state.offline = 0;
			document.getElementById('k-offline').hidden = true;
		}
		cache();
	}

	function offline() {
		if (state.offline) return;
		state.offline = Date.now();
		setText('k-offline', 'mất kết nối từ ' + hhmm(state.offline));
		document.getElementById('k-offline').hidden = false;
	}

	function poll() {
		var headers = state.etag ? { 'If-None-Match': state.etag } : {};
		fetch(base + '/feed.json', { cache: 'no-store', credentials: 'omit', headers: headers })
			.then(function (r) {
				if (r.status === 304) return online();
				if (!r.ok) throw new Error('feed: HTTP ' + r.status);
				var etag = r.headers.get('ETag');
				return r.json().then(function (feed) {
					if (typeof feed.html !== 'string') throw new Error('feed without content');
					if (etag !== state.etag) {
						apply(feed.html, etag);
						save(feed.html, etag);
					}
					online();
				});
			})
			.catch(offline)
			.then(function () { setTimeout(poll, conf.poll * 1000); });
	}

	// A page answered from the cache may be older than the last feed this screen received.
	function restore() {
		var k = null;
		try { k = JSON.parse(localStorage.getItem(kept) || 'null'); } catch (e) { k = null; }
		if (k && k.html && k.etag !== state.etag &&
			k.at > Number(root.getAttribute('data-time')) * 1000) apply(k.html, k.etag);
	}

	// ---- the heartbeat ----

	function screenId() {
		var id = query.get('screen');
		if (id && /^[A-Za-z0-9_-]{1,64}$/.test(id)) return id;
		try { id = localStorage.getItem('motcham-kiosk-screen'); } catch (e) { id = null; }
		if (!id || !/^[0-9a-f]{32}$/.test(id)) {
			var b = new Uint8Array(16);
			crypto.getRandomValues(b);
			id = Array.prototype.map.call(b, function (x) { return ('0' + x.toString(16)).slice(-2); }).join('');
			try { localStorage.setItem('motcham-kiosk-screen', id); } catch (e) { /* a new id next time */ }
		}
		return id;
	}

	var screen = screenId();

	function showing() {
		var urgent = content.querySelector('.urgent');
		if (urgent) return urgent.getAttribute('data-key');
		if (state.mode === 'detail') return 'detail:' + state.detail;
		return state.mode === 'list' ? 'list' : currentKey();
	}

	function beat() {
		var body = new URLSearchParams({ screen: screen, slide: showing(), w: innerWidth, h: innerHeight });
		fetch(base + '/beat', { method: 'POST', body: body, cache: 'no-store', credentials: 'omit' })
			.catch(function () { /* the offline note says it already */ })
			.then(function () { setTimeout(beat, conf.beat * 1000); });
	}

	if ('serviceWorker' in navigator && window.isSecureContext) {
		navigator.serviceWorker.register('/assets/kiosk-sw.js', { scope: '/kiosk/' })
			.catch(function () { /* the page still works, only not after a restart offline */ });
	}
	restore();
	holding();
	setMode('rotate');
	show(0);
	tick();
	setInterval(tick, 1000);
	poll();
	setTimeout(beat, 1000);
})();
