// Server-Sent Events over fetch(): unlike EventSource, it can send `Authorization: Bearer …`, so the token never
// goes into a URL (URLs end up in proxy and server logs). Parses the stream as the SSE spec says: blocks separated
// by a blank line, `id:`, `event:`, `data:` fields, comment lines starting with ':'.

/**
 * Reads one stream until it ends or `signal` aborts. Calls onEvent({ id, event, data }) per event and onOpen() once
 * the answer is 200. Rejects with an Error carrying `status` for any other answer.
 */
export async function readEventStream({ url, token, lastEventId, signal, onOpen, onEvent }) {
  const headers = { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' };
  if (lastEventId) headers['Last-Event-ID'] = lastEventId;
  const res = await fetch(url, { headers, signal, cache: 'no-store' });
  if (res.status !== 200 || !res.body) {
    const err = new Error(`stream answered ${res.status}`);
    err.status = res.status;
    throw err;
  }
  onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const parsed = parseBlock(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (parsed) onEvent(parsed);
    }
  }
}

function parseBlock(block) {
  let id;
  let event = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (name === 'id') id = value;
    else if (name === 'event') event = value;
    else if (name === 'data') data.push(value);
  }
  return data.length > 0 ? { id, event, data: data.join('\n') } : undefined;
}
