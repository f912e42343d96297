// name: clear_api_keys
// mode: write
// description: Test-only: delete every API key of the security database but the session's admin key.
// The key tests/conftest.py makes once for the session (created_by 'tests/conftest.py') stays.
MATCH (k:ApiKey)
WHERE k.created_by <> 'tests/conftest.py'
DETACH DELETE k
