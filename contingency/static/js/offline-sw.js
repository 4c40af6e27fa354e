// Contingency's service worker: the "what do I do" pages and the contacts keep working on a phone
// that has opened them once, when the network or the server is down.
//
// - Pages are network-first: a live answer is always shown when there is one. Only when the request
//   fails (offline, or the server answers 502/503/504) is a saved copy shown, marked at the top
//   "Saved copy from <time>": a saved copy is never shown as live.
// - Only pages the server marks `Contingency-Offline: save`, fetched with GET for a signed-in user,
//   are kept, in a cache of their own (the server's Cache-Control does not apply to it).
// - Every page names its viewer (`Contingency-Offline-Owner`, opaque). A page answered for anybody
//   else, or for nobody (signed out, session ended), empties the cache first; so does signing out.
"use strict";

const PAGES = "contingency-pages-v1";
const STATIC = "contingency-static-v1";
const OWNER = "/__contingency-offline-owner__";
const MARKER = '<p id="saved-copy" class="saved-copy" hidden></p>';
const SERVER_DOWN = new Set([502, 503, 504]);

self.addEventListener("install", () => self.skipWaiting());

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const keep = new Set([PAGES, STATIC]);
      for (const name of await caches.keys()) {
        if (name.startsWith("contingency-") && !keep.has(name)) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("message", (event) => {
  if (event.data === "forget") event.waitUntil(forget());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/logout/") {
    event.respondWith(forget().then(() => fetch(request)));
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request));
  }
});

function forget() {
  return caches.delete(PAGES);
}

async function page(request) {
  let response;
  try {
    response = await fetch(request);
  } catch (error) {
    const saved = await savedCopy(request);
    if (saved) return saved;
    throw error;
  }
  if (SERVER_DOWN.has(response.status)) {
    const saved = await savedCopy(request);
    if (saved) return saved;
  }
  await remember(request, response.clone());
  return response;
}

async function remember(request, response) {
  const owner = response.headers.get("Contingency-Offline-Owner");
  if (owner === null) return;
  let cache = await caches.open(PAGES);
  const known = await cache.match(OWNER);
  if (!known || (await known.text()) !== owner) {
    await forget();
    if (owner === "anonymous") return;
    cache = await caches.open(PAGES);
    await cache.put(OWNER, new Response(owner));
  }
  if (owner === "anonymous" || response.status !== 200 || response.redirected) return;
  if (response.headers.get("Contingency-Offline") !== "save") return;
  const headers = new Headers(response.headers);
  headers.delete("Content-Length");
  headers.set("Contingency-Saved-At", new Date().toISOString());
  await cache.put(request.url, new Response(await response.text(), { status: 200, headers }));
}

async function savedCopy(request) {
  const cache = await caches.open(PAGES);
  const saved = await cache.match(request.url);
  if (!saved) return null;
  const html = await saved.text();
  const headers = new Headers(saved.headers);
  return new Response(html.replace(MARKER, banner(saved.headers.get("Contingency-Saved-At"), html)), {
    status: 200,
    headers,
  });
}

function banner(savedAt, html) {
  const zone = (html.match(/<html[^>]*\sdata-zone="([A-Za-z0-9_+\/-]+)"/) || [])[1];
  let when = savedAt || "an earlier visit";
  try {
    const options = { hour: "2-digit", minute: "2-digit", weekday: "short", day: "numeric", month: "short", year: "numeric" };
    if (zone) options.timeZone = zone;
    when = new Intl.DateTimeFormat("en-GB", options).format(new Date(savedAt));
  } catch (error) {
    // an unknown zone or a missing time: say the raw time rather than nothing
  }
  return (
    `<p id="saved-copy" class="saved-copy" role="alert" data-saved-at="${savedAt || ""}">` +
    `Saved copy from ${when}. The network or the server is down: this page is not live, ` +
    "and may be out of date. Ring the numbers as usual.</p>"
  );
}

async function staticFile(request) {
  const cache = await caches.open(STATIC);
  try {
    const response = await fetch(request);
    if (response.status === 200) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const saved = await cache.match(request);
    if (saved) return saved;
    throw error;
  }
}
