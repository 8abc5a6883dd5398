"""A room that works offline: one folder of wheels for the room's Pythons and platforms.

``python -m workshop_utils wheelhouse --python 3.11,3.13 --platform linux-x86_64,macos-arm64 --out wheelhouse``
fills one folder for every (Python, platform) cell named (``all`` names every supported one; the default is
this interpreter's cell). Per cell, uv resolves requirements.txt for that interpreter and platform, wheels only
(uv evaluates every environment marker for the target; ``pip download --platform`` evaluates them for the
machine it runs on), then ``pip download --no-deps --only-binary=:all: --platform ... --python-version ...
--implementation cp`` fetches exactly those wheels, plus the build backend the editable ``-e .`` line needs.
On the day, an attendee installs with ``pip install --no-index --find-links wheelhouse -r requirements.txt``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.support import MATRIX_PATH, ROOT, cell, identify, load_matrix

REQUIREMENTS = ROOT / "requirements.txt"
PYPROJECT = ROOT / "pyproject.toml"
TAIL_LINES = 15
RESOLVE_TIMEOUT_S = 600
DOWNLOAD_TIMEOUT_S = 3600
MAX_RELAXED = 5  # pins pip may refuse (see download) before the cell is an error


class WheelhouseError(RuntimeError):
    """A wheelhouse could not be built; the message names the cell and the fix."""


@dataclass(frozen=True)
class Wheel:
    name: str
    version: str
    filenames: tuple[str, ...]  # the wheels uv found for this cell (pip downloads one of them)
    size: int  # bytes of the largest, an upper bound of what pip downloads


def this_cell() -> tuple[str, str | None]:
    """This interpreter's Python and platform key (None: a platform the matrix does not know)."""
    return f"{sys.version_info[0]}.{sys.version_info[1]}", identify(load_matrix())


def _pick(text: str | None, known: list[str], default: str | None, what: str) -> list[str]:
    if text is None:
        if default is None:
            raise WheelhouseError(f"this machine's {what} is not in {MATRIX_PATH.name}: pass --{what.lower()}")
        return [default]
    chosen = known if text.strip() == "all" else [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in known]
    if unknown or not chosen:
        raise WheelhouseError(f"unknown {what} {', '.join(unknown) or repr(text)}: choose from {', '.join(known)} "
                              "or all")
    return chosen


def choose_cells(pythons: str | None, platforms: str | None) -> list[tuple[str, str]]:
    """The supported cells named by ``--python`` and ``--platform`` (comma-separated, ``all``, or None: this one).

    A cell named outright that cannot run is an error naming why; with ``all`` such cells are left out.
    """
    matrix = load_matrix()
    here_python, here_platform = this_cell()
    versions = _pick(pythons, matrix["pythons"], here_python, "Python")
    keys = _pick(platforms, list(matrix["platforms"]), here_platform, "platform")
    explicit = "all" not in {(pythons or "").strip(), (platforms or "").strip()}
    cells = []
    for python in versions:
        for key in keys:
            found = cell(matrix, python, key)
            if found.supported:
                cells.append((python, key))
            elif explicit:
                raise WheelhouseError(f"Python {python} on {matrix['platforms'][key]['name']} cannot run the "
                                      f"workshop ({found.reason}): leave it out (attendees there: {found.way_out})")
    if not cells:
        raise WheelhouseError(f"no supported cell among Python {', '.join(versions)} on {', '.join(keys)}")
    return cells


def requirement_lines(requirements: Path = REQUIREMENTS, pyproject: Path = PYPROJECT) -> list[str]:
    """requirements.txt's requirement lines (markers kept, ``-e .`` and options dropped) and the build backend."""
    lines = []
    for raw in requirements.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"\s+#.*$", "", raw).strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    build = re.search(r"\[build-system\][^\[]*?requires\s*=\s*\[([^\]]*)\]", pyproject.read_text(encoding="utf-8"))
    lines += re.findall(r"[\"']([^\"']+)[\"']", build.group(1)) if build else []  # the -e . line needs them offline
    return lines


def uv_command() -> list[str]:
    """How to run uv (the PyPI package or one on PATH), or an error naming the install."""
    try:
        import uv

        return [uv.find_uv_bin()]
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return [found]
    raise WheelhouseError("uv is needed to resolve requirements.txt for another Python or platform: "
                          "pip install uv (it is in requirements-dev.txt)")


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    return "\n".join((done.stdout + done.stderr).strip().splitlines()[-TAIL_LINES:])


def _read_lock(path: Path) -> list[Wheel]:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    lock = tomllib.loads(path.read_text(encoding="utf-8"))
    wheels = []
    for package in lock.get("packages", []):
        files = package.get("wheels", [])
        names = tuple(entry["url"].rsplit("/", 1)[-1] for entry in files)
        wheels.append(Wheel(package["name"], package["version"], names, max((e.get("size", 0) for e in files),
                                                                            default=0)))
    return wheels


def resolve(python: str, key: str, lines: list[str], workdir: Path, uv: list[str] | None = None) -> list[Wheel]:
    """The wheels of one cell, as uv resolves ``lines`` for that Python and platform (wheels only)."""
    matrix = load_matrix()
    workdir.mkdir(parents=True, exist_ok=True)
    source = workdir / f"requirements-{python}-{key}.in"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    lock = workdir / f"pylock.py{python.replace('.', '')}{key.replace('-', '').replace('_', '')}.toml"
    command = [*(uv or uv_command()), "pip", "compile", str(source), "--python-version", python,
               "--python-platform", matrix["platforms"][key]["uv"], "--only-binary", ":all:", "--quiet",
               "--output-file", str(lock)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=RESOLVE_TIMEOUT_S)
    if done.returncode != 0:
        raise WheelhouseError(f"requirements.txt does not resolve for Python {python} on "
                              f"{matrix['platforms'][key]['name']} (wheels only); uv said:\n{_tail(done)}")
    wheels = _read_lock(lock)
    missing = [w.name for w in wheels if not w.filenames]
    if missing:
        raise WheelhouseError(f"no wheel for {', '.join(missing)} on Python {python}, {key}")
    return wheels


def platform_tags(wheels: list[Wheel]) -> list[str]:
    """The platform tags of the wheels uv chose (for pip's --platform, which does not widen manylinux tags)."""
    tags = {tag for wheel in wheels for name in wheel.filenames for tag in name[:-4].split("-")[-1].split(".")}
    return sorted(tags - {"any"})


def _wheel_prefix(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower() + "-"


def download(python: str, wheels: list[Wheel], out: Path, workdir: Path, pip: list[str] | None = None) -> list[str]:
    """``pip download`` exactly ``wheels`` for ``python`` into ``out``; error if pip picked other files.

    uv ignores the upper bound of a package's Requires-Python (backports-strenum 1.3.1 says ``<3.11``); pip
    honours it and installs an older release there, so a pin pip refuses is downloaded as pip picks it, unpinned.
    Returns the names downloaded that way.
    """
    tags = platform_tags(wheels)
    relaxed: list[str] = []
    while True:
        pins = workdir / f"pins-{python}-{len(wheels)}.txt"
        pins.write_text("".join(f"{w.name}\n" if w.name in relaxed else f"{w.name}=={w.version}\n" for w in wheels),
                        encoding="utf-8")
        command = [*(pip or [sys.executable, "-m", "pip"]), "download", "--no-deps", "--only-binary=:all:",
                   "--python-version", python, "--implementation", "cp", "--dest", str(out), "-r", str(pins),
                   *[arg for tag in tags or ["any"] for arg in ("--platform", tag)]]
        done = subprocess.run(command, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S)
        if done.returncode == 0:
            break
        refused = re.search(r"No matching distribution found for ([A-Za-z0-9._-]+)==", done.stdout + done.stderr)
        name = refused and next((w.name for w in wheels if _wheel_prefix(w.name) == _wheel_prefix(refused[1])), None)
        if not name or name in relaxed or len(relaxed) >= MAX_RELAXED:
            raise WheelhouseError(f"pip download failed for Python {python}; pip said:\n{_tail(done)}")
        relaxed.append(name)
    files = [p.name.lower() for p in out.glob("*.whl")]
    absent = [w.name for w in wheels if w.name not in relaxed and not any((out / n).is_file() for n in w.filenames)]
    absent += [name for name in relaxed if not any(f.startswith(_wheel_prefix(name)) for f in files)]
    if absent:
        raise WheelhouseError(f"pip did not download the wheels uv chose for {', '.join(absent)} (Python {python})")
    return relaxed


def install_command(out: Path) -> str:
    return f"pip install --no-index --find-links {out} -r requirements.txt"


def build_wheelhouse(cells: list[tuple[str, str]], out: Path, dry_run: bool = False,
                     log: Callable[[str], None] = print) -> dict[tuple[str, str], list[Wheel]]:
    """Resolve (and unless ``dry_run``, download) every cell into ``out``; returns each cell's wheels."""
    lines, uv = requirement_lines(), uv_command()
    resolved = {}
    with tempfile.TemporaryDirectory(prefix="wheelhouse-") as tmp:
        for python, key in cells:
            wheels = resolve(python, key, lines, Path(tmp), uv)
            size_mb = sum(w.size for w in wheels) / 1e6
            log(f"Python {python}, {key}: {len(wheels)} wheels, {size_mb:.0f} MB"
                + ("" if dry_run else ": downloading..."))
            if not dry_run:
                out.mkdir(parents=True, exist_ok=True)
                relaxed = download(python, wheels, out, Path(tmp))
                if relaxed:
                    log(f"  as pip picks them for Python {python} (uv's pin is outside their Requires-Python): "
                        f"{', '.join(relaxed)}")
            resolved[(python, key)] = wheels
    return resolved


def folder_mb(out: Path) -> float:
    return sum(p.stat().st_size for p in out.glob("*.whl")) / 1e6


def run(cells: list[tuple[str, str]], out: Path, dry_run: bool) -> int:
    """The command: build, then say how big the folder is and how attendees install from it."""
    try:
        build_wheelhouse(cells, out, dry_run=dry_run)
    except WheelhouseError as error:
        print(f"Wheelhouse: {error}", file=sys.stderr)
        return 1
    if dry_run:
        print("Dry run: nothing downloaded (sizes as uv resolved them; cells share their pure-Python wheels).")
        return 0
    cells_text = ", ".join(f"Python {python} {key}" for python, key in cells)
    (out / "README.txt").write_text(
        f"Wheels for the workshop, for {cells_text}.\n"
        f"Install with no network, in the workshop folder and a fresh venv:\n  {install_command(out)}\n",
        encoding="utf-8")
    print(f"Wrote {out} ({folder_mb(out):.0f} MB) for {cells_text}. Attendees, in the workshop folder and a fresh "
          f"venv: {install_command(out)}")
    return 0
