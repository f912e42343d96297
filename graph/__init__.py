"""crimegraph's graph layer: model, engine, store, named queries."""
