/**
 * The desk's committee and admin screens (no sealed content here): the grant committee (criteria, votes, decision
 * with the 14-day deadline, disbursement, final report, the budget per period and what is left), MISP sharing (export
 * an incident and, field by field, a redacted case summary; import a peer's event as a draft incident) and the desk
 * settings (service targets, retention per category, notification targets, the grant budget; rotating a responder
 * out).
 */
import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.js';
import { useAuth } from '../auth/auth.js';
import { Link } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Loaded, NoResults } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';

const CRITERIA = ['urgency', 'context', 'beneficiary', 'need', 'feasibility_security', 'value_for_money', 'complementarity'] as const;
const CATEGORIES = ['threat_harassment', 'doxxing', 'account_hacked', 'account_suspended', 'device_seized_lost', 'spyware_surveillance', 'website_attacked_blocked', 'internet_cut', 'other'] as const;
const MISP_FIELDS = ['category', 'country', 'received_month', 'summary'] as const;

interface Grant {
  id: string; caseId: string; amountEur: number; categories: string[]; activityStart: string; activityEnd: string; period: string; status: string;
  submittedAt: string; decisionDue: string; decidedAt: string | null; disbursedAt: string | null; disbursedEur: number | null; finalReportAt: string | null;
  hasSealedPerson: boolean; deadline: string; votes: { voter: string; vote: string; criteria: Record<string, number> }[];
}

/** An API error with the field it names, so that the person sees what to fix. */
export function FieldError({ error }: { error: Error | null }) {
  if (!error) return null;
  const field = error instanceof ApiError && error.field ? ` (${error.field})` : '';
  return <ErrorBox error={`${error.message}${field}`} />;
}

export function DeskNav() {
  const { t } = useI18n();
  const { user } = useAuth();
  return (
    <nav className="desk-nav" aria-label={t('desk.title')}>
      <Link to="/desk">{t('desk.title')}</Link> · <Link to="/desk/grants">{t('desk.nav.grants')}</Link> · <Link to="/desk/misp">{t('desk.nav.misp')}</Link>
      {user?.role === 'admin' && <> · <Link to="/desk/settings">{t('desk.nav.settings')}</Link></>}
    </nav>
  );
}

function Deadline({ g }: { g: Grant }) {
  const { t } = useI18n();
  const flagged = g.deadline === 'overdue' || g.deadline === 'due_soon' || g.deadline === 'decided_late';
  return (
    <span className={`badge ${flagged ? 'sla-escalated' : 'sla-ok'}`} data-testid={`deadline-${g.id}`}>
      {flagged ? '⚠ ' : ''}{t(`desk.deadline.${g.deadline}` as never)} · {g.decisionDue}
    </span>
  );
}

/** The grant committee: every request with its deadline, the budget per period, and one request opened for work. */
export function DeskGrants() {
  const { t, num } = useI18n();
  const [period, setPeriod] = useState('');
  const list = useApi<{ items: Grant[]; budget: Record<string, { budgetEur: number; committedEur: number }> }>('/api/desk/grants', period ? { period } : undefined);
  const [openId, setOpenId] = useState<string | null>(null);
  return (
    <div className="page desk-grants">
      <DeskNav />
      <div className="page-head"><div><h1>{t('desk.grants.title')}</h1><p className="muted">{t('desk.grants.intro')}</p></div></div>
      <label>{t('desk.grant.period')} <input value={period} onChange={(e) => setPeriod(e.target.value)} placeholder="2026, 2026-Q3" size={10} /></label>
      <Loaded state={list}>
        {(d) => (
          <>
            <table className="table" data-testid="grant-budget">
              <caption>{t('desk.grants.budget')}</caption>
              <thead><tr><th>{t('desk.grant.period')}</th><th>{t('desk.grants.budgetEur')}</th><th>{t('desk.grants.committed')}</th><th>{t('desk.grants.left')}</th></tr></thead>
              <tbody>
                {Object.entries(d.budget).map(([p, b]) => (
                  <tr key={p}><td>{p}</td><td>€{num(b.budgetEur)}</td><td>€{num(b.committedEur)}</td><td><strong>€{num(Math.max(0, b.budgetEur - b.committedEur))}</strong></td></tr>
                ))}
              </tbody>
            </table>
            {d.items.length === 0 ? <NoResults text={t('desk.grants.none')} /> : (
              <table className="table" data-testid="grant-list">
                <thead><tr><th>{t('desk.case')}</th><th>EUR</th><th>{t('desk.grants.activities')}</th><th>{t('desk.status')}</th><th>{t('desk.grant.due')}</th><th /></tr></thead>
                <tbody>
                  {d.items.map((g) => (
                    <tr key={g.id}>
                      <td><Link to={`/desk/cases/${g.caseId}`}>{t('desk.case')}</Link>{g.hasSealedPerson ? <> <span className="badge">{t('desk.grants.sealed')}</span></> : null}</td>
                      <td>€{num(g.amountEur)}</td>
                      <td>{g.activityStart} → {g.activityEnd}</td>
                      <td>{t(`desk.gst.${g.status}` as never)}</td>
                      <td><Deadline g={g} /></td>
                      <td><button type="button" className="btn btn-quiet" onClick={() => setOpenId(g.id)}>{t('desk.grants.open')}</button></td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Loaded>
      {openId && <GrantWork id={openId} key={openId} onChange={list.reload} />}
    </div>
  );
}

function GrantWork({ id, onChange }: { id: string; onChange: () => void }) {
  const { t, num, date } = useI18n();
  const g = useApi<Grant>(`/api/desk/grants/${id}`);
  const [vote, setVote] = useState('approve');
  const [scores, setScores] = useState<Record<string, number>>(Object.fromEntries(CRITERIA.map((c) => [c, 3])));
  const [amount, setAmount] = useState('');
  const [report, setReport] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const run = (p: Promise<unknown>) => {
    setError(null);
    return p.then(() => {
      g.reload();
      onChange();
    }, (e: Error) => setError(e));
  };
  return (
    <section className="card grant-work" data-testid="grant-work">
      <Loaded state={g}>
        {(d) => (
          <>
            <h2>{t('desk.grant')} · €{num(d.amountEur)} · {t(`desk.gst.${d.status}` as never)}</h2>
            <dl className="facts">
              <dt>{t('desk.grant.period')}</dt><dd>{d.period}</dd>
              <dt>{t('desk.grants.activities')}</dt><dd>{d.activityStart} → {d.activityEnd}</dd>
              <dt>{t('desk.grants.costs')}</dt><dd>{d.categories.map((c) => c.replace(/_/g, ' ')).join(', ')}</dd>
              <dt>{t('desk.grants.submitted')}</dt><dd>{date(d.submittedAt, true)}</dd>
              <dt>{t('desk.grant.due')}</dt><dd><Deadline g={d} /></dd>
              {d.decidedAt && <><dt>{t('desk.grants.decided')}</dt><dd>{date(d.decidedAt, true)}</dd></>}
              {d.disbursedAt && <><dt>{t('desk.grants.disbursed')}</dt><dd>€{num(d.disbursedEur ?? 0)} · {date(d.disbursedAt, true)}</dd></>}
              {d.finalReportAt && <><dt>{t('desk.grants.finalReport')}</dt><dd>{date(d.finalReportAt, true)}</dd></>}
            </dl>
            <table className="table" data-testid="grant-votes">
              <caption>{t('desk.grants.votes')}</caption>
              <thead><tr><th>{t('desk.grants.voter')}</th><th>{t('desk.grants.vote')}</th>{CRITERIA.map((c) => <th key={c}>{t(`desk.crit.${c}` as never)}</th>)}</tr></thead>
              <tbody>{d.votes.map((v) => <tr key={v.voter}><td>{v.voter}</td><td>{t(`desk.vote.${v.vote}` as never)}</td>{CRITERIA.map((c) => <td key={c}>{v.criteria[c]}</td>)}</tr>)}</tbody>
            </table>
            {d.status === 'submitted' && (
              <>
                <form onSubmit={(e) => { e.preventDefault(); void run(api.post(`/api/desk/grants/${id}/votes`, { vote, criteria: scores })); }}>
                  <h3>{t('desk.grants.myVote')}</h3>
                  <fieldset>
                    {CRITERIA.map((c) => (
                      <label key={c}>{t(`desk.crit.${c}` as never)}{' '}
                        <select aria-label={t(`desk.crit.${c}` as never)} value={scores[c]} onChange={(e) => setScores({ ...scores, [c]: Number(e.target.value) })}>
                          {[1, 2, 3, 4, 5].map((n) => <option key={n} value={n}>{n}</option>)}
                        </select>
                      </label>
                    ))}
                  </fieldset>
                  <select aria-label={t('desk.grants.vote')} value={vote} onChange={(e) => setVote(e.target.value)}>
                    {['approve', 'reject', 'abstain'].map((v) => <option key={v} value={v}>{t(`desk.vote.${v}` as never)}</option>)}
                  </select>{' '}
                  <button className="btn" type="submit">{t('desk.grants.recordVote')}</button>
                </form>
                <h3>{t('desk.grants.decision')}</h3>
                <button type="button" className="btn" onClick={() => void run(api.post(`/api/desk/grants/${id}/decision`, { decision: 'approved' }))}>{t('desk.grants.approve')}</button>{' '}
                <button type="button" className="btn btn-quiet" onClick={() => void run(api.post(`/api/desk/grants/${id}/decision`, { decision: 'rejected' }))}>{t('desk.grants.reject')}</button>
              </>
            )}
            {d.status === 'approved' && (
              <form onSubmit={(e) => { e.preventDefault(); void run(api.post(`/api/desk/grants/${id}/disbursement`, { amountEur: Number(amount) })); }}>
                <h3>{t('desk.grants.disbursement')}</h3>
                <label>EUR <input type="number" min="0.01" step="0.01" value={amount} onChange={(e) => setAmount(e.target.value)} required /></label>{' '}
                <button className="btn" type="submit">{t('desk.grants.disburse')}</button>
              </form>
            )}
            {d.status === 'disbursed' && (
              <form onSubmit={(e) => { e.preventDefault(); void run(api.post(`/api/desk/grants/${id}/final-report`, { report })); }}>
                <h3>{t('desk.grants.finalReport')}</h3>
                <textarea aria-label={t('desk.grants.finalReport')} value={report} onChange={(e) => setReport(e.target.value)} rows={4} required />
                <button className="btn" type="submit">{t('desk.grants.saveReport')}</button>
              </form>
            )}
          </>
        )}
      </Loaded>
      <FieldError error={error} />
    </section>
  );
}

/** MISP: an incident out (with an explicit choice per case field), a peer's event in as a draft incident. */
export function DeskMisp() {
  const { t } = useI18n();
  const cases = useApi<{ items: { id: string; ref: number; category: string }[] }>('/api/desk/cases', { pageSize: 200 });
  const [incidentId, setIncidentId] = useState('');
  const [caseId, setCaseId] = useState('');
  const [fields, setFields] = useState<string[]>([]);
  const [summary, setSummary] = useState('');
  const [exported, setExported] = useState<string>('');
  const [exportError, setExportError] = useState<Error | null>(null);
  const [paste, setPaste] = useState('');
  const [imported, setImported] = useState<{ incidentId: string; created: boolean; tlp: string } | null>(null);
  const [importError, setImportError] = useState<Error | null>(null);

  const doExport = (e: FormEvent) => {
    e.preventDefault();
    setExportError(null);
    setExported('');
    const body = caseId ? { caseSummary: { caseId, fields, summary } } : {};
    api.post<unknown>(`/api/desk/misp/export/${incidentId.trim()}`, body).then((ev) => setExported(JSON.stringify(ev, null, 2)), (err: Error) => setExportError(err));
  };
  const doImport = (e: FormEvent) => {
    e.preventDefault();
    setImportError(null);
    setImported(null);
    let event: unknown;
    try {
      event = JSON.parse(paste);
    } catch (err) {
      return setImportError(new Error(`${t('desk.misp.badJson')} ${(err as Error).message}`));
    }
    api.post<{ incidentId: string; created: boolean; tlp: string }>('/api/desk/misp/import', event).then(setImported, (err: Error) => setImportError(err));
  };
  const download = exported ? URL.createObjectURL(new Blob([exported], { type: 'application/json' })) : '';

  return (
    <div className="page desk-misp">
      <DeskNav />
      <div className="page-head"><div><h1>{t('desk.misp.title')}</h1><p className="muted">{t('desk.misp.intro')}</p></div></div>
      <form className="card" onSubmit={doExport} data-testid="misp-export">
        <h2>{t('desk.misp.export')}</h2>
        <label>{t('desk.misp.incident')} <input value={incidentId} onChange={(e) => setIncidentId(e.target.value)} size={38} required /></label>
        <label>{t('desk.misp.case')}{' '}
          <select value={caseId} onChange={(e) => setCaseId(e.target.value)} aria-label={t('desk.misp.case')}>
            <option value="">{t('desk.misp.noCase')}</option>
            {(cases.data?.items ?? []).map((c) => <option key={c.id} value={c.id}>#{c.ref} · {t(`desk.cat.${c.category}` as never)}</option>)}
          </select>
        </label>
        {caseId && (
          <fieldset>
            <legend>{t('desk.misp.fields')}</legend>
            {MISP_FIELDS.map((f) => (
              <label key={f}><input type="checkbox" checked={fields.includes(f)} onChange={(e) => setFields(e.target.checked ? [...fields, f] : fields.filter((x) => x !== f))} /> {t(`desk.misp.f.${f}` as never)}</label>
            ))}
            {fields.includes('summary') && <textarea aria-label={t('desk.misp.summary')} placeholder={t('desk.misp.summary')} value={summary} onChange={(e) => setSummary(e.target.value)} rows={3} />}
          </fieldset>
        )}
        <button className="btn" type="submit">{t('desk.misp.exportButton')}</button>
        <FieldError error={exportError} />
        {exported && (
          <>
            <p><a href={download} download={`misp-${incidentId.trim()}.json`}>{t('desk.misp.download')}</a></p>
            <pre data-testid="misp-json" style={{ maxHeight: '20rem', overflow: 'auto', direction: 'ltr' }}>{exported}</pre>
          </>
        )}
      </form>
      <form className="card" onSubmit={doImport} data-testid="misp-import">
        <h2>{t('desk.misp.import')}</h2>
        <label>{t('desk.misp.file')} <input type="file" accept="application/json,.json" onChange={(e) => void e.target.files?.[0]?.text().then(setPaste)} /></label>
        <textarea aria-label={t('desk.misp.paste')} placeholder={t('desk.misp.paste')} value={paste} onChange={(e) => setPaste(e.target.value)} rows={8} style={{ direction: 'ltr' }} required />
        <button className="btn" type="submit">{t('desk.misp.importButton')}</button>
        <FieldError error={importError} />
        {imported && (
          <p className="notice" role="status" data-testid="misp-imported">
            {imported.created ? t('desk.misp.imported') : t('desk.misp.already')} <Link to={`/incidents/${imported.incidentId}`}>{imported.incidentId}</Link> · {imported.tlp}
          </p>
        )}
      </form>
    </div>
  );
}

interface Settings {
  targetMinutes: number; warnMinutes: number; escalateMinutes: number; retentionDays: number; retentionByCategory: Record<string, number>;
  webhookUrl: string | null; notifyEmails: string[]; smtpUrl: string | null; mailFrom: string | null; grantPeriodBudgetEur: number;
}

/** Desk settings (admins): service targets, retention per category, notification targets, budget; responders' keys. */
export function DeskSettings() {
  const { t } = useI18n();
  const res = useApi<Settings>('/api/desk/settings');
  return (
    <div className="page desk-settings">
      <DeskNav />
      <div className="page-head"><div><h1>{t('desk.settings.title')}</h1><p className="muted">{t('desk.settings.intro')}</p></div></div>
      <Loaded state={res}>{(s) => <SettingsForm initial={s} onSaved={res.reload} />}</Loaded>
      <ResponderKeys />
    </div>
  );
}

function SettingsForm({ initial, onSaved }: { initial: Settings; onSaved: () => void }) {
  const { t } = useI18n();
  const [v, setV] = useState({
    targetMinutes: String(initial.targetMinutes), warnMinutes: String(initial.warnMinutes), escalateMinutes: String(initial.escalateMinutes), retentionDays: String(initial.retentionDays),
    webhookUrl: initial.webhookUrl ?? '', notifyEmails: initial.notifyEmails.join(', '), smtpUrl: '', mailFrom: initial.mailFrom ?? '', grantPeriodBudgetEur: String(initial.grantPeriodBudgetEur),
  });
  const [byCat, setByCat] = useState<Record<string, string>>(Object.fromEntries(CATEGORIES.map((c) => [c, initial.retentionByCategory[c] ? String(initial.retentionByCategory[c]) : ''])));
  const [error, setError] = useState<Error | null>(null);
  const [saved, setSaved] = useState(false);
  const save = (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    const body: Record<string, unknown> = {
      targetMinutes: Number(v.targetMinutes), warnMinutes: Number(v.warnMinutes), escalateMinutes: Number(v.escalateMinutes), retentionDays: Number(v.retentionDays),
      retentionByCategory: Object.fromEntries(Object.entries(byCat).filter(([, d]) => d.trim()).map(([c, d]) => [c, Number(d)])),
      webhookUrl: v.webhookUrl.trim() || null, notifyEmails: v.notifyEmails.split(/[\s,;]+/).filter(Boolean), mailFrom: v.mailFrom.trim() || null, grantPeriodBudgetEur: Number(v.grantPeriodBudgetEur),
    };
    if (v.smtpUrl.trim()) body.smtpUrl = v.smtpUrl.trim(); // left empty: the stored one (which may hold a password) stays
    api.patch('/api/desk/settings', body).then(() => {
      setSaved(true);
      onSaved();
    }, (err: Error) => setError(err));
  };
  const num = (k: 'targetMinutes' | 'warnMinutes' | 'escalateMinutes' | 'retentionDays' | 'grantPeriodBudgetEur', label: string) => (
    <label>{label} <input type="number" name={k} value={v[k]} onChange={(e) => setV({ ...v, [k]: e.target.value })} required /></label>
  );
  return (
    <form className="card" onSubmit={save} data-testid="desk-settings">
      <h2>{t('desk.settings.targets')}</h2>
      {num('targetMinutes', t('desk.settings.targetMinutes'))} {num('warnMinutes', t('desk.settings.warnMinutes'))} {num('escalateMinutes', t('desk.settings.escalateMinutes'))}
      <h2>{t('desk.settings.retention')}</h2>
      {num('retentionDays', t('desk.settings.retentionDays'))}
      <fieldset>
        <legend>{t('desk.settings.byCategory')}</legend>
        {CATEGORIES.map((c) => (
          <label key={c}>{t(`desk.cat.${c}` as never)} <input type="number" min="1" max="3650" aria-label={t(`desk.cat.${c}` as never)} placeholder={v.retentionDays} value={byCat[c]} onChange={(e) => setByCat({ ...byCat, [c]: e.target.value })} size={5} /></label>
        ))}
      </fieldset>
      <h2>{t('desk.settings.notify')}</h2>
      <label>{t('desk.settings.webhookUrl')} <input type="url" value={v.webhookUrl} onChange={(e) => setV({ ...v, webhookUrl: e.target.value })} size={40} /></label>
      <label>{t('desk.settings.notifyEmails')} <input value={v.notifyEmails} onChange={(e) => setV({ ...v, notifyEmails: e.target.value })} size={40} /></label>
      <label>{t('desk.settings.smtpUrl')} <input value={v.smtpUrl} onChange={(e) => setV({ ...v, smtpUrl: e.target.value })} placeholder={initial.smtpUrl ?? 'smtp://'} size={40} autoComplete="off" /></label>
      <label>{t('desk.settings.mailFrom')} <input type="email" value={v.mailFrom} onChange={(e) => setV({ ...v, mailFrom: e.target.value })} /></label>
      <h2>{t('desk.settings.budget')}</h2>
      {num('grantPeriodBudgetEur', t('desk.settings.budgetEur'))}
      <p><button className="btn" type="submit">{t('desk.save')}</button> {saved && <span className="muted" role="status">{t('desk.settings.saved')}</span>}</p>
      <FieldError error={error} />
    </form>
  );
}

function ResponderKeys() {
  const { t } = useI18n();
  const res = useApi<{ items: { id: string; email: string; keyId: string | null }[] }>('/api/desk/responders');
  const [error, setError] = useState<Error | null>(null);
  const [done, setDone] = useState('');
  const retire = (keyId: string, email: string) => {
    if (!window.confirm(t('desk.rotate.confirm', { email }))) return;
    setError(null);
    api.post<{ caseKeysRemoved: number }>(`/api/desk/keys/${keyId}/retire`).then((r) => {
      setDone(t('desk.rotate.done', { email, n: r.caseKeysRemoved }));
      res.reload();
    }, (e: Error) => setError(e));
  };
  return (
    <section className="card" data-testid="desk-responders">
      <h2>{t('desk.rotate.title')}</h2>
      <p className="muted">{t('desk.rotate.intro')}</p>
      <Loaded state={res}>
        {(d) => (
          <ul>
            {d.items.map((r) => (
              <li key={r.id}>
                {r.email} · {r.keyId ? <code>{r.keyId.slice(0, 8)}</code> : <span className="muted">{t('desk.rotate.noKey')}</span>}{' '}
                {r.keyId && <button type="button" className="btn btn-quiet" onClick={() => retire(r.keyId!, r.email)}>{t('desk.rotate.button')}</button>}
              </li>
            ))}
          </ul>
        )}
      </Loaded>
      {done && <p role="status">{done}</p>}
      <FieldError error={error} />
    </section>
  );
}
