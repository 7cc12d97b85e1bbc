-- Console jobs (imports, outage linking; src/ops/jobs.ts): their record outlives the server process. A job that was
-- queued or running when its server stopped reads as "interrupted" afterwards.
create table ops_jobs (
  id uuid primary key,
  org_id uuid not null,
  kind text not null,
  state text not null check (state in ('uploading','queued','running','done','failed','interrupted')),
  file_name text,
  size bigint,
  received bigint not null default 0,
  sha256 text,
  phase text not null default '',
  done bigint not null default 0,
  total bigint not null default 0,
  summary jsonb,
  notes jsonb not null default '[]',
  error text,
  created_by text not null,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  finished_at timestamptz,
  heartbeat_at timestamptz not null default now()
);
create index ops_jobs_org_idx on ops_jobs (org_id, created_at desc);
