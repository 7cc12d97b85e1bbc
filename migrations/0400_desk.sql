-- Desk wing: a sealed reporting channel, cases with service targets, escalations to platforms, emergency grants.
-- Sealed columns hold only ciphertext (libsodium secretbox / sealed boxes); see docs/desk.md for the design.
-- Timestamps about reporters are coarsened to 5 minutes by the application before they are written.

create table desk_settings (
  org_id uuid primary key references orgs(id),
  target_minutes int not null default 120,
  warn_minutes int not null default 60,
  escalate_minutes int not null default 90,
  retention_days int not null default 90,
  retention_by_category jsonb not null default '{}',
  webhook_url text,
  notify_emails text[] not null default '{}',
  smtp_url text,
  mail_from text,
  grant_period_budget_eur numeric(12,2) not null default 50000,
  updated_at timestamptz not null default now()
);

-- Public keys that reports are sealed to. An escrow key has no private half here (held offline by the org);
-- a responder key's private half is stored only as secretbox ciphertext under an Argon2id key of the passphrase.
create table desk_keys (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  kind text not null check (kind in ('escrow', 'responder')),
  user_id uuid references users(id),
  public_key bytea not null,
  wrapped_private_key bytea,
  kdf_salt bytea,
  kdf_opslimit int,
  kdf_memlimit int,
  created_at timestamptz not null default now(),
  retired_at timestamptz
);
create index desk_keys_org on desk_keys (org_id) where retired_at is null;

create table desk_cases (
  id uuid primary key,
  org_id uuid not null references orgs(id),
  ref int not null,
  category text not null,
  country text,
  urgency text not null,
  safe_now text not null,
  language text not null default 'en',
  sealed_by text not null check (sealed_by in ('browser', 'server')),
  status text not null default 'new',
  assigned_to uuid references users(id),
  received_at timestamptz not null,
  first_reply_at timestamptz,
  first_reply_by uuid references users(id),
  warned_at timestamptz,
  escalated_at timestamptz,
  closed_at timestamptz,
  resolved_at timestamptz,
  receipt_prefix text,
  receipt_salt bytea,
  receipt_verifier bytea,
  reporter_public_key bytea,
  vetting jsonb,
  legal_hold boolean not null default false,
  destroyed_at timestamptz,
  destroyed_reason text,
  updated_at timestamptz not null default now(),
  unique (org_id, ref)
);
create index desk_cases_queue on desk_cases (org_id, status, received_at);
-- The responders' queue order (src/desk/service.ts QUEUE_ORDER): unanswered first, then urgency, then age.
create index desk_cases_queue_order on desk_cases (org_id,
  (case when first_reply_at is null and status not in ('resolved','closed') then 0 else 1 end),
  (case urgency when 'immediate' then 0 when 'days' then 1 else 2 end), received_at);
create index desk_cases_receipt on desk_cases (receipt_prefix);

-- Each case has a report key (responders, escrow and the reporter) and an internal key (responders and escrow),
-- each sealed (crypto_box_seal) to every recipient's public key.
create table desk_case_keys (
  case_id uuid not null references desk_cases(id) on delete cascade,
  purpose text not null check (purpose in ('report', 'internal')),
  key_id uuid references desk_keys(id),
  recipient text not null check (recipient in ('responder', 'escrow', 'reporter')),
  sealed_key bytea not null
);
create index desk_case_keys_case on desk_case_keys (case_id, purpose);

create table desk_items (
  id uuid primary key,
  seq bigserial not null,
  case_id uuid not null references desk_cases(id) on delete cascade,
  kind text not null check (kind in ('report', 'attachment', 'reply', 'reporter_message', 'note', 'grant_person')),
  purpose text not null check (purpose in ('report', 'internal')),
  author_user_id uuid references users(id),
  at timestamptz not null,
  bytes int not null,
  ciphertext bytea
);
create index desk_items_case on desk_items (case_id, seq);

create table desk_escalations (
  id uuid primary key,
  case_id uuid not null references desk_cases(id) on delete cascade,
  org_id uuid not null references orgs(id),
  platform text not null,
  channel text not null,
  escalated_at timestamptz not null,
  answered_at timestamptz,
  outcome text,
  created_by uuid references users(id)
);
create index desk_escalations_org on desk_escalations (org_id, platform);

create table desk_grants (
  id uuid primary key,
  case_id uuid not null references desk_cases(id),
  org_id uuid not null references orgs(id),
  amount_eur numeric(12,2) not null,
  categories text[] not null,
  activity_start date not null,
  activity_end date not null,
  period text not null,
  status text not null default 'submitted',
  submitted_at timestamptz not null,
  decision_due date not null,
  decided_at timestamptz,
  disbursed_at timestamptz,
  disbursed_eur numeric(12,2),
  final_report_at timestamptz,
  final_report text,
  person_item_id uuid references desk_items(id) on delete set null,
  created_by uuid references users(id)
);
create index desk_grants_org on desk_grants (org_id, period);

create table desk_grant_votes (
  grant_id uuid not null references desk_grants(id) on delete cascade,
  user_id uuid not null references users(id),
  vote text not null check (vote in ('approve', 'reject', 'abstain')),
  criteria jsonb not null,
  at timestamptz not null default now(),
  primary key (grant_id, user_id)
);
