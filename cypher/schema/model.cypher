// Generated from graph/model/model.yaml by `crimegraph model render`; do not edit.
// Constraints and indexes; every statement is idempotent.

CREATE CONSTRAINT entity_id_unique IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE;
CREATE INDEX entity_name IF NOT EXISTS FOR (n:Entity) ON (n.name);
CREATE INDEX entity_merged_into IF NOT EXISTS FOR (n:Entity) ON (n.merged_into);
CREATE INDEX event_date IF NOT EXISTS FOR (n:Event) ON (n.date);
CREATE FULLTEXT INDEX entity_search IF NOT EXISTS FOR (n:Entity) ON EACH [n.search_text];
