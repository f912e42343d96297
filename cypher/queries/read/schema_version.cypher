// name: schema_version
// mode: read
// description: The schema version the database was last migrated to (no row: made before versions were recorded).
// audience: plumbing
// A system record, not an :Entity (graph/db/migrations.py, docs/operations.md).
MATCH (v:SchemaVersion {id: 'crimegraph'})
RETURN v.version AS version, v.migration AS migration
