"""Command line: ``python -m workshop_utils compare|figures|check|clean-cache|retarget|bundle``."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from .comparison.rows import ROW_NAMES, select_rows
from .data.datasets import DATASETS


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


def output_folder_problem(folder: Path) -> str | None:
    """Why results cannot be written to ``folder`` (None when they can); creates it, as the writing would."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return f"cannot create or write the output folder {str(folder)!r}: {error.strerror or error}"
    return None


def check_compare_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors found before any work starts: the output folder and the README to update."""
    problem = output_folder_problem(args.out)
    if problem:
        parser.error(f"argument --out: {problem}. Fix: pass a folder you can write, e.g. --out results")
    if args.readme is not None:
        from .report.readme import check_readme

        try:
            check_readme(args.readme)
        except ValueError as error:
            parser.error(f"argument --readme: {error}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workshop_utils", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser("compare", help="train/load the baseline, produce every row, write the table")
    compare.add_argument("--dataset", default="mnist", choices=DATASETS, help="the dataset (default: mnist)")
    compare.add_argument("--fast", action="store_true", help="fewer epochs, shorter benchmarks (= WORKSHOP_FAST=1)")
    compare.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results)")
    compare.add_argument("--only", type=_parse_rows, default=None, metavar="ROW,...",
                         help=f"only these rows (float32 is always added); rows: {', '.join(ROW_NAMES)}")
    compare.add_argument("--threads", type=_positive_int, default=1, help="interpreter threads for latency")
    compare.add_argument("--offline", action="store_true", help="use the bundled MNIST sample (= WORKSHOP_OFFLINE=1)")
    compare.add_argument("--readme", type=Path, default=None, metavar="README.md",
                         help="also rewrite the block between <!-- results:start --> and <!-- results:end --> "
                              "in this file with the table, its machine stamp and the speed verdicts")
    commands.add_parser("figures", help="regenerate every image in images/")
    commands.add_parser("check", help="print versions and what is wrong with the environment")
    commands.add_parser("clean-cache", help="delete cached baselines and comparison rows")
    from .publishing.retarget import branch_argument, repository_argument

    retarget = commands.add_parser("retarget", help="point pyproject, every Colab badge and setup cell at OWNER/NAME")
    retarget.add_argument("repository", type=repository_argument, metavar="OWNER/NAME", help="GitHub repository")
    retarget.add_argument("--branch", type=branch_argument, default=None,
                          help="the branch notebooks open from (default: keep the one in pyproject.toml)")
    bundle = commands.add_parser("bundle", help="zip the workshop (to upload to a Colab session that cannot clone it)")
    bundle.add_argument("--out", type=Path, default=None, help="zip to write (default: dist/<repository name>.zip)")
    return parser


def run_compare(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # a headless job: files only, no window
    import workshop_utils as wu
    from workshop_utils.comparison.run import run_comparison
    from workshop_utils.report.table import to_markdown, write_outputs

    start = time.perf_counter()
    dataset = wu.load_dataset(args.dataset)
    print(f"Dataset: {dataset}")
    comparison = run_comparison(dataset, only=args.only, num_threads=args.threads)
    paths = write_outputs(comparison.table, args.out, title=f"{dataset.name} ({dataset.source})")
    print(to_markdown(comparison.table))
    written = [str(p) for p in paths.values()]
    if args.readme is not None:
        from .report.readme import readme_block, update_readme

        command = "python -m workshop_utils " + " ".join(args.argv)
        written.append(str(update_readme(args.readme, readme_block(comparison.table, command))))
    print(f"Wrote {', '.join(written)} in {time.perf_counter() - start:.0f} s.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv
    if args.command == "compare":
        check_compare_args(parser, args)  # before minutes of training and measuring
    if getattr(args, "fast", False):
        os.environ["WORKSHOP_FAST"] = "1"
    if getattr(args, "offline", False):
        os.environ["WORKSHOP_OFFLINE"] = "1"
    if args.command == "compare":
        return run_compare(args)
    if args.command == "figures":
        from .teaching.figures import main as figures_main

        return figures_main() or 0
    if args.command == "check":
        import workshop_utils as wu

        return 0 if wu.check_environment().ok else 1
    if args.command == "clean-cache":
        from .core.cache import clear_cache

        print(f"Emptied {clear_cache()}")
        return 0
    if args.command == "retarget":
        from .publishing.retarget import run as run_retarget

        return run_retarget(args.repository, args.branch)
    if args.command == "bundle":
        from .publishing.bundle import run as run_bundle

        return run_bundle(args.out)
    return 2


if __name__ == "__main__":
    sys.exit(main())
