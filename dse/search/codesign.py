"""Co-design of a spatial accelerator for one workload: many hardware designs of one dataflow template (PE count,
per-PE L1, shared L2, NoC and off-chip bandwidth, clock), each priced with its per-layer mappings chosen for the
whole network (`network_mapping.choose`) and with its area and leakage (`dse.cost.area_power`).

Why it is fast. Under `offchip_bound: layer` the dataflow analysis of a mapping depends on the design only through
its PE count and NoC bandwidth: buffer sizes decide which mappings fit, and off-chip bandwidth and clock enter only
the layer roofline. So every candidate mapping (`dataflow_mapping.space`) of every distinct MAC layer is analysed
once per (PEs, NoC) pair, all NoC values of a PE count in one shared vector pass (`evaluate_designs`), and kept as
a `Table`. A design then takes its roofline, its feasible rows and its network-level choice from the table with
numpy. The choice depends on the design only through which rows fit (the distinct L1/L2 requirements at or below
its buffers) and the off-chip bytes per cycle (the clock scales every latency alike, which moves no optimum of
latency, energy or their product), so it is memoised on those; the choices a batch of designs still lacks are
made together, in one vector pass over all their tables' rows. Templates with `offchip_bound: step` analyse per
(PEs, NoC, off-chip bandwidth, clock), since MAESTRO's per-step bound reads the off-chip bytes per cycle.

The choice minimises the network objective of latency and dynamic energy (MAC, L1, L2, DRAM), the layers without
MACs (which no mapping changes) included as fixed terms. Leakage (area x W/m^2 x latency) is added afterwards: it
would make every design's choice its own (leakage differs with every buffer size), and it moves the EDP optimum
only through latency, which the choice already weighs.

A design whose buffers hold no candidate mapping of some layer is infeasible: `violation_buffer_bytes` sums, over
such layers, the least L1 + L2 overflow of any of its mappings (and the streamed layers' overflow), and its
latency and energy are those of the least-overflowing mappings, so a sampler still learns from it.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from collections.abc import Sequence
from dataclasses import dataclass

import moocore
import numpy as np
import pandas as pd

from dse.cost.area_power import area_power
from dse.cost.dataflow.model import Mapping, evaluate_sweep_designs, stream_cost
from dse.cost.dataflow.offchip import roofline
from dse.cost.dataflow.problem import has_mac_form, problem
from dse.errors import InputError
from dse.hw.dataflow import DataflowAccelerator
from dse.hw.tech import TechNode
from dse.search.dataflow_mapping import no_mapping_fits, space_table
from dse.search.network_mapping import OBJECTIVES, choose_grouped, inside_extremes
from dse.workload.layer import Layer

#: The design numbers a co-design point sets (the rest comes from the template).
DESIGN = ("num_pes", "l1_bytes", "l2_bytes", "noc_bw_bytes_per_cycle", "offchip_bw_bytes_per_s", "clock_hz")
#: At most this many delay settings (NoC bandwidths) share one PE count's vector pass: a study sweeps a few, and
#: each adds its delays to every row of the pass.
MAX_DELAY_SETTINGS = 8


@dataclass
class Table:
    """Every candidate mapping of each distinct MAC layer on one machine, rows grouped by layer (`starts`)."""

    starts: np.ndarray  # (groups + 1,) row offsets
    runtime_cycles: np.ndarray  # the analysis' cycles before the off-chip roofline
    dram_bytes: np.ndarray
    energy_j: np.ndarray  # dynamic energy (MAC, L1, L2, DRAM)
    l1_bytes: np.ndarray
    l2_bytes: np.ndarray
    params: pd.DataFrame  # the mappings: one int column per template parameter

    def __post_init__(self) -> None:
        self.l1_levels = np.unique(self.l1_bytes)
        self.l2_levels = np.unique(self.l2_bytes)

    def mapping(self, row: int) -> Mapping:
        return {name: int(value) for name, value in self.params.iloc[row].items()}


def undominated(table: Table) -> Table:
    """The table without the mappings that another mapping of their layer beats on every design: no more cycles
    before the roofline, DRAM bytes, energy, L1 or L2 bytes. Such a mapping is never the cheaper choice (its
    roofline cycles are no lower at any off-chip bandwidth and clock, and it fits no buffer the other does not), so
    dropping it changes no design's choice; on ResNet-50 it leaves 15-35% of the rows."""
    keep = np.zeros(len(table.params), dtype=bool)
    points = np.column_stack([table.runtime_cycles, table.dram_bytes, table.energy_j, table.l1_bytes,
                              table.l2_bytes]).astype(float)
    for start, end in zip(table.starts[:-1], table.starts[1:]):
        keep[start:end] = moocore.is_nondominated(points[start:end])  # one of equal rows kept
    rows = np.flatnonzero(keep)
    starts = np.concatenate([[0], np.cumsum(np.add.reduceat(keep, table.starts[:-1]) if len(keep) else [])])
    return Table(starts.astype(np.int64), table.runtime_cycles[rows], table.dram_bytes[rows], table.energy_j[rows],
                 table.l1_bytes[rows], table.l2_bytes[rows], table.params.iloc[rows].reset_index(drop=True))


def fork_workers(jobs: int) -> int:
    """Processes to run `jobs` independent passes in (each is seconds of single-core numpy): one per CPU this
    process may use, on Linux, when it has no other thread (a forked child could inherit a lock another thread
    holds; spawning instead would re-import the caller's main module); else 1, in this process."""
    if not hasattr(os, "sched_getaffinity") or threading.active_count() > 1:
        return 1
    return min(jobs, len(os.sched_getaffinity(0)))


def tables_of(layers: Sequence[Layer], machines: dict[tuple, DataflowAccelerator]) -> dict[tuple, Table]:
    """The tables of machines of one PE count (key -> design) for the distinct MAC layers `layers`, from one vector
    pass over every candidate mapping of every layer on every machine."""
    accs = list(machines.values())
    spaces = [space_table(layer, accs[0]) for layer in layers]
    for layer, maps in zip(layers, spaces):
        if not len(maps):
            raise no_mapping_fits(layer, accs[0].num_pes, "dataflow-accelerator design: parameter num_pes")
    starts = np.concatenate([[0], np.cumsum([len(maps) for maps in spaces])]).astype(np.int64)
    if not layers:  # a workload without MAC layers
        empty = np.zeros(0)
        return {key: Table(starts, empty, empty, empty, empty, empty, pd.DataFrame()) for key in machines}
    mappings = pd.concat(spaces, ignore_index=True)
    frame = evaluate_sweep_designs(list(zip(layers, spaces)), accs, all_metrics=False)
    tables = {}
    for d, key in enumerate(machines):
        f = frame[frame["design"].to_numpy() == d]
        tables[key] = undominated(Table(starts, f["runtime_cycles"].to_numpy(np.int64), f["dram_bytes"].to_numpy(float),
                                        (f["energy_mac_j"] + f["energy_l1_j"] + f["energy_l2_j"]
                                         + f["energy_dram_j"]).to_numpy(float),
                                        f["l1_bytes"].to_numpy(float), f["l2_bytes"].to_numpy(float), mappings))
    return tables


def build_tables(jobs: Sequence[tuple["Codesign", list[dict]]]) -> None:
    """The missing tables of co-designs, each with the designs it is about to evaluate: every pass of all of them
    in one pool (fork_workers), so one template's heavy passes share the CPUs with another's light ones."""
    passes = [(codesign, machines) for codesign, designs in jobs for machines in codesign._missing(designs)]
    layers, machines = [codesign.group_layers for codesign, _ in passes], [m for _, m in passes]
    workers = fork_workers(len(passes))
    if workers < 2:
        results = list(map(tables_of, layers, machines))
    else:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(tables_of, layers, machines))
    for (codesign, _), tables in zip(passes, results):
        codesign._tables.update(tables)


class Codesign:
    """Evaluates designs of one template for one workload; tables and choices are kept across calls."""

    def __init__(self, layers: Sequence[Layer], template: DataflowAccelerator, tech: TechNode, precision: str,
                 objective: str = "edp") -> None:
        if objective not in OBJECTIVES:
            raise InputError(f"mapping objective {objective!r} is not one of {', '.join(OBJECTIVES)}")
        self.layers, self.template, self.tech = list(layers), template, tech
        self.precision, self.objective = precision, objective
        tech.mac_area(precision)  # an unknown precision fails before any analysis
        index: dict[object, int] = {}
        self.layer_group = []  # per layer: its distinct MAC problem, or -1 for a streamed layer
        for layer in self.layers:
            key = (problem(layer), layer.elem_bytes) if has_mac_form(layer) else None
            if key is not None and key not in index:
                index[key] = len(index)
            self.layer_group.append(-1 if key is None else index[key])
        self.layer_group = np.array(self.layer_group, dtype=np.int64)
        first = {g: i for i, g in reversed(list(enumerate(self.layer_group))) if g >= 0}
        self.group_layers = [self.layers[first[g]] for g in range(len(index))]
        self.counts = np.bincount(self.layer_group[self.layer_group >= 0], minlength=len(index))
        streamed = [layer for layer, g in zip(self.layers, self.layer_group) if g < 0]
        # per streamed layer (a row): FLOPs, bytes moved, bytes per element; read once, not per evaluation
        self._stream_numbers = np.array([[float(l.flops), float(l.input_bytes + l.weight_bytes + l.output_bytes),
                                          float(l.elem_bytes)] for l in streamed]).reshape(-1, 3)
        self._tables: dict[tuple, Table] = {}
        self._settings: dict[tuple, dict] = {}  # every delay setting seen (_machine(d)[1:]) -> a design that has it
        self._choices: dict[tuple, tuple[np.ndarray, float]] = {}

    # ---- tables -------------------------------------------------------------------------------------------
    def _delay_names(self) -> tuple[str, ...]:
        """The design numbers besides the PE count that the analysis reads: NoC bandwidth, and under the per-step
        off-chip bound the off-chip bytes per cycle."""
        if self.template.offchip_bound == "step":
            return ("noc_bw_bytes_per_cycle", "offchip_bw_bytes_per_s", "clock_hz")
        return ("noc_bw_bytes_per_cycle",)

    def _machine(self, d: dict) -> tuple:
        """(PE count, delay setting...): the numbers a table depends on."""
        return (int(d["num_pes"]), *(float(d[name]) for name in self._delay_names()))

    def _build(self, designs: list[dict]) -> None:
        build_tables([(self, designs)])

    def _missing(self, designs: list[dict]) -> list[dict[tuple, DataflowAccelerator]]:
        """The vector passes the designs' missing tables need: per PE count, its machines (key -> design). The
        delay settings of one PE count only add delays to a pass (dse.cost.dataflow.vectorized.machine_axis), so a
        pass also takes the settings seen so far on other PE counts (up to MAX_DELAY_SETTINGS), which a study
        samples there too: a later pass for one of them would redo the whole analysis."""
        for d in designs:
            self._settings.setdefault(self._machine(d)[1:], d)
        missing: dict[int, dict[tuple, DataflowAccelerator]] = {}
        for d in designs:
            key = self._machine(d)
            if key not in self._tables:
                missing.setdefault(key[0], {})[key] = self.design(d)
        for pes, machines in missing.items():
            for setting, seen in self._settings.items():
                if len(machines) >= MAX_DELAY_SETTINGS:
                    break
                if (pes, *setting) not in self._tables:
                    machines.setdefault((pes, *setting), self.design({**seen, "num_pes": pes}))
        return list(missing.values())

    def design(self, d: dict) -> DataflowAccelerator:
        """The template with the design's numbers."""
        return dataclasses.replace(self.template, **{k: type(getattr(self.template, k))(d[k]) for k in DESIGN})

    # ---- the choice of mappings ---------------------------------------------------------------------------
    def _choose(self, designs: list[dict], tables: list[Table], stream_s: np.ndarray,
                stream_j: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """(row chosen per distinct MAC layer, buffer overflow in bytes) for each design (with its table, its table
        not empty) whose streamed layers take stream_s seconds and stream_j joules. The choices not yet memoised
        are made in one `choose_grouped` call, each design a network. They are memoised on which buffer-size levels
        a design reaches, which decides the rows that fit: enough while every layer has a row that fits. When some
        layer has none, the overflow and the least-overflowing rows depend on the exact sizes, so such a design's
        choice is memoised on them too."""
        levels = [(id(table), int(np.searchsorted(table.l1_levels, float(d["l1_bytes"]), side="right")),
                   int(np.searchsorted(table.l2_levels, float(d["l2_bytes"]), side="right")),
                   float(d["offchip_bw_bytes_per_s"]) / float(d["clock_hz"]), self.objective)
                  for d, table in zip(designs, tables)]
        self._memoise(levels, designs, tables, stream_s, stream_j)
        keys = [self._exact(key, d) if self._choices[key][1] > 0 else key for key, d in zip(levels, designs)]
        self._memoise(keys, designs, tables, stream_s, stream_j)
        return [self._choices[key] for key in keys]

    @staticmethod
    def _exact(key: tuple, d: dict) -> tuple:
        return (*key, float(d["l1_bytes"]), float(d["l2_bytes"]))

    def _memoise(self, keys: list[tuple], designs: list[dict], tables: list[Table], stream_s: np.ndarray,
                 stream_j: np.ndarray) -> None:
        """Make the choices of the keys not yet memoised, each for its first design, in one call; an overflowing
        choice is also kept under its design's exact sizes."""
        todo: dict[tuple, int] = {}  # a missing key -> its first design
        for i, key in enumerate(keys):
            if key not in self._choices:
                todo.setdefault(key, i)
        if not todo:
            return
        at = list(todo.values())
        made = self._choose_now([designs[i] for i in at], [tables[i] for i in at], stream_s[at], stream_j[at])
        for (key, i), choice in zip(todo.items(), made):
            self._choices[key] = choice
            if choice[1] > 0:
                self._choices.setdefault(self._exact(key, designs[i]), choice)

    def _choose_now(self, designs: list[dict], tables: list[Table], stream_s: np.ndarray,
                    stream_j: np.ndarray) -> list[tuple[np.ndarray, float]]:
        """`_choose` without the memo: every design's table rows side by side, the choice in one call."""
        groups = len(self.counts)
        sizes = np.array([len(table.params) for table in tables])
        offsets = np.cumsum(sizes) - sizes
        column = lambda name: np.concatenate([getattr(table, name) for table in tables])  # noqa: E731
        per_row = lambda key: np.repeat([float(d[key]) for d in designs], sizes)  # noqa: E731
        bandwidth, clock = per_row("offchip_bw_bytes_per_s"), per_row("clock_hz")
        cycles, _ = roofline(column("runtime_cycles"), column("dram_bytes"), bandwidth, clock)
        over = (np.maximum(column("l1_bytes") - per_row("l1_bytes"), 0)
                + np.maximum(column("l2_bytes") - per_row("l2_bytes"), 0))
        starts = np.concatenate([table.starts[:-1] + offset for table, offset in zip(tables, offsets)])
        least = np.minimum.reduceat(over, starts)  # 0 where some mapping of the layer fits
        # per row: design x groups + layer (every table has each layer's rows)
        layer = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(over))))
        pool = np.flatnonzero(over == least[layer])
        energy = column("energy_j")
        heads = np.flatnonzero(np.append(True, layer[pool][1:] != layer[pool][:-1]))
        pool = pool[inside_extremes(heads, cycles[pool], energy[pool])]  # the same choice, 10x fewer rows
        # the streamed layers, whose cost no mapping changes, join as one more group with one candidate
        clocks = np.array([float(d["clock_hz"]) for d in designs])
        chosen = choose_grouped(np.append(layer[pool] // groups, np.arange(len(tables))),
                                np.append(layer[pool] % groups, np.full(len(tables), groups)),
                                np.append(cycles[pool].astype(float), stream_s * clocks),
                                np.append(energy[pool], stream_j), [*self.counts, 1], self.objective)
        rows = pool[chosen[:, :groups]] - offsets[:, None]
        overflow = least.reshape(len(tables), groups).sum(axis=1)
        return [(r, float(o)) for r, o in zip(rows, overflow)]

    def mappings(self, d: dict) -> list[Mapping | None]:
        """The chosen mapping of every layer of the workload (None for streamed layers), for `evaluate_batch`."""
        self._build([d])
        table = self._tables[self._machine(d)]
        stream_s, stream_j, _ = self._streamed(self._designs([d]))
        ((chosen, _),) = self._choose([d], [table], stream_s, stream_j)
        return [table.mapping(chosen[g]) if g >= 0 else None for g in self.layer_group]

    # ---- evaluation ---------------------------------------------------------------------------------------
    def evaluate(self, designs: list[dict]) -> pd.DataFrame:
        """One row per design: latency_s, energy_j (leakage included), edp, area_mm2, power_w and their parts,
        and violation_buffer_bytes (> 0: some layer has no mapping that fits the buffers)."""
        self._build(designs)
        n = len(designs)
        acc = self._designs(designs)
        stream_s, stream_j, stream_over = self._streamed(acc)
        mac_s, mac_j, overflow = np.zeros(n), np.zeros(n), np.zeros(n)
        tables = [self._tables[self._machine(d)] for d in designs]
        live = [i for i, table in enumerate(tables) if len(table.params)]
        if live:
            choices = self._choose([designs[i] for i in live], [tables[i] for i in live], stream_s[live],
                                   stream_j[live])
            chosen = [rows for rows, _ in choices]
            overflow[live] = [o for _, o in choices]
            runtime = np.array([tables[i].runtime_cycles[rows] for i, rows in zip(live, chosen)])
            traffic = np.array([tables[i].dram_bytes[rows] for i, rows in zip(live, chosen)])
            clock = acc.clock_hz[live]
            cycles, _ = roofline(runtime, traffic, acc.offchip_bw_bytes_per_s[live, None], clock[:, None])
            mac_s[live] = (cycles @ self.counts) / clock
            mac_j[live] = [float(self.counts @ tables[i].energy_j[rows]) for i, rows in zip(live, chosen)]
        seconds = mac_s + stream_s
        hw = area_power(acc, self.tech, self.precision)
        static = hw.leakage_power_w * seconds
        energy = mac_j + stream_j + static
        frame = {"latency_s": seconds, "energy_j": energy, "edp": seconds * energy, "area_mm2": hw.area_m2 * 1e6,
                 "power_w": np.divide(energy, seconds, out=np.zeros(n), where=seconds > 0),
                 "leakage_power_w": hw.leakage_power_w, "energy_static_j": static}
        frame.update({k.replace("_m2", "_mm2"): v * 1e6 for k, v in hw.extra.items()})
        frame["violation_buffer_bytes"] = overflow + stream_over
        # one float block: a frame built column by column took a quarter of this method's time per batch
        columns = np.column_stack([np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in frame.values()])
        return pd.DataFrame(columns, columns=list(frame))

    def _designs(self, designs: list[dict]) -> DataflowAccelerator:
        """The template with each design number an array over `designs`."""
        return dataclasses.replace(self.template, **{k: np.array([float(d[k]) for d in designs]) for k in DESIGN})

    def _streamed(self, acc: DataflowAccelerator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Seconds, energy and buffer overflow of the layers without MACs on every design (numbers as arrays)."""
        n = np.size(acc.num_pes)
        if not len(self._stream_numbers):
            return np.zeros(n), np.zeros(n), np.zeros(n)
        flops, moved, eb = (self._stream_numbers[None, :, k] for k in range(3))
        column = dataclasses.replace(acc, **{k: np.asarray(getattr(acc, k))[:, None] for k in DESIGN})
        cost = stream_cost(flops, moved, eb, column)
        over = (np.maximum(cost.l1_bytes - column.l1_bytes, 0) + np.maximum(cost.l2_bytes - column.l2_bytes, 0))
        shape = (n, len(self._stream_numbers))
        return (np.broadcast_to(cost.seconds, shape).sum(axis=1), np.broadcast_to(cost.energy_j, shape).sum(axis=1),
                np.broadcast_to(over, shape).max(axis=1))
