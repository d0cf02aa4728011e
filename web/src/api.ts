// The REST API (docs/API.md). A Scope says whose data a page shows: a capture of the user's
// own (/api/captures/:id, editable) or a share link (/api/s/:token, read-only, limited to
// what the share covers). Pages only ever build URLs through a Scope.
import type { Knowledge } from './types.js';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The server's {error} text, or a plain description of what went wrong on the way. */
async function errorOf(response: Response): Promise<ApiError> {
  let reason = `${response.status} ${response.statusText}`;
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === 'string') reason = body.error;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, reason);
}

export async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { headers: { accept: 'application/json' } });
  if (!response.ok) throw await errorOf(response);
  return (await response.json()) as T;
}

export async function sendJson<T>(method: 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown): Promise<T | null> {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw await errorOf(response);
  return response.status === 204 ? null : ((await response.json()) as T);
}

export interface Scope {
  /** API prefix: "/api/captures/ID" or "/api/s/TOKEN". */
  api: string;
  /** Page prefix: "/captures/ID" or "/s/TOKEN". */
  page: string;
  /** As the server writes it (POST /api/shares wants it back the same). */
  captureId: number | string;
  readOnly: boolean;
  /** Set for share links. */
  token: string | null;
  anonymized: boolean;
}

export function captureScope(captureId: number | string): Scope {
  const id = encodeURIComponent(captureId);
  return { api: `/api/captures/${id}`, page: `/captures/${id}`, captureId, readOnly: false, token: null, anonymized: false };
}

export function shareScope(token: string, captureId: number | string, anonymized: boolean): Scope {
  const t = encodeURIComponent(token);
  return { api: `/api/s/${t}`, page: `/s/${t}`, captureId, readOnly: true, token, anonymized };
}

/** Call-IDs in a path or query: each URI-encoded, joined by commas (a comma inside a Call-ID is encoded). */
export function encodeCallIds(callIds: readonly string[]): string {
  return callIds.map(encodeURIComponent).join(',');
}

export function decodeCallIds(text: string): string[] {
  return text.split(',').filter(Boolean).map(decodeURIComponent);
}

export function callPath(scope: Scope, callIds: readonly string[], messageId?: number | null): string {
  const query = messageId === null || messageId === undefined ? '' : `?msg=${messageId}`;
  return `${scope.page}/calls/${encodeCallIds(callIds)}${query}`;
}

let knowledge: Promise<Knowledge> | null = null;

/** GET /api/knowledge as src/knowledge serves it. */
interface RawKnowledge {
  methods: { method: string; meaning: string; reference: string; analysis?: string | null }[];
  responses: { code: number; reason: string; meaning: string; reference: string; analysis?: string | null }[];
  classes: { range: string; name: string; meaning: string }[];
}

/** GET /api/knowledge, once per page load; a failure leaves the tooltips without explanations, never breaks the page. */
export function getKnowledge(): Promise<Knowledge> {
  knowledge ??= getJson<RawKnowledge>('/api/knowledge')
    .catch((): RawKnowledge => ({ methods: [], responses: [], classes: [] }))
    .then((raw) => ({
      methods: new Map(raw.methods.map((m) => [m.method.toUpperCase(), { method: m.method, meaning: m.meaning, reference: m.reference, notes: m.analysis || null }])),
      responses: new Map(raw.responses.map((r) => [r.code, { code: r.code, reason: r.reason, meaning: r.meaning, reference: r.reference, notes: r.analysis || null }])),
      classes: new Map(raw.classes.map((c) => [c.range, { name: c.name, meaning: c.meaning }])),
    }));
  return knowledge;
}
