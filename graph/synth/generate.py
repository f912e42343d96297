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
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from itertools import accumulate
from pathlib import Path
from typing import Any

from graph.core.errors import InvalidInput
from graph.core.text import slug, stable_id
from graph.model.schema import Model, load_model
from graph.synth.incidents import Incidents
from graph.synth.plan import (
    DAYS,
    DOC_SHARE,
    FORMATS,
    MENTION_SHARE,
    SHARES,
    SIZES,
    STRUCTURAL,
    Chunk,
    GenerateResult,
    Named,
    PlannedDoc,
    PlannedNetwork,
    Progress,
    budget,
    day_at,
    mix,
    spread,
)
from graph.synth.sinks import AdminSink, CsvSink, FtmSink, NullSink, Sink
from graph.synth.words import (
    ACTIVITIES,
    BRAND_HEADS,
    BRAND_TAILS,
    COUNTRIES,
    DEVICE_WORDS,
    DOC_CUM,
    DOC_KINDS,
    FACILITY_KINDS,
    FIRST_NAMES,
    LAST_NAMES,
    MEMBER_ROLES,
    METHODS,
    NETWORK_KINDS,
    NETWORK_NOUNS,
    NETWORK_WORDS,
    NICKNAMES,
    OUTLET_FORMS,
    PLACE_HEADS,
    PLACE_TAILS,
    REGION_WORDS,
    STATUSES,
)


class Generator:
    def __init__(self, size: str, seed: int, sink: Sink, progress: Progress | None = None) -> None:
        if size not in SIZES:
            raise InvalidInput(f"unknown size {size!r}; one of {', '.join(SIZES)}")
        self.size = size
        self.seed = seed
        self.target_nodes, self.target_rels = SIZES[size]
        self.sink = sink
        self.progress = progress
        self.rng = random.Random(f"crimegraph-generate/{size}/{seed}")
        self.salt = mix(seed * 1_000_003 + sum(map(ord, size)))
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
        self.budgets = {kind: budget(n, kind) for kind in SHARES}
        others = sum(self.budgets.values()) + len(METHODS)
        self.docs_planned = max(5, round(n * DOC_SHARE))
        self.people = n - others - self.docs_planned
        people = self.people
        self.officials = max(4, people // 100)
        self.supplier_people = max(2, self.budgets["company"] // 2)
        self.unaffiliated = max(5, people // 25)
        in_networks = people - self.officials - self.supplier_people - self.unaffiliated
        structural = sum(
            STRUCTURAL[k] * (people if k == "person" else self.budgets[k]) for k in STRUCTURAL
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
        sizes += [max(3, s) for s in spread(rng, active_people, raw)]
        isolated = set(range(isolated_count))
        first = self.officials + self.supplier_people + self.unaffiliated
        self.networks: list[PlannedNetwork] = []
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
                PlannedNetwork(
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
            for nw, k in zip(active, spread(rng, self.budgets[kind], weights), strict=True):
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
        h = mix(self.salt ^ index)
        first = FIRST_NAMES[h % len(FIRST_NAMES)]
        h //= len(FIRST_NAMES)
        last = LAST_NAMES[h % len(LAST_NAMES)]
        h //= len(LAST_NAMES)
        if h % 9 == 0:
            last = f"{last}-{LAST_NAMES[(h // 9) % len(LAST_NAMES)]}"
        name = f"{first} {last}"
        return stable_id("person", name, str(index)), name

    def pick_network(self, rng: random.Random, exclude: int) -> PlannedNetwork:
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
        self, chunk: Chunk, rel_type: str, from_id: str, to_id: str, props: dict[str, Any]
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
        """What the networks live in, in a fixed order (each step draws from one generator):
        places, prisons, public bodies and their officials, methods, goods, suppliers and
        people outside any network."""
        rng = random.Random(f"crimegraph-generate/{self.size}/{self.seed}/world")
        chunk = Chunk(
            self, rng, "w", self._docs_for(rng, "w", "prisons and suppliers", self._world_claims())
        )
        self._places(rng, chunk)
        self._facilities(rng, chunk)
        self._public_bodies(rng, chunk)
        self._officials(rng, chunk)
        self._methods(rng, chunk)
        self._assets(rng, chunk)
        self._suppliers(rng, chunk)
        self._unaffiliated(rng, chunk)
        chunk.finish(round(self.rels * MENTION_SHARE))

    def _places(self, rng: random.Random, chunk: Chunk) -> None:
        """Countries, their regions and cities (a few cities draw most of the activity)."""
        b = self.budgets
        countries: list[Named] = []
        self.countries = countries
        regions: list[Named] = []
        self.cities: list[Named] = []
        country_count = self.country_count = min(len(COUNTRIES), max(3, b["location"] // 20))
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

    def _facilities(self, rng: random.Random, chunk: Chunk) -> None:
        """A national prison system a country, prisons in cities; a few super-connected."""
        b = self.budgets
        countries = self.countries
        # Facilities: a national prison system a country, prisons in cities; a few prisons
        # are super-connected (most detainees, most incidents).
        self.facilities: list[Named] = []
        systems: list[Named] = []
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
            systems.append(Named(fid, name, "Facility", c))
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
            self.facilities.append(Named(fid, name, "Facility", city.country))
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

    def _public_bodies(self, rng: random.Random, chunk: Chunk) -> None:
        """Police, prosecutors, prison administrations and customs, by country and city."""
        b = self.budgets
        countries, country_count = self.countries, self.country_count
        # Public bodies and their officials.
        self.bodies: list[Named] = []
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
            self.bodies.append(Named(bid, name, kind, city.country))

    def _officials(self, rng: random.Random, chunk: Chunk) -> None:
        """The officials of the public bodies, each employed by one."""
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

    def _methods(self, rng: random.Random, chunk: Chunk) -> None:
        """The recurring methods investigators describe."""
        # Methods.
        self.methods: list[Named] = []
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
            self.methods.append(Named(mid, name, kind))

    def _assets(self, rng: random.Random, chunk: Chunk) -> None:
        """Devices, websites and domains."""
        b = self.budgets
        # Devices, websites and domains; their suppliers (companies and people).
        self.assets: list[Named] = []
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
            self.assets.append(Named(aid, name, kind))
        self.devices = [a for a in self.assets if a.label == "device_model"] or self.assets

    def _suppliers(self, rng: random.Random, chunk: Chunk) -> None:
        """Companies and people who supply or resell the goods; big ones serve many."""
        b = self.budgets
        self.suppliers: list[Named] = []
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
            self.suppliers.append(Named(cid, name, "Company", city.country))
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
            self.suppliers.append(Named(pid, name, "Person"))
        # Big suppliers serve many networks.
        self.supplier_cum = list(accumulate(rng.paretovariate(1.5) for _ in self.suppliers))
        self.supplied: dict[str, list[Named]] = {}
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

    def _unaffiliated(self, rng: random.Random, chunk: Chunk) -> None:
        """People outside any network: visitors, victims, witnesses."""
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
                    "nationality": COUNTRIES[rng.randrange(self.country_count)][1],
                    **chunk.cite(f"{name} was questioned as a witness.", pid),
                },
            )

    def _world_claims(self) -> int:
        b = self.budgets
        return (
            3 * (b["location"] + b["facility"] + b["company"] + b["asset"])
            + 2 * (self.officials + self.supplier_people)
            + self.unaffiliated
        )

    def _place(
        self,
        chunk: Chunk,
        name: str,
        kind: str,
        country: int,
        index: int,
        parent: Named | None = None,
    ) -> Named:
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
        place = Named(lid, name, kind, country)
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

    def _facility(self, rng: random.Random) -> Named:
        at = bisect.bisect_right(self.facility_cum, rng.random() * self.facility_cum[-1])
        return self.facilities[min(at, len(self.facilities) - 1)]

    def _supplier(self, rng: random.Random) -> Named:
        at = bisect.bisect_right(self.supplier_cum, rng.random() * self.supplier_cum[-1])
        return self.suppliers[min(at, len(self.suppliers) - 1)]

    def _docs_for(
        self, rng: random.Random, key: str, subject: str, claims: int
    ) -> list[PlannedDoc]:
        count = max(1, round(claims / self.sentences_per_doc))
        docs = []
        for i in range(count):
            at = bisect.bisect_right(DOC_CUM, rng.random() * DOC_CUM[-1])
            kind, reliability, credibility, _ = DOC_KINDS[min(at, len(DOC_KINDS) - 1)]
            published = day_at(rng.randrange(DAYS + 180)).isoformat()
            title = f"{kind}: {subject} ({published[:4]}, {i + 1})"
            docs.append(
                PlannedDoc(
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

    def _network(self, nw: PlannedNetwork, rel_share: float) -> None:
        rng = random.Random(f"crimegraph-generate/{self.size}/{self.seed}/network/{nw.index}")
        claims = round(rel_share * (1 - self.mention_share)) + nw.size * 2
        key = f"n{nw.index}"
        chunk = Chunk(self, rng, key, self._docs_for(rng, key, nw.name, claims))
        start_rels = self.rels
        city = self.cities[self._city(rng)]
        self._network_node(rng, chunk, nw, city)
        members, weights, brokers = self._members(rng, chunk, nw, city)
        member_cum = list(accumulate(weights))

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

    def _network_node(
        self, rng: random.Random, chunk: Chunk, nw: PlannedNetwork, city: Named
    ) -> None:
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

    def _members(
        self, rng: random.Random, chunk: Chunk, nw: PlannedNetwork, city: Named
    ) -> tuple[list[tuple[str, str]], list[float], set[int]]:
        """The members, with their weights in associations: the first is the leader, then
        lieutenants; brokers among the rest."""
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
        return members, weights, brokers

    def _associations(
        self,
        chunk: Chunk,
        members: list[tuple[str, str]],
        member: Callable[..., tuple[str, str]],
        inside: int,
        cross: int,
        brokers: set[int],
        nw: PlannedNetwork,
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
        chunk: Chunk,
        nw: PlannedNetwork,
        city: Named,
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
        detained = self._detentions(rng, chunk, members)
        my_suppliers = self._network_suppliers(rng, chunk, nw)
        goods = [a for s in my_suppliers for a in self.supplied[s.id]] or self.devices
        Incidents(self, chunk, nw, city, members, member, detained, goods).run()

    def _detentions(
        self, rng: random.Random, chunk: Chunk, members: list[tuple[str, str]]
    ) -> list[tuple[str, str, Named]]:
        """About a quarter of the members are held somewhere, the leader more often."""
        detained: list[tuple[str, str, Named]] = []
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
        return detained

    def _network_suppliers(
        self, rng: random.Random, chunk: Chunk, nw: PlannedNetwork
    ) -> list[Named]:
        """One supplier for every 30 members or so, big suppliers more often."""
        my_suppliers: list[Named] = []
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
        return my_suppliers

    # -- entry --


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
    sink: Sink
    if output is None:
        sink, manifest_path = NullSink(), None
    elif fmt == "csv":
        sink, manifest_path = CsvSink(output, model), output / "manifest.json"
    elif fmt == "admin":
        sink, manifest_path = AdminSink(output, model), output / "manifest.json"
    else:
        sink = FtmSink(output, model)
        manifest_path = output.with_name(output.name + ".manifest.json")
    gen = Generator(size, seed, sink, progress)
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
