"""weighted-health as an analyst writes it in a notebook: pandas and numpy.

The Python peer of `vitals-bench peers`. Reads snapshots from a CSV in
Vitals' canonical ingest columns (one row per account and day, attributes on
every row, free-form metric columns such as `webinars_attended`), scores
every account as of a day with the same scorecard as the `weighted-health`
reference plugin with its default configuration (plugins/weighted-health:
same measures, weights, thresholds, renormalisation over the measures
present, onboarding rule; the defaults have no tier overrides, so neither
has this script), and writes one row per account back: score, band, the
points of each factor, or the error.

Everything is vectorised: one column operation per measure and rule over all
accounts at once, no Python loop over accounts.

    python score.py SNAPSHOTS.csv SCORES.csv [--as-of 2026-01-01]
    python score.py --serve    # commands on stdin, for the benchmark

In `--serve` mode each line `score IN OUT AS_OF_DAYS` reads, scores and
writes as above and answers one JSON line with the seconds each step took
(`read_s`, `compute_s`, `write_s`) and the number of accounts, so the bench
times a warm interpreter (pandas imported once, as in a notebook).
"""

import argparse
import json
import sys
import time

import numpy as np
import pandas as pd

# The weighted-health defaults (plugins/weighted-health/src/config.rs).
DEFAULT_CONFIG = {
    "red_below": 50.0,
    "yellow_below": 75.0,
    "groups": {
        "usage": 0.35,
        "engagement": 0.10,
        "support": 0.20,
        "feedback": 0.20,
        "account-changes": 0.15,
    },
    "measures": [
        {"measure": "licence-utilisation", "group": "usage", "weight": 0.5, "worst": 0.2, "best": 0.9},
        {"measure": "logins-per-seat", "group": "usage", "weight": 0.25, "worst": 1.0, "best": 15.0},
        {"measure": "feature-breadth", "group": "usage", "weight": 0.25, "worst": 0.1, "best": 0.6},
        {"measure": "webinars-attended", "group": "engagement", "weight": 0.5, "worst": 0.0, "best": 3.0},
        {"measure": "community-posts", "group": "engagement", "weight": 0.5, "worst": 0.0, "best": 5.0},
        {"measure": "tickets-open", "group": "support", "weight": 0.4, "worst": 10.0, "best": 0.0},
        {"measure": "tickets-high-severity", "group": "support", "weight": 0.6, "worst": 3.0, "best": 0.0},
        {"measure": "nps", "group": "feedback", "weight": 0.6, "worst": 0.0, "best": 10.0},
        {"measure": "csat", "group": "feedback", "weight": 0.4, "worst": 40.0, "best": 95.0},
        {"measure": "champion-left", "group": "account-changes", "weight": 0.4, "worst": 1.0, "best": 0.0},
        {"measure": "late-payments", "group": "account-changes", "weight": 0.3, "worst": 3.0, "best": 0.0},
        {"measure": "arr-change-90d", "group": "account-changes", "weight": 0.3, "worst": -0.3, "best": 0.0},
    ],
    "onboarding_days": 90,
    "onboarding_metric": "onboarding-progress",
}

EPOCH = np.datetime64("1970-01-01", "D")


def days(column):
    """YYYY-MM-DD text to days since 1970-01-01 (NaN where blank)."""
    parsed = pd.to_datetime(column, format="%Y-%m-%d")
    out = (parsed.values.astype("datetime64[D]") - EPOCH).astype("float64")
    out[parsed.isna().values] = np.nan
    return out


def read(path):
    """The snapshots, with dates as day numbers and champion_left as 1/0."""
    df = pd.read_csv(path, dtype={"account_id": str, "tier": str})
    for col in ("as_of", "start_date"):
        df[col] = days(df[col])
    df["champion_left"] = df["champion_left"].map(
        {True: 1.0, False: 0.0, "true": 1.0, "false": 0.0, 1: 1.0, 0: 0.0}
    )
    return df


def ratio(num, den):
    """num / den where den > 0 and both are present, else NaN."""
    ok = (den > 0) & num.notna() & den.notna()
    return (num / den.where(ok)).where(ok)


def change_over(snaps, current, column, days_back):
    """Relative change of `column` since the latest earlier snapshot at least
    `days_back` days before the current one (SDK `measures::change_over`)."""
    left = pd.DataFrame(
        {"account_id": current["account_id"].values, "cutoff": current["as_of"].values - days_back}
    )
    left["row"] = np.arange(len(left))
    earlier = snaps[["account_id", "as_of", column]].rename(columns={column: "old"})
    matched = pd.merge_asof(
        left.sort_values("cutoff"),
        earlier.sort_values("as_of"),
        left_on="cutoff",
        right_on="as_of",
        by="account_id",
        direction="backward",
    ).sort_values("row")
    now = current[column].values
    old = matched["old"].values
    with np.errstate(divide="ignore", invalid="ignore"):
        change = (now - old) / np.abs(old)
    change[(old == 0) | np.isnan(old) | np.isnan(now)] = np.nan
    return pd.Series(change, index=current.index)


def measure_values(name, snaps, current, as_of, metric_columns):
    """The value of one measure for every account (NaN where blank)."""
    c = current
    if name == "licence-utilisation":
        v = ratio(c["seats_active"], c["seats_purchased"])
    elif name == "logins-per-seat":
        seats = c["seats_active"].fillna(c["seats_purchased"])
        v = ratio(c["logins"], seats)
    elif name == "feature-breadth":
        v = ratio(c["features_used"], c["features_available"])
    elif name in ("tickets-open", "tickets-high-severity", "nps", "csat", "champion-left", "late-payments"):
        v = c[name.replace("-", "_")]
    elif name == "arr-change-90d":
        v = change_over(snaps, c, "arr", 90)
    elif name == "logins-change-90d":
        v = change_over(snaps, c, "logins", 90)
    elif name == "tenure-days":
        v = as_of - c["start_date"]
    elif name in metric_columns:
        v = c[metric_columns[name]]
    else:
        v = pd.Series(np.nan, index=c.index)
    v = v.astype("float64")
    return v.where(np.isfinite(v))


def scale(value, worst, best):
    """0 points at `worst`, 100 at `best`, linear and clamped (SDK `measures::scale`)."""
    if best == worst:
        return np.where(value >= best, 100.0, 0.0)
    return np.clip((value - worst) / (best - worst) * 100.0, 0.0, 100.0) + 0.0


def score(snaps, as_of, config):
    """One row per account: score, band, factor points, error."""
    snaps = snaps[snaps["as_of"] <= as_of].sort_values(["account_id", "as_of"], kind="stable")
    current = snaps.groupby("account_id", sort=False).tail(1).reset_index(drop=True)
    known = {
        "account_id", "as_of", "name", "owner", "tier", "plan", "start_date", "renewal_date",
        "contract_arr", "renewal_confidence", "seats_purchased", "seats_active", "logins",
        "features_used", "features_available", "tickets_open", "tickets_high_severity", "nps",
        "csat", "arr", "champion_left", "late_payments",
    }
    metric_columns = {c.lower().replace("_", "-").replace(" ", "-"): c for c in snaps.columns if c not in known}
    n = len(current)

    # Measures whose group carries weight, with their raw weight and values.
    rules = []
    for rule in config["measures"]:
        raw = config["groups"].get(rule["group"], 0.0) * rule["weight"]
        if raw > 0:
            value = measure_values(rule["measure"], snaps, current, as_of, metric_columns).values
            rules.append((rule, raw, value))

    # Renormalise over the measures each account has, in rule order as the plugin does.
    total = np.zeros(n)
    for _, raw, value in rules:
        total += np.where(np.isnan(value), 0.0, raw)
    out = pd.DataFrame({"account_id": current["account_id"].values})
    points_sum = np.zeros(n)
    with np.errstate(divide="ignore", invalid="ignore"):
        for rule, raw, value in rules:
            points = np.where(np.isnan(value), 0.0, raw / total * scale(value, rule["worst"], rule["best"]))
            points_sum += points
            out[rule["measure"]] = points
    weighted_score = np.clip(points_sum, 0.0, 100.0)

    # Onboarding accounts are scored on onboarding progress alone.
    tenure = as_of - current["start_date"].values
    metric = config["onboarding_metric"]
    progress = (
        current[metric_columns[metric]].values.astype("float64")
        if metric in metric_columns
        else np.full(n, np.nan)
    )
    onboarding = (tenure < config["onboarding_days"]) & ~np.isnan(progress)
    final = np.where(onboarding, np.clip(progress, 0.0, 100.0), weighted_score)
    for rule, _, _ in rules:
        out.loc[onboarding, rule["measure"]] = 0.0
    out["onboarding"] = np.where(onboarding, final, 0.0)

    red, yellow = config["red_below"], config["yellow_below"]
    missing = ~onboarding & (total <= 0)
    out.insert(1, "score", np.where(missing, np.nan, final))
    out.insert(2, "band", np.where(missing, "", np.where(final < red, "red", np.where(final < yellow, "yellow", "green"))))
    out["error"] = np.where(missing, "none of the configured measures has a value for this account", "")
    return out


def run(in_path, out_path, as_of, config=DEFAULT_CONFIG):
    t0 = time.perf_counter()
    snaps = read(in_path)
    t1 = time.perf_counter()
    scores = score(snaps, as_of, config)
    t2 = time.perf_counter()
    scores.to_csv(out_path, index=False)
    t3 = time.perf_counter()
    return {"accounts": len(scores), "read_s": t1 - t0, "compute_s": t2 - t1, "write_s": t3 - t2}


def serve():
    """Answers `score IN OUT AS_OF_DAYS` lines with one JSON line each."""
    print(json.dumps({"ready": True, "pandas": pd.__version__, "numpy": np.__version__}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if words == ["quit"]:
            break
        try:
            if len(words) != 4 or words[0] != "score":
                raise ValueError(f"unknown command {line.strip()!r} (score IN OUT AS_OF_DAYS | quit)")
            reply = run(words[1], words[2], int(words[3]))
        except Exception as e:  # the bench shows the message and stops
            reply = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(reply), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("snapshots", nargs="?")
    p.add_argument("scores", nargs="?")
    p.add_argument("--as-of", help="YYYY-MM-DD (default: the latest as_of in the file)")
    p.add_argument("--serve", action="store_true", help="answer commands on stdin")
    args = p.parse_args()
    if args.serve:
        serve()
        return
    if not (args.snapshots and args.scores):
        p.error("SNAPSHOTS and SCORES are required without --serve")
    if args.as_of:
        as_of = int(days(pd.Series([args.as_of]))[0])
    else:
        as_of = int(np.nanmax(days(pd.read_csv(args.snapshots, usecols=["as_of"])["as_of"])))
    print(json.dumps(run(args.snapshots, args.scores, as_of)))


if __name__ == "__main__":
    main()
