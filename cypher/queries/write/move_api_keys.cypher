// name: move_api_keys
// mode: write
// description: Store API keys moved from the graph database in the security database; a key already there keeps its record (system use only).
// param keys: LIST<MAP> = [{"id": "3f9a1c2b7d4e", "name": "analyst laptop", "role": "viewer", "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "handling": [], "created_at": "2026-11-22T15:30:00Z", "created_by": "cli:alice", "revoked_at": null, "revoked_by": null}]
// ON CREATE only: a move cut short and run again never undoes a revocation made since.
UNWIND $keys AS key
MERGE (k:ApiKey {id: key.id})
ON CREATE SET k.name = key.name, k.role = key.role, k.hash = key.hash,
              k.handling = key.handling, k.created_at = key.created_at,
              k.created_by = key.created_by, k.revoked_at = key.revoked_at,
              k.revoked_by = key.revoked_by
RETURN count(k) AS moved
