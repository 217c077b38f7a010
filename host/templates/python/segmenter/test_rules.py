import unittest

import rules
import vitals_sdk
from common import ConfigError
from tests.fixtures import account
from wit_world.imports.types import Field, PluginKind


class RulesTest(unittest.TestCase):
    def test_high_utilisation_is_expansion_ready_with_its_reason(self):
        segments = rules.evaluate(rules.parse_config("{}"), 20454, account(seats_purchased=10, seats_active=9))
        self.assertEqual([s.name for s in segments], ["expansion-ready"])
        self.assertIn("90%", segments[0].reason)

    def test_low_utilisation_is_in_no_segment(self):
        self.assertEqual(rules.evaluate(rules.parse_config("{}"), 20454, account(seats_purchased=10, seats_active=2)), [])

    def test_bad_configuration_names_the_field(self):
        with self.assertRaises(ConfigError) as e:
            rules.parse_config('{"colour": 1}')
        self.assertIn("colour", str(e.exception))


class ComponentTest(unittest.TestCase):
    """The rules as the component runs them, through vitals_sdk."""

    def test_a_batch_gets_one_result_per_account_with_names_in_a_table(self):
        batch = vitals_sdk.batch_of([account(seats_purchased=10, seats_active=9), account(id="idle", seats_purchased=10)])
        out = vitals_sdk.run(rules, PluginKind.SEGMENTER, "{}", 20454, batch)
        ready, idle = out.results
        self.assertEqual([out.names[s.name] for s in ready.value], ["expansion-ready"])
        self.assertEqual(idle.value, [])

    def test_the_metadata_declares_what_the_rules_read(self):
        reads = vitals_sdk.metadata(rules, PluginKind.SEGMENTER).reads
        self.assertEqual(reads.current.fields, [Field.SEATS_PURCHASED, Field.SEATS_ACTIVE])
