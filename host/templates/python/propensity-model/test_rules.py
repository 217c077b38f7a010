import unittest

import rules
import vitals_sdk
from common import AccountError
from tests.fixtures import account
from wit_world.imports.types import Field, PluginError_MissingData, PluginKind


class RulesTest(unittest.TestCase):
    def test_propensity_rises_with_utilisation_above_the_floor(self):
        config = rules.parse_config("{}")
        full = rules.evaluate(config, 20454, account(seats_purchased=10, seats_active=10))
        half = rules.evaluate(config, 20454, account(seats_purchased=10, seats_active=5))
        self.assertAlmostEqual(full.score, 1.0)
        self.assertAlmostEqual(half.score, 0.0)
        self.assertAlmostEqual(sum(d.contribution for d in full.drivers), full.score)

    def test_blank_seats_are_missing_data(self):
        with self.assertRaises(AccountError):
            rules.evaluate(rules.parse_config("{}"), 20454, account())


class ComponentTest(unittest.TestCase):
    """The rules as the component runs them, through vitals_sdk."""

    def test_a_batch_gets_one_result_per_account_with_names_in_a_table(self):
        batch = vitals_sdk.batch_of([account(seats_purchased=10, seats_active=10), account(id="blank")])
        out = vitals_sdk.run(rules, PluginKind.PROPENSITY_MODEL, "{}", 20454, batch)
        full, blank = out.results
        self.assertAlmostEqual(full.value.score, 1.0)
        self.assertEqual([out.names[d.name] for d in full.value.drivers], ["licence-utilisation"])
        self.assertIsInstance(blank.value, PluginError_MissingData)

    def test_the_metadata_declares_what_the_rules_read(self):
        reads = vitals_sdk.metadata(rules, PluginKind.PROPENSITY_MODEL).reads
        self.assertEqual(reads.current.fields, [Field.SEATS_PURCHASED, Field.SEATS_ACTIVE])
