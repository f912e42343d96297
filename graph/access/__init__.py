"""Floor 4: access control: API keys and roles, the audit log, handling-code visibility."""
