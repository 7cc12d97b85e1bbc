/**
 * The desk's cryptography, shared by the server (JavaScript-less submissions), the /report page's script (sealing in
 * the reporter's browser) and the responders' console (opening in the responder's browser). libsodium only; nothing
 * home-made: secretbox (XSalsa20-Poly1305) for content, sealed boxes (X25519) for keys, Argon2id (crypto_pwhash) for
 * keys derived from a passphrase or a receipt, BLAKE2b for the receipt verifier.
 *
 * Layout (docs/desk.md):
 *  - each case has a report key and an internal key (32 random bytes each); every item is `nonce(24) || secretbox`
 *    under one of them;
 *  - the report key is sealed to every active responder key, to the organisation's escrow key and to the reporter's
 *    key (derived from the receipt); the internal key (notes, grant fields that name people) to responders and escrow;
 *  - a receipt is 128 random bits written as 26 base32 letters; Argon2id(receipt, per-case salt) gives 64 bytes: the
 *    first half hashed with BLAKE2b is the stored verifier, the second half seeds the reporter's X25519 key pair;
 *  - a responder's private key is stored only as secretbox ciphertext under Argon2id(passphrase, salt).
 */
import sodiumLib from 'libsodium-wrappers-sumo';

export type Sodium = typeof sodiumLib;

export async function sodiumReady(): Promise<Sodium> {
  await sodiumLib.ready;
  return sodiumLib;
}

/** Receipt stretching: the same cost as the sign-in passwords (Argon2id, 19 MiB, t=2). */
export const RECEIPT_KDF = { opslimit: 2, memlimit: 19 * 1024 * 1024 } as const;
/** Responder passphrases: Argon2id, 64 MiB, t=3 (derived in the responder's browser). */
export const PASSPHRASE_KDF = { opslimit: 3, memlimit: 64 * 1024 * 1024 } as const;

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** 128 random bits as 26 base32 letters in groups of four (e.g. `K4QZ-...`). */
export function generateReceipt(s: Sodium): string {
  const bytes = s.randombytes_buf(17); // 136 bits; the first 130 are used (26 letters × 5 bits), at least 128 random
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 26) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= 0xff;
  }
  return out.match(/.{1,4}/g)!.join('-');
}

/** Upper case, no spaces or dashes; common misreadings (0→O, 1→I, 8→B) mended. */
export function normalizeReceipt(r: string): string {
  return r.toUpperCase().replace(/[^A-Z0-9]/g, '').replace(/0/g, 'O').replace(/1/g, 'I').replace(/8/g, 'B');
}

export function isWellFormedReceipt(r: string): boolean {
  return /^[A-Z2-7]{26}$/.test(normalizeReceipt(r));
}

export const RECEIPT_PREFIX_LEN = 4;
export function receiptPrefix(r: string): string {
  return normalizeReceipt(r).slice(0, RECEIPT_PREFIX_LEN);
}

export interface ReporterKeys {
  verifier: Uint8Array;
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

/** Argon2id over the receipt: the verifier the server stores, and the reporter's key pair. */
export function deriveReporter(s: Sodium, receipt: string, salt: Uint8Array): ReporterKeys {
  const out = s.crypto_pwhash(64, normalizeReceipt(receipt), salt, RECEIPT_KDF.opslimit, RECEIPT_KDF.memlimit, s.crypto_pwhash_ALG_ARGON2ID13);
  const verifier = s.crypto_generichash(32, out.subarray(0, 32), null);
  const kp = s.crypto_box_seed_keypair(out.slice(32, 64));
  s.memzero(out);
  return { verifier, publicKey: kp.publicKey, privateKey: kp.privateKey };
}

/**
 * The returning reporter's browser: the same Argon2id as deriveReporter, but it keeps the first half (`auth`) to prove
 * the receipt to the server (which stores only BLAKE2b(auth)) and the key pair to open the reporter's copy of the key.
 */
export function deriveReporterAuth(s: Sodium, receipt: string, salt: Uint8Array): { auth: Uint8Array; publicKey: Uint8Array; privateKey: Uint8Array } {
  const out = s.crypto_pwhash(64, normalizeReceipt(receipt), salt, RECEIPT_KDF.opslimit, RECEIPT_KDF.memlimit, s.crypto_pwhash_ALG_ARGON2ID13);
  const auth = out.slice(0, 32);
  const kp = s.crypto_box_seed_keypair(out.slice(32, 64));
  s.memzero(out);
  return { auth, publicKey: kp.publicKey, privateKey: kp.privateKey };
}

/**
 * Proof of work for the /report JavaScript path (hashcash with SHA-256): a stamp is a nonce such that
 * SHA-256(challenge ":" nonce) starts with `bits` zero bits. The challenge is the form's single-use token, so a stamp
 * is good for one submission only.
 */
export function powOk(s: Sodium, challenge: string, nonce: string, bits: number): boolean {
  if (bits <= 0) return true;
  if (!/^[0-9a-z]{1,16}$/.test(nonce)) return false;
  return leadingZeroBits(s.crypto_hash_sha256(s.from_string(`${challenge}:${nonce}`))) >= bits;
}

export function leadingZeroBits(h: Uint8Array): number {
  let n = 0;
  for (const b of h) {
    if (b === 0) {
      n += 8;
      continue;
    }
    return n + Math.clz32(b) - 24;
  }
  return n;
}

/** Finds a stamp (in the reporter's browser); about 2^bits hashes on average. */
export function powSolve(s: Sodium, challenge: string, bits: number): string {
  for (let i = 0; ; i++) {
    const nonce = i.toString(36);
    if (powOk(s, challenge, nonce, bits)) return nonce;
  }
}

export function newSalt(s: Sodium): Uint8Array {
  return s.randombytes_buf(s.crypto_pwhash_SALTBYTES);
}

export function newSymmetricKey(s: Sodium): Uint8Array {
  return s.crypto_secretbox_keygen();
}

export function sealTo(s: Sodium, key: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return s.crypto_box_seal(key, publicKey);
}

export function openSealed(s: Sodium, sealed: Uint8Array, publicKey: Uint8Array, privateKey: Uint8Array): Uint8Array {
  return s.crypto_box_seal_open(sealed, publicKey, privateKey);
}

export function encrypt(s: Sodium, key: Uint8Array, plain: Uint8Array): Uint8Array {
  const nonce = s.randombytes_buf(s.crypto_secretbox_NONCEBYTES);
  const box = s.crypto_secretbox_easy(plain, nonce, key);
  const out = new Uint8Array(nonce.length + box.length);
  out.set(nonce, 0);
  out.set(box, nonce.length);
  return out;
}

export function decrypt(s: Sodium, key: Uint8Array, ct: Uint8Array): Uint8Array {
  const n = s.crypto_secretbox_NONCEBYTES;
  if (ct.length < n + s.crypto_secretbox_MACBYTES) throw new Error('ciphertext too short');
  return s.crypto_secretbox_open_easy(ct.subarray(n), ct.subarray(0, n), key);
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A file travels as [4-byte header length][header JSON][bytes] inside its secretbox. */
export function packFile(header: { name: string; type: string }, bytes: Uint8Array): Uint8Array {
  const h = enc.encode(JSON.stringify({ name: header.name, type: header.type, size: bytes.length }));
  const out = new Uint8Array(4 + h.length + bytes.length);
  new DataView(out.buffer).setUint32(0, h.length);
  out.set(h, 4);
  out.set(bytes, 4 + h.length);
  return out;
}

export function unpackFile(plain: Uint8Array): { name: string; type: string; size: number; bytes: Uint8Array } {
  const len = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(0);
  const header = JSON.parse(dec.decode(plain.subarray(4, 4 + len))) as { name: string; type: string; size: number };
  return { ...header, bytes: plain.subarray(4 + len) };
}

export const textBytes = (t: string) => enc.encode(t);
export const bytesText = (b: Uint8Array) => dec.decode(b);

export interface Recipient {
  keyId: string;
  kind: 'responder' | 'escrow';
  publicKey: Uint8Array;
}

export interface SealedKey {
  purpose: 'report' | 'internal';
  recipient: 'responder' | 'escrow' | 'reporter';
  keyId: string | null;
  sealed: Uint8Array;
}

export interface ReportContent {
  narrative: string;
  contact: string;
  contactPreference: string;
}

export interface Envelope {
  keys: SealedKey[];
  items: { kind: 'report' | 'attachment'; ciphertext: Uint8Array }[];
}

/**
 * Seals a new report: fresh report and internal keys, sealed to every recipient (and the report key to the reporter),
 * the report and each file encrypted under the report key. The keys are wiped before returning.
 */
export function sealReport(
  s: Sodium,
  recipients: Recipient[],
  reporterPublicKey: Uint8Array,
  content: ReportContent,
  files: { name: string; type: string; bytes: Uint8Array }[],
): Envelope {
  if (!recipients.some((r) => r.kind === 'escrow')) throw new Error('the organisation has no escrow key');
  const reportKey = newSymmetricKey(s);
  const internalKey = newSymmetricKey(s);
  try {
    const keys: SealedKey[] = [];
    for (const r of recipients) {
      keys.push({ purpose: 'report', recipient: r.kind, keyId: r.keyId, sealed: sealTo(s, reportKey, r.publicKey) });
      keys.push({ purpose: 'internal', recipient: r.kind, keyId: r.keyId, sealed: sealTo(s, internalKey, r.publicKey) });
    }
    keys.push({ purpose: 'report', recipient: 'reporter', keyId: null, sealed: sealTo(s, reportKey, reporterPublicKey) });
    const items: Envelope['items'] = [{ kind: 'report', ciphertext: encrypt(s, reportKey, textBytes(JSON.stringify(content))) }];
    for (const f of files) items.push({ kind: 'attachment', ciphertext: encrypt(s, reportKey, packFile(f, f.bytes)) });
    return { keys, items };
  } finally {
    s.memzero(reportKey);
    s.memzero(internalKey);
  }
}

export interface WrappedKey {
  publicKey: Uint8Array;
  wrapped: Uint8Array;
  salt: Uint8Array;
  opslimit: number;
  memlimit: number;
}

/** A responder's new key pair, its private half wrapped under Argon2id(passphrase). */
export function newResponderKey(s: Sodium, passphrase: string, kdf: { opslimit: number; memlimit: number } = PASSPHRASE_KDF): WrappedKey {
  const kp = s.crypto_box_keypair();
  const salt = newSalt(s);
  const k = s.crypto_pwhash(32, passphrase, salt, kdf.opslimit, kdf.memlimit, s.crypto_pwhash_ALG_ARGON2ID13);
  const wrapped = encrypt(s, k, kp.privateKey);
  s.memzero(k);
  s.memzero(kp.privateKey);
  return { publicKey: kp.publicKey, wrapped, salt, opslimit: kdf.opslimit, memlimit: kdf.memlimit };
}

/** Opens a wrapped private key with the passphrase; throws on a wrong passphrase. */
export function unwrapResponderKey(s: Sodium, w: Omit<WrappedKey, 'publicKey'>, passphrase: string): Uint8Array {
  const k = s.crypto_pwhash(32, passphrase, w.salt, w.opslimit, w.memlimit, s.crypto_pwhash_ALG_ARGON2ID13);
  try {
    return decrypt(s, k, w.wrapped);
  } catch {
    throw new Error('wrong passphrase');
  } finally {
    s.memzero(k);
  }
}

export const b64 = (s: Sodium, b: Uint8Array) => s.to_base64(b, s.base64_variants.ORIGINAL);
export const unb64 = (s: Sodium, t: string) => s.from_base64(t, s.base64_variants.ORIGINAL);
