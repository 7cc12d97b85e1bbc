import { describe, expect, it } from 'vitest';
import { detectThrottling } from './throttling.js';
import type { WebConnectivityMeasurement } from '../ooni/model.js';

/** A reachable measurement with body-transfer samples (bytes, ms) and the helper's own transfer time. */
function m(input: string, bytes: number, ms: number[], control: { bytes: number; ms: number } | null = { bytes, ms: 20 }, accessible = true): WebConnectivityMeasurement {
  return {
    input,
    test_keys: {
      accessible,
      x_stackwatch_samples: ms.map((t) => ({ bytes, ms: t })),
      control: control ? { x_stackwatch: { body_bytes: control.bytes, body_transfer_ms: control.ms } } : null,
    },
  } as unknown as WebConnectivityMeasurement;
}

const peers = [m('http://p1/', 32768, [30, 28, 31]), m('http://p2/', 40960, [35, 30, 33]), m('http://p3/', 32768, [26, 40, 30]), m('http://p4/', 49152, [45, 50, 41])];

describe('throttling finding', () => {
  it('a page repeatedly 10x slower than similar-sized pages of the same run, fast for the helper', () => {
    const r = detectThrottling([...peers, m('http://slow/', 32768, [2000, 2100, 1900])]);
    expect(r.findings.map((f) => f.input)).toEqual(['http://slow/']);
    expect(r.findings[0]!.ratio).toBeGreaterThanOrEqual(10);
    expect(r.findings[0]!).toMatchObject({ samples: 3, peers: 4 });
  });
  it('one slow sample among fast ones is not throttling (no flake)', () => {
    expect(detectThrottling([...peers, m('http://once/', 32768, [2000, 30, 35])]).findings).toEqual([]);
  });
  it('slow for the helper too: the site is slow, not throttled', () => {
    expect(detectThrottling([...peers, m('http://slowsite/', 32768, [2000, 2100, 1900], { bytes: 32768, ms: 1500 })]).findings).toEqual([]);
  });
  it('cannot judge: one sample, too few peers, or a helper without timing (OONI’s)', () => {
    const one = detectThrottling([...peers, m('http://single/', 32768, [2000])]);
    expect(one.findings).toEqual([]);
    expect(one.cannotJudge.find((c) => c.input === 'http://single/')!.why).toMatch(/1 sample/);
    const alone = detectThrottling([peers[0]!, m('http://lonely/', 32768, [2000, 2000, 2000])]);
    expect(alone.findings).toEqual([]);
    expect(alone.cannotJudge.find((c) => c.input === 'http://lonely/')!.why).toMatch(/similar-sized/);
    const ooni = detectThrottling([...peers, m('http://ooni-th/', 32768, [2000, 2000, 2000], null)]);
    expect(ooni.findings).toEqual([]);
    expect(ooni.cannotJudge.find((c) => c.input === 'http://ooni-th/')!.why).toMatch(/no transfer time/);
  });
  it('pages of very different sizes are no baseline; unreachable sites are never throttled', () => {
    const big = [m('http://b1/', 4_000_000, [30, 30, 30]), m('http://b2/', 4_000_000, [30, 30, 30]), m('http://b3/', 4_000_000, [30, 30, 30])];
    expect(detectThrottling([...big, m('http://small/', 32768, [2000, 2000, 2000])]).findings).toEqual([]);
    expect(detectThrottling([...peers, m('http://down/', 32768, [2000, 2000, 2000], undefined, false)]).findings).toEqual([]);
  });
});
