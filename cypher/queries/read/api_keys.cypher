// name: api_keys
// mode: read
// description: Every API key without its hash, oldest first (revoked ones too).
// audience: plumbing
MATCH (k:ApiKey)
RETURN k.id AS id, k.name AS name, k.role AS role, k.handling AS handling,
       k.created_at AS created_at, k.created_by AS created_by,
       k.revoked_at AS revoked_at, k.revoked_by AS revoked_by
ORDER BY k.created_at, k.id
