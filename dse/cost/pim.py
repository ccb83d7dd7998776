"""PIM latency and energy: integer arithmetic built from in-memory primitives, layers mapped onto parallel lanes.

Primitives per technology (figures in accelerators/pim/*.yaml):
  dram       every operation is a count of row operations (AAP, `row_op_latency_s`, `row_op_energy_j` per row)
             on a vertical bit-serial layout: one element per bit column, so all `row_bits x parallel_rows`
             columns compute at once whatever the width. n-bit ripple add: per bit a full adder = MAJ (carry) +
             2 XOR (sum); n x n multiply: per multiplier bit, n ANDs for the partial product and an n-bit add;
             copy of an n-bit operand: n RowClones. Energy per lane = row ops x row energy / row_bits.
  racetrack  words lie across the nanowires of a DBC (W/width words per DBC, `pim_dbcs` DBCs at once); a step is a
             transverse read plus a write. k-operand n-bit add (k <= trd): n + ceil(log2 k) steps (one bit
             position per step, carries in the sense latches) after shifting the k operands under the ports;
             n x n multiply: n AND steps (TR over multiplicand and multiplier bit, n nanowires, 2 shifts) make the
             partial products, then ceil((n-1)/(trd-1)) trd-operand adds of 2n bits reduce them; copy: one read
             and write of the n nanowires.

Mapping a MAC layer (any pass): O independent outputs, each a reduction of length D (forward: C/g*R*S;
backward-data: K/g*R*S; weight-gradient: N*Y_out*X_out; LSTM: C+K, 4K, N*X*Y). With L lanes, a layer with fewer
outputs than lanes splits each reduction s = clip(L // O, 1, D) ways: ceil(O*s/L) waves of ceil(D/s) MAC steps
(MAC = multiply + accumulator add + 2 operand copies), then ceil(log2 s) steps of a tree of accumulator adds (each
with a copy to align partial sums). Other ops cost one add per FLOP (a multiply for MUL), the weight update one
multiply and one add per two FLOPs, all lane-parallel. Inference runs int8 with 32-bit accumulators; training
runs the device's `training_bits` fixed point. Background power (refresh, leakage) is charged for the job's time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dse.cost.record import Cost, checked
from dse.cost.totals import sum_layers
from dse.errors import InputError
from dse.hw.pim import PIMDevice
from dse.workload.graph import Workload
from dse.workload.layer import COMPUTE_OPS, Layer, Op, Pass


@dataclass(frozen=True)
class OpCost:
    """One operation on every lane at once: its latency, and its energy per lane (per element)."""

    latency_s: float
    energy_j: float

    def __add__(self, other: "OpCost") -> "OpCost":
        return OpCost(self.latency_s + other.latency_s, self.energy_j + other.energy_j)

    def __mul__(self, times: float) -> "OpCost":
        return OpCost(self.latency_s * times, self.energy_j * times)


def _rows(dev: PIMDevice, row_ops: float) -> OpCost:
    p = dev.params
    return OpCost(row_ops * p["row_op_latency_s"], row_ops * p["row_op_energy_j"] / p["row_bits"])


def _steps(dev: PIMDevice, steps: float, nanowires: float, shifts: float, width: float) -> OpCost:
    """Racetrack: `steps` TR+write steps on `nanowires` per word, plus `shifts` one-domain shifts of `width` wires."""
    p = dev.params
    return OpCost(steps * (p["tr_latency_s"] + p["write_latency_s"]) + shifts * p["shift_latency_s"],
                  steps * nanowires * (p["tr_energy_j"] + p["write_energy_j"]) + shifts * width * p["shift_energy_j"])


def _carry_bits(operands: int) -> int:
    return int(np.ceil(np.log2(operands)))


def add(dev: PIMDevice, bits: int, operands: int = 2) -> OpCost:
    """Sum of `operands` words of `bits` bits."""
    if dev.technology == "dram":
        r = dev.row_ops
        return _rows(dev, (operands - 1) * bits * (r["maj"] + 2 * r["xor"]))
    trd = int(dev.params["trd"])
    if operands > trd:
        raise InputError(f"pim {dev.name}: a transverse read adds at most trd={trd} operands, got {operands}")
    steps = bits + _carry_bits(operands)
    return _steps(dev, steps, 1, operands, steps)


def multiply(dev: PIMDevice, bits: int) -> OpCost:
    """`bits` x `bits` -> 2*bits product."""
    if dev.technology == "dram":
        r = dev.row_ops
        return _rows(dev, bits * (bits * r["and"] + bits * (r["maj"] + 2 * r["xor"])))
    trd = int(dev.params["trd"])
    partial = _steps(dev, 1, bits, 2, bits) * bits
    rounds = int(np.ceil((bits - 1) / (trd - 1)))
    return partial + add(dev, 2 * bits, trd) * rounds


def copy(dev: PIMDevice, bits: int) -> OpCost:
    """Move one `bits`-bit operand into the compute rows (DRAM) or under the access ports (racetrack)."""
    if dev.technology == "dram":
        return _rows(dev, bits * dev.row_ops["copy"])
    return _steps(dev, 1, bits, 0, bits)


def lanes(dev: PIMDevice, bits: int) -> int:
    """Elements processed at once by a word-`bits` operation."""
    p = dev.params
    if dev.technology == "dram":
        return int(p["row_bits"] * p["parallel_rows"])
    per_dbc = int(p["nanowires_per_dbc"]) // bits
    if per_dbc < 1:
        raise InputError(f"pim {dev.name}: a {bits}-bit word does not fit {int(p['nanowires_per_dbc'])} nanowires")
    return int(p["pim_dbcs"]) * per_dbc


def bulk_and_bits_per_s(dev: PIMDevice) -> float:
    """Bulk bitwise AND throughput (result bits/s), the figure PIRM compares against DRAM PIM."""
    if dev.technology == "dram":
        return lanes(dev, 1) / _rows(dev, dev.row_ops["and"]).latency_s
    p = dev.params
    return p["pim_dbcs"] * p["nanowires_per_dbc"] / _steps(dev, 1, 1, 2, 1).latency_s


def reduction_length(layer: Layer) -> int:
    """Length of the sum behind each output of a MAC layer in its pass (see module docstring)."""
    if layer.op is Op.LSTM:
        return {Pass.FORWARD: layer.C + layer.K, Pass.BACKWARD_DATA: 4 * layer.K}.get(
            layer.pass_, layer.N * layer.X * layer.Y)
    if layer.pass_ is Pass.BACKWARD_DATA:
        return layer.K // layer.groups * layer.R * layer.S
    if layer.pass_ is Pass.WEIGHT_GRADIENT:
        return layer.N * layer.Y_out * layer.X_out
    return layer.C // layer.groups * layer.R * layer.S


def layer_costs(workload: Workload, dev: PIMDevice) -> Cost:
    """One Cost entry per layer (numpy arrays over layers)."""
    training = "training" in workload.graph
    bits, acc = dev.bits(training)
    layers = workload.layers()  # whether the job fits capacity_bytes is the platform's check (dse.cost.platform)
    macs = np.array([l.macs for l in layers], dtype=float)
    flops = np.array([l.flops for l in layers], dtype=float)
    is_mac = np.array([l.op in COMPUTE_OPS for l in layers]) & (macs > 0)
    is_update = np.array([l.pass_ is Pass.WEIGHT_UPDATE for l in layers])
    is_mul = np.array([l.op is Op.MUL for l in layers])
    D = np.array([reduction_length(l) if m else 1 for l, m in zip(layers, is_mac)], dtype=float)
    O = np.where(is_mac, macs / D, 0.0)

    mac = multiply(dev, bits) + add(dev, acc) + copy(dev, bits) * 2
    tree = add(dev, acc) + copy(dev, acc)
    L_acc, L_bits = lanes(dev, acc), lanes(dev, bits)
    split = np.clip(L_acc // np.maximum(O, 1), 1, D)
    waves = np.ceil(O * split / L_acc)
    tree_steps = np.ceil(np.log2(split))
    t_mac = waves * (np.ceil(D / split) * mac.latency_s + tree_steps * tree.latency_s)
    e_mac = macs * mac.energy_j + O * (split - 1) * tree.energy_j

    mul, plus = multiply(dev, bits), add(dev, bits)
    element = np.where(is_mul, mul.latency_s, plus.latency_s)
    element_e = np.where(is_mul, mul.energy_j, plus.energy_j)
    update = mul + plus
    t_other = np.where(is_update, np.ceil(flops / 2 / L_bits) * update.latency_s, np.ceil(flops / L_bits) * element)
    e_other = np.where(is_update, flops / 2 * update.energy_j, flops * element_e)

    seconds = np.where(is_mac, t_mac, t_other)
    dynamic = np.where(is_mac, e_mac, e_other)
    static = dev.idle_w * seconds
    peak_macs = np.where(seconds > 0, seconds, np.inf) * L_acc / mac.latency_s
    cost = Cost(seconds=seconds, energy_j=dynamic + static, energy_mac_j=np.where(is_mac, e_mac, 0.0),
                energy_static_j=static, macs=macs, flops=flops, utilization=macs / peak_macs,
                extra={"split": np.where(is_mac, split, 0.0), "waves": np.where(is_mac, waves, 0.0)})
    return checked(cost, f"pim {dev.name}", [l.name for l in layers])


def evaluate(workload: Workload, dev: PIMDevice) -> Cost:
    """The whole graph (one inference, or one training step of the graph's batch) as one Cost of scalars."""
    per_layer = layer_costs(workload, dev)
    bits, acc = dev.bits("training" in workload.graph)
    seconds = float(per_layer.seconds.sum())
    mac = multiply(dev, bits) + add(dev, acc) + copy(dev, bits) * 2
    peak = lanes(dev, acc) / mac.latency_s
    utilization = float(per_layer.macs.sum()) / (peak * seconds) if seconds > 0 else 0.0
    return sum_layers(f"pim {dev.name}", per_layer, utilization,
                      {"operand_bits": bits, "accumulator_bits": acc, "mac_latency_s": mac.latency_s,
                       "mac_energy_j": mac.energy_j, "lanes": lanes(dev, acc)})
