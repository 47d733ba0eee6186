/**
 * Serialise once (issue 10): the outbox stores each event as `JSON.stringify(event)`, which is the NDJSON line
 * (CONTRACT.md "Sinks", envelope/ndjson-record.ts) except for the order of the `relay` fields (a notification's
 * are built receivedAt, channelId, source, key). So the line is the stored text up to `"relay"`, then the relay
 * object re-emitted in the record's order from its raw JSON values: no parse of the body, no re-stringify.
 *
 * Only when the text has exactly the record's shape: `{"topicName":…,"version":"…","eventBody":…` at the head,
 * and a relay object at the tail holding only the record's relay fields (string values, `gap` an object of
 * strings). Anything else (no `version`, an unknown relay field) returns undefined and the caller formats the
 * parsed event as before. The top level is built by our own code in that order (envelope/parse-frame.ts,
 * resync/resync-event.ts), and `"` is always escaped inside JSON strings, so the last `,"relay":{` of the text is
 * the top-level one.
 */

const jsonString = String.raw`"(?:[^"\\]|\\.)*"`;
const HEAD = new RegExp(String.raw`^\{"topicName":${jsonString},"version":${jsonString},"eventBody":`);
const RELAY_MARK = ',"relay":{';
/** One `"name":value` member of the relay object, value a JSON string or (gap) a flat object of strings. */
const MEMBER = new RegExp(
  String.raw`"(receivedAt|channelId|key|source|gap)":(${jsonString}|\{(?:${jsonString}:${jsonString}(?:,${jsonString}:${jsonString})*)?\})`,
  'y',
);
/** The record's relay fields, in its order; the first three are always there. */
const ORDER = ['receivedAt', 'channelId', 'key', 'source', 'gap'] as const;

/** The NDJSON line (newline included) for stored event text, or undefined if the text is not of the record's shape. */
export function storedNdjsonLine(payload: string): string | undefined {
  if (!HEAD.test(payload) || !payload.endsWith('}}')) return undefined;
  const mark = payload.lastIndexOf(RELAY_MARK);
  if (mark < 0) return undefined;
  const members = relayMembers(payload, mark + RELAY_MARK.length, payload.length - 2);
  if (!members || members.get('receivedAt') === undefined || members.get('key') === undefined) return undefined;
  if (members.get('channelId') === undefined) return undefined;
  // The record leaves out an empty `source` (`source ? … : {}`); rare enough to take the parse path.
  if (members.get('source') === '""') return undefined;
  let relay = '';
  for (const name of ORDER) {
    const value = members.get(name);
    if (value !== undefined) relay += `${relay === '' ? '' : ','}"${name}":${value}`;
  }
  return `${payload.slice(0, mark)}${RELAY_MARK}${relay}}}\n`;
}

/** The members of the relay object's text between `from` and `to` (exclusive), by name; undefined if malformed. */
function relayMembers(text: string, from: number, to: number): Map<string, string> | undefined {
  const members = new Map<string, string>();
  let at = from;
  while (at < to) {
    if (members.size > 0) {
      if (text[at] !== ',') return undefined;
      at++;
    }
    MEMBER.lastIndex = at;
    const match = MEMBER.exec(text);
    if (!match || match.index !== at) return undefined;
    const [whole, name, value] = match;
    if (name === undefined || value === undefined || members.has(name)) return undefined;
    if (name !== 'gap' && value.startsWith('{')) return undefined;
    if (name === 'gap' && !value.startsWith('{')) return undefined;
    members.set(name, value);
    at += whole.length;
  }
  return at === to ? members : undefined;
}
