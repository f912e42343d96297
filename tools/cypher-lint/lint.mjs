#!/usr/bin/env node
// Offline Neo4j-grammar lint of .cypher files (syntax + semantic errors).
// Usage: node tools/cypher-lint/lint.mjs FILE...
// Prints {"files": N, "problems": [{file, line, column, message}]} (1-based
// positions); exit 0 = clean, 1 = problems, 2 = usage error.
import { readFileSync } from 'node:fs';
import { lintCypherQuery } from '@neo4j-cypher/language-support';

const ERROR = 1; // LSP DiagnosticSeverity.Error; warnings (deprecations etc.) are ignored
// The package reports an undeclared `$param` as an Error with exactly this
// message and no code (errorOnUndeclaredParameters in syntaxValidation.js).
// Our parameters come at run time, so these are expected.
const UNDEFINED_PARAM = /^Parameter \$(?:`[^`]*`|\S+) is not defined\.$/;
// The parser reports an empty statement after a final `;` that is followed
// only by comments; cut such a comment tail (positions before it are unchanged).
const COMMENT_TAIL = /;(?:\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*$/;

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node tools/cypher-lint/lint.mjs FILE...');
  process.exit(2);
}

const problems = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    console.error(`cypher-lint: cannot read ${file}: ${err.message}`);
    process.exit(2);
  }
  text = text.replace(/^\uFEFF/, '').replace(COMMENT_TAIL, ';');
  let diagnostics;
  try {
    // Whole file as one script: the package splits statements on `;` itself.
    ({ diagnostics } = lintCypherQuery(
      text,
      { defaultLanguage: 'CYPHER 5' },
      { consoleCommandsEnabled: false },
    ));
  } catch (err) {
    // A linter crash must not pass silently.
    problems.push({ file, line: 1, column: 1, message: `linter crashed: ${err}` });
    continue;
  }
  for (const d of diagnostics) {
    if (d.severity !== ERROR) continue;
    // Also require the range to cover a `$` token so no other error is lost.
    if (UNDEFINED_PARAM.test(d.message) && text[d.offsets.start] === '$') continue;
    problems.push({
      file,
      line: d.range.start.line + 1,
      column: d.range.start.character + 1,
      message: d.message,
    });
  }
}

console.log(JSON.stringify({ files: files.length, problems }, null, 2));
process.exit(problems.length ? 1 : 0);
