/**
 * Connectivity signals and outage events: the vocabulary of the outages wing.
 *
 * A series is one signal kind for one entity at a fixed step. Points are stored as a Float64Array with NaN for a
 * missing point, starting at `start` (epoch seconds, UTC) with `step` seconds between points: compact and fast to
 * scan, and the same shape the database store packs into one array per series-day.
 */
import { AppError } from '../core/errors.js';

export const ENTITY_SCOPES = ['country', 'region', 'network'] as const;
export type EntityScope = (typeof ENTITY_SCOPES)[number];

export interface Entity {
  scope: EntityScope;
  /**
   * Stable key. Countries: ISO alpha-2 ("IR"). Regions: "<CC>/<region>[/<sub-region>]" ("US/Louisiana/Calcasieu").
   * Networks: "AS<number>" ("AS44244").
   */
  code: string;
  /** ISO alpha-2 of the country the entity lies in, when known (always set for countries and regions). */
  country?: string;
  name?: string;
}

export interface Series {
  entity: Entity;
  /** Signal kind: bgp, ping-slash24, merit-nt, gtr, monash, radar-traffic, generic (see detect/config.ts). */
  signal: string;
  /** Epoch seconds of the first point. */
  start: number;
  /** Seconds between points. */
  step: number;
  /** NaN = missing point. */
  values: Float64Array;
}

export const OUTAGE_KINDS = ['outage', 'throttling'] as const;
export type OutageKind = (typeof OUTAGE_KINDS)[number];

/** An event found by the detector (or fused from several). Times are epoch seconds, UTC. */
export interface OutageEvent {
  entity: string;
  scope: EntityScope;
  country: string | null;
  name?: string;
  kind: OutageKind;
  /** First point below the warning level. */
  start: number;
  /** End of the last point below the warning level; null while the event is still open at the end of the data. */
  end: number | null;
  /** When the detector could first say "event" (start + the minimum duration), in data time. */
  firstAlertAt: number;
  /** Share of connectivity lost, 0..1: 1 − Σ observed / Σ baseline over the event's points. */
  depth: number;
  /** Lowest observed/baseline ratio in the event. */
  minRatio: number;
  /** 0..100: depth × duration factor × scope weight (see docs/outages.md). */
  severity: number;
  /** 0..1: how sure the detector is (depth, duration, number of agreeing signals and entities). */
  confidence: number;
  signals: string[];
  /** For fused national events: how many regions/networks dropped, out of how many with data. */
  members?: { affected: number; total: number; entities: string[] };
  /** Points in the event (for evidence). */
  points: number;
  /**
   * For national events: each member's own extent. Members may start before and end after the national event (the
   * regions that stay out longest), and those ends are reported, not absorbed.
   */
  memberEvents?: MemberExtent[];
  /** End of the data the event was judged on: an open event (end null) is known to last at least until here. */
  dataEnd?: number;
}

export interface MemberExtent {
  entity: string;
  name?: string;
  kind: OutageKind;
  start: number;
  end: number | null;
  firstAlertAt: number;
  depth: number;
}

/** A known event, from a label file, a synthetic benchmark, the registry or Radar annotations. */
export interface LabelledEvent {
  entity: string;
  scope: EntityScope;
  country: string | null;
  /** full = near-total loss; partial = partial drop/throttling. */
  kind: 'full' | 'partial';
  start: number;
  end: number | null;
  source: string;
  note?: string;
}

/** A malformed signal or label file: names the file, the line (when known) and the problem. */
export class SignalFormatError extends AppError {
  constructor(message: string, readonly line?: number) {
    super(400, 'bad_signal_file', line !== undefined ? `line ${line}: ${message}` : message);
    this.name = 'SignalFormatError';
  }
}

export function isoUtc(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().replace('.000Z', 'Z');
}
