// Shoal's web UI: a small single-page app over Shoal's REST API (Iggy's
// routes, internal/httpapi), served from /ui/ on the same origin. The
// screen follows the location hash:
//
//   #/login                                 log in (POST /users/login)
//   #/streams                               streams, create one
//   #/streams/{stream}                      a stream's topics, create one
//   #/streams/{stream}/topics/{topic}       send and browse messages
//
// The access token is kept in sessionStorage (this tab only) until its
// expiry; a 401 from the API ends the session. Everything the API returns
// is put into the page as text, never as HTML.

const $ = (id) => document.getElementById(id);

const VIEWS = ['login-view', 'streams-view', 'stream-view', 'topic-view'];
const SESSION_KEY = 'shoal.session';

// Session: {token, expiry (Unix seconds), username}.

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY));
    if (s && typeof s.token === 'string' && s.expiry * 1000 > Date.now()) {
      return s;
    }
  } catch {
    // a malformed entry is dropped below
  }
  sessionStorage.removeItem(SESSION_KEY);
  return null;
}

function saveSession(s) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(s));
}

function dropSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

// ApiError is a refusal: the API's error body {id, code, reason, field}
// when it sent one, else the HTTP status.
class ApiError extends Error {
  constructor(status, body, fallback) {
    const reason = body && typeof body.reason === 'string' && body.reason ? body.reason : fallback;
    super(reason);
    this.status = status;
    this.body = body;
  }

  get detail() {
    const parts = [];
    const b = this.body;
    if (b && b.code) {
      parts.push(`error ${b.id} (${b.code})`);
    }
    if (b && b.field) {
      parts.push(`field: ${b.field}`);
    }
    if (this.status) {
      parts.push(`HTTP ${this.status}`);
    }
    let d = parts.join(', ');
    if (this.status === 503) {
      d += '; try again shortly';
    }
    return d;
  }
}

// SessionEnded: no token, or the API refused it (401).
class SessionEnded extends Error {}

// api calls the REST API and returns the decoded JSON body (null when
// empty). A refusal throws ApiError; a 401 on an authenticated call ends
// the session and throws SessionEnded.
async function api(method, path, body, { auth = true } = {}) {
  const headers = {};
  if (auth) {
    const s = loadSession();
    if (!s) {
      throw new SessionEnded();
    }
    headers.authorization = 'Bearer ' + s.token;
  }
  const init = { method, headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, null, `Cannot reach the server (${e.message}).`);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.status === 401 && auth) {
    dropSession();
    throw new SessionEnded();
  }
  if (!res.ok) {
    throw new ApiError(res.status, data, `The server answered HTTP ${res.status} ${res.statusText}.`.replace(' .', '.'));
  }
  return data;
}

// Messages to the user: one error (role=alert) and one status line.

function clearMessages() {
  $('error').hidden = true;
  $('error-text').textContent = '';
  $('error-detail').textContent = '';
  $('status').textContent = '';
}

function showError(text, detail) {
  $('error-text').textContent = text;
  $('error-detail').textContent = detail || '';
  $('error').hidden = false;
}

function setStatus(text) {
  $('status').textContent = text;
}

// report shows what went wrong; an ended session goes back to login.
function report(e) {
  if (e instanceof SessionEnded) {
    updateWho(null);
    show('login-view');
    showError('Your session has ended. Log in again.', '');
    return;
  }
  if (e instanceof ApiError) {
    showError(e.message, e.detail);
    return;
  }
  console.error(e);
  showError(`Unexpected error: ${e && e.message ? e.message : e}`, '');
}

// Bytes and text.

const utf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

function toBase64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(s);
}

function fromBase64(b64) {
  const s = atob(b64 || '');
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    out[i] = s.charCodeAt(i);
  }
  return out;
}

// u32le is n as 4 little-endian bytes (a partition id on the wire).
function u32le(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

// payloadText is a payload as text: UTF-8, or a hex preview of binary.
function payloadText(b64) {
  const bytes = fromBase64(b64);
  try {
    return utf8.decode(bytes);
  } catch {
    const more = bytes.length > 32 ? ' …' : '';
    return `(binary, ${bytes.length} bytes) ${hex(bytes.subarray(0, 32))}${more}`;
  }
}

function preview(text) {
  return text.length > 40 ? text.slice(0, 40) + '…' : text;
}

// timeEl renders a timestamp in microseconds since the Unix epoch.
function timeEl(micros) {
  const t = document.createElement('time');
  const d = new Date(Math.floor(micros / 1000));
  t.dateTime = d.toISOString();
  t.textContent = d.toISOString().replace('T', ' ').replace('Z', ' UTC');
  t.title = `${micros} µs since the Unix epoch`;
  return t;
}

// Tables.

function link(href, text) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  return a;
}

// fillTable replaces a table's rows with one per item; cells returns an
// item's cells (text or nodes). emptyId, when given, is shown for none.
function fillTable(tableId, emptyId, items, cells) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren(...items.map((item) => {
    const tr = document.createElement('tr');
    for (const c of cells(item)) {
      const td = document.createElement('td');
      if (c instanceof Node) {
        td.append(c);
      } else {
        td.textContent = String(c);
      }
      tr.append(td);
    }
    return tr;
  }));
  if (emptyId) {
    $(emptyId).hidden = items.length > 0;
  }
}

// Views and routing.

let currentView = '';
// generation counts renders: an answer for an older one is not drawn.
let generation = 0;

// show makes one view visible and, when it changes, moves focus to its
// heading so that screen readers announce it.
function show(id) {
  for (const v of VIEWS) {
    $(v).hidden = v !== id;
  }
  if (currentView !== id) {
    currentView = id;
    const h = $(id).querySelector('h1');
    document.title = `${h.textContent} · Shoal`;
    h.focus();
  }
}

function setTitle(id, text) {
  $(id).textContent = text;
  document.title = `${text} · Shoal`;
}

function updateWho(s) {
  $('who').hidden = !s;
  $('who-name').textContent = s ? `Logged in as ${s.username}` : '';
}

function route() {
  let parts;
  try {
    parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return null; // a malformed escape
  }
  if (parts.length === 1 && parts[0] === 'streams') {
    return { view: 'streams' };
  }
  if (parts.length === 2 && parts[0] === 'streams') {
    return { view: 'stream', stream: parts[1] };
  }
  if (parts.length === 4 && parts[0] === 'streams' && parts[2] === 'topics') {
    return { view: 'topic', stream: parts[1], topic: parts[3] };
  }
  return null;
}

// flash is a status line for the next render to show.
let flash = '';

// go shows hash, rendering it again when it is already the current one,
// with status as the status line.
function go(hash, status = '') {
  flash = status;
  if (location.hash === hash) {
    render();
  } else {
    location.hash = hash;
  }
}

async function render() {
  const gen = ++generation;
  clearMessages();
  setStatus(flash);
  flash = '';
  const s = loadSession();
  updateWho(s);
  if (!s) {
    show('login-view');
    return;
  }
  const r = route();
  if (!r) {
    go('#/streams');
    return;
  }
  try {
    if (r.view === 'streams') {
      show('streams-view');
      await loadStreams(gen);
    } else if (r.view === 'stream') {
      show('stream-view');
      await loadStream(gen, r.stream);
    } else {
      show('topic-view');
      await loadTopic(gen, r.stream, r.topic);
    }
  } catch (e) {
    if (gen === generation) {
      report(e);
    }
  }
}

const streamPath = (s) => `/streams/${encodeURIComponent(s)}`;
const topicPath = (s, t) => `${streamPath(s)}/topics/${encodeURIComponent(t)}`;

async function loadStreams(gen) {
  const list = await api('GET', '/streams');
  if (gen !== generation) {
    return;
  }
  list.sort((a, b) => a.id - b.id);
  fillTable('streams-table', 'streams-empty', list,
    (s) => [s.id, link(`#/streams/${s.id}`, s.name), s.topics_count, s.messages_count, s.size]);
}

// streamKey names the stream the stream view shows.
let streamKey = '';

async function loadStream(gen, stream) {
  if (stream !== streamKey) {
    streamKey = stream;
    setTitle('stream-title', `Stream ${stream}`);
    fillTable('topics-table', '', [], () => []);
    $('topics-empty').hidden = true;
  }
  const d = await api('GET', streamPath(stream));
  if (gen !== generation) {
    return;
  }
  setTitle('stream-title', `Stream ${d.name}`);
  const topics = (d.topics || []).sort((a, b) => a.id - b.id);
  fillTable('topics-table', 'topics-empty', topics,
    (t) => [t.id, link(`#/streams/${d.id}/topics/${t.id}`, t.name), t.partitions_count, t.messages_count, t.size]);
}

// topicKey names the topic the browse form and table belong to.
let topicKey = '';

async function loadTopic(gen, stream, topic) {
  const key = `${stream}/${topic}`;
  if (key !== topicKey) {
    topicKey = key;
    setTitle('topic-title', `Topic ${topic}`);
    $('topic-stream-link').textContent = `Stream ${stream}`;
    $('topic-stream-link').href = `#/streams/${encodeURIComponent(stream)}`;
    fillTable('partitions-table', '', [], () => []);
    $('poll-form').reset();
    $('send-form').reset();
    $('poll-next').disabled = true;
    $('poll-summary').textContent = '';
    fillTable('messages-table', '', [], () => []);
  }
  const [s, t] = await Promise.all([api('GET', streamPath(stream)), api('GET', topicPath(stream, topic))]);
  if (gen !== generation) {
    return;
  }
  const sl = $('topic-stream-link');
  sl.href = `#/streams/${s.id}`;
  sl.textContent = `Stream ${s.name}`;
  setTitle('topic-title', `Topic ${t.name}`);
  const parts = (t.partitions || []).sort((a, b) => a.id - b.id);
  fillTable('partitions-table', '', parts, (p) => [p.id, p.messages_count, p.current_offset, p.size]);
}

// Forms.

// onSubmit runs action when a form is submitted, one at a time, with the
// form's enabled buttons disabled meanwhile; what goes wrong is reported.
// An action ends as soon as its result is shown: what it refreshes after
// that goes through refresh, so the form is ready for the next input.
function onSubmit(formId, action) {
  const form = $(formId);
  let busy = false;
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (busy) {
      return;
    }
    busy = true;
    clearMessages();
    const enabled = [...form.querySelectorAll('button')].filter((b) => !b.disabled);
    enabled.forEach((b) => { b.disabled = true; });
    form.setAttribute('aria-busy', 'true');
    try {
      await action(form);
    } catch (e) {
      report(e);
    } finally {
      enabled.forEach((b) => { b.disabled = false; });
      form.removeAttribute('aria-busy');
      busy = false;
    }
  });
}

// refresh redraws in the background, reporting what goes wrong.
function refresh(loading) {
  loading.catch(report);
}

onSubmit('login-form', async () => {
  const username = $('login-username').value;
  const res = await api('POST', '/users/login', { username, password: $('login-password').value }, { auth: false });
  saveSession({ token: res.access_token.token, expiry: res.access_token.expiry, username });
  $('login-form').reset();
  const r = route();
  go(r ? location.hash : '#/streams');
});

$('logout').addEventListener('click', async () => {
  clearMessages();
  try {
    await api('DELETE', '/users/logout');
  } catch (e) {
    if (!(e instanceof SessionEnded)) {
      report(e);
    }
  }
  dropSession();
  go('#/login', 'Logged out.');
});

onSubmit('stream-form', async (form) => {
  const d = await api('POST', '/streams', { name: $('stream-name').value });
  form.reset();
  setStatus(`Created stream "${d.name}" (ID ${d.id}).`);
  refresh(loadStreams(generation));
});

onSubmit('topic-form', async (form) => {
  const r = route();
  if (!r) {
    return;
  }
  const body = { name: $('topic-name').value, partitions_count: Number($('topic-partitions').value) };
  const d = await api('POST', `${streamPath(r.stream)}/topics`, body);
  form.reset();
  setStatus(`Created topic "${d.name}" (ID ${d.id}) with ${d.partitions_count} partition(s).`);
  refresh(loadStream(generation, r.stream));
});

onSubmit('send-form', async () => {
  const r = route();
  if (!r) {
    return;
  }
  const text = $('send-payload').value;
  const p = $('send-partition').value;
  const partitioning = p === ''
    ? { kind: 'balanced', value: '' }
    : { kind: 'partition_id', value: toBase64(u32le(Number(p))) };
  const body = { partitioning, messages: [{ payload: toBase64(encoder.encode(text)) }] };
  await api('POST', `${topicPath(r.stream, r.topic)}/messages`, body);
  $('send-payload').value = '';
  setStatus(p === '' ? `Sent "${preview(text)}".` : `Sent "${preview(text)}" to partition ${p}.`);
  refresh(loadTopic(generation, r.stream, r.topic)); // the partitions' counts
});

// nextOffset is where "Next page" polls from.
let nextOffset = 0;

onSubmit('poll-form', async () => {
  const r = route();
  if (!r) {
    return;
  }
  const part = Number($('poll-partition').value);
  const offset = Number($('poll-offset').value);
  const q = new URLSearchParams({
    partition_id: part, kind: 'offset', value: offset, count: Number($('poll-count').value), auto_commit: 'false',
  });
  const polled = await api('GET', `${topicPath(r.stream, r.topic)}/messages?${q}`);
  const msgs = polled.messages || [];
  fillTable('messages-table', '', msgs,
    (m) => [m.header.offset, timeEl(m.header.timestamp), payloadText(m.payload)]);
  if (msgs.length === 0) {
    nextOffset = offset;
    $('poll-summary').textContent = `No messages in partition ${part} from offset ${offset}.`;
  } else {
    const first = msgs[0].header.offset;
    const last = msgs[msgs.length - 1].header.offset;
    nextOffset = last + 1;
    $('poll-summary').textContent = `Partition ${part}: ${msgs.length} message(s), offsets ${first} to ${last}` +
      ` (the partition's last offset is ${polled.current_offset}).`;
  }
  $('poll-next').disabled = false;
  refresh(loadTopic(generation, r.stream, r.topic));
});

$('poll-next').addEventListener('click', () => {
  $('poll-offset').value = String(nextOffset);
  $('poll-form').requestSubmit();
});

window.addEventListener('hashchange', render);

render();
