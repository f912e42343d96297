// name: link_mentions
// mode: write
// description: Record that documents mention entities; a mention already recorded (seed or earlier ingestion) is left as it is.
// param rows: LIST<MAP> = [{"id": "mentions-document-x-00000000", "from": "document-x-00000000", "to": "person-mohamed-amra-2da800b3", "props": {"quote": "..."}}]
// Returns how many rows found both ends, so a caller can tell when an entity vanished.
UNWIND $rows AS row
MATCH (d:Document {id: row.from}), (e:Entity {id: row.to})
MERGE (d)-[r:MENTIONS {id: row.id}]->(e)
ON CREATE SET r += row.props
RETURN count(r) AS rows
