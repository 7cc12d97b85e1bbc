-- Outages wing: live sources configured in the console and run inside the server (issue #8 point 6), and the log
-- of their polls (the last polls of each source are kept, see src/outages/sources.ts).
create table outage_sources (
  id uuid primary key,
  org_id uuid not null,
  name text not null,
  url text not null,                        -- http(s) only, no credentials (checked by the API)
  format text check (format in ('ioda','radar','monash','csv')),
  country char(2),
  entity text,
  signal text,
  interval_minutes int not null check (interval_minutes >= 5 and interval_minutes <= 1440),
  detector jsonb,                           -- overrides of the detector configuration, as `outages detect --config`
  enabled boolean not null default true,
  authorization_header text,                -- secret (admin only): sent as the Authorization header of each poll
  webhook_url text,                         -- secret (admin only): POSTed event.opened / event.closed
  next_poll_at timestamptz,
  created_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  version int not null default 1,
  unique (org_id, name)
);

create table outage_source_polls (
  id bigserial primary key,
  source_id uuid not null references outage_sources(id) on delete cascade,
  started_at timestamptz not null,
  finished_at timestamptz not null,
  ok boolean not null,
  trigger text not null check (trigger in ('schedule','manual')),
  http_status int,
  bytes int,
  points_fetched int not null default 0,
  new_points int not null default 0,
  opened int not null default 0,
  closed int not null default 0,
  error text
);
create index outage_source_polls_source_idx on outage_source_polls (source_id, id desc);
