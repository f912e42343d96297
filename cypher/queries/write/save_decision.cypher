// name: save_decision
// mode: write
// description: Store an analyst's resolution decision (same, not_same or unsure) as a Decision record.
// param props: MAP = {"id": "decision-person-mohamed-amra-2da800b3-0a1b2c3d", "left_id": "person-mohamed-amra-2da800b3", "right_id": "person-mohamed-amra-5e6f7a8b", "judgement": "not_same", "status": "active"}
// A :Decision is not an :Entity: it is a record about the graph, kept outside it.
CREATE (d:Decision)
SET d = $props
RETURN d.id AS id
