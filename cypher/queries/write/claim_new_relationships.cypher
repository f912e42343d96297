// name: claim_new_relationships
// mode: write
// description: Lock the ends of relationships an import is about to create and count those still absent, so one created meanwhile by another writer is noticed.
// param rows: LIST<MAP> = [{"id": "membership-x-00000000", "from": "person-x-00000000", "to": "criminalnetwork-y-00000000"}]
// Runs in the import's transaction just before upsert_relationships, whose MERGE would
// otherwise take over a relationship another import created since this one was validated
// (and replace its provenance). Writing the ends (to their own id) locks them on Neo4j until
// commit, so the check below sees any relationship committed before; on ArcadeDB a
// concurrent writer of the same ends fails one transaction at commit. The caller compares
// the count with the rows it sent and re-validates on a difference.
UNWIND $rows AS row
MATCH (a:Entity {id: row.from}), (b:Entity {id: row.to})
SET a.id = a.id, b.id = b.id
WITH a, b, row
OPTIONAL MATCH (a)-[r]->(b)
WHERE r.id = row.id
WITH row.id AS id, count(r) AS existing
WHERE existing = 0
RETURN count(id) AS rows
