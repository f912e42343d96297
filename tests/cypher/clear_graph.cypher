// name: clear_graph
// mode: write
// description: Test-only: delete every node and relationship but the session's admin key (never loaded by the app).
// The key tests/conftest.py makes once for the session (created_by 'tests/conftest.py') stays.
MATCH (n)
WHERE NOT (n:ApiKey AND n.created_by = 'tests/conftest.py')
DETACH DELETE n
