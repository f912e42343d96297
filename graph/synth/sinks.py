"""Where a generated graph is written: CSV per label and type, FtM JSON lines, the
neo4j-admin layout, or nowhere (a dry run)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any, Protocol

from graph.core.errors import InvalidInput
from graph.core.text import search_text
from graph.formats.export import FTM_EXTENSION
from graph.model.schema import Model, parse_partial_date, store_value

PROVENANCE_COLUMNS = ("source_ids", "quote", "quotes", "confidence", "reliability", "credibility")


# --- sinks: CSV per label, or FtM JSON lines with the crimegraph key ---------------------------


class Sink(Protocol):
    def node(self, label: str, props: dict[str, Any]) -> None: ...

    def rel(self, rel_type: str, from_id: str, to_id: str, props: dict[str, Any]) -> None: ...

    def close(self) -> int: ...  # bytes written


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(str(v).replace("\\", "\\\\").replace("|", "\\|") for v in value)
    return str(value)


class CsvSink:
    """`<Label>.csv` and `<TYPE>.csv` in a directory, columns from the model."""

    def __init__(self, directory: Path, model: Model) -> None:
        self.directory = directory
        self.model = model
        self.files: dict[str, tuple[IO[str], Any, list[str]]] = {}
        directory.mkdir(parents=True, exist_ok=True)
        for old in directory.glob("*.csv"):
            old.unlink()  # a previous run's files would be imported with the new ones

    def _file(self, name: str, columns: list[str]) -> tuple[IO[str], Any, list[str]]:
        found = self.files.get(name)
        if found is None:
            handle = (self.directory / f"{name}.csv").open("w", encoding="utf-8", newline="")
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            found = self.files[name] = (handle, writer, columns)
        return found

    def node(self, label: str, props: dict[str, Any]) -> None:
        if label not in self.files:
            own = [
                n
                for n, spec in self.model.node_properties(label).items()
                if not spec.derived and n != "id"
            ]
            columns = ["id", *own, *PROVENANCE_COLUMNS]
        else:
            columns = self.files[label][2]
        _, writer, columns = self._file(label, columns)
        writer.writerow([_csv_cell(props.get(c)) for c in columns])

    def rel(self, rel_type: str, from_id: str, to_id: str, props: dict[str, Any]) -> None:
        if rel_type not in self.files:
            own = [n for n in self.model.relationship_properties(rel_type)]
            columns = ["id", "from", "to", *own, *PROVENANCE_COLUMNS]
        else:
            columns = self.files[rel_type][2]
        _, writer, columns = self._file(rel_type, columns)
        ends = {"from": from_id, "to": to_id}
        writer.writerow([_csv_cell(ends[c] if c in ends else props.get(c)) for c in columns])

    def close(self) -> int:
        total = 0
        for handle, _, _ in self.files.values():
            handle.close()
        for name in self.files:
            total += (self.directory / f"{name}.csv").stat().st_size
        return total


_ADMIN_DELIMITER = ";"  # generated values never hold it (checked as they are written)
_ADMIN_KINDS = {"integer": "long", "float": "double", "boolean": "boolean"}


class AdminSink:
    """nodes.csv and relationships.csv for `neo4j-admin database import full`, the layout
    `crimegraph export --format csv` writes (graph.formats.export.to_admin_csv), with the derived
    properties crimegraph's loaders would add (search_text, `<date>_precision`, `<date>_day`),
    since neo4j-admin computes nothing: the way to load L into Neo4j."""

    def __init__(self, directory: Path, model: Model) -> None:
        self.directory = directory
        self.model = model
        directory.mkdir(parents=True, exist_ok=True)
        self.labels = {
            label: _ADMIN_DELIMITER.join(sorted(model.labels_of(label)))
            for label in model.node_labels
        }
        self.dates = {
            label: [n for n, spec in model.node_properties(label).items() if spec.type == "date"]
            for label in model.node_labels
        }
        node_specs: dict[str, Any] = {}
        for label in model.node_labels:
            node_specs.update(model.node_properties(label))
        rel_specs: dict[str, Any] = {}
        for rel_type in model.relationship_types:
            rel_specs.update(model.relationship_properties(rel_type))
        provenance = {n: model.provenance[n] for n in PROVENANCE_COLUMNS}
        self.node_columns = self._columns({**node_specs, **provenance}, skip={"id"})
        self.rel_columns = self._columns({**rel_specs, **provenance}, skip=set())
        self.nodes_file = (directory / "nodes.csv").open("w", encoding="utf-8", newline="")
        self.rels_file = (directory / "relationships.csv").open("w", encoding="utf-8", newline="")
        self.nodes = csv.writer(self.nodes_file, lineterminator="\n")
        self.rels = csv.writer(self.rels_file, lineterminator="\n")
        self.nodes.writerow(["id:ID", ":LABEL", *(h for _, h, _ in self.node_columns)])
        self.rels.writerow(
            [":START_ID", ":END_ID", ":TYPE", "id", *(h for _, h, _ in self.rel_columns)]
        )

    @staticmethod
    def _columns(specs: dict[str, Any], skip: set[str]) -> list[tuple[str, str, bool]]:
        """(property, header, is a list) for every property, derived ones included."""
        columns: list[tuple[str, str, bool]] = []
        for name, spec in sorted(specs.items()):
            if name in skip:
                continue
            if spec.type == "list[string]":
                columns.append((name, f"{name}:string[]", True))
            elif spec.type in _ADMIN_KINDS:
                columns.append((name, f"{name}:{_ADMIN_KINDS[spec.type]}", False))
            else:
                columns.append((name, name, False))
            if spec.type == "date":
                columns.append((f"{name}_precision", f"{name}_precision", False))
                columns.append((f"{name}_day", f"{name}_day:date", False))
        return columns

    @staticmethod
    def _cell(value: Any, is_list: bool) -> str:
        if value is None:
            return ""
        if is_list:
            if any(_ADMIN_DELIMITER in v for v in value):
                raise InvalidInput(f"a generated list value holds {_ADMIN_DELIMITER!r}: {value}")
            return _ADMIN_DELIMITER.join(value)
        return str(value)

    def node(self, label: str, props: dict[str, Any]) -> None:
        values = dict(props)
        values["search_text"] = search_text(str(props["name"]), props.get("aliases"))
        for name in self.dates[label]:
            if props.get(name):
                store_value(name, parse_partial_date(props[name]), values)
        self.nodes.writerow(
            [
                props["id"],
                self.labels[label],
                *(self._cell(values.get(n), is_list) for n, _, is_list in self.node_columns),
            ]
        )

    def rel(self, rel_type: str, from_id: str, to_id: str, props: dict[str, Any]) -> None:
        self.rels.writerow(
            [
                from_id,
                to_id,
                rel_type,
                props["id"],
                *(self._cell(props.get(n), is_list) for n, _, is_list in self.rel_columns),
            ]
        )

    def close(self) -> int:
        self.nodes_file.close()
        self.rels_file.close()
        (self.directory / "README.txt").write_text(
            "crimegraph generate: a synthetic dataset in the neo4j-admin layout.\n\n"
            "Import into a new Neo4j 5 database (stopped, empty or absent), from this directory:\n\n"
            "  neo4j-admin database import full --nodes=nodes.csv "
            "--relationships=relationships.csv \\\n"
            f"    --array-delimiter='{_ADMIN_DELIMITER}' --multiline-fields=true <database>\n\n"
            "then start crimegraph against it (CRIMEGRAPH_NEO4J_URI=...): it applies its schema\n"
            "(constraints and indexes) at start.\n",
            encoding="utf-8",
        )
        return sum((self.directory / n).stat().st_size for n in ("nodes.csv", "relationships.csv"))


class NullSink:
    """Writes nothing: `crimegraph generate --dry-run` counts what a size would hold."""

    def node(self, label: str, props: dict[str, Any]) -> None:
        pass

    def rel(self, rel_type: str, from_id: str, to_id: str, props: dict[str, Any]) -> None:
        pass

    def close(self) -> int:
        return 0


# FtM schema and the properties naming the ends, for the FtM side of each line (FtM tools
# read it; crimegraph's importer reads the `crimegraph` key).
_FTM_LINKS = {
    "MEMBERSHIP": ("Membership", "member", "organization"),
    "EMPLOYMENT": ("Employment", "employee", "employer"),
    "ASSOCIATE": ("Associate", "person", "associate"),
    "OWNERSHIP": ("Ownership", "owner", "asset"),
    "MENTIONS": ("Mention", "document", "resolved"),
}
_FTM_NODES = {
    "Person": "Person",
    "CriminalNetwork": "Organization",
    "PublicBody": "PublicBody",
    "Company": "Company",
    "Facility": "RealEstate",
    "Location": "Address",
    "Asset": "Asset",
    "Method": "Note",
    "Document": "Document",
}


class FtmSink:
    """One FtM entity a line, each carrying the `crimegraph` extension key."""

    def __init__(self, path: Path, model: Model) -> None:
        self.path = path
        self.model = model
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w", encoding="utf-8", newline="\n")
        self.labels = {label: sorted(model.labels_of(label)) for label in model.node_labels}

    def _write(self, item: dict[str, Any]) -> None:
        self.handle.write(json.dumps(item, ensure_ascii=False, sort_keys=True) + "\n")

    def node(self, label: str, props: dict[str, Any]) -> None:
        stored = {k: v for k, v in props.items() if v is not None}
        ftm: dict[str, list[Any]] = {
            "name": [props["name"]],
            "proof": props["source_ids"],
            "summary": props["quotes"],
        }
        if label != "Document":
            ftm["keywords"] = [label]
        self._write(
            {
                "id": props["id"],
                "schema": _FTM_NODES.get(label, "Event"),
                "properties": ftm,
                FTM_EXTENSION: {"labels": self.labels[label], "properties": stored},
            }
        )

    def rel(self, rel_type: str, from_id: str, to_id: str, props: dict[str, Any]) -> None:
        schema, from_prop, to_prop = _FTM_LINKS.get(rel_type, ("UnknownLink", "subject", "object"))
        ftm: dict[str, list[Any]] = {
            from_prop: [from_id],
            to_prop: [to_id],
            "proof": props["source_ids"],
            "summary": props["quotes"],
        }
        if schema == "UnknownLink":
            ftm["role"] = [rel_type]
        self._write(
            {
                "id": props["id"],
                "schema": schema,
                "properties": ftm,
                FTM_EXTENSION: {
                    "type": rel_type,
                    "from": from_id,
                    "to": to_id,
                    "properties": {k: v for k, v in props.items() if v is not None},
                },
            }
        )

    def close(self) -> int:
        self.handle.close()
        return self.path.stat().st_size
