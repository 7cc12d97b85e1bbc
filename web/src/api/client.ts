/**
 * The console's only door to the server. Every request is same-origin with the session cookie; every request
 * that changes something carries the CSRF token the server handed out at sign-in.
 */

export interface FieldIssue {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly issues: FieldIssue[];

  constructor(status: number, code: string, message: string, field?: string, issues: FieldIssue[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.issues = issues;
  }

  /** Messages per top-level form field ("networks.0.asn" counts for "networks"). */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    const add = (path: string, message: string) => {
      const key = path.split(/[.[\]]/)[0] ?? path;
      if (key && !(key in out)) out[key] = message;
    };
    for (const issue of this.issues) if (issue.field) add(issue.field, issue.message);
    if (this.field && !this.field.startsWith('(')) add(this.field, this.message);
    return out;
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** The session's CSRF token, for requests that send raw bytes (file uploads) rather than JSON. */
export function getCsrfToken(): string | null {
  return csrfToken;
}

/** Called when the server answers 401 to a signed-in request (session expired or revoked). */
export function setUnauthorizedHandler(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

async function parseError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON: fall through to a generic message */
  }
  const err = (body as { error?: unknown } | null)?.error;
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; field?: unknown; issues?: unknown };
    const issues: FieldIssue[] = Array.isArray(e.issues)
      ? e.issues
          .filter((i): i is { field?: unknown; message?: unknown } => !!i && typeof i === 'object')
          .map((i) => ({ field: typeof i.field === 'string' ? i.field : '', message: String(i.message ?? '') }))
      : [];
    return new ApiError(
      res.status,
      typeof e.code === 'string' ? e.code : 'error',
      typeof e.message === 'string' ? e.message : res.statusText,
      typeof e.field === 'string' ? e.field : undefined,
      issues,
    );
  }
  return new ApiError(res.status, res.status >= 500 ? 'server_error' : 'error', res.statusText || `HTTP ${res.status}`);
}

export async function request<T>(method: string, path: string, body?: unknown, opts: { signal?: AbortSignal; quiet401?: boolean } = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: opts.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (!res.ok) {
    const err = await parseError(res);
    if (res.status === 401 && !opts.quiet401 && err.code !== 'totp_required') onUnauthorized?.();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) => request<T>('GET', withQuery(path, query), undefined, { signal }),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  del: <T>(path: string) => request<T>('DELETE', path),
};
