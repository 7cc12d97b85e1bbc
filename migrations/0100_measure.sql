-- measure wing: raw OONI measurements (gzip-compressed, with their SHA-256) and the verdicts recomputed from them.
create table if not exists measure_measurements (
  id uuid primary key,
  sha256 text not null unique,
  report_id text not null,
  test_name text not null,
  input text,
  domain text,
  probe_cc text not null,
  probe_asn bigint not null,
  probe_network_name text not null default '',
  measurement_start_time timestamptz not null,
  day date not null,
  verdict text not null,
  blocking text,
  accessible boolean,
  fingerprint text,
  reasons jsonb not null default '[]'::jsonb,
  source text not null,
  raw_gz bytea not null,
  raw_bytes integer not null,
  imported_at timestamptz not null default now()
);
create index if not exists measure_measurements_cc_day on measure_measurements (probe_cc, day);
create index if not exists measure_measurements_domain on measure_measurements (domain, day);
create index if not exists measure_measurements_verdict on measure_measurements (verdict);
create unique index if not exists measure_measurements_report_input on measure_measurements (report_id, coalesce(input, ''), measurement_start_time);
