import { useI18n } from '../i18n/index.js';
import { blockedShare, verdictSegments, VERDICT_COLOURS, type VerdictCounts as Counts } from './logic.js';
import { useMeasureI18n } from './i18n.js';
import { VERDICTS, type Verdict } from './types.js';

/** A verdict as a coloured badge (colour is never the only cue: the label is always written). */
export function VerdictBadge({ verdict }: { verdict: string }) {
  const { verdictLabel } = useMeasureI18n();
  const colour = (VERDICT_COLOURS as Record<string, string>)[verdict] ?? VERDICT_COLOURS.unknown;
  return (
    <span className={`m-verdict m-verdict-${verdict}`} data-verdict={verdict}>
      <span className="m-dot" style={{ background: colour }} aria-hidden="true" />
      {verdictLabel(verdict)}
    </span>
  );
}

/**
 * Counts by verdict: one stacked bar (share of each kind) and, under it, one button per kind with its count.
 * Pressing a kind filters the list to it; pressing it again (or "All verdicts") removes the filter.
 */
export function VerdictCounts({ counts, selected, onSelect }: { counts: Counts; selected: Verdict | undefined; onSelect: (v: Verdict | undefined) => void }) {
  const { num } = useI18n();
  const { mt, verdictLabel } = useMeasureI18n();
  const segments = verdictSegments(counts);
  const { blocked, total } = blockedShare(counts);
  return (
    <div className="m-counts" data-testid="verdict-counts">
      {total === 0 ? (
        <p className="muted">{mt('measure.countsEmpty')}</p>
      ) : (
        <>
          <p className="m-counts-summary">{mt('measure.countsSummary', { blocked: num(blocked), total: num(total) })}</p>
          <div className="m-stack" aria-hidden="true">
            {segments.map((s) => (
              <span
                key={s.kind}
                className={`m-seg${selected && selected !== s.kind ? ' m-seg-dim' : ''}`}
                style={{ insetInlineStart: `${s.startPct}%`, inlineSize: `${s.pct}%`, background: VERDICT_COLOURS[s.kind] }}
                title={`${verdictLabel(s.kind)}: ${num(s.count)}`}
              />
            ))}
          </div>
        </>
      )}
      <ul className="m-kinds" aria-label={mt('measure.countsHint')}>
        <li>
          <button type="button" className={`m-kind${selected ? '' : ' m-kind-on'}`} aria-pressed={!selected} onClick={() => onSelect(undefined)}>
            <span className="m-kind-label">{mt('measure.showAll')}</span>
            <span className="m-kind-count">{num(total)}</span>
          </button>
        </li>
        {VERDICTS.map((v) => (
          <li key={v}>
            <button
              type="button"
              className={`m-kind${selected === v ? ' m-kind-on' : ''}${counts[v] === 0 ? ' m-kind-zero' : ''}`}
              data-kind={v}
              aria-pressed={selected === v}
              onClick={() => onSelect(selected === v ? undefined : v)}
            >
              <span className="m-dot" style={{ background: VERDICT_COLOURS[v] }} aria-hidden="true" />
              <span className="m-kind-label">{verdictLabel(v)}</span>
              <span className="m-kind-count" data-testid={`count-${v}`}>
                {num(counts[v])}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
