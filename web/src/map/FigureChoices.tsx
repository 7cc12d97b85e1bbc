import type { AppliedFilter, DatasetCounts } from '../api/types.js';
import { useQueryState } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { Loaded, Section } from '../ui/components.js';
import { SelectField } from '../ui/fields.js';
import { useApi } from '../ui/useApi.js';

/**
 * What the figures count, chosen in the open (docs/registry.md): status, type family and source, kept in the URL.
 * The defaults (verified incidents of rights-relevant types, any source) are what the API applies without a choice.
 */
export const FIGURE_KEYS = ['status', 'family', 'origin'] as const;

export function useFigureChoice(): { status?: string; family?: string; origin?: string } {
  const [params] = useQueryState();
  const out: Record<string, string> = {};
  for (const k of FIGURE_KEYS) {
    const v = params.get(k);
    if (v) out[k] = v;
  }
  return out;
}

export function FigureChoices() {
  const { t } = useI18n();
  const [params, setParams] = useQueryState();
  const statuses = ['verified', 'reviewed', 'all'] as const;
  const families = ['rights', 'shutdowns', 'network', 'all'] as const;
  return (
    <form className="period figure-choices" aria-label={t('registry.figureFilter')} onSubmit={(e) => e.preventDefault()}>
      <SelectField
        label={t('registry.choice.status')}
        name="status"
        value={params.get('status') ?? ''}
        onChange={(v) => setParams({ status: v && v !== 'verified' ? v : undefined })}
        choices={statuses.map((s) => ({ value: s === 'verified' ? '' : s, label: t(`registry.status.${s}`) }))}
      />
      <SelectField
        label={t('registry.choice.family')}
        name="family"
        value={params.get('family') ?? ''}
        onChange={(v) => setParams({ family: v && v !== 'rights' ? v : undefined })}
        choices={families.map((f) => ({ value: f === 'rights' ? '' : f, label: t(`registry.family.${f}`) }))}
      />
      <SelectField
        label={t('registry.choice.origin')}
        name="origin"
        value={params.get('origin') ?? ''}
        onChange={(v) => setParams({ origin: v || undefined })}
        empty={t('registry.origin.any')}
        choices={['stop', 'ioda', 'manual', 'outages', 'measure'].map((o) => ({ value: o, label: o }))}
      />
    </form>
  );
}

/** The statement under every figure: what was counted, as the API applied it. */
export function FigureStatement({ filter }: { filter?: AppliedFilter | undefined }) {
  const { t } = useI18n();
  if (!filter) return null;
  return (
    <p className="figure-statement muted small" data-testid="figure-statement">
      <strong>{t('registry.figureFilter')}:</strong> {t(`registry.status.${filter.status}` as 'registry.status.all')} ·{' '}
      {['rights', 'shutdowns', 'network', 'all'].includes(filter.family) ? t(`registry.family.${filter.family}` as 'registry.family.all') : filter.family}
      {filter.origin ? ` · ${filter.origin}` : ''}. <span lang="en">{filter.description}</span> {t('registry.endUnknownNote')}
    </p>
  );
}

/** Access Now STOP's own yearly counts (rows per year's sheet), which reproduce its published figures. */
export function StopCounts() {
  const { t, num } = useI18n();
  const res = useApi<DatasetCounts>('/api/stats/datasets/stop');
  return (
    <Section title={t('registry.stopCounts')}>
      <Loaded state={res} isEmpty={(d) => d.items.length === 0}>
        {(d) => (
          <>
            <table className="table compact" data-testid="stop-counts">
              <thead>
                <tr>
                  <th scope="col">{t('registry.year')}</th>
                  <th scope="col" className="num">{t('registry.records')}</th>
                  <th scope="col" className="num">{t('registry.incidents')}</th>
                </tr>
              </thead>
              <tbody>
                {d.items.filter((x) => x.period).map((x) => (
                  <tr key={x.period}>
                    <td>{x.period}</td>
                    <td className="num">{num(x.records)}</td>
                    <td className="num">{num(x.incidents)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted small" lang="en">{d.counting} {d.attribution}.</p>
          </>
        )}
      </Loaded>
    </Section>
  );
}
