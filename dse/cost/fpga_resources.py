"""EF-Train's resource model (§2.5, Eqs. 28-31): DSPs of the conv engine and BRAM of its double-buffered buffers.

All functions broadcast over numpy arrays, so one call prices every candidate tiling. Buffer depths are FP32 words
per bank; a bank is one BRAM_18K at 32-bit width (`FPGABoard.bram_18k_fp32_words`, 512 words) because Vivado HLS
partitions each buffer into Tn (IFM), Tm (OFM) or Tm*Tn (weights) arrays and maps each to whole BRAM_18K primitives.
"""

from __future__ import annotations

import numpy as np


def ceil_div(a, b):
    """Integer ceil(a / b) for numpy arrays or ints."""
    return -(-np.asarray(a) // np.asarray(b))


def conv_dsp(Tm, Tn, dsp_per_mac: int):
    """DSP slices of the Tm x Tn FP32 MAC array (Eq. 28: q*Tm*Tn)."""
    return dsp_per_mac * np.asarray(Tm) * np.asarray(Tn)


def ifm_depth(Tr, C, K, S):
    """Words per IFM bank: one input tile ((Tr-1)S+K) x ((Tc-1)S+K) with Tc = C (padding included)."""
    return ((np.asarray(Tr) - 1) * S + K) * ((np.asarray(C) - 1) * S + K)


def ofm_depth(Tr, C):
    """Words per OFM bank: one output tile Tr x Tc with Tc = C."""
    return np.asarray(Tr) * np.asarray(C)


def wei_depth(K, N, Tn, M_on, Tm):
    """Words per weight bank (Eq. 31): K^2 * ceil(N / 2Tn) * ceil(M_on / Tm); the two halves hold all M_on x N."""
    return np.asarray(K) ** 2 * ceil_div(N, 2 * np.asarray(Tn)) * ceil_div(M_on, Tm)


def banks(count, depth, bank_words: int):
    """BRAM_18K for `count` parallel banks of `depth` words each."""
    return np.asarray(count) * ceil_div(depth, bank_words)


def conv_bram(Tm, Tn, ifm_words, ofm_words, wei_words, bank_words: int):
    """BRAM_18K of the conv engine (Eq. 28 B_Conv = 2(B_IFM + B_OFM + B_WEI)) from per-bank depths (each already
    the maximum over layers)."""
    half = banks(Tn, ifm_words, bank_words) + banks(Tm, ofm_words, bank_words) \
        + banks(np.asarray(Tm) * np.asarray(Tn), wei_words, bank_words)
    return 2 * half
