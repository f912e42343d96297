// name: label_counts
// mode: read
// description: Nodes per label combination, most common first.
MATCH (n)
RETURN labels(n) AS labels, count(n) AS nodes
ORDER BY nodes DESC
