"""Command line: ``python -m workshop_utils COMMAND``: compare, profile, figures, check, clean-cache, retarget, bundle,
render, wheelhouse."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from .comparison.rows import ROW_NAMES, select_rows
from .data.datasets import DATASETS
from .measurement.boards import BOARDS


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


def _board(text: str):
    """``--board``: a known board's name or RAM_KB,FLASH_KB (the error lists the known boards)."""
    from .report.recommend import parse_board  # numpy and pandas: only when --board is given

    try:
        return parse_board(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _points(text: str) -> float:
    """``--max-drop``: accuracy points, a number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of accuracy points, e.g. 1 or 0.5") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be a number of points >= 0, e.g. 1; got {text!r}")
    return value


def _tflite_file(text: str) -> Path:
    """``profile FILE.tflite``: an existing file that holds a TFLite flatbuffer."""
    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text!r} is not a file (relative to {Path.cwd()}). Fix: check the path")
    with path.open("rb") as handle:
        head = handle.read(8)
    if head[4:8] != b"TFL3":
        raise argparse.ArgumentTypeError(f"{text!r} is not a .tflite model (no 'TFL3' identifier). Fix: pass the "
                                         "file a TFLite converter wrote, e.g. results/models/full_integer.tflite")
    return path


def output_folder_problem(folder: Path) -> str | None:
    """Why results cannot be written to ``folder`` (None when they can); creates it, as the writing would."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return f"cannot create or write the output folder {str(folder)!r}: {error.strerror or error}"
    return None


def check_model_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """``--model``/``--data``: given together, not with ``--dataset``; the files load and fit each other.

    The loaded model and data are kept on ``args`` (``user_model``, ``user_data``) so they load once.
    """
    args.user_model = args.user_data = None
    if args.model is None and args.data is None:
        return
    if args.dataset is not None:
        parser.error("argument --dataset: not allowed with --model/--data (--dataset picks the workshop's data "
                     "for its own baseline). Fix: drop --dataset, or drop --model and --data.")
    if args.model is None or args.data is None:
        given, missing = ("--model", "--data PATH.npz") if args.data is None else ("--data", "--model PATH")
        parser.error(f"argument {given}: needs {missing} too (your model is measured on your data). "
                     "Fix: pass both, e.g. --model mine.keras --data mine.npz")
    for flag, path in (("--model", args.model), ("--data", args.data)):
        if not path.exists():
            parser.error(f"argument {flag}: {str(path)!r} does not exist. Fix: check the path "
                         f"(relative to {Path.cwd()}).")
    import workshop_utils as wu
    from workshop_utils.comparison.source import check_model_fits

    try:
        args.user_data = wu.load_npz(args.data)
    except (OSError, ValueError) as error:
        parser.error(f"argument --data: {error}")
    try:
        args.user_model = wu.load_model(args.model)
    except (OSError, ValueError, TypeError) as error:  # UnsupportedModelError is a TypeError
        parser.error(f"argument --model: {error}")
    try:
        check_model_fits(args.user_model, args.user_data)
    except ValueError as error:
        parser.error(f"arguments --model/--data: {error}")


def check_compare_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Usage errors found before any work starts: the output folder, the README, the model and data."""
    problem = output_folder_problem(args.out)
    if problem:
        parser.error(f"argument --out: {problem}. Fix: pass a folder you can write, e.g. --out results")
    if args.readme is not None:
        from .report.readme import check_readme

        try:
            check_readme(args.readme)
        except ValueError as error:
            parser.error(f"argument --readme: {error}")
    check_model_args(parser, args)  # last: it loads TensorFlow


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workshop_utils", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    compare = commands.add_parser("compare", help="train/load the baseline, produce every row, write the table")
    compare.add_argument("--dataset", default=None, choices=DATASETS,
                         help="the workshop's dataset for its own baseline (default: mnist)")
    compare.add_argument("--model", type=Path, default=None, metavar="PATH",
                         help="your trained model instead of the workshop's baseline: .keras, .h5 or a SavedModel "
                              "folder (Keras 3 or tf_keras); needs --data")
    compare.add_argument("--data", type=Path, default=None, metavar="PATH.npz",
                         help="your data for --model: an .npz with x_train, y_train, x_test, y_test, preprocessed "
                              "as in training")
    compare.add_argument("--fast", action="store_true", help="fewer epochs, shorter benchmarks (= WORKSHOP_FAST=1)")
    compare.add_argument("--out", type=Path, default=Path("results"), help="output folder (default: results)")
    compare.add_argument("--only", type=_parse_rows, default=None, metavar="ROW,...",
                         help=f"only these rows (float32 is always added); rows: {', '.join(ROW_NAMES)}")
    compare.add_argument("--threads", type=_positive_int, default=1, help="interpreter threads for latency")
    compare.add_argument("--offline", action="store_true", help="use the bundled MNIST sample (= WORKSHOP_OFFLINE=1)")
    compare.add_argument("--readme", type=Path, default=None, metavar="README.md",
                         help="also rewrite the block between <!-- results:start --> and <!-- results:end --> "
                              "in this file with the table, its machine stamp and the speed verdicts")
    compare.add_argument("--board", type=_board, default=None, metavar="NAME|RAM_KB,FLASH_KB",
                         help="recommend the row to ship on this board and write it as C (model_data.c/.h) with "
                              f"recommendation.json; names: {', '.join(board.key for board in BOARDS)}")
    compare.add_argument("--max-drop", type=_points, default=1.0, metavar="PTS",
                         help="with --board: the most accuracy points the shipped row may lose (default: 1)")
    profile = commands.add_parser("profile", help="flash, TFLite Micro arena and support, LiteRT latency and board "
                                  "verdicts for a .tflite file")
    profile.add_argument("model", type=_tflite_file, metavar="FILE.tflite", help="the converted model")
    profile.add_argument("--board", type=_board, default=None, metavar="NAME|RAM_KB,FLASH_KB",
                         help="also give this board's verdict (default: the known boards only)")
    commands.add_parser("figures", help="regenerate every image in images/")
    commands.add_parser("check", help="the pre-workshop check: the toolchain on a tiny model, disk, RAM, each notebook")
    commands.add_parser("clean-cache", help="delete cached baselines and comparison rows")
    from .publishing.retarget import branch_argument, repository_argument

    retarget = commands.add_parser("retarget", help="point pyproject, every Colab badge and setup cell at OWNER/NAME")
    retarget.add_argument("repository", type=repository_argument, metavar="OWNER/NAME", help="GitHub repository")
    retarget.add_argument("--branch", type=branch_argument, default=None,
                          help="the branch notebooks open from (default: keep the one in pyproject.toml)")
    bundle = commands.add_parser("bundle", help="zip the workshop (to upload to a Colab session that cannot clone it)")
    bundle.add_argument("--out", type=Path, default=None, help="zip to write (default: dist/<repository name>.zip)")
    render = commands.add_parser("render", help="run the core notebooks and write them as HTML with their outputs")
    render.add_argument("notebooks", nargs="*", type=Path, metavar="NOTEBOOK",
                        help="notebooks to render (default: the core path, notebooks/NN_*.ipynb)")
    render.add_argument("--out", type=Path, default=Path("dist", "rendered"), help="folder (default: dist/rendered)")
    render.add_argument("--full", action="store_true", help="full mode (default: fast mode and WORKSHOP_LIVE=1)")
    wheelhouse = commands.add_parser("wheelhouse", help="download every wheel the room needs into one folder "
                                     "(offline install: pip install --no-index --find-links DIR -r requirements.txt)")
    wheelhouse.add_argument("--python", default=None, metavar="3.11,3.13|all", help="Pythons (default: this one)")
    wheelhouse.add_argument("--platform", default=None, metavar="linux-x86_64,macos-arm64,...|all",
                            help="platforms of support_matrix.json (default: this one)")
    wheelhouse.add_argument("--out", type=Path, default=Path("wheelhouse"), help="folder (default: wheelhouse)")
    wheelhouse.add_argument("--dry-run", action="store_true", help="resolve and print sizes, download nothing")
    return parser


def run_compare(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # a headless job: files only, no window
    import workshop_utils as wu
    from workshop_utils.comparison.run import run_comparison
    from workshop_utils.report.deliverables import write_deliverables
    from workshop_utils.report.table import to_markdown, write_outputs

    start = time.perf_counter()
    dataset = args.user_data if args.user_data is not None else wu.load_dataset(args.dataset or "mnist")
    print(f"Dataset: {dataset}")
    comparison = run_comparison(dataset, model=args.user_model, only=args.only, num_threads=args.threads,
                                fast=True if args.fast else None)
    title = f"{dataset.name} ({dataset.source})"
    if args.user_model is not None:
        title = f"{comparison.source} on {title}"
    paths = write_outputs(comparison.table, args.out, title=title)
    print(to_markdown(comparison.table))
    for note in comparison.notes:
        print(f"Note: {note}")
    deliverables = write_deliverables(comparison, args.out, board=getattr(args, "board", None),
                                      max_drop_pts=getattr(args, "max_drop", 1.0))
    if args.board is not None:
        from workshop_utils.report.deliverables import format_recommendation
        from workshop_utils.report.recommend import recommend

        print(format_recommendation(recommend(comparison.table, args.board, args.max_drop)))
    written = [str(p) for p in paths.values()]
    written.append(f"{sum(k.startswith('models/') for k in deliverables)} .tflite files in {args.out / 'models'}")
    written += [str(p) for k, p in deliverables.items() if not k.startswith("models/")]
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
    if args.command == "profile":
        from .report.profile import format_profile, profile_model

        try:
            profile = profile_model(args.model, board=args.board)
        except ValueError as error:
            parser.error(f"argument FILE.tflite: {error}")
        print(format_profile(profile, args.board))
        return 0
    if args.command == "figures":
        from .teaching.figures import main as figures_main

        return figures_main() or 0
    if args.command == "check":
        from .check.report import main as check_main

        return check_main()
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
    if args.command == "render":
        from .publishing.render import check_args
        from .publishing.render import run as run_render

        check_args(parser, args, output_folder_problem)  # before minutes of executing notebooks
        return run_render(args.notebooks, args.out, fast=not args.full)
    if args.command == "wheelhouse":
        from .publishing import wheelhouse

        try:  # usage errors before any download: unknown or unsupported cells, no uv, an unwritable folder
            cells = wheelhouse.choose_cells(args.python, args.platform)
            wheelhouse.uv_command()
        except wheelhouse.WheelhouseError as error:
            parser.error(f"wheelhouse: {error}")
        problem = None if args.dry_run else output_folder_problem(args.out)
        if problem:
            parser.error(f"argument --out: {problem}")
        return wheelhouse.run(cells, args.out, args.dry_run)
    return 2


if __name__ == "__main__":
    sys.exit(main())
