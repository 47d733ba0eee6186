import { isRecord } from '../../core/json.ts';

/** Longest error summary we put into an outcome (it ends up in the outbox and in logs). */
const MAX_SUMMARY_CHARS = 200;

/**
 * Turns an error response body into one short line, defensively: ServiceNow's
 * `{"error":{"message","detail"},"status":"failure"}`, OAuth's `{"error","error_description"}`, other JSON, or the
 * HTML that proxies and maintenance pages send (we keep the <title> or the first words of the text).
 * Returns '' when nothing readable is left.
 */
export function summarizeErrorBody(body: string, contentType?: string): string {
  const text = body.trim();
  if (text === '') return '';
  if (text.startsWith('{') || text.startsWith('[')) {
    const fromJson = summarizeJson(text);
    if (fromJson !== undefined) return truncate(fromJson);
  }
  if (/html/i.test(contentType ?? '') || /^<(!doctype|html|head|body|\?xml)/i.test(text)) {
    return truncate(summarizeHtml(text));
  }
  return truncate(collapse(text));
}

function summarizeJson(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return collapse(text);
  const { error } = parsed;
  if (isRecord(error)) {
    // ServiceNow's documented shape; `detail` is often null.
    const message = asText(error['message']);
    const detail = asText(error['detail']);
    if (message !== undefined || detail !== undefined) return [message, detail].filter(Boolean).join(': ');
  }
  const description = asText(parsed['error_description']);
  if (typeof error === 'string') return description === undefined ? error : `${description} (${error})`;
  const message = asText(parsed['message']);
  if (message !== undefined) return message;
  return collapse(text);
}

function summarizeHtml(html: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1];
  if (title !== undefined && collapse(title) !== '') return collapse(decodeEntities(title));
  const withoutScripts = html.replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ');
  return collapse(decodeEntities(withoutScripts.replace(/<[^>]*>/g, ' ')));
}

function asText(value: unknown): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return collapse(value);
  return undefined;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function collapse(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function truncate(text: string): string {
  return text.length <= MAX_SUMMARY_CHARS ? text : `${text.slice(0, MAX_SUMMARY_CHARS - 1)}…`;
}
