-- The registry: incidents, their sources, evidence links from other wings, change history; laws.
create table incidents (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  type text not null,
  title text not null,
  country char(2) not null,
  area text,
  networks jsonb not null default '[]',     -- [{asn: 12345, name: "Operator"}]
  services text[] not null default '{}',
  actors jsonb not null default '[]',       -- [{name, role: ordered_by|carried_out_by|requested_by|other}]
  targets text[] not null default '{}',
  start_at timestamptz,                     -- null only for imported rows flagged in data_quality
  start_precision text not null default 'day' check (start_precision in ('day','minute')),
  end_at timestamptz,                       -- null = ongoing or unknown
  end_precision text not null default 'day' check (end_precision in ('day','minute')),
  status text not null check (status in ('draft','under_review','verified','disputed','closed')),
  severity text not null default 'medium' check (severity in ('low','medium','high','critical')),
  tlp text not null check (tlp in ('TLP:CLEAR','TLP:GREEN','TLP:AMBER','TLP:AMBER+STRICT','TLP:RED')),
  red_recipients uuid[] not null default '{}',
  summary text not null default '',
  description text not null default '',
  tags text[] not null default '{}',
  data_quality jsonb not null default '[]', -- [{code, reason}] set by importers for rows kept despite problems
  confidence real,
  origin text not null default 'manual',    -- manual | stop | ioda | outages | measure | …
  origin_key text unique,                   -- idempotency key of an imported row
  search_text text not null default '',
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version int not null default 1,
  check (start_at is not null or data_quality <> '[]'::jsonb),
  check (end_at is null or start_at is null or end_at >= start_at)
);
create index incidents_start_idx on incidents (start_at desc nulls last, id);
create index incidents_country_start_idx on incidents (country, start_at desc nulls last, id);
create index incidents_type_start_idx on incidents (type, start_at desc nulls last, id);
create index incidents_status_idx on incidents (status);
create index incidents_tlp_idx on incidents (tlp, org_id);
create index incidents_search_idx on incidents using gin (to_tsvector('simple', search_text));

create table incident_sources (
  id uuid primary key,
  incident_id uuid not null references incidents(id) on delete cascade,
  kind text not null check (kind in ('url','document')),
  url text,
  title text not null default '',
  publisher text not null default '',
  retrieved_at timestamptz,
  sha256 text,
  content_type text,
  content bytea,
  added_by uuid,
  added_at timestamptz not null default now()
);
create index incident_sources_incident_idx on incident_sources (incident_id);
create unique index incident_sources_url_idx on incident_sources (incident_id, url) where url is not null;

create table incident_evidence (
  id uuid primary key,
  incident_id uuid not null references incidents(id) on delete cascade,
  kind text not null check (kind in ('measurement','outage_event','takedown_record','case','document','other')),
  ref text not null,                        -- the owning wing's id for the item, e.g. ioda:2019-11-16:IR
  summary text not null default '',
  data jsonb not null default '{}',
  added_by uuid,
  added_at timestamptz not null default now(),
  unique (incident_id, kind, ref)
);
create index incident_evidence_ref_idx on incident_evidence (kind, ref);

create table incident_history (
  id bigserial primary key,
  incident_id uuid not null references incidents(id) on delete cascade,
  version int not null,
  at timestamptz not null default now(),
  actor_user_id uuid,
  actor_label text not null,
  action text not null,
  changes jsonb not null                    -- {field: {from, to}}
);
create index incident_history_incident_idx on incident_history (incident_id, id);

create table laws (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  country char(2) not null,
  title text not null,
  status text not null check (status in ('proposed','passed','in_force','amended','repealed')),
  timeline jsonb not null default '[]',     -- [{status, date, note}]
  articles jsonb not null default '[]',     -- [{ref, text, concern}]
  rights text[] not null default '{}',
  summary text not null default '',
  url text,
  tlp text not null default 'TLP:CLEAR' check (tlp in ('TLP:CLEAR','TLP:GREEN','TLP:AMBER','TLP:AMBER+STRICT','TLP:RED')),
  red_recipients uuid[] not null default '{}',
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version int not null default 1
);
create index laws_country_idx on laws (country);

create table law_incidents (
  law_id uuid not null references laws(id) on delete cascade,
  incident_id uuid not null references incidents(id) on delete cascade,
  primary key (law_id, incident_id)
);

create table import_runs (
  id uuid primary key,
  kind text not null,                       -- stop | ioda-outages | …
  file_name text not null,
  file_sha256 text not null,
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  rows_read int not null default 0,
  imported int not null default 0,
  merged int not null default 0,
  flagged int not null default 0,
  unchanged int not null default 0,
  flags jsonb not null default '[]',        -- [{row, sheet, reason}]
  status text not null default 'running'
);
