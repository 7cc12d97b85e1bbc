/**
 * The mapping screen: choose a transparency CSV, say which column (or fixed value) feeds each field of the ledger,
 * preview the first rows with the problem each would raise, save the mapping for next time, and import.
 */
import { useEffect, useState } from 'react';
import { api } from '../api/client.js';
import { useI18n } from '../i18n/index.js';
import { Section } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';

export const FIELDS = ['requester_country', 'requester_type', 'legal_basis', 'reason', 'platform', 'product', 'stack_layer', 'date', 'period_end', 'requests', 'items', 'outcome', 'pct_removed'] as const;
type Field = (typeof FIELDS)[number];
interface Preview {
  header: string[];
  rows: { line: number; values: Record<string, string>; row?: Record<string, unknown>; problem?: string }[];
  missingColumns: string[];
}
interface Mapping {
  name: string;
  delimiter: string;
  columns: Partial<Record<Field, string>>;
  tlp: string;
}

export function MappingPage() {
  const { t } = useI18n();
  const [fileName, setFileName] = useState('');
  const [text, setText] = useState('');
  const [name, setName] = useState('');
  const [delimiter, setDelimiter] = useState(',');
  const [tlp, setTlp] = useState('TLP:CLEAR');
  const [cols, setCols] = useState<Partial<Record<Field, string>>>({});
  const [consts, setConsts] = useState<Partial<Record<Field, string>>>({});
  const [preview, setPreview] = useState<Preview | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const saved = useApi<{ items: { name: string; mapping: Mapping }[] }>('/api/ledger/mappings');
  const header = text ? (text.split(/\r?\n/, 1)[0] ?? '').split(delimiter === 'tab' ? '\t' : delimiter).map((h) => h.replace(/^"|"$/g, '').trim()) : [];

  const mapping = (): Mapping => {
    const columns: Partial<Record<Field, string>> = {};
    for (const f of FIELDS) {
      if (consts[f]) columns[f] = `=${consts[f]}`;
      else if (cols[f]) columns[f] = cols[f];
    }
    return { name, delimiter: delimiter === 'tab' ? '\t' : delimiter, columns, tlp };
  };
  const run = async (fn: () => Promise<void>) => {
    setError('');
    setMessage('');
    try {
      await fn();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  useEffect(() => setPreview(null), [text]);

  const load = (m: Mapping) => {
    setName(m.name);
    setDelimiter(m.delimiter === '\t' ? 'tab' : m.delimiter);
    setTlp(m.tlp);
    const c: Partial<Record<Field, string>> = {};
    const k: Partial<Record<Field, string>> = {};
    for (const [f, v] of Object.entries(m.columns) as [Field, string][]) if (v.startsWith('=')) k[f] = v.slice(1);
    else c[f] = v;
    setCols(c);
    setConsts(k);
  };

  return (
    <div className="page ledger-mapping">
      <div className="page-head">
        <h1>{t('ledger.mapping')}</h1>
      </div>
      <Section title={t('ledger.file')}>
        <div className="filters">
          <label>
            {t('ledger.file')}{' '}
            <input
              type="file"
              accept=".csv,text/csv"
              onChange={async (e) => {
                const f = e.target.files?.[0];
                if (!f) return;
                setFileName(f.name);
                setText(await f.text());
              }}
            />
          </label>
          <label>{t('ledger.mappingName')} <input name="mapping-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="e.g. meta-restrictions" /></label>
          <label>Delimiter <select value={delimiter} onChange={(e) => setDelimiter(e.target.value)}><option value=",">,</option><option value=";">;</option><option value="tab">tab</option></select></label>
          <label>TLP <select value={tlp} onChange={(e) => setTlp(e.target.value)}>{['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'].map((x) => <option key={x}>{x}</option>)}</select></label>
          {saved.data?.items.length ? (
            <label>
              Saved{' '}
              <select aria-label="Saved mappings" defaultValue="" onChange={(e) => { const m = saved.data?.items.find((x) => x.name === e.target.value); if (m) load(m.mapping); }}>
                <option value="">—</option>
                {saved.data.items.map((m) => <option key={m.name} value={m.name}>{m.name}</option>)}
              </select>
            </label>
          ) : null}
        </div>
      </Section>
      {header.length > 0 && (
        <Section title="Fields">
          <table className="mapping-table">
            <tbody>
              {FIELDS.map((f) => (
                <tr key={f}>
                  <th scope="row">{f}</th>
                  <td>
                    <select aria-label={`column for ${f}`} value={cols[f] ?? ''} onChange={(e) => setCols({ ...cols, [f]: e.target.value })}>
                      <option value="">—</option>
                      {header.map((h) => <option key={h} value={h}>{h}</option>)}
                    </select>
                  </td>
                  <td>
                    <input aria-label={`fixed value for ${f}`} placeholder={t('ledger.constant')} value={consts[f] ?? ''} onChange={(e) => setConsts({ ...consts, [f]: e.target.value })} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="actions">
            <button className="btn" type="button" onClick={() => run(async () => setPreview(await api.post<Preview>('/api/ledger/mapping/preview', { text, mapping: mapping() })))}>{t('ledger.preview')}</button>
            <button className="btn" type="button" onClick={() => run(async () => { await api.post('/api/ledger/mappings', mapping()); setMessage(t('ledger.saved')); saved.reload(); })}>{t('ledger.saveMapping')}</button>
            <button
              className="btn btn-primary"
              type="button"
              onClick={() =>
                run(async () => {
                  const s = await api.post<{ rowsRead: number; rowsLoaded: number; rowsFlagged: number }>('/api/ledger/imports/generic', { fileName: fileName || 'upload.csv', text, mapping: mapping() });
                  setMessage(t('ledger.imported', { loaded: s.rowsLoaded, flagged: s.rowsFlagged, read: s.rowsRead }));
                })
              }
            >
              {t('ledger.import')}
            </button>
          </p>
          {error && <p className="error" role="alert">{error}</p>}
          {message && <p className="notice" role="status">{message}</p>}
        </Section>
      )}
      {preview && (
        <Section title={t('ledger.preview')}>
          {preview.missingColumns.length > 0 && <p className="error">{`Missing columns: ${preview.missingColumns.join(', ')}`}</p>}
          <div className="table-wrap">
            <table className="preview-table">
              <thead>
                <tr><th>line</th><th>country</th><th>platform</th><th>period</th><th>requests</th><th>items</th><th>{t('ledger.problem')}</th></tr>
              </thead>
              <tbody>
                {preview.rows.map((r) => (
                  <tr key={r.line} className={r.problem ? 'row-problem' : undefined}>
                    <td>{r.line}</td>
                    <td>{String(r.row?.requester_country ?? '')}</td>
                    <td>{String(r.row?.platform ?? '')}</td>
                    <td>{r.row ? `${r.row.period_start} – ${r.row.period_end}` : ''}</td>
                    <td>{r.row ? (r.row.requests_low === r.row.requests_high ? String(r.row.requests_low ?? '') : `${r.row.requests_low}–${r.row.requests_high}`) : ''}</td>
                    <td>{String(r.row?.items_low ?? '')}</td>
                    <td>{r.problem ?? t('ledger.ok')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      )}
    </div>
  );
}
