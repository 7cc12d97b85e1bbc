-- Outages wing: connectivity series (one row per series-day, points packed as float32), detected events,
-- analyst decisions, import runs and live-watch state.
create table outage_series (
  id serial primary key,
  entity text not null,                     -- IR | IR/Tehran | AS12880
  scope text not null check (scope in ('country','region','network')),
  country char(2),
  name text,
  signal text not null,                     -- bgp | ping-slash24 | merit-nt | gtr | monash | radar-traffic | generic | …
  step int not null check (step > 0 and 86400 % step = 0),
  phase int not null default 0 check (phase >= 0),   -- seconds past the step grid (Monash Iran points sit at :30)
  created_at timestamptz not null default now(),
  unique (entity, signal, step)
);
create index outage_series_country_idx on outage_series (country, signal);

-- 86400/step little-endian float32 values per UTC day (slot k = day + phase + k*step); NaN = missing point.
create table outage_points (
  series_id int not null references outage_series(id) on delete cascade,
  day date not null,
  vals bytea not null,
  primary key (series_id, day)
);

create table outage_imports (
  id uuid primary key,
  file_name text not null,
  file_sha256 text not null,
  format text not null,
  series int not null,
  points bigint not null,
  days int not null,
  imported_at timestamptz not null default now()
);

create table outage_events (
  id uuid primary key,
  entity text not null,
  scope text not null check (scope in ('country','region','network')),
  country char(2),
  name text,
  kind text not null check (kind in ('outage','throttling')),
  start_at timestamptz not null,
  end_at timestamptz,
  first_alert_at timestamptz not null,
  depth real not null,
  severity real not null,
  confidence real not null,
  signals text[] not null default '{}',
  members jsonb,
  evidence jsonb not null default '{}',     -- numbers and the plot attached to the incident
  incident_id uuid,                         -- the registry incident it was linked to (registry id, not a foreign key)
  decision text check (decision in ('confirmed','rejected')),
  decided_by text,
  decided_at timestamptz,
  decision_note text not null default '',
  source text not null default '',          -- file or watch source it was detected in
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (end_at is null or end_at >= start_at)
);
create index outage_events_entity_idx on outage_events (entity, start_at);
create index outage_events_country_idx on outage_events (country, start_at desc);
create index outage_events_start_idx on outage_events (start_at desc);

create table outage_watch_state (
  source text not null,
  entity text not null,
  signal text not null,
  last_time bigint not null,                -- epoch seconds of the last point seen
  state jsonb not null default '{}',
  primary key (source, entity, signal)
);
