"""Floor 3: the database: engines, the one dialect module, named queries, the store, schema and migrations."""
