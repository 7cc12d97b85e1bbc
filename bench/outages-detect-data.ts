/** Synthetic series for the detection benchmark: a year of 5-minute data with cycles, noise, gaps, two outages. */
import { mulberry32 } from '../src/outages/evaluate/synthetic.js';

export function makeBenchSeries(seed: number, days: number, step = 300): Float64Array {
  const N = Math.round((days * 86400) / step);
  const rnd = mulberry32(seed);
  const v = new Float64Array(N);
  const amp = 0.2 + 0.3 * rnd();
  const level = 500 + 10000 * rnd();
  for (let i = 0; i < N; i++) {
    const h = ((i * step) % 86400) / 3600;
    const dow = Math.floor((i * step) / 86400) % 7;
    v[i] = level * (1 + amp * Math.cos((2 * Math.PI * (h - 20)) / 24)) * (dow >= 5 ? 0.88 : 1) * (0.96 + 0.08 * rnd());
    if (rnd() < 0.003) v[i] = NaN;
  }
  for (let k = 0; k < 2; k++) {
    const at = Math.floor(N * (0.3 + 0.4 * rnd()));
    for (let i = at; i < Math.min(N, at + 100); i++) v[i] = v[i]! * 0.05;
  }
  return v;
}
