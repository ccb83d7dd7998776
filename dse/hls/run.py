"""`dse hls run`: N SGD steps of a generated project's network through the C-simulated kernel (the project's
`make train`, g++), checked against the numpy reference (`dse.hls.train`) after every step.

Tolerance (FP32 kernel vs float64 reference): after every step, each layer's weights agree within
`WEIGHT_RTOL` x that layer's largest reference weight (so do a BN layer's gamma and beta), and the loss within
`LOSS_RTOL` relative.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from dse.cost.tiling_record import TilingRecord
from dse.errors import InputError
from dse.hls import train
from dse.hls.csim import TIMEOUT_S, make
from dse.hls.generate import TILING_FILE, buffers, host_plan, kernel_layers
from dse.hls.host import HostPlan

WEIGHT_RTOL = 1e-4
LOSS_RTOL = 1e-4
_STEP = re.compile(r"^step (\d+) loss (\S+) status (\d+)$", re.M)


@dataclass(frozen=True)
class Step:
    step: int
    loss: float  # softmax cross-entropy before the step, from the kernel's scores
    loss_reference: float
    max_weight_diff: float  # largest |w_kernel - w_reference| over all weights (and BN gamma/beta) after the step
    max_weight_rel: float  # largest per-tensor max |w_kernel - w_reference| / max |w_reference|
    worst_layer: str  # the tensor with that largest relative difference
    status: int  # kernel status bits collected by the host (0 = every call OK)

    @property
    def within(self) -> bool:
        return self.status == 0 and self.max_weight_rel <= WEIGHT_RTOL and \
            abs(self.loss - self.loss_reference) <= LOSS_RTOL * abs(self.loss_reference)


@dataclass(frozen=True)
class TrainRun:
    steps: list[Step]
    output: str  # build and host output
    returncode: int

    @property
    def passed(self) -> bool:
        return self.returncode == 0 and bool(self.steps) and all(s.within for s in self.steps)

    def to_dict(self) -> dict:
        return {"passed": self.passed, "weight_rtol": WEIGHT_RTOL, "loss_rtol": LOSS_RTOL,
                "steps": [{**asdict(s), "within": s.within} for s in self.steps]}


def load_project(project: Path) -> tuple[train.Net, HostPlan]:
    """The network and host plan of a generated project, rebuilt from its tiling.yaml."""
    path = project / TILING_FILE
    if not path.is_file():
        raise InputError(f"{project}: not a generated HLS project (no {TILING_FILE}); run `dse hls generate` first")
    record = TilingRecord.load(path)
    layers = kernel_layers(record, buffers(record), str(path))
    plan, missing = host_plan(record, layers, str(path))
    if plan is None:
        raise InputError(f"{path}: no host program in this project: {missing}")
    return train.Net.of(layers, record.Tm, record.batch), plan


def run(project: str | Path, steps: int, timeout_s: float = TIMEOUT_S) -> TrainRun:
    """`make train STEPS=steps`, then the reference's same steps from the same inputs, compared step by step."""
    project = Path(project)
    if steps < 1:
        raise InputError(f"--steps must be >= 1, got {steps}")
    net, plan = load_project(project)
    folder = project / train.TRAIN_DIR
    for old in folder.glob("step*.w.bin"):
        old.unlink()
    built = make(project, "train", [f"STEPS={steps}"], timeout_s)
    x, labels, params = train.read_inputs(net, folder)
    results = []
    for match in _STEP.finditer(built.output):
        step, loss, status = int(match.group(1)), float(match.group(2)), int(match.group(3))
        loss_ref, params = train.sgd_step(net, x, labels, params, train.LEARNING_RATE)
        want = params.named(net)
        got = train.read_step(net, plan, folder / f"step{step}.w.bin").named(net)
        diffs = [float(np.abs(g - w).max()) for (_, g), (_, w) in zip(got, want)]
        rel = [d / float(np.abs(w).max()) for d, (_, w) in zip(diffs, want)]
        worst = int(np.argmax(rel))
        results.append(Step(step, loss, loss_ref, max(diffs), rel[worst], want[worst][0], status))
    return TrainRun(results, built.output, built.returncode)
