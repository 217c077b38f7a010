"""Unit tests of the scoring rules, run natively: `vitals plugin test`
(or the e2e suite) generates the WIT types with componentize-py and runs
`python -m unittest` with them on the path. Accounts are vitals_sdk's plain
objects, shaped as the SDK presents a batch's accounts to the rules."""

import json
import unittest

import adoption
import vitals_sdk
from componentize_py_types import Err, Ok
from vitals_sdk import Account, Attributes, Band, Snapshot
from wit_world.imports.types import (
    PluginError_InvalidInput,
    PluginError_MissingData,
    PluginKind,
    Window_Days,
)

AS_OF = 20454  # 2026-01-01


def snapshot(as_of=AS_OF, **measures):
    return Snapshot(as_of=as_of, **measures)


def account(current, history=(), tier=None):
    return Account(id="acme", attributes=Attributes(tier=tier), current=current, history=list(history))


THRIVING = snapshot(
    seats_purchased=100, seats_active=95, logins=1900, features_used=14,
    features_available=20, tickets_open=0, tickets_high_severity=0, nps=9,
    csat=92.0, champion_left=False, late_payments=0,
)
STRUGGLING = snapshot(
    seats_purchased=100, seats_active=15, logins=40, features_used=1,
    features_available=20, tickets_open=9, tickets_high_severity=3, nps=2,
    csat=35.0, champion_left=True, late_payments=3,
)
DEFAULTS = adoption.parse_config("{}")


class ScoreTest(unittest.TestCase):
    def test_a_thriving_account_is_green_and_factors_add_up(self):
        h = adoption.score(DEFAULTS, account(THRIVING))
        self.assertEqual(h.band, Band.GREEN)
        self.assertGreater(h.score, 85)
        self.assertAlmostEqual(sum(f.points for f in h.factors), h.score, places=9)
        self.assertAlmostEqual(sum(f.weight for f in h.factors), 1.0, places=9)

    def test_a_struggling_account_is_red(self):
        h = adoption.score(DEFAULTS, account(STRUGGLING))
        self.assertEqual(h.band, Band.RED)
        self.assertLess(h.score, 20)

    def test_momentum_compares_with_the_oldest_snapshot_in_the_window(self):
        earlier = snapshot(AS_OF - 170, seats_purchased=100, seats_active=95, logins=1900)
        too_old = snapshot(AS_OF - 400, seats_purchased=100, seats_active=10, logins=10)
        shrinking = snapshot(seats_purchased=100, seats_active=60, logins=950, nps=8)
        h = adoption.score(DEFAULTS, account(shrinking, [too_old, earlier]))
        trend = {f.name: f.value for f in h.factors}
        self.assertAlmostEqual(trend["active-seats-trend"], -35 / 95)
        self.assertAlmostEqual(trend["logins-trend"], -0.5)
        flat = adoption.score(DEFAULTS, account(shrinking))
        self.assertNotIn("active-seats-trend", [f.name for f in flat.factors])

    def test_blank_measures_are_dropped_and_too_few_is_missing_data(self):
        sparse = snapshot(seats_purchased=10, seats_active=9, nps=9, csat=90.0)
        h = adoption.score(DEFAULTS, account(sparse))
        self.assertEqual([f.name for f in h.factors], ["licence-utilisation", "nps", "csat"])
        with self.assertRaises(adoption.AccountError) as e:
            adoption.score(DEFAULTS, account(snapshot(nps=9)))
        self.assertIsInstance(e.exception.error, PluginError_MissingData)
        self.assertIn("1 of 11 measures present", e.exception.error.value)

    def test_more_active_seats_than_purchased_is_invalid_input(self):
        with self.assertRaises(adoption.AccountError) as e:
            adoption.score(DEFAULTS, account(snapshot(seats_purchased=5, seats_active=9, nps=9, csat=80.0)))
        self.assertIsInstance(e.exception.error, PluginError_InvalidInput)
        self.assertIn("seats-active 9 exceeds seats-purchased 5", e.exception.error.value)

    def test_tiers_move_the_bands(self):
        config = adoption.parse_config(json.dumps({"tiers": {"enterprise": {"yellow_below": 99}}}))
        self.assertEqual(adoption.score(config, account(THRIVING)).band, Band.GREEN)
        self.assertEqual(adoption.score(config, account(THRIVING, tier="enterprise")).band, Band.YELLOW)

    def test_a_group_weighted_zero_contributes_nothing(self):
        config = adoption.parse_config(json.dumps({"weights": {"feedback": 0}}))
        h = adoption.score(config, account(THRIVING))
        self.assertTrue(all(f.weight == 0 for f in h.factors if f.group == "feedback"))


class ConfigTest(unittest.TestCase):
    def test_bad_fields_are_named(self):
        for text, field in [
            ('{"red_below": 80, "yellow_below": 60}', "red_below (80)"),
            ('{"weights": {"usage": -1}}', "weights/usage"),
            ('{"weights": {"vibes": 1}}', "weights/vibes"),
            ('{"colour": "red"}', "colour"),
            ('{"tiers": {"smb": {"red_below": 101}}}', "tiers/smb/red_below"),
            ('{"trend_days": 0}', "trend_days"),
            ("[1]", "JSON object"),
            ("{", "not JSON"),
        ]:
            with self.subTest(text=text):
                with self.assertRaises(adoption.ConfigError) as e:
                    adoption.parse_config(text)
                self.assertIn(field, str(e.exception))

    def test_the_schema_accepts_the_defaults_fields(self):
        self.assertEqual(set(adoption.CONFIG_SCHEMA["properties"]), set(adoption.DEFAULTS))


class ThroughTheSdkTest(unittest.TestCase):
    """The rules as the component runs them: a columnar batch in, one result
    or error per account out, factor names in the call's table."""

    def test_a_batch_scores_each_account_in_order(self):
        earlier = snapshot(AS_OF - 170, seats_active=95, logins=1900)
        shrinking = snapshot(seats_purchased=100, seats_active=60, logins=950, nps=8)
        batch = vitals_sdk.batch_of(
            [account(THRIVING), account(snapshot(nps=9)), account(shrinking, [earlier])]
        )
        out = vitals_sdk.run(adoption, PluginKind.HEALTH_MODEL, "{}", AS_OF, batch)
        thriving, sparse, trending = out.results
        self.assertIsInstance(thriving, Ok)
        direct = adoption.score(DEFAULTS, account(THRIVING))
        self.assertAlmostEqual(thriving.value.score, direct.score, places=9)
        self.assertEqual(
            [(out.names[f.name], out.names[f.group]) for f in thriving.value.factors],
            [(f.name, f.group) for f in direct.factors],
        )
        self.assertIsInstance(sparse, Err)
        self.assertIsInstance(sparse.value, PluginError_MissingData)
        factors = {out.names[f.name]: f.value for f in trending.value.factors}
        self.assertAlmostEqual(factors["active-seats-trend"], -35 / 95)
        self.assertEqual(len(out.names), len(set(out.names)), "each name once")

    def test_the_history_window_follows_trend_days(self):
        self.assertEqual(vitals_sdk.project(adoption, '{"trend_days": 90}').history, Window_Days(90))
        reads = vitals_sdk.metadata(adoption, PluginKind.HEALTH_MODEL).reads
        self.assertEqual(reads.history, Window_Days(DEFAULTS["trend_days"]))
        self.assertEqual(len(reads.current.fields), len(adoption.CURRENT_FIELDS))


if __name__ == "__main__":
    unittest.main()
