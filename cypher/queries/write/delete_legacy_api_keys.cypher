// name: delete_legacy_api_keys
// mode: write
// description: Delete from the graph database the API keys already stored in the security database (system use only).
// param ids: LIST<STRING> = ["3f9a1c2b7d4e"]
MATCH (k:ApiKey)
WHERE k.id IN $ids
DETACH DELETE k
