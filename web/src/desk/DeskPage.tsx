/**
 * The responders' desk in the console: create or unlock the personal key (Argon2id in this browser), the cases
 * queue with service targets, and a case opened here — reports, files, replies and notes are decrypted and
 * encrypted in this browser; the server only ever sees ciphertext. The unlocked private key lives in memory only
 * (never in storage) and is forgotten on reload or with "Lock".
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError, request } from '../api/client.js';
import { Link } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Loaded, NoResults } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';
import { CaseWork, DeskFigures } from './DeskWork.js';
import { DeskNav, FieldError } from './DeskAdmin.js';
import { useAuth } from '../auth/auth.js';

type Crypto = typeof import('../../../src/desk/crypto.js');
let cryptoMod: Promise<Crypto> | null = null;
const loadCrypto = () => (cryptoMod ??= import('../../../src/desk/crypto.js'));

interface KeyInfo { id: string; publicKey: string; wrappedPrivateKey: string; salt: string; opslimit: number; memlimit: number; fingerprint: string }
interface CaseRow {
  id: string; ref: number; category: string; country: string | null; urgency: string; safeNow: string; status: string; sealedBy: string; receivedAt: string;
  firstReplyAt: string | null; assignedLabel: string | null; destroyedAt: string | null; sla: { minutesWaiting: number | null; level: string };
}
interface CaseDetail extends CaseRow {
  assignedTo: string | null;
  legalHold: boolean; legalHoldReason: string | null; legalHoldAt: string | null; legalHoldBy: string | null; deletionRequestedAt: string | null;
  keyHolders: string[];
  vetting: unknown;
  sealedKeys: { report?: string; internal?: string };
  items: { id: string; kind: string; purpose: string; at: string; bytes: number; author: string | null; ciphertext: string | null }[];
  escalations: { id: string; platform: string; channel: string; escalatedAt: string; answeredAt: string | null; outcome: string | null }[];
}

/** The unlocked key, in memory for this tab only. */
const unlocked: { sk: Uint8Array | null; pk: Uint8Array | null } = { sk: null, pk: null };
const listeners = new Set<() => void>();
function setUnlocked(sk: Uint8Array | null, pk: Uint8Array | null) {
  if (unlocked.sk) unlocked.sk.fill(0);
  unlocked.sk = sk;
  unlocked.pk = pk;
  listeners.forEach((l) => l());
}
function useUnlocked() {
  const [, set] = useState(0);
  useEffect(() => {
    const l = () => set((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return unlocked;
}

function KeyPanel() {
  const { t } = useI18n();
  const res = useApi<{ key: KeyInfo | null }>('/api/desk/keys/me');
  const u = useUnlocked();
  const [pass, setPass] = useState('');
  const [pass2, setPass2] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (pass.length < 12) return setError(t('desk.key.tooShort'));
    if (pass !== pass2) return setError(t('desk.key.mismatch'));
    setBusy(true);
    setError('');
    try {
      const c = await loadCrypto();
      const s = await c.sodiumReady();
      const k = c.newResponderKey(s, pass);
      await request('PUT', '/api/desk/keys/me', { publicKey: c.b64(s, k.publicKey), wrappedPrivateKey: c.b64(s, k.wrapped), salt: c.b64(s, k.salt), opslimit: k.opslimit, memlimit: k.memlimit });
      setUnlocked(c.unwrapResponderKey(s, k, pass), k.publicKey);
      res.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
      setPass('');
      setPass2('');
    }
  };

  const unlock = async (e: FormEvent, key: KeyInfo) => {
    e.preventDefault();
    setBusy(true);
    setError('');
    try {
      const c = await loadCrypto();
      const s = await c.sodiumReady();
      const sk = c.unwrapResponderKey(s, { wrapped: c.unb64(s, key.wrappedPrivateKey), salt: c.unb64(s, key.salt), opslimit: key.opslimit, memlimit: key.memlimit }, pass);
      setUnlocked(sk, c.unb64(s, key.publicKey));
    } catch {
      setError(t('desk.key.wrong'));
    } finally {
      setBusy(false);
      setPass('');
    }
  };

  return (
    <section className="card desk-key" aria-labelledby="desk-key-h">
      <h2 id="desk-key-h">{t('desk.key.title')}</h2>
      <Loaded state={res}>
        {(d) =>
          u.sk ? (
            <p>
              <span className="badge" data-testid="desk-unlocked">{t('desk.key.unlocked')}</span> <code>{d.key?.fingerprint}</code>{' '}
              <button type="button" className="btn btn-quiet" onClick={() => setUnlocked(null, null)}>{t('desk.key.lock')}</button>
            </p>
          ) : d.key ? (
            <form onSubmit={(e) => void unlock(e, d.key!)}>
              <p className="muted">{t('desk.key.unlockHint')}</p>
              <label>{t('desk.key.passphrase')} <input type="password" name="passphrase" value={pass} onChange={(e) => setPass(e.target.value)} autoComplete="current-password" required /></label>{' '}
              <button className="btn" disabled={busy} type="submit">{busy ? '…' : t('desk.key.unlock')}</button>
            </form>
          ) : (
            <form onSubmit={(e) => void create(e)}>
              <p className="muted">{t('desk.key.createHint')}</p>
              <label>{t('desk.key.passphrase')} <input type="password" name="passphrase" value={pass} onChange={(e) => setPass(e.target.value)} autoComplete="new-password" required /></label>{' '}
              <label>{t('desk.key.again')} <input type="password" name="passphrase2" value={pass2} onChange={(e) => setPass2(e.target.value)} autoComplete="new-password" required /></label>{' '}
              <button className="btn" disabled={busy} type="submit">{busy ? '…' : t('desk.key.create')}</button>
            </form>
          )
        }
      </Loaded>
      {error && <p className="error" role="alert">{error}</p>}
    </section>
  );
}

function SlaBadge({ sla }: { sla: CaseRow['sla'] }) {
  const { t } = useI18n();
  return <span className={`badge sla-${sla.level}`}>{t(`desk.sla.${sla.level}` as never)}{sla.minutesWaiting != null ? ` · ${sla.minutesWaiting} min` : ''}</span>;
}

/** The cases queue: unanswered first, then by urgency and age. */
export function DeskQueue() {
  const { t, date, country } = useI18n();
  const res = useApi<{ items: CaseRow[]; total: number }>('/api/desk/cases', { open: '1', pageSize: 200 });
  return (
    <div className="page desk">
      <DeskNav />
      <div className="page-head"><div><h1>{t('desk.title')}</h1><p className="muted">{t('desk.intro')}</p></div></div>
      <KeyPanel />
      <Loaded state={res}>
        {(d) =>
          d.items.length === 0 ? <NoResults /> : (
            <table className="table" data-testid="desk-queue">
              <thead><tr><th>#</th><th>{t('desk.category')}</th><th>{t('common.country')}</th><th>{t('desk.urgency')}</th><th>{t('desk.status')}</th><th>{t('desk.target')}</th><th>{t('desk.received')}</th></tr></thead>
              <tbody>
                {d.items.map((c) => (
                  <tr key={c.id}>
                    <td><Link to={`/desk/cases/${c.id}`}>#{c.ref}</Link></td>
                    <td>{t(`desk.cat.${c.category}` as never)}</td>
                    <td>{c.country ? country(c.country) : '—'}</td>
                    <td>{t(`desk.urg.${c.urgency}` as never)}</td>
                    <td>{t(`desk.st.${c.status}` as never)}</td>
                    <td><SlaBadge sla={c.sla} /></td>
                    <td>{date(c.receivedAt, true)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Loaded>
      <DeskFigures />
    </div>
  );
}

interface Opened {
  entries: { id: string; kind: string; at: string; author: string | null; text?: string; contact?: string; file?: { name: string; type: string; url: string; size: number } }[];
}

/** One case, opened in this browser with the unlocked key. */
export function DeskCase({ id }: { id: string }) {
  const { t, date, country, lang } = useI18n();
  const res = useApi<CaseDetail>(`/api/desk/cases/${id}`);
  const canned = useApi<{ items: { id: string; title: string; body: string; categories: string[] }[] }>('/api/desk/canned', { lang });
  const u = useUnlocked();
  const [opened, setOpened] = useState<Opened | null>(null);
  const [openError, setOpenError] = useState('');
  const [reply, setReply] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);

  useEffect(() => {
    const c = res.data;
    if (!c || !u.sk || !u.pk) return setOpened(null);
    let cancelled = false;
    void (async () => {
      try {
        const m = await loadCrypto();
        const s = await m.sodiumReady();
        if (!c.sealedKeys.report) throw new Error(t('desk.case.noKey'));
        const rk = m.openSealed(s, m.unb64(s, c.sealedKeys.report), u.pk!, u.sk!);
        const ik = c.sealedKeys.internal ? m.openSealed(s, m.unb64(s, c.sealedKeys.internal), u.pk!, u.sk!) : null;
        const entries: Opened['entries'] = [];
        for (const it of c.items) {
          const ctB64 = it.ciphertext ?? (await api.get<{ ciphertext: string }>(`/api/desk/cases/${id}/items/${it.id}`)).ciphertext;
          const key = it.purpose === 'report' ? rk : ik;
          if (!key) continue;
          const plain = m.decrypt(s, key, m.unb64(s, ctB64));
          if (it.kind === 'attachment') {
            const f = m.unpackFile(plain);
            entries.push({ id: it.id, kind: it.kind, at: it.at, author: it.author, file: { name: f.name, type: f.type, size: f.size, url: URL.createObjectURL(new Blob([f.bytes as BlobPart], { type: 'application/octet-stream' })) } });
          } else if (it.kind === 'report') {
            const r = JSON.parse(m.bytesText(plain)) as { narrative: string; contact: string };
            entries.push({ id: it.id, kind: it.kind, at: it.at, author: it.author, text: r.narrative, contact: r.contact });
          } else {
            entries.push({ id: it.id, kind: it.kind, at: it.at, author: it.author, text: (JSON.parse(m.bytesText(plain)) as { text: string }).text });
          }
        }
        s.memzero(rk);
        if (ik) s.memzero(ik);
        if (!cancelled) setOpened({ entries });
      } catch (e) {
        if (!cancelled) setOpenError(e instanceof Error ? e.message : String(e));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [res.data, u.sk, u.pk, id, t]);

  const send = async (kind: 'replies' | 'notes', text: string) => {
    const c = res.data;
    if (!c || !u.sk || !u.pk || !text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const m = await loadCrypto();
      const s = await m.sodiumReady();
      const sealed = kind === 'replies' ? c.sealedKeys.report : c.sealedKeys.internal;
      const key = m.openSealed(s, m.unb64(s, sealed!), u.pk, u.sk);
      const ct = m.encrypt(s, key, m.textBytes(JSON.stringify({ text: text.trim() })));
      s.memzero(key);
      await api.post(`/api/desk/cases/${id}/${kind}`, { ciphertext: m.b64(s, ct) });
      if (kind === 'replies') setReply('');
      else setNote('');
      res.reload();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  /** Seals a text under the case's internal key in this browser (grant fields that name the person). */
  const sealInternal = async (text: string): Promise<string> => {
    const c = res.data;
    if (!c?.sealedKeys.internal || !u.sk || !u.pk) throw new Error(t('desk.grant.needsKey'));
    const m = await loadCrypto();
    const s = await m.sodiumReady();
    const key = m.openSealed(s, m.unb64(s, c.sealedKeys.internal), u.pk, u.sk);
    const ct = m.encrypt(s, key, m.textBytes(JSON.stringify({ text })));
    s.memzero(key);
    return m.b64(s, ct);
  };

  const setStatus = async (status: string) => {
    try {
      await api.patch(`/api/desk/cases/${id}`, { status });
      res.reload();
    } catch (e) {
      setError(e as Error);
    }
  };

  return (
    <div className="page desk-case">
      <DeskNav />
      <Loaded state={res}>
        {(c) => (
          <>
            <h1>{t('desk.case')} #{c.ref}</h1>
            {c.legalHold && <p className="notice" data-testid="legal-hold-badge"><strong>{t('desk.hold.on')}</strong> — {c.legalHoldReason} ({c.legalHoldBy}{c.legalHoldAt ? `, ${date(c.legalHoldAt, true)}` : ''})</p>}
            {c.deletionRequestedAt && !c.destroyedAt && <p className="notice notice-error">{t('desk.hold.deletionRequested')}</p>}
            <dl className="facts">
              <dt>{t('desk.category')}</dt><dd>{t(`desk.cat.${c.category}` as never)}</dd>
              <dt>{t('common.country')}</dt><dd>{c.country ? country(c.country) : '—'}</dd>
              <dt>{t('desk.urgency')}</dt><dd>{t(`desk.urg.${c.urgency}` as never)}</dd>
              <dt>{t('desk.safeNow')}</dt><dd>{c.safeNow}</dd>
              <dt>{t('desk.received')}</dt><dd>{date(c.receivedAt, true)}</dd>
              <dt>{t('desk.target')}</dt><dd><SlaBadge sla={c.sla} /></dd>
              <dt>{t('desk.status')}</dt>
              <dd>
                <select aria-label={t('desk.status')} value={c.status} onChange={(e) => void setStatus(e.target.value)}>
                  {['new', 'in_progress', 'waiting', 'resolved', 'closed'].map((s) => <option key={s} value={s}>{t(`desk.st.${s}` as never)}</option>)}
                </select>
              </dd>
            </dl>
            <KeyPanel />
            {c.destroyedAt ? <p className="notice">{t('desk.case.destroyed')}</p> : !u.sk ? <p className="notice">{t('desk.case.locked')}</p> : openError ? <ErrorBox error={openError} /> : !opened ? <p>…</p> : (
              <section className="desk-thread" data-testid="desk-thread">
                {opened.entries.map((e) => (
                  <article key={e.id} className={`entry entry-${e.kind}`}>
                    <header className="muted">{t(`desk.kind.${e.kind}` as never)} · {e.author ?? ''} · {date(e.at, true)}</header>
                    {e.text && <p style={{ whiteSpace: 'pre-wrap' }}>{e.text}</p>}
                    {e.contact && <p><strong>{t('desk.contact')}:</strong> {e.contact}</p>}
                    {e.file && <p><a href={e.file.url} download={e.file.name}>{e.file.name}</a> ({Math.ceil(e.file.size / 1024)} kB)</p>}
                  </article>
                ))}
              </section>
            )}
            {u.sk && !c.destroyedAt && c.status !== 'closed' && (
              <>
                <form className="card" onSubmit={(e) => { e.preventDefault(); void send('replies', reply); }}>
                  <h2>{t('desk.reply')}</h2>
                  {canned.data && (
                    <select aria-label={t('desk.canned')} defaultValue="" onChange={(e) => setReply(canned.data!.items.find((k) => k.id === e.target.value)?.body ?? reply)}>
                      <option value="">{t('desk.canned')}</option>
                      {canned.data.items.filter((k) => k.categories.includes('*') || k.categories.includes(c.category)).map((k) => <option key={k.id} value={k.id}>{k.title}</option>)}
                    </select>
                  )}
                  <textarea name="reply" aria-label={t('desk.reply')} value={reply} onChange={(e) => setReply(e.target.value)} rows={6} />
                  <button className="btn" type="submit" disabled={busy}>{t('desk.sendReply')}</button>
                </form>
                <form className="card" onSubmit={(e) => { e.preventDefault(); void send('notes', note); }}>
                  <h2>{t('desk.note')}</h2>
                  <textarea name="note" aria-label={t('desk.note')} value={note} onChange={(e) => setNote(e.target.value)} rows={3} />
                  <button className="btn btn-quiet" type="submit" disabled={busy}>{t('desk.addNote')}</button>
                </form>
              </>
            )}
            {error && <ErrorBox error={error} />}
            <CaseWork id={c.id} assignedTo={c.assignedTo} vetting={c.vetting} escalations={c.escalations} onChange={res.reload} sealInternal={u.sk && !c.destroyedAt ? sealInternal : null} />
            <LegalHold c={c} onChange={res.reload} />
            {!c.destroyedAt && <ShareKeys c={c} onChange={res.reload} />}
          </>
        )}
      </Loaded>
    </div>
  );
}

/** Legal hold: visible to every responder on the case; placed or lifted by an admin, always with a reason. */
function LegalHold({ c, onChange }: { c: CaseDetail; onChange: () => void }) {
  const { t } = useI18n();
  const { user } = useAuth();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<Error | null>(null);
  if (user?.role !== 'admin' || c.destroyedAt) return null;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    api.patch(`/api/desk/cases/${c.id}`, { legalHold: !c.legalHold, legalHoldReason: reason }).then(() => {
      setReason('');
      onChange();
    }, (err: Error) => setError(err));
  };
  return (
    <form className="card" onSubmit={submit} data-testid="legal-hold">
      <h2>{t('desk.hold.title')}</h2>
      <p className="muted">{c.legalHold ? t('desk.hold.liftHint') : t('desk.hold.placeHint')}</p>
      <label>{t('desk.hold.reason')} <input value={reason} onChange={(e) => setReason(e.target.value)} size={50} required minLength={3} /></label>{' '}
      <button className="btn" type="submit">{c.legalHold ? t('desk.hold.lift') : t('desk.hold.place')}</button>
      <FieldError error={error} />
    </form>
  );
}

/** Share the case with a responder whose key it is not sealed to: the keys are sealed to theirs in this browser. */
function ShareKeys({ c, onChange }: { c: CaseDetail; onChange: () => void }) {
  const { t } = useI18n();
  const u = useUnlocked();
  const people = useApi<{ items: { id: string; email: string; keyId: string | null; publicKey: string | null }[] }>('/api/desk/responders');
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState('');
  const missing = (people.data?.items ?? []).filter((p) => p.keyId && p.publicKey && !c.keyHolders.includes(p.keyId));
  const share = async (p: { email: string; keyId: string | null; publicKey: string | null }) => {
    setError(null);
    try {
      if (!u.sk || !u.pk || !c.sealedKeys.report || !c.sealedKeys.internal) throw new Error(t('desk.case.locked'));
      const m = await loadCrypto();
      const s = await m.sodiumReady();
      const theirs = m.unb64(s, p.publicKey!);
      const rk = m.openSealed(s, m.unb64(s, c.sealedKeys.report), u.pk, u.sk);
      const ik = m.openSealed(s, m.unb64(s, c.sealedKeys.internal), u.pk, u.sk);
      const body = { keyId: p.keyId, report: m.b64(s, m.sealTo(s, rk, theirs)), internal: m.b64(s, m.sealTo(s, ik, theirs)) };
      s.memzero(rk);
      s.memzero(ik);
      await api.post(`/api/desk/cases/${c.id}/keys`, body);
      setDone(t('desk.share.done', { email: p.email }));
      onChange();
    } catch (e) {
      setError(e as Error);
    }
  };
  return (
    <section className="card" data-testid="share-keys">
      <h2>{t('desk.share.title')}</h2>
      <p className="muted">{t('desk.share.intro')}</p>
      {missing.length === 0 ? <p>{t('desk.share.all')}</p> : (
        <ul>
          {missing.map((p) => (
            <li key={p.id}>{p.email} <button type="button" className="btn btn-quiet" disabled={!u.sk} onClick={() => void share(p)}>{t('desk.share.button')}</button></li>
          ))}
        </ul>
      )}
      {done && <p role="status">{done}</p>}
      <FieldError error={error} />
    </section>
  );
}
