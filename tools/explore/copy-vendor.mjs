// npm's postinstall step: copy the prebuilt browser bundle of Cytoscape.js (and its licence)
// into the api package, where /explore serves it from and the wheel picks it up
// (api/explore.py, pyproject.toml). The copy is ignored by git: third-party code is never
// committed, it comes from npm at install time.
import { copyFileSync, mkdirSync } from "node:fs";

const target = new URL("../../api/static/explore/vendor/", import.meta.url);
const source = new URL("node_modules/cytoscape/", import.meta.url);
mkdirSync(target, { recursive: true });
copyFileSync(new URL("dist/cytoscape.min.js", source), new URL("cytoscape.min.js", target));
copyFileSync(new URL("LICENSE", source), new URL("cytoscape.LICENSE", target));
