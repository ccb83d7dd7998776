"""Workloads: layer records, layer graphs, the model zoo, training expansion, ONNX import and MAESTRO export."""

from dse.workload.builder import Builder
from dse.workload.graph import Workload, validate
from dse.workload.layer import COMPUTE_OPS, Layer, Op, Pass
from dse.workload.training import training
from dse.workload.zoo import MODELS, build

__all__ = ["Builder", "COMPUTE_OPS", "Layer", "MODELS", "Op", "Pass", "Workload", "build", "training", "validate"]
