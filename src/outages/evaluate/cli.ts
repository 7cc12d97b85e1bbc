import { parseCommandArgs, table, UsageError, type CliCommand, type CliContext } from '../../core/cli-kit.js';
import { detect } from '../detect/index.js';
import { FILE_USAGE, fileOptions, guarded, loadConfig, parseOptionsFrom } from '../cli-common.js';
import { isoUtc, type LabelledEvent, type OutageEvent } from '../model.js';
import { readSignalFile } from '../signals/index.js';
import { coverageOf, evaluate, type Coverage, type Evaluation, type Scores } from './evaluate.js';
import { readLabels } from './labels.js';
import { generateBenchmark } from './synthetic.js';

const pct = (x: number | null) => (x === null ? 'n/a' : (x * 100).toFixed(1) + ' %');

export function formatEvaluation(ev: Evaluation): string {
  const row = (name: string, s: Scores) => [
    name,
    s.detections,
    s.labels,
    pct(s.precision),
    pct(s.recall),
    s.falseAlarms,
    s.falseAlarmsPerSeriesDay.toFixed(5),
    s.medianDelayMinutes === null ? 'n/a' : `${s.medianDelayMinutes.toFixed(1)} min`,
    s.maxDelayMinutes === null ? 'n/a' : `${s.maxDelayMinutes.toFixed(0)} min`,
  ];
  const h = ev.hourly;
  return (
    `matching: same entity, overlapping time with a tolerance of ±${ev.toleranceMinutes} min; ${ev.seriesDays.toFixed(1)} series-days of data\n` +
    table(
      ['events', 'detections', 'labels', 'precision', 'recall', 'false alarms', 'FA per series-day', 'median delay', 'max delay'],
      [row('full shutdowns', ev.full), row('partial / throttling', ev.partial), row('all', ev.all)],
    ) +
    (h
      ? `per hour: false-positive rate ${pct(h.fpr)} (${h.falsePositiveHours} of ${h.negativeHours} entity-hours outside labels flagged), ` +
        `labelled hours covered ${pct(h.tpr)} (${h.truePositiveHours} of ${h.positiveHours})\n`
      : '') +
    'delays are causal (from the label start to when the event could first be announced) and never negative\n'
  );
}

export interface EvaluateRun {
  coverage?: Coverage[];
  detected: OutageEvent[];
  labels: LabelledEvent[];
  seriesDays: number;
  header: string;
}

/** Registry labels are loaded by the database-backed command (cli-db.ts); this hook lets it reuse the printer. */
export async function printEvaluation(run: EvaluateRun, opts: { tolerance: number; json: boolean; verbose: boolean }, { stdout }: CliContext) {
  const ev = evaluate(run.detected, run.labels, { toleranceMinutes: opts.tolerance, seriesDays: run.seriesDays, coverage: run.coverage });
  if (opts.json) {
    const { missed, falseAlarms, ...scores } = ev;
    stdout.write(JSON.stringify({ ...scores, missed: missed.length, falseAlarmEvents: falseAlarms.length }) + '\n');
    return ev;
  }
  stdout.write(run.header + '\n' + formatEvaluation(ev));
  if (opts.verbose) {
    for (const l of ev.missed) stdout.write(`missed: ${l.entity} ${l.kind} ${isoUtc(l.start)} → ${l.end === null ? 'open' : isoUtc(l.end)} (${l.source})\n`);
    for (const d of ev.falseAlarms) stdout.write(`false alarm: ${d.entity} ${d.kind} ${isoUtc(d.start)} → ${d.end === null ? 'open' : isoUtc(d.end)} depth ${d.depth}\n`);
  }
  return ev;
}

export function intOption(v: string | undefined, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got "${v}")`);
  return n;
}

export const evaluateOptions = {
  ...fileOptions,
  synthetic: { type: 'boolean' },
  seed: { type: 'string' },
  days: { type: 'string' },
  countries: { type: 'string' },
  labels: { type: 'string' },
  registry: { type: 'boolean' },
  tolerance: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
} as const;

export const EVALUATE_USAGE = `stackwatch outages evaluate --synthetic [--seed N] [--days D] [--countries C]
stackwatch outages evaluate --labels FILE [file options] <signal file>
stackwatch outages evaluate --registry [file options] <signal file>   (labels: STOP/IODA incidents + analyst decisions)
  --tolerance MIN   matching tolerance in minutes (default 60; 1440 for day-precision registry labels)
  --json            print the figures as JSON
  --verbose         list missed labels and false alarms
${FILE_USAGE}`;

/** Runs the file- and synthetic-based evaluations; returns null when `--registry` is asked (handled elsewhere). */
export async function runEvaluate(argv: string[], ctx: CliContext, registryLabels?: (file: string, tolerance: number) => Promise<EvaluateRun>): Promise<number> {
  return guarded(ctx.stderr, async () => {
    const { values, positionals } = parseCommandArgs(argv, evaluateOptions);
    const modes = [values.synthetic, values.labels !== undefined, values.registry].filter(Boolean).length;
    if (modes !== 1) throw new UsageError('choose one of --synthetic, --labels FILE or --registry');
    const config = loadConfig(values.config);
    const json = Boolean(values.json);
    const verbose = Boolean(values.verbose);
    if (values.synthetic) {
      if (positionals.length) throw new UsageError('--synthetic takes no signal file');
      const seed = intOption(values.seed, 'seed', 1, 0, 2 ** 31 - 1);
      const days = intOption(values.days, 'days', 42, 21, 400);
      const countries = intOption(values.countries, 'countries', 8, 1, 16);
      const t0 = performance.now();
      const bench = generateBenchmark({ seed, days, countries });
      const t1 = performance.now();
      const d = detect(bench.series, config);
      const t2 = performance.now();
      const points = bench.series.reduce((s, x) => s + x.values.length, 0);
      const header =
        `Synthetic benchmark, seed ${seed}: ${bench.series.length} series (${countries} countries × 1 national + ${bench.options.regionsPerCountry} regions + ${bench.options.networksPerCountry} networks), ` +
        `${days} days at 5 min (${points.toLocaleString('en')} points), ${bench.labels.length} injected events ` +
        `(${bench.labels.filter((l) => l.kind === 'full').length} full, ${bench.labels.filter((l) => l.kind === 'partial').length} partial)\n` +
        `generated in ${(t1 - t0).toFixed(0)} ms, detected in ${(t2 - t1).toFixed(0)} ms`;
      await printEvaluation({ detected: d.events, labels: bench.labels, seriesDays: d.seriesDays, header, coverage: coverageOf(bench.series) }, { tolerance: intOption(values.tolerance, 'tolerance', 60, 0, 10080), json, verbose }, ctx);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError('give exactly one signal file');
    const file = positionals[0]!;
    if (values.registry) {
      if (!registryLabels) throw new UsageError('--registry needs the database: run it through the stackwatch command');
      const tol = intOption(values.tolerance, 'tolerance', 1440, 0, 10080);
      const run = await registryLabels(file, tol);
      await printEvaluation(run, { tolerance: tol, json, verbose }, ctx);
      return 0;
    }
    const labels = readLabels(values.labels!);
    const parsed = readSignalFile(file, parseOptionsFrom(values));
    const d = detect(parsed.series, config);
    const header = `${file}: ${parsed.series.length} series; ${labels.length} labels from ${values.labels}`;
    await printEvaluation({ detected: d.events, labels, seriesDays: d.seriesDays, header, coverage: coverageOf(parsed.series) }, { tolerance: intOption(values.tolerance, 'tolerance', 60, 0, 10080), json, verbose }, ctx);
    return 0;
  });
}

export const evaluateCommand: CliCommand = {
  path: ['outages', 'evaluate'],
  summary: 'Score the detector: precision, recall, false alarms per series-day, median detection delay',
  usage: EVALUATE_USAGE,
  run: (argv, ctx) => runEvaluate(argv, ctx),
};
