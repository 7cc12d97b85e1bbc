/** The ledger: demands and compliance of one country, its top reasons, a second country beside it, DSA volumes, infrastructure interventions. */
import { useState, type FormEvent } from 'react';
import { Link } from '../app/router.js';
import { api, withQuery } from '../api/client.js';
import { useAuth } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { Loaded, Section } from '../ui/components.js';
import { CountryField } from '../ui/fields.js';
import { useListParams } from '../ui/list.js';
import { useApi } from '../ui/useApi.js';
import { Bars } from './charts.js';

type Row = Record<string, string | number | null>;
interface QueryResult {
  caveat: string;
  engine: string;
  rows: Row[];
}

/** A table of rows with the caveat under it and CSV/JSON export links of the same query. */
export function RowsTable({ res, path, query, caption }: { res: QueryResult; path: string; query: Record<string, string | undefined>; caption: string }) {
  const cols = res.rows.length ? Object.keys(res.rows[0]!) : [];
  const q = Object.fromEntries(Object.entries(query).filter(([, v]) => v));
  return (
    <div className="ledger-table">
      <div className="table-wrap">
        <table>
          <caption className="sr-only">{caption}</caption>
          <thead>
            <tr>{cols.map((c) => <th key={c} scope="col">{c.replace(/_/g, ' ')}</th>)}</tr>
          </thead>
          <tbody>
            {res.rows.map((r, i) => (
              <tr key={i}>{cols.map((c) => <td key={c} className={typeof r[c] === 'number' ? 'num' : undefined}>{r[c] === null ? '—' : String(r[c])}</td>)}</tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted caveat">{res.caveat}</p>
      <p className="exports">
        <a href={withQuery(path, { ...q, format: 'csv' })} download>CSV</a> · <a href={withQuery(path, { ...q, format: 'json' })} target="_blank" rel="noreferrer">JSON</a>
      </p>
    </div>
  );
}

const ACTIONS = ['domain_suspended', 'domain_seized', 'hosting_terminated', 'cdn_dropped', 'certificate_revoked', 'payments_cut', 'app_removed', 'other'];

function InterventionForm({ country, onSaved }: { country: string; onSaved: () => void }) {
  const { t } = useI18n();
  const [msg, setMsg] = useState('');
  const submit = async (ev: FormEvent<HTMLFormElement>) => {
    ev.preventDefault();
    const f = new FormData(ev.currentTarget);
    const v = (k: string) => String(f.get(k) ?? '').trim();
    try {
      await api.post('/api/ledger/interventions', {
        provider: v('provider'), action: v('action'), requesterCountry: v('country') || country || null, requesterType: v('requesterType') || 'unknown', target: v('target'),
        startDate: v('startDate'), sources: v('source') ? [v('source')] : [], tlp: v('tlp'),
      });
      setMsg('✓');
      onSaved();
    } catch (e) {
      setMsg(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <form className="ledger-form" onSubmit={submit}>
      <label>Provider <input name="provider" required /></label>
      <label>Action <select name="action">{ACTIONS.map((a) => <option key={a} value={a}>{a.replace(/_/g, ' ')}</option>)}</select></label>
      <label>Target <input name="target" required /></label>
      <label>Country <input name="country" defaultValue={country} maxLength={2} /></label>
      <label>Requested by <select name="requesterType">{['court', 'executive_police', 'regulator', 'other_government', 'private_party', 'unknown'].map((a) => <option key={a}>{a}</option>)}</select></label>
      <label>Date <input name="startDate" type="date" required /></label>
      <label>Source URL <input name="source" type="url" /></label>
      <label>TLP <select name="tlp" defaultValue="TLP:AMBER">{['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'].map((x) => <option key={x}>{x}</option>)}</select></label>
      <button className="btn btn-primary" type="submit">{t('ledger.addIntervention')}</button>
      {msg && <span role="status">{msg}</span>}
    </form>
  );
}

export function LedgerPage() {
  const { t } = useI18n();
  const { user } = useAuth();
  const { params, setFilter } = useListParams();
  const cc = params.get('country') ?? 'TR';
  const other = params.get('b') ?? '';
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const years = { from: from || undefined, to: to || undefined };
  const compQ = { country: cc, by: 'year,requester_type', ...years };
  const comp = useApi<QueryResult>('/api/ledger/queries/compliance', compQ);
  const yearly = useApi<QueryResult>('/api/ledger/queries/compliance', { country: cc, by: 'year', ...years });
  const reasonsQ = { country: cc, limit: '12', ...years };
  const reasons = useApi<QueryResult>('/api/ledger/queries/reasons', reasonsQ);
  const cmp = useApi<{ rows: Row[]; caveat: string }>(other ? '/api/ledger/compare' : null, { a: cc, b: other, ...years });
  const dsaQ = { by: 'platform_name,decision_ground', limit: '200' };
  const dsa = useApi<QueryResult>('/api/ledger/queries/dsaVolumes', dsaQ);
  const layers = useApi<QueryResult>('/api/ledger/queries/interventionsByLayer', { country: cc });
  const surges = useApi<{ rule: string; surges: { country: string; halfYear: string; requests: number; trailingMean: number }[] }>('/api/ledger/surges', { country: cc });
  const canWrite = user?.role === 'analyst' || user?.role === 'admin';

  return (
    <div className="page ledger">
      <div className="page-head">
        <div>
          <h1>{t('ledger.title')}</h1>
          <p className="muted">{t('ledger.intro')}</p>
        </div>
        <div className="actions">
          <Link className="btn" to={`/ledger/timeline?country=${cc}`}>{t('ledger.timeline')}</Link>
          {canWrite && <Link className="btn" to="/ledger/mapping">{t('ledger.mapping')}</Link>}
        </div>
      </div>
      <div className="filters">
        <CountryField label={t('ledger.country')} name="country" value={cc} onChange={(v) => setFilter('country', v)} />
        <CountryField label={t('ledger.compareWith')} name="b" value={other} onChange={(v) => setFilter('b', v)} empty="—" />
        <label>{t('common.from')} <input type="number" min={2009} max={2030} value={from} onChange={(e) => setFilter('from', e.target.value)} /></label>
        <label>{t('common.to')} <input type="number" min={2009} max={2030} value={to} onChange={(e) => setFilter('to', e.target.value)} /></label>
      </div>

      <Section title={t('ledger.compliance')}>
        <Loaded state={yearly}>
          {(d) => <Bars title={t('ledger.compliance')} bars={d.rows.map((r) => ({ label: String(r.year), value: Number(r.requests_low), note: r.share_removed === null ? '' : `(${Math.round(Number(r.share_removed))}% removed)` }))} />}
        </Loaded>
        <Loaded state={comp}>{(d) => <RowsTable res={d} path="/api/ledger/queries/compliance" query={compQ} caption={t('ledger.compliance')} />}</Loaded>
      </Section>

      <Section title={t('ledger.reasons')}>
        <Loaded state={reasons}>
          {(d) => (
            <>
              <Bars title={t('ledger.reasons')} bars={d.rows.map((r) => ({ label: String(r.reason).replace(/_/g, ' '), value: Number(r.requests_low) }))} />
              <RowsTable res={d} path="/api/ledger/queries/reasons" query={reasonsQ} caption={t('ledger.reasons')} />
            </>
          )}
        </Loaded>
      </Section>

      {other && (
        <Section title={t('ledger.compare')}>
          <Loaded state={cmp}>{(d) => <RowsTable res={{ caveat: d.caveat, engine: '', rows: d.rows }} path="/api/ledger/compare" query={{ a: cc, b: other, ...years }} caption={t('ledger.compare')} />}</Loaded>
        </Section>
      )}

      <Section title={t('ledger.surges')}>
        <Loaded state={surges}>
          {(d) => (
            <>
              <p className="muted">{d.rule}</p>
              <ul>{d.surges.map((s) => <li key={s.halfYear}>{`${s.halfYear}: ${s.requests} (trailing mean ${s.trailingMean})`}</li>)}</ul>
            </>
          )}
        </Loaded>
      </Section>

      <Section title={t('ledger.layers')}>
        <Loaded state={layers}>{(d) => <RowsTable res={d} path="/api/ledger/queries/interventionsByLayer" query={{ country: cc }} caption={t('ledger.layers')} />}</Loaded>
        {canWrite && <InterventionForm country={cc} onSaved={layers.reload} />}
      </Section>

      <Section title={t('ledger.dsa')}>
        <Loaded state={dsa}>{(d) => <RowsTable res={d} path="/api/ledger/queries/dsaVolumes" query={dsaQ} caption={t('ledger.dsa')} />}</Loaded>
      </Section>
    </div>
  );
}
