import unittest

import rules
import vitals_sdk
from common import AccountError
from tests.fixtures import account
from vitals_sdk import Band, HealthPoint
from wit_world.imports.types import Attribute, PluginError_MissingData, PluginKind, Window_Latest


class RulesTest(unittest.TestCase):
    def test_a_red_account_renews_less_likely(self):
        config = rules.parse_config("{}")
        red = account(contract_arr=1000.0, health=[HealthPoint(as_of=20454, score=20.0, band=Band.RED)])
        green = account(contract_arr=1000.0)
        self.assertAlmostEqual(rules.evaluate(config, 20454, red).expected_renewal_arr, 400.0)
        self.assertAlmostEqual(rules.evaluate(config, 20454, green).expected_renewal_arr, 900.0)

    def test_no_contract_value_is_missing_data(self):
        with self.assertRaises(AccountError):
            rules.evaluate(rules.parse_config("{}"), 20454, account())


class ComponentTest(unittest.TestCase):
    """The rules as the component runs them, through vitals_sdk."""

    def test_a_batch_gets_one_result_per_account(self):
        red = account(contract_arr=1000.0, renewal_date=20500, health=[HealthPoint(20440, 20.0, Band.RED)])
        batch = vitals_sdk.batch_of([red, account(id="blank")])
        out = vitals_sdk.run(rules, PluginKind.FORECASTER, "{}", 20454, batch)
        forecast, blank = out.results
        self.assertAlmostEqual(forecast.value.expected_renewal_arr, 400.0)
        self.assertEqual(forecast.value.renewal_date, 20500)
        self.assertIsInstance(blank.value, PluginError_MissingData)

    def test_the_metadata_declares_what_the_rules_read(self):
        reads = vitals_sdk.metadata(rules, PluginKind.FORECASTER).reads
        self.assertEqual(reads.attributes, [Attribute.CONTRACT_ARR, Attribute.RENEWAL_DATE])
        self.assertEqual(reads.health, Window_Latest(1))
