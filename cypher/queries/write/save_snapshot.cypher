// name: save_snapshot
// mode: write
// description: Store a snapshot; the id is its content hash, so saving the same content again changes nothing.
// param id: STRING = "snapshot-3f2a9c0d1e4b5a6f"
// param title: STRING = "Mohamed Amra, 2 hops"
// param created: STRING = "2026-11-22T15:30:00Z"
// param nodes: INTEGER = 12
// param relationships: INTEGER = 14
// param payload: STRING = "{}"
// param handling: LIST<STRING> = []
// A :Snapshot is not an :Entity: it is a record about the graph, kept outside it. $handling:
// the handling codes of the restricted items it holds; only keys cleared for all see it.
MERGE (s:Snapshot {id: $id})
ON CREATE SET s.title = $title, s.created = $created, s.nodes = $nodes,
              s.relationships = $relationships, s.payload = $payload, s.handling = $handling
RETURN s.id AS id, s.created AS created
