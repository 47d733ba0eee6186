// Wallboard: live agent presence and queue conversation counts, from the relay's event stream (GET /v1/stream) or
// straight from Genesys through the browser client (direct mode, direct.js).
// Configuration comes from the URL fragment, which the browser never sends to a server:
//   index.html#stream=http://127.0.0.1:8787/v1/stream&token=…
//   index.html#direct=https://api.mypurecloud.ie&tokenUrl=/my-token&topic=v2.users.<id>?presence&topic=…
import { applyEvent, loadState, newState, saveState } from './board-state.js';
import { readEventStream } from './sse.js';

const params = new URLSearchParams(location.hash.slice(1));
const streamBase = params.get('stream');
const directBase = params.get('direct');
const token = params.get('token') ?? '';
const topics = params.getAll('topic');
const url = new URL(streamBase ?? '/v1/stream', location.href);
for (const t of topics.length > 0 ? topics : ['v2.users.', 'v2.routing.queues.']) url.searchParams.append('topic', t);

// Direct mode has no durable sequence to resume from: each load starts a fresh board.
const state = directBase ? newState() : loadState();
state.loads++;
// Sequences received in this page load only (the test compares them across reloads).
const seqsThisLoad = [];
let connection = 'connecting';
let connectedFrom;
// Direct mode: gaps the client recorded, and the last events' identities (the test recomputes relay.key on Node).
const gaps = [];
const recentEvents = [];
const seenKeys = new Set();
window.wallboard = { state, seqsThisLoad, gaps, recentEvents, connection: () => connection };

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

function onDirectEvent(event) {
  // The client de-duplicates by relay.key; the page counts any copy that still got through.
  if (seenKeys.has(event.relay.key)) {
    state.repeated++;
  } else {
    seenKeys.add(event.relay.key);
    if (seenKeys.size > 5000) seenKeys.delete(seenKeys.values().next().value);
    applyEvent(state, state.received + 1, event);
    const { topicName, eventBody, metadata, relay } = event;
    recentEvents.push({ topicName, eventBody, correlationId: metadata.CorrelationId, key: relay.key });
    if (recentEvents.length > 200) recentEvents.shift();
  }
  scheduleRender();
}

function onDirectGap(gap) {
  gaps.push(gap);
  render();
}

function startDirect() {
  document.getElementById('mode').textContent = 'direct to Genesys';
  document.getElementById('gaps-box').hidden = false;
  import('./direct.js')
    .then(({ runDirect }) =>
      runDirect({
        apiBase: directBase,
        tokenUrl: params.get('tokenUrl') ?? '/token',
        topics: params.getAll('topic'),
        heartbeatMs: Number(params.get('heartbeatMs')) || undefined,
        onEvent: onDirectEvent,
        onGap: onDirectGap,
        onConnection: (text) => {
          connection = text;
          render();
        },
      }),
    )
    .catch((err) => {
      connection = `failed: ${err.message}`;
      render();
    });
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
  setText('gaps', gaps.length);
  const lastGap = gaps.at(-1);
  setText('last-gap', lastGap ? `${lastGap.reason}, ${lastGap.endAt - lastGap.startAt} ms` : '—');
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

if (directBase) {
  render();
  startDirect();
} else if (!streamBase || !token) {
  connection =
    'nothing configured: open index.html#stream=URL&token=TOKEN or #direct=API_BASE&tokenUrl=URL&topic=T (genesys-relay demo --web prints both)';
  render();
} else {
  render();
  void run();
}
