// name: record_schema_version
// mode: write
// description: Record that the database has had every migration up to $version (graph/db/migrations.py).
// param version: INTEGER = 1
// param migration: STRING = "001_record_schema_version"
// One node holds the version; MERGE keeps it one when two processes start at once.
MERGE (v:SchemaVersion {id: 'crimegraph'})
SET v.version = $version, v.migration = $migration
RETURN v.version AS version
