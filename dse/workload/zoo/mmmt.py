"""H2H's six multi-modality multi-task (MMMT) models (Zhang et al., DAC'22, Table 2; layer counts from CHEF, TCAD'24).

H2H and CHEF publish, per model, only the domain, the backbones, the parameter total and the number of compute layers
(conv, fc, LSTM); the layer tables are not public. Each builder below rebuilds one from its source paper and says
where every number comes from. The layer count is matched exactly; parameter totals land within 25% of H2H's
Table 2 (VLocNet, at -20%, is the farthest; the other five are within 4%).

Conventions shared by all six, taken from the one MMMT table H2H did publish: its repository's `DNN/ExampleDNN.py`
(github.com/xyzxinyizhang/H2H) lists three modalities of 12, 12 and 20 3x3 convolutions, two of them concatenated into
the third's 13th layer (384 = 3 x 128 input channels). That is 44 layers and 13,239,360 weights: exactly CASUA-SURF's
row (44 layers, 13.2M). So H2H counts main-path layers only:
- no 1x1 projection shortcuts (a residual block whose shape changes has no shortcut; blocks that keep their shape add
  the identity), no squeeze-and-excitation gates, no batch norm (folded into the convolution and its bias);
- a layer record has one square kernel size and no group count: a grouped convolution is a dense one, and there
  are no 1-D (1xk) convolutions.
Every node carries `backbone` (its modality stream, or `fusion` for layers after streams merge);
`graph["backbones"]` lists them, modality streams first. Activations are ReLU throughout (dse's activation set).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dse.workload.builder import Builder
from dse.workload.layer import Layer, Op
from dse.workload.zoo.cnn import vgg16_convs

if TYPE_CHECKING:
    from dse.workload.graph import Workload

#: Backbone of the layers after the modality streams merge (task heads included).
FUSION = "fusion"


# ---- plumbing ---------------------------------------------------------------------------------------------------
def _tag(b: Builder, backbone: str) -> None:
    """Give every node added since the last call the backbone `backbone`."""
    for _, data in b.workload.nodes(data=True):
        data.setdefault("backbone", backbone)


def _finish(b: Builder, backbones: list[str]) -> Workload:
    """Record the backbone list (modality streams, then `fusion`) and validate the graph."""
    b.workload.graph["backbones"] = backbones
    return b.build()


def _conv(b: Builder, name: str, K: int, R: int, stride: int = 1, src: str | None = None) -> str:
    b.conv(name, K, R, stride, src=src)
    return b.act(f"{name}_relu")


def _row_pool(b: Builder, name: str, window: int, stride: int, pad: int = 0, src: str | None = None) -> str:
    """Max-pool along rows only (a text sequence laid out on rows); the builder's pools are square."""
    src = src or b.last
    C, Y, X = b.shape(src)
    layer = Layer(name=name, op=Op.MAXPOOL, N=b.batch, K=C, C=C, Y=Y, X=X, R=window, S=1, stride_y=stride,
                  stride_x=1, pad_y=pad, pad_x=0, elem_bytes=b.elem_bytes)
    b.workload.add_layer(layer, [] if src in b.inputs else [src])
    b.last = name
    return name


def _flatten(b: Builder, name: str, src: str | None = None) -> str:
    C, Y, X = b.shape(src or b.last)
    return b.reshape(name, (C * Y * X, 1, 1), src=src)


def _to_sequence(b: Builder, name: str, steps: int, src: str | None = None) -> str:
    """A feature map whose cols are `steps` time steps (each maybe several cols wide) as a sequence for an LSTM."""
    C, Y, X = b.shape(src or b.last)
    return b.reshape(name, (C * Y * X // steps, 1, steps), src=src)


def _residual(b: Builder, prefix: str, main: str, src: str) -> str:
    """Identity shortcut when the block kept its shape (no projection conv: see the module docstring)."""
    if b.shape(main) == b.shape(src):
        main = b.eltwise(f"{prefix}_add", [main, src])
    return b.act(f"{prefix}_relu", src=main)


def _basic_block(b: Builder, prefix: str, K: int, stride: int = 1, src: str | None = None) -> str:
    """ResNet basic block: two 3x3 convolutions."""
    src = src or b.last
    _conv(b, f"{prefix}_conv1", K, 3, stride, src=src)
    return _residual(b, prefix, b.conv(f"{prefix}_conv2", K, 3), src)


def _bottleneck(b: Builder, prefix: str, width: int, out: int, stride: int = 1, src: str | None = None) -> str:
    """ResNet bottleneck (torchvision v1.5: stride on the 3x3): 1x1 to `width`, 3x3, 1x1 to `out`."""
    src = src or b.last
    _conv(b, f"{prefix}_conv1", width, 1, src=src)
    _conv(b, f"{prefix}_conv2", width, 3, stride)
    return _residual(b, prefix, b.conv(f"{prefix}_conv3", out, 1), src)


#: ResNet-50 stages res2..res5: (bottleneck width, output channels, blocks, stride of the first block).
RESNET50 = {"res2": (64, 256, 3, 1), "res3": (128, 512, 4, 2), "res4": (256, 1024, 6, 2), "res5": (512, 2048, 3, 2)}


def _resnet50(b: Builder, prefix: str, src: str, stages: list[str]) -> str:
    """ResNet-50 conv1 + max-pool, then the named stages; 1 + 3 x (blocks) convolutions (no projections)."""
    _conv(b, f"{prefix}_conv1", 64, 7, 2, src=src)
    b.pool(f"{prefix}_maxpool", 3, 2, pad=1)
    for stage in stages:
        width, out, blocks, stride = RESNET50[stage]
        for i in range(blocks):
            _bottleneck(b, f"{prefix}_{stage}_{i}", width, out, stride if i == 0 else 1)
    return b.last


# ---- the six models ---------------------------------------------------------------------------------------------
def vlocnet(batch: int = 1) -> Workload:
    """VLocNet (Valada et al., ICRA'18): ResNet-50 global-pose stream + two-frame odometry streams; 141 layers.

    Source: Valada, Radwan, Burgard, "Deep Auxiliary Learning for Visual Localization and Odometry", ICRA 2018
    (arXiv 1803.03642). The odometry wiring (res4 maps of the two frames concatenated, res5 on the pair) follows the
    public re-implementation DecaYale/VLocNet (`model/vlocnet.py`).
    Inputs: the previous and the current RGB frame, 3x224x224 each.
    - `global` (current frame): ResNet-50 conv1..res5 (1 + 3x(3+4+6+3) = 49 convs), then fc1 (1024) on the
      flattened 2048x7x7 res5 map and one 7-wide pose regressor (VLocNet's 3-wide translation and 4-wide rotation
      layers read the same input, so they are one 7-output layer here): 51 layers.
    - `odom_prev`, `odom_cur` (previous / current frame): ResNet-50 conv1..res4, 40 convs each.
    - `fusion` (odometry task net): the two res4 maps concatenated (2048 channels; the cross-stream edges), res5 on
      them (9 convs), global average pool, one 7-wide relative-pose regressor: 10 layers. The global stream passes
      no tensor to the others: VLocNet couples the tasks through tied weights and its training loss.
    51 + 40 + 40 + 10 = 141. The choices that make it 141: every stream is its own chain of layers (VLocNet ties the
    global and current-odometry weights up to res3; tied weights stay separate layers in a per-modality graph), no
    projection shortcuts (H2H's convention), fc1 only on the global head, and no fc for VLocNet's previous-pose
    feedback.
    Parameters: the convolutions hold 49.8M; fc1 on the flattened (not pooled) res5 map adds 102.8M: 152.6M, 20%
    under Table 2's 192M. With global pooling before fc1 (as VLocNet does) the model would hold 51.9M, so H2H's
    figure must include a large fully-connected layer of this kind.
    """
    b = Builder("vlocnet", batch, (3, 224, 224))
    prev = b.input("image_prev", (3, 224, 224))
    cur = b.input("image_cur", (3, 224, 224))
    _resnet50(b, "global", cur, ["res2", "res3", "res4", "res5"])
    b.fc("global_fc1", 1024)
    b.act("global_fc1_relu")
    b.fc("global_pose", 7)
    _tag(b, "global")
    prev_res4 = _resnet50(b, "odom_prev", prev, ["res2", "res3", "res4"])
    _tag(b, "odom_prev")
    cur_res4 = _resnet50(b, "odom_cur", cur, ["res2", "res3", "res4"])
    _tag(b, "odom_cur")
    b.concat("odometry_concat", [prev_res4, cur_res4])
    width, out, blocks, stride = RESNET50["res5"]
    for i in range(blocks):
        _bottleneck(b, f"odometry_res5_{i}", width, out, stride if i == 0 else 1)
    b.global_pool("odometry_avgpool")
    b.fc("odometry_pose", 7)
    _tag(b, FUSION)
    return _finish(b, ["global", "odom_prev", "odom_cur", FUSION])


#: CASUA-SURF per H2H's table: (output channels, convs) per stage; each stage is two basic blocks at one resolution.
CASUA_STREAM = [(64, 4), (64, 4), (128, 4)]
CASUA_FUSED = [(256, 4), (512, 4)]


def casua_surf(batch: int = 1) -> Workload:
    """CASIA-SURF fusion baseline (Zhang et al., CVPR'19): 3 ResNet-18-like streams (RGB, depth, IR); 44 conv layers.

    Source: S. Zhang et al., "A Dataset and Benchmark for Large-scale Multi-modal Face Anti-spoofing", CVPR 2019
    (each modality has its own res1..res3, the three are concatenated, res4 and res5 are shared; H2H spells it
    "CASUA-SURF"). The layer shapes are H2H's own: `DNN/ExampleDNN.py` in H2H's repository lists exactly this model.
    - `rgb`, `depth`, `ir`: input 3x112x112 each; 3x3 convs, stride 1, 'same' padding (the table's S=1, P=1);
      4 convs at 64@112x112, 2x2 max-pool, 4 at 64@56x56, max-pool, 4 at 128@28x28: 12 convs per stream.
    - `fusion`: each stream max-pooled to 14x14, concatenated (384 channels: the cross-stream edges), 4 convs at
      256@14x14 (the first reads 384 channels), max-pool, 4 at 512@7x7: 8 convs.
    3 x 12 + 8 = 44, all convolutions (no classifier in H2H's table; Table 2 lists CNN only). Convs pair into basic
    blocks; a block that keeps its shape adds the identity. Parameters: 13,239,360 weights (H2H's table exactly) +
    6,144 biases = 13.25M (Table 2: 13.2M).
    """
    b = Builder("casua_surf", batch, (3, 112, 112))
    ends = []
    for modality in ("rgb", "depth", "ir"):
        b.input(modality, (3, 112, 112))
        for stage, (K, convs) in enumerate(CASUA_STREAM, start=1):
            if stage > 1:
                b.pool(f"{modality}_pool{stage - 1}", 2)
            for block in range(convs // 2):
                _basic_block(b, f"{modality}_s{stage}_b{block}", K)
        ends.append(b.pool(f"{modality}_pool3", 2))
        _tag(b, modality)
    b.concat("fusion_concat", ends)
    for stage, (K, convs) in enumerate(CASUA_FUSED, start=4):
        if stage > 4:
            b.pool(f"fusion_pool{stage - 1}", 2)
        for block in range(convs // 2):
            _basic_block(b, f"fusion_s{stage}_b{block}", K)
    _tag(b, FUSION)
    return _finish(b, ["rgb", "depth", "ir", FUSION])


#: VD-CNN conv blocks (Conneau et al., EACL'17, depth 9): two 3-wide convolutions per width.
VDCNN9_BLOCKS = [64, 64, 128, 128, 256, 256, 512, 512]


def _vgg16_features(b: Builder, prefix: str, src: str) -> str:
    """VGG-16 13 convolutions + fc6, fc7 (4096 each): the image feature (4096x1x1) of VGG-16 without fc8."""
    vgg16_convs(b, f"{prefix}_", src=src)
    b.fc(f"{prefix}_fc6", 4096)
    b.act(f"{prefix}_fc6_relu")
    b.fc(f"{prefix}_fc7", 4096)
    return b.act(f"{prefix}_fc7_relu")


def _vdcnn_features(b: Builder, prefix: str, src: str) -> str:
    """VD-CNN depth-9 conv blocks on a 64-channel text map; halving max-pools between widths; k-max pooling (k=8)."""
    b.last = src
    for i, K in enumerate(VDCNN9_BLOCKS):
        if i and K != VDCNN9_BLOCKS[i - 1]:
            _row_pool(b, f"{prefix}_pool{i}", 3, 2, pad=1)
        _conv(b, f"{prefix}_conv{i + 1}", K, 3)
    rows = b.shape(b.last)[1]
    _row_pool(b, f"{prefix}_kmax", rows // 8, rows // 8)  # k-max pooling as a max-pool to 8 rows (same output size)
    return _flatten(b, f"{prefix}_flatten")


def vfs(batch: int = 1) -> Workload:
    """VFS (Thuseethan et al., WI-IAT'20): 2 VGG-16 image streams + 2 VD-CNN text streams, late fusion; 48 layers.

    Source: S. Thuseethan et al., "Multimodal deep learning framework for sentiment analysis from text-image web
    data", WI-IAT 2020: salient visual cues and high-attention textual cues of a web post, a stacked multimodal
    association learner, late fusion. CHEF gives the input shapes (VGG 3x224x224, VD-CNN 64x1014x4) and its VFS
    schedule (Fig. 5) shows four modality colours: two long conv streams with 2-3 fc layers each, two short ones.
    - `image` (whole picture) and `salient` (a salient-region crop: our reading of "salient visual cues"),
      3x224x224 each: VGG-16's 13 convolutions and fc6, fc7 (4096): 15 layers each.
    - `text1`, `text2` (two text fields of the post: our reading of "different forms of texts"), 64x1014x4 each,
      read as 64 channels (the width of VD-CNN's first "temporal" convolution: the input already is that layer's
      output) x 1014 characters x 4 columns. VD-CNN's
      depth-9 conv blocks: 2 convs at each of 64, 128, 256, 512 channels (3x3, since H2H's layer records carry one
      square kernel size), max-pool (3, stride 2) halving the characters between widths, k-max pooling to 8 rows:
      8 convs each, output 512x8x4.
    - `fusion`: the association learner, fc (2048) over [salient fc7, text1, text2] (the cross-stream edges), and
      the late-fusion classifier, fc over [image fc7, association] to 3 sentiment classes: 2 layers.
    15 + 15 + 8 + 8 + 2 = 48. Parameters: 2 x 134.3M (VGG-16 without fc8) + 2 x 4.7M (text convs) + 75.5M
    (association fc) = 353.5M, 3% under Table 2's 365M.
    """
    b = Builder("vfs", batch, (3, 224, 224))
    features = {}
    for modality in ("image", "salient"):
        features[modality] = _vgg16_features(b, modality, b.input(modality, (3, 224, 224)))
        _tag(b, modality)
    for modality in ("text1", "text2"):
        features[modality] = _vdcnn_features(b, modality, b.input(modality, (64, 1014, 4)))
        _tag(b, modality)
    b.concat("fusion_assoc_concat", [features["salient"], features["text1"], features["text2"]])
    b.fc("fusion_assoc", 2048)
    assoc = b.act("fusion_assoc_relu")
    b.concat("fusion_late_concat", [features["image"], assoc])
    b.fc("fusion_classifier", 3)
    _tag(b, FUSION)
    return _finish(b, ["image", "salient", "text1", "text2", FUSION])


#: FaceBagNet per-modality encoder (its "model A": SE-ResNeXt bottlenecks [2, 2, 2, 2], layer0..layer2 used):
#: stage -> (bottleneck width, output channels, stride of the first block).
FACEBAG_STREAM = {"res2": (128, 256, 1), "res3": (256, 512, 2)}


def facebag(batch: int = 1) -> Workload:
    """FaceBagNet (Shen et al., CVPRW'19): 3 ResNeXt streams (RGB, depth, IR), fused res4/res5, 2 tasks; 51 layers.

    Source: T. Shen, Y. Huang, Z. Tong, "FaceBagNet: Bag-of-local-features Model for Multi-modal Face Anti-spoofing",
    CVPR Workshops 2019, and its authors' code (SeuTao/FaceBagNet: `model_fusion/FaceBagNet_model_A_SEFusion.py`,
    backbone `FaceBagNet_model_A`; the architecture figure `docs/v1_fusion.png`).
    - `rgb`, `depth`, `ir`: input 3x112x112 each (a face crop; FaceBagNet also runs on smaller patches, which
      changes MACs only). 7x7 stride-2 conv (64) + max-pool; res2 and res3 of two ResNeXt bottlenecks each
      (widths 128 and 256, outputs 256 and 512; their grouped 3x3 is dense, H2H's records having no group count):
      1 + 6 + 6 = 13 convs per stream.
    - `fusion`: the three 512-channel maps concatenated (1536; the cross-stream edges), the code's 1x1 conv to 384,
      res4 = 2 basic blocks to 512 channels (stride 2; the width in the authors' architecture figure, the code
      uses 256),
      res5 = 2 basic blocks at 512 (stride 2), global average pool, fc 256 then fc 2 (live/spoof, the code's head),
      and fc 300 on the pooled features (subject identity, the second task of FaceBagNet's single-modal net):
      1 + 4 + 4 + 3 = 12 layers.
    3 x 13 + 12 = 51. Parameters: 25.3M (Table 2: 25M); with the code's res4 width of 256 they would be 17.9M.
    """
    b = Builder("facebag", batch, (3, 112, 112))
    ends = []
    for modality in ("rgb", "depth", "ir"):
        src = b.input(modality, (3, 112, 112))
        _conv(b, f"{modality}_conv1", 64, 7, 2, src=src)
        b.pool(f"{modality}_maxpool", 3, 2, pad=1)
        for stage, (width, out, stride) in FACEBAG_STREAM.items():
            for i in range(2):
                _bottleneck(b, f"{modality}_{stage}_{i}", width, out, stride if i == 0 else 1)
        ends.append(b.last)
        _tag(b, modality)
    b.concat("fusion_concat", ends)
    _conv(b, "fusion_reduce", 384, 1)
    for stage, K in (("res4", 512), ("res5", 512)):
        for i in range(2):
            _basic_block(b, f"fusion_{stage}_{i}", K, 2 if i == 0 else 1)
    pooled = b.global_pool("fusion_avgpool")
    b.fc("fusion_fc1", 256)
    b.act("fusion_fc1_relu")
    b.fc("fusion_spoof", 2)
    b.fc("fusion_identity", 300, src=pooled)
    _tag(b, FUSION)
    return _finish(b, ["rgb", "depth", "ir", FUSION])


#: CNN-LSTM modalities: name -> (input shape, conv widths, LSTM hidden). Each conv is 3x3 'same' + ReLU; a 2x2
#: max-pool follows each of the first four, so every modality ends at STEPS columns (or STEPS x 4 for depth).
CNN_LSTM_STEPS = 16
CNN_LSTM = {
    "depth": ((1, 64, 64 * CNN_LSTM_STEPS), [32, 64, 128, 128, 128], 512),
    "audio": ((1, 64, 16 * CNN_LSTM_STEPS), [32, 64, 128, 256, 256], 512),
    "rfid": ((1, 16, 16 * CNN_LSTM_STEPS), [32, 64, 128, 256, 256], 512),
}


def cnn_lstm(batch: int = 1) -> Workload:
    """Multimodal CNN-LSTM (Li et al., 2017): per-sensor ConvNet + LSTM, fused by an LSTM; 20 layers (CNN, LSTM).

    Source: X. Li et al., "Concurrent Activity Recognition with Multimodal CNN-LSTM Structure", arXiv 1702.01638:
    each data type goes through its own ConvNet (spatial features) then an LSTM (temporal features); the features
    are fused and one classifier emits a binary vector of concurrent activities. The sensors are the kinds the
    authors' trauma-resuscitation work records; the per-layer sizes are not in H2H and are ours, chosen so the
    parameter total lands near Table 2's 16M. A window of 16 time steps:
    - `depth` (depth video): 16 frames of 64x64 laid side by side (1x64x1024; a 'same' 3x3 conv then costs exactly
      a per-frame one); `audio`: a 64-band spectrogram, 16 columns per step (1x64x256); `rfid`: received signal
      strength of 16 tag/antenna pairs, 16 samples per step (1x16x256).
    - per modality: 5 conv layers (widths in `CNN_LSTM`), max-pool after the first four, the map reshaped into a
      16-step sequence, one LSTM (512): 6 layers each.
    - `fusion`: the three 512-wide sequences concatenated step by step (the cross-stream edges), one LSTM (512),
      and the classifier as a 1x1 convolution over the steps (a per-step linear layer to 16 activity types; CHEF
      lists CNN-LSTM's layer types as CNN and LSTM only): 2 layers.
    3 x 6 + 2 = 20. Parameters: 16.5M, 14.2M of them in the four LSTMs (Table 2: 16M).
    """
    b = Builder("cnn_lstm", batch, (1, 64, 64 * CNN_LSTM_STEPS))
    ends = []
    for modality, (shape, widths, hidden) in CNN_LSTM.items():
        b.input(modality, shape)
        for i, K in enumerate(widths, start=1):
            _conv(b, f"{modality}_conv{i}", K, 3)
            if i < len(widths):
                b.pool(f"{modality}_pool{i}", 2)
        _to_sequence(b, f"{modality}_sequence", CNN_LSTM_STEPS)
        ends.append(b.lstm(f"{modality}_lstm", hidden))
        _tag(b, modality)
    b.concat("fusion_concat", ends)
    b.lstm("fusion_lstm", 512)
    b.conv("fusion_classifier", 16, 1)
    _tag(b, FUSION)
    return _finish(b, ["depth", "audio", "rfid", FUSION])


#: MoCap recurrent sub-networks: name -> (input (features, 1, steps), stacked LSTM widths).
MOCAP_SEQUENCES = {"speech": ((34, 1, 400), [512, 256]), "text": ((300, 1, 500), [512, 256])}
#: MoCap's motion-capture ConvNet: 3x3 conv widths; a 2x2 max-pool follows each of the first three.
MOCAP_CONVS = [32, 64, 64, 128, 128]


def mocap(batch: int = 1) -> Workload:
    """Multi-modal emotion recognition on IEMOCAP (Tripathi et al., 2018): speech, text, motion capture; 12 layers.

    Source: S. Tripathi, S. Tripathi, H. Beigi, "Multi-Modal Emotion Recognition on IEMOCAP Dataset using Deep
    Learning", arXiv 1804.05788: recurrent sub-networks for speech and text, a 2-D ConvNet for the motion-capture
    markers, features concatenated and classified by dense layers into 4 emotions. H2H gives only "Convolution and
    LSTM unit", 8M parameters and "fewer than 30 layers"; the sizes below (sequence lengths, the 189 marker
    coordinates, widths) are ours, chosen so the total lands near 8M.
    - `speech`: 34 acoustic features per frame x 400 frames (a sequence, 34x1x400); two stacked LSTMs (512, 256),
      average over time: 2 layers.
    - `text`: 500 words as 300-d GloVe vectors (300x1x500); two stacked LSTMs (512, 256), average over time:
      2 layers.
    - `mocap`: 200 frames x 189 marker coordinates (face, hands, head rotation) as a 1x189x200 map, time on the
      cols; five 3x3 conv layers (`MOCAP_CONVS`), a 2x2 max-pool after each of the first three, the 128x23x25 map
      reshaped into a 25-step sequence, one LSTM (256), average over time: 6 layers.
    - `fusion`: the three 256-wide features concatenated (the cross-stream edges), fc 256, fc 4 emotions: 2 layers.
    2 + 2 + 6 + 2 = 12 layers, under H2H's bound of 30. No 1-D (1x3) convolutions: H2H's layer records carry one
    square kernel size. The 400- and 500-step recurrences hold most of the arithmetic (H2H's MoCap ends
    compute-bound: 94% of its latency after H2H, Fig. 5a). Parameters: 8.1M (Table 2: 8M).
    """
    b = Builder("mocap", batch, (34, 1, 400))
    ends = []
    for modality, (shape, lstms) in MOCAP_SEQUENCES.items():
        b.input(modality, shape)
        for i, hidden in enumerate(lstms, start=1):
            b.lstm(f"{modality}_lstm{i}", hidden)
        ends.append(b.global_pool(f"{modality}_mean"))
        _tag(b, modality)
    b.input("mocap", (1, 189, 200))
    for i, K in enumerate(MOCAP_CONVS, start=1):
        _conv(b, f"mocap_conv{i}", K, 3)
        if i <= 3:
            b.pool(f"mocap_pool{i}", 2)
    _to_sequence(b, "mocap_sequence", b.shape(b.last)[2])
    b.lstm("mocap_lstm", 256)
    ends.append(b.global_pool("mocap_mean"))
    _tag(b, "mocap")
    b.concat("fusion_concat", ends)
    b.fc("fusion_fc1", 256)
    b.act("fusion_fc1_relu")
    b.fc("fusion_classifier", 4)
    _tag(b, FUSION)
    return _finish(b, ["speech", "text", "mocap", FUSION])


MODELS = {
    "vlocnet": vlocnet,
    "casua_surf": casua_surf,
    "vfs": vfs,
    "facebag": facebag,
    "cnn_lstm": cnn_lstm,
    "mocap": mocap,
}
