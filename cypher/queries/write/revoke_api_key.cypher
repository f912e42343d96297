// name: revoke_api_key
// mode: write
// description: Revoke an API key; revoking it again keeps the first revocation's time and author.
// param key: STRING = "3f9a1c2b7d4e"
// param revoked_at: STRING = "2026-11-23T09:00:00Z"
// param revoked_by: STRING = "cli:alice"
MATCH (k:ApiKey {id: $key})
SET k.revoked_at = coalesce(k.revoked_at, $revoked_at),
    k.revoked_by = coalesce(k.revoked_by, $revoked_by)
RETURN k.id AS id, k.name AS name, k.role AS role, k.handling AS handling,
       k.created_at AS created_at, k.created_by AS created_by,
       k.revoked_at AS revoked_at, k.revoked_by AS revoked_by
