// Records about the graph, kept outside it (not :Entity): snapshots for briefings.
CREATE CONSTRAINT snapshot_id_unique IF NOT EXISTS FOR (s:Snapshot) REQUIRE s.id IS UNIQUE;
