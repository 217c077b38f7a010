"""vitals_sdk: the Python side of the contract vitals:plugin@0.2.0 (shipped
with every Python plugin by `vitals plugin new`; you rarely edit it).

The host sends a batch of accounts as columns (wit/types.wit); rules read
each account as a plain object with today's names:

    account.id, account.attributes.tier, account.attributes.labels
    account.current.seats_active          # None when blank or not sent
    account.current.metrics["webinars"]   # a mapping name -> value
    account.history                       # earlier snapshots, oldest first
    account.health                        # earlier health points, oldest first

Snapshot fields are read from the columns when accessed, so a rule pays
only for what it reads: number columns arrive as `bytes` (little-endian
binary64, one Python object per column rather than one per value) and are
read in place through `memoryview(column).cast("d")`. Rules return plain
results (`Health`, `Segment`, `Propensity` below, the contract's
`Forecast`) with names as strings; the SDK turns them into the call's name
table. A plugin declares what it reads
as a plain dict (`READS`, see `projection`).
"""

import json
import struct
import sys
from dataclasses import dataclass, field

from componentize_py_types import Err, Ok
from wit_world.imports import types as wit
from wit_world.imports.types import Band, Confidence, Forecast

__all__ = [
    "AccountError", "ConfigError", "Band", "Confidence", "Forecast",
    "Factor", "Health", "Segment", "Driver", "Propensity",
    "Account", "Attributes", "Snapshot", "Label", "HealthPoint",
    "decode", "metric", "label", "projection", "metadata", "project", "run", "batch_of",
]

# Blanks in the columns (wit/types.wit).
NO_STRING = 0xFFFFFFFF
NO_DATE = -(2**31)
NO_CONFIDENCE = 255

# Number columns are little-endian; memoryview.cast reads the machine's
# order, which is little-endian in WebAssembly and on the usual test hosts.
assert sys.byteorder == "little", "vitals_sdk reads little-endian number columns in place"


def _count(v):
    return int(v)


def _flag(v):
    return v != 0


# The built-in snapshot fields in the WIT `field` enum's order: the Python
# name, the contract's name, and how a column's f64 becomes the value.
FIELDS = [
    ("seats_purchased", "seats-purchased", _count),
    ("seats_active", "seats-active", _count),
    ("logins", "logins", _count),
    ("features_used", "features-used", _count),
    ("features_available", "features-available", _count),
    ("tickets_open", "tickets-open", _count),
    ("tickets_high_severity", "tickets-high-severity", _count),
    ("nps", "nps", _count),
    ("csat", "csat", float),
    ("arr", "arr", float),
    ("champion_left", "champion-left", _flag),
    ("late_payments", "late-payments", _count),
]
FIELD_NAMES = [name for name, _, _ in FIELDS]
ATTRIBUTES = [
    "name", "owner", "tier", "plan", "start_date", "renewal_date", "contract_arr", "renewal_confidence",
]


class ConfigError(Exception):
    """The tenant's configuration is unusable; the message names the field."""


class AccountError(Exception):
    """This account has no result; `error` is the contract's plugin-error
    (for example `PluginError_MissingData("seats-purchased is blank")`)."""

    def __init__(self, error):
        super().__init__(error.value)
        self.error = error


# ---------------------------------------------------------------- accounts
# Plain account objects, as tests build them; decoded accounts read the same.


@dataclass
class Label:
    name: str
    value: str


@dataclass
class HealthPoint:
    as_of: int
    score: float
    band: Band


@dataclass
class Snapshot:
    as_of: int
    seats_purchased: int = None
    seats_active: int = None
    logins: int = None
    features_used: int = None
    features_available: int = None
    tickets_open: int = None
    tickets_high_severity: int = None
    nps: int = None
    csat: float = None
    arr: float = None
    champion_left: bool = None
    late_payments: int = None
    metrics: dict = field(default_factory=dict)


@dataclass
class Attributes:
    name: str = None
    owner: str = None
    tier: str = None
    plan: str = None
    start_date: int = None
    renewal_date: int = None
    contract_arr: float = None
    renewal_confidence: Confidence = None
    labels: list = field(default_factory=list)


@dataclass
class Account:
    id: str
    attributes: Attributes
    current: Snapshot
    history: list = field(default_factory=list)
    health: list = field(default_factory=list)


def metric(snapshot, name):
    """A metric's value by name, or None: reads a mapping (0.2 accounts)
    or a list of name/value records (0.1 accounts)."""
    metrics = snapshot.metrics
    if hasattr(metrics, "get"):
        return metrics.get(name)
    for m in metrics:
        if m.name == name:
            return m.value
    return None


def label(attributes, name):
    """A label's value by name, or None."""
    for item in attributes.labels:
        if item.name == name:
            return item.value
    return None


# ------------------------------------------------------------------ decode


def _numbers(column, name):
    """A number column (`f64-column`: little-endian binary64 bytes) as a
    read-only sequence of floats over the same bytes, None when not sent.
    A length that is not a multiple of 8 fails the call naming the column."""
    if not len(column):
        return None
    if len(column) % 8:
        raise Err(
            wit.PluginError_InvalidInput(
                f"batch column {name}: {len(column)} bytes, not a whole number of 8-byte values"
            )
        )
    return memoryview(column).cast("d")


def _number(column, i):
    """Row i of a number column read by `_numbers`: None when the column was
    not sent or the value is blank (NaN)."""
    if column is None:
        return None
    v = column[i]
    return None if v != v else v


def _f64_column(values):
    """The bytes of a number column holding `values` (None is blank)."""
    return struct.pack(f"<{len(values)}d", *(float("nan") if v is None else float(v) for v in values))


class _Rows:
    """One `rows` record of a batch, its columns found by field once a call
    (`at` names it in errors: `current`, `history.rows`)."""

    __slots__ = ("as_of", "by_field", "metrics")

    def __init__(self, rows, fields, metric_names, at):
        self.as_of = rows.as_of
        self.by_field = [None] * len(FIELDS)
        for k, (f, column) in enumerate(zip(fields, rows.fields)):
            self.by_field[f.value] = _numbers(column, f"{at}.fields[{k}] ({FIELDS[f.value][1]})")
        self.metrics = {}
        for k, (n, column) in enumerate(zip(metric_names, rows.metrics)):
            numbers = _numbers(column, f"{at}.metrics[{k}] ({n})")
            if numbers is not None:
                self.metrics[n] = numbers


class SnapshotView:
    """A snapshot read from the columns on access: a field that is blank or
    was not sent reads None."""

    __slots__ = ("_rows", "_row")

    def __init__(self, rows, row):
        self._rows = rows
        self._row = row

    @property
    def as_of(self):
        return self._rows.as_of[self._row]

    @property
    def metrics(self):
        return MetricsView(self._rows.metrics, self._row)

    def __repr__(self):
        present = {n: getattr(self, n) for n in FIELD_NAMES if getattr(self, n) is not None}
        return f"Snapshot(as_of={self.as_of}, {present}, metrics={dict(self.metrics)})"


def _field_property(index, convert):
    def get(self):
        column = self._rows.by_field[index]
        if column is None:
            return None
        v = column[self._row]
        return None if v != v else convert(v)

    return property(get)


for _index, (_name, _, _convert) in enumerate(FIELDS):
    setattr(SnapshotView, _name, _field_property(_index, _convert))


class MetricsView:
    """A snapshot's metrics as a read-only mapping name -> value (blanks left out)."""

    __slots__ = ("_columns", "_row")

    def __init__(self, columns, row):
        self._columns = columns
        self._row = row

    def get(self, name, default=None):
        column = self._columns.get(name)
        if column is None:
            return default
        v = column[self._row]
        return default if v != v else v

    def __getitem__(self, name):
        v = self.get(name)
        if v is None:
            raise KeyError(name)
        return v

    def __contains__(self, name):
        return self.get(name) is not None

    def keys(self):
        return [n for n, c in self._columns.items() if c[self._row] == c[self._row]]

    def __iter__(self):
        return iter(self.keys())

    def __len__(self):
        return len(self.keys())

    def items(self):
        return [(n, self[n]) for n in self.keys()]

    def values(self):
        return [self[n] for n in self.keys()]

    def __repr__(self):
        return repr(dict(self.items()))


class _Batch:
    """What every account view of one batch shares."""

    __slots__ = (
        "strings", "accounts", "contract_arr", "label_names", "current", "history", "history_start",
        "health", "health_score",
    )

    def __init__(self, batch):
        strings = batch.strings
        metric_names = [strings[i] for i in batch.metric_names]
        self.strings = strings
        self.accounts = batch.accounts
        self.contract_arr = _numbers(batch.accounts.contract_arr, "accounts.contract-arr")
        self.label_names = [strings[i] for i in batch.label_names]
        self.current = _Rows(batch.current, batch.fields, metric_names, "current")
        self.history = _Rows(batch.history.rows, batch.fields, metric_names, "history.rows")
        self.history_start = batch.history.account_start
        self.health = batch.health
        self.health_score = _numbers(batch.health.score, "health.score")


def _span(starts, i, total):
    """Account i's rows [starts[i], starts[i+1]); an empty `starts` means none."""
    if not len(starts):
        return range(0)
    stop = starts[i + 1] if i + 1 < len(starts) else total
    return range(starts[i], stop)


class AttributesView:
    """An account's attributes read from the batch's columns on access."""

    __slots__ = ("_b", "_i")

    def __init__(self, batch, i):
        self._b = batch
        self._i = i

    def _text(self, column):
        if not len(column):
            return None
        k = column[self._i]
        return None if k == NO_STRING else self._b.strings[k]

    def _date(self, column):
        if not len(column):
            return None
        d = column[self._i]
        return None if d == NO_DATE else d

    name = property(lambda self: self._text(self._b.accounts.name))
    owner = property(lambda self: self._text(self._b.accounts.owner))
    tier = property(lambda self: self._text(self._b.accounts.tier))
    plan = property(lambda self: self._text(self._b.accounts.plan))
    start_date = property(lambda self: self._date(self._b.accounts.start_date))
    renewal_date = property(lambda self: self._date(self._b.accounts.renewal_date))
    contract_arr = property(lambda self: _number(self._b.contract_arr, self._i))

    @property
    def renewal_confidence(self):
        column = self._b.accounts.renewal_confidence
        if not len(column) or column[self._i] == NO_CONFIDENCE:
            return None
        return Confidence(column[self._i])

    @property
    def labels(self):
        a, strings, names = self._b.accounts, self._b.strings, self._b.label_names
        return [
            Label(names[a.label_name[k]], strings[a.label_value[k]])
            for k in _span(a.label_start, self._i, len(a.label_name))
        ]

    def __repr__(self):
        return f"Attributes({ {n: getattr(self, n) for n in ATTRIBUTES + ['labels']} })"


class AccountView:
    """One account of a batch; history and health are built when first read."""

    __slots__ = ("id", "attributes", "current", "_b", "_i", "_history", "_health")

    def __init__(self, batch, i):
        ids = batch.accounts.id
        self.id = batch.strings[ids[i]] if len(ids) else None
        self.attributes = AttributesView(batch, i)
        self.current = SnapshotView(batch.current, i)
        self._b = batch
        self._i = i
        self._history = None
        self._health = None

    @property
    def history(self):
        if self._history is None:
            rows = self._b.history
            span = _span(self._b.history_start, self._i, len(rows.as_of))
            self._history = [SnapshotView(rows, r) for r in span]
        return self._history

    @property
    def health(self):
        if self._health is None:
            h, score = self._b.health, self._b.health_score
            self._health = [
                HealthPoint(h.as_of[k], score[k], Band(h.band[k]))
                for k in _span(h.account_start, self._i, len(h.as_of))
            ]
        return self._health

    def __repr__(self):
        return f"Account(id={self.id!r}, current={self.current!r})"


def decode(batch):
    """The batch's accounts, in order, as account objects over its columns."""
    shared = _Batch(batch)
    return [AccountView(shared, i) for i in range(len(batch.current.as_of))]


# ----------------------------------------------------------------- results
# What rules return, with names as strings; `run` sends them with the
# call's name table.


@dataclass
class Factor:
    """How one measure contributed to a health score."""

    name: str
    group: str
    value: float  # None when the measure was blank and dropped
    weight: float
    points: float


@dataclass
class Health:
    """An explained health score: the factors' points add up to `score`."""

    score: float
    band: Band
    factors: list


@dataclass
class Segment:
    name: str
    reason: str


@dataclass
class Driver:
    name: str
    value: float
    contribution: float


@dataclass
class Propensity:
    """An explained propensity: the drivers' contributions add up to `score`."""

    score: float
    drivers: list


class _Names:
    """The call's name table: each distinct name once, referred to by index."""

    def __init__(self):
        self.names = []
        self._index = {}

    def __call__(self, name):
        i = self._index.get(name)
        if i is None:
            if not isinstance(name, str):
                raise TypeError(f"a name must be a string, not {name!r}")
            i = self._index[name] = len(self.names)
            self.names.append(name)
        return i


def _option(v):
    return None if v is None else float(v)


def _health(h, names):
    factors = [
        wit.Factor(names(f.name), names(f.group), _option(f.value), float(f.weight), float(f.points))
        for f in h.factors
    ]
    return wit.Health(score=float(h.score), band=h.band, factors=factors)


def _segments(segments, names):
    return [wit.Segment(names(s.name), s.reason) for s in segments]


def _propensity(p, names):
    drivers = [wit.Driver(names(d.name), float(d.value), float(d.contribution)) for d in p.drivers]
    return wit.Propensity(score=float(p.score), drivers=drivers)


def _forecast(f, names):
    return f


# Per kind: how one result is encoded, and the record of the batch's results.
_KINDS = {
    wit.PluginKind.HEALTH_MODEL: (_health, lambda names, results: wit.HealthResults(names, results)),
    wit.PluginKind.SEGMENTER: (_segments, lambda names, results: wit.SegmentResults(names, results)),
    wit.PluginKind.PROPENSITY_MODEL: (
        _propensity,
        lambda names, results: wit.PropensityResults(names, results),
    ),
    wit.PluginKind.FORECASTER: (_forecast, lambda names, results: wit.ForecastResults(results)),
}


# -------------------------------------------------------------- projection

_FIELD_BY_NAME = {contract: wit.Field(i) for i, (_, contract, _) in enumerate(FIELDS)}
_ATTRIBUTE_BY_NAME = {a.name.lower().replace("_", "-"): a for a in wit.Attribute}
_WINDOWS = ("days", "latest", "all")


def projection(reads):
    """The contract's projection from a plain declaration, for example

        READS = {
            "attributes": ["tier", "renewal-date"],       # attribute names
            "labels": ["region"],                         # label names, or "all"
            "current": {"fields": ["seats-active"], "metrics": ["webinars"]},
            "history": {"days": 180, "fields": ["logins"], "metrics": []},
            "health": {"latest": 1},
        }

    Every key may be left out: nothing of it is read. "fields" and "metrics"
    take a list or "all"; field and attribute names are the contract's
    (`seats-active`; `seats_active` is accepted too). A window ("history",
    "health") is {"days": N} (the snapshots within N days before the current
    one and the latest before those), {"latest": N} or {"all": True}.
    Raises ValueError naming what is wrong."""
    _keys(reads, ("attributes", "labels", "current", "history", "health"), "READS")
    history = reads.get("history")
    return wit.Projection(
        attributes=[
            _lookup(_ATTRIBUTE_BY_NAME, n, "READS.attributes", "attribute")
            for n in _list(reads.get("attributes", []), "READS.attributes")
        ],
        labels=_names(reads.get("labels", []), "READS.labels"),
        current=_reads(reads.get("current", {}), (), "READS.current"),
        history=_window(history, ("fields", "metrics"), "READS.history"),
        history_reads=_reads(history or {}, _WINDOWS, "READS.history"),
        health=_window(reads.get("health"), (), "READS.health"),
    )


def _keys(spec, allowed, at):
    if not isinstance(spec, dict):
        raise ValueError(f"{at}: must be a dict")
    unknown = sorted(set(spec) - set(allowed))
    if unknown:
        raise ValueError(f"{at}: unknown key {unknown[0]!r} (use {', '.join(allowed)})")


def _list(value, at):
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{at}: must be a list of names")
    return value


def _lookup(table, name, at, what):
    found = table.get(name.replace("_", "-"))
    if found is None:
        raise ValueError(f"{at}: unknown {what} {name!r} (use {', '.join(table)})")
    return found


def _names(value, at):
    if value == "all":
        return wit.Names_All()
    return wit.Names_Only(list(_list(value, at)))


def _reads(spec, other_keys, at):
    _keys(spec, ("fields", "metrics") + tuple(other_keys), at)
    fields = spec.get("fields", [])
    if fields == "all":
        chosen = list(wit.Field)
    else:
        chosen = [_lookup(_FIELD_BY_NAME, n, f"{at}.fields", "field") for n in _list(fields, f"{at}.fields")]
    return wit.Reads(fields=chosen, metrics=_names(spec.get("metrics", []), f"{at}.metrics"))


def _window(spec, other_keys, at):
    if spec is None:
        return wit.Window_None_()
    _keys(spec, _WINDOWS + tuple(other_keys), at)
    given = [k for k in _WINDOWS if k in spec]
    if len(given) != 1:
        raise ValueError(f"{at}: give one of 'days': N, 'latest': N or 'all': True")
    kind, n = given[0], spec[given[0]]
    if kind == "all":
        if n is not True:
            raise ValueError(f"{at}.all: must be True")
        return wit.Window_All()
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < 2**32:
        raise ValueError(f"{at}.{kind}: must be a whole number >= 0")
    return wit.Window_Days(n) if kind == "days" else wit.Window_Latest(n)


# ------------------------------------------------------------- entry points
# What app.py calls. `plugin` is the rules module: NAME, VERSION,
# DESCRIPTION, CONFIG_SCHEMA, READS, parse_config(text), evaluate(config,
# as_of, account) and, when what it reads depends on the configuration,
# project(config) returning a declaration like READS.


def metadata(plugin, kind):
    """The plugin's metadata; `reads` is its READS."""
    return wit.PluginMetadata(
        name=plugin.NAME,
        version=plugin.VERSION,
        kind=kind,
        description=plugin.DESCRIPTION,
        config_schema=json.dumps(plugin.CONFIG_SCHEMA, sort_keys=True),
        reads=projection(plugin.READS),
    )


def _config(plugin, text):
    try:
        return plugin.parse_config(text)
    except ConfigError as e:
        # Raising Err fails the whole call: the configuration is wrong for every account.
        raise Err(wit.PluginError_InvalidConfig(str(e))) from None


def project(plugin, config_text):
    """What the plugin reads under a tenant's configuration."""
    config = _config(plugin, config_text)
    reads = plugin.project(config) if hasattr(plugin, "project") else plugin.READS
    try:
        return projection(reads)
    except ValueError as e:
        raise Err(wit.PluginError_Internal(f"the plugin's projection: {e}")) from None


def run(plugin, kind, config_text, as_of, batch, log=None):
    """One result or error per account of the batch, in order: an account
    whose rules raise AccountError gets that error; a bad configuration
    fails the call. `log(message)` hears how many accounts had no result."""
    config = _config(plugin, config_text)
    encode, collect = _KINDS[kind]
    names = _Names()
    results = []
    failed = 0
    for account in decode(batch):
        try:
            results.append(Ok(encode(plugin.evaluate(config, as_of, account), names)))
        except AccountError as e:
            results.append(Err(e.error))
            failed += 1
    if failed and log is not None:
        log(f"{failed} of {len(results)} accounts had no result")
    return collect(names.names, results)


# ------------------------------------------------------------------ testing


def batch_of(accounts):
    """The columnar batch the host would send for these plain accounts
    (every field, metric, label and history row they hold), so tests can
    run rules through `decode` or `run` as the component does."""
    strings, index = [], {}

    def text(s):
        if s is None:
            return NO_STRING
        if s not in index:
            index[s] = len(strings)
            strings.append(s)
        return index[s]


    snapshots = [a.current for a in accounts] + [s for a in accounts for s in a.history]
    metric_names = list(dict.fromkeys(n for s in snapshots for n, _ in s.metrics.items()))
    label_names = list(dict.fromkeys(item.name for a in accounts for item in a.attributes.labels))
    label_index = {n: i for i, n in enumerate(label_names)}

    def rows(of):
        return wit.Rows(
            as_of=[s.as_of for s in of],
            fields=[_f64_column([getattr(s, name) for s in of]) for name in FIELD_NAMES],
            metrics=[_f64_column([s.metrics.get(n) for s in of]) for n in metric_names],
        )

    def starts(lists):
        out = [0]
        for items in lists:
            out.append(out[-1] + len(items))
        return out

    attrs = [a.attributes for a in accounts]
    labels = [item for t in attrs for item in t.labels]
    health = [p for a in accounts for p in a.health]
    return wit.Batch(
        strings=strings,
        fields=list(wit.Field),
        metric_names=[text(n) for n in metric_names],
        label_names=[text(n) for n in label_names],
        accounts=wit.Accounts(
            id=[text(a.id) for a in accounts],
            name=[text(t.name) for t in attrs],
            owner=[text(t.owner) for t in attrs],
            tier=[text(t.tier) for t in attrs],
            plan=[text(t.plan) for t in attrs],
            start_date=[NO_DATE if t.start_date is None else t.start_date for t in attrs],
            renewal_date=[NO_DATE if t.renewal_date is None else t.renewal_date for t in attrs],
            contract_arr=_f64_column([t.contract_arr for t in attrs]),
            renewal_confidence=bytes(
                NO_CONFIDENCE if t.renewal_confidence is None else t.renewal_confidence.value for t in attrs
            ),
            label_start=starts(t.labels for t in attrs),
            label_name=[label_index[item.name] for item in labels],
            label_value=[text(item.value) for item in labels],
        ),
        current=rows([a.current for a in accounts]),
        history=wit.History(
            account_start=starts(a.history for a in accounts),
            rows=rows([s for a in accounts for s in a.history]),
        ),
        health=wit.HealthPoints(
            account_start=starts(a.health for a in accounts),
            as_of=[p.as_of for p in health],
            score=_f64_column([p.score for p in health]),
            band=bytes(p.band.value for p in health),
        ),
    )
