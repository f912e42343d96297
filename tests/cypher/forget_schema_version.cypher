// name: forget_schema_version
// mode: write
// description: Test-only: remove the :SchemaVersion record, as in a database made before versions were recorded.
MATCH (v:SchemaVersion)
DELETE v
