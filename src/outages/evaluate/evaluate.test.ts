import { describe, expect, it } from 'vitest';
import { captureCli } from '../../platform/testing.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateBenchmark } from './synthetic.js';
import { evaluate, matches } from './evaluate.js';
import { parseLabels } from './labels.js';
import { detect } from '../detect/index.js';
import { evaluateCommand } from './cli.js';
import type { OutageEvent } from '../model.js';

const run = (argv: string[]) => captureCli((a, c) => evaluateCommand.run(a, c), argv);

describe('synthetic benchmark', () => {
  it('is deterministic per seed and carries all kinds of events', () => {
    const a = generateBenchmark({ seed: 11, countries: 2, days: 30 });
    const b = generateBenchmark({ seed: 11, countries: 2, days: 30 });
    const c = generateBenchmark({ seed: 12, countries: 2, days: 30 });
    expect(a.labels).toEqual(b.labels);
    expect(Array.from(a.series[3]!.values.slice(0, 500))).toEqual(Array.from(b.series[3]!.values.slice(0, 500)));
    expect(a.labels).not.toEqual(c.labels);
    const all = generateBenchmark({ seed: 7 });
    const kinds = new Set(all.labels.map((l) => l.source.split(':')[2]));
    expect(kinds).toEqual(new Set(['national-full', 'regional-full', 'network-full', 'national-partial', 'network-partial']));
    const missing = all.series.reduce((s, x) => s + x.values.filter((v) => Number.isNaN(v)).length, 0);
    expect(missing).toBeGreaterThan(0);
  });

  it('seed 7: precision and recall ≥ 0.9 for full shutdowns, few false alarms', () => {
    const bench = generateBenchmark({ seed: 7 });
    const d = detect(bench.series);
    const ev = evaluate(d.events, bench.labels, { seriesDays: d.seriesDays });
    expect(ev.full.labels).toBeGreaterThan(30);
    expect(ev.full.precision).toBeGreaterThanOrEqual(0.9);
    expect(ev.full.recall).toBeGreaterThanOrEqual(0.9);
    expect(ev.all.falseAlarmsPerSeriesDay).toBeLessThan(0.01);
    expect(ev.full.medianDelayMinutes).toBeLessThanOrEqual(60);
  });

  it('scores an empty detector as recall 0 and a detector that fires everywhere as low precision', () => {
    const bench = generateBenchmark({ seed: 3, countries: 2, days: 24 });
    expect(evaluate([], bench.labels, { seriesDays: 100 }).full.recall).toBe(0);
    const spam: OutageEvent[] = bench.series.flatMap((s) =>
      Array.from({ length: 20 }, (_, k) => ({ entity: s.entity.code, scope: s.entity.scope, country: s.entity.country ?? null, kind: 'outage' as const, start: s.start + k * 86400, end: s.start + k * 86400 + 600, firstAlertAt: s.start + k * 86400, depth: 1, minRatio: 0, severity: 1, confidence: 1, signals: ['x'], points: 2 })),
    );
    expect(evaluate(spam, bench.labels, { seriesDays: 100 }).full.precision).toBeLessThan(0.2);
  });
});

describe('matching rule', () => {
  const d = { entity: 'IR', start: 1000, end: 2000 };
  it('needs the same entity and overlap within the tolerance', () => {
    expect(matches(d, { entity: 'IR', start: 2500, end: 3000 }, 600)).toBe(true);
    expect(matches(d, { entity: 'IR', start: 2700, end: 3000 }, 600)).toBe(false);
    expect(matches(d, { entity: 'IQ', start: 1000, end: 2000 }, 600)).toBe(false);
    expect(matches({ ...d, end: null }, { entity: 'IR', start: 99999, end: null }, 0)).toBe(true);
  });
});

describe('labels files', () => {
  it('reads CSV and JSON labels and rejects bad ones', () => {
    const csv = parseLabels('entity,start,end,kind\nIR,2019-11-16T14:00:00Z,2019-11-21T00:00:00Z,full\nAS12880,2019-11-16T10:00:00Z,,partial\n');
    expect(csv[0]).toMatchObject({ entity: 'IR', scope: 'country', start: Date.parse('2019-11-16T14:00:00Z') / 1000 });
    expect(csv[1]).toMatchObject({ entity: 'AS12880', scope: 'network', end: null, kind: 'partial' });
    expect(parseLabels('{"labels":[{"entity":"IR/Tehran","start":"2019-11-16T14:00:00Z"}]}')[0]!.scope).toBe('region');
    expect(() => parseLabels('entity,start,end\nIR,2019-11-17,2019-11-16\n')).toThrow(/line 2: .*ends .* before it starts/);
    expect(() => parseLabels('entity,start,end,kind\nIR,2019-11-16,,total\n')).toThrow(/line 2: kind/);
  });
});

describe('outages evaluate CLI', () => {
  it('prints the figures for a synthetic run', async () => {
    const r = await run(['--synthetic', '--seed', '7', '--countries', '3', '--days', '30']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Synthetic benchmark, seed 7/);
    expect(r.out).toMatch(/full shutdowns\s+\d+\s+\d+\s+\d+\.\d %\s+\d+\.\d %/);
    expect(r.out).toMatch(/median delay/);
  });
  it('evaluates a signal file against a labels file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-eval-'));
    const labels = join(dir, 'labels.csv');
    writeFileSync(labels, 'entity,start,end\nIR,2019-11-16T14:00:00Z,2019-11-24T00:00:00Z\n');
    const r = await run(['--labels', labels, '--json', join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'signals', 'monash-irn-2019-11-11.csv')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { full: { recall: number; matchedLabels: number } };
    expect(j.full.recall).toBe(1);
  });
  it('rejects a missing mode', async () => {
    const r = await run(['--seed', '3']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/choose one of --synthetic/);
  });
});
