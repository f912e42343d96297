// name: create_api_key
// mode: write
// description: Store a new API key (its secret only as a SHA-256 hash); fails if the id exists.
// param id: STRING = "3f9a1c2b7d4e"
// param name: STRING = "analyst laptop"
// param role: STRING = "viewer"
// param hash: STRING = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
// param handling: LIST<STRING> = ["case:prison-break"]
// param created_at: STRING = "2026-11-22T15:30:00Z"
// param created_by: STRING = "cli:alice"
// An :ApiKey is a system record, not an :Entity; the unique constraint refuses a duplicate id.
CREATE (k:ApiKey {id: $id, name: $name, role: $role, hash: $hash, handling: $handling,
                  created_at: $created_at, created_by: $created_by})
RETURN k.id AS id, k.created_at AS created_at
