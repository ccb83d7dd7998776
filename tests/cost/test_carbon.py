"""Carbon: ACT's formula on a known die by hand, break-even and indifference closed forms by hand, fleet
provisioning, monotonicity in activity and lifetime, bad input."""

import numpy as np
import pytest

from dse.cost.carbon import (SECONDS_PER_YEAR, Profile, breakeven_years, die_carbon_g, embodied_carbon_g,
                             embodied_energy_j, fleet_lifetime, indifference_activity, lifetime_carbon_g, load_act,
                             units)
from dse.cost.platform import load_platform
from dse.cost.record import Cost
from dse.errors import InputError
from dse.hw.embodied import Die, Embodied, Memory

ACT = load_act()


def test_act_formula_on_a_known_die_by_hand():
    # 100 mm2 = 1 cm2 at 7 nm, Taiwan fab (583 g/kWh), ACT's default GPA97 = (350 + 200) / 2 = 275 g/cm2:
    # (583 x 2.15 + 275 + 500) / 0.875
    per_die = (583 * 2.15 + 275 + 500) / 0.875
    assert die_carbon_g(100, "7nm", ACT) == pytest.approx(per_die, rel=1e-12)  # 2318.2 g
    board = Embodied(dies=(Die(100, "7nm", 2),), dram=(Memory("lpddr4", 4),), flash=(Memory("nand_20nm", 16),), ics=4)
    parts = embodied_carbon_g(board, ACT)
    assert parts["total"] == pytest.approx(2 * per_die + 4 * 48 + 16 * 15 + 4 * 150, rel=1e-12)
    kwh = 2 * 2.15 / 0.875 + (4 * 48 + 16 * 15) / 583
    assert embodied_energy_j(board, ACT) == pytest.approx(kwh * 3.6e6, rel=1e-12)


def _profile(name, seconds, joules, idle, emb_j, emb_g=0.0):
    return Profile(name, seconds, joules, idle, emb_j, emb_g)


def test_breakeven_closed_form_by_hand():
    old = _profile("old", 1.0, 2.0, 1.0, 0.0)  # 2 W busy, 1 W idle
    new = _profile("new", 1.0, 0.5, 0.1, SECONDS_PER_YEAR)  # embodied: 1 W for a year
    # a = 0.5: old 0.5*2 + 0.5*1 = 1.5 W, new 0.5*0.5 + 0.5*0.1 = 0.3 W, saving 1.2 W
    assert breakeven_years(old, new, 0.5) == pytest.approx(1 / 1.2, rel=1e-12)
    # carbon basis at 400 g/kWh: embodied 100 g over 1.2 W x 8760 h x 0.4 g/Wh
    new_g = _profile("new", 1.0, 0.5, 0.1, SECONDS_PER_YEAR, 100.0)
    assert breakeven_years(old, new_g, 0.5, "carbon", 400) == pytest.approx(100 / (1.2 * 8760 * 0.4), rel=1e-9)
    assert breakeven_years(new, old, 0.5) == np.inf  # the old device draws more: never


def test_indifference_closed_form_by_hand():
    # x: embodied 3 W-yr, 1 W busy; y: embodied 1 W-yr, 5 W busy; no idle power, same speed, one year:
    # 3 + a = 1 + 5a  ->  a* = 0.5
    x = _profile("x", 1.0, 1.0, 0.0, 3 * SECONDS_PER_YEAR)
    y = _profile("y", 1.0, 5.0, 0.0, SECONDS_PER_YEAR)
    assert indifference_activity(x, y, 1.0) == pytest.approx([0.5])
    assert indifference_activity(x, y, 0.25) == []  # over a quarter year x never catches up


def test_slow_device_is_provisioned_as_a_fleet():
    fast = _profile("fast", 1.0, 10.0, 2.0, 0.0, 1000.0)
    slow = _profile("slow", 3.0, 3.0, 0.0, 0.0, 100.0)  # 1 W busy, 3x slower
    assert units(slow, 0.2, 1.0) == 1 and units(slow, 0.5, 1.0) == 2 and units(slow, 1.0, 1.0) == 3
    life = fleet_lifetime(slow, 1.0, 1.0, 1.0, 0.0)
    assert life["carbon_g"] == pytest.approx(300.0)  # three units, no grid carbon
    assert life["operational_energy_j"] == pytest.approx(3 * 1.0 * SECONDS_PER_YEAR)  # 3 units, each 1 W busy


def test_carbon_monotone_in_activity_and_lifetime():
    platform = load_platform("xavier-nx")
    cost = Cost(seconds=0.01, energy_j=0.1)  # 10 W busy against a 2 W idle
    a = np.linspace(0, 1, 11)
    by_activity = lifetime_carbon_g(cost, platform, a, 3.0)
    assert np.all(np.diff(by_activity) > 0)
    years = np.linspace(0, 10, 11)
    by_years = lifetime_carbon_g(cost, platform, 0.3, years)
    assert np.all(np.diff(by_years) > 0)
    assert by_years[0] == pytest.approx(embodied_carbon_g(platform.embodied, ACT)["total"])


def test_carbon_objective_is_vectorized_over_costs():
    platform = load_platform("racetrack-pim")
    costs = Cost(seconds=np.array([0.1, 0.2]), energy_j=np.array([0.05, 0.2]))
    out = lifetime_carbon_g(costs, platform, 0.5, 4.0, grid="usa")
    assert out.shape == (2,) and out[1] > out[0]


@pytest.mark.parametrize("activity", [-0.1, 1.01, float("nan")])
def test_activity_outside_unit_interval_is_rejected(activity):
    with pytest.raises(InputError, match=r"field activity: must be a finite number in \[0, 1\]"):
        lifetime_carbon_g(Cost(seconds=1.0, energy_j=1.0), load_platform("jetson-nano"), activity, 1.0)


def test_negative_lifetime_unknown_grid_and_node_are_rejected():
    platform = load_platform("jetson-nano")
    with pytest.raises(InputError, match=r"field lifetime_years: must be a finite number in \[0, 100\], got -1"):
        lifetime_carbon_g(Cost(seconds=1.0, energy_j=1.0), platform, 0.5, -1.0)
    with pytest.raises(InputError, match="unknown grid"):
        lifetime_carbon_g(Cost(seconds=1.0, energy_j=1.0), platform, 0.5, 1.0, grid="mars")
    with pytest.raises(InputError, match="unknown process node"):
        die_carbon_g(10, "2nm", ACT)
    with pytest.raises(InputError, match="unknown platform"):
        load_platform("tpu-v9")
