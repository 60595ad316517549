/* dangjian-portal reading tracker (DESIGN.md, contract 3).
 *
 * Reports active reading time of the current article to the learning app,
 * which alone decides what it credits. It does nothing at all unless the app
 * has signed the reader in (the app sets the readable cookie dj_reader=1), so
 * a static-only copy of the site sends no request and logs nothing.
 * Re-run by Material's instant navigation on every article; it keeps one
 * instance and rescans the page on each document$ emission.
 */
(function () {
  "use strict";
  if (window.__djTracker) {
    window.__djTracker.scan();
    return;
  }
  var ENDPOINT = "/api/reading/heartbeat";
  var SESSION = "/api/reading/session";
  var HEARTBEAT_MS = 15000;
  var ACTIVE_WINDOW_MS = 60000;
  var MAX_FAILURES = 4;

  var current = null; // {id, view, seq, el, resume}
  var token = null;
  var tokenPending = null;
  var lastActive = Date.now();
  var failures = 0;
  var skipTicks = 0;
  var stopped = false;
  var inFlight = false;

  function signedIn() {
    return /(?:^|;\s*)dj_reader=1(?:;|$)/.test(document.cookie);
  }

  function newViewId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    var out = "";
    for (var i = 0; i < 4; i++) out += Math.random().toString(16).slice(2, 10);
    return out;
  }

  function isActive() {
    return document.visibilityState === "visible" &&
      Date.now() - lastActive < ACTIVE_WINDOW_MS;
  }

  function stop() {
    stopped = true;
  }

  function fail() {
    failures += 1;
    skipTicks = Math.pow(2, failures) - 1; // back off: skip 1, 3, 7 ticks
    if (failures >= MAX_FAILURES) stop();
  }

  function ensureToken() {
    if (token) return Promise.resolve(token);
    if (tokenPending) return tokenPending;
    tokenPending = fetch(SESSION, {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      if (response.status === 401 || response.status === 403 || response.status === 404) {
        stop();
        return null;
      }
      if (!response.ok) throw new Error("session " + response.status);
      return response.json().then(function (data) {
        token = data.csrf_token || null;
        return token;
      });
    }).catch(function () {
      fail();
      return null;
    }).then(function (value) {
      tokenPending = null;
      return value;
    });
    return tokenPending;
  }

  function showStatus(data) {
    if (!current || !data || !data.credited) return;
    var box = current.el;
    var status = box.querySelector(".dj-reading-status");
    if (status) status.textContent = "本文已计入学时（" + data.credit_hours + "学时）。";
    box.setAttribute("data-dj-state", "credited");
    box.hidden = false;
  }

  function payload(view, final) {
    var body = { article_id: view.id, view_id: view.view, seq: ++view.seq };
    if (view.resume) body.resume = true;
    if (final) body.final = true;
    view.resume = false;
    return body;
  }

  function beat() {
    if (!current || stopped || inFlight || !signedIn() || !isActive()) return;
    var view = current;
    inFlight = true;
    ensureToken().then(function (csrf) {
      if (!csrf || stopped || view !== current) return null;
      return fetch(ENDPOINT, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify(payload(view, false))
      }).then(function (response) {
        if (response.status === 401 || response.status === 404) return stop();
        if (response.status === 400 || response.status === 403) {
          token = null; // expired CSRF token or session: fetch a new one once
          return fail();
        }
        if (!response.ok) return fail();
        failures = 0;
        return response.json().then(showStatus);
      });
    }).catch(fail).then(function () {
      inFlight = false;
    });
  }

  // On hide or leave: one last report by beacon, which survives the unload.
  function flush(resumeLater) {
    if (!current || stopped || !token || !signedIn()) return;
    if (Date.now() - lastActive < ACTIVE_WINDOW_MS && navigator.sendBeacon) {
      var body = payload(current, true);
      var form = new URLSearchParams();
      Object.keys(body).forEach(function (key) { form.append(key, String(body[key])); });
      form.append("csrf_token", token);
      navigator.sendBeacon(ENDPOINT, form);
    }
    // Time spent hidden is not reading: the next report starts a new span.
    if (resumeLater) current.resume = true;
  }

  function scan() {
    var el = document.querySelector("[data-dj-article]");
    var id = el ? el.getAttribute("data-dj-article") : null;
    if (current && current.el === el) return;
    if (current) flush(false);
    current = id ? { id: id, view: newViewId(), seq: 0, el: el, resume: false } : null;
    if (current) {
      lastActive = Date.now();
      if (signedIn() && !stopped) beat(); // opens the span on the server
    }
  }

  function tick() {
    if (skipTicks > 0) {
      skipTicks -= 1;
      return;
    }
    beat();
  }

  ["pointerdown", "keydown", "scroll", "touchstart", "wheel", "mousemove"].forEach(
    function (name) {
      window.addEventListener(name, function () { lastActive = Date.now(); },
        { passive: true, capture: true });
    });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      flush(true);
    } else {
      lastActive = Date.now();
      beat();
    }
  });
  window.addEventListener("pagehide", function () { flush(true); });
  window.setInterval(tick, HEARTBEAT_MS);

  window.__djTracker = { scan: scan };
  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(function () { scan(); });
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", scan);
  } else {
    scan();
  }
})();
