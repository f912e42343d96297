// name: snapshot_by_id
// mode: read
// description: A stored snapshot (its JSON document) by id.
// param id: STRING = "snapshot-3f2a9c0d1e4b5a6f"
MATCH (s:Snapshot {id: $id})
RETURN s.id AS id, s.payload AS payload
