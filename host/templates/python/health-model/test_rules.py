import unittest

import rules
import vitals_sdk
from common import AccountError, ConfigError
from tests.fixtures import account
from vitals_sdk import Band
from wit_world.imports.types import Field, PluginError_MissingData, PluginKind


class RulesTest(unittest.TestCase):
    def test_utilisation_sets_score_and_band(self):
        config = rules.parse_config("{}")
        health = rules.evaluate(config, 20454, account(seats_purchased=10, seats_active=9))
        self.assertAlmostEqual(health.score, 90.0)
        self.assertEqual(health.band, Band.GREEN)
        self.assertAlmostEqual(sum(f.points for f in health.factors), health.score)

    def test_blank_seats_are_missing_data(self):
        with self.assertRaises(AccountError):
            rules.evaluate(rules.parse_config("{}"), 20454, account())

    def test_bad_configuration_names_the_field(self):
        with self.assertRaises(ConfigError) as e:
            rules.parse_config('{"red_below": "low"}')
        self.assertIn("red_below", str(e.exception))


class ComponentTest(unittest.TestCase):
    """The rules as the component runs them, through vitals_sdk."""

    def test_a_batch_gets_one_result_per_account_with_names_in_a_table(self):
        batch = vitals_sdk.batch_of([account(seats_purchased=10, seats_active=9), account(id="blank")])
        out = vitals_sdk.run(rules, PluginKind.HEALTH_MODEL, "{}", 20454, batch)
        scored, blank = out.results
        self.assertAlmostEqual(scored.value.score, 90.0)
        self.assertEqual([out.names[f.name] for f in scored.value.factors], ["licence-utilisation"])
        self.assertIsInstance(blank.value, PluginError_MissingData)

    def test_the_metadata_declares_what_the_rules_read(self):
        reads = vitals_sdk.metadata(rules, PluginKind.HEALTH_MODEL).reads
        self.assertEqual(reads.current.fields, [Field.SEATS_PURCHASED, Field.SEATS_ACTIVE])
