import unittest

import rules
from tests.fixtures import account
from wit_world.imports.types import Band, HealthPoint


class RulesTest(unittest.TestCase):
    def test_a_red_account_renews_less_likely(self):
        config = rules.parse_config("{}")
        red = account(contract_arr=1000.0, health=[HealthPoint(as_of=20454, score=20.0, band=Band.RED)])
        green = account(contract_arr=1000.0)
        self.assertAlmostEqual(rules.evaluate(config, 20454, red).expected_renewal_arr, 400.0)
        self.assertAlmostEqual(rules.evaluate(config, 20454, green).expected_renewal_arr, 900.0)

    def test_no_contract_value_is_missing_data(self):
        with self.assertRaises(rules.AccountError):
            rules.evaluate(rules.parse_config("{}"), 20454, account())
