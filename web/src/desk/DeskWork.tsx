/**
 * The case's working panels (no sealed content here): assignment and vetting, escalations to platforms with their
 * answers, emergency grant requests; and the desk's figures (first replies per responder, platforms' answer times).
 */
import { useState, type FormEvent } from 'react';
import { api } from '../api/client.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Loaded } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';

const CHANNELS = ['trusted_partner', 'helpdesk_form', 'email', 'abuse_contact', 'legal', 'other'] as const;
const OUTCOMES = ['content_removed', 'content_restored', 'account_restored', 'account_secured', 'no_action', 'other'] as const;
const COSTS = ['replacement_hardware_software', 'secure_hardware_software', 'urgent_response', 'physical_security', 'psychosocial_support', 'legal_fees', 'secure_hosting'] as const;
const VETTING = ['known_contact', 'trusted_referral', 'public_profile', 'video_call', 'other'] as const;

interface Esc { id: string; platform: string; channel: string; escalatedAt: string; answeredAt: string | null; outcome: string | null }

export function CaseWork({ id, assignedTo, vetting, escalations, onChange, sealInternal }: {
  id: string; assignedTo: string | null; vetting: unknown; escalations: Esc[]; onChange: () => void;
  /** Seals text under the case's internal key in this browser; null while the responder key is locked. */
  sealInternal: ((text: string) => Promise<string>) | null;
}) {
  const { t, date } = useI18n();
  const responders = useApi<{ items: { id: string; email: string }[] }>('/api/desk/responders');
  const [error, setError] = useState<Error | null>(null);
  const run = (p: Promise<unknown>) => p.then(onChange, (e: Error) => setError(e));
  const [platform, setPlatform] = useState('');
  const [channel, setChannel] = useState<string>('trusted_partner');
  const [vet, setVet] = useState({ method: 'known_contact', vouchedBy: '', trusted: true });
  const [grant, setGrant] = useState({ amountEur: '', start: '', end: '', period: String(new Date().getUTCFullYear()), categories: [] as string[] });
  const [grantDone, setGrantDone] = useState('');
  const v = vetting as { method?: string; by?: string; trusted?: boolean } | null;

  const [person, setPerson] = useState({ name: '', payment: '' });
  const addGrant = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    void (async () => {
      // The fields that name the person are sealed here, under the case's internal key; the server gets ciphertext.
      const named = person.name.trim() || person.payment.trim();
      if (named && !sealInternal) throw new Error(t('desk.grant.needsKey'));
      const sealedPerson = named ? await sealInternal!(`${t('desk.grant.person')}: ${person.name.trim()}\n${t('desk.grant.payment')}: ${person.payment.trim()}`) : undefined;
      const g = await api.post<{ id: string; decisionDue: string }>(`/api/desk/cases/${id}/grants`, {
        amountEur: Number(grant.amountEur), categories: grant.categories, activityStart: grant.start, activityEnd: grant.end, period: grant.period, ...(sealedPerson ? { sealedPerson } : {}),
      });
      setPerson({ name: '', payment: '' });
      setGrantDone(`${t('desk.grant.due')} ${g.decisionDue}`);
      onChange();
    })().catch((err: Error) => setError(err));
  };

  return (
    <section className="card desk-work">
      <h2>{t('desk.work')}</h2>
      <label>
        {t('desk.assigned')}{' '}
        <select value={assignedTo ?? ''} onChange={(e) => void run(api.patch(`/api/desk/cases/${id}`, { assignedTo: e.target.value || null }))}>
          <option value="">—</option>
          {(responders.data?.items ?? []).map((r) => <option key={r.id} value={r.id}>{r.email}</option>)}
        </select>
      </label>
      <form onSubmit={(e) => { e.preventDefault(); void run(api.patch(`/api/desk/cases/${id}`, { vetting: { method: vet.method, vouchedBy: vet.vouchedBy, trusted: vet.trusted } })); }}>
        <h3>{t('desk.vetting')}</h3>
        {v && <p className="muted">{v.method} · {v.by} · {v.trusted ? '✓' : '✗'}</p>}
        <select aria-label={t('desk.vetting')} value={vet.method} onChange={(e) => setVet({ ...vet, method: e.target.value })}>{VETTING.map((m) => <option key={m} value={m}>{m.replace(/_/g, ' ')}</option>)}</select>{' '}
        <input aria-label={t('desk.vouchedBy')} placeholder={t('desk.vouchedBy')} value={vet.vouchedBy} onChange={(e) => setVet({ ...vet, vouchedBy: e.target.value })} />{' '}
        <label><input type="checkbox" checked={vet.trusted} onChange={(e) => setVet({ ...vet, trusted: e.target.checked })} /> {t('desk.trusted')}</label>{' '}
        <button className="btn btn-quiet" type="submit">{t('desk.save')}</button>
      </form>
      <h3>{t('desk.escalations')}</h3>
      <ul>
        {escalations.map((e) => (
          <li key={e.id}>
            {e.platform} · {e.channel.replace(/_/g, ' ')} · {date(e.escalatedAt, true)} →{' '}
            {e.answeredAt ? `${date(e.answeredAt, true)} · ${e.outcome?.replace(/_/g, ' ')}` : (
              <select aria-label={t('desk.outcome')} defaultValue="" onChange={(ev) => ev.target.value && void run(api.patch(`/api/desk/escalations/${e.id}`, { outcome: ev.target.value }))}>
                <option value="">{t('desk.outcome')}…</option>
                {OUTCOMES.map((o) => <option key={o} value={o}>{o.replace(/_/g, ' ')}</option>)}
              </select>
            )}
          </li>
        ))}
      </ul>
      <form onSubmit={(e) => { e.preventDefault(); void run(api.post(`/api/desk/cases/${id}/escalations`, { platform, channel }).then(() => setPlatform(''))); }}>
        <input aria-label={t('desk.platform')} placeholder={t('desk.platform')} value={platform} onChange={(e) => setPlatform(e.target.value)} required />{' '}
        <select aria-label={t('desk.channel')} value={channel} onChange={(e) => setChannel(e.target.value)}>{CHANNELS.map((c) => <option key={c} value={c}>{c.replace(/_/g, ' ')}</option>)}</select>{' '}
        <button className="btn btn-quiet" type="submit">{t('desk.escalate')}</button>
      </form>
      <form onSubmit={addGrant}>
        <h3>{t('desk.grant')}</h3>
        <label>EUR <input type="number" min="1" max="10000" step="0.01" value={grant.amountEur} onChange={(e) => setGrant({ ...grant, amountEur: e.target.value })} required /></label>{' '}
        <label>{t('desk.grant.start')} <input type="date" value={grant.start} onChange={(e) => setGrant({ ...grant, start: e.target.value })} required /></label>{' '}
        <label>{t('desk.grant.end')} <input type="date" value={grant.end} onChange={(e) => setGrant({ ...grant, end: e.target.value })} required /></label>{' '}
        <label>{t('desk.grant.period')} <input value={grant.period} onChange={(e) => setGrant({ ...grant, period: e.target.value })} size={8} required /></label>
        <p>
          <label>{t('desk.grant.person')} <input name="grantPerson" value={person.name} onChange={(e) => setPerson({ ...person, name: e.target.value })} autoComplete="off" /></label>{' '}
          <label>{t('desk.grant.payment')} <input name="grantPayment" value={person.payment} onChange={(e) => setPerson({ ...person, payment: e.target.value })} autoComplete="off" /></label>
          <br /><span className="muted">{sealInternal ? t('desk.grant.sealedHint') : t('desk.grant.needsKey')}</span>
        </p>
        <fieldset>
          {COSTS.map((c) => (
            <label key={c}><input type="checkbox" checked={grant.categories.includes(c)} onChange={(e) => setGrant({ ...grant, categories: e.target.checked ? [...grant.categories, c] : grant.categories.filter((x) => x !== c) })} /> {c.replace(/_/g, ' ')}</label>
          ))}
        </fieldset>
        <button className="btn btn-quiet" type="submit">{t('desk.grant.request')}</button> {grantDone && <span className="muted">{grantDone}</span>}
      </form>
      {error && <ErrorBox error={error} />}
    </section>
  );
}

export function DeskFigures() {
  const { t, num } = useI18n();
  const people = useApi<{ targetMinutes: number; unanswered: number; responders: { responder: string; firstReplies: number; medianMinutes: number | null; p90Minutes: number | null; withinTarget: number }[] }>('/api/desk/figures/responders');
  const platforms = useApi<{ items: { platform: string; escalations: number; answered: number; medianHours: number | null; p90Hours: number | null; outcomes: Record<string, number> }[] }>('/api/desk/figures/platforms');
  const n = (x: number | null) => (x == null ? '—' : num(Math.round(x * 10) / 10));
  return (
    <section className="card desk-figures">
      <h2>{t('desk.figures')}</h2>
      <Loaded state={people}>
        {(d) => (
          <table className="table">
            <caption>{t('desk.figures.responders')}</caption>
            <thead><tr><th>{t('desk.responder')}</th><th>{t('desk.firstReplies')}</th><th>{t('desk.median')} (min)</th><th>p90 (min)</th><th>≤ {d.targetMinutes} min</th></tr></thead>
            <tbody>{d.responders.map((r) => <tr key={r.responder}><td>{r.responder}</td><td>{r.firstReplies}</td><td>{n(r.medianMinutes)}</td><td>{n(r.p90Minutes)}</td><td>{r.withinTarget}</td></tr>)}</tbody>
          </table>
        )}
      </Loaded>
      <Loaded state={platforms}>
        {(d) => (
          <table className="table">
            <caption>{t('desk.figures.platforms')}</caption>
            <thead><tr><th>{t('desk.platform')}</th><th>{t('desk.escalations')}</th><th>{t('desk.answered')}</th><th>{t('desk.median')} (h)</th><th>p90 (h)</th><th>{t('desk.outcome')}</th></tr></thead>
            <tbody>{d.items.map((p) => <tr key={p.platform}><td>{p.platform}</td><td>{p.escalations}</td><td>{p.answered}</td><td>{n(p.medianHours)}</td><td>{n(p.p90Hours)}</td><td>{Object.entries(p.outcomes).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`).join(', ')}</td></tr>)}</tbody>
          </table>
        )}
      </Loaded>
    </section>
  );
}
