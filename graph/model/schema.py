"""The graph model, loaded from graph/model/model.yaml and validated on load.

The model is data: labels, relationship types, their properties and allowed endpoints are
declared once in YAML. This module checks that file (a bad one is a ModelError naming the
file and the field), and offers the checks the seed loader and importers apply to records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from graph.core.errors import ModelError

MODEL_PATH = Path(__file__).with_name("model.yaml")

PropertyType = Literal["string", "text", "integer", "float", "boolean", "date", "list[string]"]
DatePrecision = Literal["year", "month", "day"]

# ASCII digits only, the whole text (`$` would let a trailing newline through).
_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", re.ASCII)
_GRADING = re.compile(r"^([A-F])([1-6])$")
_LABEL = re.compile(r"^[A-Z][A-Za-z]*$")
_REL_TYPE = re.compile(r"^[A-Z][A-Z_]*$")
_PROPERTY = re.compile(r"^[a-z][a-z0-9_]*$")


class PropertySpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: PropertyType
    required: bool = False
    derived: bool = False
    unique: bool = False
    index: bool = False
    fulltext: bool = False
    description: str = ""
    enum: list[str | int] | None = None
    min: int | None = None
    max: int | None = None
    pattern: str | None = None  # a regular expression a string value must match

    @model_validator(mode="after")
    def _valid_pattern(self) -> PropertySpec:
        if self.pattern is not None:
            if self.type not in ("string", "text"):
                raise ValueError("pattern only applies to string and text properties")
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a regular expression: {exc}") from None
        return self


class _SchemaBase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str
    ftm: str | None = None
    properties: dict[str, PropertySpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _property_names(self) -> _SchemaBase:
        for name in self.properties:
            if not _PROPERTY.match(name):
                raise ValueError(f"property name {name!r} must be snake_case")
        return self


class NodeSpec(_SchemaBase):
    extends: str | None = None
    abstract: bool = False


class RelationshipSpec(_SchemaBase):
    from_: list[str] = Field(alias="from", min_length=1)
    to: list[str] = Field(min_length=1)


class ModelFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    provenance: dict[str, PropertySpec]
    nodes: dict[str, NodeSpec]
    relationships: dict[str, RelationshipSpec]


@dataclass(frozen=True)
class PartialDate:
    """A date known to a year, a month or a day."""

    iso: str
    precision: DatePrecision

    @property
    def day(self) -> date | None:
        return date.fromisoformat(self.iso) if self.precision == "day" else None


def parse_partial_date(value: object) -> PartialDate:
    """Parse "2024", "2024-04" or "2024-04-12" (YAML may hand over a date object)."""
    if isinstance(value, date):
        return PartialDate(value.isoformat(), "day")
    text = str(value)
    match = _PARTIAL_DATE.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not a date of the form YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    if day is not None:
        try:
            date.fromisoformat(text)  # rejects 2024-02-31
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a calendar date ({exc})") from None
        return PartialDate(text, "day")
    if month is not None:
        if not 1 <= int(month) <= 12:
            raise ValueError(f"{text!r} has no month {month}")
        return PartialDate(text, "month")
    return PartialDate(year, "year")


DEFAULT_GRADING = "F6"  # Admiralty "cannot be judged": what a source that says nothing earns


def parse_grading(value: object) -> tuple[str, int] | None:
    """An Admiralty code such as "B2" as (reliability, credibility); None if it is not one.
    Upper case only, as stored; input from people is upper-cased at its boundary."""
    match = _GRADING.match(str(value))
    return (match.group(1), int(match.group(2))) if match else None


def store_value(name: str, value: object, props: dict[str, Any]) -> None:
    """Put a checked value into props; a partial date becomes its text, `<name>_precision`
    and, when the day is known, `<name>_day`."""
    if isinstance(value, PartialDate):
        props[name] = value.iso
        props[f"{name}_precision"] = value.precision
        if value.day is not None:
            props[f"{name}_day"] = value.day
    else:
        props[name] = value


def check_value(spec: PropertySpec, value: object) -> object:
    """Return the value as stored, or raise ValueError saying what is wrong with it."""
    if spec.type in ("string", "text"):
        if not isinstance(value, str) or not value.strip():
            raise ValueError("must be a non-empty string")
        if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
            raise ValueError(f"must match {spec.pattern}")
    elif spec.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be an integer")
        if spec.min is not None and value < spec.min:
            raise ValueError(f"must be at least {spec.min}")
        if spec.max is not None and value > spec.max:
            raise ValueError(f"must be at most {spec.max}")
    elif spec.type == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        value = float(value)
    elif spec.type == "boolean":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
    elif spec.type == "list[string]":
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ValueError("must be a list of non-empty strings")
    elif spec.type == "date":
        return parse_partial_date(value)
    if spec.enum is not None and value not in spec.enum:
        raise ValueError(f"must be one of {', '.join(map(str, spec.enum))}")
    return value


@dataclass(frozen=True)
class Model:
    """The validated model, with inheritance resolved."""

    path: Path
    spec: ModelFile

    @property
    def provenance(self) -> dict[str, PropertySpec]:
        return self.spec.provenance

    @cached_property
    def node_labels(self) -> list[str]:
        """Concrete labels a record may use, in declaration order."""
        return [name for name, node in self.spec.nodes.items() if not node.abstract]

    @cached_property
    def relationship_types(self) -> list[str]:
        return list(self.spec.relationships)

    def labels_of(self, label: str) -> list[str]:
        """All labels a node of this schema carries, root first: CriminalNetwork ->
        [Entity, Organization, CriminalNetwork]."""
        chain: list[str] = []
        current: str | None = label
        while current is not None:
            chain.append(current)
            current = self.spec.nodes[current].extends
        return list(reversed(chain))

    def is_a(self, label: str, ancestor: str) -> bool:
        return ancestor in self.labels_of(label)

    def node_properties(self, label: str) -> dict[str, PropertySpec]:
        """Own and inherited properties of a node schema, provenance excluded."""
        merged: dict[str, PropertySpec] = {}
        for name in self.labels_of(label):
            merged.update(self.spec.nodes[name].properties)
        return merged

    def relationship_properties(self, rel_type: str) -> dict[str, PropertySpec]:
        return dict(self.spec.relationships[rel_type].properties)

    def endpoint_allowed(self, rel_type: str, from_label: str, to_label: str) -> bool:
        rel = self.spec.relationships[rel_type]
        return any(self.is_a(from_label, a) for a in rel.from_) and any(
            self.is_a(to_label, b) for b in rel.to
        )

    @cached_property
    def root_label(self) -> str:
        """The one label every node carries (the model has a single root)."""
        roots = [n for n, spec in self.spec.nodes.items() if spec.extends is None]
        return roots[0]


def _format_loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc if part not in ("function-after",))


def load_model(path: Path = MODEL_PATH) -> Model:
    """Load and validate a model file; raise ModelError naming the file and the field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ModelError(f"{path}: cannot read model: {exc}") from exc
    try:
        spec = ModelFile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ModelError(
            f"{path}: {_format_loc(first['loc'])}: {first['msg']}",
            details=[
                {"file": str(path), "field": _format_loc(e["loc"]), "message": e["msg"]}
                for e in exc.errors()
            ],
        ) from exc
    _check_references(path, spec)
    return Model(path=path, spec=spec)


def _check_references(path: Path, spec: ModelFile) -> None:
    def fail(field: str, message: str) -> None:
        raise ModelError(
            f"{path}: {field}: {message}",
            details=[{"file": str(path), "field": field, "message": message}],
        )

    roots = [name for name, node in spec.nodes.items() if node.extends is None]
    if len(roots) != 1:
        fail("nodes", f"exactly one root label (without extends) is required, found {roots}")
    for name, node in spec.nodes.items():
        if not _LABEL.match(name):
            fail(f"nodes.{name}", "a label must be CamelCase letters")
        if node.extends is not None and node.extends not in spec.nodes:
            fail(f"nodes.{name}.extends", f"unknown label {node.extends!r}")
        chain = [name]
        parent = node.extends
        while parent is not None:
            if parent in chain:
                fail(f"nodes.{name}.extends", "inheritance cycle: " + " -> ".join([*chain, parent]))
            chain.append(parent)
            parent = spec.nodes[parent].extends if parent in spec.nodes else None
        for prop in node.properties:
            if prop in spec.provenance:
                fail(f"nodes.{name}.properties.{prop}", "clashes with a provenance property")
    for name, rel in spec.relationships.items():
        if not _REL_TYPE.match(name):
            fail(f"relationships.{name}", "a relationship type must be UPPER_SNAKE_CASE")
        for side, labels in (("from", rel.from_), ("to", rel.to)):
            for label in labels:
                if label not in spec.nodes:
                    fail(f"relationships.{name}.{side}", f"unknown label {label!r}")
        for prop in rel.properties:
            if prop in spec.provenance:
                fail(
                    f"relationships.{name}.properties.{prop}", "clashes with a provenance property"
                )
