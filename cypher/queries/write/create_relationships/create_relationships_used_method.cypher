// Generated from graph/model/model.yaml by `crimegraph model render`; do not edit.
// name: create_relationships_used_method
// mode: write
// description: Create USED_METHOD relationships an import found absent, unless another writer created one since; returns how many were created.
// param rows: LIST<MAP> = [{"id": "used_method-x-00000000", "from": "entity-a-00000000", "to": "entity-b-00000000", "props": {"confidence": 80}}]
// Writing the ends (to their own id) locks them on Neo4j until commit, so the check
// sees any relationship committed before; on ArcadeDB a concurrent writer of the same
// ends fails one transaction at commit. A row whose end is missing or whose id exists
// is not created: the caller compares the count with the rows it sent.
UNWIND $rows AS row
MATCH (a:Entity {id: row.from}), (b:Entity {id: row.to})
SET a.id = a.id, b.id = b.id
WITH a, b, row
OPTIONAL MATCH (a)-[existing]->(b)
WHERE existing.id = row.id
WITH a, b, row, count(existing) AS found
WHERE found = 0
CREATE (a)-[r:USED_METHOD]->(b)
SET r = row.props, r.id = row.id
RETURN count(r) AS rows
