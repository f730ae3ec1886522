extension WebPage {
    /// The selected task: its history and artifacts (`GET /v1/tasks/{id}`, read again when the
    /// feed says it changed) and its live log (`GET /v1/tasks/{id}/logs?follow=1`, read as a
    /// stream with `fetch`; resumed from its cursor, attempt and byte offset, when it breaks while
    /// the task is still active). The log is one text node, capped at `LOG_CHARS_MAX` characters.
    static let detailScript = #"""
const LOG_CHARS_MAX = 512 * 1024, LOG_RETRY_MS = 2000, DETAIL_REFRESH_MS = 400;
const ACTIVE = new Set(['accepted', 'queued', 'running', 'retrying']);
const detail = {id: null, generation: 0, abort: null, log: null, attempt: null, offset: 0,
  following: false, refreshQueued: false};

function select(id) {
  if (detail.id === id) return;
  if (detail.abort) detail.abort.abort();
  detail.generation++;
  Object.assign(detail, {id, attempt: null, offset: 0, following: false, abort: new AbortController()});
  page.selected = id;
  history.replaceState(null, '', '#task=' + id);
  $('detail').hidden = false;
  $('detail-id').textContent = id;
  $('detail-state').textContent = '';
  detail.log = document.createTextNode('');
  $('log').replaceChildren(detail.log);
  $('log-info').textContent = '';
  for (const [tid, row] of page.rows) row.classList.toggle('selected', tid === id);
  loadDetail();
  followLog(detail.generation);
}

function detailChanged(summary) {
  if (!detail.refreshQueued) {
    detail.refreshQueued = true;
    setTimeout(() => { detail.refreshQueued = false; loadDetail(); }, DETAIL_REFRESH_MS);
  }
  if (!detail.following && ACTIVE.has(summary.state)) followLog(detail.generation);
}

async function loadDetail() {
  const gen = detail.generation;
  try {
    const task = await getJSON('/v1/tasks/' + encodeURIComponent(detail.id), detail.abort.signal);
    if (gen === detail.generation) renderDetail(task);
  } catch (err) {
    if (gen === detail.generation && err.name !== 'AbortError') $('detail-state').textContent = 'unavailable: ' + err.message;
  }
}

function size(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : String(n)) + ' ' + units[i];
}

function renderDetail(task) {
  const st = $('detail-state');
  st.textContent = task.state; st.className = stateClass(task.state);
  const events = task.history || [];
  $('history').tBodies[0].replaceChildren(...events.map((e) => {
    const row = el('tr');
    for (const v of [clock(e.at), e.state, e.attempt, e.node, e.reason]) row.appendChild(el('td', '', v));
    row.cells[1].className = stateClass(e.state);
    return row;
  }));
  const last = events.filter((e) => Array.isArray(e.artifacts) && e.artifacts.length).pop();
  const files = last ? last.artifacts : [];
  $('artifacts').hidden = files.length === 0;
  $('artifacts-none').hidden = files.length > 0;
  $('artifacts').tBodies[0].replaceChildren(...files.map((f) => {
    const row = el('tr'), cell = el('td'), a = el('a', '', f.name);
    a.setAttribute('href', '/v1/tasks/' + encodeURIComponent(task.id) + '/artifacts/' + encodeURIComponent(f.name));
    a.setAttribute('download', f.name);
    a.setAttribute('data-artifact', f.name);
    cell.appendChild(a); row.appendChild(cell);
    row.appendChild(el('td', '', size(Number(f.size) || 0)));
    row.appendChild(el('td', 'sha', f.sha256));
    return row;
  }));
}

function appendLog(text) {
  if (!text) return;
  const pre = $('log'), atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
  detail.log.appendData(text);
  if (detail.log.length > LOG_CHARS_MAX) detail.log.deleteData(0, detail.log.length - LOG_CHARS_MAX);
  if (atEnd) pre.scrollTop = pre.scrollHeight;
}

// Where to read from: the newest attempt at first, then on from the cursor (a newer attempt from 0).
function logQuery() {
  if (detail.attempt === null) return 'follow=1';
  const t = page.tasks.get(detail.id);
  if (t && t.attempt > detail.attempt) return 'follow=1&attempt=' + t.attempt + '&from=0';
  return 'follow=1&attempt=' + detail.attempt + '&from=' + detail.offset;
}

async function followLog(gen) {
  if (gen !== detail.generation || detail.following) return;
  detail.following = true;
  let info = null;
  try {
    const r = await fetch('/v1/tasks/' + encodeURIComponent(detail.id) + '/logs?' + logQuery(),
      {cache: 'no-store', signal: detail.abort.signal});
    if (!r.ok) {
      const body = await r.json().catch(() => null);
      throw new Error((body && body.error && body.error.message) || ('HTTP ' + r.status));
    }
    const attempt = Number(r.headers.get('X-Mesh-Log-Attempt')) || 1, node = r.headers.get('X-Mesh-Log-Node');
    if (detail.attempt !== null && attempt !== detail.attempt) appendLog('\n--- attempt ' + attempt + ' ---\n');
    detail.attempt = attempt;
    detail.offset = Number(r.headers.get('X-Mesh-Log-Offset')) || 0;
    const where = 'attempt ' + attempt + (node ? ' on ' + node : '');
    $('log-info').textContent = where + ', following';
    const reader = r.body.getReader(), decoder = new TextDecoder();
    for (;;) {
      const {done, value} = await reader.read();
      if (gen !== detail.generation) return reader.cancel();
      if (done) break;
      detail.offset += value.length;
      appendLog(decoder.decode(value, {stream: true}));
    }
    appendLog(decoder.decode());
    info = where + ', ' + size(detail.offset);
  } catch (err) {
    if (err.name === 'AbortError' || gen !== detail.generation) return;
    info = 'log unavailable: ' + err.message;
  } finally {
    if (gen === detail.generation) detail.following = false;
  }
  $('log-info').textContent = info;
  const t = page.tasks.get(detail.id);
  if (!t || ACTIVE.has(t.state)) setTimeout(() => followLog(gen), LOG_RETRY_MS);
}

"""#
}
