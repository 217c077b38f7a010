import unittest

import rules
from tests.fixtures import account


class RulesTest(unittest.TestCase):
    def test_high_utilisation_is_expansion_ready_with_its_reason(self):
        segments = rules.evaluate(rules.parse_config("{}"), 20454, account(seats_purchased=10, seats_active=9))
        self.assertEqual([s.name for s in segments], ["expansion-ready"])
        self.assertIn("90%", segments[0].reason)

    def test_low_utilisation_is_in_no_segment(self):
        self.assertEqual(rules.evaluate(rules.parse_config("{}"), 20454, account(seats_purchased=10, seats_active=2)), [])

    def test_bad_configuration_names_the_field(self):
        with self.assertRaises(rules.ConfigError) as e:
            rules.parse_config('{"colour": 1}')
        self.assertIn("colour", str(e.exception))
