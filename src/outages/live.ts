/**
 * Runs the live sources (./sources.ts) inside the server, on the platform job queue (pg-boss, on PostgreSQL and on
 * PGlite alike, see src/platform/jobs.ts):
 *
 * - a tick every minute (cron) claims the enabled sources whose next poll is due, moves their next poll one interval
 *   on, and sends one poll job per source (a singleton per source, so a slow poll is never doubled);
 * - a worker polls one source with the watcher of `outages watch` (fetch only the configured URL, with a time limit,
 *   a size cap and no redirect to another host; detect incrementally; store the new points and events; announce to
 *   the webhook), then records the outcome;
 * - "poll now" polls at once, through the same per-source lock.
 *
 * The table is read at each tick and each poll, so an edit, a pause or a removal takes effect without a restart; a
 * source whose settings changed gets a fresh watcher (its detectors re-warm from what the source serves).
 */
import type { Db } from '../platform/db.js';
import type { JobQueue } from '../platform/jobs.js';
import { silentLogger, type Logger } from '../platform/log.js';
import { defaultConfig, configFrom } from './detect/config.js';
import { fetchSourceText, SourceFetchError } from './fetch.js';
import { claimDueSources, loadSourceRow, recordPoll, watchStateKey, type PollRecord, type SourceRow } from './sources.js';
import { Watcher, type WatchConfig } from './watch.js';

export const LIVE_QUEUES = { tick: 'outages-sources-tick', poll: 'outages-source-poll' } as const;

interface Held {
  version: number;
  watcher: Watcher;
  last: { status: number | null; bytes: number | null };
}

export class LiveSources {
  private readonly watchers = new Map<string, Held>();
  private readonly locks = new Map<string, Promise<unknown>>();
  constructor(
    readonly db: Db,
    readonly log: Logger = silentLogger,
    readonly opts: { fetchTimeoutMs?: number; maxBytes?: number } = {},
  ) {}

  private watcherFor(src: SourceRow): Held {
    const held = this.watchers.get(src.id);
    if (held && held.version === src.version) return held;
    const cfg: WatchConfig = {
      interval: src.intervalMinutes * 60,
      ...(src.webhook ? { webhook: src.webhook } : {}),
      sources: [{ name: src.name, url: src.url, ...(src.format ? { format: src.format } : {}), ...(src.entity ? { entity: src.entity } : {}), ...(src.country ? { country: src.country } : {}), ...(src.signal ? { signal: src.signal } : {}) }],
    };
    const detector = src.detector ? configFrom(src.detector) : defaultConfig();
    const last: Held['last'] = { status: null, bytes: null };
    const headers = src.authorization ? { authorization: src.authorization } : undefined;
    const watcher = new Watcher(cfg, detector, {
      db: this.db,
      stateKey: watchStateKey(src.id),
      eventSource: `watch:${src.name}`.slice(0, 200),
      // messages name the source and the host only: no path, query or header reaches the log
      log: (m) => this.log.info('live source', { source: src.id, message: m }),
      fetchText: async (s) => {
        last.status = null;
        last.bytes = null;
        try {
          const r = await fetchSourceText(s.url, { timeoutMs: this.opts.fetchTimeoutMs, maxBytes: this.opts.maxBytes, headers });
          last.status = r.status;
          last.bytes = r.bytes;
          return r.text;
        } catch (e) {
          if (e instanceof SourceFetchError) last.status = e.status;
          throw e;
        }
      },
    });
    const h = { version: src.version, watcher, last };
    this.watchers.set(src.id, h);
    return h;
  }

  /** Polls one source now (serialised per source). Returns the recorded outcome, or null when the source is gone or paused (scheduled polls only). */
  poll(id: string, trigger: PollRecord['trigger']): Promise<PollRecord | null> {
    const prev = this.locks.get(id) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.pollUnlocked(id, trigger));
    this.locks.set(id, run);
    void run.finally(() => {
      if (this.locks.get(id) === run) this.locks.delete(id);
    }).catch(() => undefined);
    return run;
  }

  private async pollUnlocked(id: string, trigger: PollRecord['trigger']): Promise<PollRecord | null> {
    const src = await loadSourceRow(this.db, id);
    if (!src) {
      this.watchers.delete(id);
      return null;
    }
    if (trigger === 'schedule' && !src.enabled) return null;
    const startedAt = new Date().toISOString();
    let outcome: Omit<PollRecord, 'id' | 'startedAt' | 'finishedAt' | 'trigger'>;
    let held: Held | null = null;
    try {
      held = this.watcherFor(src);
      const r = await held.watcher.pollOnce();
      const errors = [...r.errors];
      if (!errors.length && r.pointsFetched === 0) errors.push(`the answer holds no signal series${src.format ? ` in the ${src.format} format` : ''}: check the URL and the format`);
      outcome = {
        ok: errors.length === 0, httpStatus: held.last.status, bytes: held.last.bytes, pointsFetched: r.pointsFetched, newPoints: r.newPoints,
        opened: r.opened.length, closed: r.closed.length, error: errors.length ? errors.join('; ').slice(0, 2000) : null,
      };
    } catch (e) {
      outcome = { ok: false, httpStatus: held?.last.status ?? null, bytes: held?.last.bytes ?? null, pointsFetched: 0, newPoints: 0, opened: 0, closed: 0, error: ((e as Error).message || String(e)).slice(0, 2000) };
    }
    const rec = await recordPoll(this.db, id, { ...outcome, startedAt, finishedAt: new Date().toISOString(), trigger });
    if (!outcome.ok) this.log.warn('live source poll failed', { source: id, error: outcome.error });
    return rec;
  }

  /** Polls every due source (what the minute tick does; tests call it with a clock). */
  async tick(now: Date = new Date(), send?: (id: string) => Promise<void>): Promise<string[]> {
    const due = await claimDueSources(this.db, now);
    for (const id of due) {
      if (send) await send(id);
      else await this.poll(id, 'schedule');
    }
    return due;
  }

  forget(id: string): void {
    this.watchers.delete(id);
  }
}

const runtimes = new WeakMap<Db, LiveSources>();

/** The live-source runtime of a database handle (the routes' "poll now" uses it). */
export function liveSourcesFor(db: Db, log?: Logger): LiveSources {
  let r = runtimes.get(db);
  if (!r) runtimes.set(db, (r = new LiveSources(db, log)));
  return r;
}

/** Registers the tick and the poll worker on the server's queue. */
export async function startLiveSources(queue: JobQueue, db: Db, log: Logger): Promise<LiveSources> {
  const live = liveSourcesFor(db, log);
  await queue.work<{ id: string }>(LIVE_QUEUES.poll, async ({ id }) => {
    await live.poll(id, 'schedule');
  });
  await queue.work(LIVE_QUEUES.tick, async () => {
    await live.tick(new Date(), async (id) => {
      await queue.send(LIVE_QUEUES.poll, { id }, { singletonKey: `poll:${id}`, retryLimit: 0 });
    });
  });
  await queue.schedule(LIVE_QUEUES.tick, '* * * * *');
  return live;
}
