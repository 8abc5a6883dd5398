"""The support matrix (``support_matrix.json``): which Python on which platform runs the workshop, and if not, why.

Standard library only, in Python 3.6 syntax: ``preflight.py`` loads this file by path, before anything is
installed and on whatever Python the attendee has, to print one sentence naming the way out before pip's
resolver error. The README's table is generated here (``python3 preflight.py --update-readme README.md``);
tests/test_support_matrix.py resolves every cell and checks the README, requirements and pyproject agree.
"""

import argparse
import json
import platform
import struct
import sys
from collections import namedtuple
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MATRIX_PATH = ROOT / "support_matrix.json"
TABLE_START = "<!-- support-matrix:start -->"
TABLE_END = "<!-- support-matrix:end -->"

Cell = namedtuple("Cell", "python platform supported reason way_out blocker")


def load_matrix(path=MATRIX_PATH) -> dict:
    with open(str(path), encoding="utf-8") as handle:
        return json.load(handle)


def version_key(version: str) -> tuple:
    return tuple(int(part) for part in version.split("."))


def _rule(matrix: dict, python: str, key: str):
    for rule in matrix["unsupported"]:
        if python in rule.get("pythons", [python]) and key in rule.get("platforms", [key]):
            return rule
    return None


def cell(matrix: dict, python: str, key: str) -> Cell:
    """One (Python, platform) cell: supported unless a rule of the matrix names it."""
    rule = _rule(matrix, python, key)
    if rule is None:
        return Cell(python, key, True, None, None, None)
    return Cell(python, key, False, rule["reason"], rule["way_out"], rule.get("blocker"))


def cells(matrix: dict) -> list:
    """Every cell of the table, row by row (Python) and column by column (platform)."""
    return [cell(matrix, python, key) for python in matrix["pythons"] for key in matrix["platforms"]]


def supported_pythons(matrix: dict) -> list:
    return [python for python in matrix["pythons"] if any(c.supported for c in cells(matrix) if c.python == python)]


def python_range(matrix: dict) -> tuple:
    """The oldest and newest supported Python, e.g. ('3.10', '3.13')."""
    pythons = sorted(supported_pythons(matrix), key=version_key)
    return pythons[0], pythons[-1]


def requires_python(matrix: dict) -> str:
    """pyproject.toml's ``requires-python`` for the supported range, e.g. '>=3.10,<3.14'."""
    low, high = python_range(matrix)
    major, minor = version_key(high)
    return f">={low},<{major}.{minor + 1}"


def identify(matrix: dict, sys_platform=None, machine=None, bits=None):
    """The platform key of this interpreter (or of the values given), or None when the matrix has none."""
    sys_platform = sys.platform if sys_platform is None else sys_platform
    machine = (platform.machine() if machine is None else machine).lower()
    bits = struct.calcsize("P") * 8 if bits is None else bits
    for key, entry in matrix["platforms"].items():
        if sys_platform.startswith(entry["sys_platform"]) and machine in entry["machines"] and bits == entry["bits"]:
            return key
    return None


def verdict(matrix: dict, python: str, key, label: str) -> tuple:
    """(supported, one sentence) for Python ``python`` on platform ``key`` (None: not in the matrix)."""
    low, high = python_range(matrix)
    name = matrix["platforms"][key]["name"] if key else label
    if key is None:
        reason, way_out = matrix["other_platform"]["reason"], matrix["other_platform"]["way_out"]
    elif python in matrix["pythons"]:
        found = cell(matrix, python, key)
        reason, way_out = found.reason, found.way_out
        if found.supported:
            return True, f"OK: Python {python} on {name} is supported by this workshop; go on with the set-up."
    else:
        reason, way_out = f"it needs Python {low} to {high}", matrix["other_python"]["way_out"]
    return False, f"Python {python} on {name} cannot run this workshop ({reason}): {way_out}."


def this_verdict(matrix: dict) -> tuple:
    python = "{}.{}".format(*sys.version_info[:2])
    label = "{} {} ({}-bit)".format(platform.system() or sys.platform, platform.machine(), struct.calcsize("P") * 8)
    return verdict(matrix, python, identify(matrix), label)


def _rule_label(matrix: dict, rule: dict) -> str:
    if "pythons" in rule:
        return "Python " + ", ".join(rule["pythons"])
    return ", ".join(matrix["platforms"][key]["name"] for key in rule["platforms"])


def markdown_table(matrix: dict) -> str:
    """The README's table: Pythons as rows, platforms as columns, each "no" numbered with its reason."""
    keys = list(matrix["platforms"])
    rules = matrix["unsupported"]
    lines = ["| Python | " + " | ".join(matrix["platforms"][key]["name"] for key in keys) + " |",
             "| --- |" + " --- |" * len(keys)]
    for python in matrix["pythons"]:
        row = []
        for key in keys:
            rule = _rule(matrix, python, key)
            row.append("yes" if rule is None else f"no ({rules.index(rule) + 1})")
        lines.append("| {} | {} |".format(python, " | ".join(row)))
    lines.append("")
    for number, rule in enumerate(rules, start=1):
        lines.append("{}. {}: {}. Way out: {}.".format(number, _rule_label(matrix, rule), rule["reason"],
                                                       rule["way_out"]))
    lines.append("")
    notes = "; ".join("{}: {}".format(entry["name"], entry["note"]) for key, entry in matrix["platforms"].items()
                      if cell(matrix, matrix["pythons"][0], key).supported)
    colab = matrix["colab"]
    lines.append("Supported platforms: {}. Colab (Python {} on {}, its own TensorFlow {} kept) is supported too. "
                 "CI runs every notebook on Python {}; `pytest -m matrix` resolves requirements.txt for every cell "
                 "(wheels only).".format(notes, colab["python"], matrix["platforms"][colab["platform"]]["name"],
                                         colab["tensorflow"], matrix["tested"]))
    return "\n".join(lines)


def replace_table(text: str, table: str) -> str:
    """``text`` with the block between the two markers replaced by ``table``."""
    if text.count(TABLE_START) != 1 or text.count(TABLE_END) != 1 or text.index(TABLE_START) > text.index(TABLE_END):
        raise ValueError(f"the README needs exactly one {TABLE_START} line before one {TABLE_END} line")
    head, rest = text.split(TABLE_START)
    return head + TABLE_START + "\n" + table + "\n" + TABLE_END + rest.split(TABLE_END, 1)[1]


def readme_table(text: str) -> str:
    """The block between the markers, as :func:`markdown_table` writes it."""
    return text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0].strip("\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python3 preflight.py",
                                     description="Can this Python run the workshop? One sentence, before pip.")
    parser.add_argument("--table", action="store_true", help="print the support matrix as the README's table")
    parser.add_argument("--update-readme", type=Path, metavar="README.md", help="rewrite the table in this file")
    args = parser.parse_args(argv)
    matrix = load_matrix()
    if args.table:
        print(markdown_table(matrix))
        return 0
    if args.update_readme:
        text = args.update_readme.read_text(encoding="utf-8")
        args.update_readme.write_text(replace_table(text, markdown_table(matrix)), encoding="utf-8")
        print(f"Wrote the support matrix into {args.update_readme}")
        return 0
    ok, sentence = this_verdict(matrix)
    print(sentence)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
