/* The door sign: one user's signal colour filling the screen. ES5. */
(function () {
  'use strict';
  var body = document.body;
  var key = body.getAttribute('data-user');
  var base = body.getAttribute('data-base') || '';
  var q = '?user=' + encodeURIComponent(key);
  var el = {
    name: document.getElementById('name'),
    label: document.getElementById('label'),
    message: document.getElementById('message'),
    since: document.getElementById('since'),
    until: document.getElementById('until'),
    notice: document.getElementById('notice')
  };
  var user = null, health = null, up = null, lastSeen = 0, known = true;

  function setClass(name, on) {
    var c = ' ' + body.className + ' ';
    var has = c.indexOf(' ' + name + ' ') >= 0;
    if (on && !has) { body.className = (body.className + ' ' + name).replace(/^\s+/, ''); }
    if (!on && has) { body.className = c.replace(' ' + name + ' ', ' ').replace(/^\s+|\s+$/g, ''); }
  }

  function paint(bg) {
    body.style.backgroundColor = bg;
    body.style.color = onair.textColor(bg);
  }

  function render() {
    setClass('connecting', up === null);
    setClass('unreachable', up === false);
    if (up === false) {
      paint('#6b6b6b');
      onair.text(el.label, 'onair unreachable');
      onair.text(el.message, 'The last signal is unknown.');
      onair.text(el.since, lastSeen ? 'Last contact ' + onair.clock(lastSeen) : '');
      onair.text(el.until, '');
      onair.text(el.notice, '');
      setClass('stale', false);
      setClass('fx-blink', false);
      setClass('fx-pulse', false);
      return;
    }
    if (!user) {
      if (!known) {
        paint('#6b6b6b');
        onair.text(el.label, 'Not watched');
        onair.text(el.message, 'onair does not watch this user: check the address, or add the user to graph.users');
      }
      return;
    }
    paint(onair.shown(user));
    onair.text(el.name, user.name || user.user);
    onair.text(el.label, user.label || user.availability || '');
    onair.text(el.message, user.status_message || '');
    var since = onair.ms(user, 'since'), until = onair.ms(user, 'until'), next = onair.ms(user, 'next_busy');
    onair.text(el.since, since ? 'since ' + onair.clock(since) : '');
    if (until) {
      onair.text(el.until, 'until ' + onair.clock(until));
    } else if (next && next > onair.now()) {
      onair.text(el.until, 'next busy ' + onair.clock(next));
    } else {
      onair.text(el.until, '');
    }
    var why = onair.problem(user, health);
    onair.text(el.notice, why);
    setClass('stale', why !== '');
    setClass('fx-blink', user.effect === 'blink');
    setClass('fx-pulse', user.effect === 'pulse');
    document.title = (user.name || user.user) + ': ' + (user.label || '') + ' · onair';
  }

  function take(u) {
    if (u && u.user === key) { user = u; }
  }

  onair.connect(base + 'api/v1/events' + q, base + 'api/v1/state' + q, {
    snapshot: function (d) {
      health = d.health || null;
      var us = d.users || [], found = null;
      for (var i = 0; i < us.length; i++) { if (us[i].user === key) { found = us[i]; } }
      user = found;
      /* Before the daemon's first snapshot nobody is known yet. */
      known = !!found || !health || health.state === 'starting';
      render();
    },
    user: function (u) { take(u); render(); },
    health: function (d) { health = d.health || null; render(); },
    status: function (ok, seen) { up = ok; lastSeen = seen; render(); }
  });
  /* Keep "since"/"next busy" honest when the day rolls over. */
  setInterval(render, 60000);
})();
