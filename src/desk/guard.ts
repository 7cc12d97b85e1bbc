/**
 * Flood and guessing protection for the public reporting page, in memory only (nothing about a visitor is written):
 *  - form tokens: the page hands out an HMAC-signed token; a submission needs one that is at least a few seconds and
 *    at most a day old (slow Tor users have all day) and not used before;
 *  - sliding-window counters keyed by an HMAC of the address under a key that lives only in this process (behind a
 *    Tor onion service every visitor shares one address, so the per-address limit is generous and the global limit
 *    per minute is what stops a flood);
 *  - wrong receipts: a few per address per quarter hour, then 429.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const secret = randomBytes(32);
const keyOf = (s: string) => createHmac('sha256', secret).update(s).digest('base64url').slice(0, 22);

export class Window {
  private readonly hits = new Map<string, number[]>();
  constructor(
    readonly max: number,
    readonly windowMs: number,
  ) {}
  /** Counts one hit; false when the key is over its limit (the hit is not counted then). */
  take(key: string, now: number): boolean {
    const k = keyOf(key);
    const list = (this.hits.get(k) ?? []).filter((t) => now - t < this.windowMs);
    if (list.length >= this.max) {
      this.hits.set(k, list);
      return false;
    }
    list.push(now);
    this.hits.set(k, list);
    if (this.hits.size > 50_000) this.hits.clear();
    return true;
  }
  count(key: string, now: number): number {
    return (this.hits.get(keyOf(key)) ?? []).filter((t) => now - t < this.windowMs).length;
  }
  reset(): void {
    this.hits.clear();
  }
}

export const FORM_MIN_AGE_MS = 3_000;
export const FORM_MAX_AGE_MS = 24 * 3600 * 1000;

/** Proof-of-work difficulty for the JavaScript path: STACKWATCH_DESK_POW_BITS (0 = off; 18–20 ≈ 1–3 s on a slow laptop). */
export function powBitsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.STACKWATCH_DESK_POW_BITS ?? 0);
  return Number.isInteger(v) && v >= 0 && v <= 28 ? v : 0;
}

export class DeskGuard {
  readonly perAddress = new Window(10, 10 * 60 * 1000);
  readonly global = new Window(60, 60 * 1000);
  /** Submissions that carry a valid proof-of-work stamp have their own lane (the stamp is their cost). */
  readonly globalPow = new Window(120, 60 * 1000);
  readonly wrongReceipts = new Window(5, 15 * 60 * 1000);
  /** Salt look-ups by returning reporters with JavaScript (cheap to answer, but not unlimited). */
  readonly saltLookups = new Window(30, 15 * 60 * 1000);
  private readonly used = new Map<string, number>();

  constructor(readonly powBits = powBitsFromEnv()) {}

  /** A stable decoy salt for a receipt prefix that no case uses (so the answer does not reveal that). */
  decoySalt(prefix: string): Uint8Array {
    return new Uint8Array(createHmac('sha256', secret).update(`salt:${prefix}`).digest().subarray(0, 16));
  }

  formToken(now: number): string {
    const t = `${now.toString(36)}.${randomBytes(9).toString('base64url')}`;
    return `${t}.${createHmac('sha256', secret).update(t).digest('base64url').slice(0, 22)}`;
  }

  /** Null when the token is fine (and, unless `mark` is false, marks it used); otherwise the reason, for a clear message. */
  useFormToken(token: string, now: number, mark = true): 'missing' | 'invalid' | 'too_fast' | 'expired' | 'used' | null {
    if (!token) return 'missing';
    const [ts, nonce, mac] = token.split('.');
    if (!ts || !nonce || !mac) return 'invalid';
    const want = createHmac('sha256', secret).update(`${ts}.${nonce}`).digest('base64url').slice(0, 22);
    if (want.length !== mac.length || !timingSafeEqual(Buffer.from(want), Buffer.from(mac))) return 'invalid';
    const at = parseInt(ts, 36);
    if (now - at < FORM_MIN_AGE_MS) return 'too_fast';
    if (now - at > FORM_MAX_AGE_MS) return 'expired';
    if (this.used.has(token)) return 'used';
    if (mark) this.markUsed(token, now);
    return null;
  }

  /** Marks a form token spent (after the submission it carried was stored). */
  markUsed(token: string, now: number): void {
    for (const [k, t] of this.used) if (now - t > FORM_MAX_AGE_MS) this.used.delete(k);
    this.used.set(token, now);
  }

  /** Submissions: the global per-minute ceiling and the per-address one. */
  admit(address: string, now: number, lane: 'plain' | 'pow' = 'plain'): 'ok' | 'address' | 'global' {
    // With a valid stamp: its own global lane and no per-address limit (behind Tor everyone shares one address);
    // a flood through the plain lane then does not lock out reporters whose browsers did the work.
    if (lane === 'pow') return this.globalPow.take('*', now) ? 'ok' : 'global';
    if (!this.global.take('*', now)) return 'global';
    if (!this.perAddress.take(address, now)) return 'address';
    return 'ok';
  }
}
