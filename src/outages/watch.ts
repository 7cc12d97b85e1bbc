/**
 * Live mode. A watcher polls configured sources (HTTP URLs that answer in one of the signal formats), feeds only
 * the points it has not seen to per-series streaming detectors, fuses the per-series picture as `outages detect`
 * does, and POSTs to a webhook when a (fused) event opens or closes. With a database it also stores the points
 * (series store), the events (outage_events, never duplicated) and which events it announced open
 * (outage_watch_state), so that a restarted watcher neither repeats an "opened" nor forgets to send "closed".
 * The detectors themselves re-warm from the source's history on the first poll.
 *
 * Scheduling: `outages watch` runs a plain async loop (poll, sleep `interval`); `scheduleWatch` registers the
 * same poll as a pg-boss cron job on the platform's JobQueue for the server.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { parseCommandArgs, UsageError, type CliContext } from '../core/cli-kit.js';
import { describeIssues } from '../core/errors.js';
import { AppError } from '../core/errors.js';
import type { Db } from '../platform/db.js';
import { JobQueue } from '../platform/jobs.js';
import { silentLogger } from '../platform/log.js';
import { configFrom, defaultConfig, paramsFor, type DetectorConfig } from './detect/config.js';
import { SeriesDetector, type RawEvent } from './detect/detector.js';
import { fuse } from './detect/fusion.js';
import { isoUtc, type Entity, type OutageEvent, type Series } from './model.js';
import { parseSignalText, SIGNAL_FORMATS } from './signals/index.js';
import { importSeries } from './store.js';
import { saveEvents } from './link.js';
import { eventJson } from './cli-common.js';
import { fetchSourceText } from './fetch.js';

export const WatchConfigSchema = z
  .object({
    /** Seconds between polls. */
    interval: z.number().int().min(1).max(86400).default(300),
    /** URL called with POST {type: "event.opened"|"event.closed", event} */
    webhook: z.url().optional(),
    sources: z
      .array(
        z
          .object({
            name: z.string().min(1).max(100),
            url: z.url(),
            format: z.enum(SIGNAL_FORMATS).optional(),
            entity: z.string().optional(),
            country: z.string().optional(),
            signal: z.string().optional(),
          })
          .strict(),
      )
      .min(1),
    detector: z.unknown().optional(),
  })
  .strict();
export type WatchConfig = z.infer<typeof WatchConfigSchema>;

export function parseWatchConfig(obj: unknown): { watch: WatchConfig; detector: DetectorConfig } {
  const r = WatchConfigSchema.safeParse(obj);
  if (!r.success) throw new AppError(400, 'bad_config', `watch configuration: ${describeIssues(r.error.issues).message}`);
  return { watch: r.data, detector: r.data.detector ? configFrom(r.data.detector) : defaultConfig() };
}

interface SeriesState {
  entity: Entity;
  signal: string;
  start: number;
  step: number;
  detector: SeriesDetector;
  lastTime: number;
  closed: RawEvent[];
}

export interface WebhookCall {
  type: 'event.opened' | 'event.closed';
  source: 'stackwatch.outages';
  event: ReturnType<typeof eventJson>;
}

export interface PollResult {
  /** points in the fetched series (new or already seen) */
  pointsFetched: number;
  newPoints: number;
  opened: OutageEvent[];
  closed: OutageEvent[];
  errors: string[];
}

const overlaps = (a: OutageEvent, b: OutageEvent) => a.entity === b.entity && a.kind === b.kind && a.start < (b.end ?? Infinity) && (a.end ?? Infinity) > b.start;

export class Watcher {
  private readonly states = new Map<string, SeriesState>();
  private announcedOpen: OutageEvent[] = [];
  private announcedClosed: OutageEvent[] = [];
  private warmedAt = 0;

  constructor(
    readonly cfg: WatchConfig,
    readonly detector: DetectorConfig,
    readonly opts: {
      db?: Db;
      log?: (msg: string) => void;
      fetchTimeoutMs?: number;
      /** row of outage_watch_state holding what was announced */
      stateKey?: string;
      /** how a source's text is fetched (default: fetchSourceText, see ./fetch.ts) */
      fetchText?: (src: WatchConfig['sources'][number]) => Promise<string>;
      /** the `source` recorded on stored events (default "watch") */
      eventSource?: string;
    } = {},
  ) {}

  private log(msg: string) {
    this.opts.log?.(msg);
  }

  async fetchSource(src: WatchConfig['sources'][number]): Promise<Series[]> {
    const text = this.opts.fetchText ? await this.opts.fetchText(src) : (await fetchSourceText(src.url, { timeoutMs: this.opts.fetchTimeoutMs })).text;
    return parseSignalText(text, { format: src.format, entity: src.entity, country: src.country, signal: src.signal }).series;
  }

  /** Feeds new points of one fetched series into its detector. Returns how many points were new. */
  private feed(sourceName: string, s: Series, firstPoll: boolean): number {
    const key = `${sourceName}\u0000${s.signal}\u0000${s.entity.code}`;
    let st = this.states.get(key);
    if (!st) {
      st = { entity: s.entity, signal: s.signal, start: s.start, step: s.step, detector: new SeriesDetector(s.start, s.step, paramsFor(this.detector, s.signal)), lastTime: s.start - s.step, closed: [] };
      this.states.set(key, st);
    }
    if (s.step !== st.step || (s.start - st.start) % st.step !== 0) throw new Error(`${sourceName}: ${s.entity.code} changed its time grid`);
    let added = 0;
    const end = s.start + (s.values.length - 1) * s.step;
    for (let t = st.lastTime + st.step; t <= end; t += st.step) {
      const i = (t - s.start) / s.step;
      const v = i >= 0 ? s.values[i]! : NaN;
      const r = st.detector.push(v);
      if (r.closed) {
        st.closed.push(r.closed);
        if (st.closed.length > 200) st.closed.shift();
      }
      added++;
    }
    st.lastTime = Math.max(st.lastTime, end);
    if (firstPoll) this.warmedAt = Math.max(this.warmedAt, end);
    return added;
  }

  private loadedState = false;
  private get stateKey() {
    return this.opts.stateKey ?? 'watch';
  }

  /** Events announced open by an earlier run (outage_watch_state), so a restart does not announce them again. */
  private async loadState() {
    this.loadedState = true;
    if (!this.opts.db) return;
    const row = (await this.opts.db.query<{ state: { announcedOpen?: OutageEvent[] } }>("select state from outage_watch_state where source = $1 and entity = '*' and signal = '*'", [this.stateKey])).rows[0];
    if (row?.state.announcedOpen) this.announcedOpen = row.state.announcedOpen;
  }

  private async saveState(lastTime: number) {
    if (!this.opts.db) return;
    await this.opts.db.query(
      `insert into outage_watch_state (source, entity, signal, last_time, state) values ($1, '*', '*', $2, $3::jsonb)
       on conflict (source, entity, signal) do update set last_time = excluded.last_time, state = excluded.state`,
      [this.stateKey, lastTime, JSON.stringify({ announcedOpen: this.announcedOpen })],
    );
  }

  /** One poll of every source: fetch, detect incrementally, fuse, announce, store. */
  async pollOnce(): Promise<PollResult> {
    if (!this.loadedState) await this.loadState();
    const first = this.states.size === 0;
    const result: PollResult = { pointsFetched: 0, newPoints: 0, opened: [], closed: [], errors: [] };
    const fetched: Series[] = [];
    for (const src of this.cfg.sources) {
      try {
        const series = await this.fetchSource(src);
        for (const s of series) {
          result.pointsFetched += s.values.length;
          result.newPoints += this.feed(src.name, s, first);
          fetched.push(s);
        }
      } catch (e) {
        const msg = `${src.name}: ${(e as Error).message}`;
        result.errors.push(msg);
        this.log(`poll error: ${msg}`);
      }
    }
    if (!this.states.size) return result;
    let dataEnd = 0;
    const perSeries = [...this.states.values()].map((st) => {
      const open = st.detector.openEvent();
      dataEnd = Math.max(dataEnd, st.lastTime + st.step);
      return { series: { entity: st.entity, signal: st.signal, start: st.start, step: st.step, length: st.detector.count }, events: open ? [...st.closed, open] : [...st.closed] };
    });
    const fused = fuse(perSeries, this.detector.fusion, dataEnd);
    const stillOpen: OutageEvent[] = [];
    for (const e of fused) {
      const wasOpen = this.announcedOpen.find((a) => overlaps(a, e));
      if (e.end === null) {
        if (!wasOpen) result.opened.push(e);
        stillOpen.push(e);
        continue;
      }
      if (this.announcedClosed.some((a) => overlaps(a, e))) continue;
      if (!wasOpen && e.end <= this.warmedAt) continue; // history seen at start-up is not news
      if (!wasOpen) result.opened.push(e);
      result.closed.push(e);
      this.announcedClosed.push(e);
    }
    // events announced open that vanished from the fused picture (merged into another) close too
    for (const a of this.announcedOpen) {
      if (!fused.some((e) => overlaps(a, e)) && !result.closed.some((c) => overlaps(a, c))) {
        result.closed.push({ ...a, end: dataEnd });
        this.announcedClosed.push({ ...a, end: dataEnd });
      }
    }
    this.announcedOpen = stillOpen;
    if (this.announcedClosed.length > 1000) this.announcedClosed = this.announcedClosed.slice(-500);
    for (const e of result.opened) await this.notify('event.opened', e);
    for (const e of result.closed) await this.notify('event.closed', e);
    if (this.opts.db) {
      try {
        if (fetched.length) await importSeries(this.opts.db, fetched.filter((s) => 86400 % s.step === 0), { fileName: 'watch', sha256: '', format: 'watch' });
        const recent = fused.filter((e) => e.end === null || e.end > this.warmedAt || result.closed.includes(e));
        if (recent.length) await saveEvents(this.opts.db, recent, { source: this.opts.eventSource ?? 'watch' });
        await this.saveState(dataEnd);
      } catch (e) {
        result.errors.push(`store: ${(e as Error).message}`);
        this.log(`store error: ${(e as Error).message}`);
      }
    }
    return result;
  }

  private async notify(type: WebhookCall['type'], e: OutageEvent) {
    this.log(`${type} ${e.entity} ${e.kind} from ${isoUtc(e.start)}${e.end ? ` to ${isoUtc(e.end)}` : ''}`);
    if (!this.cfg.webhook) return;
    const body: WebhookCall = { type, source: 'stackwatch.outages', event: eventJson(e) };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const r = await fetch(this.cfg.webhook, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), redirect: 'manual', signal: AbortSignal.timeout(5000) });
        if (r.ok) return;
        this.log(`webhook answered HTTP ${r.status}`);
      } catch (err) {
        this.log(`webhook failed: ${(err as Error).message}`);
      }
      await new Promise((res) => setTimeout(res, 200 * (attempt + 1)));
    }
  }
}

/** Registers the watcher's poll as a cron job on the platform job queue (minute granularity). */
export async function scheduleWatch(queue: JobQueue, watcher: Watcher, queueName = 'outages.watch'): Promise<void> {
  const minutes = Math.max(1, Math.round(watcher.cfg.interval / 60));
  await queue.work(queueName, async () => {
    await watcher.pollOnce();
  });
  await queue.schedule(queueName, minutes === 1 ? '* * * * *' : `*/${Math.min(59, minutes)} * * * *`);
}

/**
 * Runs polls through the job queue: each tick enqueues one job (a singleton, so two polls never overlap) and a worker
 * runs it. The queue keeps a failed poll for retry and records every run in the database.
 */
export async function pollThroughQueue(
  queue: JobQueue,
  watcher: Watcher,
  opts: { polls: number; intervalMs: number; onResult: (n: number, r: PollResult) => void; queueName?: string },
): Promise<void> {
  const name = opts.queueName ?? 'outages.watch';
  const waiting = new Map<number, (r: PollResult | Error) => void>();
  await queue.work<{ n: number }>(name, async ({ n }) => {
    try {
      const r = await watcher.pollOnce();
      waiting.get(n)?.(r);
    } catch (e) {
      waiting.get(n)?.(e as Error);
    }
  });
  for (let n = 0; n < opts.polls; n++) {
    const result = new Promise<PollResult | Error>((res) => waiting.set(n, res));
    await queue.send(name, { n }, { singletonKey: `${name}:${Date.now()}:${n}`, retryLimit: 0 });
    const r = await result;
    waiting.delete(n);
    if (r instanceof Error) throw r;
    opts.onResult(n, r);
    if (n + 1 < opts.polls) await new Promise((res) => setTimeout(res, opts.intervalMs));
  }
}

export const WATCH_USAGE = `stackwatch outages watch --config FILE [--once] [--polls N] [--no-store]
  FILE (YAML or JSON): interval (seconds, default 300), webhook (URL), sources: [{name, url, format, entity, country, signal}],
  detector (overrides, as --config of outages detect)
  --once       poll once and exit;  --polls N   stop after N polls;  --no-store   keep nothing in the database`;

export async function runWatchCommand(argv: string[], ctx: CliContext, withDb: <T>(fn: (db: Db) => Promise<T>) => Promise<T>): Promise<number> {
  const { values } = parseCommandArgs(argv, { config: { type: 'string' }, once: { type: 'boolean' }, polls: { type: 'string' }, 'no-store': { type: 'boolean' } }, false);
  if (!values.config) throw new UsageError('--config FILE is required');
  let obj: unknown;
  try {
    const text = readFileSync(values.config, 'utf8');
    obj = values.config.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new UsageError(`--config: cannot read ${values.config}: ${(e as Error).message}`);
  }
  const { watch, detector } = parseWatchConfig(obj);
  const polls = values.once ? 1 : values.polls ? Number(values.polls) : Infinity;
  if (!(polls >= 1)) throw new UsageError('--polls must be a positive number');
  const report = (n: number, r: PollResult) =>
    ctx.stdout.write(`poll ${n + 1}: ${r.newPoints} new points, ${r.opened.length} opened, ${r.closed.length} closed${r.errors.length ? `, ${r.errors.length} errors` : ''}\n`);
  const viaQueue = async (db: Db) => {
    const w = new Watcher(watch, detector, { db, log: (m) => ctx.stderr.write(`${new Date().toISOString()} ${m}\n`) });
    const queue = new JobQueue(db, silentLogger);
    await queue.start();
    try {
      await pollThroughQueue(queue, w, { polls, intervalMs: watch.interval * 1000, onResult: report });
    } finally {
      await queue.stop();
    }
    return 0;
  };
  const loop = async (db?: Db) => {
    const w = new Watcher(watch, detector, { db, log: (m) => ctx.stderr.write(`${new Date().toISOString()} ${m}\n`) });
    for (let n = 0; n < polls; n++) {
      const r = await w.pollOnce();
      ctx.stdout.write(`poll ${n + 1}: ${r.newPoints} new points, ${r.opened.length} opened, ${r.closed.length} closed${r.errors.length ? `, ${r.errors.length} errors` : ''}\n`);
      if (n + 1 < polls) await new Promise((res) => setTimeout(res, watch.interval * 1000));
    }
    return 0;
  };
  // With a database the polls run through the job queue; with --no-store there is no queue to keep them in.
  return values['no-store'] ? loop() : withDb((db) => viaQueue(db));
}
