import { thResponseSchema, type ThResponse, type VerdictKind, type Evidence, type HttpTransaction, type WebConnectivityTestKeys, type DnsQuery } from './model.js';
import { matchDnsFingerprint, matchHttpFingerprints, type FingerprintDb, type HttpFingerprintMatch } from './fingerprints.js';
import { isBogon } from './ip.js';
import { lookupAsn } from './asn.js';

/**
 * The web-connectivity verdict engine: pure, from the raw test keys (what the probe saw and the control the test
 * helper returned) to OONI's verdict fields plus our finer verdict with the evidence behind it.
 *
 * It follows OONI's current "classic" analysis (probe-cli webconnectivitylte/analysisclassic.go on top of the
 * minipipeline): only the system resolver's lookups count for `blocking` (other resolvers are judged separately
 * and reported); the redirect chain is walked from the last hop back to the first, and in each hop the most
 * advanced operation decides (HTTP, then TLS, then TCP, then DNS); inconsistent DNS turns any failure or
 * difference into `dns`. The places where Stackwatch deliberately differs are listed in docs/measure.md.
 * Re-running it on a stored measurement gives the verdict that was written (round-trip property).
 */

/** Headers too common to say anything about whether two responses come from the same server (OONI's list). */
export const COMMON_HEADERS = new Set([
  'date', 'content-type', 'server', 'cache-control', 'vary', 'set-cookie', 'location', 'expires', 'x-powered-by',
  'content-encoding', 'last-modified', 'accept-ranges', 'pragma', 'x-frame-options', 'etag', 'x-content-type-options',
  'age', 'via', 'p3p', 'x-xss-protection', 'content-language', 'cf-ray', 'strict-transport-security', 'link', 'x-varnish',
]);
/** Framing headers our own HTTP client records; they identify no server (OONI's Go client hides them). */
const FRAMING_HEADERS = new Set(['connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** OONI stops following redirects after this many. */
export const MAX_REDIRECTS = 10;

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
  x_stackwatch_blocking_flags: number;
  x_stackwatch: Evidence;
}

export interface VerdictOptions {
  /** The probe's country (measurement `probe_cc`): fingerprints scoped to other countries only count as likely. */
  probeCc?: string | null;
  /** The measurement's own `http_experiment_failure` (OONI v0.5 sets it when a redirect's next hop failed unrecorded). */
  recordedHttpFailure?: string | null;
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
    .filter((w) => Buffer.byteLength(w) >= 5)
    .map((w) => w.toLowerCase());
}

/** OONI: every word of 5+ bytes appears in both titles (order ignored). */
export function titleMatch(probeTitle: string, controlTitle: string): boolean {
  const words = new Map<string, number>();
  for (const w of titleWords(probeTitle)) words.set(w, (words.get(w) ?? 0) | 1);
  for (const w of titleWords(controlTitle)) words.set(w, (words.get(w) ?? 0) | 2);
  for (const v of words.values()) if (v !== 3) return false;
  return true;
}

/** OONI: the same header names, or at least one uncommon header name in common. */
export function headersMatch(probe: Record<string, unknown>, control: Record<string, unknown>): boolean {
  const p = new Set(Object.keys(probe).map((k) => k.toLowerCase()).filter((k) => !FRAMING_HEADERS.has(k)));
  const c = new Set(Object.keys(control).map((k) => k.toLowerCase()).filter((k) => !FRAMING_HEADERS.has(k)));
  if (p.size === c.size && [...p].every((k) => c.has(k))) return true;
  return [...p].some((k) => c.has(k) && !COMMON_HEADERS.has(k));
}

export function bodyProportion(a: number, b: number): number {
  if (a === 0 && b === 0) return 1;
  if (a === 0 || b === 0) return 0;
  return Math.min(a / b, b / a);
}

export function bodyText(b: unknown): string | null {
  if (typeof b === 'string') return b;
  if (b && typeof b === 'object' && (b as { format?: string }).format === 'base64') {
    return Buffer.from(String((b as { data: string }).data), 'base64').toString('latin1');
  }
  return null;
}

function headerMap(h: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) out[k] = typeof v === 'string' ? v : (bodyText(v) ?? '');
  return out;
}

function byteLength(b: unknown): number {
  if (typeof b === 'string') return Buffer.byteLength(b, 'utf8');
  if (b && typeof b === 'object' && (b as { format?: string }).format === 'base64') {
    return Buffer.from(String((b as { data: string }).data), 'base64').length;
  }
  return 0;
}

/** Our verdict kind → OONI's `blocking`/`accessible` pair (used for our own flags). */
export function ooniFields(kind: VerdictKind): Pick<VerdictFields, 'blocking' | 'accessible' | 'x_stackwatch_blocking_flags'> {
  switch (kind) {
    case 'ok':
    case 'throttling':
      return { blocking: false, accessible: true, x_stackwatch_blocking_flags: FLAGS.success };
    case 'down':
      return { blocking: false, accessible: false, x_stackwatch_blocking_flags: 0 };
    case 'dns':
      return { blocking: 'dns', accessible: false, x_stackwatch_blocking_flags: FLAGS.dns };
    case 'tcp_ip':
      return { blocking: 'tcp_ip', accessible: false, x_stackwatch_blocking_flags: FLAGS.tcp_ip };
    case 'tls':
      return { blocking: 'http-failure', accessible: false, x_stackwatch_blocking_flags: FLAGS.tls };
    case 'http-failure':
      return { blocking: 'http-failure', accessible: false, x_stackwatch_blocking_flags: FLAGS.http };
    case 'http-blockpage':
    case 'http-diff':
      return { blocking: 'http-diff', accessible: false, x_stackwatch_blocking_flags: FLAGS.diff };
    case 'unknown':
      return { blocking: null, accessible: null, x_stackwatch_blocking_flags: 0 };
  }
}

/** Engines that are the system resolver (OONI: getaddrinfo; v0.4 and older probes: "system"). */
const SYSTEM_ENGINES = new Set(['system', 'getaddrinfo', 'golang_net_resolver', 'go']);

type Op = 'resolve' | 'connect' | 'tls_handshake' | 'http_round_trip';

function stripPort(address: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(address) ?? /^([^:]+):\d+$/.exec(address);
  return m ? m[1]! : address;
}

function endpointKey(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function hostOf(u: URL): string {
  return u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

function portOf(u: URL): number {
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
}

function depthTag(x: object): number | null {
  const tags = (x as { tags?: unknown }).tags;
  if (!Array.isArray(tags)) return null;
  for (const t of tags) {
    const m = typeof t === 'string' ? /^depth=(\d+)$/.exec(t) : null;
    if (m) return Number(m[1]);
  }
  return null;
}

/** Which operation a failure string can only come from (null when ambiguous). */
function opOfFailure(f: string): Op | null {
  if (f.startsWith('dns_')) return 'resolve';
  if (f === 'connection_refused' || f === 'host_unreachable' || f === 'network_unreachable') return 'connect';
  if (f.startsWith('ssl_')) return 'tls_handshake';
  return null;
}

const isAaaaNoAnswer = (q: DnsQuery) => q.query_type === 'AAAA' && q.failure === 'dns_no_answer';

/** The answer's ASN: the measurement's own when given, else from the offline database. */
function asnOf(ip: string, given?: number): number {
  if (given && given > 0) return given;
  return lookupAsn(ip)?.asn ?? 0;
}

interface ResolverJudgement {
  engine: string;
  resolver_address: string;
  addrs: string[];
  failure: string | null;
  consistency: 'consistent' | 'inconsistent' | null;
}

export function computeVerdict(
  input: string,
  tk: Pick<WebConnectivityTestKeys, 'queries' | 'tcp_connect' | 'tls_handshakes' | 'requests' | 'control' | 'control_failure'>,
  fps: FingerprintDb,
  opts: VerdictOptions = {},
): VerdictFields {
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
  const hostname = hostOf(url);
  const port = portOf(url);
  const probeCc = (opts.probeCc ?? '').toUpperCase();

  // ---- control ----
  let control: ThResponse | null = null;
  if (!tk.control_failure && tk.control) {
    const parsed = thResponseSchema.safeParse(tk.control);
    if (parsed.success) control = parsed.data;
    else reasons.push('control: answer does not have the test-helper shape');
  }
  if (tk.control_failure) reasons.push(`control failed: ${tk.control_failure}`);
  const ctrlHttp = control?.http_request ?? null;
  /** OONI's ControlHTTPFailure: null = no control; '' = the control fetched the page; else its failure. */
  const controlHttpFailure: string | null = ctrlHttp ? (ctrlHttp.failure ?? (ctrlHttp.status_code > 0 ? '' : 'unknown_failure: no status')) : null;
  // The helper's DNS: "no addresses and no failure" is not a successful lookup; it counts as dns_no_answer.
  const controlAddrs = new Set(control?.dns.addrs ?? []);
  const controlDnsFailure: string | null = control ? (control.dns.failure ?? (controlAddrs.size ? '' : 'dns_no_answer')) : null;

  // ---- DNS: the system resolver decides (OONI's classic filter); other resolvers are judged and reported ----
  const isIpInput = /^[\d.]+$/.test(hostname) || hostname.includes(':');
  const sameHost = (q: DnsQuery) => q.hostname.toLowerCase().replace(/\.$/, '') === hostname;
  const allQueries = (tk.queries ?? []).filter((q) => sameHost(q) && (depthTag(q) ?? 0) === 0);
  const hasSystem = allQueries.some((q) => SYSTEM_ENGINES.has(q.engine));
  const classicQueries = hasSystem ? allQueries.filter((q) => SYSTEM_ENGINES.has(q.engine)) : allQueries;
  const otherQueries = hasSystem ? allQueries.filter((q) => !SYSTEM_ENGINES.has(q.engine)) : [];
  const addrsOf = (qs: DnsQuery[]) => {
    const out: { ip: string; asn: number }[] = [];
    for (const q of qs) for (const a of q.answers ?? []) {
      if (a.answer_type === 'A' && a.ipv4) out.push({ ip: a.ipv4, asn: a.asn ?? 0 });
      if (a.answer_type === 'AAAA' && a.ipv6) out.push({ ip: a.ipv6, asn: a.asn ?? 0 });
    }
    return out;
  };
  const probeAnswers = addrsOf(classicQueries);
  const probeAddrs = new Set(probeAnswers.map((a) => a.ip));
  if (isIpInput) probeAddrs.add(hostname);
  const realFailures = classicQueries.filter((q) => q.failure && !isAaaaNoAnswer(q));
  const dnsExperimentFailure = realFailures[0]?.failure ?? null;
  let dnsFailure: string | null = null;
  if (probeAddrs.size === 0) dnsFailure = dnsExperimentFailure ?? (classicQueries.length ? 'dns_no_answer' : null);

  const controlAsns = new Set<number>();
  for (const ip of controlAddrs) {
    const a = asnOf(ip, control?.ip_info?.[ip]?.asn);
    if (a) controlAsns.add(a);
  }
  const validTlsAddrs = new Set(
    (tk.tls_handshakes ?? []).filter((h) => !h.failure && !h.no_tls_verify && h.server_name.toLowerCase() === hostname).map((h) => stripPort(h.address ?? '')),
  );
  /** Judges one resolver's answer against the control, as OONI's minipipeline does for the system resolver. */
  const judge = (answers: { ip: string; asn: number }[], failure: string | null): { consistency: ResolverJudgement['consistency']; why: string } => {
    const ips = [...new Set(answers.map((a) => a.ip))];
    if (!ips.length) {
      if (!failure) return { consistency: null, why: 'no lookup' };
      if (controlDnsFailure === null) return { consistency: null, why: `${failure}, no control to compare with` };
      if (controlDnsFailure !== '') return { consistency: 'consistent', why: `${failure}, the control fails too (${controlDnsFailure})` };
      return { consistency: 'inconsistent', why: `${failure} where the control resolved ${[...controlAddrs].join(', ')}` };
    }
    const bogons = ips.filter((ip) => isBogon(ip) && !controlAddrs.has(ip));
    if (bogons.length) return { consistency: 'inconsistent', why: `${bogons.join(', ')}: bogon/private address the control does not see` };
    if (controlDnsFailure === null) return { consistency: null, why: `resolved ${ips.join(', ')}, no control to compare with` };
    if (controlDnsFailure !== '') return { consistency: 'inconsistent', why: `resolved ${ips.join(', ')} but the control gets ${controlDnsFailure} (a name that should not exist)` };
    if (ips.some((ip) => controlAddrs.has(ip))) return { consistency: 'consistent', why: 'shares an address with the control' };
    const asns = answers.map((a) => asnOf(a.ip, a.asn)).filter((a) => a > 0);
    const shared = asns.find((a) => controlAsns.has(a));
    if (shared) return { consistency: 'consistent', why: `different addresses, same AS${shared}` };
    if (ips.some((ip) => validTlsAddrs.has(ip))) return { consistency: 'consistent', why: 'different addresses, but they hold a valid certificate for the name' };
    return { consistency: 'inconsistent', why: `resolved ${ips.join(', ')}; the control ${[...controlAddrs].join(', ')} (no shared address or AS)` };
  };

  let dnsConsistency: VerdictFields['dns_consistency'] = null;
  if (isIpInput) dnsConsistency = 'consistent';
  else if (classicQueries.length) {
    const j = judge(probeAnswers, dnsFailure);
    dnsConsistency = j.consistency;
    reasons.push(`dns (${classicQueries[0]!.engine}): ${j.why}`);
  }
  // other resolvers (OONI v0.5: UDP, DNS-over-HTTPS): judged one by one, reported, never hiding the system's answer
  const resolvers: ResolverJudgement[] = [];
  const byResolver = new Map<string, DnsQuery[]>();
  for (const q of otherQueries) {
    const k = `${q.engine} ${q.resolver_address}`;
    byResolver.set(k, [...(byResolver.get(k) ?? []), q]);
  }
  for (const qs of byResolver.values()) {
    const answers = addrsOf(qs);
    const failure = answers.length ? null : (qs.find((q) => q.failure && !isAaaaNoAnswer(q))?.failure ?? null);
    // a DNS-over-HTTPS failure says the DoH service is blocked, not the site (OONI ignores it)
    const j = failure && qs[0]!.engine === 'doh' ? { consistency: null, why: `${failure} (the DoH service itself)` } : judge(answers, failure);
    resolvers.push({ engine: qs[0]!.engine, resolver_address: qs[0]!.resolver_address, addrs: [...new Set(answers.map((a) => a.ip))], failure, consistency: j.consistency });
    reasons.push(`dns (${qs[0]!.engine} ${qs[0]!.resolver_address}): ${j.why}${j.consistency ? ` (${j.consistency}; reported, not used for the verdict)` : ''}`);
  }
  const dnsBad = dnsConsistency === 'inconsistent';

  // ---- the redirect chain, oldest first ----
  // OONI v0.5 (LTE) also fetches through addresses that other resolvers (DoH, UDP) or the helper found; like OONI's
  // classic filter, only fetches through the system resolver's addresses count. Depth tags order the hops.
  const systemAddrsFor = (host: string): Set<string> | null => {
    if (!hasSystem) return null;
    const qs = (tk.queries ?? []).filter((q) => q.hostname.toLowerCase().replace(/\.$/, '') === host && SYSTEM_ENGINES.has(q.engine));
    return new Set(addrsOf(qs).map((a) => a.ip));
  };
  let reqs = [...(tk.requests ?? [])];
  if (hasSystem) {
    reqs = reqs.filter((r) => {
      if (!r.address) return true;
      let h: string;
      try {
        h = hostOf(new URL(r.request.url));
      } catch {
        return true;
      }
      if (/^[\d.]+$/.test(h) || h.includes(':')) return true;
      const ok = systemAddrsFor(h);
      return !ok || ok.has(stripPort(r.address));
    });
    if (reqs.length < (tk.requests ?? []).length) reasons.push(`http: ${(tk.requests ?? []).length - reqs.length} fetch(es) through addresses the system resolver did not give are not used for the verdict (OONI's classic filter)`);
  }
  const hops: HttpTransaction[] = reqs.every((r) => depthTag(r) !== null)
    ? [...reqs].sort((a, b) => depthTag(a)! - depthTag(b)!)
    : [...reqs].reverse();
  const lastHop = hops[hops.length - 1];

  // ---- fingerprints (confirmed vs likely; scoped; never against what the control sees) ----
  let confirmed: string | null = null;
  let likely: string | null = null;
  let confirmedKind: 'dns' | 'http' | null = null;
  const scopeOk = (countries: string[]) => countries.length === 0 || (probeCc !== '' && probeCc !== 'ZZ' && countries.includes(probeCc));
  const weakScopes = new Set(['vbw', 'injb', 'prov', '']);
  for (const ip of isIpInput ? [] : probeAddrs) {
    const fp = matchDnsFingerprint(fps, ip);
    if (!fp) continue;
    if (controlAddrs.has(ip)) {
      reasons.push(`dns: ${ip} matches ${fp.name}, but the control resolves ${ip} too: not evidence of blocking`);
      continue;
    }
    if (weakScopes.has(fp.scope) || !scopeOk(fp.countries)) {
      likely ??= fp.name;
      reasons.push(`dns: ${ip} matches ${fp.name} (${weakScopes.has(fp.scope) ? 'a vague pattern' : `scoped to ${fp.countries.join(',')}, probe in ${probeCc || 'an unknown country'}`}): likely, not confirmed`);
    } else if (!confirmed) {
      confirmed = fp.name;
      confirmedKind = 'dns';
      reasons.push(`dns: ${ip} is a known block IP (${fp.name}): confirmed`);
    }
  }
  const ctrlTitle = ctrlHttp?.title ?? '';
  const ctrlHeaders = headerMap(ctrlHttp?.headers ?? {});
  hops.forEach((r, i) => {
    if (r.failure && !r.response.code) return;
    const isFinal = i === hops.length - 1;
    let overTls = false;
    try {
      overTls = new URL(r.request.url).protocol === 'https:' && !r.failure;
    } catch {
      /* not a URL */
    }
    const matches = matchHttpFingerprints(fps, { body: bodyText(r.response.body), headers: headerMap(r.response.headers) });
    for (const m of matches) {
      if (overTls) {
        reasons.push(`http: ${r.request.url} matches ${m.name}, but it came over valid TLS from the site itself: not evidence of blocking`);
        continue;
      }
      if (isFinal && controlSeesSame(m, r, ctrlTitle, ctrlHeaders, ctrlHttp)) {
        reasons.push(`http: ${r.request.url} matches ${m.name}, but the control sees the same page: not evidence of blocking`);
        continue;
      }
      if (weakScopes.has(m.scope) || !scopeOk(m.countries)) {
        likely ??= m.name;
        reasons.push(`http: ${r.request.url} matches ${m.name} (${weakScopes.has(m.scope) ? 'vague blocking words' : `scoped to ${m.countries.join(',')}, probe in ${probeCc || 'an unknown country'}`}): likely, not confirmed`);
        continue;
      }
      if (!confirmed) {
        confirmed = m.name;
        confirmedKind = 'http';
        reasons.push(`http: ${r.request.url} matches blockpage fingerprint ${m.name} (${m.location} ${m.pattern.slice(0, 80)}): confirmed`);
      }
      break;
    }
  });

  // ---- HTTP diff values for the final response ----
  const fields = {
    body_length_match: null as boolean | null,
    body_proportion: null as number | null,
    status_code_match: null as boolean | null,
    headers_match: null as boolean | null,
    title_match: null as boolean | null,
  };
  if (lastHop && !lastHop.failure && ctrlHttp && controlHttpFailure === '') {
    const probeLen = byteLength(lastHop.response.body);
    const ctrlLen = ctrlHttp.body_length;
    if (ctrlLen > 0 && probeLen > 0 && !lastHop.response.body_is_truncated) {
      fields.body_proportion = bodyProportion(probeLen, ctrlLen);
      fields.body_length_match = fields.body_proportion > 0.7;
    }
    const pc = lastHop.response.code;
    const cc = ctrlHttp.status_code;
    if (pc > 0 && cc > 0 && (pc === cc || Math.floor(cc / 100) === 2)) fields.status_code_match = pc === cc;
    const ph = headerMap(lastHop.response.headers);
    if (Object.keys(ph).length && Object.keys(ctrlHttp.headers).length) fields.headers_match = headersMatch(ph, ctrlHttp.headers);
    const pt = extractTitle(bodyText(lastHop.response.body));
    if (pc > 0 && cc > 0 && !lastHop.response.body_is_truncated && pt && ctrlTitle) fields.title_match = titleMatch(pt, ctrlTitle);
  }
  const httpDiff = !(fields.status_code_match === true && (fields.body_length_match === true || fields.headers_match === true || fields.title_match === true));

  // ---- OONI's decision ----
  type Outcome = { blocking: VerdictFields['blocking']; accessible: boolean | null; kind: VerdictKind; httpFailure: string | null };
  const setFalse = (why: string, f: string | null = null): Outcome => (reasons.push(why), { blocking: false, accessible: true, kind: 'ok', httpFailure: f });
  const setNil = (why: string, f: string | null = null): Outcome => {
    reasons.push(why);
    return dnsBad ? { blocking: 'dns', accessible: false, kind: 'dns', httpFailure: f } : { blocking: null, accessible: null, kind: 'unknown', httpFailure: f };
  };
  const setString = (b: 'tcp_ip' | 'http-failure' | 'http-diff' | 'dns', kind: VerdictKind, why: string, f: string | null): Outcome => {
    reasons.push(why);
    if (dnsBad && b !== 'dns') reasons.push('dns: the addresses came from an inconsistent DNS answer, so the failure counts as DNS blocking');
    return dnsBad ? { blocking: 'dns', accessible: false, kind: 'dns', httpFailure: f } : { blocking: b, accessible: false, kind, httpFailure: f };
  };
  const setDown = (why: string, f: string | null): Outcome => {
    reasons.push(why);
    return dnsBad ? { blocking: 'dns', accessible: false, kind: 'dns', httpFailure: f } : { blocking: false, accessible: false, kind: 'down', httpFailure: f };
  };

  /** Control results for the first hop's endpoints (the helper measures those only). */
  const controlFor = (kind: 'tcp' | 'tls', ep: string): string | null => {
    if (!control) return null;
    if (kind === 'tcp') {
      const c = control.tcp_connect[ep];
      return c ? (c.status ? '' : (c.failure ?? 'unknown_failure')) : null;
    }
    const t = control.tls_handshake?.[ep];
    if (!t || t.server_name.toLowerCase() !== hostname) return null;
    return t.status ? '' : (t.failure ?? 'unknown_failure');
  };

  const decide = (): Outcome => {
    const httpFailureRule = (f: string, where: string): Outcome => {
      if (controlHttpFailure === null) return setNil(`http: ${where} failed (${f}); no control to compare with`, f);
      if (controlHttpFailure !== '') return setDown(`site down: ${where} failed (${f}) and the control fails too (${controlHttpFailure})`, f);
      return setString('http-failure', 'http-failure', `http: ${where} failed (${f}) where the control fetched the page`, f);
    };
    /** A failed connect/handshake: with control data for the endpoint (first hop) or without (a redirect's hop). */
    const endpointRule = (op: 'connect' | 'tls_handshake', f: string, ctrl: string | null, where: string): Outcome => {
      const what = op === 'connect' ? 'tcp' : 'tls';
      if (ctrl === null) {
        if (controlHttpFailure === null) return setNil(`${what}: ${where} failed (${f}); no control to compare with`, f);
        return setString('http-failure', op === 'connect' ? 'http-failure' : 'tls', `${what}: ${where} failed (${f}); the control has no result for it but fetched the page`, f);
      }
      if (ctrl !== '') return setDown(`site down: ${where} failed (${f}) and the control fails too (${ctrl})`, f);
      return op === 'connect'
        ? setString('tcp_ip', 'tcp_ip', `tcp: ${where} failed (${f}) where the control connects`, f)
        : setString('http-failure', 'tls', `tls: ${where} failed (${f}, SNI ${hostname}) where the control's handshake succeeds`, f);
    };
    const dnsRule = (f: string, depth: number, host: string): Outcome => {
      if (depth > 0 || controlDnsFailure === null) {
        if (controlHttpFailure === null) return setNil(`dns: ${host} failed (${f}); no control to compare with`, f);
        return setString('dns', 'dns', `dns: redirect target ${host} does not resolve (${f}) where the control fetched the page`, f);
      }
      if (controlDnsFailure !== '') return setDown(`site down: ${f}, and the control cannot resolve it either (${controlDnsFailure})`, f);
      return setString('dns', 'dns', `dns: ${f} where the control resolved ${[...controlAddrs].join(', ')}`, f);
    };

    // walk the chain from the last hop back
    for (let d = hops.length - 1; d >= 0; d--) {
      const r = hops[d]!;
      let hu: URL | null = null;
      try {
        hu = new URL(r.request.url);
      } catch {
        hu = null;
      }
      const where = d === 0 ? r.request.url : `redirect hop ${d} (${r.request.url})`;
      if (!r.failure) {
        const code = r.response.code;
        const isFinal = code >= 200 && !(code >= 300 && code < 400);
        if (isFinal) {
          if (hu?.protocol === 'https:') return setFalse(`http: final response ${code} came over valid TLS`);
          if (controlHttpFailure === null) return setNil(`http: got ${code} but there is no control to compare with`);
          if (!httpDiff) return setFalse(`http: the page matches the control's (status ${code}, body proportion ${fields.body_proportion?.toFixed(2) ?? 'n/a'}, headers ${fields.headers_match}, title ${fields.title_match})`);
          return setString(
            'http-diff',
            confirmedKind === 'http' ? 'http-blockpage' : 'http-diff',
            `http: differs from the control (status ${code} vs ${ctrlHttp?.status_code}, body proportion ${fields.body_proportion?.toFixed(2) ?? 'n/a'}, headers_match ${fields.headers_match}, title_match ${fields.title_match})`,
            null,
          );
        }
        // a redirect: the next hop decides; if it was not recorded, look for what happened to it
        if (d === hops.length - 1) {
          if (d >= MAX_REDIRECTS) return httpFailureRule('unknown_failure: stopped after 10 redirects', `the chain`);
          const loc = Object.entries(headerMap(r.response.headers)).find(([k]) => k.toLowerCase() === 'location')?.[1];
          let next: URL | null = null;
          try {
            next = loc ? new URL(loc, r.request.url) : null;
          } catch {
            next = null;
          }
          const recorded = opts.recordedHttpFailure ?? null;
          if (next) {
            const nh = hostOf(next);
            const nq = (tk.queries ?? []).filter((q) => q.hostname.toLowerCase() === nh && (depthTag(q) ?? d + 1) === d + 1);
            const nAddrs = addrsOf(nq);
            const nFail = nq.find((q) => q.failure && !isAaaaNoAnswer(q))?.failure;
            if (nq.length && !nAddrs.length && nFail) return dnsRule(nFail, d + 1, nh);
            const nTcp = (tk.tcp_connect ?? []).filter((c) => depthTag(c) === d + 1 || (depthTag(c) === null && nh !== hostname && nAddrs.some((a) => a.ip === c.ip) && c.port === portOf(next!)));
            if (nTcp.length && nTcp.every((c) => !c.status.success)) return endpointRule('connect', nTcp[0]!.status.failure ?? 'unknown_failure', null, `redirect hop ${d + 1} (${next.href})`);
            const nTls = (tk.tls_handshakes ?? []).filter((h) => depthTag(h) === d + 1 || (depthTag(h) === null && nh !== hostname && h.server_name.toLowerCase() === nh));
            if (nTls.length && nTls.every((h) => h.failure)) return endpointRule('tls_handshake', nTls[0]!.failure!, null, `redirect hop ${d + 1} (${next.href})`);
          }
          if (recorded) {
            const op = opOfFailure(recorded);
            const w = `redirect hop ${d + 1}${next ? ` (${next.href})` : ''}`;
            if (op === 'resolve') return dnsRule(recorded, d + 1, next ? hostOf(next) : '?');
            if (op === 'connect' || op === 'tls_handshake') return endpointRule(op, recorded, null, w);
            return httpFailureRule(recorded, w);
          }
          if (!next) return setNil(`http: the last response is a ${code} redirect without a usable Location`);
          return setNil(`http: the last recorded response is a ${code} redirect to ${next.href}; what happened next was not recorded: cannot tell`);
        }
        continue;
      }
      // a failed hop: where did it fail?
      const f = r.failure;
      let op: Op | null = null;
      const xop = (r as { x_failed_operation?: unknown }).x_failed_operation;
      if (xop === 'resolve' || xop === 'connect' || xop === 'tls_handshake' || xop === 'http_round_trip') op = xop;
      if (!op && d === 0 && hu) {
        const hp = portOf(hu);
        const tcps = (tk.tcp_connect ?? []).filter((c) => c.port === hp && probeAddrs.has(c.ip) && (depthTag(c) ?? 0) === 0);
        const tlss = (tk.tls_handshakes ?? []).filter((h) => h.server_name.toLowerCase() === hostname && probeAddrs.has(stripPort(h.address ?? '')) && (depthTag(h) ?? 0) === 0);
        if (probeAddrs.size === 0) op = 'resolve';
        else if (tcps.length && tcps.every((c) => !c.status.success)) op = 'connect';
        else if (hu.protocol === 'https:' && tlss.length && tlss.every((h) => h.failure)) op = 'tls_handshake';
        else op = opOfFailure(f) === 'resolve' ? 'resolve' : 'http_round_trip';
      }
      if (!op && d > 0) {
        const tcps = (tk.tcp_connect ?? []).filter((c) => depthTag(c) === d);
        const tlss = (tk.tls_handshakes ?? []).filter((h) => depthTag(h) === d);
        if (tcps.length && tcps.every((c) => !c.status.success)) op = 'connect';
        else if (tlss.length && tlss.every((h) => h.failure)) op = 'tls_handshake';
        else op = opOfFailure(f) ?? 'http_round_trip';
      }
      op ??= 'http_round_trip';
      if (op === 'http_round_trip') return httpFailureRule(f, where);
      if (op === 'resolve') return dnsRule(f, d, hu ? hostOf(hu) : '?');
      if (d === 0 && hu) {
        const hp = portOf(hu);
        const eps = op === 'connect'
          ? (tk.tcp_connect ?? []).filter((c) => c.port === hp && probeAddrs.has(c.ip)).map((c) => endpointKey(c.ip, c.port))
          : (tk.tls_handshakes ?? []).filter((h) => h.server_name.toLowerCase() === hostname && probeAddrs.has(stripPort(h.address ?? ''))).map((h) => h.address ?? '');
        if (r.address) eps.push(r.address);
        const ctrl = eps.map((e) => controlFor(op === 'connect' ? 'tcp' : 'tls', e)).filter((x): x is string => x !== null);
        // the control succeeded on some endpoint → blocking; it failed on all it tried → down; none → fall back
        const c = ctrl.length ? (ctrl.includes('') ? '' : ctrl[0]!) : null;
        return endpointRule(op, f, c, where);
      }
      return endpointRule(op, f, null, where);
    }

    // no HTTP transaction at all: the first hop's TLS, TCP or DNS decides
    if (!isIpInput && probeAddrs.size === 0) {
      if (!dnsFailure) return setNil('dns: no lookup was recorded');
      return dnsRule(dnsFailure, 0, hostname);
    }
    const tcps = (tk.tcp_connect ?? []).filter((c) => c.port === port && probeAddrs.has(c.ip));
    if (tcps.length && tcps.every((c) => !c.status.success)) {
      const ctrl = tcps.map((c) => controlFor('tcp', endpointKey(c.ip, c.port))).filter((x): x is string => x !== null);
      return endpointRule('connect', tcps[0]!.status.failure ?? 'unknown_failure', ctrl.length ? (ctrl.includes('') ? '' : ctrl[0]!) : null, url.href);
    }
    const tlss = (tk.tls_handshakes ?? []).filter((h) => h.server_name.toLowerCase() === hostname && probeAddrs.has(stripPort(h.address ?? '')));
    if (url.protocol === 'https:' && tlss.length && tlss.every((h) => h.failure)) {
      const ctrl = tlss.map((h) => controlFor('tls', h.address ?? '')).filter((x): x is string => x !== null);
      return endpointRule('tls_handshake', tlss[0]!.failure!, ctrl.length ? (ctrl.includes('') ? '' : ctrl[0]!) : null, url.href);
    }
    if (opts.recordedHttpFailure) return httpFailureRule(opts.recordedHttpFailure, url.href);
    return setNil('no HTTP request was recorded: cannot tell');
  };

  const o = decide();
  // our finer verdict: a confirmed fingerprint names the block, even where OONI's fields could not tell
  let kind: VerdictKind = o.kind;
  if (o.accessible !== true) {
    if (confirmedKind === 'dns') kind = 'dns';
    else if (confirmedKind === 'http') kind = 'http-blockpage';
  } else if (confirmed) {
    reasons.push(`the fingerprint ${confirmed} matched, but the site was reached: not counted`);
    confirmed = null;
  }
  if (likely && !confirmed) reasons.push(`likely blockpage (${likely}); not confirmed, so it opens no incident`);
  const flags = ooniFields(kind).x_stackwatch_blocking_flags;
  return {
    dns_experiment_failure: dnsExperimentFailure,
    http_experiment_failure: o.httpFailure ?? (dnsFailure && probeAddrs.size === 0 ? dnsFailure : null),
    dns_consistency: dnsConsistency,
    ...fields,
    blocking: o.blocking,
    accessible: o.accessible,
    x_stackwatch_blocking_flags: flags,
    x_stackwatch: {
      verdict: kind,
      reasons,
      fingerprint: kind === 'ok' || kind === 'down' ? null : confirmed,
      fingerprint_likely: likely,
      throttling: null,
      ...(resolvers.length ? { resolvers } : {}),
    },
  };
}

/** The control's page shows the same thing the fingerprint matched: then it is the site's own page. */
function controlSeesSame(m: HttpFingerprintMatch, r: HttpTransaction, ctrlTitle: string, ctrlHeaders: Record<string, string>, ctrlHttp: ThResponse['http_request'] | null): boolean {
  if (!ctrlHttp || ctrlHttp.failure || ctrlHttp.status_code <= 0) return false;
  if (m.location.startsWith('header.')) {
    const name = m.location.slice('header.'.length);
    const v = Object.entries(ctrlHeaders).find(([k]) => k.toLowerCase() === name)?.[1];
    return v !== undefined && m.test(v);
  }
  // body: the control reports the title, status and length of its page
  if (ctrlTitle && m.test(ctrlTitle)) return true;
  const pt = extractTitle(bodyText(r.response.body));
  const sameStatus = r.response.code === ctrlHttp.status_code;
  const len = byteLength(r.response.body);
  const sameLength = ctrlHttp.body_length > 0 && len > 0 && bodyProportion(len, ctrlHttp.body_length) > 0.7;
  const sameTitle = Boolean(pt && ctrlTitle && titleMatch(pt, ctrlTitle));
  return sameStatus && (sameTitle || (sameLength && (!pt || !ctrlTitle)));
}
