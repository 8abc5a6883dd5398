"""Command line: ``python -m workshop_utils compare|figures|check|clean-cache``."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .compare import ROW_NAMES, select_rows


def _parse_rows(text: str) -> list[str]:
    rows = [name.strip() for name in text.split(",") if name.strip()]
    try:
        select_rows(rows)  # the same check run_comparison makes, reported as a usage error
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return rows


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workshop_utils", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser("compare", help="train/load the baseline, produce every row, write the table")
    compare.add_argument("--dataset", default="mnist", help="mnist or fashion_mnist (default: mnist)")
    compare.add_argument("--fast", action="store_true", help="fewer epochs, shorter benchmarks (= WORKSHOP_FAST=1)")
    compare.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results)")
    compare.add_argument("--only", type=_parse_rows, default=None, metavar="ROW,...",
                         help=f"only these rows (float32 is always added); rows: {', '.join(ROW_NAMES)}")
    compare.add_argument("--threads", type=_positive_int, default=1, help="interpreter threads for latency")
    compare.add_argument("--offline", action="store_true", help="use the bundled MNIST sample (= WORKSHOP_OFFLINE=1)")
    commands.add_parser("figures", help="regenerate every image in images/")
    commands.add_parser("check", help="print versions and what is wrong with the environment")
    commands.add_parser("clean-cache", help="delete cached baselines and comparison rows")
    return parser


def run_compare(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # a headless job: files only, no window
    import workshop_utils as wu
    from workshop_utils.compare import run_comparison
    from workshop_utils.report import to_markdown, write_outputs

    start = time.perf_counter()
    dataset = wu.load_dataset(args.dataset)
    print(f"Dataset: {dataset}")
    comparison = run_comparison(dataset, only=args.only, num_threads=args.threads)
    paths = write_outputs(comparison.table, args.out, title=f"{dataset.name} ({dataset.source})")
    print(to_markdown(comparison.table))
    print(f"Wrote {', '.join(str(p) for p in paths.values())} in {time.perf_counter() - start:.0f} s.")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "fast", False):
        os.environ["WORKSHOP_FAST"] = "1"
    if getattr(args, "offline", False):
        os.environ["WORKSHOP_OFFLINE"] = "1"
    if args.command == "compare":
        return run_compare(args)
    if args.command == "figures":
        from .figures import main as figures_main

        return figures_main() or 0
    if args.command == "check":
        import workshop_utils as wu

        return 0 if wu.check_environment().ok else 1
    if args.command == "clean-cache":
        from .cache import clear_cache

        print(f"Emptied {clear_cache()}")
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
