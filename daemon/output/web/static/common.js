/* onair pages: shared helpers. ES5 on purpose (no let/const, arrow
   functions, modules or fetch) so an old wall tablet's browser runs it.
   Every string from the server is untrusted and reaches the page only
   through textContent. */
var onair = (function () {
  'use strict';

  function now() { return new Date().getTime(); }

  /* param reads a query parameter of the page's URL. */
  function param(name) {
    var m = new RegExp('[?&]' + name + '=([^&#]*)').exec(window.location.search);
    return m ? decodeURIComponent(m[1].replace(/\+/g, ' ')) : '';
  }

  /* withToken adds the page's ?token= (kiosks put it in the URL, and
     EventSource cannot send an Authorization header) to an API URL. */
  function withToken(url) {
    var t = param('token');
    if (!t) { return url; }
    return url + (url.indexOf('?') < 0 ? '?' : '&') + 'token=' + encodeURIComponent(t);
  }

  /* Relative luminance and contrast ratio as WCAG 2 defines them
     (https://www.w3.org/TR/WCAG21/#dfn-relative-luminance): the text is
     black or white, whichever contrasts more with the signal colour. */
  function channel(c) {
    c = c / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  }
  function luminance(hex) {
    var n = parseInt(String(hex).replace('#', ''), 16);
    if (isNaN(n)) { return 0; }
    return 0.2126 * channel((n >> 16) & 255) + 0.7152 * channel((n >> 8) & 255) + 0.0722 * channel(n & 255);
  }
  function textColor(hex) {
    var l = luminance(hex);
    return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000000' : '#ffffff';
  }
  /* shown is the colour a page paints for a user: black for a dark light. */
  function shown(u) {
    if (!u || u.effect === 'off' || u.brightness === 0) { return '#000000'; }
    return u.color || '#000000';
  }

  /* ms returns a time in Unix milliseconds from the *_ms field, or by
     parsing the RFC 3339 string of `onair status --json` (old engines
     reject nanosecond fractions, so the fraction is cut to milliseconds). */
  function ms(u, field) {
    if (u[field + '_ms']) { return u[field + '_ms']; }
    var s = u[field];
    if (!s) { return 0; }
    var m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|([+-])(\d\d):(\d\d))$/.exec(s);
    if (!m) { return 0; }
    var t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], m[7] ? +(m[7] + '00').slice(0, 3) : 0);
    if (m[8] !== 'Z') { t -= (m[9] === '-' ? -1 : 1) * (+m[10] * 60 + +m[11]) * 60000; }
    return t;
  }

  var days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  function pad(n) { return n < 10 ? '0' + n : '' + n; }
  /* clock shows a time as 14:05, or Tue 14:05 when not today. */
  function clock(t) {
    var d = new Date(t), today = new Date();
    var hm = pad(d.getHours()) + ':' + pad(d.getMinutes());
    if (d.toDateString() === today.toDateString()) { return hm; }
    return days[d.getDay()] + ' ' + hm;
  }

  function text(el, s) { el.textContent = s == null ? '' : String(s); }

  /* problem says why a user's signal is not current, '' when it is. */
  function problem(u, health) {
    var st = u && u.state;
    if (st === 'stale') { return 'Not current: presence could not be refreshed'; }
    if (st === 'login-required') { return 'Not current: onair needs a sign-in'; }
    if (st === 'error') { return 'Not current: ' + (u.error || 'presence error'); }
    if (health && health.state && health.state !== 'ok' && health.state !== 'starting' && st !== 'off-hours') {
      return 'Not current: onair is ' + health.state.replace('_', ' ');
    }
    return '';
  }

  /* connect follows the events stream at url and calls on.snapshot,
     on.user, on.health with parsed data, and on.status(up, lastSeen) when
     the stream goes down or comes back. The stream counts as down after
     an error that lasts 4 s or 8 s without any event (the server sends a
     heartbeat every 3 s), so a sign turns grey well inside 10 s instead of
     showing a frozen signal. Without EventSource it polls stateUrl. */
  function connect(url, stateUrl, on) {
    var es = null, lastSeen = now(), errorSince = 0, up = null, opened = now();

    function alive() {
      lastSeen = now();
      errorSince = 0;
      if (up !== true) { up = true; on.status(true, lastSeen); }
    }
    function parse(e) {
      try { return JSON.parse(e.data); } catch (err) { return null; }
    }
    function listen(type, fn) {
      es.addEventListener(type, function (e) {
        var d = parse(e);
        alive();
        if (d && fn) { fn(d); }
      }, false);
    }
    function open() {
      if (es) { es.close(); }
      opened = now();
      es = new EventSource(withToken(url));
      listen('snapshot', on.snapshot);
      listen('user', on.user);
      listen('health', on.health);
      listen('heartbeat', null);
      es.onerror = function () {
        if (!errorSince) { errorSince = now(); }
        /* CLOSED (2): the browser gave up (an HTTP error such as 401 or
           503); retry ourselves. Otherwise it is already reconnecting. */
        if (es.readyState === 2) { setTimeout(open, 3000); }
      };
    }

    function poll() {
      var x = new XMLHttpRequest();
      x.open('GET', withToken(stateUrl), true);
      x.onreadystatechange = function () {
        if (x.readyState !== 4) { return; }
        if (x.status === 200) {
          var d = null;
          try { d = JSON.parse(x.responseText); } catch (err) { d = null; }
          if (d) { alive(); on.snapshot(d); }
        } else if (!errorSince) {
          errorSince = now();
        }
      };
      x.send(null);
    }

    function watchdog() {
      var t = now();
      if (up !== false && ((errorSince && t - errorSince > 4000) || t - lastSeen > 8000)) {
        up = false;
        on.status(false, lastSeen);
      }
      /* A connection that stays open but silent (a sleeping proxy, a
         half-dead Wi-Fi) gets replaced. */
      if (es && t - lastSeen > 15000 && t - opened > 15000) { open(); }
    }

    if (window.EventSource) {
      open();
    } else {
      poll();
      setInterval(poll, 3000);
    }
    setInterval(watchdog, 1000);
  }

  return {
    now: now, param: param, textColor: textColor, luminance: luminance, shown: shown,
    ms: ms, clock: clock, text: text, problem: problem, connect: connect
  };
})();
