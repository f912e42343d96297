// name: linkable_names_stamp
// mode: read
// description: How many entities the graph holds, of every label and clearance: a change detector for ingestion's name matcher, never served.
// audience: plumbing
// Ingestion keeps its name matcher (built from linkable_entities) while this number and
// the store's own count of committed writes stay the same. A plain label count is answered
// from the engine's counters, without reading a node (about 10 ms at 10k entities, where
// reading every name takes a second); a handling filter would have to read every node.
// The number is compared, never returned to a caller, so it reveals nothing hidden.
MATCH (n:Entity)
RETURN count(n) AS entities
