import pytest

from astronomaly_ahunt.engine.taxonomy import ByDiscoveryCount, Taxonomy


def test_default_interest_moves_from_reserve_to_the_newest_anomaly():
    tax = Taxonomy(["0", "1"])
    assert tax.classes == ["0", "1", "reserve"]
    assert tax.interest_weights() == [0, 0, 1]
    assert tax.add_class("2") == 3
    assert tax.interest_weights() == [0, 0, 0, 1]
    tax.add_class("7")
    assert tax.anomalies == ["2", "7"]
    assert tax.interest_weights() == [0, 0, 0, 0, 1]


def test_paper_section5_schedule():
    tax = Taxonomy(["a", "b"], interest=ByDiscoveryCount([(1.0,), (0.83, 0.17),
                                                          (0.125, 0.125, 0.75)]))
    assert tax.interest_weights() == [0, 0, 1]
    tax.add_class("5")
    assert tax.interest_weights() == pytest.approx([0, 0, 0.83, 0.17])
    tax.add_class("9")
    assert tax.interest_weights() == pytest.approx([0, 0, 0.125, 0.125, 0.75])
    tax.add_class("3")  # beyond the schedule: the last entry, the new class gets 0
    assert tax.interest_weights() == pytest.approx([0, 0, 0.125, 0.125, 0.75, 0])


def test_set_interest_normalises_and_survives_a_round_trip():
    tax = Taxonomy(["a"])
    tax.add_class("x")
    tax.set_interest({"reserve": 1, "x": 3})
    assert tax.interest_weights() == [0, 0.25, 0.75]
    again = Taxonomy.from_dict(tax.to_dict())
    assert again.classes == tax.classes and again.kinds == tax.kinds
    assert again.interest_weights() == [0, 0.25, 0.75]


@pytest.mark.parametrize("weights, message", [
    ({"reserve": -1, "x": 1}, "must be >= 0"),
    ({"reserve": 0, "x": 0}, "all zero"),
    ({"nope": 1}, "unknown class 'nope'"),
    ({"a": 1}, "normal class"),
])
def test_bad_interest_weights_are_refused(weights, message):
    tax = Taxonomy(["a"])
    tax.add_class("x")
    with pytest.raises(ValueError, match=message):
        tax.set_interest(weights)
    assert tax.interest_weights() == [0, 0, 1]  # nothing changed


def test_taxonomy_refuses_duplicates():
    with pytest.raises(ValueError, match="repeat"):
        Taxonomy(["a", "a"])
    tax = Taxonomy(["a"])
    with pytest.raises(ValueError, match="exists already"):
        tax.add_class("a")
