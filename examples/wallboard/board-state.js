// The wallboard's state: agent presence and queue conversation counts, plus the stream bookkeeping that makes a
// reload resume where it stopped (kept in sessionStorage, so each tab resumes its own stream).

const KEY = 'genesys-relay-wallboard';
const RECENT = 2000;

export function loadState() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(KEY) ?? 'null');
    if (saved && saved.version === 1) return saved;
  } catch {
    // A damaged entry starts a fresh board.
  }
  return newState();
}

export function newState() {
  return {
    version: 1,
    lastEventId: undefined,
    received: 0,
    repeated: 0,
    resets: 0,
    resumes: 0,
    loads: 0,
    recentSeqs: [],
    agents: {},
    queues: {},
  };
}

export function saveState(state) {
  sessionStorage.setItem(KEY, JSON.stringify(state));
}

/**
 * Applies one stream event. Returns false for a repeat (a sequence at or below the last one seen), which is counted
 * and otherwise ignored: sequences only grow, so this is how the page checks "no event twice".
 */
export function applyEvent(state, seq, record) {
  if (state.lastEventId !== undefined && seq <= Number(state.lastEventId)) {
    state.repeated++;
    return false;
  }
  state.lastEventId = String(seq);
  state.received++;
  // The last sequences seen, across reloads: what a check for "nothing missed" compares with the relay's outbox.
  state.recentSeqs.push(seq);
  if (state.recentSeqs.length > RECENT) state.recentSeqs.splice(0, state.recentSeqs.length - RECENT);
  const topic = record.topicName ?? '';
  const body = record.eventBody ?? {};
  const parts = topic.split('.');
  if (parts[1] === 'users' && parts[3] === 'presence') {
    agent(state, parts[2]).presence = body.presenceDefinition?.systemPresence ?? 'Unknown';
    agent(state, parts[2]).at = record.relay?.receivedAt;
  } else if (parts[1] === 'users' && parts[3] === 'routingStatus') {
    agent(state, parts[2]).routing = body.routingStatus?.status ?? 'Unknown';
  } else if (parts[1] === 'routing' && parts[2] === 'queues' && parts[4] === 'conversations') {
    const queue = (state.queues[parts[3]] ??= { events: 0, alerting: 0, connected: 0, disconnected: 0 });
    queue.events++;
    const agentLeg = (body.participants ?? []).find((p) => p.purpose === 'agent');
    if (agentLeg && agentLeg.state in queue) queue[agentLeg.state]++;
  }
  return true;
}

function agent(state, id) {
  return (state.agents[id] ??= { presence: '—', routing: '—', at: undefined });
}
