"""Synthetic crime networks at scale, for benchmarks: `crimegraph generate`.

    crimegraph generate --size S --seed 1 --output /tmp/cg-s            # CSV, one file a label
    crimegraph generate --size M --seed 1 --output /tmp/cg-m.ftm.jsonl --format ftm
    crimegraph generate --size L --seed 1 --output /data/cg-l --format admin  # neo4j-admin

Writes a deterministic dataset in the import format (docs/import-format.md): CSV per label
and type, FtM JSON lines with the `crimegraph` key, or the neo4j-admin layout (with the
derived properties, for `neo4j-admin database import`: how L goes into Neo4j). The same
size and seed give byte-identical output. Sizes (nodes / relationships, within a few percent):
XS 500 / 2,500 (tests), S 10k / 50k, M 100k / 1M, L 1M / 10M.

The world it describes:

- places (countries, regions, cities), facilities (prisons, a few of them super-connected:
  they hold most detainees and see most incidents; one national prison system a country),
  public bodies with their officials, modi operandi, suppliers (companies and people) and
  the devices, websites and domains they supply;
- criminal networks: communities of very unequal size (Pareto), each with a hub leader and
  lieutenants most associations run through, and brokers who belong to other networks too;
  a few small isolated cells that nothing links to the rest (unreachable pairs for paths);
- incidents clustered in time: waves of attacks on several prisons within days, inside
  crisis periods shared by many networks; escapes, arrests following attacks, seizures of
  supplied devices, operations that search prisons and target networks, measures taken
  after waves;
- documents as sources: every node and relationship cites one (sometimes two) generated
  documents, its quote being a sentence of that document's text; documents mention the
  entities their sentences name (MENTIONS, quoting the sentence).

Output is written as it is generated, one network at a time (what a network's documents say
is known once its network is done), so memory stays bounded by the largest network, not by
the size: L can be generated on a laptop. Beside the data, `manifest.json` (inside a CSV
directory, or `<file>.manifest.json`) gives the counts and a few probe ids for benchmarks:
a hub leader, an ordinary member, a big network, a super-connected prison, a pair linked
only through several hops, and a member of an isolated cell.
"""

from __future__ import annotations

import bisect
import csv
import hashlib
import json
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import IO, Any, Protocol

from graph.core.errors import InvalidInput
from graph.core.text import MONTHS, search_text, slug, stable_id
from graph.formats.export import FTM_EXTENSION
from graph.model.schema import Model, load_model, parse_partial_date, store_value

SIZES: dict[str, tuple[int, int]] = {
    "XS": (500, 2_500),
    "S": (10_000, 50_000),
    "M": (100_000, 1_000_000),
    "L": (1_000_000, 10_000_000),
}
FORMATS = ("csv", "ftm", "admin")
PROVENANCE_COLUMNS = ("source_ids", "quote", "quotes", "confidence", "reliability", "credibility")
RETRIEVED = "2026-07-01"  # fixed, so the output does not depend on the day it is generated
FIRST_DAY = date(2018, 1, 1)
DAYS = (date(2025, 12, 31) - FIRST_DAY).days
MENTION_SHARE = 0.22  # of the relationships beyond the structural ones; the rest: associates
DOC_SHARE = 0.05  # documents as a share of the nodes
Progress = Callable[[str], None]

# Node budgets as shares of the nodes (with minimums for the tiny test size); people take
# what is left (about 79%).
_SHARES: dict[str, tuple[float, int]] = {
    "location": (0.004, 15),
    "facility": (0.006, 10),
    "body": (0.002, 4),
    "company": (0.004, 4),
    "asset": (0.012, 10),
    "network": (0.01, 5),
    "attack": (0.04, 12),
    "wave": (0.004, 2),
    "escape": (0.004, 2),
    "arrest": (0.03, 8),
    "seizure": (0.03, 8),
    "operation": (0.008, 2),
    "measure": (0.002, 1),
}
# Expected structural relationships per node of the kind (see the chunk code): what is left
# of the relationship budget goes to associations and mentions.
_STRUCTURAL = {
    "person": 1.45,
    "attack": 4.6,
    "wave": 1.0,
    "escape": 4.0,
    "arrest": 3.2,
    "seizure": 4.0,
    "operation": 9.0,
    "measure": 2.0,
    "network": 6.0,
    "company": 3.0,
    "facility": 1.0,
    "location": 1.0,
    "asset": 0.3,
}

# --- words ------------------------------------------------------------------------------------
# Plain, common words and names, written for this generator.


def _words(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


FIRST_NAMES = _words(
    "Adam Amine Ana Andrea Bilal Camille Carlos Chloe Dario Driss Elena Emma Farid Fatima "
    "Hugo Ibrahim Ines Ivan Jamal Jonas Julien Karim Kevin Lea Leila Lucas Luca Malik Marco "
    "Maria Mehdi Mohamed Nadia Nicolas Nora Omar Pablo Paul Rachid Rayan Samir Sara Sofia "
    "Sven Theo Tomas Yanis Youssef Zoe Anton Bruno Celine Dylan Enzo Hamza Ilias Jade Kenza "
    "Lina Mateo Milan Nabil Oscar Rania Selim Tarik Victor Walid Yasmine"
)
LAST_NAMES = _words(
    "Alves Amrani Bakker Benali Bernard Bouzid Castro Costa Dubois Fernandes Garcia Girard "
    "Haddad Jansen Kaya Lambert Lopez Martin Mendes Mercier Morel Moreau Navarro Nowak Petit "
    "Rossi Roux Santos Schmidt Silva Tahiri Vidal Yilmaz Ziani Aubert Barbier Brunet Chevalier "
    "Colin Denis Durand Fabre Fontaine Gauthier Guerin Henry Joly Leroy Lucas Marchand Meyer "
    "Muller Noel Perrin Renard Robin Rousseau Simon Vincent Bouchard Cherif Diallo Ferrari "
    "Hoxha Kovac Marino Ortega Peeters Romano Sahin Toure Varga"
)
NICKNAMES = _words(
    "the Fly|the Cat|the Accountant|Tito|Kiki|the Doctor|Shadow|Papa|the Engineer|Little One|"
    "the Professor|Ghost|the Baker|Blondie|the Lawyer|Scarface|the Twin|Prince|the Boss|Moustache",
    "|",
)
NETWORK_WORDS = _words(
    "Black Red North South Old New Silver Iron Blue Grey Eastern Western Little Great Golden "
    "Dark White Green Hidden Lower Upper"
)
NETWORK_NOUNS = _words(
    "Harbour Docks Tower Bridge Market Canal Port Hill Station Garden Quarry Ring Circle Lion "
    "Wolf Falcon Viper Scorpion Anchor Compass Lantern Crown Arrow Forge Mill"
)
NETWORK_KINDS = _words("Clan Crew Network Family Brotherhood Cartel Gang Syndicate Organisation")
ACTIVITIES = _words(
    "drug trafficking|cocaine importation|cannabis resale|arms trafficking|extortion|"
    "money laundering|contraband smuggling into prisons|contract killings|fraud|racketeering",
    "|",
)
STATUSES = _words(
    "convicted drug trafficker|suspected trafficker|awaiting trial|under investigation|"
    "released on parole|convicted of armed robbery|wanted on an international warrant|"
    "convicted of extortion",
    "|",
)
MEMBER_ROLES = ("member", "courier", "enforcer", "recruiter", "supplier contact", "driver")
COUNTRIES = (
    ("France", "French"),
    ("Belgium", "Belgian"),
    ("Netherlands", "Dutch"),
    ("Spain", "Spanish"),
    ("Italy", "Italian"),
    ("Germany", "German"),
    ("Morocco", "Moroccan"),
    ("Algeria", "Algerian"),
    ("Albania", "Albanian"),
    ("Colombia", "Colombian"),
    ("Turkey", "Turkish"),
    ("Portugal", "Portuguese"),
)
PLACE_HEADS = _words(
    "Val Beau Mont Ros Bel Char Clair Font Haut Lor Mar Mor Pont Roche Ver Vil Bruy Cas Dor "
    "Gran Lis Mal Sal Tor"
)
PLACE_TAILS = _words(
    "mont ville court bourg lac mare fort pre lieu champ nay val ac ieres ange briac gny "
    "sac tal dorf"
)
REGION_WORDS = _words("Northern Southern Central Coastal Upper Lower Eastern Western")
FACILITY_KINDS = ("prison", "remand centre", "detention centre", "penitentiary")
METHODS = (
    ("Drones flying parcels over the walls", "smuggling_vector"),
    ("Brought in by relatives during visits", "smuggling_vector"),
    ("Thrown over the perimeter wall", "smuggling_vector"),
    ("Hidden in parcels and deliveries", "smuggling_vector"),
    ("Corrupt prison staff", "smuggling_vector"),
    ("Arson of staff vehicles", "attack_pattern"),
    ("Gunfire at prison gates", "attack_pattern"),
    ("Coordinated riots inside the prison", "attack_pattern"),
    ("Assaults on prison officers", "attack_pattern"),
    ("Threats against staff at their homes", "attack_pattern"),
    ("Ordering attacks from a cell by phone", "criminal_use"),
    ("Running drug sales from inside prison", "criminal_use"),
)
ATTACK_TYPES = (
    ("Arson of vehicles in the car park", 5),
    ("Gunfire at the entrance gate", 6),
    ("Mass disturbance with arson", 7),
    ("Coordinated riot", 7),
    ("Assault on prison officers", 8),
    ("External assault attempt", 6),
)
EVENT_STATUSES = ("Under investigation", "Charges filed", "Closed", "Suspects identified")
DEVICE_WORDS = _words("Nano Micro Pico Mini Pocket Zoom Lite Tiny Stealth Key")
BRAND_HEADS = _words("Opor Zen Vex Kal Tri Lum Nor Qua Sil Dex Bravo Orion Tek Mira Vela")
BRAND_TAILS = _words("tik phone com tel line cell link net mobile wave")
CODEWORDS = _words(
    "Prison Break|Nightfall|Harbour Light|Iron Gate|Clean Sweep|Black Box|Open Door|"
    "Silent Bell|Red Line|Stone Wall|High Tide|Last Call|North Star|Cold Case|Dry Dock",
    "|",
)
OUTLET_FORMS = ("The {city} Herald", "{city} Evening News", "Radio {country}", "{country} Today")
MEASURES = (
    "Jamming of mobile signals in prisons",
    "Body scanners at prison entrances",
    "Anti-drone nets over exercise yards",
    "Transfer of network leaders to high-security wings",
    "Tighter screening of visitors",
    "A national unit against prison-based crime",
)
# Document kinds: (kind, Admiralty reliability, credibility, weight).
DOC_KINDS = (
    ("Police report", "B", 2, 30),
    ("Court judgment", "A", 1, 10),
    ("News article", "C", 3, 30),
    ("Prison administration bulletin", "B", 2, 12),
    ("Intelligence note", "B", 3, 12),
    ("Informant debrief", "E", 4, 6),
)
_DOC_CUM = list(accumulate(k[3] for k in DOC_KINDS))

_MASK = (1 << 64) - 1


def _mix(value: int) -> int:
    """splitmix64's finaliser: a cheap, well-spread hash of an integer (for names by index)."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def _day(offset: int) -> date:
    return FIRST_DAY + timedelta(days=max(0, min(DAYS, offset)))


def _partial(day: date, precision: str) -> str:
    if precision == "year":
        return f"{day.year:04d}"
    if precision == "month":
        return f"{day.year:04d}-{day.month:02d}"
    return day.isoformat()


def _shown_date(day: date, precision: str) -> str:
    if precision == "year":
        return f"in {day.year}"
    if precision == "month":
        return f"in {MONTHS[day.month - 1]} {day.year}"
    return f"on {day.day} {MONTHS[day.month - 1]} {day.year}"


# --- sinks: CSV per label, or FtM JSON lines with the crimegraph key ---------------------------


class _Sink(Protocol):
    def node(self, label: str, props: dict[str, Any]) -> None: ...

    def rel(self, rel_type: str, from_id: str, to_id: str, props: dict[str, Any]) -> None: ...

    def close(self) -> int: ...  # bytes written


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "|".join(str(v).replace("\\", "\\\\").replace("|", "\\|") for v in value)
    return str(value)


class _CsvSink:
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


class _AdminSink:
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


class _NullSink:
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


class _FtmSink:
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


# --- the plan: what exists, decided before anything is written ---------------------------------


@dataclass
class _Doc:
    id: str
    title: str
    kind: str
    reliability: str
    credibility: int
    published: str
    sentences: dict[str, None] = field(default_factory=dict)  # ordered, without repeats
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (entity id, sentence)


@dataclass
class _Network:
    index: int
    id: str
    name: str
    size: int
    first_person: int
    isolated: bool
    events: dict[str, int] = field(default_factory=dict)


@dataclass
class _Named:
    id: str
    name: str
    label: str
    country: int = 0


@dataclass
class GenerateResult:
    size: str
    seed: int
    format: str
    output: Path | None
    nodes: Counter[str]
    relationships: Counter[str]
    bytes: int
    seconds: float
    probes: dict[str, Any]

    def manifest(self) -> dict[str, Any]:
        return {
            "generator": "crimegraph generate",
            "size": self.size,
            "seed": self.seed,
            "format": self.format,
            "nodes": sum(self.nodes.values()),
            "relationships": sum(self.relationships.values()),
            "labels": dict(sorted(self.nodes.items())),
            "types": dict(sorted(self.relationships.items())),
            "bytes": self.bytes,
            "probes": self.probes,
        }


def _budget(nodes: int, kind: str) -> int:
    share, minimum = _SHARES[kind]
    return max(minimum, round(nodes * share))


def _spread(rng: random.Random, total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to the weights, by randomised rounding (sums near total)."""
    whole = sum(weights) or 1.0
    counts = []
    for weight in weights:
        exact = total * weight / whole
        base = math.floor(exact)
        counts.append(base + (1 if rng.random() < exact - base else 0))
    return counts


class _Generator:
    def __init__(self, size: str, seed: int, sink: _Sink, progress: Progress | None = None) -> None:
        if size not in SIZES:
            raise InvalidInput(f"unknown size {size!r}; one of {', '.join(SIZES)}")
        self.size = size
        self.seed = seed
        self.target_nodes, self.target_rels = SIZES[size]
        self.sink = sink
        self.progress = progress
        self.rng = random.Random(f"crimegraph-generate/{size}/{seed}")
        self.salt = _mix(seed * 1_000_003 + sum(map(ord, size)))
        self.node_counts: Counter[str] = Counter()
        self.rel_counts: Counter[str] = Counter()
        self.probes: dict[str, Any] = {}
        self.node_ids: set[str] = set()
        self._plan()

    # -- counts --

    @property
    def nodes(self) -> int:
        return sum(self.node_counts.values())

    @property
    def rels(self) -> int:
        return sum(self.rel_counts.values())

    def _plan(self) -> None:
        n = self.target_nodes
        rng = self.rng
        self.budgets = {kind: _budget(n, kind) for kind in _SHARES}
        others = sum(self.budgets.values()) + len(METHODS)
        self.docs_planned = max(5, round(n * DOC_SHARE))
        self.people = n - others - self.docs_planned
        people = self.people
        self.officials = max(4, people // 100)
        self.supplier_people = max(2, self.budgets["company"] // 2)
        self.unaffiliated = max(5, people // 25)
        in_networks = people - self.officials - self.supplier_people - self.unaffiliated
        structural = sum(
            _STRUCTURAL[k] * (people if k == "person" else self.budgets[k]) for k in _STRUCTURAL
        )
        filler = max(0.0, self.target_rels - structural)
        self.mention_share = MENTION_SHARE
        self.sentences_per_doc = max(
            20, round((n + self.target_rels - filler * MENTION_SHARE) / self.docs_planned)
        )
        count = self.budgets["network"]
        # A few small isolated cells that no link leaves (unreachable pairs for paths); the
        # rest have Pareto sizes: a few very large networks, many small ones.
        isolated_count = max(1, count // 50)
        sizes = [rng.randint(3, 6) for _ in range(isolated_count)]
        active_people = in_networks - sum(sizes)
        raw = [rng.paretovariate(1.3) for _ in range(count - isolated_count)]
        # The largest network holds at most 2% of the members (at least 50 people).
        cap = max(50.0, active_people * 0.02) * sum(raw) / active_people
        raw = [min(r, cap) for r in raw]
        sizes += [max(3, s) for s in _spread(rng, active_people, raw)]
        isolated = set(range(isolated_count))
        first = self.officials + self.supplier_people + self.unaffiliated
        self.networks: list[_Network] = []
        names: Counter[str] = Counter()
        for i, size in enumerate(sizes):
            name = (
                f"{rng.choice(NETWORK_WORDS)} {rng.choice(NETWORK_NOUNS)} "
                f"{rng.choice(NETWORK_KINDS)}"
            )
            names[name] += 1
            if names[name] > 1:  # names stay unique: the sources tell networks apart
                name = f"{name} {names[name]}"
            self.networks.append(
                _Network(
                    i, stable_id("criminalnetwork", name, str(i)), name, size, first, i in isolated
                )
            )
            first += size
        self.people = first  # what the rounding of sizes made of the people budget
        active = [nw for nw in self.networks if not nw.isolated]
        self.active = active
        self.active_cum = list(accumulate(nw.size for nw in active))
        weights = [float(nw.size) for nw in active]
        for kind in ("attack", "wave", "escape", "arrest", "seizure", "operation", "measure"):
            for nw, k in zip(active, _spread(rng, self.budgets[kind], weights), strict=True):
                nw.events[kind] = k
        # Crisis periods: most waves and many attacks fall in one of them.
        periods = max(3, self.budgets["wave"] // 8)
        self.periods = sorted(rng.randrange(30, DAYS - 30) for _ in range(periods))
        self._probes(rng)

    def _probes(self, rng: random.Random) -> None:
        """Ids for benchmarks: the leader of the largest network (a hub), ordinary members
        of random networks, networks, and a member of an isolated cell (unreachable)."""
        big = max(self.active, key=lambda nw: (nw.size, -nw.index))
        sample = [self.active[rng.randrange(len(self.active))] for _ in range(20)]
        isolated = next(nw for nw in self.networks if nw.isolated)
        self.probes.update(
            hub_leader=self.person(big.first_person)[0],
            big_network=big.id,
            big_network_size=big.size,
            members=[self.person(nw.first_person + rng.randrange(nw.size))[0] for nw in sample],
            networks=[nw.id for nw in sample],
            isolated_network=isolated.id,
            isolated_member=self.person(isolated.first_person + isolated.size - 1)[0],
        )

    # -- identities --

    def person(self, index: int) -> tuple[str, str]:
        """(id, name) of person number `index`: a pure function, so any network can name a
        member of another without holding it."""
        h = _mix(self.salt ^ index)
        first = FIRST_NAMES[h % len(FIRST_NAMES)]
        h //= len(FIRST_NAMES)
        last = LAST_NAMES[h % len(LAST_NAMES)]
        h //= len(LAST_NAMES)
        if h % 9 == 0:
            last = f"{last}-{LAST_NAMES[(h // 9) % len(LAST_NAMES)]}"
        name = f"{first} {last}"
        return stable_id("person", name, str(index)), name

    def pick_network(self, rng: random.Random, exclude: int) -> _Network:
        for _ in range(8):
            at = bisect.bisect_right(self.active_cum, rng.random() * self.active_cum[-1])
            chosen = self.active[min(at, len(self.active) - 1)]
            if chosen.index != exclude:
                return chosen
        return chosen

    # -- writing --

    def node(self, label: str, props: dict[str, Any]) -> None:
        if props["id"] in self.node_ids:  # a 32-bit hash clash in stable_id: never silent
            raise InvalidInput(f"generated node id {props['id']!r} twice; try another seed")
        self.node_ids.add(props["id"])
        self.sink.node(label, props)
        self.node_counts[label] += 1

    def rel(
        self, chunk: _Chunk, rel_type: str, from_id: str, to_id: str, props: dict[str, Any]
    ) -> bool:
        key = (rel_type, from_id, to_id)
        if key in chunk.seen or from_id == to_id:
            return False
        chunk.seen.add(key)
        # Unique by construction (the chunk and a counter are the readable part), where a
        # hash of the ends could clash among ten million relationships.
        chunk.seq += 1
        props["id"] = stable_id(rel_type.lower(), f"{chunk.key}-{chunk.seq}")
        self.sink.rel(rel_type, from_id, to_id, props)
        self.rel_counts[rel_type] += 1
        return True

    def run(self) -> None:
        self._world()
        order = list(self.networks)
        self.rng.shuffle(order)
        sizes_left = sum(nw.size for nw in order)
        last_report = time.monotonic()
        for done, network in enumerate(order, start=1):
            rels_left = max(0, self.target_rels - self.rels)
            share = rels_left * network.size / max(1, sizes_left)
            sizes_left -= network.size
            self._network(network, share)
            if self.progress is not None and (
                time.monotonic() - last_report > 5 or done == len(order)
            ):
                last_report = time.monotonic()
                self.progress(
                    f"{done}/{len(order)} networks: {self.nodes:,} nodes, "
                    f"{self.rels:,} relationships"
                )

    # -- the world: places, facilities, bodies, methods, suppliers, devices --

    def _world(self) -> None:
        rng = random.Random(f"crimegraph-generate/{self.size}/{self.seed}/world")
        chunk = _Chunk(
            self, rng, "w", self._docs_for(rng, "w", "prisons and suppliers", self._world_claims())
        )
        b = self.budgets
        countries: list[_Named] = []
        regions: list[_Named] = []
        self.cities: list[_Named] = []
        country_count = min(len(COUNTRIES), max(3, b["location"] // 20))
        for i in range(country_count):
            name = COUNTRIES[i][0]
            countries.append(self._place(chunk, name, "country", i, i))
        region_count = max(country_count, b["location"] // 6)
        for i in range(region_count):
            c = i % country_count
            name = f"{rng.choice(REGION_WORDS)} {rng.choice(PLACE_HEADS)}{rng.choice(PLACE_TAILS)}"
            regions.append(self._place(chunk, name, "region", c, i, parent=countries[c]))
        for i in range(b["location"] - country_count - region_count):
            region = regions[rng.randrange(region_count)]
            name = f"{rng.choice(PLACE_HEADS)}{rng.choice(PLACE_TAILS)}"
            if rng.random() < 0.25:
                name = f"{name}-sur-{rng.choice(PLACE_HEADS)}{rng.choice(PLACE_TAILS)}"
            self.cities.append(self._place(chunk, name, "city", region.country, i, parent=region))
        self.city_weights = list(accumulate(rng.lognormvariate(0, 1.0) for _ in self.cities))
        # Facilities: a national prison system a country, prisons in cities; a few prisons
        # are super-connected (most detainees, most incidents).
        self.facilities: list[_Named] = []
        systems: list[_Named] = []
        for c, country in enumerate(countries):
            name = f"{COUNTRIES[c][1]} prison system"
            fid = stable_id("facility", name, str(c))
            self.node(
                "Facility",
                {
                    "id": fid,
                    "name": name,
                    "facility_type": "prison_system",
                    **chunk.cite(f"The {name} is run by the national prison administration.", fid),
                },
            )
            systems.append(_Named(fid, name, "Facility", c))
            self.rel(
                chunk,
                "LOCATED_IN",
                fid,
                country.id,
                chunk.cite(f"The {name} holds every prison in {country.name}.", fid, country.id),
            )
        prison_count = max(4, b["facility"] - len(systems))
        super_count = max(2, prison_count * 3 // 100)
        weights: list[float] = []
        names: Counter[str] = Counter()
        for i in range(prison_count):
            city = self.cities[self._city(rng)]
            is_super = i < super_count
            kind = "maximum-security prison" if is_super else rng.choice(FACILITY_KINDS)
            name = f"{city.name} {kind}"
            names[name] += 1
            if names[name] > 1:  # two prisons of one kind in a city: numbered, as sources do
                name = f"{name} {names[name]}"
            fid = stable_id("facility", name, str(i))
            capacity = rng.randrange(300, 2500) if is_super else rng.randrange(40, 900)
            self.node(
                "Facility",
                {
                    "id": fid,
                    "name": name,
                    "facility_type": "prison",
                    "description": f"A {kind} with room for {capacity} detainees.",
                    **chunk.cite(f"{name} has room for {capacity} detainees.", fid),
                },
            )
            self.facilities.append(_Named(fid, name, "Facility", city.country))
            weights.append(40.0 if is_super else rng.lognormvariate(0, 0.8))
            self.rel(
                chunk,
                "LOCATED_IN",
                fid,
                city.id,
                chunk.cite(f"{name} stands on the edge of {city.name}.", fid, city.id),
            )
        self.facility_cum = list(accumulate(weights))
        self.probes["super_prisons"] = [f.id for f in self.facilities[:super_count]]
        self.probes["prison"] = self.facilities[-1].id
        # Public bodies and their officials.
        self.bodies: list[_Named] = []
        forms = (
            ("{country} national police", "police"),
            ("{city} prosecutor's office", "prosecutor"),
            ("{country} prison administration", "prisons"),
            ("{country} customs service", "customs"),
            ("{city} police headquarters", "police"),
        )
        for i in range(b["body"]):
            form, kind = forms[i % len(forms)]
            city = self.cities[self._city(rng)]
            country = countries[city.country]
            name = form.format(country=COUNTRIES[city.country][1], city=city.name)
            if i >= len(forms) * country_count:
                name = f"{name} ({i})"
            bid = stable_id("publicbody", name, str(i))
            self.node(
                "PublicBody",
                {
                    "id": bid,
                    "name": name,
                    "country": country.name,
                    "jurisdiction": country.name if "{country}" in form else city.name,
                    **chunk.cite(f"The {name} has jurisdiction over {country.name}.", bid),
                },
            )
            self.bodies.append(_Named(bid, name, kind, city.country))
        roles = {
            "police": "police commissioner",
            "prosecutor": "prosecutor",
            "prisons": "prison director",
            "customs": "customs officer",
        }
        self.officials_ids: list[str] = []
        for index in range(self.officials):
            body = self.bodies[index % len(self.bodies)]
            pid, name = self.person(index)
            role = roles[body.label]
            self.node(
                "Person",
                {
                    "id": pid,
                    "name": name,
                    "position": f"{role}, {body.name}",
                    "nationality": COUNTRIES[body.country][1],
                    **chunk.cite(f"{name} is a {role} at the {body.name}.", pid),
                },
            )
            self.officials_ids.append(pid)
            self.rel(
                chunk,
                "EMPLOYMENT",
                pid,
                body.id,
                {
                    "role": role,
                    **chunk.cite(f"{name} serves as {role} at the {body.name}.", pid, body.id),
                },
            )
        # Methods.
        self.methods: list[_Named] = []
        for i, (name, kind) in enumerate(METHODS):
            mid = stable_id("method", name, str(i))
            self.node(
                "Method",
                {
                    "id": mid,
                    "name": name,
                    "method_type": kind,
                    **chunk.cite(
                        f"Investigators describe a recurring method: {name.lower()}.", mid
                    ),
                },
            )
            self.methods.append(_Named(mid, name, kind))
        # Devices, websites and domains; their suppliers (companies and people).
        self.assets: list[_Named] = []
        for i in range(b["asset"]):
            brand = f"{rng.choice(BRAND_HEADS)}{rng.choice(BRAND_TAILS)}"
            roll = rng.random()
            if roll < 0.7:
                kind, name = (
                    "device_model",
                    f"{brand} {rng.choice(DEVICE_WORDS)} {rng.randrange(1, 99)}",
                )
                sentence = f"The {name} is a phone small enough to pass prison security checks."
            elif roll < 0.85:
                kind, name = "website", f"{brand} online shop {i}"
                sentence = f"The {name} sells miniature phones to anyone."
            else:
                kind, name = "domain", f"{slug(brand)}-{i}.example"
                sentence = f"The domain {name} hosts a shop for concealable phones."
            aid = stable_id("asset", name, str(i))
            self.node(
                "Asset", {"id": aid, "name": name, "asset_type": kind, **chunk.cite(sentence, aid)}
            )
            self.assets.append(_Named(aid, name, kind))
        self.devices = [a for a in self.assets if a.label == "device_model"] or self.assets
        self.suppliers: list[_Named] = []
        for i in range(b["company"]):
            brand = f"{rng.choice(BRAND_HEADS)}{rng.choice(BRAND_TAILS)}"
            name = f"{brand} {rng.choice(('Distribution', 'Trading', 'Import Export', 'Telecom'))}"
            city = self.cities[self._city(rng)]
            cid = stable_id("company", name, str(i))
            self.node(
                "Company",
                {
                    "id": cid,
                    "name": name,
                    "country": COUNTRIES[city.country][0],
                    "website": f"https://{slug(brand)}-{i}.example",
                    **chunk.cite(f"{name} is registered in {city.name}.", cid),
                },
            )
            self.suppliers.append(_Named(cid, name, "Company", city.country))
            self.rel(
                chunk,
                "LOCATED_IN",
                cid,
                city.id,
                chunk.cite(f"{name} trades from an address in {city.name}.", cid, city.id),
            )
        first = self.officials
        for index in range(first, first + self.supplier_people):
            pid, name = self.person(index)
            self.node(
                "Person",
                {
                    "id": pid,
                    "name": name,
                    "status": "suspected reseller of prison phones",
                    **chunk.cite(f"{name} resells phones online, according to investigators.", pid),
                },
            )
            self.suppliers.append(_Named(pid, name, "Person"))
        # Big suppliers serve many networks.
        self.supplier_cum = list(accumulate(rng.paretovariate(1.5) for _ in self.suppliers))
        self.supplied: dict[str, list[_Named]] = {}
        for supplier in self.suppliers:
            goods = rng.sample(self.assets, k=min(len(self.assets), rng.randint(1, 3)))
            self.supplied[supplier.id] = goods
            for asset in goods:
                kind = "SUPPLIED" if rng.random() < 0.6 else "RESOLD"
                verb = "put the" if kind == "SUPPLIED" else "resold the"
                self.rel(
                    chunk,
                    kind,
                    supplier.id,
                    asset.id,
                    chunk.cite(
                        f"{supplier.name} {verb} {asset.name} on the market.", supplier.id, asset.id
                    ),
                )
            if supplier.label == "Company" and rng.random() < 0.5:
                site = rng.choice(self.assets)
                if site.label in ("website", "domain"):
                    self.rel(
                        chunk,
                        "OWNERSHIP",
                        supplier.id,
                        site.id,
                        chunk.cite(f"{supplier.name} runs {site.name}.", supplier.id, site.id),
                    )
        # People outside any network: visitors, victims, witnesses.
        first = self.officials + self.supplier_people
        self.unaffiliated_range = (first, first + self.unaffiliated)
        for index in range(*self.unaffiliated_range):
            pid, name = self.person(index)
            self.node(
                "Person",
                {
                    "id": pid,
                    "name": name,
                    "nationality": COUNTRIES[rng.randrange(country_count)][1],
                    **chunk.cite(f"{name} was questioned as a witness.", pid),
                },
            )
        self.countries = countries
        chunk.finish(round(self.rels * MENTION_SHARE))

    def _world_claims(self) -> int:
        b = self.budgets
        return (
            3 * (b["location"] + b["facility"] + b["company"] + b["asset"])
            + 2 * (self.officials + self.supplier_people)
            + self.unaffiliated
        )

    def _place(
        self,
        chunk: _Chunk,
        name: str,
        kind: str,
        country: int,
        index: int,
        parent: _Named | None = None,
    ) -> _Named:
        lid = stable_id("location", name, kind, str(index))
        props: dict[str, Any] = {
            "id": lid,
            "name": name,
            "location_type": kind,
            "country": COUNTRIES[country][0],
        }
        props.update(chunk.cite(f"{name} is a {kind} of {COUNTRIES[country][0]}.", lid))
        if kind == "country":
            props["quote"] = props["quotes"][0]
        self.node("Location", props)
        place = _Named(lid, name, kind, country)
        if parent is not None:
            self.rel(
                chunk,
                "LOCATED_IN",
                lid,
                parent.id,
                chunk.cite(f"{name} lies in {parent.name}.", lid, parent.id),
            )
        return place

    def _city(self, rng: random.Random) -> int:
        at = bisect.bisect_right(self.city_weights, rng.random() * self.city_weights[-1])
        return min(at, len(self.cities) - 1)

    def _facility(self, rng: random.Random) -> _Named:
        at = bisect.bisect_right(self.facility_cum, rng.random() * self.facility_cum[-1])
        return self.facilities[min(at, len(self.facilities) - 1)]

    def _supplier(self, rng: random.Random) -> _Named:
        at = bisect.bisect_right(self.supplier_cum, rng.random() * self.supplier_cum[-1])
        return self.suppliers[min(at, len(self.suppliers) - 1)]

    def _docs_for(self, rng: random.Random, key: str, subject: str, claims: int) -> list[_Doc]:
        count = max(1, round(claims / self.sentences_per_doc))
        docs = []
        for i in range(count):
            at = bisect.bisect_right(_DOC_CUM, rng.random() * _DOC_CUM[-1])
            kind, reliability, credibility, _ = DOC_KINDS[min(at, len(DOC_KINDS) - 1)]
            published = _day(rng.randrange(DAYS + 180)).isoformat()
            title = f"{kind}: {subject} ({published[:4]}, {i + 1})"
            docs.append(
                _Doc(
                    stable_id("document", title, key, str(i)),
                    title,
                    kind,
                    reliability,
                    credibility,
                    published,
                )
            )
        return docs

    def publisher(self, rng: random.Random, kind: str) -> str:
        """A news outlet for an article, else a public body (the world exists by now)."""
        if kind == "News article":
            city = self.cities[self._city(rng)]
            form = rng.choice(OUTLET_FORMS)
            return form.format(city=city.name, country=COUNTRIES[city.country][0])
        return rng.choice(self.bodies).name

    # -- one network and everything that happens around it --

    def _network(self, nw: _Network, rel_share: float) -> None:
        rng = random.Random(f"crimegraph-generate/{self.size}/{self.seed}/network/{nw.index}")
        claims = round(rel_share * (1 - self.mention_share)) + nw.size * 2
        key = f"n{nw.index}"
        chunk = _Chunk(self, rng, key, self._docs_for(rng, key, nw.name, claims))
        start_rels = self.rels
        city = self.cities[self._city(rng)]
        activities = rng.sample(ACTIVITIES, k=rng.randint(1, 3))
        aliases = [f"the {nw.name.split()[1]}s"] if rng.random() < 0.3 else None
        self.node(
            "CriminalNetwork",
            {
                "id": nw.id,
                "name": nw.name,
                "aliases": aliases,
                "country": COUNTRIES[city.country][0],
                "activities": activities,
                "description": f"A network of about {nw.size} people, known for "
                f"{' and '.join(activities)}.",
                **chunk.cite(
                    f"The {nw.name} is a {activities[0]} network based in {city.name}.", nw.id
                ),
            },
        )
        # Members: the first is the leader, then lieutenants; brokers among the rest.
        members: list[tuple[str, str]] = []
        weights: list[float] = []
        lieutenants = max(1, nw.size // 25)
        brokers: set[int] = set()
        pool = range(1 + lieutenants, nw.size)
        if not nw.isolated and len(pool) > 0:
            brokers = set(rng.sample(pool, k=min(len(pool), max(1, nw.size // 40))))
        for j in range(nw.size):
            index = nw.first_person + j
            pid, name = self.person(index)
            members.append((pid, name))
            if j == 0:
                role, weight = "leader", 30.0 + nw.size / 10
            elif j <= lieutenants:
                role, weight = "lieutenant", 6.0
            elif j in brokers:
                role, weight = "broker", 4.0
            else:
                role, weight = rng.choice(MEMBER_ROLES), 1.0
            weights.append(weight)
            aliases = [rng.choice(NICKNAMES)] if rng.random() < 0.15 else None
            age = rng.randrange(19, 66)
            self.node(
                "Person",
                {
                    "id": pid,
                    "name": name,
                    "aliases": aliases,
                    "nationality": COUNTRIES[
                        city.country if rng.random() < 0.7 else rng.randrange(len(self.countries))
                    ][1],
                    "status": rng.choice(STATUSES) if rng.random() < 0.6 else None,
                    **chunk.cite(f"{name}, {age}, is known to the police in {city.name}.", pid),
                },
            )
            self.rel(
                chunk,
                "MEMBERSHIP",
                pid,
                nw.id,
                {
                    "role": role,
                    **chunk.cite(f"{name} is a {role} of the {nw.name}.", pid, nw.id),
                },
            )
        member_cum = list(__import__("itertools").accumulate(weights))

        def member(r: random.Random = rng) -> tuple[str, str]:
            at = bisect.bisect_right(member_cum, r.random() * member_cum[-1])
            return members[min(at, len(members) - 1)]

        if not nw.isolated:
            self._surroundings(chunk, nw, city, members, member, brokers)
        # Associations fill what the structure left of this network's share: mostly inside
        # the network through its leader and lieutenants; brokers reach other networks.
        used = self.rels - start_rels
        budget = max(0, round(rel_share - used))
        associates = round(budget * (1 - self.mention_share))
        capacity = nw.size * (nw.size - 1) // 2
        inside = min(associates, capacity * 3 // 5)
        cross = 0 if nw.isolated else associates - inside
        self._associations(chunk, members, member, inside, cross, brokers, nw)
        budget = max(0, round(rel_share - (self.rels - start_rels)))
        chunk.finish(budget)

    def _associations(
        self,
        chunk: _Chunk,
        members: list[tuple[str, str]],
        member: Callable[..., tuple[str, str]],
        inside: int,
        cross: int,
        brokers: set[int],
        nw: _Network,
    ) -> None:
        rng = chunk.rng
        made = attempts = 0
        forms = (
            "{a} and {b} were seen together in {city}.",
            "Phone records link {a} to {b}.",
            "{a} is a close associate of {b}.",
            "{a} and {b} share an apartment.",
            "{a} drove {b} to a meeting.",
        )
        city = rng.choice(self.cities).name
        while made < inside and attempts < inside * 4 + 10:
            attempts += 1
            (a_id, a), (b_id, b) = member(), member()
            if self.rel(
                chunk,
                "ASSOCIATE",
                a_id,
                b_id,
                {
                    "relationship": rng.choice(("associate", "friend", "cousin", "partner")),
                    **chunk.cite(rng.choice(forms).format(a=a, b=b, city=city), a_id, b_id),
                },
            ):
                made += 1
        sources = [members[j] for j in sorted(brokers)] or members[:1]
        made = attempts = 0
        while made < cross and attempts < cross * 3 + 10:
            attempts += 1
            a_id, a = rng.choice(sources) if rng.random() < 0.7 else member()
            other = self.pick_network(rng, nw.index)
            j = 0 if rng.random() < 0.3 else rng.randrange(other.size)
            b_id, b = self.person(other.first_person + j)
            if self.rel(
                chunk,
                "ASSOCIATE",
                a_id,
                b_id,
                {
                    "relationship": "business contact",
                    **chunk.cite(f"{a} of the {nw.name} met {b} of the {other.name}.", a_id, b_id),
                },
            ):
                made += 1

    def _surroundings(
        self,
        chunk: _Chunk,
        nw: _Network,
        city: _Named,
        members: list[tuple[str, str]],
        member: Callable[..., tuple[str, str]],
        brokers: set[int],
    ) -> None:
        """Place, methods, brokers' other networks, detentions, suppliers, incidents."""
        rng = chunk.rng
        self.rel(
            chunk,
            "LOCATED_IN",
            nw.id,
            city.id,
            chunk.cite(f"The {nw.name} operates from {city.name}.", nw.id, city.id),
        )
        for method in rng.sample(self.methods, k=2):
            self.rel(
                chunk,
                "USED_METHOD",
                nw.id,
                method.id,
                chunk.cite(f"The {nw.name} is known for {method.name.lower()}.", nw.id, method.id),
            )
        for j in sorted(brokers):
            pid, name = members[j]
            for _ in range(rng.randint(1, 2)):
                other = self.pick_network(rng, nw.index)
                self.rel(
                    chunk,
                    "MEMBERSHIP",
                    pid,
                    other.id,
                    {
                        "role": "broker",
                        **chunk.cite(f"{name} also works for the {other.name}.", pid, other.id),
                    },
                )
        # Detentions: about a quarter of the members, the leader more often.
        detained: list[tuple[str, str, _Named]] = []
        for j, (pid, name) in enumerate(members):
            if rng.random() < (0.6 if j == 0 else 0.23):
                facility = self._facility(rng)
                detained.append((pid, name, facility))
                self.rel(
                    chunk,
                    "DETAINED_AT",
                    pid,
                    facility.id,
                    chunk.cite(f"{name} is held at {facility.name}.", pid, facility.id),
                )
                if rng.random() < 0.08:
                    moved = self._facility(rng)
                    self.rel(
                        chunk,
                        "DETAINED_AT",
                        pid,
                        moved.id,
                        chunk.cite(
                            f"{name} was transferred from {facility.name} to {moved.name}.",
                            pid,
                            moved.id,
                        ),
                    )
        # Suppliers: one for every 30 members or so, big suppliers more often.
        my_suppliers = []
        for _ in range(max(1, round(nw.size / 30 + rng.random()))):
            supplier = self._supplier(rng)
            my_suppliers.append(supplier)
            self.rel(
                chunk,
                "SUPPLIER_OF",
                supplier.id,
                nw.id,
                chunk.cite(
                    f"{supplier.name} supplies phones to the {nw.name}.", supplier.id, nw.id
                ),
            )
        goods = [a for s in my_suppliers for a in self.supplied[s.id]] or self.devices
        Incidents(self, chunk, nw, city, members, member, detained, goods).run()

    # -- entry --


class _Chunk:
    """The claims of one network (or of the world) and the documents that state them."""

    def __init__(self, gen: _Generator, rng: random.Random, key: str, docs: list[_Doc]) -> None:
        self.gen = gen
        self.rng = rng
        self.key = key  # "w" for the world, "n<index>" for a network
        self.docs = docs
        self.seq = 0
        self.seen: set[tuple[str, str, str]] = set()

    def cite(self, sentence: str, *entities: str) -> dict[str, Any]:
        """Provenance for one claim: a document of this chunk states the sentence (a second
        one corroborates about one claim in ten)."""
        rng = self.rng
        doc = self.docs[rng.randrange(len(self.docs))]
        doc.sentences[sentence] = None
        for entity in entities:
            doc.mentions.append((entity, sentence))
        sources = [doc.id]
        if len(self.docs) > 1 and rng.random() < 0.1:
            second = self.docs[rng.randrange(len(self.docs))]
            if second is not doc:
                second.sentences[sentence] = None
                sources.append(second.id)
        return {
            "source_ids": sources,
            "quote": sentence,
            "quotes": [sentence],
            "confidence": min(100, max(5, round(rng.gauss(68, 15)))),
            "reliability": doc.reliability,
            "credibility": doc.credibility,
        }

    def finish(self, mentions: int) -> None:
        """Write the documents (now that their text is known) and up to `mentions` MENTIONS,
        each quoting a sentence of the document that names the entity."""
        gen = self.gen
        rng = self.rng
        written = [d for d in self.docs if d.sentences]
        for doc in written:
            text = " ".join(doc.sentences)
            first = next(iter(doc.sentences))
            gen.node(
                "Document",
                {
                    "id": doc.id,
                    "name": doc.title,
                    "title": doc.title,
                    "publisher": gen.publisher(rng, doc.kind),
                    "published": doc.published,
                    "retrieved": RETRIEVED,
                    "content_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                    "text": text,
                    "language": "en",
                    "source_ids": [doc.id],
                    "quote": first,
                    "quotes": [first],
                    "confidence": 90,
                    "reliability": doc.reliability,
                    "credibility": doc.credibility,
                },
            )
        pool = [(doc, entity, sentence) for doc in written for entity, sentence in doc.mentions]
        if mentions <= 0 or not pool:
            return
        chosen = rng.sample(range(len(pool)), k=min(len(pool), mentions * 2))
        made = 0
        for at in chosen:
            if made >= mentions:
                break
            doc, entity, sentence = pool[at]
            if gen.rel(
                self,
                "MENTIONS",
                doc.id,
                entity,
                {
                    "source_ids": [doc.id],
                    "quote": sentence,
                    "quotes": [sentence],
                    "confidence": 90,
                    "reliability": doc.reliability,
                    "credibility": doc.credibility,
                },
            ):
                made += 1


class Incidents:
    """A network's incidents, clustered in time: waves of attacks inside crisis periods,
    attacks near them, escapes, arrests after attacks, seizures of supplied devices,
    operations against the network, measures after waves."""

    def __init__(
        self,
        gen: _Generator,
        chunk: _Chunk,
        nw: _Network,
        city: _Named,
        members: list[tuple[str, str]],
        member: Callable[..., tuple[str, str]],
        detained: list[tuple[str, str, _Named]],
        goods: list[_Named],
    ) -> None:
        self.gen = gen
        self.chunk = chunk
        self.rng = chunk.rng
        self.nw = nw
        self.city = city
        self.members = members
        self.member = member
        self.detained = detained
        self.goods = goods
        self.seq = 0
        self.attacks: list[tuple[str, str, int]] = []  # (id, name, day)
        self.waves: list[tuple[str, str, int]] = []
        self.seizures: list[tuple[str, int]] = []

    def _when(self, around: int | None = None, spread: int = 0) -> tuple[date, str]:
        rng = self.rng
        offset = rng.randrange(DAYS) if around is None else around + rng.randint(-spread, spread)
        day = _day(offset)
        roll = rng.random()
        precision = "day" if roll < 0.85 else "month" if roll < 0.97 else "year"
        return day, precision

    def _event(
        self, label: str, prefix: str, name: str, day: date, precision: str, **props: Any
    ) -> str:
        self.seq += 1
        eid = stable_id(prefix, name, str(self.nw.index), str(self.seq))
        when = _shown_date(day, precision)
        sentence = props.pop("sentence").format(when=when)
        values: dict[str, Any] = {
            "id": eid,
            "name": name,
            "date": _partial(day, precision),
            "status": self.rng.choice(EVENT_STATUSES),
            **{k: v for k, v in props.items() if v is not None},
            **self.chunk.cite(sentence, eid),
        }
        if precision != "day":
            values["date_text"] = when.removeprefix("in ").removeprefix("on ")
        self.gen.node(label, values)
        return eid

    def _link(self, rel_type: str, a: str, b: str, sentence: str, **props: Any) -> None:
        self.gen.rel(self.chunk, rel_type, a, b, {**props, **self.chunk.cite(sentence, a, b)})

    def run(self) -> None:
        ev = self.nw.events
        for _ in range(ev.get("wave", 0)):
            self._wave()
        for _ in range(ev.get("attack", 0) - len(self.attacks)):
            self._attack(None)
        for _ in range(ev.get("escape", 0)):
            self._escape()
        for _ in range(ev.get("operation", 0)):
            self._operation()
        for _ in range(ev.get("seizure", 0) - len(self.seizures)):
            self._seizure(None)
        for _ in range(ev.get("arrest", 0)):
            self._arrest()
        for _ in range(ev.get("measure", 0)):
            self._measure()

    def _wave(self) -> None:
        rng = self.rng
        center = rng.choice(self.gen.periods) + rng.randint(-10, 10)
        day = _day(center)
        name = f"Wave of attacks on prisons, {MONTHS[day.month - 1]} {day.year}"
        wave = self._event(
            "Attack",
            "attack",
            name,
            day,
            "month",
            event_type="wave of attacks",
            sentence=f"A wave of attacks hit several prisons {{when}} ({self.nw.name}).",
        )
        self.waves.append((wave, name, center))
        self._link(
            "ATTRIBUTED_TO",
            wave,
            self.nw.id,
            f"Investigators blame the {self.nw.name} for the wave of attacks of "
            f"{MONTHS[day.month - 1]} {day.year}.",
            attributed_by=rng.choice(self.gen.bodies).name,
        )
        for _ in range(rng.randint(2, 6)):
            if len(self.attacks) < self.nw.events.get("attack", 0):
                self._attack((wave, name, center))

    def _attack(self, wave: tuple[str, str, int] | None) -> None:
        rng = self.rng
        facility = self.gen._facility(rng)
        if wave is not None:
            day, precision = _day(wave[2] + rng.randint(0, 6)), "day"
        elif rng.random() < 0.6:
            day, precision = self._when(rng.choice(self.gen.periods), 30)
        else:
            day, precision = self._when()
        kind, method = rng.choice(ATTACK_TYPES)
        name = f"{kind} at {facility.name}, {_partial(day, precision)}"
        eid = self._event(
            "Attack",
            "attack",
            name,
            day,
            precision,
            event_type=kind.lower(),
            sentence=f"{kind} at {facility.name} {{when}}.",
        )
        self.attacks.append((eid, name, (day - FIRST_DAY).days))
        rel = "TARGETED" if "External" in kind or "Gunfire" in kind else "OCCURRED_AT"
        self._link(
            rel, eid, facility.id, f"The attack {_shown_date(day, precision)} hit {facility.name}."
        )
        if wave is not None:
            self._link(
                "PART_OF",
                eid,
                wave[0],
                f"The attack on {facility.name} was part of the {wave[1].lower()}.",
            )
        elif rng.random() < 0.7:
            self._link(
                "ATTRIBUTED_TO",
                eid,
                self.nw.id,
                f"Police attribute the attack on {facility.name} to the {self.nw.name}.",
            )
        for _ in range(rng.randint(1, 3)):
            pid, pname = self.member()
            self._link(
                "INVOLVED",
                pid,
                eid,
                f"{pname} took part in the attack on {facility.name}.",
                role="perpetrator",
            )
        if rng.random() < 0.8:
            m = self.gen.methods[method]
            self._link(
                "USED_METHOD",
                eid,
                m.id,
                f"The attack on {facility.name} involved {m.name.lower()}.",
            )

    def _escape(self) -> None:
        rng = self.rng
        if self.detained:
            pid, pname, facility = rng.choice(self.detained)
        else:
            (pid, pname), facility = self.member(), self.gen._facility(rng)
        day, precision = self._when()
        name = f"Escape of {pname} from {facility.name}"
        fatalities = rng.choice((0, 0, 0, 1, 2))
        eid = self._event(
            "Escape",
            "escape",
            name,
            day,
            precision,
            event_type="escape during a transfer" if rng.random() < 0.5 else "escape",
            fatalities=fatalities,
            sentence=f"{pname} escaped from {facility.name} {{when}}.",
        )
        self._link("OCCURRED_AT", eid, facility.id, f"The escape took place at {facility.name}.")
        self._link("INVOLVED", pid, eid, f"{pname} is the escaped detainee.", role="subject")
        for _ in range(rng.randint(1, 3)):
            aid, aname = self.member()
            self._link("INVOLVED", aid, eid, f"{aname} helped {pname} escape.", role="perpetrator")
        if rng.random() < 0.5:
            self._link(
                "ATTRIBUTED_TO",
                eid,
                self.nw.id,
                f"The {self.nw.name} organised the escape of {pname}.",
            )

    def _seizure(self, operation: tuple[str, str, int] | None) -> None:
        rng = self.rng
        facility = self.gen._facility(rng)
        if operation is not None:
            day, precision = _day(operation[2] + rng.randint(0, 5)), "day"
        else:
            day, precision = self._when()
        quantity = rng.randrange(2, 400)
        asset = rng.choice(self.goods) if rng.random() < 0.75 else rng.choice(self.gen.devices)
        name = f"Seizure at {facility.name}, {_partial(day, precision)}"
        eid = self._event(
            "Seizure",
            "seizure",
            name,
            day,
            precision,
            quantity=quantity,
            quantity_qualifier=rng.choice(("exact", "around", "more_than")),
            items=f"{asset.name} phones",
            sentence=f"Guards seized {quantity} {asset.name} phones at {facility.name} {{when}}.",
        )
        self.seizures.append((eid, (day - FIRST_DAY).days))
        self._link("OCCURRED_AT", eid, facility.id, f"The search took place at {facility.name}.")
        self._link(
            "SEIZED",
            eid,
            asset.id,
            f"The phones seized at {facility.name} were {asset.name} models.",
        )
        if rng.random() < 0.5:
            pid, pname = self.member()
            self._link(
                "INVOLVED",
                pid,
                eid,
                f"The phones were found in the cell of {pname}.",
                role="subject",
            )
        if rng.random() < 0.3:
            self._link(
                "ATTRIBUTED_TO",
                eid,
                self.nw.id,
                f"The phones seized at {facility.name} were meant for the {self.nw.name}.",
            )
        if operation is not None:
            self._link(
                "PART_OF",
                eid,
                operation[0],
                f"The seizure at {facility.name} was part of operation {operation[1]}.",
            )

    def _operation(self) -> None:
        rng = self.rng
        if self.waves and rng.random() < 0.6:
            after = rng.choice(self.waves)[2] + rng.randint(7, 90)
            day, precision = _day(after), "day"
        else:
            day, precision = self._when()
        code = f"{rng.choice(CODEWORDS)} {rng.randrange(2, 40)}"
        searched = [self.gen._facility(rng) for _ in range(rng.randint(2, 7))]
        eid = self._event(
            "Operation",
            "operation",
            f"Operation {code}",
            day,
            precision,
            facilities_searched=len(searched),
            devices_targeted=rng.randrange(50, 5000),
            devices_targeted_qualifier="estimated",
            aim=f"to dismantle the {self.nw.name} and seize its phones",
            sentence=f"Operation {code} against the {self.nw.name} began {{when}}.",
        )
        for body in rng.sample(self.gen.bodies, k=min(2, len(self.gen.bodies), rng.randint(1, 2))):
            self._link("CONDUCTED_BY", eid, body.id, f"The {body.name} led operation {code}.")
        for facility in searched:
            self._link(
                "SEARCHED",
                eid,
                facility.id,
                f"Operation {code} searched cells at {facility.name}.",
                count=1,
            )
        self._link("TARGETED", eid, self.nw.id, f"Operation {code} targeted the {self.nw.name}.")
        for _ in range(rng.randint(0, 2)):
            other = self.gen.pick_network(rng, self.nw.index)
            self._link(
                "TARGETED", eid, other.id, f"Operation {code} also targeted the {other.name}."
            )
        if self.goods and rng.random() < 0.4:
            asset = rng.choice(self.goods)
            self._link(
                "TARGETED", eid, asset.id, f"Operation {code} aimed to seize {asset.name} phones."
            )
        for _ in range(rng.randint(0, 2)):
            if len(self.seizures) < self.nw.events.get("seizure", 0):
                self._seizure((eid, code, (day - FIRST_DAY).days))

    def _arrest(self) -> None:
        rng = self.rng
        pid, pname = self.member()
        after = rng.choice(self.attacks) if self.attacks and rng.random() < 0.5 else None
        if after is not None:
            day, precision = _day(after[2] + rng.randint(1, 60)), "day"
        else:
            day, precision = self._when()
        extradition = rng.random() < 0.1
        place = rng.choice(self.gen.cities)
        eid = self._event(
            "Arrest",
            "arrest",
            f"{'Extradition' if extradition else 'Arrest'} of {pname}",
            day,
            precision,
            arrest_type="extradition" if extradition else "arrest",
            sentence=f"{pname} was arrested in {place.name} {{when}}.",
        )
        self._link("INVOLVED", pid, eid, f"Police arrested {pname}.", role="subject")
        self._link("OCCURRED_AT", eid, place.id, f"The arrest took place in {place.name}.")
        body = rng.choice(self.gen.bodies)
        self._link("CONDUCTED_BY", eid, body.id, f"Officers of the {body.name} made the arrest.")
        if extradition:
            home = self.gen.countries[rng.randrange(len(self.gen.countries))]
            self._link("DESTINATION", eid, home.id, f"{pname} was extradited to {home.name}.")
        if after is not None:
            self._link(
                "FOLLOWED",
                eid,
                after[0],
                f"The arrest of {pname} followed the {after[1].split(',')[0].lower()}.",
            )

    def _measure(self) -> None:
        rng = self.rng
        wave = rng.choice(self.waves) if self.waves else None
        day, precision = (_day(wave[2] + rng.randint(10, 120)), "month") if wave else self._when()
        title = rng.choice(MEASURES)
        eid = self._event(
            "Measure",
            "measure",
            f"{title} ({_partial(day, precision)})",
            day,
            precision,
            measure_kind=rng.choice(("implemented", "recommended", "policy")),
            implementation_status=rng.choice(("announced", "in progress", "deployed")),
            sentence=f"Authorities announced {title.lower()} {{when}}.",
        )
        body = rng.choice(self.gen.bodies)
        self._link(
            "RESPONSIBLE_FOR", body.id, eid, f"The {body.name} is in charge of {title.lower()}."
        )
        if wave is not None:
            self._link(
                "FOLLOWED", eid, wave[0], f"{title} came in response to the {wave[1].lower()}."
            )


def generate(
    size: str,
    seed: int,
    output: Path | None,
    fmt: str = "csv",
    progress: Progress | None = None,
    model: Model | None = None,
) -> GenerateResult:
    """Write the dataset of this size and seed to `output` (a directory for CSV, a file for
    FtM) and its manifest beside it; the same arguments always write the same bytes.
    With output None nothing is written: the result only counts (a dry run)."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    if size not in SIZES:
        raise InvalidInput(f"unknown size {size!r}; one of {', '.join(SIZES)}")
    model = model or load_model()
    started = time.monotonic()
    sink: _Sink
    if output is None:
        sink, manifest_path = _NullSink(), None
    elif fmt == "csv":
        sink, manifest_path = _CsvSink(output, model), output / "manifest.json"
    elif fmt == "admin":
        sink, manifest_path = _AdminSink(output, model), output / "manifest.json"
    else:
        sink = _FtmSink(output, model)
        manifest_path = output.with_name(output.name + ".manifest.json")
    gen = _Generator(size, seed, sink, progress)
    try:
        gen.run()
    finally:
        written = sink.close()
    result = GenerateResult(
        size,
        seed,
        fmt,
        output,
        gen.node_counts,
        gen.rel_counts,
        written,
        round(time.monotonic() - started, 2),
        gen.probes,
    )
    if manifest_path is not None:
        manifest_path.write_text(
            json.dumps(result.manifest(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
    return result
