import { thResponseSchema, type ThResponse, type VerdictKind, type Evidence, type HttpTransaction, type WebConnectivityTestKeys } from './model.js';
import { matchDnsFingerprint, matchHttpFingerprint, type FingerprintDb } from './fingerprints.js';
import { isBogon } from './ip.js';

/**
 * The web-connectivity verdict engine: pure, from the raw test keys (what the probe saw and the control the test
 * helper returned) to OONI's verdict fields plus our finer verdict with the evidence behind it.
 * Re-running it on a stored measurement gives the verdict that was written (round-trip property).
 */

/** Headers too common to say anything about whether two responses come from the same server. */
export const COMMON_HEADERS = new Set([
  'date', 'content-type', 'server', 'cache-control', 'vary', 'set-cookie', 'location', 'expires', 'x-powered-by',
  'content-encoding', 'last-modified', 'accept-ranges', 'pragma', 'x-frame-options', 'etag', 'x-content-type-options',
  'age', 'via', 'p3p', 'x-xss-protection', 'content-language', 'cf-ray', 'strict-transport-security', 'link', 'x-varnish',
  // framing and hop-by-hop headers: every HTTP/1.1 server sends them, they identify nothing
  'connection', 'content-length', 'transfer-encoding', 'keep-alive',
]);

/** Throttling: the probe's transfer rate must be at most 1/10 of the control's. */
export const THROTTLING_RATIO = 10;
/** Bodies smaller than this say nothing about transfer rate. */
export const THROTTLING_MIN_BYTES = 16 * 1024;
/** Transfers faster than this count as taking this long (timer noise on fast links is never throttling). */
export const THROTTLING_FLOOR_MS = 100;

export interface VerdictFields {
  dns_experiment_failure: string | null;
  http_experiment_failure: string | null;
  dns_consistency: 'consistent' | 'inconsistent' | null;
  body_length_match: boolean | null;
  body_proportion: number | null;
  status_code_match: boolean | null;
  headers_match: boolean | null;
  title_match: boolean | null;
  blocking: 'dns' | 'tcp_ip' | 'http-failure' | 'http-diff' | false | null;
  accessible: boolean | null;
  x_blocking_flags: number;
  x_stackwatch: Evidence;
}

const FLAGS = { dns: 1, tcp_ip: 2, tls: 4, http: 8, diff: 16, success: 32 } as const;

/** Title from `<title>`, at most 512 characters, whitespace collapsed. */
export function extractTitle(body: string | null | undefined): string {
  if (!body) return '';
  const m = /<title[^>]*>([\s\S]{0,2048}?)<\/title>/i.exec(body);
  if (!m) return '';
  return m[1]!.replace(/\s+/g, ' ').trim().slice(0, 512);
}

function titleWords(t: string): string[] {
  return t
    .split(' ')
    .map((w) => w.toLowerCase())
    .filter((w) => [...w].length >= 5);
}

export function titleMatch(probeTitle: string, controlTitle: string): boolean {
  const words = new Map<string, number>();
  for (const w of titleWords(controlTitle)) words.set(w, (words.get(w) ?? 0) | 1);
  for (const w of titleWords(probeTitle)) words.set(w, (words.get(w) ?? 0) | 2);
  for (const v of words.values()) if (v !== 3) return false;
  return true;
}

export function headersMatch(probe: Record<string, unknown>, control: Record<string, unknown>): boolean {
  const p = new Set(Object.keys(probe).map((k) => k.toLowerCase()));
  const c = new Set(Object.keys(control).map((k) => k.toLowerCase()));
  const up = [...p].filter((k) => !COMMON_HEADERS.has(k));
  const uc = [...c].filter((k) => !COMMON_HEADERS.has(k));
  if (up.length === 0 && uc.length === 0) return [...p].some((k) => c.has(k));
  return up.some((k) => c.has(k) && !COMMON_HEADERS.has(k));
}

export function bodyProportion(a: number, b: number): number {
  if (a === 0 && b === 0) return 1;
  if (a === 0 || b === 0) return 0;
  return Math.min(a / b, b / a);
}

function bodyText(b: unknown): string | null {
  if (typeof b === 'string') return b;
  if (b && typeof b === 'object' && (b as { format?: string }).format === 'base64') {
    return Buffer.from(String((b as { data: string }).data), 'base64').toString('latin1');
  }
  return null;
}

function headerMap(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = typeof v === 'string' ? v : (bodyText(v) ?? '');
  return out;
}

function byteLength(b: unknown): number {
  if (typeof b === 'string') return Buffer.byteLength(b, 'utf8');
  if (b && typeof b === 'object' && (b as { format?: string }).format === 'base64') {
    return Buffer.from(String((b as { data: string }).data), 'base64').length;
  }
  return 0;
}

const isTls = (url: string) => url.toLowerCase().startsWith('https:');

/** Our verdict kind → OONI's `blocking`/`accessible` pair and x_blocking_flags. */
export function ooniFields(kind: VerdictKind): Pick<VerdictFields, 'blocking' | 'accessible' | 'x_blocking_flags'> {
  switch (kind) {
    case 'ok':
    case 'throttling':
      return { blocking: false, accessible: true, x_blocking_flags: FLAGS.success };
    case 'down':
      return { blocking: false, accessible: false, x_blocking_flags: 0 };
    case 'dns':
      return { blocking: 'dns', accessible: false, x_blocking_flags: FLAGS.dns };
    case 'tcp_ip':
      return { blocking: 'tcp_ip', accessible: false, x_blocking_flags: FLAGS.tcp_ip };
    case 'tls':
      return { blocking: 'http-failure', accessible: false, x_blocking_flags: FLAGS.tls };
    case 'http-failure':
      return { blocking: 'http-failure', accessible: false, x_blocking_flags: FLAGS.http };
    case 'http-blockpage':
    case 'http-diff':
      return { blocking: 'http-diff', accessible: false, x_blocking_flags: FLAGS.diff };
    case 'unknown':
      return { blocking: null, accessible: null, x_blocking_flags: 0 };
  }
}

export function computeVerdict(input: string, tk: Pick<WebConnectivityTestKeys, 'queries' | 'tcp_connect' | 'tls_handshakes' | 'requests' | 'control' | 'control_failure'>, fps: FingerprintDb): VerdictFields {
  const reasons: string[] = [];
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return {
      dns_experiment_failure: null, http_experiment_failure: null, dns_consistency: null, body_length_match: null,
      body_proportion: null, status_code_match: null, headers_match: null, title_match: null, ...ooniFields('unknown'),
      x_stackwatch: { verdict: 'unknown', reasons: ['input is not a URL'], fingerprint: null, throttling: null },
    };
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));

  // ---- control ----
  let control: ThResponse | null = null;
  if (!tk.control_failure && tk.control) {
    const parsed = thResponseSchema.safeParse(tk.control);
    if (parsed.success) control = parsed.data;
    else reasons.push('control: answer does not have the test-helper shape');
  }
  if (tk.control_failure) reasons.push(`control failed: ${tk.control_failure}`);

  // ---- DNS ----
  const queries = (tk.queries ?? []).filter((q) => q.hostname === hostname);
  const probeAddrs = new Set<string>();
  for (const q of queries) for (const a of q.answers ?? []) {
    if (a.answer_type === 'A' && a.ipv4) probeAddrs.add(a.ipv4);
    if (a.answer_type === 'AAAA' && a.ipv6) probeAddrs.add(a.ipv6);
  }
  const isIpInput = /^[\d.]+$/.test(hostname) || hostname.includes(':');
  if (isIpInput) probeAddrs.add(hostname);
  let dnsFailure: string | null = null;
  if (probeAddrs.size === 0) dnsFailure = queries.find((q) => q.failure)?.failure ?? (queries.length ? 'dns_no_answer' : null);
  const probeAsns = new Set<number>();
  for (const q of queries) for (const a of q.answers ?? []) if (a.asn) probeAsns.add(a.asn);

  let dnsConsistency: VerdictFields['dns_consistency'] = null;
  let dnsFingerprint: string | null = null;
  let dnsBogon = false;
  for (const ip of isIpInput ? [] : probeAddrs) {
    const fp = matchDnsFingerprint(fps, ip);
    if (fp) {
      dnsFingerprint = fp.name;
      reasons.push(`dns: ${ip} is a known block IP (${fp.name})`);
    } else if (!isIpInput && isBogon(ip)) {
      dnsBogon = true;
      reasons.push(`dns: ${ip} is a bogon/private address`);
    }
  }
  const controlAddrs = new Set(control?.dns.addrs ?? []);
  if (isIpInput) dnsConsistency = 'consistent';
  else if (dnsFingerprint || dnsBogon) dnsConsistency = 'inconsistent';
  else if (dnsFailure) {
    if (control) {
      if (control.dns.failure) {
        dnsConsistency = 'consistent';
        reasons.push(`dns: probe ${dnsFailure}, control ${control.dns.failure} too`);
      } else if (controlAddrs.size > 0) {
        dnsConsistency = 'inconsistent';
        reasons.push(`dns: probe got ${dnsFailure} where the control resolved ${[...controlAddrs].join(', ')}`);
      }
    }
  } else if (control && !control.dns.failure) {
    const shared = [...probeAddrs].filter((a) => controlAddrs.has(a));
    const controlAsns = new Set<number>();
    for (const [ip, info] of Object.entries(control.ip_info ?? {})) if (controlAddrs.has(ip) && info.asn) controlAsns.add(info.asn);
    const sharedAsn = [...probeAsns].filter((a) => controlAsns.has(a));
    const validTls = (tk.tls_handshakes ?? []).some((h) => !h.failure && !h.no_tls_verify && h.server_name === hostname && probeAddrs.has(stripPort(h.address ?? '')));
    if (shared.length) dnsConsistency = 'consistent';
    else if (sharedAsn.length) {
      dnsConsistency = 'consistent';
      reasons.push(`dns: answers differ but share AS${sharedAsn[0]}`);
    } else if (validTls) {
      dnsConsistency = 'consistent';
      reasons.push('dns: answers differ but the probe\'s addresses hold a valid certificate for the domain');
    } else {
      dnsConsistency = 'inconsistent';
      reasons.push(`dns: probe got ${[...probeAddrs].join(', ')}, control ${[...controlAddrs].join(', ') || 'nothing'}`);
    }
  } else if (control?.dns.failure) {
    reasons.push(`dns: probe resolved, control failed (${control.dns.failure})`);
  }
  const dnsBad = dnsConsistency === 'inconsistent';

  // ---- HTTP fingerprints over every hop (a blockpage may sit in a redirect) ----
  const requests = tk.requests ?? [];
  const final: HttpTransaction | undefined = requests[0];
  let httpFingerprint: string | null = null;
  for (const r of [...requests].reverse()) {
    if (r.failure && !r.response.code) continue;
    const m = matchHttpFingerprint(fps, { body: bodyText(r.response.body), headers: headerMap(r.response.headers) });
    if (m) {
      httpFingerprint = m.name;
      reasons.push(`http: ${r.request.url} matches blockpage fingerprint ${m.name} (${m.location} ${m.pattern.slice(0, 80)})`);
      break;
    }
  }

  const httpFailure = final ? final.failure : null;
  const fields = {
    body_length_match: null as boolean | null,
    body_proportion: null as number | null,
    status_code_match: null as boolean | null,
    headers_match: null as boolean | null,
    title_match: null as boolean | null,
  };
  const controlHttpOk = Boolean(control && !control.http_request.failure && control.http_request.status_code > 0);
  if (final && !final.failure && control && controlHttpOk) {
    const probeLen = byteLength(final.response.body);
    const ctrlLen = control.http_request.body_length;
    if (ctrlLen >= 0 && !final.response.body_is_truncated) {
      fields.body_proportion = bodyProportion(probeLen, ctrlLen);
      fields.body_length_match = fields.body_proportion > 0.7;
    }
    const pc = final.response.code;
    const cc = control.http_request.status_code;
    fields.status_code_match = pc === cc ? true : cc >= 200 && cc < 300 ? false : null;
    fields.headers_match = headersMatch(final.response.headers, control.http_request.headers);
    fields.title_match = titleMatch(extractTitle(bodyText(final.response.body)), control.http_request.title);
  }

  const dnsExperimentFailure = dnsFailure;
  const done = (kind: VerdictKind, thr: Evidence['throttling'] = null) => finish(kind, reasons, httpFingerprint ?? dnsFingerprint, thr);
  function finish(kind: VerdictKind, rs: string[], fp: string | null, thr: Evidence['throttling']): VerdictFields {
    return {
      dns_experiment_failure: dnsExperimentFailure ?? null,
      http_experiment_failure: httpFailure ?? null,
      dns_consistency: dnsConsistency ?? null,
      ...fields,
      ...ooniFields(kind),
      x_stackwatch: { verdict: kind, reasons: rs, fingerprint: fp, throttling: thr },
    };
  }

  // Confirmed blocks are stronger than any heuristic and need no control.
  if (dnsFingerprint) return done('dns');
  if (httpFingerprint) return dnsBad ? done('dns') : done('http-blockpage');
  if (!control) {
    reasons.push('no control measurement: cannot tell');
    return done('unknown');
  }

  // DNS failed on the probe
  if (dnsFailure && probeAddrs.size === 0) {
    if (control.dns.failure) {
      reasons.push('site down: the control cannot resolve it either');
      return done('down');
    }
    return done('dns');
  }

  // TCP: connects to the URL's port on the addresses the input resolved to
  const connects = (tk.tcp_connect ?? []).filter((c) => c.port === port && probeAddrs.has(c.ip));
  const anyTcpOk = connects.some((c) => c.status.success);
  const controlTcpOk =
    Object.values(control.tcp_connect).some((c) => c.status) || controlHttpOk;
  if (connects.length && !anyTcpOk) {
    const f = connects.map((c) => `${c.ip}:${c.port} ${c.status.failure}`).join(', ');
    if (dnsBad) {
      reasons.push(`tcp: ${f} (addresses came from inconsistent DNS)`);
      return done('dns');
    }
    if (controlTcpOk) {
      reasons.push(`tcp: probe failed ${f} where the control connects`);
      return done('tcp_ip');
    }
    reasons.push(`site down: probe failed ${f} and the control cannot connect either`);
    return done('down');
  }

  // TLS for https inputs (handshakes on the first hop's addresses)
  if (isTls(input)) {
    const hs = (tk.tls_handshakes ?? []).filter((h) => h.server_name === hostname && probeAddrs.has(stripPort(h.address ?? '')));
    if (hs.length && !hs.some((h) => !h.failure)) {
      const f = hs.map((h) => `${h.address} ${h.failure}`).join(', ');
      if (dnsBad) {
        reasons.push(`tls: ${f} (addresses came from inconsistent DNS)`);
        return done('dns');
      }
      const controlTlsOk = Object.values(control.tls_handshake ?? {}).some((h) => h.status) || controlHttpOk;
      if (controlTlsOk) {
        reasons.push(`tls: probe handshake failed ${f} (SNI ${hostname}) where the control's succeeds`);
        return done('tls');
      }
      reasons.push(`site down: TLS fails ${f} for the control too`);
      return done('down');
    }
  }

  if (!final) {
    reasons.push('no HTTP request was made');
    return done(dnsBad ? 'dns' : 'unknown');
  }
  if (final.failure) {
    if (dnsBad) {
      reasons.push(`http: ${final.failure} (addresses came from inconsistent DNS)`);
      return done('dns');
    }
    if (controlHttpOk) {
      reasons.push(`http: probe failed ${final.failure} on ${final.request.url} where the control fetched it`);
      const op = (final as { x_failed_operation?: unknown }).x_failed_operation;
      const kind: VerdictKind =
        op === 'resolve' ? 'dns' : op === 'connect' ? 'tcp_ip' : op === 'tls_handshake' || isTlsFailure(final.failure) ? 'tls' : 'http-failure';
      return done(kind);
    }
    reasons.push(`site down: probe failed ${final.failure}, control failed ${control.http_request.failure ?? 'too'}`);
    return done('down');
  }

  // The probe fetched something.
  const throttle = throttling(final, control);
  const okOrThrottled = () => {
    if (throttle?.throttled) {
      reasons.push(`throttling: ${fmtRate(throttle.probe_bytes_per_s)} on the probe vs ${fmtRate(throttle.control_bytes_per_s)} for the control (${throttle.ratio.toFixed(1)}x slower)`);
      return done('throttling', throttle);
    }
    return done('ok', throttle);
  };
  if (isTls(final.request.url)) {
    reasons.push('http: final response came over valid TLS');
    return okOrThrottled();
  }
  if (!controlHttpOk) {
    reasons.push(`http: probe fetched the page, the control failed (${control.http_request.failure ?? 'no answer'})`);
    return okOrThrottled();
  }
  const diff =
    fields.status_code_match === false ||
    !(fields.body_length_match === true || fields.headers_match === true || fields.title_match === true);
  if (diff) {
    reasons.push(
      `http: differs from the control (status ${final.response.code} vs ${control.http_request.status_code}, body proportion ${fields.body_proportion?.toFixed(2) ?? 'n/a'}, headers_match ${fields.headers_match}, title_match ${fields.title_match})`,
    );
    return done(dnsBad ? 'dns' : 'http-diff');
  }
  return okOrThrottled();
}

function isTlsFailure(f: string): boolean {
  return f.startsWith('ssl_');
}

function stripPort(address: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(address) ?? /^([^:]+):\d+$/.exec(address);
  return m ? m[1]! : address;
}

function fmtRate(bps: number): string {
  return bps >= 1024 * 1024 ? `${(bps / 1024 / 1024).toFixed(1)} MiB/s` : `${(bps / 1024).toFixed(1)} KiB/s`;
}

/** Throttling evidence from the final transaction's body timing and the control's (Stackwatch TH extension). */
export function throttling(final: HttpTransaction, control: ThResponse): Evidence['throttling'] {
  const pBytes = Number((final as { x_body_bytes?: unknown }).x_body_bytes ?? NaN);
  const pMs = Number((final as { x_body_transfer_ms?: unknown }).x_body_transfer_ms ?? NaN);
  const c = control.x_stackwatch;
  if (!c || !Number.isFinite(pBytes) || !Number.isFinite(pMs)) return null;
  if (pBytes < THROTTLING_MIN_BYTES || c.body_bytes < THROTTLING_MIN_BYTES) return null;
  const probeRate = (pBytes * 1000) / Math.max(pMs, THROTTLING_FLOOR_MS);
  const controlRate = (c.body_bytes * 1000) / Math.max(c.body_transfer_ms, THROTTLING_FLOOR_MS);
  const ratio = controlRate / probeRate;
  return {
    probe_bytes_per_s: Math.round(probeRate),
    control_bytes_per_s: Math.round(controlRate),
    ratio: Math.round(ratio * 100) / 100,
    throttled: ratio >= THROTTLING_RATIO,
  };
}
