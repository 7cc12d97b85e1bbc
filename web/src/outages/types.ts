/** Shapes of the outages API (`src/outages/routes.ts`) as the console reads them. Times are ISO 8601 UTC. */

export type OutageScope = 'country' | 'region' | 'network';
export type OutageKind = 'outage' | 'throttling';
export type Decision = 'confirmed' | 'rejected';

export interface EventMembers {
  total: number;
  affected: number;
  entities: string[];
}

/** A detected event as the detector describes it (also served, unstored, by the signals route). */
export interface DetectedEvent {
  entity: string;
  scope: OutageScope;
  country: string | null;
  name?: string;
  kind: OutageKind;
  start: string;
  end: string | null;
  firstAlertAt: string;
  depth: number;
  severity: number;
  confidence: number;
  signals: string[];
  members?: EventMembers;
  /** Each member's own extent (regions that stay out longer than the national event keep their end). */
  memberEvents?: { entity: string; name?: string; kind: string; start: string; end: string | null; depth: number }[];
  /** End of the data the event was judged on. */
  dataEnd?: string;
}

/** A stored event: the detector's figures, its registry link and the analyst's decision. */
export interface OutageEvent extends DetectedEvent {
  id: string;
  incidentId: string | null;
  decision: Decision | null;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string;
  source: string;
}

/** Observed and baseline sums per bucket over the event ± 12 h (null = no data). */
export interface EventPlot {
  t: string[];
  value: (number | null)[];
  baseline: (number | null)[];
  signals: string[];
  seriesCount: number;
}

export interface OutageEventDetail extends OutageEvent {
  evidence: { plot?: EventPlot; minRatio?: number; points?: number; svg?: string };
}

export interface AlertLevels {
  warning: number;
  critical: number;
}

export interface SignalSeries {
  entity: { scope: OutageScope; code: string; country: string | null; name?: string };
  signal: string;
  /** Seconds between two points as served (raw step × the server's bucketing). */
  step: number;
  t: string[];
  value: (number | null)[];
  baseline: (number | null)[];
  levels: AlertLevels;
}

export interface SignalsResponse {
  country: string;
  from: string;
  to: string;
  series: SignalSeries[];
  events: DetectedEvent[];
}

export type TimelineLane = 'detected' | 'draft' | 'stop' | 'ioda' | 'registry';

export interface TimelineItem {
  lane: TimelineLane;
  id: string;
  title: string;
  start: string | null;
  end: string | null;
  kind?: OutageKind;
  scope?: OutageScope;
  depth?: number;
  severity?: number;
  decision?: Decision | null;
  incidentId?: string | null;
  type?: string;
  origin?: string | null;
}

export interface TimelineResponse {
  country: string;
  from: string;
  to: string;
  items: TimelineItem[];
}

export interface DetectorConfig {
  signals: Record<string, AlertLevels & Record<string, unknown>>;
  fusion?: Record<string, unknown>;
}
