// Records about the graph, kept outside it (not :Entity): snapshots for briefings, imports
// (Dataset), analysts' resolution decisions (Decision) and ingestion review candidates
// (Candidate).
CREATE CONSTRAINT snapshot_id_unique IF NOT EXISTS FOR (s:Snapshot) REQUIRE s.id IS UNIQUE;
CREATE CONSTRAINT dataset_id_unique IF NOT EXISTS FOR (d:Dataset) REQUIRE d.id IS UNIQUE;
CREATE CONSTRAINT decision_id_unique IF NOT EXISTS FOR (d:Decision) REQUIRE d.id IS UNIQUE;
CREATE CONSTRAINT candidate_id_unique IF NOT EXISTS FOR (c:Candidate) REQUIRE c.id IS UNIQUE;
// API keys are not here: cypher/schema/security/ holds their schema, applied to the security
// database, which the analysts' database user cannot open (docs/security.md).
