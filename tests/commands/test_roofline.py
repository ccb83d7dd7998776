"""`dse roofline` and the LLM side of `dse compare`: the per-layer table adds up to what compare reports, stage
totals (TTFT, TPOT, tokens/s), memory fit in the JSON, files, and one-line refusals."""

import json

import pytest

from dse.cli import main
from dse.workload.zoo.llm import CONFIGS

QWEN = str(CONFIGS / "qwen2.5-0.5b.json")


def run_json(capsys, *argv):
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("stage,bits", [("prefill", "16"), ("decode", "4")])
def test_stage_totals_agree_with_compare(capsys, stage, bits):
    job = ["--workload", QWEN, "--stage", stage, "--seq-len", "64", "--weight-bits", bits, "--json"]
    roof = run_json(capsys, "roofline", "--platform", "orin-nano", *job)
    comp = run_json(capsys, "compare", "--platforms", "orin-nano", *job)["platforms"][0]
    totals = roof["totals"]
    assert totals["seconds"] == pytest.approx(comp["latency_s"], rel=1e-12)
    assert sum(l["share"] for l in roof["layers"]) == pytest.approx(1.0)
    if stage == "prefill":
        assert totals["ttft_s"] == totals["seconds"] and totals["tokens_per_s"] == pytest.approx(64 / totals["seconds"])
    else:
        assert totals["tpot_s"] == totals["seconds"] and totals["tokens_per_s"] == pytest.approx(1 / totals["seconds"])
    for layer in roof["layers"]:
        moved = layer["weight_bytes"] + layer["act_bytes"] + layer["kv_bytes"]
        if moved:
            assert layer["intensity"] == pytest.approx(layer["ops"] / moved)
        assert layer["bound"] == ("compute" if layer["compute_s"] > layer["memory_s"] else "memory")
        assert layer["time_s"] >= max(layer["compute_s"], layer["memory_s"])
    assert roof["fits"] and comp["fits"] and roof["memory_needed_bytes"] == comp["memory_needed_bytes"]


def test_decode_on_a_gpu_is_memory_bound_and_prefill_mostly_compute_bound(capsys):
    job = ["--workload", QWEN, "--seq-len", "256", "--platform", "orin-nano", "--json"]
    decode = run_json(capsys, "roofline", "--stage", "decode", *job)["totals"]
    prefill = run_json(capsys, "roofline", "--stage", "prefill", *job)["totals"]
    assert decode["memory_bound_share"] > 0.9 and prefill["memory_bound_share"] < 0.5


def test_compare_json_says_openllama_fp16_does_not_fit_the_nano(capsys):
    info = run_json(capsys, "compare", "--workload", "openllama_3b_decode", "--platforms", "jetson-nano", "--json")
    row = info["platforms"][0]
    assert row["fits"] is False and row["memory_available_bytes"] == 4 * 2 ** 30
    assert row["memory_needed_bytes"] == row["weight_bytes"] + row["kv_cache_bytes"] + row["activation_bytes"]
    quantized = run_json(capsys, "compare", "--workload", "openllama_3b_decode", "--platforms", "jetson-nano",
                         "--weight-bits", "4", "--json")["platforms"][0]
    assert quantized["fits"] is True and quantized["weight_bits"] == 4
    assert quantized["latency_s"] < row["latency_s"] and quantized["energy_per_job_j"] < row["energy_per_job_j"]


def test_roofline_writes_table_json_and_plot(tmp_path, capsys):
    out = tmp_path / "roof"
    assert main(["roofline", "--workload", QWEN, "--stage", "decode", "--seq-len", "32", "--platform",
                 "jetson-nano", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "TPOT" in printed and "q_proj" in printed
    assert sorted(p.name for p in out.iterdir()) == ["roofline.csv", "roofline.json", "roofline.png", "roofline.svg"]
    assert (out / "roofline.png").stat().st_size > 10_000


@pytest.mark.parametrize("argv, message", [
    (["roofline", "--workload", QWEN, "--platform", "ddr3-pim"], "the roofline needs a GPU"),
    (["roofline", "--workload", QWEN, "--platform", "jetson-nano", "--act-bits", "8", "--weight-bits", "8"],
     "precision 'int8' is not supported"),
    (["roofline", "--workload", "resnet18", "--platform", "jetson-nano", "--stage", "decode"], "--stage applies"),
    (["compare", "--workload", "nope.json", "--platforms", "jetson-nano"], "'nope.json' does not exist"),
])
def test_bad_input_is_one_line_exit_2(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("config", sorted(p.name for p in CONFIGS.glob("*.json")))
def test_every_shipped_config_runs_through_roofline_and_compare(capsys, config):
    job = ["--workload", str(CONFIGS / config), "--stage", "decode", "--seq-len", "64", "--json"]
    roof = run_json(capsys, "roofline", "--platform", "xavier-nx", *job)
    comp = run_json(capsys, "compare", "--platforms", "xavier-nx", *job)["platforms"][0]
    assert roof["totals"]["tpot_s"] == pytest.approx(comp["latency_s"], rel=1e-12)
    assert comp["fits"] == (comp["memory_needed_bytes"] <= 8 * 2 ** 30)
