"""Single-modality CNNs: torchvision ImageNet models and EF-Train's CIFAR-10 networks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dse.workload.builder import Builder

if TYPE_CHECKING:
    from dse.workload.graph import Workload

VGG16_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]


def alexnet(batch: int = 1) -> Workload:
    """AlexNet as in torchvision `alexnet` (Krizhevsky 2014 single-tower variant): 5 conv + 3 FC at 224x224."""
    b = Builder("alexnet", batch, (3, 224, 224))
    for i, (K, R, stride, pad, pool) in enumerate(
        [(64, 11, 4, 2, True), (192, 5, 1, 2, True), (384, 3, 1, 1, False), (256, 3, 1, 1, False), (256, 3, 1, 1, True)],
        start=1,
    ):
        b.conv(f"conv{i}", K, R, stride, pad)
        b.act(f"relu{i}")
        if pool:
            b.pool(f"pool{i}", 3, 2)
    _classifier(b, [4096, 4096, 1000])
    return b.build()


def _classifier(b: Builder, widths: list[int]) -> None:
    """FC stack with ReLU between layers (dropout costs nothing at inference and is omitted)."""
    for i, width in enumerate(widths, start=1):
        b.fc(f"fc{i}", width)
        if i < len(widths):
            b.act(f"fc{i}_relu")


def vgg16_convs(b: Builder, prefix: str = "", bn: bool = False, src: str | None = None) -> str:
    """VGG-16's 13 3x3 convolutions (each + [BN +] ReLU) and 5 max-pools, named `{prefix}conv{block}_{i}`."""
    b.last = src or b.last
    block, idx = 1, 1
    for item in VGG16_CFG:
        if item == "M":
            b.pool(f"{prefix}pool{block}", 2)
            block, idx = block + 1, 1
            continue
        name = f"{prefix}conv{block}_{idx}"
        b.conv(name, item, 3)
        if bn:
            b.norm(f"{name}_bn")
        b.act(f"{name}_relu")
        idx += 1
    return b.last


def vgg16(batch: int = 1, bn: bool = False) -> Workload:
    """VGG-16 (configuration D, Simonyan & Zisserman 2015) as torchvision `vgg16` / `vgg16_bn`, 224x224 input."""
    b = Builder("vgg16_bn" if bn else "vgg16", batch, (3, 224, 224))
    vgg16_convs(b, bn=bn)
    _classifier(b, [4096, 4096, 1000])
    return b.build()


def vgg16_bn(batch: int = 1) -> Workload:
    """VGG-16 with batch norm after every conv, as torchvision `vgg16_bn`."""
    return vgg16(batch, bn=True)


def conv_bn(b: Builder, name: str, K: int, R: int, stride: int = 1, relu: bool = True, src: str | None = None) -> str:
    """conv (no bias) + batch norm [+ ReLU], torchvision's basic unit."""
    b.conv(name, K, R, stride, src=src, bias=False)
    out = b.norm(f"{name}_bn")
    return b.act(f"{name}_relu") if relu else out


def resnet_stem(b: Builder, prefix: str = "", src: str | None = None) -> str:
    """7x7/2 conv + BN + ReLU and a 3x3/2 max-pool (ResNet's res1)."""
    conv_bn(b, f"{prefix}conv1", 64, 7, 2, src=src)
    return b.pool(f"{prefix}maxpool", 3, 2, pad=1)


def resnet_stage(b: Builder, prefix: str, stage: int, count: int, bottleneck: bool, src: str | None = None,
                 first_stride: int | None = None) -> str:
    """One torchvision ResNet v1.5 stage (`layer{stage}`): stride on the 3x3 conv of a bottleneck; a projection
    shortcut (1x1 conv + BN) wherever the shape changes."""
    width = 64 * 2 ** (stage - 1)
    expansion = 4 if bottleneck else 1
    b.last = src or b.last
    for i in range(count):
        stride = (first_stride if first_stride is not None else (2 if stage > 1 else 1)) if i == 0 else 1
        name = f"{prefix}layer{stage}_{i}"
        block_in = b.last
        if bottleneck:
            conv_bn(b, f"{name}_conv1", width, 1, src=block_in)
            conv_bn(b, f"{name}_conv2", width, 3, stride)
            main = conv_bn(b, f"{name}_conv3", width * expansion, 1, relu=False)
        else:
            conv_bn(b, f"{name}_conv1", width, 3, stride, src=block_in)
            main = conv_bn(b, f"{name}_conv2", width, 3, relu=False)
        shortcut = block_in
        if stride != 1 or b.shape(block_in)[0] != width * expansion:
            shortcut = conv_bn(b, f"{name}_downsample", width * expansion, 1, stride, relu=False, src=block_in)
        b.eltwise(f"{name}_add", [main, shortcut])
        b.act(f"{name}_relu")
    return b.last


RESNET_BLOCKS = {18: [2, 2, 2, 2], 50: [3, 4, 6, 3]}


def _resnet(name: str, batch: int, depth: int) -> Workload:
    """torchvision ResNet: stem, four stages, global average pool, 1000-way FC."""
    b = Builder(name, batch, (3, 224, 224))
    resnet_stem(b)
    for stage, count in enumerate(RESNET_BLOCKS[depth], start=1):
        resnet_stage(b, "", stage, count, bottleneck=depth >= 50)
    b.global_pool("avgpool")
    b.fc("fc", 1000)
    return b.build()


def resnet18(batch: int = 1) -> Workload:
    """ResNet-18 (He et al. 2016) as torchvision `resnet18`: basic blocks [2, 2, 2, 2]."""
    return _resnet("resnet18", batch, 18)


def resnet50(batch: int = 1) -> Workload:
    """ResNet-50 (He et al. 2016) as torchvision `resnet50` (v1.5): bottleneck blocks [3, 4, 6, 3]."""
    return _resnet("resnet50", batch, 50)


MOBILENETV2_CFG = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def mobilenet_v2(batch: int = 1) -> Workload:
    """MobileNetV2 (Sandler et al. 2018) as torchvision `mobilenet_v2`, width 1.0: inverted residuals, ReLU6."""
    b = Builder("mobilenet_v2", batch, (3, 224, 224))
    b.conv("conv0", 32, 3, 2, bias=False)
    b.norm("conv0_bn")
    b.act("conv0_relu", "relu6")
    block = 0
    for expand, channels, repeats, first_stride in MOBILENETV2_CFG:
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            prefix = f"block{block}"
            src = b.last
            C = b.shape(src)[0]
            if expand != 1:
                b.conv(f"{prefix}_expand", C * expand, 1, bias=False)
                b.norm(f"{prefix}_expand_bn")
                b.act(f"{prefix}_expand_relu", "relu6")
            b.dwconv(f"{prefix}_dw", 3, stride, bias=False)
            b.norm(f"{prefix}_dw_bn")
            b.act(f"{prefix}_dw_relu", "relu6")
            b.conv(f"{prefix}_project", channels, 1, bias=False)
            out = b.norm(f"{prefix}_project_bn")
            if stride == 1 and C == channels:
                b.eltwise(f"{prefix}_add", [out, src])
            block += 1
    b.conv("conv_last", 1280, 1, bias=False)
    b.norm("conv_last_bn")
    b.act("conv_last_relu", "relu6")
    b.global_pool("avgpool")
    b.fc("classifier", 1000)
    return b.build()


def _ef_train_cifar(name: str, batch: int, convs: list[list[int]], pools_after: set[int], fcs: list[int]) -> Workload:
    """EF-Train's CIFAR-10 nets: conv [M, N, R, C, K, S] with 'same' padding, ReLU after every conv, 2x2 max-pool."""
    b = Builder(name, batch, (3, 32, 32))
    for i, (M, N, R, C, K, S) in enumerate(convs, start=1):
        conv = b.conv(f"conv{i}", M, K, S)
        layer = b.workload.layer(conv)
        assert (layer.C, layer.Y_out, layer.X_out) == (N, R, C), f"{name}: conv{i} shape differs from the paper"
        b.act(f"conv{i}_relu")
        if i in pools_after:
            b.pool(f"pool{i}", 2)
    for i, width in enumerate(fcs, start=1):
        b.fc(f"fc{i}", width)
        if i < len(fcs):
            b.act(f"fc{i}_relu")
    return b.build()


def ef_train_1x(batch: int = 128) -> Workload:
    """EF-Train's "1X" CIFAR-10 CNN (from Venkataramanaiah et al. FPL'19), EF-Train TODAES'22 Sec. 6; batch 128."""
    convs = [[16, 3, 32, 32, 3, 1], [16, 16, 32, 32, 3, 1], [32, 16, 16, 16, 3, 1], [32, 32, 16, 16, 3, 1],
             [64, 32, 8, 8, 3, 1], [64, 64, 8, 8, 3, 1]]
    return _ef_train_cifar("ef_train_1x", batch, convs, {2, 4, 6}, [10])


def lenet10(batch: int = 128) -> Workload:
    """LeNet-10 for CIFAR-10 as compared in EF-Train (Liu et al. ICFPT'17): 3 conv + 2 FC, 25.17 MFLOPs training."""
    convs = [[32, 3, 32, 32, 3, 1], [32, 32, 16, 16, 3, 1], [64, 32, 8, 8, 3, 1]]
    return _ef_train_cifar("lenet10", batch, convs, {1, 2, 3}, [64, 10])


def ef_train_alexnet(batch: int = 1) -> Workload:
    """AlexNet as EF-Train runs it: Caffe BVLC single tower at 3x227x227, 96-256-384-384-256, FC 4096-4096-1000.

    The zoo's `alexnet` is torchvision's 224 variant with 64/192 first channels; paper comparisons use this one."""
    b = Builder("ef_train_alexnet", batch, (3, 227, 227))
    for i, (K, R, stride, pad, pool) in enumerate(
            [(96, 11, 4, 0, True), (256, 5, 1, 2, True), (384, 3, 1, 1, False), (384, 3, 1, 1, False),
             (256, 3, 1, 1, True)], start=1):
        b.conv(f"conv{i}", K, R, stride, pad)
        b.act(f"relu{i}")
        if pool:
            b.pool(f"pool{i}", 3, 2)
    for i, width in enumerate([4096, 4096, 1000], start=6):
        b.fc(f"fc{i}", width)
        if i < 8:
            b.act(f"fc{i}_relu")
    return b.build()


def alexnet_2012(batch: int = 1) -> Workload:
    """AlexNet as Krizhevsky et al. (NIPS 2012) split it over two GPUs: conv2, conv4, conv5 in 2 groups, 3x227x227.

    The shapes the Eyeriss chip ran (JSSC 2017 Table V: 0.42, 0.90, 0.60, 0.45, 0.30 GMAC per batch of 4); LRN is
    left out (it moves no MACs)."""
    b = Builder("alexnet_2012", batch, (3, 227, 227))
    for i, (K, R, stride, pad, groups, pool) in enumerate(
            [(96, 11, 4, 0, 1, True), (256, 5, 1, 2, 2, True), (384, 3, 1, 1, 1, False), (384, 3, 1, 1, 2, False),
             (256, 3, 1, 1, 2, True)], start=1):
        b.conv(f"conv{i}", K, R, stride, pad, groups=groups)
        b.act(f"relu{i}")
        if pool:
            b.pool(f"pool{i}", 3, 2)
    for i, width in enumerate([4096, 4096, 1000], start=6):
        b.fc(f"fc{i}", width)
        if i < 8:
            b.act(f"fc{i}_relu")
    return b.build()


MODELS = {
    "alexnet": alexnet,
    "alexnet_2012": alexnet_2012,
    "vgg16": vgg16,
    "vgg16_bn": vgg16_bn,
    "resnet18": resnet18,
    "resnet50": resnet50,
    "mobilenet_v2": mobilenet_v2,
    "ef_train_1x": ef_train_1x,
    "lenet10": lenet10,
    "ef_train_alexnet": ef_train_alexnet,
}
