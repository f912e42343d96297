// name: stored_node_count
// mode: read
// description: How many nodes the database holds, of every label (the :SchemaVersion record excepted): is it empty?
// `crimegraph restore` refuses to replace a database that holds any without --force.
MATCH (n)
WHERE NOT n:SchemaVersion
RETURN count(n) AS nodes
