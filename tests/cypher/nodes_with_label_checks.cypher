// name: nodes_with_label_checks
// mode: read
// description: Test-only: which of the model's labels each node answers to.
MATCH (n:Entity)
RETURN n.id AS id,
       n:Organization AS is_organization,
       n:CriminalNetwork AS is_network,
       n:Person AS is_person,
       labels(n) AS labels
ORDER BY id
