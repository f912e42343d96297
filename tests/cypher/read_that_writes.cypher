// name: read_that_writes
// mode: read
// description: Test-only: a write disguised as a read, which the read path must refuse.
// param id: STRING = "sneaky-1"
CREATE (n:Entity:Person {id: $id, name: 'Sneaky'})
RETURN n.id AS id
