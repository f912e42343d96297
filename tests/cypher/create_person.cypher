// name: create_person
// mode: write
// description: Test-only: create one Person node with CREATE (fails on a duplicate id).
// param id: STRING = "person-test-1"
// param name: STRING = "Test Person"
CREATE (n:Entity:Person {id: $id, name: $name})
RETURN n.id AS id
