import unittest

import rules
from tests.fixtures import account
from wit_world.imports.types import Band


class RulesTest(unittest.TestCase):
    def test_utilisation_sets_score_and_band(self):
        config = rules.parse_config("{}")
        health = rules.evaluate(config, 20454, account(seats_purchased=10, seats_active=9))
        self.assertAlmostEqual(health.score, 90.0)
        self.assertEqual(health.band, Band.GREEN)
        self.assertAlmostEqual(sum(f.points for f in health.factors), health.score)

    def test_blank_seats_are_missing_data(self):
        with self.assertRaises(rules.AccountError):
            rules.evaluate(rules.parse_config("{}"), 20454, account())

    def test_bad_configuration_names_the_field(self):
        with self.assertRaises(rules.ConfigError) as e:
            rules.parse_config('{"red_below": "low"}')
        self.assertIn("red_below", str(e.exception))
