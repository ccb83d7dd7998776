"""The row-stationary model's equations on a layer small enough to count by hand, its run-length code, the limits
every folding it offers must respect, and one-line errors for bad chip files and layers it does not run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import yaml

from dse.cost.row_stationary import Foldings, evaluate, foldings, glb_need, rlc_bytes_per_value, shape
from dse.errors import InputError
from dse.hw.row_stationary import load_chip, load_chip_file
from dse.workload import build
from dse.workload.layer import Layer, Op

CHIP = load_chip("eyeriss-chip")


def test_one_pass_counted_by_hand() -> None:
    """N=1, M=4, C=2, 6x6 input, 3x3 filter -> 4x4 output; folding n1 p2 q1 r2 t2 e4 is one pass.
    MACs per PE: 1 image x 4 outputs x 2 filters x 1 channel x 3 taps = 24 cycles. GLB words: ifmap 6 rows x 6 x 2
    channels = 72 in and 72 out, psums 64 written once, ofmap 64 read out = 272 words = 544 B = 34 cycles at 16 B, so
    the GLB bounds processing. DRAM: 72 ifmap values and 64 ofmap values at 8/3 B each (dense: one 21-bit pair per
    value, 3 pairs per 8 B word) + 72 filter words x 2 B = 506.67 B, added at 720 MB/s."""
    layer = Layer("tiny", Op.CONV, N=1, K=4, C=2, Y=6, X=6, R=3, S=3)
    cost = evaluate(layer, CHIP, Foldings.of([{"n": 1, "p": 2, "q": 1, "r": 2, "t": 2, "e": 4}]))
    dram = 72 * 8 / 3 + 144 + 64 * 8 / 3
    assert float(cost.dram_bytes[0]) == pytest.approx(dram)
    assert float(cost.extra["glb_access_bytes"][0]) == 544
    assert float(cost.seconds[0]) == pytest.approx(34 / 200e6 + dram / 720e6)
    assert float(cost.macs) == 4 * 2 * 16 * 9


def test_run_length_code() -> None:
    """Dense: 8/3 B per 16-bit value (a 4/3 overhead); all zeros: nothing; half zeros: half the pairs plus the rare
    runs longer than 31 zeros."""
    assert float(rlc_bytes_per_value(CHIP, 0.0)) == pytest.approx(8 / 3)
    assert float(rlc_bytes_per_value(CHIP, 1.0)) == 0.0
    assert float(rlc_bytes_per_value(CHIP, 0.5)) == pytest.approx(0.5 * (1 + 0.5**32 / (1 - 0.5**32)) * 8 / 3)


def test_every_folding_respects_the_chip() -> None:
    """Scratch pads, the 12 x 14 array and the GLB split hold for every folding offered (VGG-16 CONV3-1), and the
    PE sets are the widest that fit: 14 columns."""
    layer = dataclasses.replace([l for l in build("vgg16", batch=3).layers() if l.op is Op.CONV][4], elem_bytes=2)
    f = foldings(layer, CHIP)
    s = shape(layer)
    assert len(f) > 100
    assert (f.q * s.S <= 12).all() and (f.p * f.q * s.S <= 224).all() and (f.p <= 24).all()
    assert (f.r * f.t * s.R * f.e <= 168).all() and (f.e == 14).all()
    one_image, psum = glb_need(s, CHIP, f.n, f.p, f.q, f.r, f.t, f.e, f.p * f.t)
    assert (one_image <= 4096).all() and (psum <= 110592 - 4096).all()
    assert ((f.m % (f.p * f.t) == 0) | (f.m == s.M)).all() and (f.m > f.p * f.t).any() and (f.m <= s.M).all()
    ifmap, psum = glb_need(s, CHIP, f.n, f.p, f.q, f.r, f.t, f.e, f.m)
    assert (ifmap + psum <= 110592).all()


def test_ifmap_rows_serve_every_filter_group_of_the_glb() -> None:
    """Same tiny layer with 8 filters: two passes of p*t = 4 filters. With m = 8 the GLB keeps the psums of both and
    the 72 ifmap words come from DRAM once, go to the array twice: GLB words 72 + 144 + 128 psums + 128 ofmap = 472
    (944 B, 59 cycles at 16 B > 48 MAC cycles); DRAM 72 x 8/3 + 144 filter words x 2 B + 128 x 8/3. With m = 4
    the ifmaps come from DRAM twice: 72 more GLB words and 72 x 8/3 more DRAM bytes."""
    layer = Layer("tiny", Op.CONV, N=1, K=8, C=2, Y=6, X=6, R=3, S=3)
    folding = {"n": 1, "p": 2, "q": 1, "r": 2, "t": 2, "e": 4}
    cost = evaluate(layer, CHIP, Foldings.of([{**folding, "m": 8}, folding]))
    dram = 72 * 8 / 3 + 288 + 128 * 8 / 3
    assert cost.dram_bytes.tolist() == pytest.approx([dram, dram + 72 * 8 / 3])
    assert cost.extra["glb_access_bytes"].tolist() == [944, 1088]
    assert float(cost.seconds[0]) == pytest.approx(59 / 200e6 + dram / 720e6)


def test_glb_keeps_the_most_filters_that_fit() -> None:
    """VGG-16 CONV5-1 at n3 p16 q4 r2 t2 e14: the rows of 3 images (3 x 8 channels x 16 rows x 16 x 2 B = 12288 B)
    leave 98304 B of the 110592 B GLB, 83 filters' psums (3 x 14 x 14 x 2 = 1176 B each): two passes of 32, m = 64,
    so the ifmaps come from DRAM 512 / 64 = 8 times."""
    layer = [l for l in build("vgg16", batch=3).layers() if l.op is Op.CONV][10]
    f = foldings(layer, CHIP)
    at = [i for i in range(len(f)) if {k: v for k, v in f.row(i).items() if k != "m"} == {
        "n": 3, "p": 16, "q": 4, "r": 2, "t": 2, "e": 14}]
    assert [f.row(i)["m"] for i in at] == [64]


def test_wide_rows_narrow_the_pe_sets() -> None:
    """CONV1-2's 226-wide padded rows: a pass's (e + 2) rows of one channel fit 4 KB only for e <= 7."""
    layer = [l for l in build("vgg16", batch=3).layers() if l.op is Op.CONV][1]
    assert set(foldings(layer, CHIP).e.tolist()) == {7}


def test_layers_it_does_not_run() -> None:
    with pytest.raises(InputError, match="layer pool: the row-stationary model runs forward conv and fc"):
        foldings(Layer("pool", Op.MAXPOOL, N=1, C=4, Y=8, X=8, R=2, S=2), CHIP)
    with pytest.raises(InputError, match="13-row filter does not fit the 12-row PE array"):
        foldings(Layer("big", Op.CONV, N=1, K=4, C=2, Y=20, X=20, R=13, S=13), CHIP)


@pytest.mark.parametrize("field, value, message", [
    ("model", "maestro", "field model must be 'row-stationary', got 'maestro'"),
    ("glb_ifmap_bytes", {"value": 200000, "source": "x"}, "field glb_ifmap_bytes.value must be below glb_bytes"),
    ("offchip_overlap", {"value": "some", "source": "x"}, "field offchip_overlap must be {value: none|full"),
    ("pe_rows", {"value": 0, "source": "x"}, "field pe_rows"),
    ("pe_colums", {"value": 14, "source": "x"}, "unknown field pe_colums"),
])
def test_bad_files_say_file_field_and_value(tmp_path: Path, field: str, value: object, message: str) -> None:
    data = yaml.safe_load(Path(CHIP.path).read_text())
    data[field] = value
    path = tmp_path / "chip.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError) as err:
        load_chip_file(path)
    assert message in str(err.value) and str(path) in str(err.value) and "\n" not in str(err.value)


def test_costs_come_in_one_record_per_folding() -> None:
    layer = [l for l in build("vgg16", batch=3).layers() if l.op is Op.CONV][10]
    f = foldings(layer, CHIP)
    cost = evaluate(layer, CHIP, f, 0.8)
    assert np.shape(cost.seconds) == (len(f),) and (cost.energy_j > 0).all()
    assert np.allclose(cost.energy_j, cost.energy_mac_j + cost.energy_l1_j + cost.energy_noc_j + cost.energy_l2_j
                       + cost.energy_dram_j)


def test_a_grouped_conv_is_its_groups_one_after_another() -> None:
    """AlexNet's CONV2 in 2 groups costs exactly twice one group (C 48, M 128) under the same folding."""
    grouped = Layer("g", Op.CONV, N=4, K=256, C=96, Y=27, X=27, R=5, S=5, pad_y=2, pad_x=2, groups=2)
    single = dataclasses.replace(grouped, K=128, C=48, groups=1)
    folds = foldings(single, CHIP)
    two, one = evaluate(grouped, CHIP, folds, 0.4), evaluate(single, CHIP, folds, 0.4)
    for field in ("seconds", "dram_bytes", "energy_j"):
        assert np.allclose(getattr(two, field), 2 * getattr(one, field)), field
