import { isIP } from 'node:net';
import { endpoint } from '../ooni/ip.js';
import type { DnsQuery } from '../ooni/model.js';
import { httpGet, rel, tcpConnect, tlsHandshake, type HttpResult, type Route, type Trace } from './dial.js';
import type { Resolver } from './resolver.js';
import { QTYPE } from './dns-wire.js';
import { lookupAsn } from '../ooni/asn.js';

export const MAX_REDIRECTS = 10;

/** Headers OONI's probe sends with its GET. */
export const PROBE_REQUEST_HEADERS: Record<string, string> = {
  Accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
  'Accept-Language': 'en-US,en;q=0.9',
  'User-Agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
};

export interface Timeouts {
  dnsMs: number;
  tcpMs: number;
  tlsMs: number;
  /** idle limit while reading HTTP */
  httpMs: number;
  thMs: number;
}

/** OONI's defaults (spec ts-017). */
export const OONI_TIMEOUTS: Timeouts = { dnsMs: 4000, tcpMs: 10000, tlsMs: 10000, httpMs: 10000, thMs: 30000 };

export interface NetContext {
  resolver: Resolver;
  timeouts: Timeouts;
  route?: Route;
  /** Trusted CA(s) instead of the system roots (lab mode only). */
  ca?: string | Buffer;
  bodyCap?: number;
  trace: Trace;
  queries: DnsQuery[];
  /**
   * Which resolved addresses may be connected to (the public test helper refuses private space). Checked on every
   * hop after resolution, and the connection goes to the checked address itself (no second lookup: no rebinding).
   */
  allowAddress?: (ip: string) => boolean;
}

/** Resolves A and AAAA, recording both queries; returns the addresses (A first). */
export async function resolveHost(ctx: NetContext, host: string): Promise<{ addrs: string[]; failure: string | null }> {
  if (isIP(host)) return { addrs: [host], failure: null };
  const t0 = rel(ctx.trace);
  const [a, aaaa] = await Promise.all([
    ctx.resolver.lookup(host, 'A', ctx.timeouts.dnsMs),
    ctx.resolver.lookup(host, 'AAAA', ctx.timeouts.dnsMs),
  ]);
  const t = rel(ctx.trace);
  const addrs: string[] = [];
  for (const [qt, r] of [['A', a], ['AAAA', aaaa]] as const) {
    const answers = r.answers.map((x) => {
      if (x.type !== QTYPE.A && x.type !== QTYPE.AAAA) return { answer_type: 'CNAME', hostname: x.data, asn: 0, as_org_name: '', ttl: x.ttl };
      const as = lookupAsn(x.data);
      return x.type === QTYPE.A
        ? { answer_type: 'A', ipv4: x.data, asn: as?.asn ?? 0, as_org_name: as?.org ?? '', ttl: x.ttl }
        : { answer_type: 'AAAA', ipv6: x.data, asn: as?.asn ?? 0, as_org_name: as?.org ?? '', ttl: x.ttl };
    });
    for (const x of r.answers) if ((x.type === QTYPE.A && qt === 'A') || (x.type === QTYPE.AAAA && qt === 'AAAA')) addrs.push(x.data);
    ctx.queries.push({
      answers: answers.length ? answers : null,
      engine: ctx.resolver.engine,
      failure: r.failure,
      hostname: host,
      query_type: qt,
      resolver_address: ctx.resolver.address,
      rcode: r.rcode,
      t0,
      t,
      transaction_id: r.transactionId,
    });
  }
  const failure = addrs.length ? null : (a.failure ?? aaaa.failure ?? 'dns_no_answer');
  return { addrs: [...new Set(addrs)], failure };
}

export interface Hop {
  url: string;
  address: string;
  requestHeaders: Record<string, string>;
  result: HttpResult;
  /** where a failed hop failed */
  failedOperation: 'resolve' | 'connect' | 'tls_handshake' | 'http_round_trip' | null;
}

/**
 * GET `start`, following up to 10 redirects with a cookie jar. `firstAddrs` are the addresses to use for the
 * first hop (the ones the caller already resolved). Returns the hops oldest first.
 */
export async function fetchChain(ctx: NetContext, start: URL, firstAddrs: string[] | null, headers = PROBE_REQUEST_HEADERS): Promise<Hop[]> {
  const hops: Hop[] = [];
  const jar = new Map<string, Map<string, string>>();
  let url = start;
  for (let i = 0; i <= MAX_REDIRECTS + 1; i++) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    const reqHeaders: Record<string, string> = { ...headers };
    const cookies = jar.get(host);
    if (cookies?.size) reqHeaders.Cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const failHop = (failure: string, op: Hop['failedOperation'], address = ''): Hop => ({
      url: url.toString(),
      address,
      requestHeaders: reqHeaders,
      failedOperation: op,
      result: { failure, code: 0, headers: {}, headersList: [], body: Buffer.alloc(0), truncated: false, bodyTransferMs: 0, t0: rel(ctx.trace), t: rel(ctx.trace) },
    });
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      hops.push(failHop(`unknown_failure: unsupported scheme ${url.protocol}`, 'http_round_trip'));
      break;
    }
    if (i === MAX_REDIRECTS + 1) {
      hops.push(failHop('unknown_failure: stopped after 10 redirects', 'http_round_trip'));
      break;
    }
    const resolved = i === 0 && firstAddrs ? firstAddrs : (await resolveHost(ctx, host)).addrs;
    if (!resolved.length) {
      const q = [...ctx.queries].reverse().find((x) => x.hostname === host && x.failure);
      hops.push(failHop(q?.failure ?? 'dns_no_answer', 'resolve'));
      break;
    }
    const addrs = ctx.allowAddress ? resolved.filter(ctx.allowAddress) : resolved;
    if (!addrs.length) {
      hops.push(failHop(`unknown_failure: ${host} resolves only to private or reserved addresses (${resolved.join(', ')}): not fetched`, 'connect'));
      break;
    }
    let hop: Hop | null = null;
    let lastFailure = 'generic_timeout_error';
    let lastOp: Hop['failedOperation'] = 'connect';
    let lastAddress = '';
    for (const ip of addrs) {
      const address = endpoint(ip, port);
      lastAddress = address;
      const c = await tcpConnect(ctx.trace, ip, port, ctx.timeouts.tcpMs, ctx.route);
      if (!c.socket) {
        lastFailure = c.failure ?? 'unknown_failure';
        lastOp = 'connect';
        continue;
      }
      let sock = c.socket;
      if (url.protocol === 'https:') {
        const h = await tlsHandshake(ctx.trace, sock, address, host, ctx.timeouts.tlsMs, ctx.ca);
        if (!h.socket) {
          lastFailure = h.failure ?? 'ssl_failed_handshake';
          lastOp = 'tls_handshake';
          continue;
        }
        sock = h.socket;
      }
      const result = await httpGet(ctx.trace, sock, address, url, reqHeaders, {
        timeoutMs: ctx.timeouts.httpMs,
        deadlineMs: ctx.timeouts.httpMs * 3,
        bodyCap: ctx.bodyCap,
      });
      hop = { url: url.toString(), address, requestHeaders: reqHeaders, result, failedOperation: result.failure ? 'http_round_trip' : null };
      break;
    }
    if (!hop) {
      hops.push(failHop(lastFailure, lastOp, lastAddress));
      break;
    }
    hops.push(hop);
    const r = hop.result;
    if (r.failure) break;
    for (const [k, v] of r.headersList) {
      if (k.toLowerCase() !== 'set-cookie') continue;
      const m = /^\s*([^=;\s]+)=([^;]*)/.exec(v);
      if (m) {
        if (!jar.has(host)) jar.set(host, new Map());
        jar.get(host)!.set(m[1]!, m[2]!);
      }
    }
    const location = Object.entries(r.headers).find(([k]) => k.toLowerCase() === 'location')?.[1];
    if (![301, 302, 303, 307, 308].includes(r.code) || location === undefined) break;
    // a Location OONI's Go client cannot follow fails the request (as it does for OONI's probe and helper)
    let next: URL | null = null;
    try {
      next = new URL(location, url);
    } catch {
      next = null;
    }
    if (!next || !next.hostname) {
      url = next ?? url;
      hops.push(failHop(`unknown_failure: invalid Location header ${JSON.stringify(location.slice(0, 100))}`, 'http_round_trip'));
      break;
    }
    url = next;
  }
  return hops;
}
