/**
 * Fusion: from per-series events to the events an analyst sees.
 * 1. Events of one entity from several signals that overlap (or lie closer than `mergeGapMinutes`) become one.
 * 2. Per country, when at least `nationalShare` of its regions with data (or of its networks) are in an event at
 *    once for `nationalMinMinutes` (and there are at least `minMembers` of them), the regions' events become one
 *    national event (an outage if most of them are outages, else throttling). It starts when the first of them started (at most `maxLeadHours` before the share was
 *    reached) and ends when the last ended. Its depth is the mean depth over all the country's regions with data,
 *    unaffected ones counting 0.
 * 3. National events from region/network fusion and from country-level series merge like (1).
 * Everything else stays a regional or network event.
 */
import type { EntityScope, OutageEvent, Series } from '../model.js';
import type { FusionParams } from './config.js';
import type { RawEvent } from './detector.js';

export interface SeriesEvents {
  series: Pick<Series, 'entity' | 'signal' | 'start' | 'step'> & { length: number };
  events: RawEvent[];
}

const SCOPE_WEIGHT: Record<EntityScope, number> = { country: 1, region: 0.6, network: 0.5 };

/** Severity 0..100: depth × duration factor (0.4 at a few minutes → 1 at 24 h and longer) × scope weight. */
export function severityScore(depth: number, hours: number, scope: EntityScope, kind: 'outage' | 'throttling'): number {
  const dur = 0.4 + 0.6 * Math.min(1, Math.log1p(Math.max(0, hours)) / Math.log1p(24));
  return Math.round(100 * depth * dur * SCOPE_WEIGHT[scope] * (kind === 'throttling' ? 0.8 : 1) * 10) / 10;
}

/** Confidence of one signal's event: deeper and longer is surer. */
function signalConfidence(depth: number, hours: number): number {
  return Math.min(0.95, 0.3 + 0.5 * depth + 0.15 * Math.min(1, hours / 6));
}

function combine(cs: number[]): number {
  return 1 - cs.reduce((acc, c) => acc * (1 - c), 1);
}

interface Working extends OutageEvent {
  conf: number[];
}

function endOrInf(e: { end: number | null }) {
  return e.end === null ? Infinity : e.end;
}

function mergeInto(a: Working, b: Working) {
  const pa = a.points;
  const pb = b.points;
  a.depth = pa + pb > 0 ? (a.depth * pa + b.depth * pb) / (pa + pb) : Math.max(a.depth, b.depth);
  a.start = Math.min(a.start, b.start);
  a.end = a.end === null || b.end === null ? null : Math.max(a.end, b.end);
  a.firstAlertAt = Math.min(a.firstAlertAt, b.firstAlertAt);
  a.minRatio = Math.min(a.minRatio, b.minRatio);
  a.points = pa + pb;
  a.signals = [...new Set([...a.signals, ...b.signals])].sort();
  a.conf.push(...b.conf);
  if (b.kind === 'outage') a.kind = 'outage';
  if (b.memberEvents) a.memberEvents = [...(a.memberEvents ?? []), ...b.memberEvents].sort((x, y) => x.entity.localeCompare(y.entity) || x.start - y.start);
  if (b.members) {
    a.members = a.members
      ? { affected: Math.max(a.members.affected, b.members.affected), total: Math.max(a.members.total, b.members.total), entities: [...new Set([...a.members.entities, ...b.members.entities])].sort() }
      : b.members;
  }
}

/** Merges overlapping (or near) events of the same entity. Input need not be sorted. */
function mergeSameEntity(list: Working[], gap: number): Working[] {
  const byEntity = new Map<string, Working[]>();
  for (const e of list) {
    const l = byEntity.get(e.entity) ?? [];
    l.push(e);
    byEntity.set(e.entity, l);
  }
  const out: Working[] = [];
  for (const l of byEntity.values()) {
    l.sort((a, b) => a.start - b.start);
    let cur: Working | null = null;
    for (const e of l) {
      if (cur && e.start <= endOrInf(cur) + gap) mergeInto(cur, e);
      else {
        if (cur) out.push(cur);
        cur = { ...e, signals: [...e.signals], conf: [...e.conf] };
      }
    }
    if (cur) out.push(cur);
  }
  return out;
}

export function fuse(results: SeriesEvents[], fusion: FusionParams, dataEnd?: number): OutageEvent[] {
  const gap = fusion.mergeGapMinutes * 60;
  let end = dataEnd ?? 0;
  if (dataEnd === undefined) for (const r of results) end = Math.max(end, r.series.start + r.series.length * r.series.step);
  const hoursOf = (e: { start: number; end: number | null }) => ((e.end ?? end) - e.start) / 3600;

  // 1. per-series events → working events, merged per entity across signals
  const raw: Working[] = [];
  for (const r of results) {
    const ent = r.series.entity;
    for (const e of r.events) {
      raw.push({
        entity: ent.code,
        scope: ent.scope,
        country: ent.country ?? null,
        ...(ent.name ? { name: ent.name } : {}),
        kind: e.kind,
        start: e.start,
        end: e.end,
        firstAlertAt: e.firstAlertAt,
        depth: e.depth,
        minRatio: e.minRatio,
        severity: 0,
        confidence: 0,
        signals: [r.series.signal],
        points: e.points,
        conf: [signalConfidence(e.depth, hoursOf(e))],
      });
    }
  }
  let events = mergeSameEntity(raw, gap);

  // 2. national events from regions / networks of one country
  const membersByCountry = new Map<string, { region: Set<string>; network: Set<string> }>();
  for (const r of results) {
    const ent = r.series.entity;
    if (!ent.country || ent.scope === 'country') continue;
    const m = membersByCountry.get(ent.country) ?? { region: new Set(), network: new Set() };
    m[ent.scope].add(ent.code);
    membersByCountry.set(ent.country, m);
  }
  const absorbed = new Set<Working>();
  const national: Working[] = [];
  for (const [country, groups] of membersByCountry) {
    for (const scope of ['region', 'network'] as const) {
      const total = groups[scope].size;
      if (total < fusion.minMembers) continue;
      const member = events.filter((e) => e.country === country && e.scope === scope);
      if (!member.length) continue;
      // sweep: times where at least nationalShare of members are down
      const marks: [number, number][] = [];
      for (const e of member) {
        marks.push([e.start, 1]);
        marks.push([endOrInf(e), -1]);
      }
      marks.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const need = Math.ceil(fusion.nationalShare * total - 1e-9);
      const cores: { start: number; end: number }[] = [];
      let active = 0;
      let coreStart: number | null = null;
      for (const [t, d] of marks) {
        active += d;
        if (coreStart === null && active >= need) coreStart = t;
        else if (coreStart !== null && active < need) {
          cores.push({ start: coreStart, end: t });
          coreStart = null;
        }
      }
      if (coreStart !== null) cores.push({ start: coreStart, end: Infinity });
      const merged: { start: number; end: number }[] = [];
      for (const c of cores) {
        const last = merged[merged.length - 1];
        if (last && c.start <= last.end + gap) last.end = Math.max(last.end, c.end);
        else merged.push({ ...c });
      }
      for (const core of merged) {
        if (core.end - core.start < fusion.nationalMinMinutes * 60) continue;
        const lead = fusion.maxLeadHours * 3600;
        // members: events overlapping the core that began at most `lead` before it (earlier ones are their own,
        // earlier, regional events and stay so)
        const inCore = member.filter((e) => e.start < core.end && endOrInf(e) > core.start && e.start >= core.start - lead);
        if (!inCore.length) continue;
        const start = Math.min(...inCore.map((e) => e.start));
        const ends = inCore.map(endOrInf);
        const within = ends.filter((t) => t <= core.end + lead);
        const lastEnd = core.end === Infinity ? Infinity : Math.max(core.end, ...within);
        const stop = lastEnd === Infinity ? null : lastEnd;
        const entities = [...new Set(inCore.map((e) => e.entity))].sort();
        const depth = inCore.reduce((s, e) => s + e.depth, 0) / total;
        // causal first alert: the first time that enough members were confirmed (each at its own first alert) and
        // still out, and the share had held nationalMinMinutes — never earlier than live mode could have said it
        const marks2: [number, number][] = [];
        for (const e of member) {
          if (endOrInf(e) <= e.firstAlertAt) continue;
          marks2.push([e.firstAlertAt, 1]);
          marks2.push([endOrInf(e), -1]);
        }
        marks2.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        let act = 0;
        let reached = Infinity;
        for (const [t, d] of marks2) {
          act += d;
          if (act >= need && t >= core.start - lead) {
            reached = t;
            break;
          }
        }
        if (reached === Infinity) reached = Math.max(...inCore.map((e) => e.firstAlertAt));
        const firstAlertAt = Math.max(reached, core.start + fusion.nationalMinMinutes * 60);
        // the national event is an outage when members in outage outnumber members throttled
        const outages = inCore.filter((e) => e.kind === 'outage').length;
        national.push({
          entity: country,
          scope: 'country',
          country,
          kind: outages * 2 >= inCore.length ? 'outage' : 'throttling',
          start,
          end: stop,
          firstAlertAt,
          depth,
          minRatio: Math.min(...inCore.map((e) => e.minRatio)),
          severity: 0,
          confidence: 0,
          signals: [...new Set(inCore.flatMap((e) => e.signals))].sort(),
          members: { affected: entities.length, total, entities },
          points: inCore.reduce((s, e) => s + e.points, 0),
          memberEvents: inCore
            .map((e) => ({ entity: e.entity, ...(e.name ? { name: e.name } : {}), kind: e.kind, start: e.start, end: e.end, firstAlertAt: e.firstAlertAt, depth: Math.round(e.depth * 1000) / 1000 }))
            .sort((a, b) => a.entity.localeCompare(b.entity)),
          conf: [Math.min(0.97, 0.5 + 0.45 * (entities.length / total))],
        });
        for (const e of inCore) absorbed.add(e);
      }
    }
  }
  events = mergeSameEntity([...events.filter((e) => !absorbed.has(e)), ...national], gap);

  return events
    .map(({ conf, ...e }) => ({
      ...e,
      dataEnd: end,
      severity: severityScore(e.depth, hoursOf(e), e.scope, e.kind),
      confidence: Math.round(combine(conf) * 1000) / 1000,
      depth: Math.round(e.depth * 1000) / 1000,
      minRatio: Math.round(e.minRatio * 1000) / 1000,
    }))
    .sort((a, b) => a.start - b.start || a.entity.localeCompare(b.entity));
}
