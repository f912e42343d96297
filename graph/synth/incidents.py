"""A generated network's incidents, clustered in time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from graph.core.text import MONTHS, stable_id
from graph.synth.plan import (
    DAYS,
    FIRST_DAY,
    Chunk,
    Named,
    PlannedNetwork,
    day_at,
    partial_date,
    shown_date,
)
from graph.synth.words import (
    ATTACK_TYPES,
    CODEWORDS,
    EVENT_STATUSES,
    MEASURES,
)

if TYPE_CHECKING:
    from graph.synth.generate import Generator


class Incidents:
    """A network's incidents, clustered in time: waves of attacks inside crisis periods,
    attacks near them, escapes, arrests after attacks, seizures of supplied devices,
    operations against the network, measures after waves."""

    def __init__(
        self,
        gen: Generator,
        chunk: Chunk,
        nw: PlannedNetwork,
        city: Named,
        members: list[tuple[str, str]],
        member: Callable[..., tuple[str, str]],
        detained: list[tuple[str, str, Named]],
        goods: list[Named],
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
        day = day_at(offset)
        roll = rng.random()
        precision = "day" if roll < 0.85 else "month" if roll < 0.97 else "year"
        return day, precision

    def _event(
        self, label: str, prefix: str, name: str, day: date, precision: str, **props: Any
    ) -> str:
        self.seq += 1
        eid = stable_id(prefix, name, str(self.nw.index), str(self.seq))
        when = shown_date(day, precision)
        sentence = props.pop("sentence").format(when=when)
        values: dict[str, Any] = {
            "id": eid,
            "name": name,
            "date": partial_date(day, precision),
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
        day = day_at(center)
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
            day, precision = day_at(wave[2] + rng.randint(0, 6)), "day"
        elif rng.random() < 0.6:
            day, precision = self._when(rng.choice(self.gen.periods), 30)
        else:
            day, precision = self._when()
        kind, method = rng.choice(ATTACK_TYPES)
        name = f"{kind} at {facility.name}, {partial_date(day, precision)}"
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
            rel, eid, facility.id, f"The attack {shown_date(day, precision)} hit {facility.name}."
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
            day, precision = day_at(operation[2] + rng.randint(0, 5)), "day"
        else:
            day, precision = self._when()
        quantity = rng.randrange(2, 400)
        asset = rng.choice(self.goods) if rng.random() < 0.75 else rng.choice(self.gen.devices)
        name = f"Seizure at {facility.name}, {partial_date(day, precision)}"
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
            day, precision = day_at(after), "day"
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
            day, precision = day_at(after[2] + rng.randint(1, 60)), "day"
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
        day, precision = (day_at(wave[2] + rng.randint(10, 120)), "month") if wave else self._when()
        title = rng.choice(MEASURES)
        eid = self._event(
            "Measure",
            "measure",
            f"{title} ({partial_date(day, precision)})",
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
