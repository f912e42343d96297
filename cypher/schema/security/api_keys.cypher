// Applied to the security database (graph/db/store.py apply_schema), which only the service user
// opens: the analysts' Cypher runs as a user the engine refuses it to (docs/security.md).
// API keys (graph/access/auth.py): shared by every API replica on this engine; secrets hashed.
CREATE CONSTRAINT api_key_id_unique IF NOT EXISTS FOR (k:ApiKey) REQUIRE k.id IS UNIQUE;
