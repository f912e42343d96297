// name: document_summaries
// mode: read
// description: Title, name and publication date of the documents with these ids.
// param ids: LIST<STRING> = ["document-seed-004-dfd687ba"]
UNWIND $ids AS wanted
MATCH (d:Document {id: wanted})
RETURN d.id AS id, d.title AS title, d.name AS name, d.published AS published,
       d.published_precision AS published_precision
ORDER BY id
