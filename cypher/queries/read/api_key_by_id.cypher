// name: api_key_by_id
// mode: read
// description: One API key with its secret's hash, to check a presented token (system use only).
// audience: plumbing
// param key: STRING = "3f9a1c2b7d4e"
MATCH (k:ApiKey {id: $key})
RETURN k.id AS id, k.name AS name, k.role AS role, k.hash AS hash, k.handling AS handling,
       k.created_at AS created_at, k.created_by AS created_by,
       k.revoked_at AS revoked_at, k.revoked_by AS revoked_by
