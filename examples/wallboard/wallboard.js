// Wallboard: live agent presence and queue conversation counts from the relay's event stream (GET /v1/stream).
// Configuration comes from the URL fragment, which the browser never sends to a server:
//   index.html#stream=http://127.0.0.1:8787/v1/stream&token=…
import { applyEvent, loadState, saveState } from './board-state.js';
import { readEventStream } from './sse.js';

const params = new URLSearchParams(location.hash.slice(1));
const streamBase = params.get('stream');
const token = params.get('token') ?? '';
const topics = params.getAll('topic');
const url = new URL(streamBase ?? '/v1/stream', location.href);
for (const t of topics.length > 0 ? topics : ['v2.users.', 'v2.routing.queues.']) url.searchParams.append('topic', t);

const state = loadState();
state.loads++;
// Sequences received in this page load only (the test compares them across reloads).
const seqsThisLoad = [];
let connection = 'connecting';
let connectedFrom;
window.wallboard = { state, seqsThisLoad, connection: () => connection };

const RETRY_MS = 1000;

async function run() {
  for (;;) {
    const resumeFrom = state.lastEventId;
    try {
      await readEventStream({
        url: url.toString(),
        token,
        lastEventId: resumeFrom,
        onOpen: () => {
          connection = 'live';
          connectedFrom = resumeFrom;
          if (resumeFrom !== undefined) state.resumes++;
          saveState(state);
          render();
        },
        onEvent,
      });
      connection = 'reconnecting (stream ended)';
    } catch (err) {
      connection = `reconnecting (${err.status === 401 ? 'token refused' : err.message})`;
    }
    render();
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function onEvent({ id, event, data }) {
  if (event === 'reset') {
    // Events between our last id and the oldest kept are gone (retention): say so, go on from the oldest.
    state.resets++;
    state.lastEventId = id;
  } else if (event === 'message' && id !== undefined) {
    const seq = Number(id);
    if (applyEvent(state, seq, JSON.parse(data))) seqsThisLoad.push(seq);
  }
  saveState(state);
  scheduleRender();
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render() {
  setText('connection', connection);
  setText('received', state.received);
  setText('repeated', state.repeated);
  setText('resumes', state.resumes);
  setText('resets', state.resets);
  setText('last-id', state.lastEventId ?? '—');
  setText('resumed-from', connectedFrom === undefined ? 'start (newest event)' : `after #${connectedFrom}`);
  document.getElementById('connection').className = connection === 'live' ? 'live' : 'down';
  renderRows(
    'agents',
    Object.entries(state.agents).sort(),
    ([id, a]) => [id.slice(0, 8), a.presence, a.routing, a.at ? new Date(a.at).toLocaleTimeString() : '—'],
    ([, a]) => `presence-${a.presence}`,
  );
  renderRows(
    'queues',
    Object.entries(state.queues).sort(),
    ([id, q]) => [id.slice(0, 8), q.events, q.alerting, q.connected, q.disconnected],
    () => '',
  );
}

function renderRows(tableId, entries, cells, rowClass) {
  const body = document.querySelector(`#${tableId} tbody`);
  body.replaceChildren(
    ...entries.map((entry) => {
      const tr = document.createElement('tr');
      tr.className = rowClass(entry);
      tr.dataset.id = entry[0];
      for (const value of cells(entry)) {
        const td = document.createElement('td');
        td.textContent = String(value);
        tr.append(td);
      }
      return tr;
    }),
  );
}

function setText(id, value) {
  document.getElementById(id).textContent = String(value);
}

if (!streamBase || !token) {
  connection = 'no stream configured: open index.html#stream=URL&token=TOKEN (genesys-relay demo --web prints it)';
  render();
} else {
  render();
  void run();
}
