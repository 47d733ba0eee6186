import type { Readable } from 'node:stream';

export interface CappedBody {
  /** The body as UTF-8 text, cut at `limitBytes` when truncated. */
  text: string;
  truncated: boolean;
}

/**
 * Reads a response body up to `limitBytes`. Past the cap it stops reading and destroys the stream, which makes undici
 * close the connection: a misbehaving server or proxy answering with hundreds of MiB costs at most the cap in
 * memory, never the whole body.
 */
export async function readCapped(body: Readable, limitBytes: number): Promise<CappedBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (size + buf.length > limitBytes) {
      chunks.push(buf.subarray(0, limitBytes - size));
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true };
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false };
}
