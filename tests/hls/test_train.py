"""Training through the kernel: a generated project's host program runs SGD steps of LeNet-10 (PYNQ-Z1 and ZCU102
tilings) and of a small CNN with batch norm in C simulation and matches the numpy reference after every step; a
corrupted WU (or BN) kernel does not; the PYNQ driver, driven through a fake overlay whose registers are decoded from
the kernel's own interface pragmas, trains identically."""

import ctypes
import dataclasses
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml

from dse.cli import main
from dse.commands.hls import searched_record
from dse.cost.tiling_record import TilingRecord
from dse.hls import train
from dse.hls.generate import generate
from dse.hls.run import WEIGHT_RTOL, load_project, run

FIXTURES = Path(__file__).parent / "fixtures"
STEPS = 3
BATCH = 2


@pytest.fixture(scope="module", params=["pynq-z1", "zcu102", "bn"])
def trained(request, tmp_path_factory):
    """LeNet-10 at batch 2 with the exact-search tiling of the board, or the ZCU102 small CNN whose convs carry batch
    norm (zcu102_small_bn.yaml at batch 2), generated and trained for 3 steps."""
    if request.param == "bn":
        record = dataclasses.replace(TilingRecord.load(FIXTURES / "zcu102_small_bn.yaml"), batch=BATCH)
    else:
        record = searched_record(request.param, "lenet10", BATCH)
    out = generate(record, f"{record.network}_{request.param}", tmp_path_factory.mktemp(request.param) / "prj")
    return out, run(out, STEPS)


def _top(out: Path) -> str:
    return next(out.glob("*_train.h")).stem


def test_training_matches_numpy_after_every_step(trained):
    _, result = trained
    assert result.passed, result.output
    assert [s.step for s in result.steps] == [1, 2, 3]
    for s in result.steps:
        assert s.status == 0 and s.max_weight_rel <= WEIGHT_RTOL
        assert s.loss == pytest.approx(s.loss_reference, rel=1e-4)
    losses = [s.loss for s in result.steps]
    assert losses[0] > losses[1] > losses[2]  # one fixed batch: SGD must fit it


def test_initial_loss_is_cross_entropy_of_the_first_scores(trained):
    """Step 1's loss from the kernel's FP is numpy's forward of the initial weights (no update involved)."""
    out, result = trained
    net, plan = load_project(out)
    x, labels, params = train.read_inputs(net, out / train.TRAIN_DIR)
    assert labels.shape == (BATCH,) and set(labels) <= set(range(10)) and plan.classes == 10
    loss, _ = train.sgd_step(net, x, labels, params, 0.0)
    assert result.steps[0].loss == pytest.approx(loss, rel=1e-5)
    assert 1.0 < loss < 10.0  # LeCun-initialised scores: near ln(10) = 2.3, not saturated


def _copy(out: Path, to: Path) -> Path:
    return Path(shutil.copytree(out, to, ignore=shutil.ignore_patterns("*.bin", "step*")))


def test_corrupted_wu_index_fails(trained, tmp_path):
    """One wrong index in the WU loop (the kernel position transposed) breaks the weights but not step 1's loss."""
    out, _ = trained
    copy = _copy(out, tmp_path / "broken")
    shutil.copytree(out / train.TRAIN_DIR, copy / train.TRAIN_DIR, dirs_exist_ok=True)
    kernel = copy / f"{_top(out)}.cpp"
    original = "wb[tm][tn][wtile * KK + kr * K + kc] +="
    assert kernel.read_text().count(original) == 1
    kernel.write_text(kernel.read_text().replace(original, "wb[tm][tn][wtile * KK + kc * K + kr] +="))
    result = run(copy, 2)
    assert not result.passed
    first = result.steps[0]
    assert first.loss == pytest.approx(first.loss_reference, rel=1e-5)
    assert first.max_weight_rel > 10 * WEIGHT_RTOL and first.worst_layer.startswith("conv")


def test_cli_run_json(trained, capsys):
    out, _ = trained
    assert main(["hls", "run", str(out), "--steps", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and len(report["steps"]) == 2
    assert all(s["max_weight_rel"] <= report["weight_rtol"] for s in report["steps"])
    assert report["steps"][1]["loss"] < report["steps"][0]["loss"]


@pytest.mark.parametrize("trained", ["bn"], indirect=True)
def test_bn_layers_train_gamma_and_beta(trained, tmp_path):
    """With batch norm the host runs conv -> BN_FP and BN_BP -> conv BP/WU, and gamma/beta follow numpy too; without
    the dbeta/n term of BN BP the run fails."""
    out, result = trained
    host = (out / "small_cnn_train_host.h").read_text()
    assert "MODE_BN_FP" in host and "MODE_BN_BP" in host
    net, _ = load_project(out)
    _, _, params = train.read_inputs(net, out / train.TRAIN_DIR)
    assert [name for name, _ in params.named(net)] == ["conv1", "conv2", "fc3", "conv1.gamma", "conv1.beta",
                                                       "conv2.gamma", "conv2.beta"]
    assert result.passed and result.steps[-1].loss < result.steps[0].loss
    copy = _copy(out, tmp_path / "broken")
    shutil.copytree(out / train.TRAIN_DIR, copy / train.TRAIN_DIR, dirs_exist_ok=True)
    kernel = copy / "small_cnn_train.cpp"
    original = "out[at] = scale[t] * (l - dbeta[t] - ahat[at] * dgamma[t]);"
    assert kernel.read_text().count(original) == 1
    kernel.write_text(kernel.read_text().replace(original, "out[at] = scale[t] * (l - ahat[at] * dgamma[t]);"))
    broken = run(copy, 1)
    assert not broken.passed and broken.steps[0].max_weight_rel > 10 * WEIGHT_RTOL


def test_run_needs_a_host_program(tmp_path, capsys):
    """A network that does not end in class scores (here the small CNN's FC with a ReLU) gets a kernel but no host
    program: `dse hls run` says why in one line, exit 2."""
    data = yaml.safe_load((FIXTURES / "pynq_small.yaml").read_text())
    data["layers"][-1]["relu"] = True
    path = tmp_path / "tiling.yaml"
    path.write_text(yaml.safe_dump(data))
    out = generate(TilingRecord.load(path), str(path), tmp_path / "prj")
    assert not list(out.glob("*_host*")) and not (out / train.TRAIN_DIR).exists()
    assert main(["hls", "run", str(out)]) == 2
    err = capsys.readouterr().err
    assert "class scores" in err and err.count("\n") == 1
    assert main(["hls", "run", str(tmp_path / "none")]) == 2


# --- register map: kernel interface pragmas vs the generated PYNQ driver and XRT host ---------------------------

def _signature(source: str, top: str) -> list[tuple[str, str]]:
    """(C type, name) of the top function's arguments, parsed from the kernel source."""
    args = re.search(rf"\bint {top}\(([^)]*)\)\s*{{", source).group(1)
    return [tuple(re.match(r"(.*?)\s*(\w+)$", a.strip()).groups()) for a in args.split(",")]


def _vitis_map(source: str, top: str) -> dict[str, tuple[int, int]]:
    """Register offsets by Vitis HLS's rule (see dse.hls.registers' doc): ap_return at 0x10, then every argument
    with an s_axilite pragma in signature order, 8 bytes per 32-bit scalar, 12 per 64-bit m_axi offset."""
    lite = re.findall(r"#pragma HLS INTERFACE s_axilite port=(\w+) bundle=control", source)
    pointers = set(re.findall(r"#pragma HLS INTERFACE m_axi port=(\w+) offset=slave", source))
    regs, offset = {}, 0x10
    if "return" in lite:
        regs["ap_return"], offset = (0x10, 32), 0x18
    for ctype, name in _signature(source, top):
        assert name in lite, name
        bits = 64 if name in pointers else 32
        assert (bits == 64) == ctype.endswith("*"), name
        regs[name] = (offset, bits)
        offset += 12 if bits == 64 else 8
    return regs


def _driver(out: Path):
    spec = importlib.util.spec_from_file_location(f"driver_{out.parent.name}", out / f"{_top(out)}_driver.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_driver_and_xrt_register_maps_match_the_kernel(trained):
    out, _ = trained
    top = _top(out)
    kernel = (out / f"{top}.cpp").read_text()
    want = _vitis_map(kernel, top)
    assert want["mode"] == (0x18, 32) and want["lr"] == (0x90, 32) and want["ifm"] == (0x98, 64)
    assert want["wei"] == (0xA4, 64) and want["idx"] == (0xC8, 64)
    if "bnp" in want:
        assert want["ahat"] == (0xD4, 64) and want["bnp"] == (0xE0, 64)
    assert _driver(out).REGISTERS == want
    xrt = (out / f"{top}_host_xrt.cpp").read_text()
    regs = {name: int(v, 16) for name, v in re.findall(r"REG_(\w+) = (0x[0-9a-f]+);", xrt)}
    assert regs == {name.upper(): offset for name, (offset, _) in want.items()}
    for name, (offset, bits) in want.items():  # every argument is written, pointers as two words
        if name != "ap_return":
            assert f"write{bits}(REG_{name.upper()}," in xrt


class _FakeIP:
    """An AXI-lite slave that decodes the registers by `regs` (from the kernel's pragmas) and runs the kernel."""

    def __init__(self, kernel, signature, regs):
        self.kernel, self.signature, self.regs, self.mem, self.calls = kernel, signature, regs, {}, 0

    def write(self, offset, value):
        assert 0 <= value < 2 ** 32
        self.mem[offset] = value
        if offset == 0x00 and value & 1:
            args = []
            for ctype, name in self.signature:
                at, bits = self.regs[name]
                raw = self.mem.get(at, 0) | (self.mem.get(at + 4, 0) << 32 if bits == 64 else 0)
                if ctype.endswith("*"):
                    args.append(raw or None)
                else:
                    args.append(np.uint32(raw).view(np.float32 if ctype == "float" else np.int32).item())
            self.mem[self.regs["ap_return"][0]] = self.kernel(*args)
            self.mem[0x00] = 0x2  # ap_done
            self.calls += 1

    def read(self, offset):
        return self.mem.get(offset, 0)


class _FakeBuffer(np.ndarray):
    physical_address = property(lambda self: self.ctypes.data)

    def sync_to_device(self):
        pass

    def sync_from_device(self):
        pass


def test_pynq_driver_trains_like_the_host(trained, tmp_path):
    """The driver's train_step through a fake overlay (registers decoded from the pragmas, kernel compiled as a
    shared library) gives the C-simulation host's losses and the reference's weights."""
    out, result = trained
    name = _top(out)
    kernel_src = (out / f"{name}.cpp").read_text()
    signature = _signature(kernel_src, name)
    params = ", ".join(f"{t} {n}" if not t.endswith("*") else f"{t}{n}" for t, n in signature)
    (tmp_path / "wrap.cpp").write_text(f'#include "{name}.h"\nextern "C" int top({params}) '
                                       f'{{ return {name}({", ".join(n for _, n in signature)}); }}\n')
    lib = tmp_path / "kernel.so"
    subprocess.run(["g++", "-O2", "-shared", "-fPIC", "-Wno-unknown-pragmas", f"-I{out}", "-o", str(lib),
                    str(out / f"{name}.cpp"), str(tmp_path / "wrap.cpp")], check=True)
    top = ctypes.CDLL(str(lib)).top
    top.argtypes = [ctypes.c_float if t == "float" else ctypes.c_void_p if t.endswith("*") else ctypes.c_int
                    for t, _ in signature]
    ip = _FakeIP(top, signature, _vitis_map(kernel_src, name))
    overlay = type("Overlay", (), {f"{name}_0": ip})()
    driver = _driver(out)
    k = driver.Kernel(None, overlay=overlay, allocate=lambda shape, dtype: np.zeros(shape, dtype).view(_FakeBuffer))
    k.load(out / train.TRAIN_DIR)
    losses = [k.train_step() for _ in range(STEPS)]
    assert losses == pytest.approx([s.loss for s in result.steps], rel=1e-6)
    bn_layers = sum(layer[-1] for layer in driver.LAYERS)  # + BN_FP and BN_BP each
    assert ip.calls == STEPS * (3 * len(driver.LAYERS) - 1 + 2 * bn_layers)  # FP + WU each, BP all but the first
    net, _ = load_project(out)
    x, labels, params = train.read_inputs(net, out / train.TRAIN_DIR)
    for _ in range(STEPS):
        _, params = train.sgd_step(net, x, labels, params, train.LEARNING_RATE)
    for i, want in enumerate(params.weights):
        got = net.weights_from_dram(i, k.weights_of(i))
        assert np.abs(got - want).max() <= WEIGHT_RTOL * np.abs(want).max()
