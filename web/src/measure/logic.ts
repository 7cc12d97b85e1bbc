/**
 * Pure logic of the measurements pages: verdict counts, the blocked-domains chart geometry, and the side-by-side
 * comparison of what the probe saw with what the control (test helper) saw, step by step (DNS, TCP, TLS, HTTP).
 * No React and no DOM here, so the browser test can check it directly.
 */
import { BLOCKING_VERDICTS, VERDICTS, type AnomalyRow, type BlockedDay, type RawBody, type RawMeasurement, type RawRequest, type RawTestKeys, type Verdict } from './types.js';

/* ------------------------------------------------------------------ verdict counts */

/** Colour of each verdict: interference in warm reds, oranges and purples, down grey, reachable green. */
export const VERDICT_COLOURS: Record<Verdict, string> = {
  dns: '#b3261e',
  tcp_ip: '#d2691e',
  tls: '#7b3fa0',
  'http-blockpage': '#7a1238',
  'http-diff': '#c2185b',
  'http-failure': '#e07a5f',
  throttling: '#b8860b',
  down: '#6b7280',
  ok: '#2e7d4f',
  unknown: '#c9ced6',
};

export type VerdictCounts = Record<Verdict, number>;

/** Sums the per-group counts of `/api/measure/aggregate` into one count per verdict (every verdict present). */
export function countVerdicts(rows: AnomalyRow[]): VerdictCounts {
  const out = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as VerdictCounts;
  for (const r of rows)
    for (const [k, n] of Object.entries(r.byKind)) if ((VERDICTS as readonly string[]).includes(k) && Number.isFinite(n)) out[k as Verdict] += n;
  return out;
}

export interface Segment {
  kind: Verdict;
  count: number;
  /** Share of the total, 0–100. */
  pct: number;
  /** Where the segment starts along the bar, 0–100. */
  startPct: number;
}

/** Segments of the stacked verdict bar, in the fixed verdict order; kinds with no measurement take no room. */
export function verdictSegments(counts: VerdictCounts): Segment[] {
  const total = VERDICTS.reduce((s, v) => s + counts[v], 0);
  if (total <= 0) return [];
  const out: Segment[] = [];
  let at = 0;
  for (const kind of VERDICTS) {
    const count = counts[kind];
    if (count <= 0) continue;
    const pct = (count / total) * 100;
    out.push({ kind, count, pct, startPct: at });
    at += pct;
  }
  return out;
}

export function blockedShare(counts: VerdictCounts): { blocked: number; total: number } {
  const total = VERDICTS.reduce((s, v) => s + counts[v], 0);
  const blocked = BLOCKING_VERDICTS.reduce((s, v) => s + counts[v], 0);
  return { blocked, total };
}

/* ------------------------------------------------------------------ blocked domains over time */

const DAY_MS = 86_400_000;

export interface ChartDay extends BlockedDay {
  /** False for a day inside the range on which nothing was measured (drawn as a gap, not as zero). */
  measured: boolean;
}

/**
 * Every day from the first to the last measured day, in order; days without measurements are marked. The range
 * grows to the period asked for (`from`, `to`) and to at least `minDays` days ending on the last day, so a single
 * day of data does not fill the whole chart; it never grows past `maxDays`.
 */
export function fillDays(items: BlockedDay[], opts: { from?: string | undefined; to?: string | undefined; minDays?: number; maxDays?: number } = {}): ChartDay[] {
  const isDay = (d: string | undefined): d is string => !!d && /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`));
  const valid = items.filter((d) => isDay(d.day)).sort((a, b) => a.day.localeCompare(b.day));
  const first = valid[0];
  const last = valid[valid.length - 1];
  if (!first || !last) return [];
  const maxDays = opts.maxDays ?? 1500;
  let end = Date.parse(`${last.day}T00:00:00Z`);
  let start = Date.parse(`${first.day}T00:00:00Z`);
  if (isDay(opts.to)) end = Math.max(end, Math.min(Date.parse(`${opts.to}T00:00:00Z`), start + (maxDays - 1) * DAY_MS));
  if (isDay(opts.from)) start = Math.min(start, Math.max(Date.parse(`${opts.from}T00:00:00Z`), end - (maxDays - 1) * DAY_MS));
  start = Math.min(start, end - ((opts.minDays ?? 1) - 1) * DAY_MS);
  if ((end - start) / DAY_MS + 1 > maxDays) start = end - (maxDays - 1) * DAY_MS;
  const byDay = new Map(valid.map((d) => [d.day, d]));
  const out: ChartDay[] = [];
  for (let t = start; t <= end; t += DAY_MS) {
    const day = new Date(t).toISOString().slice(0, 10);
    const d = byDay.get(day);
    out.push(d ? { ...d, measured: true } : { day, blockedDomains: 0, testedDomains: 0, measured: false });
  }
  return out;
}

/** Round tick values from 0 to at least `max` (1, 2 or 5 times a power of ten apart). */
export function niceTicks(max: number, target = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / target;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const stepInt = Math.max(1, step); // counts of domains: never a fractional tick
  const ticks: number[] = [];
  for (let v = 0; v < max + stepInt; v += stepInt) ticks.push(v);
  if ((ticks[ticks.length - 1] ?? 0) < max) ticks.push(ticks.length * stepInt);
  return ticks;
}

export interface ChartBar {
  day: string;
  measured: boolean;
  blocked: number;
  tested: number;
  x: number;
  width: number;
  /** Top of the tested bar and of the blocked bar (SVG y grows downwards). */
  yTested: number;
  yBlocked: number;
}

export interface ChartGeometry {
  bars: ChartBar[];
  ticks: { value: number; y: number }[];
  /** Which days get a label on the time axis (about 8 at most, always the first and the last). */
  labelled: Set<string>;
  plot: { left: number; right: number; top: number; bottom: number };
}

/** Bars of blocked domains drawn over the bars of tested domains, one slot per day. */
export function chartGeometry(days: ChartDay[], width: number, height: number, margin = { left: 40, right: 12, top: 12, bottom: 28 }): ChartGeometry {
  const plot = { left: margin.left, right: width - margin.right, top: margin.top, bottom: height - margin.bottom };
  const max = Math.max(1, ...days.map((d) => d.testedDomains));
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] ?? max;
  const y = (v: number) => plot.bottom - (v / top) * (plot.bottom - plot.top);
  const slot = days.length ? (plot.right - plot.left) / days.length : 0;
  const barW = Math.max(1, Math.min(48, slot * 0.8));
  const bars = days.map((d, i) => ({
    day: d.day,
    measured: d.measured,
    blocked: d.blockedDomains,
    tested: d.testedDomains,
    x: plot.left + i * slot + (slot - barW) / 2,
    width: barW,
    yTested: y(d.testedDomains),
    yBlocked: y(d.blockedDomains),
  }));
  const every = Math.max(1, Math.ceil(days.length / 8));
  const labelled = new Set<string>();
  days.forEach((d, i) => {
    if (i % every === 0 || i === days.length - 1) labelled.add(d.day);
  });
  // Two labels side by side would overlap: drop the one before the last when it is too close.
  if (days.length > 1 && (days.length - 1) % every !== 0 && (days.length - 1) % every < every / 2) {
    const prev = days[Math.floor((days.length - 1) / every) * every];
    if (prev) labelled.delete(prev.day);
  }
  return { bars, ticks: ticks.map((value) => ({ value, y: y(value) })), labelled, plot };
}

/* ------------------------------------------------------------------ probe vs control */

export function testKeys(m: RawMeasurement | null | undefined): RawTestKeys {
  const tk = m && typeof m === 'object' ? m.test_keys : undefined;
  return tk && typeof tk === 'object' ? tk : {};
}

const list = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : []);

/** "ip:port", with IPv6 addresses in brackets as OONI writes them in control keys. */
export function endpoint(ip: string, port: number | string): string {
  return ip.includes(':') && !ip.startsWith('[') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export interface DnsSide {
  failure: string | null;
  addrs: string[];
}

export interface DnsComparison {
  probe: DnsSide & { byType: { type: string; failure: string | null; addrs: string[]; resolver: string | null }[] };
  control: DnsSide | null;
  /** Addresses both sides got, and those only one side got. */
  common: string[];
  probeOnly: string[];
  controlOnly: string[];
  /** ASN of each address the control knows about (from the helper's ip_info). */
  asn: Record<string, number>;
  consistency: string | null;
}

export function compareDns(tk: RawTestKeys): DnsComparison {
  const byType = list(tk.queries).map((q) => ({
    type: q.query_type ?? '?',
    failure: q.failure ?? null,
    resolver: q.resolver_address ?? null,
    addrs: list(q.answers)
      .map((a) => a.ipv4 ?? a.ipv6 ?? a.hostname ?? '')
      .filter(Boolean),
  }));
  const probeAddrs = [...new Set(byType.flatMap((q) => q.addrs))];
  // The probe failed when every query failed; one answered query is enough to go on.
  const failures = byType.map((q) => q.failure);
  const probeFailure = byType.length && failures.every((f) => f) ? (failures.find((f) => f !== 'dns_no_answer') ?? failures[0] ?? null) : null;
  const c = tk.control?.dns;
  const control = c ? { failure: c.failure ?? null, addrs: list(c.addrs) } : null;
  const controlSet = new Set(control?.addrs ?? []);
  const probeSet = new Set(probeAddrs);
  const asn: Record<string, number> = {};
  for (const [ip, info] of Object.entries(tk.control?.ip_info ?? {})) if (typeof info?.asn === 'number') asn[ip] = info.asn;
  return {
    probe: { failure: probeFailure, addrs: probeAddrs, byType },
    control,
    common: probeAddrs.filter((a) => controlSet.has(a)),
    probeOnly: probeAddrs.filter((a) => !controlSet.has(a)),
    controlOnly: [...controlSet].filter((a) => !probeSet.has(a)),
    asn,
    consistency: tk.dns_consistency ?? null,
  };
}

export interface StepOutcome {
  ok: boolean;
  failure: string | null;
}

export interface TcpRow {
  endpoint: string;
  probe: StepOutcome | null;
  control: StepOutcome | null;
  /** Both sides tried and one succeeded where the other failed. */
  differs: boolean;
}

export function compareTcp(tk: RawTestKeys): TcpRow[] {
  const rows = new Map<string, TcpRow>();
  const row = (ep: string) => {
    let r = rows.get(ep);
    if (!r) rows.set(ep, (r = { endpoint: ep, probe: null, control: null, differs: false }));
    return r;
  };
  for (const t of list(tk.tcp_connect)) {
    if (!t.ip || t.port === undefined) continue;
    const r = row(endpoint(t.ip, t.port));
    const ok = t.status?.success === true;
    // The probe may connect to one address twice (e.g. for the handshake and the GET): a success wins.
    if (!r.probe || ok) r.probe = { ok, failure: ok ? null : (t.status?.failure ?? null) };
  }
  for (const [ep, s] of Object.entries(tk.control?.tcp_connect ?? {})) row(ep).control = { ok: s?.status === true, failure: s?.failure ?? null };
  for (const r of rows.values()) r.differs = !!r.probe && !!r.control && r.probe.ok !== r.control.ok;
  return [...rows.values()];
}

export interface CertSummary {
  subject: string | null;
  issuer: string | null;
  names: string[];
  notBefore: string | null;
  notAfter: string | null;
  /** Base64 DER as sent, for the SHA-256 fingerprint the page computes. */
  der: string;
}

export interface TlsRow {
  address: string;
  probe: (StepOutcome & { serverName: string | null; version: string | null; cipher: string | null; alpn: string | null; noVerify: boolean; certs: CertSummary[] }) | null;
  control: (StepOutcome & { serverName: string | null }) | null;
  differs: boolean;
}

export function compareTls(tk: RawTestKeys): TlsRow[] {
  const rows = new Map<string, TlsRow>();
  const row = (a: string) => {
    let r = rows.get(a);
    if (!r) rows.set(a, (r = { address: a, probe: null, control: null, differs: false }));
    return r;
  };
  for (const h of list(tk.tls_handshakes)) {
    if (!h.address) continue;
    const r = row(h.address);
    const ok = !h.failure;
    if (r.probe && r.probe.ok && !ok) continue;
    r.probe = {
      ok,
      failure: h.failure ?? null,
      serverName: h.server_name || null,
      version: h.tls_version || null,
      cipher: h.cipher_suite || null,
      alpn: h.negotiated_protocol || null,
      noVerify: h.no_tls_verify === true,
      certs: list(h.peer_certificates)
        .map((c) => (c && typeof c.data === 'string' ? parseCertificate(c.data) : null))
        .filter((c): c is CertSummary => c !== null),
    };
  }
  for (const [a, s] of Object.entries(tk.control?.tls_handshake ?? {}))
    row(a).control = { ok: s?.status === true, failure: s?.failure ?? null, serverName: s?.server_name || null };
  for (const r of rows.values()) r.differs = !!r.probe && !!r.control && r.probe.ok !== r.control.ok;
  return [...rows.values()];
}

/** Text of a response body, whether OONI stored it as a string or as {format: "base64", data}. */
export function bodyText(body: string | RawBody | null | undefined): string | null {
  if (typeof body === 'string') return body;
  if (body && typeof body === 'object' && typeof body.data === 'string') {
    if (body.format === 'base64') {
      try {
        const bin = atob(body.data);
        const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
        return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
      } catch {
        return null;
      }
    }
    return body.data;
  }
  return null;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

/** The page title, as OONI compares it: the text of the first <title>, entities decoded, spaces collapsed. */
export function titleOf(html: string | null): string | null {
  if (!html) return null;
  const m = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(html);
  if (!m) return null;
  const text = (m[1] ?? '')
    .replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (all, e: string) => {
      if (e[0] === '#') {
        const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : all;
      }
      return ENTITIES[e.toLowerCase()] ?? all;
    })
    .replace(/\s+/g, ' ')
    .trim();
  return text || null;
}

function headerValue(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

export interface HeaderRow {
  name: string;
  probe: string | null;
  control: string | null;
}

export interface HttpHop {
  url: string | null;
  method: string | null;
  status: number | null;
  location: string | null;
  failure: string | null;
  failedOperation: string | null;
}

export interface HttpComparison {
  probe: { status: number | null; bodyLength: number | null; title: string | null; body: string | null; failure: string | null; failedOperation: string | null; truncated: boolean; transferMs: number | null } | null;
  control: { status: number | null; bodyLength: number | null; title: string | null; failure: string | null; transferMs: number | null; finalUrl: string | null } | null;
  headers: HeaderRow[];
  /** Oldest first: the URL asked for, then every redirect the probe followed. */
  chain: HttpHop[];
  matches: { status: boolean | null; bodyLength: boolean | null; bodyProportion: number | null; headers: boolean | null; title: boolean | null };
}

/** The final response of the probe (OONI lists requests newest first) against the control's HTTP answer. */
export function compareHttp(tk: RawTestKeys): HttpComparison {
  const requests = list(tk.requests);
  const final: RawRequest | undefined = requests[0];
  let probe: HttpComparison['probe'] = null;
  if (final) {
    const body = bodyText(final.response?.body ?? null);
    const code = final.response?.code;
    probe = {
      status: typeof code === 'number' && code > 0 ? code : null,
      bodyLength: typeof final.x_body_bytes === 'number' ? final.x_body_bytes : body !== null ? byteLength(body) : null,
      title: titleOf(body),
      body,
      failure: final.failure ?? null,
      failedOperation: final.x_failed_operation ?? null,
      truncated: final.response?.body_is_truncated === true,
      transferMs: typeof final.x_body_transfer_ms === 'number' ? final.x_body_transfer_ms : null,
    };
  }
  const c = tk.control?.http_request;
  const control: HttpComparison['control'] = c
    ? {
        status: typeof c.status_code === 'number' && c.status_code > 0 ? c.status_code : null,
        bodyLength: typeof c.body_length === 'number' && c.body_length >= 0 ? c.body_length : null,
        title: c.title || null,
        failure: c.failure ?? null,
        transferMs: tk.control?.x_stackwatch?.body_transfer_ms ?? null,
        finalUrl: tk.control?.x_stackwatch?.final_url ?? null,
      }
    : null;
  const names = new Map<string, HeaderRow>();
  const add = (name: string, side: 'probe' | 'control', value: string) => {
    const key = name.toLowerCase();
    let r = names.get(key);
    if (!r) names.set(key, (r = { name, probe: null, control: null }));
    r[side] = value;
  };
  for (const [k, v] of Object.entries(final?.response?.headers ?? {})) add(k, 'probe', headerValue(v));
  for (const [k, v] of Object.entries(c?.headers ?? {})) add(k, 'control', String(v));
  const headers = [...names.values()].sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
  const chain = [...requests].reverse().map((r) => {
    const h = r.response?.headers ?? {};
    const loc = Object.entries(h).find(([k]) => k.toLowerCase() === 'location');
    const code = r.response?.code;
    return {
      url: r.request?.url ?? null,
      method: r.request?.method ?? null,
      status: typeof code === 'number' && code > 0 ? code : null,
      location: loc ? headerValue(loc[1]) : null,
      failure: r.failure ?? null,
      failedOperation: r.x_failed_operation ?? null,
    };
  });
  return {
    probe,
    control,
    headers,
    chain,
    matches: {
      status: tk.status_code_match ?? null,
      bodyLength: tk.body_length_match ?? null,
      bodyProportion: typeof tk.body_proportion === 'number' ? tk.body_proportion : null,
      headers: tk.headers_match ?? null,
      title: tk.title_match ?? null,
    },
  };
}

/* ------------------------------------------------------------------ X.509 (just enough to show a certificate) */

interface Tlv {
  tag: number;
  start: number;
  end: number;
  next: number;
}

function readTlv(b: Uint8Array, at: number, limit = b.length): Tlv | null {
  if (at + 2 > limit) return null;
  const tag = b[at] ?? 0;
  let len = b[at + 1] ?? 0;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n < 1 || n > 4 || start + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (b[start + i] ?? 0);
    start += n;
  }
  const end = start + len;
  if (end > limit) return null;
  return { tag, start, end, next: end };
}

function children(b: Uint8Array, t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = t.start; at < t.end; ) {
    const c = readTlv(b, at, t.end);
    if (!c) break;
    out.push(c);
    at = c.next;
  }
  return out;
}

const latin1 = (b: Uint8Array, t: Tlv) => String.fromCharCode(...b.subarray(t.start, t.end));
const utf8 = (b: Uint8Array, t: Tlv) => new TextDecoder().decode(b.subarray(t.start, t.end));

function oid(b: Uint8Array, t: Tlv): string {
  const bytes = b.subarray(t.start, t.end);
  if (!bytes.length) return '';
  const first = bytes[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let v = 0;
  for (let i = 1; i < bytes.length; i++) {
    const x = bytes[i] ?? 0;
    v = v * 128 + (x & 0x7f);
    if (!(x & 0x80)) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

const NAME_ATTRS: Record<string, string> = { '2.5.4.3': 'CN', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST' };

function distinguishedName(b: Uint8Array, t: Tlv): string | null {
  const parts: string[] = [];
  for (const set of children(b, t))
    for (const atv of children(b, set)) {
      const [o, v] = children(b, atv);
      if (!o || !v || o.tag !== 0x06) continue;
      const name = NAME_ATTRS[oid(b, o)];
      if (!name) continue;
      parts.push(`${name}=${v.tag === 0x0c ? utf8(b, v) : latin1(b, v)}`);
    }
  return parts.length ? parts.join(', ') : null;
}

function asn1Time(b: Uint8Array, t: Tlv): string | null {
  const s = latin1(b, t);
  const m = t.tag === 0x17 ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s) : t.tag === 0x18 ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?Z$/.exec(s) : null;
  if (!m) return null;
  let year = Number(m[1]);
  if (t.tag === 0x17) year += year < 50 ? 2000 : 1900; // RFC 5280: UTCTime years 50–99 are 19xx
  return `${String(year).padStart(4, '0')}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}Z`;
}

/** Subject, issuer, names (subjectAltName DNS names and IPs) and validity of a base64 DER certificate; null if unreadable. */
export function parseCertificate(base64: string): CertSummary | null {
  let b: Uint8Array;
  try {
    const bin = atob(base64.replace(/\s+/g, ''));
    b = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
  } catch {
    return null;
  }
  const cert = readTlv(b, 0);
  if (!cert || cert.tag !== 0x30) return null;
  const tbs = children(b, cert)[0];
  if (!tbs || tbs.tag !== 0x30) return null;
  const f = children(b, tbs);
  let i = f[0]?.tag === 0xa0 ? 1 : 0; // [0] version is optional
  i += 2; // serialNumber, signature algorithm
  const issuer = f[i];
  const validity = f[i + 1];
  const subject = f[i + 2];
  if (!issuer || !validity || !subject) return null;
  const [nb, na] = children(b, validity);
  const names: string[] = [];
  const ext = f.find((x) => x.tag === 0xa3);
  if (ext) {
    const seq = children(b, ext)[0];
    for (const e of seq ? children(b, seq) : []) {
      const parts = children(b, e);
      const id = parts[0];
      const value = parts[parts.length - 1];
      if (!id || !value || id.tag !== 0x06 || oid(b, id) !== '2.5.29.17' || value.tag !== 0x04) continue;
      const gnSeq = readTlv(b, value.start, value.end);
      if (!gnSeq) continue;
      for (const gn of children(b, gnSeq)) {
        if (gn.tag === 0x82) names.push(latin1(b, gn));
        else if (gn.tag === 0x87) {
          const ip = b.subarray(gn.start, gn.end);
          if (ip.length === 4) names.push([...ip].join('.'));
          else if (ip.length === 16) names.push(Array.from({ length: 8 }, (_, k) => (((ip[2 * k] ?? 0) << 8) | (ip[2 * k + 1] ?? 0)).toString(16)).join(':'));
        }
      }
    }
  }
  return {
    subject: distinguishedName(b, subject),
    issuer: distinguishedName(b, issuer),
    names,
    notBefore: nb ? asn1Time(b, nb) : null,
    notAfter: na ? asn1Time(b, na) : null,
    der: base64,
  };
}

/* ------------------------------------------------------------------ filters */

export const MEASURE_FILTERS = ['country', 'asn', 'domain', 'verdict', 'from', 'to'] as const;
export type MeasureFilterKey = (typeof MEASURE_FILTERS)[number];

/** "AS30986", "as 30986" or "30986" → 30986; anything else → null. */
export function parseAsn(s: string): number | null {
  const m = /^\s*(?:AS\s*)?(\d{1,10})\s*$/i.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isInteger(n) && n >= 0 && n <= 4294967295 ? n : null;
}

/** A host name as the API filters on it (lower case, no scheme or path); null if it cannot be one. */
export function normaliseDomain(s: string): string | null {
  let v = s.trim().toLowerCase();
  if (!v) return null;
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(v)) {
    try {
      v = new URL(v).hostname;
    } catch {
      return null;
    }
  }
  v = v.replace(/\/.*$/, '').replace(/\.$/, '');
  return /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?)*$/.test(v) ? v : null;
}

/** The API query for the filters in the address bar; invalid values are left out (the form shows why). */
export function apiFilters(params: URLSearchParams): Partial<Record<MeasureFilterKey, string>> {
  const out: Partial<Record<MeasureFilterKey, string>> = {};
  const country = (params.get('country') ?? '').trim().toUpperCase();
  if (/^[A-Z]{2}$/.test(country)) out.country = country;
  const asn = parseAsn(params.get('asn') ?? '');
  if (asn !== null) out.asn = String(asn);
  const domain = normaliseDomain(params.get('domain') ?? '');
  if (domain) out.domain = domain;
  const verdict = params.get('verdict') ?? '';
  if ((VERDICTS as readonly string[]).includes(verdict)) out.verdict = verdict;
  for (const k of ['from', 'to'] as const) {
    const v = params.get(k) ?? '';
    if (/^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`))) out[k] = v;
  }
  return out;
}
