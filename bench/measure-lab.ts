/**
 * Benchmark: the probe over 1,000 lab sites with mixed interference (every family of OONI's QA suite the lab
 * expresses) and realistic server latencies (50–300 ms, some connections and handshakes that time out), with
 * bounded concurrency, against the same probe at concurrency 1 (one URL at a time, the way OONI's probe runs);
 * then the shipped scenario set (src/measure/lab/scenarios/shipped.yaml), concurrent and serial. Prints URLs
 * verdicted per minute, peak memory, agreement with the OONI verdict each site declares, and checks that the
 * verdicts are identical.
 *
 *   npx tsx bench/measure-lab.ts [--sites 1000] [--concurrency 64] [--serial-sample 60]
 *
 * The serial run over all 1,000 sites would take many minutes, so the serial rate is measured on a
 * representative sample (every k-th site, the same mix) and both runs' verdicts are compared on that sample.
 */
import { parseArgs } from 'node:util';
import { loadScenario, parseScenario, type Scenario } from '../src/measure/lab/scenario.js';
import { runLab, type LabReport } from '../src/measure/lab/run.js';

const { values } = parseArgs({ options: { sites: { type: 'string' }, concurrency: { type: 'string' }, 'serial-sample': { type: 'string' } } });
const N = Number(values.sites ?? 1000);
const CONC = Number(values.concurrency ?? 64);
const SAMPLE = Number(values['serial-sample'] ?? 60);

/** A deterministic mix: mostly reachable sites, every interference kind, a few down and slow ones. */
const TEMPLATES: [number, Record<string, unknown>][] = [
  [40, { expect: 'ok' }],
  [12, { scheme: 'https', expect: 'ok' }],
  [4, { origin: { https_redirect: true }, expect: 'ok' }],
  [3, { origin: { body_bytes: 65536, body_ms: 600 }, expect: 'ok' }],
  [4, { origin: { body_bytes: 32768 }, expect: 'ok' }],
  [1, { censor: { dns: 'proxy' }, expect: 'ok' }],
  [1, { scheme: 'https', censor: { dns: 'proxy' }, expect: 'ok' }],
  [1, { origin: { page: 'access_denied' }, expect: 'ok' }],
  [1, { scheme: 'https', origin: { captcha_for_probe: true }, expect: 'ok' }],
  [1, { censor: { dns: 'nxdomain', control_too: true }, expect: 'down' }],
  [1, { probe_cc: 'CA', censor: { http: 'blockpage:ca-court', control_too: true }, expect: 'ok' }],
  [1, { scheme: 'https', origin: { tls_fault: 'expired' }, expect: 'down' }],
  [1, { origin: { redirect_loop: true }, expect: 'down' }],
  [1, { origin: { raw_location: 'http://' }, expect: 'down' }],
  [1, { censor: { http: 'eof' }, expect: 'http-failure' }],
  [1, { control: 'http_500', expect: 'unknown' }],
  [1, { scheme: 'https', control: 'reset', expect: 'ok' }],
  [4, { censor: { dns: 'nxdomain' }, expect: 'dns' }],
  [3, { probe_cc: 'IR', censor: { dns: 'blockpage_ip_ir' }, expect: 'dns' }],
  [2, { censor: { dns: 'private' }, expect: 'dns' }],
  [3, { censor: { tcp: 'refuse' }, expect: 'tcp_ip' }],
  [2, { censor: { tcp: 'drop' }, expect: 'tcp_ip' }],
  [3, { scheme: 'https', censor: { tls: 'reset' }, expect: 'tls' }],
  [1, { scheme: 'https', censor: { tls: 'drop' }, expect: 'tls' }],
  [2, { scheme: 'https', censor: { tls: 'rogue_cert' }, expect: 'tls' }],
  [4, { probe_cc: 'CA', censor: { http: 'blockpage:ca-court' }, expect: 'http-blockpage' }],
  [2, { probe_cc: 'GB', censor: { http: 'redirect:gb-sky' }, expect: 'http-blockpage' }],
  [3, { censor: { http: 'status_403' }, expect: 'http-diff' }],
  [2, { censor: { http: 'reset' }, expect: 'http-failure' }],
  [2, { origin: { body_bytes: 24576 }, censor: { throttle_bps: 16384 }, expect: 'throttling' }],
  [3, { origin: { down: 'refuse' }, expect: 'down' }],
  [1, { origin: { down: 'timeout' }, expect: 'down' }],
];

function rng(seed: number) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

function buildScenario(n: number): Scenario {
  const rand = rng(42);
  const total = TEMPLATES.reduce((s, [w]) => s + w, 0);
  const sites = [];
  for (let i = 0; i < n; i++) {
    let x = rand() * total;
    let t = TEMPLATES[0]![1];
    for (const [w, tpl] of TEMPLATES) {
      if ((x -= w) < 0) {
        t = tpl;
        break;
      }
    }
    const base = (t.origin as Record<string, unknown>) ?? {};
    // latency on every response; a redirect loop would pay it 11 times, so those keep the lab's default
    const origin = base.redirect_loop ? base : { ...base, delay_ms: 50 + Math.floor(rand() * 250) };
    sites.push({ ...t, origin, name: `b${String(i).padStart(4, '0')}` });
  }
  return parseScenario(JSON.stringify({ name: 'bench', timeouts: { dns_ms: 1500, tcp_ms: 1500, tls_ms: 1500, http_ms: 2500, th_ms: 20000 }, sites }));
}

function peakWatcher() {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return { stop: () => (clearInterval(t), Math.max(peak, process.memoryUsage().rss)) };
}

async function timed(label: string, scenario: Scenario, concurrency: number): Promise<{ report: LabReport; perMin: number; peakMiB: number }> {
  const w = peakWatcher();
  const report = await runLab(scenario, { concurrency, keepMeasurements: false });
  const peakMiB = w.stop() / 1024 / 1024;
  // the rate counts probing time only: lab start-up and shut-down are excluded
  const perMin = scenario.sites.length / (report.probeMs / 60000);
  console.log(
    `${label.padEnd(38)} ${String(scenario.sites.length).padStart(5)} URLs  ${(report.probeMs / 1000).toFixed(1).padStart(7)} s  ${perMin.toFixed(0).padStart(7)} URLs/min  peak RSS ${peakMiB.toFixed(0)} MiB  correct ${report.correct}/${scenario.sites.length}  OONI verdict as declared ${report.outcomes.filter((o) => o.ooniObserved === o.ooniExpected).length}/${scenario.sites.length}`,
  );
  return { report, perMin, peakMiB };
}

const full = buildScenario(N);
const step = Math.max(1, Math.floor(N / SAMPLE));
const sample: Scenario = { ...full, sites: full.sites.filter((_, i) => i % step === 0).slice(0, SAMPLE) };
const mix = new Map<string, number>();
for (const s of full.sites) mix.set(s.expect, (mix.get(s.expect) ?? 0) + 1);
console.log(`measure-lab benchmark — ${N} lab sites, mix: ${[...mix].map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`latency 50–300 ms per response; lab timeouts dns/tcp/tls 1.5 s, http idle 2.5 s; machine: ${(await import('node:os')).cpus().length} cores\n`);

const conc = await timed(`concurrency ${CONC} (all sites)`, full, CONC);
const concSample = await timed(`concurrency ${CONC} (serial sample)`, sample, CONC);
const serial = await timed('concurrency 1 (OONI-style, sample)', sample, 1);

const bySite = new Map(conc.report.outcomes.map((o) => [o.site, o.observed]));
const diffs = serial.report.outcomes.filter((o) => bySite.get(o.site) !== o.observed);
const diffsSample = serial.report.outcomes.filter((o, i) => concSample.report.outcomes[i]!.observed !== o.observed);
console.log(`\nspeed-up: ${(conc.perMin / serial.perMin).toFixed(1)}x the serial rate (goal: 20x)`);
console.log(`verdicts identical, serial vs concurrent on the ${sample.sites.length} sample sites: ${diffs.length === 0 && diffsSample.length === 0 ? 'yes' : `NO (${diffs.length + diffsSample.length} differ: ${[...diffs, ...diffsSample].map((d) => d.site).join(', ')})`}`);
console.log(`verdicts correct: concurrent ${conc.report.correct}/${N}, serial ${serial.report.correct}/${sample.sites.length}`);
const wrong = conc.report.outcomes.filter((o) => !o.correct).slice(0, 10);
for (const o of wrong) console.log(`  wrong: ${o.site} expected ${o.expected}/${o.ooniExpected} observed ${o.observed}/${o.ooniObserved}: ${o.reasons.join('; ')}`);

// the shipped scenario set: every family of OONI's QA suite, each site declaring OONI's verdict
const shipped = loadScenario();
console.log(`\nshipped scenarios (${shipped.sites.length} sites, lab timeouts as shipped):`);
const shippedConc = await timed(`concurrency ${shipped.concurrency} (shipped)`, shipped, shipped.concurrency);
const shippedSerial = await timed('concurrency 1 (shipped, OONI-style)', shipped, 1);
const sDiff = shippedSerial.report.outcomes.filter((o, i) => shippedConc.report.outcomes[i]!.observed !== o.observed);
console.log(`speed-up on the shipped set: ${(shippedConc.perMin / shippedSerial.perMin).toFixed(1)}x; verdicts identical serial vs concurrent: ${sDiff.length ? `NO (${sDiff.map((d) => d.site).join(', ')})` : 'yes'}`);
for (const o of [...shippedConc.report.outcomes, ...shippedSerial.report.outcomes].filter((x) => !x.correct).slice(0, 10))
  console.log(`  wrong: ${o.site} expected ${o.expected}/${o.ooniExpected} observed ${o.observed}/${o.ooniObserved}: ${o.reasons.join('; ')}`);
process.exit(diffs.length || diffsSample.length || conc.report.wrong || sDiff.length || shippedConc.report.wrong || shippedSerial.report.wrong ? 1 : 0);
