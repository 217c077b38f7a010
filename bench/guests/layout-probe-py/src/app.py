"""The layout probe in Python (vitals-bench layouts): one rule over plain
account objects, fed either by componentize-py's lifting of the 0.1 records
(`Health.score`) or by a Python SDK decoding the columnar batch (layout C2,
`ColumnarList.score`) into the same plain objects. `receive` lifts the
columnar batch and does nothing with it.
"""

from componentize_py_types import Ok
from wit_world import exports
from wit_world.imports.types import Band, Factor, Health as Scored, PluginKind, PluginMetadata

NONE = 0xFFFFFFFF

# Built-in fields in WIT order, with how a number becomes the field's value.
FIELDS = [
    ("seats_purchased", int),
    ("seats_active", int),
    ("logins", int),
    ("features_used", int),
    ("features_available", int),
    ("tickets_open", int),
    ("tickets_high_severity", int),
    ("nps", int),
    ("csat", float),
    ("arr", float),
    ("champion_left", bool),
    ("late_payments", int),
]

class Snapshot:
    """A snapshot as authors read it; a field the batch lacks reads None."""

    as_of = None
    metrics = {}

for _name, _ in FIELDS:
    setattr(Snapshot, _name, None)

class Attributes:
    name = owner = tier = plan = None
    start_date = renewal_date = contract_arr = renewal_confidence = None
    labels = {}

class Account:
    __slots__ = ("id", "attributes", "current", "history", "health")

def metric(snapshot, name):
    """A metric by name: 0.2 objects keep a dict, 0.1 records a list."""
    metrics = snapshot.metrics
    if isinstance(metrics, dict):
        return metrics.get(name)
    for m in metrics:
        if m.name == name:
            return m.value
    return None

def change_over(account, days, field):
    now = getattr(account.current, field)
    if now is None:
        return None
    cutoff = account.current.as_of - days
    for s in reversed(account.history):
        if s.as_of <= cutoff:
            old = getattr(s, field)
            if old is None or old == 0:
                return None
            return (now - old) / abs(old)
    return None

def rule(account):
    """A small scorecard: utilisation, a metric, NPS and the ARR trend."""
    s = account.current
    util = None
    if s.seats_active is not None and s.seats_purchased:
        util = s.seats_active / s.seats_purchased
    webinars = metric_view(s, "webinars-attended")
    trend = change_over(account, 90, "arr")
    parts = [
        ("licence-utilisation", "usage", util, 0.0 if util is None else min(util, 1.0) * 100),
        ("webinars-attended", "engagement", webinars, 0.0 if webinars is None else min(webinars, 3) / 3 * 100),
        ("nps", "feedback", s.nps, 0.0 if s.nps is None else s.nps * 10.0),
        ("arr-change-90d", "account-changes", trend, 100.0 if trend is None or trend >= 0 else max(0.0, 100 + trend * 300)),
    ]
    weight = 1.0 / len(parts)
    factors = [
        Factor(name=n, group=g, value=None if v is None else float(v), weight=weight, points=weight * p)
        for (n, g, v, p) in parts
    ]
    score = sum(f.points for f in factors)
    band = Band.RED if score < 50 else Band.YELLOW if score < 75 else Band.GREEN
    if account.attributes.tier == "enterprise" and band == Band.YELLOW and score >= 70:
        band = Band.GREEN
    return Scored(score=score, band=band, factors=factors)

def decode(batch):
    """The columnar batch (C2) as plain objects, as a Python SDK would give them."""
    strings = batch.strings
    fields = [FIELDS[f.value] for f in batch.fields]
    metric_names = [strings[i] for i in batch.metric_names]
    label_names = [strings[i] for i in batch.label_names]
    a = batch.accounts

    def text(column, i):
        if not column:
            return None
        k = column[i]
        return None if k == NONE else strings[k]

    def number(column, i):
        if not column:
            return None
        v = column[i]
        return None if v != v else v

    def snapshots(rows, start, stop):
        as_of = rows.as_of
        columns = [(name, conv, col) for (name, conv), col in zip(fields, rows.fields) if col]
        metrics = list(zip(metric_names, rows.metrics))
        out = []
        for r in range(start, stop):
            s = Snapshot()
            s.as_of = as_of[r]
            for name, conv, col in columns:
                v = col[r]
                if v == v:
                    setattr(s, name, conv(v))
            s.metrics = {n: c[r] for n, c in metrics if c[r] == c[r]}
            out.append(s)
        return out

    current = snapshots(batch.current, 0, len(batch.current.as_of))
    history_start = batch.history.account_start
    out = []
    for i, snapshot in enumerate(current):
        t = Attributes()
        t.name, t.owner, t.tier, t.plan = (text(a.name, i), text(a.owner, i), text(a.tier, i), text(a.plan, i))
        start = number(a.start_date, i)
        t.start_date = None if start is None else int(start)
        renewal = number(a.renewal_date, i)
        t.renewal_date = None if renewal is None else int(renewal)
        t.contract_arr = number(a.contract_arr, i)
        if a.label_start:
            t.labels = {
                label_names[a.label_name[k]]: strings[a.label_value[k]]
                for k in range(a.label_start[i], a.label_start[i + 1])
            }
        account = Account()
        account.id = text(a.id, i)
        account.attributes = t
        account.current = snapshot
        account.history = (
            snapshots(batch.history, history_start[i], history_start[i + 1]) if history_start else []
        )
        account.health = []
        out.append(account)
    return out

FIELD_INDEX = {name: i for i, (name, _) in enumerate(FIELDS)}


class Rows:
    """A batch's snapshot rows, their columns found by field name once."""

    __slots__ = ("as_of", "columns", "metrics")

    def __init__(self, rows, fields, metric_names):
        self.as_of = rows.as_of
        self.columns = {
            name: (conv, col) for (name, conv), col in zip(fields, rows.fields) if col
        }
        self.metrics = dict(zip(metric_names, rows.metrics))


class SnapshotView:
    """A snapshot read from the columns on access: only what the rule reads
    is ever turned into Python objects."""

    __slots__ = ("_rows", "_r")

    def __init__(self, rows, r):
        self._rows = rows
        self._r = r

    @property
    def as_of(self):
        return self._rows.as_of[self._r]

    @property
    def metrics(self):
        r = self._r
        return {n: c[r] for n, c in self._rows.metrics.items() if c[r] == c[r]}

    def __getattr__(self, name):
        column = self._rows.columns.get(name)
        if column is None:
            if name in FIELD_INDEX:
                return None
            raise AttributeError(name)
        v = column[1][self._r]
        return None if v != v else column[0](v)


class AttributesView:
    """Attributes read from the account columns on access."""

    __slots__ = ("_strings", "_texts", "_numbers", "_i")

    def __init__(self, strings, texts, numbers, i):
        self._strings = strings
        self._texts = texts
        self._numbers = numbers
        self._i = i

    def __getattr__(self, name):
        column = self._texts.get(name)
        if column is not None:
            if not column:
                return None
            k = column[self._i]
            return None if k == NONE else self._strings[k]
        number = self._numbers.get(name)
        if number is not None:
            conv, column = number
            if not column:
                return None
            v = column[self._i]
            return None if v != v else conv(v)
        if name in ("renewal_confidence",):
            return None
        if name == "labels":
            return {}
        raise AttributeError(name)


def metric_view(snapshot, name):
    if isinstance(snapshot, SnapshotView):
        column = snapshot._rows.metrics.get(name)
        if column is None:
            return None
        v = column[snapshot._r]
        return None if v != v else v
    return metric(snapshot, name)


def decode_lazy(batch):
    """The columnar batch (C2) as account objects whose snapshots read the
    columns on access."""
    strings = batch.strings
    fields = [FIELDS[f.value] for f in batch.fields]
    metric_names = [strings[i] for i in batch.metric_names]
    current = Rows(batch.current, fields, metric_names)
    history = Rows(batch.history, fields, metric_names)
    history_start = batch.history.account_start
    a = batch.accounts
    texts = {"name": a.name, "owner": a.owner, "tier": a.tier, "plan": a.plan}
    numbers = {
        "start_date": (int, a.start_date),
        "renewal_date": (int, a.renewal_date),
        "contract_arr": (float, a.contract_arr),
    }
    out = []
    for i in range(len(batch.current.as_of)):
        t = AttributesView(strings, texts, numbers, i)
        account = Account()
        account.id = strings[a.id[i]] if a.id else None
        account.attributes = t
        account.current = SnapshotView(current, i)
        account.history = (
            [SnapshotView(history, r) for r in range(history_start[i], history_start[i + 1])]
            if history_start
            else []
        )
        account.health = []
        out.append(account)
    return out


class Health(exports.Health):
    def metadata(self):
        return PluginMetadata(
            name="layout-probe-py",
            version="0.0.1",
            kind=PluginKind.HEALTH_MODEL,
            description="Bench probe of the contract layouts (vitals-bench layouts).",
            config_schema='{"type": "object"}',
            reads=[],
        )

    def score(self, config, as_of, accounts):
        return [Ok(rule(a)) for a in accounts]

class ColumnarList(exports.ColumnarList):
    def score(self, config, as_of, batch):
        return [Ok(rule(a)) for a in decode(batch)]

    def score_owned(self, config, as_of, batch):
        # The probe's second decoder: lazy views instead of plain objects.
        return [Ok(rule(a)) for a in decode_lazy(batch)]

    def receive(self, as_of, batch):
        return len(batch.current.as_of)
