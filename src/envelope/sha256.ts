import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';

/** sha256 of a string's UTF-8 bytes, as lower-case hex. */
export type Sha256Hex = (text: string) => string;

/** The pure-JavaScript digest (@noble/hashes): what a browser, a worker or any runtime without node:crypto uses. */
export const pureSha256Hex: Sha256Hex = (text) => bytesToHex(sha256(utf8ToBytes(text)));

/**
 * Node's native one-shot digest when this runs on Node (about twice as fast as createHash() on the per-event path,
 * and several times faster than pure JavaScript), reached through `process.getBuiltinModule` so that this module
 * has no static Node import and bundles for a browser as it is. Undefined elsewhere.
 */
export function nativeSha256Hex(): Sha256Hex | undefined {
  const nodeProcess = (globalThis as { process?: Partial<Pick<NodeJS.Process, 'getBuiltinModule'>> }).process;
  const crypto = nodeProcess?.getBuiltinModule?.('crypto');
  if (crypto === undefined || typeof crypto.hash !== 'function') return undefined;
  return (text) => crypto.hash('sha256', text, 'hex');
}

/** The digest behind every `relay.key`: native on Node, pure JavaScript elsewhere; both give the same hex. */
export const sha256Hex: Sha256Hex = nativeSha256Hex() ?? pureSha256Hex;
