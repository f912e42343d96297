// name: slow_read
// mode: read
// description: Test-only: a read that takes far longer than the test's timeout.
MATCH (a), (b), (c), (d)
WHERE a.name + b.name < c.name + d.name
RETURN count(*) AS pairs
