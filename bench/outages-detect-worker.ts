/** Worker of bench/outages-detect.ts: detects over a range of synthetic series and reports points and events. */
import { parentPort, workerData } from 'node:worker_threads';
import { detectSeries } from '../src/outages/detect/detector.js';
import { defaultConfig } from '../src/outages/detect/config.js';
import { makeBenchSeries } from './outages-detect-data.js';

const { from, to, days } = workerData as { from: number; to: number; days: number };
const params = defaultConfig().signals.generic!;
let points = 0;
let events = 0;
let detectMs = 0;
for (let s = from; s < to; s++) {
  const v = makeBenchSeries(s + 1, days);
  const t0 = performance.now();
  events += detectSeries(v, 0, 300, params).events.length;
  detectMs += performance.now() - t0;
  points += v.length;
}
parentPort!.postMessage({ points, events, detectMs });
