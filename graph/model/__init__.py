"""Floor 1: the graph model, declared once in model.yaml and validated at load."""
