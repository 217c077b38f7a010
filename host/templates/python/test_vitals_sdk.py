"""Unit tests of vitals_sdk, natively: run with the contract's Python types
on the path (`componentize-py -d wit/0.2 -w health-model bindings DIR`,
then `PYTHONPATH=.:DIR python -m unittest test_vitals_sdk`)."""

import math
import struct
import unittest
from types import SimpleNamespace

import vitals_sdk as sdk
from componentize_py_types import Err, Ok
from wit_world.imports import types as wit

NAN = math.nan
AS_OF = 20454  # 2026-01-01


def f64(*values):
    """A number column as componentize-py lifts it: the values' little-endian bytes."""
    return struct.pack(f"<{len(values)}d", *values)


def hand_built_batch():
    """Two accounts as a host would send them: acme with two earlier
    snapshots, labels and health points; blank-co with blanks everywhere."""
    strings = ["acme", "Acme Ltd", "enterprise", "webinars", "region", "emea", "blank-co", "tickets-closed"]
    return wit.Batch(
        strings=strings,
        # Column order is the host's choice, not the enum's.
        fields=[wit.Field.SEATS_ACTIVE, wit.Field.SEATS_PURCHASED, wit.Field.CHAMPION_LEFT, wit.Field.CSAT],
        metric_names=[3, 7],
        label_names=[4],
        accounts=wit.Accounts(
            id=[0, 6],
            name=[1, sdk.NO_STRING],
            owner=[],  # not asked for
            tier=[2, sdk.NO_STRING],
            plan=[],
            start_date=[20000, sdk.NO_DATE],
            renewal_date=[20500, sdk.NO_DATE],
            contract_arr=f64(12000.0, NAN),
            renewal_confidence=bytes([1, sdk.NO_CONFIDENCE]),
            label_start=[0, 1, 1],
            label_name=[0],
            label_value=[5],
        ),
        current=wit.Rows(
            as_of=[AS_OF, AS_OF - 3],
            fields=[f64(9.0, NAN), f64(10.0, NAN), f64(1.0, NAN), f64(87.5, NAN)],
            metrics=[f64(2.0, NAN), f64(NAN, 4.0)],
        ),
        history=wit.History(
            account_start=[0, 2, 2],
            rows=wit.Rows(
                as_of=[AS_OF - 180, AS_OF - 90],
                # History reads fewer fields: an empty column was not sent.
                fields=[f64(5.0, 7.0), b"", b"", b""],
                metrics=[f64(0.0, 1.0), b""],
            ),
        ),
        health=wit.HealthPoints(
            account_start=[0, 2, 2],
            as_of=[AS_OF - 90, AS_OF - 30],
            score=f64(80.0, 42.5),
            band=bytes([0, 2]),
        ),
    )


class DecodeTest(unittest.TestCase):
    def setUp(self):
        self.acme, self.blank = sdk.decode(hand_built_batch())

    def test_ids_and_attributes_read_their_columns(self):
        a = self.acme.attributes
        self.assertEqual(self.acme.id, "acme")
        self.assertEqual((a.name, a.tier, a.start_date, a.renewal_date), ("Acme Ltd", "enterprise", 20000, 20500))
        self.assertEqual(a.contract_arr, 12000.0)
        self.assertEqual(a.renewal_confidence, wit.Confidence.BEST_CASE)
        self.assertIsNone(a.owner, "a column not sent reads None")

    def test_blanks_read_none(self):
        a = self.blank.attributes
        self.assertEqual(self.blank.id, "blank-co")
        for name in sdk.ATTRIBUTES:
            self.assertIsNone(getattr(a, name), name)
        for name in sdk.FIELD_NAMES:
            self.assertIsNone(getattr(self.blank.current, name), name)

    def test_fields_have_todays_types_and_unsent_fields_read_none(self):
        s = self.acme.current
        self.assertEqual((s.as_of, s.seats_active, s.seats_purchased, s.csat), (AS_OF, 9, 10, 87.5))
        self.assertIsInstance(s.seats_active, int)
        self.assertIs(s.champion_left, True)
        self.assertIsNone(s.logins)

    def test_fields_are_read_from_the_columns_when_accessed(self):
        batch = hand_built_batch()
        batch.current.fields[0] = bytearray(batch.current.fields[0])
        acme = sdk.decode(batch)[0]
        batch.current.fields[0][0:8] = f64(3.0)
        self.assertEqual(acme.current.seats_active, 3)

    def test_a_partial_value_fails_the_call_naming_the_column(self):
        batch = hand_built_batch()
        batch.history.rows.metrics[0] = bytes(9)
        with self.assertRaises(Err) as raised:
            sdk.decode(batch)
        self.assertEqual(
            raised.exception.value,
            wit.PluginError_InvalidInput(
                "batch column history.rows.metrics[0] (webinars): 9 bytes, not a whole number of 8-byte values"
            ),
        )

    def test_history_is_the_accounts_rows_oldest_first(self):
        self.assertEqual([s.as_of for s in self.acme.history], [AS_OF - 180, AS_OF - 90])
        self.assertEqual([s.seats_active for s in self.acme.history], [5, 7])
        self.assertIsNone(self.acme.history[0].seats_purchased, "not read in the history")
        self.assertEqual(self.blank.history, [])

    def test_labels_and_health_points(self):
        self.assertEqual(self.acme.attributes.labels, [sdk.Label("region", "emea")])
        self.assertEqual(sdk.label(self.acme.attributes, "region"), "emea")
        self.assertIsNone(sdk.label(self.acme.attributes, "segment"))
        self.assertEqual(self.blank.attributes.labels, [])
        self.assertEqual(
            self.acme.health,
            [sdk.HealthPoint(AS_OF - 90, 80.0, wit.Band.GREEN), sdk.HealthPoint(AS_OF - 30, 42.5, wit.Band.RED)],
        )
        self.assertEqual(self.blank.health, [])

    def test_metrics_are_a_mapping_without_blanks(self):
        m = self.acme.current.metrics
        self.assertEqual(m["webinars"], 2.0)
        self.assertEqual(dict(m), {"webinars": 2.0})
        self.assertNotIn("tickets-closed", m)
        self.assertIsNone(m.get("tickets-closed"))
        with self.assertRaises(KeyError):
            m["tickets-closed"]
        self.assertEqual(dict(self.blank.current.metrics), {"tickets-closed": 4.0})
        self.assertEqual(self.acme.history[1].metrics.get("webinars"), 1.0)
        self.assertIsNone(self.acme.history[1].metrics.get("tickets-closed"), "column not sent")

    def test_metric_reads_mappings_and_0_1_records(self):
        self.assertEqual(sdk.metric(self.acme.current, "webinars"), 2.0)
        self.assertIsNone(sdk.metric(self.acme.current, "nope"))
        records = SimpleNamespace(metrics=[SimpleNamespace(name="webinars", value=3.0)])
        self.assertEqual(sdk.metric(records, "webinars"), 3.0)
        self.assertEqual(sdk.metric(sdk.Snapshot(AS_OF, metrics={"webinars": 1.0}), "webinars"), 1.0)

    def test_an_empty_batch_has_no_accounts(self):
        empty = wit.Batch(
            strings=[], fields=[], metric_names=[], label_names=[],
            accounts=wit.Accounts(*([[]] * 7), b"", b"", [], [], []),
            current=wit.Rows([], [], []),
            history=wit.History([], wit.Rows([], [], [])),
            health=wit.HealthPoints([], [], b"", b""),
        )
        self.assertEqual(sdk.decode(empty), [])


def plain_account(id="acme", **fields):
    return sdk.Account(id=id, attributes=sdk.Attributes(), current=sdk.Snapshot(AS_OF, **fields))


class BatchOfTest(unittest.TestCase):
    def test_plain_accounts_come_back_through_decode(self):
        given = sdk.Account(
            id="acme",
            attributes=sdk.Attributes(
                tier="smb", renewal_date=20600, contract_arr=500.0,
                renewal_confidence=wit.Confidence.OMITTED, labels=[sdk.Label("region", "us")],
            ),
            current=sdk.Snapshot(AS_OF, seats_active=4, champion_left=False, metrics={"webinars": 2.0}),
            history=[sdk.Snapshot(AS_OF - 30, seats_active=2)],
            health=[sdk.HealthPoint(AS_OF - 30, 55.0, wit.Band.YELLOW)],
        )
        (back,) = sdk.decode(sdk.batch_of([given]))
        for name in sdk.ATTRIBUTES + ["labels"]:
            self.assertEqual(getattr(back.attributes, name), getattr(given.attributes, name), name)
        for name in sdk.FIELD_NAMES + ["as_of"]:
            self.assertEqual(getattr(back.current, name), getattr(given.current, name), name)
        self.assertEqual(dict(back.current.metrics), {"webinars": 2.0})
        self.assertEqual([(s.as_of, s.seats_active) for s in back.history], [(AS_OF - 30, 2)])
        self.assertEqual(back.health, given.health)


class Rules:
    """A health model over licence utilisation."""

    NAME, VERSION, DESCRIPTION = "test-health", "1.0.0", "For tests."
    CONFIG_SCHEMA = {"type": "object"}
    READS = {"current": {"fields": ["seats-purchased", "seats-active"]}}


    @staticmethod
    def parse_config(text):
        if text == "bad":
            raise sdk.ConfigError("red_below: must be a number")
        return {}

    @staticmethod
    def evaluate(config, as_of, account):
        s = account.current
        if not s.seats_purchased:
            raise sdk.AccountError(wit.PluginError_MissingData("seats-purchased is blank or zero"))
        used = s.seats_active / s.seats_purchased
        return sdk.Health(
            score=used * 100,
            band=wit.Band.GREEN,
            factors=[
                sdk.Factor("licence-utilisation", "usage", used, 0.5, used * 50),
                sdk.Factor("nps", "feedback", None, 0.5, 50),
            ],
        )


class RunTest(unittest.TestCase):
    def batch(self):
        return sdk.batch_of([
            plain_account("a", seats_purchased=10, seats_active=5),
            plain_account("b"),
            plain_account("c", seats_purchased=4, seats_active=4),
        ])

    def test_results_are_in_order_with_names_sent_once(self):
        heard = []
        out = sdk.run(Rules, wit.PluginKind.HEALTH_MODEL, "{}", AS_OF, self.batch(), log=heard.append)
        self.assertIsInstance(out, wit.HealthResults)
        self.assertEqual(out.names, ["licence-utilisation", "usage", "nps", "feedback"])
        a, b, c = out.results
        self.assertIsInstance(a, Ok)
        self.assertEqual(a.value.factors[0], wit.Factor(0, 1, 0.5, 0.5, 25.0))
        self.assertEqual(a.value.factors[1], wit.Factor(2, 3, None, 0.5, 50.0))
        self.assertEqual(c.value.score, 100.0)
        self.assertEqual([(f.name, f.group) for f in c.value.factors], [(0, 1), (2, 3)])
        # The per-account error path: b alone fails, with the rules' error.
        self.assertEqual(b, Err(wit.PluginError_MissingData("seats-purchased is blank or zero")))
        self.assertEqual(heard, ["1 of 3 accounts had no result"])

    def test_a_bad_configuration_fails_the_call(self):
        with self.assertRaises(Err) as e:
            sdk.run(Rules, wit.PluginKind.HEALTH_MODEL, "bad", AS_OF, self.batch())
        self.assertEqual(e.exception.value, wit.PluginError_InvalidConfig("red_below: must be a number"))

    def test_segments_and_drivers_use_the_name_table(self):
        seg = SimpleNamespace(
            parse_config=lambda text: {},
            evaluate=lambda c, as_of, a: [sdk.Segment("dormant", f"{a.id} idle"), sdk.Segment("vip", "big")],
        )
        out = sdk.run(seg, wit.PluginKind.SEGMENTER, "{}", AS_OF, self.batch())
        self.assertEqual(out.names, ["dormant", "vip"])
        self.assertEqual(out.results[2], Ok([wit.Segment(0, "c idle"), wit.Segment(1, "big")]))
        prop = SimpleNamespace(
            parse_config=lambda text: {},
            evaluate=lambda c, as_of, a: sdk.Propensity(0.25, [sdk.Driver("usage", 1, 0.25)]),
        )
        out = sdk.run(prop, wit.PluginKind.PROPENSITY_MODEL, "{}", AS_OF, self.batch())
        self.assertEqual(out.names, ["usage"])
        self.assertEqual(out.results[0], Ok(wit.Propensity(0.25, [wit.Driver(0, 1.0, 0.25)])))

    def test_forecasts_pass_as_they_are(self):
        forecast = wit.Forecast(0.9, wit.Confidence.COMMIT, "why", None, 900.0, 0.0, 0.0)
        plugin = SimpleNamespace(parse_config=lambda text: {}, evaluate=lambda c, as_of, a: forecast)
        out = sdk.run(plugin, wit.PluginKind.FORECASTER, "{}", AS_OF, self.batch())
        self.assertEqual(out, wit.ForecastResults([Ok(forecast)] * 3))

    def test_a_name_must_be_text(self):
        bad = SimpleNamespace(parse_config=lambda text: {}, evaluate=lambda c, as_of, a: [sdk.Segment(7, "x")])
        with self.assertRaises(TypeError):
            sdk.run(bad, wit.PluginKind.SEGMENTER, "{}", AS_OF, self.batch())


class ProjectionTest(unittest.TestCase):
    def test_a_declaration_becomes_the_contracts_projection(self):
        p = sdk.projection({
            "attributes": ["tier", "renewal_date"],
            "labels": "all",
            "current": {"fields": ["seats-active", "nps"], "metrics": ["webinars"]},
            "history": {"days": 90, "fields": ["arr"]},
            "health": {"latest": 1},
        })
        self.assertEqual(p.attributes, [wit.Attribute.TIER, wit.Attribute.RENEWAL_DATE])
        self.assertEqual(p.labels, wit.Names_All())
        self.assertEqual(p.current, wit.Reads([wit.Field.SEATS_ACTIVE, wit.Field.NPS], wit.Names_Only(["webinars"])))
        self.assertEqual(p.history, wit.Window_Days(90))
        self.assertEqual(p.history_reads, wit.Reads([wit.Field.ARR], wit.Names_Only([])))
        self.assertEqual(p.health, wit.Window_Latest(1))

    def test_an_empty_declaration_reads_nothing(self):
        p = sdk.projection({})
        self.assertEqual((p.attributes, p.labels, p.history, p.health), ([], wit.Names_Only([]), wit.Window_None_(), wit.Window_None_()))
        self.assertEqual(sdk.projection({"current": {"fields": "all"}}).current.fields, list(wit.Field))
        self.assertEqual(sdk.projection({"history": {"all": True}}).history, wit.Window_All())

    def test_mistakes_are_named(self):
        for reads, words in [
            ({"curent": {}}, "unknown key 'curent'"),
            ({"current": {"fields": ["seats"]}}, "READS.current.fields: unknown field 'seats'"),
            ({"attributes": ["colour"]}, "unknown attribute 'colour'"),
            ({"history": {"fields": ["arr"]}}, "READS.history: give one of"),
            ({"health": {"days": -1}}, "READS.health.days"),
            ({"labels": "some"}, "READS.labels: must be a list"),
        ]:
            with self.subTest(reads=reads):
                with self.assertRaises(ValueError) as e:
                    sdk.projection(reads)
                self.assertIn(words, str(e.exception))

    def test_project_uses_the_configuration(self):
        plugin = SimpleNamespace(
            parse_config=lambda text: {"days": int(text)},
            project=lambda config: {"history": {"days": config["days"], "fields": ["arr"]}},
        )
        self.assertEqual(sdk.project(plugin, "30").history, wit.Window_Days(30))
        self.assertEqual(sdk.project(Rules, "{}"), sdk.projection(Rules.READS))
        with self.assertRaises(Err) as e:
            sdk.project(Rules, "bad")
        self.assertIsInstance(e.exception.value, wit.PluginError_InvalidConfig)

    def test_metadata_carries_the_declared_reads(self):
        m = sdk.metadata(Rules, wit.PluginKind.HEALTH_MODEL)
        self.assertEqual((m.name, m.kind, m.config_schema), ("test-health", wit.PluginKind.HEALTH_MODEL, '{"type": "object"}'))
        self.assertEqual(m.reads.current.fields, [wit.Field.SEATS_PURCHASED, wit.Field.SEATS_ACTIVE])


if __name__ == "__main__":
    unittest.main()
