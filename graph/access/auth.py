"""API keys, roles and the principal a request acts as (docs/security.md).

A key is a system node `:ApiKey` in the security database (`Store.security`): a database on
the same engine that only the service user opens, so no query of the analysts' (run as the
read user) can read one, whatever its text; every API replica on one engine shares the keys. Only a SHA-256 hash of its secret is stored: secrets are 32 random
bytes, so a fast hash is enough (no password stretching needed) and nothing stored lets
anyone rebuild a token. The token is shown once, at creation: `cg_<key id>_<secret>`, where
the key id is public (it appears in the audit log and `crimegraph keys list`).

Lookups are cached per process for `key_cache_seconds`: a revocation takes effect on every
replica within that time.
"""

from __future__ import annotations

import enum
import functools
import getpass
import hashlib
import hmac
import ipaddress
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from graph.core.errors import InvalidInput, NotFound, Unauthenticated, UnsafeConfiguration
from graph.core.settings import Settings
from graph.db.store import Store

TOKEN_PREFIX = "cg_"
_TOKEN = re.compile(r"^cg_(?P<key_id>[0-9a-f]{12})_(?P<secret>[0-9a-f]{64})$")
_KEY_ID = re.compile(r"^[0-9a-f]{12}$")
# A handling code names what an item is restricted to, e.g. case:prison-break.
HANDLING_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]*(?::[a-z0-9][a-z0-9._-]*)*$")
MAX_HANDLING_CODE = 100
MAX_KEY_NAME = 100
# Named queries that touch API keys: never for the named-query routes or the guide.
SYSTEM_QUERIES = frozenset(
    {
        "create_api_key",
        "api_key_by_id",
        "api_keys",
        "revoke_api_key",
        "legacy_api_keys",
        "move_api_keys",
        "delete_legacy_api_keys",
    }
)
_CACHE_MAX = 10_000
_REFUSED = "unknown or revoked API key"  # one message: which check failed is not said


@functools.total_ordering
class Role(enum.Enum):
    """Roles in increasing power; each may do everything the ones below it may."""

    VIEWER = "viewer"  # read entities, links, paths, snapshots
    INVESTIGATOR = "investigator"  # also create snapshots and ingest documents
    ANALYST = "analyst"  # also the Cypher endpoint and the review queue
    ADMIN = "admin"  # also keys, imports and the audit log

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, required: Role) -> bool:
        """True if a key with this role may use a route that requires `required`."""
        return self.rank >= required.rank

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Role):
            return NotImplemented
        return self.rank < other.rank

    @classmethod
    def parse(cls, text: str) -> Role:
        try:
            return cls(text)
        except ValueError:
            raise InvalidInput(
                f"unknown role {text!r}; one of {', '.join(r.value for r in cls)}"
            ) from None


_RANKS = {role: rank for rank, role in enumerate(Role)}


def local_user() -> str:
    """Who acts from this machine's command line, as recorded on what a command writes
    (`created_by`, `decided_by`, `imported_by`, ...): `cli:` and the local account, never a
    name typed on the command line (the API records the key instead, Principal.actor)."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no name for this uid (a container, say)
        return "cli"


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: the key's id, name, role and the handling codes it may see."""

    key_id: str
    name: str
    role: Role
    handling: frozenset[str] = frozenset()
    auth_disabled: bool = False  # the local admin of CRIMEGRAPH_AUTH=disabled

    @classmethod
    def local_admin(cls) -> Principal:
        """Every request's principal when authentication is disabled (local development)."""
        return cls("local", "local (auth disabled)", Role.ADMIN, frozenset(), auth_disabled=True)

    def allows(self, required: Role) -> bool:
        return self.role.allows(required)

    @property
    def actor(self) -> str:
        """Who did it, as recorded on what a request writes (`imported_by`, `decided_by`,
        ...): the key's name and public id, never a name the client chose."""
        if self.auth_disabled:
            return self.name
        return f"{self.name} (key {self.key_id})"

    @property
    def sees_everything(self) -> bool:
        """Admins (and the local admin) see every restricted item."""
        return self.role is Role.ADMIN or self.auth_disabled

    def can_see(self, handling: str | None) -> bool:
        """Whether an item whose `handling` property is this code (None: unrestricted) is
        visible to this principal. A hidden item must answer 404, never 403."""
        return handling is None or self.sees_everything or handling in self.handling

    def handling_params(self) -> dict[str, Any]:
        """Query parameters for a handling filter in Cypher:
        `WHERE n.handling IS NULL OR $handling_all OR n.handling IN $handling_codes`."""
        return {"handling_all": self.sees_everything, "handling_codes": sorted(self.handling)}


@dataclass(frozen=True)
class ApiKeyInfo:
    """An API key as listed: never its hash."""

    id: str
    name: str
    role: Role
    handling: tuple[str, ...]
    created_at: str
    created_by: str
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ApiKeyInfo:
        return cls(
            id=str(row["id"]),
            name=str(row["name"]),
            role=Role.parse(str(row["role"])),
            handling=tuple(sorted(row.get("handling") or ())),
            created_at=str(row["created_at"]),
            created_by=str(row["created_by"]),
            revoked_at=row.get("revoked_at"),
            revoked_by=row.get("revoked_by"),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "handling": list(self.handling),
            "created_at": self.created_at,
            "created_by": self.created_by,
            "revoked_at": self.revoked_at,
            "revoked_by": self.revoked_by,
        }


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def parse_token(token: str) -> tuple[str, str]:
    """(key id, secret) of a well-formed token; Unauthenticated otherwise."""
    match = _TOKEN.match(token.strip())
    if match is None:
        raise Unauthenticated(
            "malformed API key; expected cg_<key id>_<secret>", reason="malformed token"
        )
    return match["key_id"], match["secret"]


def check_handling_codes(codes: Iterable[str]) -> tuple[str, ...]:
    out = []
    for code in codes:
        if len(code) > MAX_HANDLING_CODE or not HANDLING_CODE.match(code):
            raise InvalidInput(
                f"handling code {code!r} must be lower-case words joined by ':', "
                "e.g. case:prison-break"
            )
        out.append(code)
    return tuple(sorted(set(out)))


def is_loopback(host: str) -> bool:
    """Whether an address (or `localhost`) can only be reached from this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name may resolve anywhere


def check_auth_setting(settings: Settings) -> None:
    """Refuse to serve without authentication on an address others can reach."""
    if settings.auth == "disabled" and not is_loopback(settings.host):
        raise UnsafeConfiguration(
            f"CRIMEGRAPH_AUTH=disabled is for local development only and the API would listen "
            f"on {settings.host!r}, which is not a loopback address: every request would act "
            "as an admin. Bind to 127.0.0.1, or use API keys (CRIMEGRAPH_AUTH=keys, "
            "`crimegraph keys create`)."
        )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


BOOTSTRAP_KEY_NAME = "bootstrap"
BOOTSTRAP_KEY_FILE = "bootstrap-key"


def bootstrap_admin_key(keys: KeyStore, data_dir: Path) -> tuple[ApiKeyInfo, str, Path] | None:
    """A new user's first key: on a database that holds no API key at all (revoked ones
    count, so revoking it never brings it back), create an admin key named `bootstrap` and
    write its token to `data_dir/bootstrap-key` (mode 0600). Returns the key, its token
    and the file; None when any key exists."""
    if keys.list():
        return None
    info, token = keys.create(BOOTSTRAP_KEY_NAME, Role.ADMIN, created_by="crimegraph serve")
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / BOOTSTRAP_KEY_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        os.fchmod(handle.fileno(), 0o600)  # a file left from an older database kept its mode
        handle.write(token + "\n")
    return info, token, path


class KeyStore:
    """Creates, revokes, lists and checks API keys stored in the security database."""

    def __init__(
        self, store: Store, ttl: float = 5.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        # Given the app's store, the keys are in its security database (the same store
        # where there is none: Neo4j Community).
        self.store = store
        self._keys = store.security
        self.ttl = ttl
        self._clock = clock
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def create(
        self, name: str, role: Role, handling: Iterable[str] = (), created_by: str = "unknown"
    ) -> tuple[ApiKeyInfo, str]:
        """Store a new key; return it and its token (shown once: only its hash is kept)."""
        name = name.strip()
        if not name or len(name) > MAX_KEY_NAME or not name.isprintable():
            raise InvalidInput(f"a key name is 1 to {MAX_KEY_NAME} printable characters")
        codes = check_handling_codes(handling)
        key_id = secrets.token_hex(6)
        secret = secrets.token_hex(32)
        info = ApiKeyInfo(key_id, name, role, codes, _now(), created_by)
        self._keys.run(
            "create_api_key",
            {
                "id": key_id,
                "name": name,
                "role": role.value,
                "hash": hash_secret(secret),
                "handling": list(codes),
                "created_at": info.created_at,
                "created_by": created_by,
            },
        )
        self.forget(key_id)
        return info, f"{TOKEN_PREFIX}{key_id}_{secret}"

    def revoke(self, key_id: str, revoked_by: str = "unknown") -> ApiKeyInfo:
        """Revoke a key (again: no change). Other processes notice within the cache TTL."""
        if not _KEY_ID.match(key_id):
            raise NotFound(f"no API key {key_id!r}")
        rows = self._keys.run(
            "revoke_api_key", {"key": key_id, "revoked_at": _now(), "revoked_by": revoked_by}
        )
        self.forget(key_id)
        if not rows:
            raise NotFound(f"no API key {key_id!r}")
        return ApiKeyInfo.from_row(rows[0])

    def list(self) -> list[ApiKeyInfo]:
        return [ApiKeyInfo.from_row(row) for row in self._keys.run("api_keys")]

    def authenticate(self, token: str) -> Principal:
        """The principal of a valid, unrevoked token; Unauthenticated otherwise (its message
        does not say which check failed; its `reason`, for the audit log, does)."""
        key_id, secret = parse_token(token)
        return self._check(key_id, secret, self._lookup(key_id))

    def authenticate_cached(self, token: str) -> Principal | None:
        """authenticate() when the key's row is in the cache, without any I/O (so the API
        can answer it on its event loop); None when the database must be asked."""
        key_id, secret = parse_token(token)
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is None or cached[0] <= self._clock():
            return None
        return self._check(key_id, secret, cached[1])

    def _check(self, key_id: str, secret: str, row: dict[str, Any] | None) -> Principal:
        presented = hash_secret(secret)
        stored = str(row["hash"]) if row is not None else hash_secret("")
        if row is None:
            raise Unauthenticated(_REFUSED, reason=f"unknown key id {key_id}")
        if not hmac.compare_digest(presented, stored):
            raise Unauthenticated(_REFUSED, reason=f"wrong secret for key {key_id}")
        if row.get("revoked_at") is not None:
            raise Unauthenticated(_REFUSED, reason=f"revoked key {key_id}")
        return Principal(
            key_id=key_id,
            name=str(row["name"]),
            role=Role.parse(str(row["role"])),
            handling=frozenset(row.get("handling") or ()),
        )

    def forget(self, key_id: str) -> None:
        with self._lock:
            self._cache.pop(key_id, None)

    def _lookup(self, key_id: str) -> dict[str, Any] | None:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(key_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        rows = self._keys.run("api_key_by_id", {"key": key_id})
        row = rows[0] if rows else None
        if self.ttl > 0:
            with self._lock:
                if len(self._cache) >= _CACHE_MAX:
                    self._cache.clear()  # a flood of made-up ids: start again
                self._cache[key_id] = (now + self.ttl, row)
        return row
