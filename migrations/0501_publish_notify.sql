-- What the public site shows also depends on what each organisation publishes and on its name (the "Published by"
-- line): tell every Stackwatch process when they change, like the registry's own tables (0003), so that public
-- caches on PostgreSQL drop at once whichever process wrote.
create trigger publish_settings_changed after insert or update or delete on publish_settings for each statement execute function stackwatch_registry_changed();
create trigger orgs_changed after insert or update or delete on orgs for each statement execute function stackwatch_registry_changed();
