/** The country pressure timeline: demands and compliance, takedowns and infrastructure, blocking, shutdowns, laws. */
import { useI18n } from '../i18n/index.js';
import { Loaded, Section } from '../ui/components.js';
import { CountryField } from '../ui/fields.js';
import { useListParams } from '../ui/list.js';
import { useApi } from '../ui/useApi.js';
import { Lanes, type LaneItem } from './charts.js';

const LANES = ['demands', 'interventions', 'blocking', 'shutdowns', 'laws'] as const;

export function TimelinePage() {
  const { t } = useI18n();
  const { params, setFilter } = useListParams();
  const cc = params.get('country') ?? 'TR';
  const to = params.get('to') ?? `${new Date().getUTCFullYear()}-12-31`;
  const from = params.get('from') ?? `${Number(to.slice(0, 4)) - 4}-01-01`;
  const res = useApi<{ items: (LaneItem & { ref?: string; share?: number | null })[]; caveats: Record<string, string>; from: string; to: string }>('/api/ledger/timeline', { country: cc, from, to });
  const lanes = LANES.map((k) => ({ key: k, label: t(`ledger.lane.${k}`) }));
  return (
    <div className="page ledger-timeline">
      <div className="page-head">
        <h1>{t('ledger.timeline')}</h1>
      </div>
      <div className="filters">
        <CountryField label={t('ledger.country')} name="country" value={cc} onChange={(v) => setFilter('country', v)} />
        <label>{t('common.from')} <input type="date" value={from} onChange={(e) => setFilter('from', e.target.value)} /></label>
        <label>{t('common.to')} <input type="date" value={to} onChange={(e) => setFilter('to', e.target.value)} /></label>
      </div>
      <Loaded state={res}>
        {(d) => (
          <>
            <Section title={`${t('ledger.timeline')} — ${cc}`}>
              <Lanes lanes={lanes} items={d.items} from={d.from} to={d.to} title={t('ledger.timeline')} />
              {Object.values(d.caveats).map((c) => <p key={c} className="muted caveat">{c}</p>)}
            </Section>
            {lanes.map((l) => {
              const mine = d.items.filter((i) => i.lane === l.key);
              return (
                <Section key={l.key} title={`${l.label} (${mine.length})`}>
                  <ul className="timeline-list" data-lane={l.key}>
                    {mine.map((i, k) => <li key={k}>{`${i.start}${i.end && i.end !== i.start ? ` – ${i.end}` : ''}: ${i.title}${i.share !== undefined && i.share !== null ? ` — ${Math.round(i.share)}% removed` : ''}`}</li>)}
                  </ul>
                </Section>
              );
            })}
          </>
        )}
      </Loaded>
    </div>
  );
}
