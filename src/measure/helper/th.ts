import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { endpoint, isBogon, parseEndpoint } from '../ooni/ip.js';
import { thRequestSchema, type ThRequest, type ThResponse } from '../ooni/model.js';
import { extractTitle } from '../ooni/verdict.js';
import { newTrace, tcpConnect, tlsHandshake, type Route } from '../net/dial.js';
import { fetchChain, type Hop, OONI_TIMEOUTS, PROBE_REQUEST_HEADERS, resolveHost, type Timeouts } from '../net/fetch-chain.js';
import type { Resolver } from '../net/resolver.js';
import type { DnsQuery } from '../ooni/model.js';
import { lookupAsn } from '../ooni/asn.js';

/**
 * The web-connectivity test helper: given a URL and the endpoints the probe resolved, it resolves, connects,
 * handshakes and fetches from its own vantage point and answers in the shape OONI's probes expect.
 */

export interface HelperOptions {
  resolver: Resolver;
  timeouts?: Partial<Timeouts>;
  route?: Route;
  ca?: string | Buffer;
  /** Connect to private/loopback addresses too (lab and tests). Off for a public helper: no SSRF into our network. */
  allowPrivate?: boolean;
  /** Max endpoints probed per request (a probe can't make us scan the internet). */
  maxEndpoints?: number;
  /** Lab only: make the helper fail for some URLs (an unreachable or broken test helper). */
  faultFor?: (httpRequest: string) => 'reset' | 'http_500' | 'bad_json' | null;
}

const MAX_BODY_REQUEST = 64 * 1024;

export async function controlMeasurement(req: ThRequest, opts: HelperOptions): Promise<ThResponse> {
  const timeouts = { ...OONI_TIMEOUTS, ...opts.timeouts };
  const url = new URL(req.http_request);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`http_request: unsupported scheme ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const trace = newTrace();
  const queries: DnsQuery[] = [];
  // every hop of the redirect chain is checked after resolution: a public site redirecting to private space is not followed
  const allowAddress = opts.allowPrivate ? undefined : (ip: string) => !isBogon(ip);
  const ctx = { resolver: opts.resolver, timeouts, route: opts.route, ca: opts.ca, trace, queries, allowAddress };

  const dns = await resolveHost(ctx, host);
  const thAddrs = dns.addrs;
  const probeEndpoints: { ip: string; port: number }[] = [];
  for (const e of req.tcp_connect) {
    const p = parseEndpoint(e);
    if (p) probeEndpoints.push(p);
  }
  const endpoints = new Map<string, { ip: string; port: number }>();
  for (const p of probeEndpoints) endpoints.set(endpoint(p.ip, p.port), p);
  for (const ip of thAddrs) endpoints.set(endpoint(ip, port), { ip, port });
  const list = [...endpoints.entries()].slice(0, opts.maxEndpoints ?? 16);

  const tcp: ThResponse['tcp_connect'] = {};
  const tlsRes: NonNullable<ThResponse['tls_handshake']> = {};
  const validTls = new Set<string>();
  const httpPromise: Promise<Hop[]> = fetchChain(ctx, url, thAddrs.length ? thAddrs : null, headerValues(req.http_request_headers));
  await Promise.all(
    list.map(async ([key, e]) => {
      // never let a probe make us connect to private or loopback space, except the lab's own route
      if (isBogon(e.ip) && !opts.allowPrivate) {
        tcp[key] = { status: false, failure: 'unknown_failure: bogon address not probed' };
        return;
      }
      const c = await tcpConnect(trace, e.ip, e.port, timeouts.tcpMs, opts.route);
      tcp[key] = { status: !c.failure, failure: c.failure };
      if (!c.socket) return;
      if (url.protocol === 'https:') {
        const h = await tlsHandshake(trace, c.socket, key, host, timeouts.tlsMs, opts.ca);
        tlsRes[key] = { server_name: host, status: !h.failure, failure: h.failure };
        if (!h.failure) validTls.add(e.ip);
        h.socket?.destroy();
      } else c.socket.destroy();
    }),
  );
  const hops = await httpPromise;
  const final = hops[hops.length - 1];
  const r = final?.result;
  const ok = r && !r.failure;
  const bodyText = ok ? r.body.toString('utf8') : '';
  const ipInfo: NonNullable<ThResponse['ip_info']> = {};
  const probeIps = new Set(probeEndpoints.map((p) => p.ip));
  for (const ip of new Set([...probeIps, ...thAddrs])) {
    let flags = 0;
    if (probeIps.has(ip)) flags |= 1;
    if (thAddrs.includes(ip)) flags |= 2;
    if (isBogon(ip)) flags |= 4;
    if (validTls.has(ip)) flags |= 8;
    ipInfo[ip] = { asn: lookupAsn(ip)?.asn ?? 0, flags };
  }
  const headers: Record<string, string> = {};
  if (ok) for (const [k, v] of Object.entries(r.headers)) headers[k] = v;
  return {
    tcp_connect: tcp,
    tls_handshake: tlsRes,
    quic_handshake: {},
    http_request: {
      body_length: ok ? r.body.length : -1,
      discovered_h3_endpoint: '',
      failure: r ? r.failure : 'unknown_failure: no request',
      title: ok ? extractTitle(bodyText) : '',
      headers,
      status_code: ok ? r.code : -1,
    },
    http3_request: null,
    dns: {
      failure: dns.failure === 'dns_nxdomain_error' ? 'dns_name_error' : dns.failure,
      addrs: thAddrs,
    },
    ip_info: ipInfo,
    x_stackwatch: { body_bytes: ok ? r.body.length : 0, body_transfer_ms: ok ? r.bodyTransferMs : 0, final_url: final?.url },
  };
}

function headerValues(h: Record<string, string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  const allowed = new Set(['accept', 'accept-language', 'user-agent']);
  for (const [k, v] of Object.entries(h)) if (allowed.has(k.toLowerCase()) && v[0]) out[k] = v[0];
  return Object.keys(out).length ? out : PROBE_REQUEST_HEADERS;
}

export interface RunningHelper {
  url: string;
  close(): Promise<void>;
}

/** Serves the test-helper protocol: `POST /` with the JSON request, answers the control JSON. */
export function startTestHelper(opts: HelperOptions & { host?: string; port?: number }): Promise<RunningHelper> {
  const server = http.createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method !== 'POST' || (req.url !== '/' && req.url !== '')) {
      send(req.method === 'POST' ? 404 : 405, { error: 'POST / with a web-connectivity control request' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_REQUEST) {
        send(413, { error: 'request body too large' });
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', async () => {
      if (res.headersSent) return;
      let json: unknown;
      try {
        json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        send(400, { error: 'body is not JSON' });
        return;
      }
      const parsed = thRequestSchema.safeParse(json);
      if (!parsed.success) {
        send(400, { error: parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ') });
        return;
      }
      try {
        new URL(parsed.data.http_request);
      } catch {
        send(400, { error: 'http_request: not a URL' });
        return;
      }
      const fault = opts.faultFor?.(parsed.data.http_request) ?? null;
      if (fault === 'reset') {
        req.socket.resetAndDestroy();
        return;
      }
      if (fault === 'http_500') {
        send(500, { error: 'internal error (lab: a failing test helper)' });
        return;
      }
      if (fault === 'bad_json') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"tcp_connect": ');
        return;
      }
      try {
        send(200, await controlMeasurement(parsed.data, opts));
      } catch (e) {
        send(400, { error: (e as Error).message });
      }
    });
  });
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      const a = server.address() as AddressInfo;
      const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
      resolve({
        url: `http://${host}:${a.port}/`,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
