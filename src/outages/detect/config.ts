/**
 * Detector parameters, per signal kind. Every field is documented in docs/outages.md; defaults for IODA's signals
 * follow IODA's published thresholds (FORMATS.md): alert levels are ratios of the value to its baseline.
 */
import { z } from 'zod';
import { describeIssues } from '../../core/errors.js';
import { AppError } from '../../core/errors.js';

export const SignalParamsSchema = z
  .object({
    /** Ratio value/baseline under which a point is at the warning level. */
    warning: z.number().gt(0).lte(1),
    /** Ratio under which a point is critical. */
    critical: z.number().gte(0).lt(1),
    /** Use same-time-of-week history once `minWeeks` of it exist (else same time of day). */
    weekly: z.boolean(),
    /** Past days (daily mode) whose same time of day feed the median. */
    days: z.number().int().min(1).max(28),
    /** Past weeks (weekly mode) whose same time of week feed the median. */
    weeks: z.number().int().min(1).max(8),
    /** Weeks of history before weekly mode is used. */
    minWeeks: z.number().int().min(1).max(8),
    /** Fewest past periods with data before any alert (warm-up). */
    minPeriods: z.number().int().min(1).max(28),
    /** Neighbouring points (± minutes) around the same time of day/week that join the median. */
    neighbourMinutes: z.number().min(0).max(180),
    /** An event is confirmed after this long below the warning level with at least one critical point. */
    minMinutes: z.number().min(0),
    /** …and closes after this long back above the warning level. */
    recoveryMinutes: z.number().min(0),
    /** Depth (share lost) from which an outage counts as full rather than partial. */
    fullDepth: z.number().gt(0).lte(1),
    /** Report sustained warning-level drops with no critical point as throttling. */
    throttling: z.boolean(),
    /** Minimum duration of a throttling event. */
    throttleMinMinutes: z.number().min(0),
    /** Minimum depth of a throttling event. */
    throttleMinDepth: z.number().min(0).lt(1),
    /** Baseline values below this are too small to judge (no alert). */
    minBaseline: z.number().min(0),
    /** Points in alert are replaced by their baseline in the history for this long (robustness to past outages). */
    cleanMaxHours: z.number().min(0),
    /**
     * While same-time history is too short (fewer than `minPeriods` past days), judge against the series' recent
     * level instead: the median of the last `recentHours` of (cleaned) history. 0 = wait for the full warm-up.
     */
    recentHours: z.number().min(0).max(168).default(0),
    /** Fewest hours with data in that window before the recent level is used. */
    recentMinHours: z.number().min(0).max(168).default(3),
    /**
     * Count signal (responsive addresses, probes): an event is confirmed only if its run of critical points is also
     * improbable under Poisson noise — P(X ≤ Σ observed | mean Σ baseline) < `countAlpha`.
     */
    count: z.boolean().default(false),
    countAlpha: z.number().gt(0).lt(1).default(0.001),
    /** A missing point is a zero (count signals aggregated from raw observations: no answer is silence). */
    missingAsZero: z.boolean().default(false),
    /** A degradation signal (latency): every event is throttling, never an outage. */
    degradationOnly: z.boolean().default(false),
  })
  .strict();
export type SignalParams = z.infer<typeof SignalParamsSchema>;

export const FusionParamsSchema = z
  .object({
    /** Share of a country's regions (or networks) with data that must be in an outage at once for a national event. */
    nationalShare: z.number().gt(0).lte(1),
    /** Fewest regions (or networks) of a country with data before their share can make a national event. */
    minMembers: z.number().int().min(2),
    /** The share must hold this long. */
    nationalMinMinutes: z.number().min(0),
    /** A national event starts at the first start among its members that began at most this long before the share was reached. */
    maxLeadHours: z.number().min(0),
    /** Events of one entity from several signals, or two national cores, closer than this merge. */
    mergeGapMinutes: z.number().min(0),
  })
  .strict();
export type FusionParams = z.infer<typeof FusionParamsSchema>;

const BASE: SignalParams = {
  warning: 0.8,
  critical: 0.5,
  weekly: true,
  days: 7,
  weeks: 4,
  minWeeks: 2,
  minPeriods: 3,
  neighbourMinutes: 10,
  minMinutes: 30,
  recoveryMinutes: 30,
  fullDepth: 0.75,
  throttling: true,
  throttleMinMinutes: 180,
  throttleMinDepth: 0.25,
  minBaseline: 0,
  cleanMaxHours: 14 * 24,
  recentHours: 0,
  recentMinHours: 3,
  count: false,
  countAlpha: 0.001,
  missingAsZero: false,
  degradationOnly: false,
};

/** Defaults per signal kind; unknown kinds use `generic`. */
export const DEFAULT_SIGNAL_PARAMS: Record<string, SignalParams> = {
  // IODA: BGP window 24 h, warning < 99 %, critical < 50 %.
  bgp: { ...BASE, warning: 0.99, critical: 0.5, weekly: false, days: 3, minPeriods: 1, throttling: false, neighbourMinutes: 60 },
  // IODA active probing: 7 days, warning < 80 %, critical < 50 %.
  'ping-slash24': { ...BASE, warning: 0.8, critical: 0.5 },
  // IODA telescope: 7 days, warning < 25 %, critical < 10 %.
  'merit-nt': { ...BASE, warning: 0.25, critical: 0.1, throttling: false },
  gtr: { ...BASE, warning: 0.8, critical: 0.5, neighbourMinutes: 30 },
  // Monash connectivity index (hourly, 0..100 or 0..10): county series are noisy, so an hour alone is not an event:
  // two consecutive hours below the critical level confirm one. Short published windows are judged against the
  // recent level (last 6 h) until two days of same-hour history exist.
  monash: { ...BASE, warning: 0.8, critical: 0.5, weekly: false, minPeriods: 2, neighbourMinutes: 0, minMinutes: 120, recoveryMinutes: 120, throttleMinMinutes: 360, recentHours: 6 },
  // Monash latency index (often 3-hourly), read as 100×100/latency: a degradation signal, two readings to confirm.
  'monash-latency': { ...BASE, warning: 0.8, critical: 0.5, weekly: false, minPeriods: 2, neighbourMinutes: 0, minMinutes: 360, recoveryMinutes: 360, throttleMinMinutes: 360, recentHours: 24, degradationOnly: true },
  // Responsive addresses per hour aggregated from raw pings: low counts, so a Poisson test on top of two
  // consecutive critical hours; an hour with no answer is 0.
  'monash-pings': { ...BASE, warning: 0.8, critical: 0.5, weekly: false, minPeriods: 2, neighbourMinutes: 0, minMinutes: 120, recoveryMinutes: 120, throttleMinMinutes: 360, recentHours: 6, count: true, missingAsZero: true, minBaseline: 1 },
  // Any hourly count series from a generic CSV (signal column "count").
  count: { ...BASE, warning: 0.8, critical: 0.5, weekly: false, minPeriods: 2, neighbourMinutes: 0, minMinutes: 120, recoveryMinutes: 120, throttleMinMinutes: 360, recentHours: 6, count: true, missingAsZero: true, minBaseline: 1 },
  'radar-traffic': { ...BASE },
  generic: { ...BASE },
};

export const DEFAULT_FUSION: FusionParams = {
  nationalShare: 0.5,
  minMembers: 3,
  nationalMinMinutes: 15,
  maxLeadHours: 4,
  mergeGapMinutes: 60,
};

export interface DetectorConfig {
  signals: Record<string, SignalParams>;
  fusion: FusionParams;
}

export function defaultConfig(): DetectorConfig {
  return { signals: structuredClone(DEFAULT_SIGNAL_PARAMS), fusion: { ...DEFAULT_FUSION } };
}

export function paramsFor(config: DetectorConfig, signal: string): SignalParams {
  return config.signals[signal] ?? config.signals[signal.split('.')[0] ?? ''] ?? config.signals.generic ?? BASE;
}

const OverridesSchema = z
  .object({
    signals: z.record(z.string(), SignalParamsSchema.partial()).optional(),
    fusion: FusionParamsSchema.partial().optional(),
  })
  .strict();

/** Applies a JSON/YAML object of overrides (`{signals: {bgp: {critical: 0.4}}, fusion: {nationalShare: 0.6}}`). */
export function configFrom(overrides: unknown): DetectorConfig {
  const r = OverridesSchema.safeParse(overrides ?? {});
  if (!r.success) throw new AppError(400, 'bad_config', `detector configuration: ${describeIssues(r.error.issues).message}`);
  const cfg = defaultConfig();
  for (const [kind, p] of Object.entries(r.data.signals ?? {})) {
    const merged = { ...(cfg.signals[kind] ?? cfg.signals.generic ?? BASE), ...p };
    const check = SignalParamsSchema.safeParse(merged);
    if (!check.success) throw new AppError(400, 'bad_config', `signals.${kind}: ${describeIssues(check.error.issues).message}`);
    if (merged.critical >= merged.warning) throw new AppError(400, 'bad_config', `signals.${kind}: critical (${merged.critical}) must be below warning (${merged.warning})`);
    cfg.signals[kind] = merged;
  }
  cfg.fusion = { ...cfg.fusion, ...(r.data.fusion ?? {}) };
  return cfg;
}
