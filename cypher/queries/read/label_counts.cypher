// name: label_counts
// mode: read
// description: Nodes per label combination, most common first.
// audience: investigator
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// $handling_all and $handling_codes are filled in by crimegraph from the caller's clearance
// (docs/security.md): an item restricted to a code the caller lacks is left out.
MATCH (n)
WHERE (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
RETURN labels(n) AS labels, count(n) AS nodes
ORDER BY nodes DESC
