// name: legacy_api_keys
// mode: read
// description: API keys an older version kept in the graph database, with their hashes, to move them to the security database (system use only).
// audience: plumbing
MATCH (k:ApiKey)
RETURN k.id AS id, k.name AS name, k.role AS role, k.hash AS hash, k.handling AS handling,
       k.created_at AS created_at, k.created_by AS created_by,
       k.revoked_at AS revoked_at, k.revoked_by AS revoked_by
ORDER BY k.id
