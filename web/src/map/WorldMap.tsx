import { useMemo, useState, type MouseEvent } from 'react';
import type { CountryStat } from '../api/types.js';
import { navigate } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { MAP_COLOURS, MAP_HEIGHT, MAP_WIDTH, classBreaks, classOf, countryShapes } from './geo.js';

/** Choropleth of incidents per country. Each country with a code is a link to its page (keyboard reachable). */
export function WorldMap({ stats }: { stats: CountryStat[] }) {
  const { t, tn, country, num } = useI18n();
  const shapes = useMemo(() => countryShapes(), []);
  const counts = useMemo(() => new Map(stats.map((s) => [s.country, s.count])), [stats]);
  const max = useMemo(() => stats.reduce((m, s) => Math.max(m, s.count), 0), [stats]);
  const breaks = useMemo(() => classBreaks(max), [max]);
  const [hover, setHover] = useState<string | null>(null);

  const go = (cc: string) => (e: MouseEvent) => {
    e.preventDefault();
    // The country page opens with the same period and figure choices as the map.
    const keep = new URLSearchParams([...new URLSearchParams(window.location.search)].filter(([k]) => ['from', 'to', 'status', 'family', 'origin'].includes(k)));
    const qs = keep.toString();
    navigate(`/countries/${cc}${qs ? `?${qs}` : ''}`);
  };

  const hoverCount = hover ? (counts.get(hover) ?? 0) : 0;

  return (
    <figure className="map">
      <a
        className="skip-map"
        href="#country-ranking"
        onClick={(e) => {
          // Past ~180 countries to the ranking table in one key press (issue #8).
          const target = document.getElementById('country-ranking');
          if (!target) return;
          e.preventDefault();
          target.setAttribute('tabindex', '-1');
          target.focus();
        }}
      >
        {t('ops.skipMap')}
      </a>
      <svg
        viewBox={`0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`}
        role="group"
        aria-label={t('map.title')}
        direction="ltr"
        data-testid="world-map"
        onMouseLeave={() => setHover(null)}
      >
        <rect x="0" y="0" width={MAP_WIDTH} height={MAP_HEIGHT} fill="#f6f8fb" />
        {shapes.map((s, i) => {
          const count = s.cc ? (counts.get(s.cc) ?? 0) : 0;
          const cls = classOf(count, breaks);
          const fill = MAP_COLOURS[cls];
          if (!s.cc) return <path key={`x${i}`} d={s.d} fill={MAP_COLOURS[0]} stroke="#fff" strokeWidth={0.5} />;
          const name = country(s.cc);
          return (
            <a
              key={s.cc + i}
              href={`/countries/${s.cc}`}
              onClick={go(s.cc)}
              aria-label={tn('map.countryCount', count, { country: name, count: num(count) })}
              onMouseEnter={() => setHover(s.cc)}
              onFocus={() => setHover(s.cc)}
              className="map-country"
            >
              <path d={s.d} fill={fill} stroke="#fff" strokeWidth={0.5} data-cc={s.cc} data-count={count} data-class={cls}>
                <title>{tn('map.countryCount', count, { country: name, count: num(count) })}</title>
              </path>
            </a>
          );
        })}
      </svg>
      <figcaption>
        <p className="map-hover" aria-live="polite">
          {hover ? tn('map.countryCount', hoverCount, { country: country(hover), count: num(hoverCount) }) : t('map.help')}
        </p>
        <div className="legend" aria-label={t('map.legend')}>
          <span className="legend-title">{t('map.legend')}</span>
          <ul>
            <li>
              <span className="swatch" style={{ background: MAP_COLOURS[0] }} />
              {t('map.noData')}
            </li>
            {breaks.map((b, i) => {
              const next = breaks[i + 1];
              const text = next === undefined ? `${num(b)}+` : next - 1 > b ? `${num(b)}–${num(next - 1)}` : num(b);
              return (
                <li key={b}>
                  <span className="swatch" style={{ background: MAP_COLOURS[Math.min(i + 1, MAP_COLOURS.length - 1)] }} />
                  <span dir="ltr">{text}</span>
                </li>
              );
            })}
          </ul>
        </div>
      </figcaption>
    </figure>
  );
}
