import { createReadStream, existsSync, openSync, closeSync, writeSync, fsyncSync, fstatSync, readSync, ftruncateSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { table } from '../../core/cli-kit.js';
import type { VerdictKind, WebConnectivityMeasurement } from '../ooni/model.js';
import { measureUrl, newReportId, type ProbeMeta, type ProbeOptions } from './web-connectivity.js';
import { lookupAsn } from '../ooni/asn.js';
import { detectThrottling, type ThrottlingReport } from '../analysis/throttling.js';

/** Many URLs: bounded concurrency, one measurement at a time per host (politeness), resumable JSONL output. */

export interface RunOptions extends ProbeOptions {
  concurrency: number;
  /** gap between two measurements of the same host, in ms */
  perHostGapMs?: number;
  /** JSONL output; lines already there are kept and their inputs skipped */
  out?: string;
  onProgress?: (done: number, total: number) => void;
  /** called with each measurement (after it is written) */
  onMeasurement?: (m: WebConnectivityMeasurement) => void;
  /** per-input changes to the probe's metadata (the lab: a site "measured from" a given country) */
  metaFor?: (input: string) => Partial<ProbeMeta> | undefined;
}

export interface RunResult {
  input: string;
  verdict: VerdictKind | 'error';
  error?: string;
}

export interface RunSummary {
  total: number;
  skipped: number;
  results: RunResult[];
  counts: Record<string, number>;
  elapsedMs: number;
  /** the run's report id (one run = one report, as OONI's probes write) */
  reportId: string;
  /** throttling findings across the run (see analysis/throttling.ts) */
  throttling: ThrottlingReport;
}

/** Inputs already measured in an existing JSONL file (for resume); unreadable lines are ignored. */
export async function measuredInputs(path: string): Promise<Set<string>> {
  const done = new Set<string>();
  if (!existsSync(path)) return done;
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    try {
      const m = JSON.parse(line) as { input?: unknown };
      if (typeof m.input === 'string') done.add(m.input);
    } catch {
      /* a half-written last line from an interrupted run: measured again */
    }
  }
  return done;
}

export async function runProbe(inputs: string[], opts: RunOptions): Promise<RunSummary> {
  const t0 = Date.now();
  // load the offline ASN tables before measuring: a first lookup mid-run would stall every socket for a moment
  lookupAsn('192.0.2.1');
  const reportId = opts.reportId ?? newReportId(new Date(), opts.meta);
  const sampledRun: WebConnectivityMeasurement[] = [];
  const unique = [...new Set(inputs)];
  const already = opts.out ? await measuredInputs(opts.out) : new Set<string>();
  const queue = unique.filter((u) => !already.has(u));
  const skipped = unique.length - queue.length;
  let fd: number | null = null;
  if (opts.out) {
    if (!existsSync(opts.out)) writeFileSync(opts.out, '');
    fd = openSync(opts.out, 'r+');
    // a previous run may have died mid-line: cut the half-written line off (its URL is measured again)
    const size = fstatSync(fd).size;
    let keep = size;
    const chunk = Buffer.alloc(64 * 1024);
    while (keep > 0) {
      const from = Math.max(0, keep - chunk.length);
      const n = readSync(fd, chunk, 0, keep - from, from);
      const nl = chunk.subarray(0, n).lastIndexOf(0x0a);
      if (nl >= 0) {
        keep = from + nl + 1;
        break;
      }
      keep = from;
    }
    if (keep !== size) ftruncateSync(fd, keep);
    closeSync(fd);
    fd = openSync(opts.out, 'a');
  }
  const results: RunResult[] = [];
  const busyHosts = new Set<string>();
  const lastDone = new Map<string, number>();
  const gap = opts.perHostGapMs ?? 0;
  let done = 0;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const hostOf = (u: string) => new URL(u).hostname;

  const next = (): string | null | 'wait' => {
    if (!queue.length) return null;
    const now = Date.now();
    for (let i = 0; i < queue.length; i++) {
      const h = hostOf(queue[i]!);
      if (busyHosts.has(h)) continue;
      if (gap && now - (lastDone.get(h) ?? 0) < gap) continue;
      return queue.splice(i, 1)[0]!;
    }
    return 'wait';
  };

  const worker = async () => {
    for (;;) {
      const item = next();
      if (item === null) return;
      if (item === 'wait') {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, Math.max(10, gap / 4));
        });
        continue;
      }
      const host = hostOf(item);
      busyHosts.add(host);
      try {
        const extra = opts.metaFor?.(item);
        const m = await measureUrl(item, { ...opts, reportId, meta: extra ? { ...opts.meta, ...extra } : opts.meta });
        if ((m.test_keys as Record<string, unknown>).x_stackwatch_samples) sampledRun.push(m);
        if (fd !== null) writeSync(fd, JSON.stringify(m) + '\n');
        opts.onMeasurement?.(m);
        results.push({ input: item, verdict: m.test_keys.x_stackwatch?.verdict ?? 'unknown' });
      } catch (e) {
        results.push({ input: item, verdict: 'error', error: (e as Error).message });
      } finally {
        busyHosts.delete(host);
        lastDone.set(host, Date.now());
        done++;
        opts.onProgress?.(done, queue.length + done);
        notify();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency, queue.length || 1)) }, worker));
  } finally {
    if (fd !== null) {
      fsyncSync(fd);
      closeSync(fd);
    }
  }
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.verdict] = (counts[r.verdict] ?? 0) + 1;
  return { total: unique.length, skipped, results, counts, elapsedMs: Date.now() - t0, reportId, throttling: detectThrottling(sampledRun) };
}

const GROUPS: [string, (VerdictKind | 'error')[]][] = [
  ['blocked: DNS', ['dns']],
  ['blocked: TCP/IP', ['tcp_ip']],
  ['blocked: TLS', ['tls']],
  ['blocked: HTTP blockpage (confirmed)', ['http-blockpage']],
  ['blocked: HTTP diff', ['http-diff']],
  ['blocked: HTTP failure', ['http-failure']],
  ['site down', ['down']],
  ['reachable', ['ok']],
  ['could not tell', ['unknown']],
  ['errors', ['error']],
];

export function summaryTable(s: RunSummary): string {
  const rows = GROUPS.map(([label, kinds]) => [label, kinds.reduce((n, k) => n + (s.counts[k] ?? 0), 0)] as [string, number]);
  const measured = s.results.length;
  rows.push(
    ['throttled (finding: reachable, repeatedly 10x slower than similar sites in this run)', s.throttling.findings.length],
    ['measured now', measured],
    ['skipped (already in output)', s.skipped],
  );
  const rate = measured ? (measured / (s.elapsedMs / 60000)).toFixed(1) : '0';
  return table(['outcome', 'URLs'], rows) + `${measured} URLs in ${(s.elapsedMs / 1000).toFixed(1)} s (${rate} per minute)\n`;
}
