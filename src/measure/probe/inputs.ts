import { parseCsv } from '../ooni/csv.js';

/** One URL to test, with the test list's category when known. */
export interface ProbeInput {
  url: string;
  category?: string;
}

export interface InputProblem {
  source: string;
  line: number;
  message: string;
}

/**
 * Checks a URL the way the probe needs it: absolute http(s) with a host. Returns the URL exactly as given (trimmed):
 * OONI keeps `input` as the test list writes it (no punycode, no added slash), so measurements join on it.
 */
export function checkUrl(raw: string): { url: string } | { error: string } {
  const s = raw.trim();
  if (!s) return { error: 'empty URL' };
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return { error: `not a URL: "${s.slice(0, 200)}"` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { error: `unsupported scheme "${u.protocol}" in "${s.slice(0, 200)}" (only http and https)` };
  if (!u.hostname) return { error: `no host in "${s.slice(0, 200)}"` };
  if (u.username || u.password) return { error: `credentials in URL "${s.slice(0, 200)}" are not allowed` };
  return { url: s };
}

/**
 * A Citizen Lab test list (url,category_code,category_description,date_added,source,notes). Bad lines are
 * reported, not silently dropped; the good ones are returned.
 */
export function parseTestList(text: string, source = 'test list'): { inputs: ProbeInput[]; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const inputs: ProbeInput[] = [];
  let rows;
  try {
    rows = parseCsv(text);
  } catch (e) {
    return { inputs, problems: [{ source, line: (e as { line?: number }).line ?? 0, message: (e as Error).message }] };
  }
  const header = rows[0]?.cells.map((c) => c.trim().toLowerCase()) ?? [];
  const urlCol = header.indexOf('url');
  if (urlCol < 0) return { inputs, problems: [{ source, line: 1, message: 'no "url" column in the header' }] };
  const catCol = header.indexOf('category_code');
  for (const r of rows.slice(1)) {
    if (r.cells.length !== header.length) {
      problems.push({ source, line: r.line, message: `expected ${header.length} columns, found ${r.cells.length}` });
      continue;
    }
    const checked = checkUrl(r.cells[urlCol] ?? '');
    if ('error' in checked) {
      problems.push({ source, line: r.line, message: checked.error });
      continue;
    }
    inputs.push({ url: checked.url, category: catCol >= 0 ? r.cells[catCol] : undefined });
  }
  return { inputs, problems };
}

/** A plain file of URLs, one a line; `#` starts a comment. */
export function parseUrlFile(text: string, source = 'url file'): { inputs: ProbeInput[]; problems: InputProblem[] } {
  const problems: InputProblem[] = [];
  const inputs: ProbeInput[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const s = line.replace(/#.*$/, '').trim();
    if (!s) return;
    const checked = checkUrl(s);
    if ('error' in checked) problems.push({ source, line: i + 1, message: checked.error });
    else inputs.push({ url: checked.url });
  });
  return { inputs, problems };
}

/** Test list or URL file, by content: a header line starting with "url," means CSV. */
export function parseInputFile(text: string, source: string) {
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0]?.trim().toLowerCase() ?? '';
  return first.startsWith('url,') || first === 'url' ? parseTestList(text, source) : parseUrlFile(text, source);
}
