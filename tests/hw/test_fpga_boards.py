"""Board files: device numbers, the fitted power model on its own fit points (a regression check), loader errors."""

import pytest

from dse.errors import InputError
from dse.hw.fpga import known_boards, load_board, load_board_file


def test_all_boards_load_with_sources():
    assert known_boards() == ["kv260", "pynq-z1", "ultra96v2", "zcu102"]
    for name in known_boards():
        board = load_board(name)
        assert board.name == name and board.clock_hz == 100e6
        assert all(board.sources[k] for k in ("dsp", "bram_18k", "power.static_w"))


def test_device_numbers_match_the_paper():
    zcu, pynq = load_board("zcu102"), load_board("pynq-z1")
    assert (zcu.dsp, zcu.bram_18k, zcu.dma_words_per_cycle) == (2520, 2 * 912, 4)  # EF-Train §2.1
    assert (pynq.dsp, pynq.bram_18k, pynq.dma_words_per_cycle) == (220, 2 * 140, 1)
    assert zcu.dsp_per_fp32_add + zcu.dsp_per_fp32_mul == zcu.dsp_per_fp32_mac == 5


@pytest.mark.parametrize("board, dsp, bram36, watts", [
    ("zcu102", 1315, 324, 6.89), ("zcu102", 1508, 787, 7.712), ("zcu102", 1680, 812, 8.208),
    ("zcu102", 1513, 857, 7.736), ("pynq-z1", 212, 123, 1.85)])
def test_regression_power_fit_on_its_own_fit_points(board, dsp, bram36, watts):
    """Regression check, not validation: these are the very points the power model was fitted to (least-squares
    residuals of the ZCU102 fit are below 0.016 W; PYNQ-Z1's one point is matched exactly)."""
    assert load_board(board).power_w(dsp, 2 * bram36) == pytest.approx(watts, abs=0.02)


def test_unknown_board_lists_known_ones():
    with pytest.raises(InputError, match="unknown FPGA board .zcu104.; known: kv260, pynq-z1, ultra96v2, zcu102"):
        load_board("zcu104")


def test_board_file_without_source_names_the_field(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text("name: b\npart: p\ndsp: 5\n")
    with pytest.raises(InputError, match=r"b.yaml: field dsp must be \{value"):
        load_board_file(path)
