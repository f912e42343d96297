// Migration 1, from release 0.1.0 (which recorded no schema version: graph/db/migrations.py
// reads a database without a :SchemaVersion node as version 0). Its data needs no change;
// this starts the record: the one :SchemaVersion node gets a unique key, and the runner then
// stores version 1 on it.
CREATE CONSTRAINT schema_version_id_unique IF NOT EXISTS FOR (v:SchemaVersion) REQUIRE v.id IS UNIQUE;
