import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { ConfigError, errorMessage } from '../core/errors.ts';

/**
 * The stream's bearer token: GENESYS_RELAY_STREAM_TOKEN, else the first line of `tokenFile`. A stream without a token
 * would hand every event to anyone who can reach the port, so there is no such mode: no token is a ConfigError.
 */
export function resolveStreamToken(envToken: string | undefined, tokenFile: string | undefined): string {
  if (envToken !== undefined && envToken.trim() !== '') return envToken.trim();
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(tokenFile, 'utf8');
    } catch (err) {
      throw new ConfigError('stream.tokenFile', `${tokenFile} cannot be read: ${errorMessage(err)}`);
    }
    const token = text.split(/\r?\n/, 1)[0]?.trim() ?? '';
    if (token !== '') return token;
    throw new ConfigError('stream.tokenFile', `${tokenFile} is empty`);
  }
  throw new ConfigError('stream', 'the event stream needs a token: set GENESYS_RELAY_STREAM_TOKEN or stream.tokenFile');
}

/** Compares digests of equal length in constant time, so neither the token's content nor its length leaks. */
export class TokenCheck {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  /** The token from `Authorization: Bearer …`, else from the `access_token` query (EventSource cannot send headers). */
  accepts(req: IncomingMessage, url: URL): boolean {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header);
    const presented = match?.[1]?.trim() ?? url.searchParams.get('access_token');
    if (presented === null || presented === '') return false;
    return timingSafeEqual(digest(presented), this.expected);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
