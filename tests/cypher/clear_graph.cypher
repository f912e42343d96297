// name: clear_graph
// mode: write
// description: Test-only: delete every node and relationship (never loaded by the app).
MATCH (n)
DETACH DELETE n
