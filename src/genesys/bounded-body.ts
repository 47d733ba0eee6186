import type { Readable } from 'node:stream';
import { readCappedChunks, type CappedBody } from './http.ts';

export type { CappedBody } from './http.ts';

/**
 * Reads a response body up to `limitBytes`. Past the cap it stops reading and destroys the stream, which makes undici
 * close the connection: a misbehaving server or proxy answering with hundreds of MiB costs at most the cap in
 * memory, never the whole body.
 */
export function readCapped(body: Readable, limitBytes: number): Promise<CappedBody> {
  const chunks = (body as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const next = async (): Promise<Uint8Array | undefined> => {
    const step = await chunks.next();
    if (step.done === true) return undefined;
    return typeof step.value === 'string' ? Buffer.from(step.value) : step.value;
  };
  return readCappedChunks(next, () => void body.destroy(), limitBytes);
}
