"""EF-Train's intra-tile continuous DRAM layout (§2.3), host side: what the kernel's DMA bursts expect.

Features (B, Ch, H, W) are stored per image channel-group-major: the first T channels in row-column-channel order,
then the next T, ...; channels are zero-padded to a multiple of T so every tile is one contiguous burst. Weights
(M, N, K, K) are stored tile by tile, (M/T) x (N/T) tiles, each K x K x T x T with the out-channel inside the
kernel position and the in-channel innermost; because Tm = Tn = T, the same tile serves FP and, transposed, BP.
An FC layer reads the previous layer's feature buffer as one flat vector, so its weight columns are permuted from
C-H-W order into that buffer's order (padding columns are zero).
"""

from __future__ import annotations

import numpy as np

from dse.cost.fpga_resources import ceil_div


def padded(channels: int, T: int) -> int:
    return int(ceil_div(channels, T)) * T


def features_to_dram(x: np.ndarray, T: int, fill: float = 0) -> np.ndarray:
    """(B, Ch, H, W) -> flat buffer in channel-group-major, row-column-channel order; pad channels hold `fill`."""
    B, Ch, H, W = x.shape
    full = np.full((B, padded(Ch, T), H, W), fill, dtype=x.dtype)
    full[:, :Ch] = x
    return full.reshape(B, -1, T, H, W).transpose(0, 1, 3, 4, 2).ravel()


def features_from_dram(buf: np.ndarray, shape: tuple[int, int, int, int], T: int) -> np.ndarray:
    """Inverse of `features_to_dram` (pad channels dropped)."""
    B, Ch, H, W = shape
    grid = np.asarray(buf).reshape(B, padded(Ch, T) // T, H, W, T).transpose(0, 1, 4, 2, 3)
    return grid.reshape(B, -1, H, W)[:, :Ch]


def weights_to_dram(W: np.ndarray, T: int) -> np.ndarray:
    """(M, N, K, K) -> tiles [M/T][N/T][K][K][T out][T in], zero-padded."""
    M, N, K, _ = W.shape
    full = np.zeros((padded(M, T), padded(N, T), K, K), dtype=W.dtype)
    full[:M, :N] = W
    return full.reshape(-1, T, full.shape[1] // T, T, K, K).transpose(0, 2, 4, 5, 1, 3).ravel()


def weights_from_dram(buf: np.ndarray, shape: tuple[int, int, int, int], T: int) -> np.ndarray:
    """Inverse of `weights_to_dram`."""
    M, N, K, _ = shape
    gm, gn = padded(M, T) // T, padded(N, T) // T
    tiles = np.asarray(buf).reshape(gm, gn, K, K, T, T).transpose(0, 4, 1, 5, 2, 3)
    return tiles.reshape(gm * T, gn * T, K, K)[:M, :N]


def fc_columns(in_shape: tuple[int, int, int], T: int) -> np.ndarray:
    """Position in the previous layer's feature buffer of each C-H-W-flattened input of an FC layer."""
    Ch, H, W = in_shape
    c, h, w = np.meshgrid(np.arange(Ch), np.arange(H), np.arange(W), indexing="ij")
    return (((c // T) * H + h) * W * T + w * T + c % T).ravel()


def fc_in_words(in_shape: tuple[int, int, int], T: int) -> int:
    """Length of the flat vector an FC layer reads: the previous feature buffer of one image, padding included."""
    Ch, H, W = in_shape
    return padded(Ch, T) * H * W


def fc_weights_to_dram(W: np.ndarray, in_shape: tuple[int, int, int], T: int) -> np.ndarray:
    """(M, C*H*W) FC weights -> tiles of a (M, fc_in_words) 1x1 conv whose columns follow the feature buffer."""
    wide = np.zeros((W.shape[0], fc_in_words(in_shape, T)), dtype=W.dtype)
    wide[:, fc_columns(in_shape, T)] = W
    return weights_to_dram(wide[:, :, None, None], T)


def fc_weights_from_dram(buf: np.ndarray, M: int, in_shape: tuple[int, int, int], T: int) -> np.ndarray:
    """Inverse of `fc_weights_to_dram`."""
    wide = weights_from_dram(buf, (M, fc_in_words(in_shape, T), 1, 1), T)[:, :, 0, 0]
    return wide[:, fc_columns(in_shape, T)]
