// The lobby screen's service worker (registered by kiosk.js for /kiosk/). It goes to the
// network first, always; only when the network fails does it answer the kiosk page, its
// assets and its images from the cache the page keeps, so a screen restarted while the server
// is unreachable shows its last good content instead of a browser error. The feed and the
// heartbeat are left alone: the page itself knows what to do when they fail.
'use strict';
var CACHE = 'motcham-kiosk-1';

self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (e) { e.waitUntil(self.clients.claim()); });

// A screen with nothing cached yet waits for the server rather than showing an error page.
function waiting() {
	return new Response('<!doctype html><html lang="vi"><meta charset="utf-8">' +
		'<meta http-equiv="refresh" content="15"><title>Đang kết nối lại</title>' +
		'<body style="margin:0;height:100vh;display:grid;place-items:center;background:#0b0f14;' +
		'color:#f5f5f5;font:5vmin system-ui,sans-serif"><p>Đang kết nối lại với máy chủ…</p>',
		{ headers: { 'Content-Type': 'text/html; charset=utf-8' } });
}

// The cached answer for req; else the server's own (an error page it sent), else for the
// page the waiting page, else a network error.
function fromCache(req, sent) {
	var page = req.mode === 'navigate';
	return caches.open(CACHE)
		.then(function (c) {
			return c.match(req).then(function (r) {
				return r || (page ? c.match(req, { ignoreSearch: true }) : r);
			});
		})
		.then(function (r) { return r || sent || (page ? waiting() : Response.error()); });
}

self.addEventListener('fetch', function (e) {
	var req = e.request, url = new URL(req.url);
	if (req.method !== 'GET' || url.origin !== self.location.origin ||
		/\/(feed\.json|beat)$/.test(url.pathname)) return;
	// A server that answers the page with an error (busy, failing) is as good as gone.
	e.respondWith(fetch(req)
		.then(function (r) { return req.mode === 'navigate' && r.status >= 500 ? fromCache(req, r) : r; })
		.catch(function () { return fromCache(req); }));
});
