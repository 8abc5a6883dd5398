"""Development boards (their published RAM and flash) and whether a model fits one.

A model on a microcontroller keeps its flatbuffer in flash and its tensors in RAM (the TFLite Micro
tensor arena); the application, the runtime's code and the stack need the rest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas loads inside the functions: the CLI lists the boards without it
    import pandas as pd

KB = 1024
DEFAULT_BUDGET = 0.75  # share of a board's RAM and flash the model may take; the rest is code, stack, app


@dataclass(frozen=True)
class Board:
    """A development board's on-chip memory as its maker publishes it."""

    name: str
    chip: str
    ram_bytes: int
    flash_bytes: int
    source: str
    key: str = ""  # a short name for the command line (--board nano33ble)


BOARDS: tuple[Board, ...] = (
    Board("Arduino Uno R4 Minima", "Renesas RA4M1 (Cortex-M4)", 32 * KB, 256 * KB,
          "https://docs.arduino.cc/hardware/uno-r4-minima/", "uno-r4"),
    Board("Arduino Nano 33 BLE Sense", "nRF52840 (Cortex-M4F)", 256 * KB, 1024 * KB,
          "https://docs.arduino.cc/hardware/nano-33-ble-sense/", "nano33ble"),
    Board("Raspberry Pi Pico", "RP2040 (dual Cortex-M0+)", 264 * KB, 2048 * KB,
          "https://datasheets.raspberrypi.com/pico/pico-datasheet.pdf", "pico"),
    Board("STM32F746G-DISCO", "STM32F746NG (Cortex-M7)", 320 * KB, 1024 * KB,
          "https://www.st.com/en/microcontrollers-microprocessors/stm32f746ng.html", "stm32f746-disco"),
    Board("ESP32-S3-DevKitC-1 (N8)", "ESP32-S3 (dual Xtensa LX7)", 512 * KB, 8192 * KB, key="esp32-s3", source=
          "https://docs.espressif.com/projects/esp-dev-kits/en/latest/esp32s3/esp32-s3-devkitc-1/user_guide.html"),
)


@dataclass(frozen=True)
class FitVerdict:
    """Whether a model fits a board: both shares must stay within the budget."""

    board: Board
    fits: bool
    flash_share: float
    ram_share: float
    budget: float

    def __str__(self) -> str:
        shares = f"{self.flash_share:.0%} flash, {self.ram_share:.0%} RAM"
        if self.fits:
            return f"fits ({shares})"
        over = [what for what, share in (("flash", self.flash_share), ("RAM", self.ram_share)) if share > self.budget]
        return f"no: {' and '.join(over)} over {self.budget:.0%} ({shares})"


def fits(flash_bytes: float, arena_bytes: float, board: Board, budget: float = DEFAULT_BUDGET) -> FitVerdict:
    """Does a model with these flash and arena bytes fit ``board``, leaving ``1 - budget`` for the program?

    The model may take at most ``budget`` of the board's flash and of its RAM: the rest holds the
    application, the TFLM runtime's code, the stack and buffers (the arena is not all the RAM you need).
    """
    if not 0 < budget <= 1:
        raise ValueError(f"budget is the share of memory the model may use, in (0, 1]; got {budget}.")
    if not (math.isfinite(flash_bytes) and math.isfinite(arena_bytes)):
        raise ValueError("fits needs measured flash and arena bytes; this model has no arena (it cannot run on TFLM).")
    flash_share, ram_share = flash_bytes / board.flash_bytes, arena_bytes / board.ram_bytes
    return FitVerdict(board, bool(flash_share <= budget and ram_share <= budget), flash_share, ram_share, budget)


def fit_table(
    models: pd.DataFrame | Mapping[str, tuple[float, float]],
    boards: tuple[Board, ...] = BOARDS,
    budget: float = DEFAULT_BUDGET,
) -> pd.DataFrame:
    """A verdict per model (rows) and board (columns); models without an arena read "cannot run on TFLM".

    ``models`` is the comparison table (columns ``flash_bytes`` and ``mcu_arena_bytes``) or a mapping
    name -> (flash_bytes, arena_bytes).
    """
    import pandas as pd

    if isinstance(models, pd.DataFrame):
        missing = {"flash_bytes", "mcu_arena_bytes"} - set(models.columns)
        if missing:
            raise ValueError(f"The table lacks {sorted(missing)}; pass wu.run_comparison(...).table.")
        pairs = {name: (row["flash_bytes"], row["mcu_arena_bytes"]) for name, row in models.iterrows()}
    else:
        pairs = dict(models)
    records = {}
    for name, (flash, arena) in pairs.items():
        if not math.isfinite(arena):
            records[name] = {board.name: "cannot run on TFLM" for board in boards}
        else:
            records[name] = {board.name: str(fits(flash, arena, board, budget)) for board in boards}
    table = pd.DataFrame.from_dict(records, orient="index", columns=[board.name for board in boards])
    table.index.name = "model"
    return table


def boards_table(boards: tuple[Board, ...] = BOARDS) -> pd.DataFrame:
    """The boards with their published RAM and flash (KB) and the page the numbers come from."""
    import pandas as pd

    return pd.DataFrame(
        [{"board": b.name, "chip": b.chip, "RAM KB": b.ram_bytes // KB, "flash KB": b.flash_bytes // KB,
          "source": b.source} for b in boards]
    ).set_index("board")
