import type { WebConnectivityMeasurement } from '../ooni/model.js';

/**
 * Throttling is a finding about a run, never a per-measurement verdict. A site is called throttled only when
 *  - it was reachable (OONI: accessible) and its page was fetched at least MIN_SAMPLES times (repeated samples),
 *  - at least MIN_PEERS other reachable sites of similar size (within SIZE_FACTOR) were sampled in the same run
 *    (the same vantage point, at the same time: the baseline is the probe's own link, not a data-centre helper),
 *  - its median rate is at most 1/RATIO of the peers' median rate, and even its fastest sample is under 1/(RATIO/2),
 *  - and the helper reports its own transfer time (Stackwatch's helper does; OONI's does not) and got the page
 *    at least RATIO/2 times faster (a site slow for everyone is not throttled).
 * Anything less is "cannot judge", counted but never reported as throttling.
 */

export const THROTTLING_MIN_BYTES = 16 * 1024;
export const THROTTLING_MIN_SAMPLES = 3;
export const THROTTLING_MIN_PEERS = 3;
export const THROTTLING_SIZE_FACTOR = 4;
export const THROTTLING_RATIO = 10;
/** Transfers faster than this count as taking this long (timer noise on fast links). */
export const THROTTLING_FLOOR_MS = 25;

export interface ThrottlingFinding {
  input: string;
  /** bytes per second: the site's median sample */
  rate: number;
  /** bytes per second: median of the similar-sized peers' medians */
  baseline: number;
  ratio: number;
  samples: number;
  peers: number;
  /** the helper's rate for the same page, when it reported one */
  controlRate: number | null;
}

export interface ThrottlingReport {
  findings: ThrottlingFinding[];
  /** sampled sites that could not be judged, with why */
  cannotJudge: { input: string; why: string }[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const rateOf = (bytes: number, ms: number) => (bytes * 1000) / Math.max(ms, THROTTLING_FLOOR_MS);

interface Sampled {
  input: string;
  bytes: number;
  rates: number[];
  controlRate: number | null;
}

function sampled(m: WebConnectivityMeasurement): Sampled | null {
  const tk = m.test_keys as Record<string, unknown>;
  if (tk.accessible !== true || !m.input) return null;
  const samples = Array.isArray(tk.x_stackwatch_samples) ? (tk.x_stackwatch_samples as { bytes: number; ms: number }[]) : [];
  const good = samples.filter((s) => typeof s.bytes === 'number' && typeof s.ms === 'number' && s.bytes >= THROTTLING_MIN_BYTES);
  if (!good.length) return null;
  const c = (tk.control as { x_stackwatch?: { body_bytes?: number; body_transfer_ms?: number } } | null)?.x_stackwatch;
  const controlRate = c && typeof c.body_bytes === 'number' && c.body_bytes >= THROTTLING_MIN_BYTES && typeof c.body_transfer_ms === 'number' ? rateOf(c.body_bytes, c.body_transfer_ms) : null;
  return { input: m.input, bytes: median(good.map((s) => s.bytes)), rates: good.map((s) => rateOf(s.bytes, s.ms)), controlRate };
}

/** Throttling findings over the measurements of one run (one vantage point). */
export function detectThrottling(run: WebConnectivityMeasurement[]): ThrottlingReport {
  const all = run.map(sampled).filter((x): x is Sampled => x !== null);
  const findings: ThrottlingFinding[] = [];
  const cannotJudge: ThrottlingReport['cannotJudge'] = [];
  for (const s of all) {
    if (s.rates.length < THROTTLING_MIN_SAMPLES) {
      cannotJudge.push({ input: s.input, why: `${s.rates.length} sample(s), ${THROTTLING_MIN_SAMPLES} needed` });
      continue;
    }
    const peers = all.filter((p) => p !== s && p.rates.length >= THROTTLING_MIN_SAMPLES && p.bytes * THROTTLING_SIZE_FACTOR >= s.bytes && p.bytes <= s.bytes * THROTTLING_SIZE_FACTOR);
    if (peers.length < THROTTLING_MIN_PEERS) {
      cannotJudge.push({ input: s.input, why: `${peers.length} similar-sized site(s) sampled in the run, ${THROTTLING_MIN_PEERS} needed for a baseline` });
      continue;
    }
    if (s.controlRate === null) {
      cannotJudge.push({ input: s.input, why: 'the test helper reports no transfer time: a site slow for everyone cannot be told apart' });
      continue;
    }
    const rate = median(s.rates);
    const baseline = median(peers.map((p) => median(p.rates)));
    const ratio = baseline / rate;
    const fastest = Math.max(...s.rates);
    const slowForEveryone = s.controlRate !== null && s.controlRate < rate * (THROTTLING_RATIO / 2);
    if (ratio >= THROTTLING_RATIO && fastest * (THROTTLING_RATIO / 2) <= baseline && !slowForEveryone) {
      findings.push({ input: s.input, rate: Math.round(rate), baseline: Math.round(baseline), ratio: Math.round(ratio * 10) / 10, samples: s.rates.length, peers: peers.length, controlRate: s.controlRate === null ? null : Math.round(s.controlRate) });
    }
  }
  return { findings, cannotJudge };
}
