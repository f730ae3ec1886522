extension WebPage {
    /// The page's script: feeds, polling fallback, member and task tables. Every string from the
    /// mesh reaches the document through `el` / `cell` (`textContent`) or `setAttribute`; nothing
    /// is ever parsed as HTML. The task detail (history, artifacts, log) is in `detailScript`;
    /// `startScript` opens the feeds once everything is declared.
    static let script = feedScript + detailScript + startScript

    static let feedScript = #"""
'use strict';
const TASKS_SHOWN_MAX = 500, POLL_MS = 3000, STALE_MS = 6500, REOPEN_MS = 30000;
const $ = (id) => document.getElementById(id);
const page = {members: new Map(), tasks: new Map(), rows: new Map(), selected: null,
  feeds: {status: null, tasks: null}, lastEvent: {status: 0, tasks: 0}, opened: {status: 0, tasks: 0},
  renderQueued: false};

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function setCells(row, values) {
  values.forEach((v, i) => {
    const c = row.cells[i];
    const text = v === undefined || v === null ? '' : String(v);
    if (c.textContent !== text) c.textContent = text;
  });
}
function stateClass(state) { return 'state st-' + String(state).replace(/[^a-z_]/g, ''); }
function clock(text) {
  const d = new Date(text);
  return isNaN(d) ? String(text || '') : d.toLocaleTimeString();
}
function notice(text) { const n = $('notice'); n.textContent = text || ''; n.hidden = !text; }
function link(which, text, live) {
  const l = $('link-' + which); l.textContent = (which === 'status' ? 'members' : which) + ': ' + text;
  l.className = 'link ' + (live ? 'live' : 'down');
}
async function getJSON(path, signal) {
  const r = await fetch(path, {headers: {Accept: 'application/json'}, cache: 'no-store', signal});
  const body = await r.json().catch(() => null);
  if (!r.ok) throw new Error((body && body.error && body.error.message) || ('HTTP ' + r.status));
  return body;
}

// Members: the whole status each time (from the feed or a poll).
function renderStatus(status) {
  $('node').textContent = 'node ' + status.self;
  document.title = 'AgentMesh · ' + status.self;
  const body = $('members').tBodies[0], seen = new Set();
  let alive = 0;
  for (const m of status.members || []) {
    seen.add(m.name);
    if (m.state === 'alive') alive++;
    let row = page.members.get(m.name);
    if (!row) {
      row = el('tr'); row.setAttribute('data-member', m.name);
      for (let i = 0; i < 8; i++) row.appendChild(el('td'));
      page.members.set(m.name, row);
    }
    body.appendChild(row);   // keeps the node's order: itself first, then by name
    const cap = m.capacity, profiles = (cap && cap.profiles) || [];
    const busy = profiles.reduce((s, p) => s + p.busy, 0), slots = profiles.reduce((s, p) => s + p.slots, 0);
    setCells(row, [m.name + (m.isSelf ? ' (this node)' : ''), m.address, m.state,
      m.isSelf ? '—' : (m.rttMilliseconds == null ? '?' : m.rttMilliseconds.toFixed(2) + ' ms'),
      cap ? busy + '/' + slots : '?', profiles.map((p) => p.name + ' ' + p.busy + '/' + p.slots).join(', '),
      cap ? Number(cap.cpuLoad).toFixed(2) : '?', cap ? cap.queueLength : '?']);
    row.cells[2].className = stateClass(m.state);
  }
  for (const [name, row] of page.members) if (!seen.has(name)) { row.remove(); page.members.delete(name); }
  $('member-count').textContent = alive + ' alive of ' + seen.size;
}

// Tasks: one summary per event; the table is redrawn at most once a frame.
function taskChanged(summary) {
  page.tasks.set(summary.id, summary);
  if (page.selected === summary.id) detailChanged(summary);
  if (!page.renderQueued) { page.renderQueued = true; setTimeout(renderTasks, 50); }
}
function renderTasks() {
  page.renderQueued = false;
  const all = [...page.tasks.values()].sort((a, b) => (b.created > a.created) - (b.created < a.created) || (a.id < b.id ? -1 : 1));
  const shown = all.slice(0, TASKS_SHOWN_MAX), body = $('tasks').tBodies[0], keep = new Set();
  for (const t of shown) {
    keep.add(t.id);
    let row = page.rows.get(t.id);
    if (!row) {
      row = el('tr'); row.setAttribute('data-task', t.id); row.tabIndex = 0;
      for (let i = 0; i < 7; i++) row.appendChild(el('td'));
      row.cells[0].className = 'id'; row.cells[0].title = t.id;
      row.addEventListener('click', () => select(t.id));
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter') select(t.id); });
      page.rows.set(t.id, row);
    }
    body.appendChild(row);
    setCells(row, [t.id.slice(0, 12), t.profile, t.state, t.attempt, t.owner, clock(t.created), clock(t.updated)]);
    row.cells[2].className = stateClass(t.state);
    row.classList.toggle('selected', t.id === page.selected);
  }
  for (const [id, row] of page.rows) if (!keep.has(id)) { row.remove(); page.rows.delete(id); }
  const running = all.filter((t) => t.state === 'running').length;
  $('task-count').textContent = all.length + (all.length > shown.length ? ' (newest ' + shown.length + ' shown)' : '')
    + ', ' + running + ' running';
}

// Feeds: Server-Sent Events; while one is down, the plain routes are polled instead.
function openFeed(which, path, handlers) {
  page.opened[which] = Date.now();
  const source = new EventSource(path);
  page.feeds[which] = source;
  for (const [name, handle] of Object.entries(handlers)) {
    source.addEventListener(name, (e) => {
      page.lastEvent[which] = Date.now(); link(which, 'live', true);
      try { handle(JSON.parse(e.data)); } catch (err) { notice('bad ' + which + ' event: ' + err.message); }
    });
  }
  source.onerror = () => link(which, source.readyState === EventSource.CLOSED ? 'polling' : 'reconnecting', false);
}
function openStatusFeed() { openFeed('status', '/v1/status/events', {status: renderStatus}); }
function openTaskFeed() { openFeed('tasks', '/v1/tasks/events', {task: taskChanged, synced: () => renderTasks()}); }
function isDown(which) {
  const s = page.feeds[which];
  return !s || s.readyState === EventSource.CLOSED || (which === 'status' && Date.now() - page.lastEvent.status > STALE_MS);
}
async function poll() {
  for (const [which, reopen] of [['status', openStatusFeed], ['tasks', openTaskFeed]]) {
    const s = page.feeds[which];
    if (s && s.readyState === EventSource.CLOSED && Date.now() - page.opened[which] > REOPEN_MS) reopen();
  }
  try {
    if (isDown('status')) renderStatus(await getJSON('/v1/status'));
    if (isDown('tasks')) for (const t of (await getJSON('/v1/tasks?limit=' + TASKS_SHOWN_MAX)).tasks || []) taskChanged(t);
    notice('');
  } catch (err) { notice('this node does not answer: ' + err.message); }
  setTimeout(poll, POLL_MS);
}

"""#

    /// Runs last, when every function and constant above exists.
    static let startScript = #"""
openStatusFeed();
openTaskFeed();
setTimeout(poll, POLL_MS);
if (/^#task=[0-9a-f]{32}$/.test(location.hash)) select(location.hash.slice(6));

"""#
}
