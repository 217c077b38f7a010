import unittest

import rules
from tests.fixtures import account


class RulesTest(unittest.TestCase):
    def test_propensity_rises_with_utilisation_above_the_floor(self):
        config = rules.parse_config("{}")
        full = rules.evaluate(config, 20454, account(seats_purchased=10, seats_active=10))
        half = rules.evaluate(config, 20454, account(seats_purchased=10, seats_active=5))
        self.assertAlmostEqual(full.score, 1.0)
        self.assertAlmostEqual(half.score, 0.0)
        self.assertAlmostEqual(sum(d.contribution for d in full.drivers), full.score)

    def test_blank_seats_are_missing_data(self):
        with self.assertRaises(rules.AccountError):
            rules.evaluate(rules.parse_config("{}"), 20454, account())
