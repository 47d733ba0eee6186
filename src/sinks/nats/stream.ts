import { nanos } from '@nats-io/transport-node';
import type { JetStreamManager, StreamInfo } from '@nats-io/jetstream';

export interface StreamSpec {
  name: string;
  /** e.g. `genesys.>` */
  subject: string;
  duplicateWindowMs: number;
}

/**
 * Creates the stream if missing. If it exists (perhaps created by ops with their own retention), only what the
 * relay relies on is adjusted: the subject must be captured, and the duplicate window — the span within which a
 * re-publish of the same `Nats-Msg-Id` is dropped — must be at least ours. Limits, replicas and storage are left
 * alone.
 */
export async function ensureStream(jsm: JetStreamManager, spec: StreamSpec): Promise<StreamInfo> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(spec.name);
  } catch (err) {
    if (!(err instanceof Error) || err.name !== 'StreamNotFoundError') throw err;
    return jsm.streams.add({
      name: spec.name,
      subjects: [spec.subject],
      duplicate_window: nanos(spec.duplicateWindowMs),
    });
  }
  const subjects = info.config.subjects ?? [];
  const wantWindow = nanos(spec.duplicateWindowMs);
  const needsSubject = !subjects.includes(spec.subject);
  const needsWindow = (info.config.duplicate_window ?? 0) < wantWindow;
  if (!needsSubject && !needsWindow) return info;
  return jsm.streams.update(spec.name, {
    subjects: needsSubject ? [...subjects, spec.subject] : subjects,
    duplicate_window: needsWindow ? wantWindow : info.config.duplicate_window,
  });
}
