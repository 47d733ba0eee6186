/**
 * Last line of defence for secrets in text: replaces every occurrence of a known secret value (raw and
 * JSON-escaped) with `[redacted]`. Key-based redaction (logger.ts) covers structured fields; this covers
 * secrets that slipped into free text, such as an error message echoing a request.
 */
export type Scrubber = (text: string) => string;

export const REDACTED = '[redacted]';

/** Secrets shorter than this are not scrubbed from text: replacing e.g. "a" would mangle every line. */
const MIN_SCRUB_LENGTH = 4;

export function createScrubber(secrets: ReadonlyArray<string | undefined>): Scrubber {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SCRUB_LENGTH) continue;
    needles.add(secret);
    needles.add(JSON.stringify(secret).slice(1, -1));
  }
  // Longest first, so a secret that contains another is replaced whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return (text) => text;
  return (text) => {
    let out = text;
    for (const needle of ordered) if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    return out;
  };
}
