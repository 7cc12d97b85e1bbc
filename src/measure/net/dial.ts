import net from 'node:net';
import tls from 'node:tls';
import http from 'node:http';
import zlib from 'node:zlib';
import { performance } from 'node:perf_hooks';
import { endpoint } from '../ooni/ip.js';
import type { NetworkEvent } from '../ooni/model.js';

/**
 * Sockets, TLS and HTTP/1.1 with OONI's failure strings and timings. Every function records what it did into a
 * `Trace` (network events, relative times in seconds since the measurement began).
 */

export const BODY_CAP = 512 * 1024;

/**
 * Where a connection to ip:port physically goes. Outside the lab this is the identity. In the lab it is the
 * simulated network path (a middlebox on the way, a black hole, a blockpage server for an injected address).
 */
export type Route = (ip: string, port: number) => { host: string; port: number };

export interface Trace {
  start: number;
  events: NetworkEvent[];
  nextId: number;
}

export function newTrace(): Trace {
  return { start: performance.now(), events: [], nextId: 1 };
}

export const rel = (trace: Trace) => Math.round(performance.now() - trace.start) / 1000;

/** Maps a Node error to an OONI failure string. */
export function failureOf(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { code?: string };
  switch (err?.code) {
    case 'ECONNREFUSED':
      return 'connection_refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection_reset';
    case 'ETIMEDOUT':
    case 'ETIMEOUT':
    case 'SW_TIMEOUT':
      return 'generic_timeout_error';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host_unreachable';
    case 'SW_EOF':
    case 'ECONNABORTED':
      return 'eof_error';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return 'ssl_invalid_hostname';
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
      return 'ssl_unknown_authority';
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
    case 'CERT_REVOKED':
    case 'CERT_UNTRUSTED':
    case 'CERT_REJECTED':
    case 'INVALID_CA':
      return 'ssl_invalid_certificate';
  }
  if (err?.code && /^ERR_SSL|^ERR_TLS/.test(err.code)) return 'ssl_failed_handshake';
  if (err?.message === 'socket hang up' || err?.message === 'Client network socket disconnected before secure TLS connection was established')
    return err.message.startsWith('Client') ? 'connection_reset' : 'eof_error';
  return `unknown_failure: ${err?.code ?? err?.message ?? String(e)}`;
}

const timeoutError = () => Object.assign(new Error('timeout'), { code: 'SW_TIMEOUT' });

export interface ConnectResult {
  socket: net.Socket | null;
  failure: string | null;
  t0: number;
  t: number;
}

/** TCP connect to ip:port (through `route`), within `timeoutMs`. */
export function tcpConnect(trace: Trace, ip: string, port: number, timeoutMs: number, route?: Route): Promise<ConnectResult> {
  const t0 = rel(trace);
  const address = endpoint(ip, port);
  return new Promise((resolve) => {
    let target: { host: string; port: number };
    try {
      target = route ? route(ip, port) : { host: ip, port };
    } catch {
      const t = rel(trace);
      trace.events.push({ address, failure: 'host_unreachable', operation: 'connect', proto: 'tcp', t0, t });
      resolve({ socket: null, failure: 'host_unreachable', t0, t });
      return;
    }
    const sock = net.connect({ host: target.host, port: target.port });
    let done = false;
    const finish = (failure: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const t = rel(trace);
      trace.events.push({ address, failure, operation: 'connect', proto: 'tcp', t0, t });
      if (failure) sock.destroy();
      sock.removeAllListeners('error');
      if (!failure) sock.on('error', () => undefined);
      resolve({ socket: failure ? null : sock, failure, t0, t });
    };
    const timer = setTimeout(() => finish('generic_timeout_error'), timeoutMs);
    sock.once('connect', () => finish(null));
    sock.once('error', (e) => finish(failureOf(e)));
  });
}

export interface TlsResult {
  socket: tls.TLSSocket | null;
  failure: string | null;
  t0: number;
  t: number;
  cipherSuite: string;
  tlsVersion: string;
  negotiatedProtocol: string;
  peerCertificates: { data: string; format: 'base64' }[];
}

/**
 * TLS handshake over a connected socket with the given SNI. Certificates are verified against `ca` (lab mode:
 * only the lab CA) or the system roots; an invalid chain or name fails the handshake with OONI's ssl_* strings,
 * and the peer's certificates are recorded either way.
 */
export function tlsHandshake(
  trace: Trace,
  sock: net.Socket,
  address: string,
  serverName: string,
  timeoutMs: number,
  ca?: string | Buffer,
  alpn: string[] = ['http/1.1'],
): Promise<TlsResult> {
  const t0 = rel(trace);
  trace.events.push({ address, failure: null, operation: 'tls_handshake_start', proto: 'tcp', t0, t: t0 });
  return new Promise((resolve) => {
    const isIp = net.isIP(serverName) !== 0;
    const ts = tls.connect({
      socket: sock,
      servername: isIp ? undefined : serverName,
      rejectUnauthorized: false,
      ca,
      ALPNProtocols: alpn,
    });
    let done = false;
    const finish = (failure: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const t = rel(trace);
      let certs: TlsResult['peerCertificates'] = [];
      try {
        let c = ts.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
        const seen = new Set<string>();
        while (c && c.raw && !seen.has(c.fingerprint256)) {
          seen.add(c.fingerprint256);
          certs.push({ data: c.raw.toString('base64'), format: 'base64' });
          c = c.issuerCertificate;
        }
      } catch {
        certs = [];
      }
      const cipher = ts.getCipher();
      const res: TlsResult = {
        socket: failure ? null : ts,
        failure,
        t0,
        t,
        cipherSuite: failure ? '' : (cipher?.standardName ?? cipher?.name ?? ''),
        tlsVersion: failure ? '' : (ts.getProtocol() ?? ''),
        negotiatedProtocol: failure ? '' : ts.alpnProtocol || '',
        peerCertificates: certs,
      };
      trace.events.push({ address, failure, operation: 'tls_handshake_done', proto: 'tcp', t0, t });
      if (failure) {
        ts.destroy();
        sock.destroy();
      } else {
        ts.removeAllListeners('error');
        ts.on('error', () => undefined);
      }
      resolve(res);
    };
    const timer = setTimeout(() => finish('generic_timeout_error'), timeoutMs);
    ts.once('secureConnect', () => {
      if (!ts.authorized) {
        finish(failureOf({ code: String(ts.authorizationError ?? 'CERT_UNTRUSTED') }));
        return;
      }
      if (!isIp) {
        const cert = ts.getPeerCertificate();
        const err = tls.checkServerIdentity(serverName, cert);
        if (err) {
          finish('ssl_invalid_hostname');
          return;
        }
      }
      finish(null);
    });
    ts.once('error', (e) => finish(failureOf(e)));
    ts.once('close', () => finish('connection_reset'));
    sock.once('end', () => finish('eof_error'));
  });
}

export interface HttpResult {
  failure: string | null;
  code: number;
  headers: Record<string, string>;
  headersList: [string, string][];
  body: Buffer;
  truncated: boolean;
  /** ms from the first body byte to the last one read */
  bodyTransferMs: number;
  t0: number;
  t: number;
}

/**
 * One HTTP/1.1 GET over an established (TLS or plain) socket. The body is read up to `bodyCap` bytes and the
 * connection closed after that. `timeoutMs` is the idle limit between bytes; `deadlineMs` bounds the whole.
 */
export function httpGet(
  trace: Trace,
  sock: net.Socket,
  address: string,
  url: URL,
  headers: Record<string, string>,
  opts: { timeoutMs: number; deadlineMs: number; bodyCap?: number },
): Promise<HttpResult> {
  const cap = opts.bodyCap ?? BODY_CAP;
  const t0 = rel(trace);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let firstByte = 0;
    let lastByte = 0;
    let done = false;
    let code = 0;
    let respHeaders: Record<string, string> = {};
    let headersList: [string, string][] = [];
    let truncated = false;
    let encoding = '';
    const finish = (failure: string | null) => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      const t = rel(trace);
      let body: Buffer = Buffer.concat(chunks);
      if (!failure && encoding) body = decode(body, encoding);
      trace.events.push({ address, failure, num_bytes: size, operation: 'read', proto: 'tcp', t0, t });
      req.destroy();
      sock.destroy();
      resolve({
        failure,
        code: failure && !code ? 0 : code,
        headers: respHeaders,
        headersList,
        body,
        truncated,
        bodyTransferMs: firstByte ? Math.round((lastByte - firstByte) * 10) / 10 : 0,
        t0,
        t,
      });
    };
    const deadline = setTimeout(() => finish('generic_timeout_error'), opts.deadlineMs);
    const path = `${url.pathname || '/'}${url.search}`;
    const req = http.request({
      method: 'GET',
      path,
      headers: { Host: url.host, ...headers },
      createConnection: () => sock,
      setHost: false,
      insecureHTTPParser: true,
    });
    req.setTimeout(opts.timeoutMs, () => finish('generic_timeout_error'));
    req.on('error', (e) => finish(failureOf(e)));
    trace.events.push({ address, failure: null, operation: 'write', proto: 'tcp', t0, t: t0 });
    req.on('response', (res) => {
      code = res.statusCode ?? 0;
      headersList = [];
      respHeaders = {};
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
        const k = res.rawHeaders[i]!;
        const v = res.rawHeaders[i + 1]!;
        headersList.push([k, v]);
        if (!(k in respHeaders)) respHeaders[k] = v;
      }
      encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
      firstByte = performance.now();
      lastByte = firstByte;
      res.on('data', (c: Buffer) => {
        lastByte = performance.now();
        const room = cap - size;
        if (c.length >= room) {
          chunks.push(c.subarray(0, room));
          size += room;
          truncated = true;
          finish(null);
          return;
        }
        chunks.push(c);
        size += c.length;
      });
      res.on('end', () => finish(null));
      res.on('aborted', () => finish(size > 0 ? 'eof_error' : 'connection_reset'));
      res.on('error', (e) => finish(failureOf(e)));
    });
    req.end();
  });
}

function decode(body: Buffer, encoding: string): Buffer {
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.gunzipSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    if (encoding === 'deflate') return zlib.inflateSync(body, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    if (encoding === 'br') return zlib.brotliDecompressSync(body);
  } catch {
    /* keep the raw bytes */
  }
  return body;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** A body as OONI writes it: a string when it is UTF-8, else `{format: "base64", data}`. */
export function ooniBody(b: Buffer): string | { format: 'base64'; data: string } {
  try {
    return utf8.decode(b);
  } catch {
    return { format: 'base64', data: b.toString('base64') };
  }
}

export function timeoutReject<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, rej) => (timer = setTimeout(() => rej(timeoutError()), ms)))]).finally(() => clearTimeout(timer));
}
