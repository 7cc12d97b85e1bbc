/** Small SVG charts of the ledger pages: horizontal bars with values, and the pressure timeline's lanes. */
export interface Bar {
  label: string;
  value: number;
  note?: string;
}

/** Horizontal bars, longest first as given; values printed beside the bars. */
export function Bars({ bars, max, unit = '', title }: { bars: Bar[]; max?: number; unit?: string; title: string }) {
  const top = max ?? Math.max(1, ...bars.map((b) => b.value));
  const rowH = 22;
  const labelW = 190;
  const w = 640;
  return (
    <svg className="ledger-bars" viewBox={`0 0 ${w} ${bars.length * rowH + 6}`} width="100%" role="img" aria-label={title}>
      {bars.map((b, i) => {
        const len = Math.max(0, ((w - labelW - 90) * b.value) / top);
        return (
          <g key={`${b.label}-${i}`} transform={`translate(0 ${i * rowH + 3})`}>
            <text x={labelW - 6} y={14} textAnchor="end" fontSize="12">{b.label}</text>
            <rect x={labelW} y={2} width={len} height={rowH - 6} fill="#3b6ea8" rx="2" />
            <text x={labelW + len + 6} y={14} fontSize="12">{`${Math.round(b.value * 10) / 10}${unit}${b.note ? ` ${b.note}` : ''}`}</text>
          </g>
        );
      })}
    </svg>
  );
}

export interface LaneItem {
  lane: string;
  start: string;
  end: string | null;
  title: string;
  value?: number;
}

const DAY = 86_400_000;

/** One row per lane, items as bars (a span) or ticks (a day) on a shared time axis with year marks. */
export function Lanes({ lanes, items, from, to, title }: { lanes: { key: string; label: string }[]; items: LaneItem[]; from: string; to: string; title: string }) {
  const t0 = Date.parse(`${from}T00:00:00Z`);
  const t1 = Date.parse(`${to}T23:59:59Z`);
  const w = 1000;
  const left = 190;
  const laneH = 46;
  const x = (d: string) => left + ((Math.min(t1, Math.max(t0, Date.parse(`${d.slice(0, 10)}T00:00:00Z`))) - t0) / Math.max(DAY, t1 - t0)) * (w - left - 10);
  const years: number[] = [];
  for (let y = Number(from.slice(0, 4)) + 1; y <= Number(to.slice(0, 4)); y++) years.push(y);
  const h = lanes.length * laneH + 24;
  return (
    <svg className="ledger-lanes" viewBox={`0 0 ${w} ${h}`} width="100%" role="img" aria-label={title}>
      {years.map((y) => (
        <g key={y}>
          <line x1={x(`${y}-01-01`)} x2={x(`${y}-01-01`)} y1={0} y2={h - 18} stroke="#ccc" />
          <text x={x(`${y}-01-01`)} y={h - 4} fontSize="12" textAnchor="middle">{y}</text>
        </g>
      ))}
      {lanes.map((l, i) => {
        const mine = items.filter((it) => it.lane === l.key);
        const maxV = Math.max(1, ...mine.map((m) => m.value ?? 0));
        return (
          <g key={l.key} transform={`translate(0 ${i * laneH})`} data-lane={l.key} data-count={mine.length}>
            <rect x={0} y={2} width={w} height={laneH - 4} fill={i % 2 ? '#f6f7f9' : '#fff'} />
            <text x={8} y={laneH / 2 + 4} fontSize="13" fontWeight="600">{`${l.label} (${mine.length})`}</text>
            {mine.map((it, k) => {
              const xs = x(it.start);
              const xe = Math.max(xs + 3, x(it.end ?? to));
              const hgt = it.value !== undefined ? 6 + ((laneH - 14) * it.value) / maxV : laneH - 14;
              return (
                <rect key={k} x={xs} y={laneH - 4 - hgt} width={it.end === it.start ? 4 : xe - xs} height={hgt} fill={l.key === 'laws' ? '#8a4b9c' : l.key === 'shutdowns' ? '#c0392b' : l.key === 'blocking' ? '#d68910' : l.key === 'interventions' ? '#16a085' : '#3b6ea8'} opacity="0.85">
                  <title>{`${it.start}${it.end && it.end !== it.start ? ` – ${it.end}` : ''}: ${it.title}`}</title>
                </rect>
              );
            })}
          </g>
        );
      })}
    </svg>
  );
}
