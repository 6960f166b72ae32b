/* The presence board: a card per watched user, sorted by name. ES5. */
(function () {
  'use strict';
  var body = document.body;
  var base = body.getAttribute('data-base') || '';
  var grid = document.getElementById('grid');
  var filter = document.getElementById('filter');
  var countEl = document.getElementById('count');
  var healthEl = document.getElementById('health');
  var notice = document.getElementById('notice');
  var outputsEl = document.getElementById('outputs');
  var cards = {}, order = [], daemon = null, up = null, lastSeen = 0;

  function setClass(node, name, on) {
    var c = ' ' + node.className + ' ';
    var has = c.indexOf(' ' + name + ' ') >= 0;
    if (on && !has) { node.className = (node.className + ' ' + name).replace(/^\s+/, ''); }
    if (!on && has) { node.className = c.replace(' ' + name + ' ', ' ').replace(/^\s+|\s+$/g, ''); }
  }
  function div(cls, parent) {
    var d = document.createElement('div');
    d.className = cls;
    parent.appendChild(d);
    return d;
  }

  function makeCard(u) {
    var c = document.createElement('div');
    c.className = 'card';
    var card = { root: c, user: u.user, search: ((u.name || '') + ' ' + u.user).toLowerCase() };
    card.name = div('name', c);
    card.label = div('label', c);
    card.message = div('message', c);
    card.since = div('since', c);
    cards[u.user] = card;
    return card;
  }

  function fill(card, u) {
    var bg = onair.shown(u);
    card.root.style.backgroundColor = bg;
    card.root.style.color = onair.textColor(bg);
    card.root.setAttribute('data-user', u.user);
    onair.text(card.name, u.name || u.user);
    onair.text(card.label, u.label || u.availability || '');
    onair.text(card.message, u.status_message || '');
    var since = onair.ms(u, 'since'), until = onair.ms(u, 'until');
    onair.text(card.since, (since ? 'since ' + onair.clock(since) : '') + (until ? ' · until ' + onair.clock(until) : ''));
    var why = onair.problem(u, null);
    setClass(card.root, 'stale', why !== '');
    card.root.title = why;
  }

  function matches(card) {
    var f = filter.value.toLowerCase();
    return !f || card.search.indexOf(f) >= 0;
  }
  function applyFilter() {
    var shown = 0;
    for (var i = 0; i < order.length; i++) {
      var card = cards[order[i]], ok = matches(card);
      card.root.style.display = ok ? '' : 'none';
      if (ok) { shown++; }
    }
    onair.text(countEl, shown === order.length ? order.length + ' people' : shown + ' of ' + order.length + ' people');
  }

  function byName(a, b) {
    var x = (a.name || a.user).toLowerCase(), y = (b.name || b.user).toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }

  function showDaemon() {
    if (up === false) {
      onair.text(healthEl, 'onair unreachable' + (lastSeen ? ' since ' + onair.clock(lastSeen) : ''));
      onair.text(notice, 'onair unreachable: the colours below may be out of date.');
      return;
    }
    if (!daemon) { return; }
    var h = daemon.health || {};
    var s = 'onair ' + (h.state || '?').replace('_', ' ');
    var lp = onair.ms(h, 'last_poll');
    if (lp) { s += ' · last poll ' + onair.clock(lp); }
    if (daemon.paused) { s += ' · paused'; }
    onair.text(healthEl, s);
    onair.text(notice, h.state && h.state !== 'ok' ? 'onair is ' + h.state.replace('_', ' ') + (h.error ? ': ' + h.error : '') + (h.remedy ? '. ' + h.remedy : '') : '');
    while (outputsEl.firstChild) { outputsEl.removeChild(outputsEl.firstChild); }
    var outs = daemon.outputs || [];
    for (var i = 0; i < outs.length; i++) {
      var li = document.createElement('li');
      onair.text(li, outs[i].name + ': ' + outs[i].state + (outs[i].detail ? ' (' + outs[i].detail + ')' : ''));
      outputsEl.appendChild(li);
    }
  }

  function render() {
    setClass(body, 'connecting', up === null);
    setClass(body, 'unreachable', up === false);
    showDaemon();
  }

  onair.connect(base + 'api/v1/events', base + 'api/v1/state', {
    snapshot: function (d) {
      daemon = d;
      var us = (d.users || []).slice(0);
      us.sort(byName);
      var frag = document.createDocumentFragment(), seen = {};
      order = [];
      for (var i = 0; i < us.length; i++) {
        var card = cards[us[i].user] || makeCard(us[i]);
        card.search = ((us[i].name || '') + ' ' + us[i].user).toLowerCase();
        fill(card, us[i]);
        frag.appendChild(card.root);
        order.push(us[i].user);
        seen[us[i].user] = true;
      }
      for (var k in cards) {
        if (cards.hasOwnProperty(k) && !seen[k]) { delete cards[k]; }
      }
      while (grid.firstChild) { grid.removeChild(grid.firstChild); }
      grid.appendChild(frag);
      applyFilter();
      render();
    },
    user: function (u) {
      var card = cards[u.user];
      if (card) { fill(card, u); }
    },
    health: function (d) {
      var users = daemon ? daemon.users : [];
      daemon = d;
      daemon.users = users;
      render();
    },
    status: function (ok, seen) { up = ok; lastSeen = seen; render(); }
  });
  filter.oninput = applyFilter;
  filter.onkeyup = applyFilter; /* old browsers without the input event */
})();
