"""The top function's arguments and the s_axilite register map Vitis HLS gives them, from one list, so the kernel's
signature and interface pragmas, the XRT host and the PYNQ driver cannot drift apart.

Vitis HLS (2020.1 and later) lays out an s_axilite bundle deterministically: 0x00 control (ap_start bit 0,
ap_done bit 1, ap_idle bit 2), 0x04 global interrupt enable, 0x08 interrupt enable, 0x0c interrupt status, then
the function's return value (`ap_return`, when the return port is in the bundle) and its arguments in signature
order from 0x10: a 32-bit scalar or the return value takes an 8-byte block (data word, reserved word), a 64-bit
m_axi offset (a pointer with `offset=slave`) a 12-byte block (low word, high word, reserved). docs/hls.md cites
generated `x<top>_hw.h` files showing both.
"""

from __future__ import annotations

from dataclasses import dataclass

AP_CTRL, GIE, IER, ISR = 0x00, 0x04, 0x08, 0x0C
AP_START, AP_DONE, AP_IDLE = 0x1, 0x2, 0x4
FIRST = 0x10
BLOCK_BYTES = {32: 8, 64: 12}
#: The kernel's modes, in the order of its `enum train_mode` (the value of the `mode` argument); BN only with BN.
MODES = ("FP", "BP", "WU")
BN_MODES = ("BN_FP", "BN_BP")
#: The 32-bit int arguments, in signature order (then lr, then the pointers).
SCALARS = ("mode", "batch", "M", "N", "H", "W", "R", "C", "K", "S", "P", "Tr", "M_on", "relu", "pool")


@dataclass(frozen=True)
class Port:
    """One argument of the top function (or its return value, name `return`)."""

    name: str
    ctype: str  # C type as it appears in the signature
    pointer: bool

    @property
    def bits(self) -> int:
        return 64 if self.pointer else 32

    @property
    def bundle(self) -> str:
        """The m_axi bundle of a pointer argument."""
        return self.name.upper()


@dataclass(frozen=True)
class Register:
    name: str
    offset: int  # bytes from the s_axilite base address
    bits: int


def ports(bn: bool) -> list[Port]:
    """The top function's arguments in signature order."""
    args = [Port(n, "int", False) for n in SCALARS] + [Port("lr", "float", False)]
    args += [Port("ifm", "const float *", True), Port("wei", "const float *", True),
             Port("ofm", "const float *", True), Port("out", "float *", True), Port("idx", "signed char *", True)]
    if bn:
        args += [Port("ahat", "float *", True), Port("bnp", "float *", True)]
    return args


def modes(bn: bool) -> tuple[str, ...]:
    return MODES + (BN_MODES if bn else ())


def register_map(args: list[Port]) -> list[Register]:
    """ap_return then every argument, at the offsets Vitis HLS assigns (module doc)."""
    regs, offset = [Register("ap_return", FIRST, 32)], FIRST + BLOCK_BYTES[32]
    for port in args:
        regs.append(Register(port.name, offset, port.bits))
        offset += BLOCK_BYTES[port.bits]
    return regs
