// name: clear_graph
// mode: write
// description: Test-only: delete every node and relationship but the session's admin key and the schema version (never loaded by the app).
// The key tests/conftest.py makes once for the session (created_by 'tests/conftest.py') stays,
// and so does the :SchemaVersion record (graph/db/migrations.py): the database stays migrated.
MATCH (n)
WHERE NOT (n:ApiKey AND n.created_by = 'tests/conftest.py') AND NOT n:SchemaVersion
DETACH DELETE n
