import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { endpoint } from '../ooni/ip.js';
import {
  OONI_DATA_FORMAT_VERSION,
  SOFTWARE_NAME,
  SOFTWARE_VERSION,
  WEB_CONNECTIVITY_TEST_VERSION,
  ooniTimestamp,
  reportId as makeReportId,
  thResponseSchema,
  type DnsQuery,
  type HttpTransaction,
  type TcpConnect,
  type ThResponse,
  type TlsHandshake,
  type WebConnectivityMeasurement,
  type WebConnectivityTestKeys,
} from '../ooni/model.js';
import { computeVerdict } from '../ooni/verdict.js';
import { lookupAsn } from '../ooni/asn.js';
import { THROTTLING_MIN_BYTES } from '../analysis/throttling.js';
import { shippedFingerprints, type FingerprintDb } from '../ooni/fingerprints.js';
import { BODY_CAP, failureOf, newTrace, ooniBody, tcpConnect, tlsHandshake, type Route } from '../net/dial.js';
import { fetchChain, OONI_TIMEOUTS, PROBE_REQUEST_HEADERS, resolveHost, type Timeouts } from '../net/fetch-chain.js';
import type { Resolver } from '../net/resolver.js';

/** Who and where the probe is, as written into each measurement. */
export interface ProbeMeta {
  cc: string;
  asn: string;
  networkName: string;
  /** Written only if the user opts in; otherwise "127.0.0.1" as OONI does. */
  ip?: string;
  annotations?: Record<string, string>;
}

export interface ProbeOptions {
  resolver: Resolver;
  /** Test helper base URL (POST /), or null to run without a control. */
  thUrl: string | null;
  timeouts?: Partial<Timeouts>;
  meta: ProbeMeta;
  reportId?: string;
  fingerprints?: FingerprintDb;
  /** Lab mode only: the simulated network path and the lab CA. */
  route?: Route;
  ca?: string | Buffer;
  bodyCap?: number;
  /**
   * Body transfer samples per URL for the throttling finding (default 1: none extra). With N > 1 the final page is
   * fetched N - 1 more times when it is at least THROTTLING_MIN_BYTES; see analysis/throttling.ts.
   */
  samples?: number;
}

/** The probe's ASN: as given, else looked up offline from its IP when the user gave one. */
export function probeAsn(meta: ProbeMeta): string {
  if (meta.asn && meta.asn !== 'AS0') return meta.asn;
  const found = meta.ip ? lookupAsn(meta.ip) : null;
  return found ? `AS${found.asn}` : 'AS0';
}

/** One report id per run, in OONI's shape: 20240101T000000Z_webconnectivity_CC_ASN_n1_<16 letters/digits>. */
export function newReportId(start: Date, meta: ProbeMeta): string {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const rand = [...randomBytes(16)].map((b) => abc[b % abc.length]).join('');
  return makeReportId(start, meta.cc, probeAsn(meta), rand);
}

/** The web_connectivity test for one URL: DNS, control, TCP, TLS, HTTP (with redirects), verdict. */
export async function measureUrl(input: string, opts: ProbeOptions): Promise<WebConnectivityMeasurement> {
  const startDate = new Date();
  const wall0 = performance.now();
  const timeouts = { ...OONI_TIMEOUTS, ...opts.timeouts };
  const fps = opts.fingerprints ?? shippedFingerprints();
  const trace = newTrace();
  const queries: DnsQuery[] = [];
  const tcp: TcpConnect[] = [];
  const tlsHs: TlsHandshake[] = [];
  let requests: HttpTransaction[] = [];
  let control: ThResponse | null = null;
  let controlFailure: string | null = null;

  const url = new URL(input); // callers validate inputs first
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const ctx = { resolver: opts.resolver, timeouts, route: opts.route, ca: opts.ca, bodyCap: opts.bodyCap ?? BODY_CAP, trace, queries };

  // 1. DNS with the probe's resolver
  const dns = await resolveHost(ctx, host);
  const endpoints = dns.addrs.map((ip) => endpoint(ip, port));

  // 2. the control, in parallel with everything else (sent even when DNS failed)
  const controlPromise = opts.thUrl
    ? askControl(opts.thUrl, input, endpoints, timeouts.thMs).then(
        (c) => {
          control = c;
        },
        (f: string) => {
          controlFailure = f;
        },
      )
    : Promise.resolve().then(() => {
        controlFailure = 'unknown_failure: no test helper configured';
      });

  // 3. TCP connect (and TLS for https) to every resolved address
  let txid = 1;
  await Promise.all(
    dns.addrs.map(async (ip) => {
      const id = txid++;
      const c = await tcpConnect(trace, ip, port, timeouts.tcpMs, opts.route);
      tcp.push({ ip, port, status: { failure: c.failure, success: !c.failure, blocked: null }, t0: c.t0, t: c.t, transaction_id: id });
      if (!c.socket) return;
      if (url.protocol === 'https:') {
        const h = await tlsHandshake(trace, c.socket, endpoint(ip, port), host, timeouts.tlsMs, opts.ca);
        tlsHs.push({
          network: 'tcp',
          address: endpoint(ip, port),
          cipher_suite: h.cipherSuite,
          failure: h.failure,
          negotiated_protocol: h.negotiatedProtocol,
          no_tls_verify: false,
          peer_certificates: h.peerCertificates.length ? h.peerCertificates : null,
          server_name: host,
          tls_version: h.tlsVersion,
          t0: h.t0,
          t: h.t,
          transaction_id: id,
        });
        h.socket?.destroy();
      } else c.socket.destroy();
    }),
  );
  tcp.sort((a, b) => (a.transaction_id ?? 0) - (b.transaction_id ?? 0));
  tlsHs.sort((a, b) => (a.transaction_id ?? 0) - (b.transaction_id ?? 0));

  // 4. HTTP GET with redirects, using the addresses that connected first
  if (dns.addrs.length) {
    const ok = tcp.filter((c) => c.status.success).map((c) => c.ip);
    const order = [...ok, ...dns.addrs.filter((a) => !ok.includes(a))];
    const hops = await fetchChain(ctx, url, order);
    requests = hops
      .map((h, i): HttpTransaction => {
        const r = h.result;
        let body = r.body;
        let bodyOut = ooniBody(body);
        if (typeof bodyOut !== 'string' && r.truncated) {
          // a cap may cut a UTF-8 sequence in half: drop the partial character
          for (let k = 1; k <= 3 && typeof bodyOut !== 'string'; k++) bodyOut = ooniBody(body.subarray(0, body.length - k));
          if (typeof bodyOut === 'string') body = body.subarray(0, Buffer.byteLength(bodyOut));
          else bodyOut = ooniBody(r.body);
        }
        return {
          network: 'tcp',
          address: h.address,
          failure: r.failure,
          request: {
            body: '',
            body_is_truncated: false,
            headers: { Host: new URL(h.url).host, ...h.requestHeaders },
            headers_list: Object.entries({ Host: new URL(h.url).host, ...h.requestHeaders }),
            method: 'GET',
            tor: { exit_ip: null, exit_name: null, is_tor: false },
            url: h.url,
          },
          response: {
            body: r.failure && !r.code ? null : bodyOut,
            body_is_truncated: r.truncated,
            code: r.code,
            headers: r.headers,
            headers_list: r.headersList,
          },
          t0: r.t0,
          t: r.t,
          transaction_id: 100 + i,
          x_failed_operation: h.failedOperation,
          x_body_bytes: body.length,
          x_body_transfer_ms: r.bodyTransferMs,
        };
      })
      .reverse(); // OONI writes requests newest first
  }

  // 5. repeated body-transfer samples (throttling is judged on these, across the run, never on one sample)
  const samples: { bytes: number; ms: number }[] = [];
  const last = requests[0] as (HttpTransaction & { x_body_bytes?: number; x_body_transfer_ms?: number }) | undefined;
  if (last && !last.failure && typeof last.x_body_bytes === 'number' && last.x_body_bytes >= THROTTLING_MIN_BYTES) {
    samples.push({ bytes: last.x_body_bytes, ms: last.x_body_transfer_ms ?? 0 });
    for (let k = 1; k < (opts.samples ?? 1); k++) {
      const again = await fetchChain({ ...ctx, trace: newTrace(), queries: [] }, new URL(last.request.url), null);
      const r = again[again.length - 1]?.result;
      if (!r || r.failure || again.length !== 1) break;
      samples.push({ bytes: r.body.length, ms: r.bodyTransferMs });
    }
  }

  await controlPromise;
  const tkRaw = {
    queries,
    tcp_connect: tcp,
    tls_handshakes: tlsHs,
    requests,
    control: control as ThResponse | null,
    control_failure: controlFailure as string | null,
  };
  const verdict = computeVerdict(input, tkRaw, fps, { probeCc: opts.meta.cc });
  const testKeys: WebConnectivityTestKeys = {
    agent: 'redirect',
    client_resolver: opts.resolver.address || null,
    retries: null,
    socksproxy: null,
    ...tkRaw,
    network_events: trace.events,
    ...verdict,
    ...(samples.length > 1 ? { x_stackwatch_samples: samples } : {}),
  };
  const runtime = (performance.now() - wall0) / 1000;
  const ts = ooniTimestamp(startDate);
  const resolverIp = opts.resolver.engine === 'udp' ? opts.resolver.address.replace(/:\d+$/, '').replace(/^\[|\]$/g, '') : '';
  return {
    annotations: { engine_name: SOFTWARE_NAME, engine_version: SOFTWARE_VERSION, platform: process.platform, ...(opts.meta.annotations ?? {}) },
    data_format_version: OONI_DATA_FORMAT_VERSION,
    extensions: { dnst: 0, httpt: 0, netevents: 0, tcpconnect: 0, tlshandshake: 0, tunnel: 0 },
    input,
    measurement_start_time: ts,
    probe_asn: probeAsn(opts.meta),
    probe_cc: opts.meta.cc,
    probe_ip: opts.meta.ip ?? '127.0.0.1',
    probe_network_name: opts.meta.networkName,
    report_id: opts.reportId ?? newReportId(startDate, opts.meta),
    resolver_asn: resolverIp ? `AS${lookupAsn(resolverIp)?.asn ?? 0}` : 'AS0',
    resolver_ip: resolverIp,
    resolver_network_name: '',
    software_name: SOFTWARE_NAME,
    software_version: SOFTWARE_VERSION,
    test_helpers: opts.thUrl ? { backend: { address: opts.thUrl, type: 'https' } } : {},
    test_keys: testKeys,
    test_name: 'web_connectivity',
    test_runtime: Math.round(runtime * 1e6) / 1e6,
    test_start_time: ts,
    test_version: WEB_CONNECTIVITY_TEST_VERSION,
  };
}

/**
 * POSTs the control request; rejects with an OONI failure string. Uses node:http(s) directly rather than `fetch`,
 * which refuses the "bad ports" of the Fetch standard (6000, 6665-6669, 10080, …) that a helper may listen on.
 */
export function askControl(thUrl: string, input: string, endpoints: string[], timeoutMs: number): Promise<ThResponse> {
  const body = JSON.stringify({
    http_request: input,
    http_request_headers: Object.fromEntries(Object.entries(PROBE_REQUEST_HEADERS).map(([k, v]) => [k, [v]])),
    tcp_connect: endpoints,
    x_quic_enabled: false,
  });
  return new Promise<ThResponse>((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(thUrl);
    } catch {
      reject('unknown_failure: the test helper URL is not a URL');
      return;
    }
    const mod = u.protocol === 'https:' ? https : http;
    let settled = false;
    const fail = (f: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(f);
    };
    const req = mod.request(u, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 4 * 1024 * 1024) fail('unknown_failure: test helper answer too large');
        else chunks.push(c);
      });
      res.on('error', (e) => fail(failureOf(e)));
      res.on('aborted', () => fail('connection_reset'));
      res.on('end', () => {
        if (settled) return;
        if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) > 299) return fail(`unknown_failure: test helper answered HTTP ${res.statusCode}`);
        let json: unknown;
        try {
          json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return fail('unknown_failure: test helper answer is not JSON');
        }
        const parsed = thResponseSchema.safeParse(json);
        if (!parsed.success) return fail(`unknown_failure: test helper answer has the wrong shape (${parsed.error.issues[0]?.path.join('.')})`);
        settled = true;
        clearTimeout(timer);
        resolve(parsed.data);
      });
    });
    const timer = setTimeout(() => fail('generic_timeout_error'), timeoutMs);
    req.on('error', (e) => fail(failureOf(e)));
    req.end(body);
  });
}
