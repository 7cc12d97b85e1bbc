import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseMonash } from '../signals/monash.js';
import { detect } from './index.js';
import { configFrom, defaultConfig } from './config.js';
import { SeriesDetector, detectSeries, LEVEL_CRITICAL } from './detector.js';
import { commands } from '../cli.js';

const DATA = join(__dirname, '..', '..', '..', '..', 'shared', 'data', 'signals');
const iran = parseMonash(readFileSync(join(DATA, 'monash-irn-2019-11-11.csv'), 'utf8'));
const laura = parseMonash(readFileSync(join(DATA, 'monash-usa-2020-08-31-hurricane-laura.csv'), 'utf8'));
const T = (iso: string) => Date.parse(iso) / 1000;

async function runCli(argv: string[]) {
  const cmd = commands.find((c) => c.path.join(' ') === 'outages detect')!;
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (d) => (o += d));
  err.on('data', (d) => (e += d));
  const code = await cmd.run(argv, { stdout: out, stderr: err, env: {} });
  return { code, out: o, err: e };
}

describe('Iran, November 2019 (Monash, 73 counties)', () => {
  const { events } = detect(iran);
  const national = events.filter((e) => e.scope === 'country');

  it('finds one national event starting within 2 hours of 2019-11-16 14:00 UTC', () => {
    expect(national).toHaveLength(1);
    const e = national[0]!;
    expect(e.entity).toBe('IR');
    expect(Math.abs(e.start - T('2019-11-16T14:00:00Z'))).toBeLessThanOrEqual(2 * 3600);
    expect(e.kind).toBe('outage');
    expect(e.depth).toBeGreaterThan(0.75);
    expect(e.end).toBeNull(); // still down when the data ends (20 Nov)
    expect(e.members!.affected).toBeGreaterThanOrEqual(0.8 * 73);
    expect(e.severity).toBeGreaterThan(80);
  });

  it('has no national event in the days before', () => {
    expect(events.filter((e) => e.scope === 'country' && e.start < T('2019-11-16T12:00:00Z'))).toHaveLength(0);
  });

  it('prints the event as JSON from the CLI', async () => {
    const r = await runCli(['--json', join(DATA, 'monash-irn-2019-11-11.csv')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { events: { entity: string; scope: string; start: string; end: string | null; depth: number; severity: number }[] };
    const ir = j.events.filter((e) => e.scope === 'country');
    expect(ir).toHaveLength(1);
    expect(ir[0]).toMatchObject({ entity: 'IR', scope: 'country', start: '2019-11-16T14:30:00Z', end: null });
    expect(ir[0]!.depth).toBeGreaterThan(0.75);
  });
});

describe('Hurricane Laura (Monash, 200 US counties)', () => {
  const { events } = detect(laura);
  it('gives regional events, not a national one', () => {
    expect(events.filter((e) => e.scope === 'country')).toHaveLength(0);
    const regional = events.filter((e) => e.scope === 'region' && e.kind === 'outage');
    expect(regional.length).toBeGreaterThanOrEqual(10);
    // Calcasieu (Lake Charles), where Laura made landfall on 27 Aug, drops that morning
    const calc = regional.find((e) => e.entity === 'US/Louisiana/Calcasieu');
    expect(calc).toBeDefined();
    expect(calc!.start).toBeGreaterThanOrEqual(T('2020-08-27T00:00:00Z'));
    expect(calc!.start).toBeLessThan(T('2020-08-27T12:00:00Z'));
  });
});

describe('detector', () => {
  const p = defaultConfig().signals.generic!;
  const step = 300;
  const day = 288;
  function diurnal(days: number, seed = 1) {
    let s = seed;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    return Float64Array.from({ length: days * day }, (_, i) => 1000 * (1 + 0.4 * Math.sin((2 * Math.PI * i) / day)) * (0.97 + 0.06 * rnd()));
  }

  it('stays quiet on a normal daily cycle and finds an injected drop', () => {
    const v = diurnal(21);
    expect(detectSeries(v, 0, step, p).events).toHaveLength(0);
    for (let i = 15 * day + 100; i < 15 * day + 160; i++) v[i] = v[i]! * 0.05;
    const { events } = detectSeries(v, 0, step, p);
    expect(events).toHaveLength(1);
    expect(events[0]!.start).toBe((15 * day + 100) * step);
    expect(events[0]!.end).toBe((15 * day + 160) * step);
    expect(events[0]!.depth).toBeCloseTo(0.95, 1);
    expect(events[0]!.kind).toBe('outage');
  });

  it('sees a sustained partial drop as throttling', () => {
    const v = diurnal(21, 7);
    for (let i = 16 * day; i < 16 * day + 72; i++) v[i] = v[i]! * 0.65;
    const { events } = detectSeries(v, 0, step, p);
    expect(events).toHaveLength(1);
    expect(events[0]!.kind).toBe('throttling');
    expect(events[0]!.depth).toBeGreaterThan(0.25);
    expect(events[0]!.depth).toBeLessThan(0.45);
  });

  it('is not fooled by an earlier outage in its own history, nor by missing points', () => {
    const v = diurnal(28, 3);
    // a 2-day outage one week before an ordinary day
    for (let i = 14 * day; i < 16 * day; i++) v[i] = 0;
    for (let i = 20 * day; i < 20 * day + 50; i++) v[i] = NaN;
    const { events } = detectSeries(v, 0, step, p);
    expect(events).toHaveLength(1);
    expect(events[0]!.start).toBe(14 * day * step);
  });

  it('updates incrementally with the same result as batch', () => {
    const v = diurnal(15, 5);
    for (let i = 10 * day; i < 10 * day + 40; i++) v[i] = 1;
    const d = new SeriesDetector(0, step, p);
    const opened: number[] = [];
    const closed: number[] = [];
    let crit = 0;
    for (const x of v) {
      const r = d.push(x);
      if (r.level === LEVEL_CRITICAL) crit++;
      if (r.opened) opened.push(r.opened.start);
      if (r.closed) closed.push(r.closed.end!);
    }
    expect(opened).toEqual([10 * day * step]);
    expect(closed).toEqual([(10 * day + 40) * step]);
    expect(crit).toBe(40);
    expect(detectSeries(v, 0, step, p).events.map((e) => e.start)).toEqual(opened);
  });

  it('validates configuration overrides', () => {
    expect(configFrom({ signals: { bgp: { critical: 0.4 } } }).signals.bgp!.critical).toBe(0.4);
    expect(() => configFrom({ signals: { bgp: { critical: 2 } } })).toThrow(/signals\.bgp\.critical/);
    expect(() => configFrom({ signals: { generic: { critical: 0.9, warning: 0.8 } } })).toThrow(/must be below warning/);
    expect(() => configFrom({ fusion: { nationalShare: 0 } })).toThrow(/nationalShare/);
  });
});

describe('outages detect CLI errors', () => {
  it('reports a malformed file with exit code 1', async () => {
    const r = await runCli(['--format', 'monash', join(DATA, 'MONASH-README.md')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/MONASH-README\.md: .*missing column "connectivity"|expected \d+ columns/);
  });
  it('reports usage errors with exit code 2', async () => {
    expect((await runCli(['--format', 'xls', 'x.csv'])).code).toBe(2);
    expect((await runCli([])).err).toMatch(/exactly one signal file/);
  });
});
