/** Sub-commands that use the database: import, link, events, review, evaluate --registry, watch. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseCommandArgs, table, UsageError, type CliCommand, type CliContext } from '../core/cli-kit.js';
import { openFromEnv } from '../platform/cli.js';
import type { Db } from '../platform/db.js';
import { ensureOrg, firstOrgId } from '../platform/auth.js';
import { detect } from './detect/index.js';
import { FILE_USAGE, fileOptions, guarded, loadConfig, parseOptionsFrom, writeReport } from './cli-common.js';
import { isoUtc, type Series } from './model.js';
import { readSignalFile } from './signals/index.js';
import { checkStorable, importSeries, loadSeries } from './store.js';
import { decideEvent, linkEvents, listEvents, registryLabels, saveEvents } from './link.js';
import { EVALUATE_USAGE, runEvaluate } from './evaluate/cli.js';
import { coverageOf } from './evaluate/evaluate.js';
import { parseTime } from './signals/build.js';
import { runWatchCommand, WATCH_USAGE } from './watch.js';

async function withDb<T>(ctx: CliContext, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await openFromEnv(ctx.env);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function ensureSystemOrg(db: Db) {
  if (!(await firstOrgId(db))) await db.transaction((tx) => ensureOrg(tx, 'Stackwatch'));
}

export const importCommand: CliCommand = {
  path: ['outages', 'import'],
  summary: 'Store signal series (all-or-nothing per file: a malformed file leaves nothing behind)',
  usage: `stackwatch outages import [options] <file>...\n${FILE_USAGE}`,
  async run(argv, ctx) {
    return guarded(ctx.stderr, async () => {
      const { values, positionals } = parseCommandArgs(argv, fileOptions);
      if (!positionals.length) throw new UsageError('give at least one signal file');
      const opts = parseOptionsFrom(values);
      // parse and check every file before writing anything
      const parsed = positionals.map((f) => {
        const p = readSignalFile(f, opts);
        if (!p.series.length) throw new UsageError(`${f} holds no signal series`);
        writeReport(ctx.stderr, p.report.notes.map((n) => `${basename(f)}: ${n}`), p.report.warnings.map((w) => `${basename(f)}: ${w}`));
        checkStorable(p.series);
        return { file: f, sha256: createHash('sha256').update(readFileSync(f)).digest('hex'), ...p };
      });
      return withDb(ctx, async (db) => {
        await ensureSystemOrg(db);
        const rows: (string | number)[][] = [];
        for (const p of parsed) {
          const r = await importSeries(db, p.series, { fileName: basename(p.file), sha256: p.sha256, format: p.format });
          rows.push([p.file, p.format, r.series, r.points, r.days]);
        }
        ctx.stdout.write(table(['file', 'format', 'series', 'points', 'series-days'], rows));
        return 0;
      });
    });
  },
};

function timeOpt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  try {
    return parseTime(v, undefined, name);
  } catch {
    throw new UsageError(`--${name} must be an ISO 8601 date or time (got "${v}")`);
  }
}

async function seriesFor(db: Db, values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<{ series: Series[]; source: string }> {
  if (values.stored) {
    if (positionals.length) throw new UsageError('--stored takes no file');
    const series = await loadSeries(db, {
      country: values.country as string | undefined,
      signal: values.signal as string | undefined,
      from: timeOpt(values.from as string | undefined, 'from'),
      to: timeOpt(values.to as string | undefined, 'to'),
    });
    if (!series.length) throw new UsageError('no stored series match (import some with "outages import")');
    return { series, source: 'store' };
  }
  if (positionals.length !== 1) throw new UsageError('give one signal file, or --stored');
  const p = readSignalFile(positionals[0]!, parseOptionsFrom(values as never));
  if (!p.series.length) throw new UsageError(`${positionals[0]} holds no signal series`);
  return { series: p.series, source: `file:${basename(positionals[0]!)}` };
}

const linkOptions = { ...fileOptions, stored: { type: 'boolean' }, from: { type: 'string' }, to: { type: 'string' }, tlp: { type: 'string' }, json: { type: 'boolean' } } as const;

export const linkCommand: CliCommand = {
  path: ['outages', 'link'],
  summary: 'Detect events and turn them into draft incidents (or evidence on overlapping ones); never duplicates',
  usage: `stackwatch outages link [options] <file>\nstackwatch outages link --stored [--country CC] [--signal KIND] [--from ISO] [--to ISO]\n  --tlp TLP:CLEAR|TLP:GREEN|TLP:AMBER   label of new drafts (default TLP:GREEN)\n${FILE_USAGE}`,
  async run(argv, ctx) {
    return guarded(ctx.stderr, async () => {
      const { values, positionals } = parseCommandArgs(argv, linkOptions);
      const tlp = values.tlp ?? 'TLP:GREEN';
      if (!['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER'].includes(tlp)) throw new UsageError('--tlp must be TLP:CLEAR, TLP:GREEN or TLP:AMBER');
      const config = loadConfig(values.config);
      return withDb(ctx, async (db) => {
        await ensureSystemOrg(db);
        const { series, source } = await seriesFor(db, values, positionals);
        const d = detect(series, config, { trace: true });
        writeReport(ctx.stderr, [], d.warnings);
        const saved = await saveEvents(db, d.events, { source, perSeries: d.perSeries });
        const links = await linkEvents(db, saved.map((s) => s.event), { tlp: tlp as 'TLP:GREEN' });
        if (values.json) {
          ctx.stdout.write(JSON.stringify({ events: saved.map((s, i) => ({ id: s.event.id, entity: s.event.entity, new: s.created, incidentId: links[i]?.incidentId ?? null, action: links[i]?.action })) }) + '\n');
          return 0;
        }
        ctx.stdout.write(`${series.length} series, ${d.events.length} events (${saved.filter((s) => s.created).length} new)\n`);
        ctx.stdout.write(
          table(
            ['event', 'entity', 'kind', 'start (UTC)', 'incident', 'action'],
            saved.map((s, i) => [s.event.id.slice(0, 8), s.event.entity, s.event.kind, isoUtc(s.event.start), links[i]?.incidentId?.slice(0, 8) ?? '-', links[i]?.action ?? '-']),
          ),
        );
        return 0;
      });
    });
  },
};

export const eventsCommand: CliCommand = {
  path: ['outages', 'events'],
  summary: 'List stored outage events (newest first)',
  usage: 'stackwatch outages events [--country CC] [--pending|--confirmed|--rejected] [--limit N] [--json]',
  async run(argv, ctx) {
    return guarded(ctx.stderr, async () => {
      const { values } = parseCommandArgs(argv, { country: { type: 'string' }, pending: { type: 'boolean' }, confirmed: { type: 'boolean' }, rejected: { type: 'boolean' }, limit: { type: 'string' }, json: { type: 'boolean' } }, false);
      const decision = values.pending ? 'pending' : values.confirmed ? 'confirmed' : values.rejected ? 'rejected' : undefined;
      const limit = values.limit ? Number(values.limit) : 50;
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive whole number');
      return withDb(ctx, async (db) => {
        const list = await listEvents(db, { country: values.country?.toUpperCase(), decision, limit });
        if (values.json) {
          ctx.stdout.write(JSON.stringify({ events: list }) + '\n');
          return 0;
        }
        ctx.stdout.write(
          table(
            ['id', 'entity', 'kind', 'start (UTC)', 'end (UTC)', 'depth', 'severity', 'decision', 'incident'],
            list.map((e) => [e.id, e.entity, e.kind, isoUtc(e.start), e.end === null ? 'ongoing' : isoUtc(e.end), e.depth.toFixed(2), e.severity, e.decision ?? 'pending', e.incidentId ?? '-']),
          ),
        );
        return 0;
      });
    });
  },
};

export const reviewCommand: CliCommand = {
  path: ['outages', 'review'],
  summary: 'Confirm or reject a detected event (decisions feed "outages evaluate --registry")',
  usage: 'stackwatch outages review confirm|reject <event-id> --by NAME [--note TEXT]',
  async run(argv, ctx) {
    return guarded(ctx.stderr, async () => {
      const { values, positionals } = parseCommandArgs(argv, { by: { type: 'string' }, note: { type: 'string' } });
      const [decision, id] = positionals;
      if (positionals.length !== 2 || (decision !== 'confirm' && decision !== 'reject')) throw new UsageError('usage: outages review confirm|reject <event-id> --by NAME');
      if (!values.by) throw new UsageError('--by NAME is required (who decided)');
      return withDb(ctx, async (db) => {
        await ensureSystemOrg(db);
        const e = await decideEvent(db, id!, decision === 'confirm' ? 'confirmed' : 'rejected', values.by!, values.note ?? '');
        ctx.stdout.write(`${e.id} ${e.entity} ${isoUtc(e.start)}: ${e.decision} by ${e.decidedBy}\n`);
        return 0;
      });
    });
  },
};

export const evaluateDbCommand: CliCommand = {
  path: ['outages', 'evaluate'],
  summary: 'Score the detector: precision, recall, false alarms per series-day, median detection delay',
  usage: EVALUATE_USAGE,
  run: (argv, ctx) =>
    runEvaluate(argv, ctx, async (file, _tol) => {
      const { values } = parseCommandArgs(argv, { ...fileOptions, registry: { type: 'boolean' }, tolerance: { type: 'string' }, json: { type: 'boolean' }, verbose: { type: 'boolean' } });
      const config = loadConfig(values.config);
      const p = readSignalFile(file, parseOptionsFrom(values));
      const d = detect(p.series, config);
      const countries = [...new Set(p.series.map((s) => s.entity.country).filter((c): c is string => Boolean(c)))];
      const from = Math.min(...p.series.map((s) => s.start));
      const to = Math.max(...p.series.map((s) => s.start + s.values.length * s.step));
      const labels = await withDb(ctx, async (db) => {
        await ensureSystemOrg(db);
        return registryLabels(db, { countries, from, to });
      });
      return { coverage: coverageOf(p.series), detected: d.events, labels, seriesDays: d.seriesDays, header: `${file}: ${p.series.length} series; ${labels.length} labels from the registry (${countries.join(', ')}, ${isoUtc(from)} – ${isoUtc(to)})` };
    }),
};

export const watchCommand: CliCommand = {
  path: ['outages', 'watch'],
  summary: 'Poll signal sources on a schedule, detect incrementally, call a webhook when an event opens or closes',
  usage: WATCH_USAGE,
  run: (argv, ctx) => guarded(ctx.stderr, () => runWatchCommand(argv, ctx, (fn) => withDb(ctx, fn))),
};
