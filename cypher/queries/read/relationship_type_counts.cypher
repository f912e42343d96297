// name: relationship_type_counts
// mode: read
// description: Relationships per type, most common first.
MATCH ()-[r]->()
RETURN type(r) AS type, count(r) AS relationships
ORDER BY relationships DESC
