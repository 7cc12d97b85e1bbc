/**
 * How a live source is fetched (`outages watch` and the sources the server polls): only the configured URL, over
 * http or https, with a time limit for the whole answer, a cap on its size, and redirects followed only within the
 * same host (at most three). Error messages name the host, never the path or query, and never a header.
 */
export const DEFAULT_FETCH_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_BYTES = 32 * 1024 * 1024;
const MAX_REDIRECTS = 3;

export class SourceFetchError extends Error {
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface FetchedText {
  text: string;
  status: number;
  bytes: number;
}

const fmtBytes = (n: number) => (n >= 1024 * 1024 ? `${Math.round(n / 1024 / 1024)} MiB` : `${Math.round(n / 1024)} KiB`);

/** Reads at most `maxBytes` of the body, else throws. */
async function readCapped(res: Response, maxBytes: number, host: string): Promise<{ text: string; bytes: number }> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new SourceFetchError(`${host} announced ${fmtBytes(declared)}, more than the limit of ${fmtBytes(maxBytes)}`, res.status);
  }
  if (!res.body) return { text: '', bytes: 0 };
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new SourceFetchError(`the answer of ${host} is larger than the limit of ${fmtBytes(maxBytes)}`, res.status);
    }
    parts.push(value);
  }
  return { text: new TextDecoder('utf-8').decode(Buffer.concat(parts)), bytes };
}

/** GETs a source URL under the rules above. */
export async function fetchSourceText(
  url: string,
  opts: { timeoutMs?: number; maxBytes?: number; headers?: Record<string, string> } = {},
): Promise<FetchedText> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new SourceFetchError('the source URL is not a valid URL');
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new SourceFetchError(`only http and https URLs are polled, not ${target.protocol}`);
  if (target.username || target.password) throw new SourceFetchError('the source URL holds credentials: refused');
  const host = target.host;
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    for (let hop = 0; ; hop++) {
      const init: RequestInit = { redirect: 'manual', signal, headers: { accept: 'application/json, text/csv, text/plain, */*', 'user-agent': 'Stackwatch-Watch/1', ...(opts.headers ?? {}) } };
      // a kept-alive connection that the server closed meanwhile fails before any answer: a GET may be tried again once
      const res = await fetch(target, init).catch((e: Error & { cause?: { code?: string } }) => {
        if (signal.aborted || !/UND_ERR_SOCKET|ECONNRESET|EPIPE/.test(e.cause?.code ?? '')) throw e;
        return fetch(target, init);
      });
      if (res.status >= 300 && res.status < 400 && res.headers.get('location')) {
        await res.body?.cancel().catch(() => undefined);
        let next: URL;
        try {
          next = new URL(res.headers.get('location')!, target);
        } catch {
          throw new SourceFetchError(`${host} redirected to an invalid location`, res.status);
        }
        if (next.host !== host || (next.protocol !== target.protocol && !(target.protocol === 'http:' && next.protocol === 'https:'))) {
          throw new SourceFetchError(`${host} redirected to another host (${next.host}); only ${host} is polled`, res.status);
        }
        if (hop + 1 > MAX_REDIRECTS) throw new SourceFetchError(`${host} redirected more than ${MAX_REDIRECTS} times`, res.status);
        target = next;
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel().catch(() => undefined);
        throw new SourceFetchError(`${host} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`, res.status);
      }
      const { text, bytes } = await readCapped(res, maxBytes, host);
      return { text, status: res.status, bytes };
    }
  } catch (e) {
    if (e instanceof SourceFetchError) throw e;
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new SourceFetchError(`${host} did not answer within ${Math.round(timeoutMs / 1000)} s`);
    const code = err.cause?.code ?? err.cause?.message ?? err.message;
    throw new SourceFetchError(`cannot reach ${host}: ${code}`);
  }
}
