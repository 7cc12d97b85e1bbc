-- Desk: the legal hold carries who placed it, when and why; a reporter's deletion request made under a hold is
-- recorded and carried out when the hold is lifted (docs/desk.md, "Retention").
alter table desk_cases add column legal_hold_reason text;
alter table desk_cases add column legal_hold_at timestamptz;
alter table desk_cases add column legal_hold_by text;
alter table desk_cases add column deletion_requested_at timestamptz;
