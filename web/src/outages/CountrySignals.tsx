import { useMemo, useState } from 'react';
import { useQueryState } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field, Loading, Section } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';
import {
  aggregateSeries,
  chartData,
  DAY,
  defaultSelection,
  defaultWindow,
  entityName,
  eventsForSeries,
  isoDay,
  MAX_WINDOW_DAYS,
  parseDay,
  readWindow,
  sortSeries,
  TIMELINE_SPANS,
  timelineWindow,
  toMs,
  type TimelineSpan,
} from './logic.js';
import { OutageTimeline, TimelineList } from './OutageTimeline.js';
import { SignalChart, type ShadedEvent } from './SignalChart.js';
import type { DetectedEvent, OutageEvent, SignalSeries, SignalsResponse, TimelineResponse } from './types.js';

const isSpan = (v: string | null): v is TimelineSpan => (TIMELINE_SPANS as string[]).includes(v ?? '');

/**
 * "Connectivity signals" on a country page: the stored series with their baseline, alert levels and detected
 * events (a big chart for the chosen series or their sum, and a small chart per series), then a timeline of
 * detected events beside STOP, IODA and other registry incidents. The period lives in the address bar
 * (`sfrom`, `sto`, `series`, `tl`), so a view can be bookmarked.
 */
export function ConnectivitySignals({ cc }: { cc: string }) {
  const { t, num } = useI18n();
  const [params, setParams] = useQueryState();
  const asked = readWindow(params.get('sfrom'), params.get('sto'));
  const latest = useApi<{ items: OutageEvent[] }>(asked && 'window' in asked ? null : '/api/outages/events', { country: cc, limit: 1 });
  const win =
    asked && 'window' in asked ? asked.window : latest.data ? defaultWindow(latest.data.items[0], Date.now()) : latest.error ? defaultWindow(undefined, Date.now()) : null;
  const span: TimelineSpan = isSpan(params.get('tl')) ? (params.get('tl') as TimelineSpan) : '90d';
  const signals = useApi<SignalsResponse>(win ? `/api/outages/countries/${encodeURIComponent(cc)}/signals` : null, win ? { from: win.from, to: win.to } : undefined);
  const tw = win ? timelineWindow(win, span, Date.now()) : null;
  const timeline = useApi<TimelineResponse>(tw ? '/api/outages/timeline' : null, tw ? { country: cc, from: new Date(tw.from).toISOString(), to: new Date(tw.to).toISOString() } : undefined);

  const setWindow = (from: string | undefined, to: string | undefined) => setParams({ sfrom: from, sto: to, series: undefined }, { replace: true });
  const windowError = asked && 'error' in asked ? asked.error : null;

  return (
    <Section title={t('outages.signals.title')} id="connectivity-signals">
      <div data-testid="connectivity-signals">
        <p className="muted">{t('outages.signals.intro')}</p>
        <form className="period signal-period" onSubmit={(e) => e.preventDefault()} aria-label={t('outages.signals.period')}>
          <Field label={t('common.from')}>
            {(p) => <input {...p} type="date" name="sfrom" value={params.get('sfrom') ?? win?.from ?? ''} onChange={(e) => setWindow(e.target.value || undefined, params.get('sto') ?? win?.to)} />}
          </Field>
          <Field label={t('outages.signals.until')}>
            {(p) => <input {...p} type="date" name="sto" value={params.get('sto') ?? win?.to ?? ''} onChange={(e) => setWindow(params.get('sfrom') ?? win?.from, e.target.value || undefined)} />}
          </Field>
          <div className="preset-buttons">
            <button type="button" className="btn" onClick={() => setWindow(undefined, undefined)}>
              {t('outages.signals.latest')}
            </button>
            {win && (
              <>
                <button type="button" className="btn" aria-label={t('outages.signals.earlierLong')} onClick={() => shift(win, -1, setWindow)}>
                  {t('outages.signals.earlier')}
                </button>
                <button type="button" className="btn" aria-label={t('outages.signals.laterLong')} onClick={() => shift(win, 1, setWindow)}>
                  {t('outages.signals.later')}
                </button>
              </>
            )}
          </div>
        </form>
        {windowError && (
          <p className="notice notice-error" role="alert">
            {t(`outages.signals.err.${windowError}`, { days: num(MAX_WINDOW_DAYS) })}
          </p>
        )}
        {signals.error ? (
          <ErrorBox error={signals.error} onRetry={signals.reload} />
        ) : !signals.data ? (
          !windowError && <Loading />
        ) : (
          <SignalCharts data={signals.data} selected={params.get('series')} onSelect={(s) => setParams({ series: s }, { replace: true })} />
        )}

        <h3 className="subhead">{t('outages.timeline.title')}</h3>
        <label className="inline-field">
          {t('outages.timeline.span')}{' '}
          <select name="tl" value={span} onChange={(e) => setParams({ tl: e.target.value }, { replace: true })}>
            {TIMELINE_SPANS.map((s) => (
              <option key={s} value={s}>
                {t(`outages.timeline.span.${s}`)}
              </option>
            ))}
          </select>
        </label>
        {timeline.error ? (
          <ErrorBox error={timeline.error} onRetry={timeline.reload} />
        ) : !timeline.data || !tw ? (
          !windowError && <Loading />
        ) : (
          <>
            <OutageTimeline items={timeline.data.items} from={tw.from} to={tw.to} dataUntil={signals.data && signals.data.series.length ? dataSpan(signals.data).to : undefined} />
            <details className="subform">
              <summary>{t('outages.timeline.list')}</summary>
              <TimelineList items={timeline.data.items} from={tw.from} to={tw.to} />
            </details>
          </>
        )}
      </div>
    </Section>
  );
}

function shift(w: { from: string; to: string }, dir: 1 | -1, set: (from: string, to: string) => void) {
  const f = parseDay(w.from);
  const to = parseDay(w.to);
  if (f === null || to === null) return;
  const len = Math.max(DAY, to - f);
  set(isoDay(f + dir * len), isoDay(to + dir * len));
}

/** The period shown: the asked period narrowed to the stored data in it. */
export function dataSpan(data: SignalsResponse): { from: number; to: number } {
  const askedFrom = toMs(data.from) ?? 0;
  const askedTo = toMs(data.to) ?? 0;
  let first = Infinity;
  let last = -Infinity;
  for (const s of data.series) {
    const a = toMs(s.t[0]);
    const b = toMs(s.t[s.t.length - 1]);
    if (a !== null) first = Math.min(first, a);
    if (b !== null) last = Math.max(last, b + s.step * 1000);
  }
  if (!Number.isFinite(first) || !Number.isFinite(last)) return { from: askedFrom, to: askedTo };
  return { from: Math.max(askedFrom, first), to: Math.min(askedTo, last) };
}

function shadesFor(events: DetectedEvent[], own: (e: DetectedEvent) => boolean, label: (e: DetectedEvent) => string): ShadedEvent[] {
  return events.map((e) => ({ start: toMs(e.start) ?? 0, end: toMs(e.end), kind: e.kind, label: label(e), own: own(e) }));
}

function SignalCharts({ data, selected, onSelect }: { data: SignalsResponse; selected: string | null; onSelect: (s: string) => void }) {
  const { t, tn, num, country } = useI18n();
  // a chart per series is a wall on a phone: there the list starts folded
  const [wide] = useState(() => globalThis.matchMedia?.('(min-width: 641px)').matches ?? true);
  const series = useMemo(() => sortSeries(data.series), [data.series]);
  // the charts span the data inside the period asked for (a period reaching past the data would leave them half empty)
  const { from, to } = useMemo(() => dataSpan(data), [data]);
  const bySignal = useMemo(() => {
    const m = new Map<string, SignalSeries[]>();
    for (const s of series) m.set(s.signal, [...(m.get(s.signal) ?? []), s]);
    return m;
  }, [series]);
  const keyOf = (s: SignalSeries) => `${s.entity.code}|${s.signal}`;
  const choice = selected && (selected.startsWith('sum:') ? bySignal.has(selected.slice(4)) : series.some((s) => keyOf(s) === selected)) ? selected : defaultSelection(series);
  const seriesName = (s: SignalSeries) => (s.entity.scope === 'country' ? country(s.entity.code) : entityName({ entity: s.entity.code, scope: s.entity.scope, ...(s.entity.name ? { name: s.entity.name } : {}) }));
  const kindLabel = (e: DetectedEvent) => (e.scope === 'country' ? t(`outages.chart.national.${e.kind}`) : t(`outages.kind.${e.kind}`));

  const main = useMemo(() => {
    if (!choice) return null;
    if (choice.startsWith('sum:')) {
      const signal = choice.slice(4);
      const group = bySignal.get(signal) ?? [];
      const agg = aggregateSeries(group);
      if (!agg || !group[0]) return null;
      const national = data.events.filter((e) => e.scope === 'country');
      return { data: agg, levels: group[0].levels, events: shadesFor(national, () => true, kindLabel), title: t('outages.signals.sumOf', { count: num(group.length), signal }) };
    }
    const s = series.find((x) => keyOf(x) === choice);
    if (!s) return null;
    const evs = eventsForSeries(s.entity.code, data.events);
    return { data: chartData(s.t, s.value, s.baseline, s.step), levels: s.levels, events: shadesFor(evs, (e) => e.entity === s.entity.code, kindLabel), title: `${seriesName(s)} (${s.signal})` };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [choice, data, series, bySignal, t]);

  if (!series.length)
    return (
      <p className="notice" data-testid="no-signals">
        {t('outages.signals.none')}
      </p>
    );

  return (
    <>
      <div className="signal-tools">
        <Field label={t('outages.signals.show')}>
          {(p) => (
            <select {...p} name="series" value={choice} onChange={(e) => onSelect(e.target.value)}>
              {[...bySignal.entries()]
                .filter(([, g]) => g.length > 1)
                .map(([signal, g]) => (
                  <option key={`sum:${signal}`} value={`sum:${signal}`}>
                    {t('outages.signals.sumOf', { count: num(g.length), signal })}
                  </option>
                ))}
              {series.map((s) => (
                <option key={keyOf(s)} value={keyOf(s)}>
                  {seriesName(s)} ({s.signal})
                </option>
              ))}
            </select>
          )}
        </Field>
        <p className="muted">
          {t('outages.signals.counts', { series: num(series.length), events: num(data.events.length) })}
        </p>
      </div>
      {main && <SignalChart data={main.data} levels={main.levels} events={main.events} title={main.title} from={from} to={to} testId="country-signal-chart" />}
      {series.length > 1 && (
        <details className="subform small-multiples" open={wide || series.length <= 6}>
          <summary>{t('outages.signals.each', { count: num(series.length) })}</summary>
          <ul className="multiples" data-testid="signal-multiples">
            {series.map((s) => {
              const own = data.events.filter((e) => e.entity === s.entity.code);
              const k = keyOf(s);
              return (
                <li key={k}>
                  <button type="button" className={`multiple${k === choice ? ' selected' : ''}`} aria-pressed={k === choice} onClick={() => onSelect(k)}>
                    <span className="multiple-name">
                      {seriesName(s)}
                      {own.length > 0 && <span className="multiple-events">{tn('outages.signals.eventsShort', own.length, { count: num(own.length) })}</span>}
                    </span>
                    <SignalChart
                      data={chartData(s.t, s.value, s.baseline, s.step)}
                      levels={s.levels}
                      events={shadesFor(eventsForSeries(s.entity.code, data.events), (e) => e.entity === s.entity.code, kindLabel)}
                      title={`${seriesName(s)} (${s.signal})`}
                      from={from}
                      to={to}
                      compact
                    />
                  </button>
                </li>
              );
            })}
          </ul>
        </details>
      )}
    </>
  );
}
