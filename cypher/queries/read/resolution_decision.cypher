// name: resolution_decision
// mode: read
// description: One resolution decision with its undo record (the exact state before a merge).
// param decision: STRING = "decision-person-mohamed-amra-2da800b3-0a1b2c3d"
MATCH (d:Decision {id: $decision})
RETURN properties(d) AS decision
