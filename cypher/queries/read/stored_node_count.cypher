// name: stored_node_count
// mode: read
// description: How many nodes the database holds, of every label (the :SchemaVersion record excepted): is it empty?
// audience: plumbing
// param handling_all: BOOLEAN = true
// param handling_codes: LIST<STRING> = []
// `crimegraph restore` refuses to replace a database that holds any without --force; the
// command line sees every node ($handling_all and $handling_codes are filled in by
// crimegraph from the caller's clearance, docs/security.md).
MATCH (n)
WHERE NOT n:SchemaVersion
  AND (n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes)
RETURN count(n) AS nodes
