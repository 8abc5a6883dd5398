"""The workshop's home address: the GitHub repository and branch that every badge and setup cell points at.

It lives in one place, pyproject.toml (``[project.urls] Repository`` and ``[tool.workshop] branch``);
``python -m workshop_utils retarget OWNER/NAME`` rewrites it there and in every notebook (see
:mod:`workshop_utils.retarget`), and the hygiene test compares each notebook's badge and setup cell with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
DEFAULT_REPOSITORY = "deploy-workshop/model-optimization-workshop"
DEFAULT_BRANCH = "main"
GITHUB = "https://github.com/"
COLAB_GITHUB = "https://colab.research.google.com/github/"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
NOTEBOOKS_DIR = "notebooks"
# Where the setup cell puts the workshop on Colab; WORKSHOP_CONTENT_DIR replaces /content (the Colab-like test).
CONTENT_DIR_VAR = "WORKSHOP_CONTENT_DIR"
USAGE = "python -m workshop_utils retarget OWNER/NAME [--branch BRANCH]"

# GitHub's rules: an owner is 1-39 letters, digits or single hyphens (not first); a name is letters, digits, . _ -
_REPOSITORY = re.compile(r"^(?P<owner>[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38})/(?P<name>[A-Za-z0-9._-]{1,100})$")
# A simplified `git check-ref-format`: characters git forbids in a branch name, and sequences it forbids.
_BRANCH_CHARACTERS = re.compile(r"^[^\x00-\x20~^:?*\[\\\x7f]{1,200}$")
_BRANCH_SEQUENCES = ("..", "//", "@{", "/.")

# The first code cell of every notebook. Placeholders: @REPOSITORY_URL@, @BRANCH@, @ZIP_NAME@.
# It runs before workshop_utils is importable: it fetches the workshop (git clone, or the uploaded zip), then
# runs colab_setup.py from it, which installs what Colab lacks and puts the workshop on sys.path.
SETUP_TEMPLATE = """\
# Setup. On Colab only: fetch the workshop and install what Colab lacks (elsewhere: nothing to do).
import os
import runpy
import sys

if "google.colab" in sys.modules:
    REPOSITORY, BRANCH = "@REPOSITORY_URL@", "@BRANCH@"
    CONTENT = os.environ.get("WORKSHOP_CONTENT_DIR", "/content")  # Colab's files folder
    WORKSHOP, ZIP = f"{CONTENT}/workshop", f"{CONTENT}/@ZIP_NAME@"
    if not os.path.isdir(WORKSHOP):
        !GIT_TERMINAL_PROMPT=0 git clone -q --depth 1 --branch {BRANCH} {REPOSITORY} {WORKSHOP}
    if not os.path.isdir(WORKSHOP) and os.path.isfile(ZIP):
        !unzip -q {ZIP} -d {WORKSHOP}
    if not os.path.isdir(WORKSHOP):
        raise RuntimeError(f"Could not fetch the workshop from {REPOSITORY} (branch {BRANCH}): set REPOSITORY to "
                           "its published copy (all notebooks: python -m workshop_utils retarget OWNER/NAME), "
                           f"or upload its zip (python -m workshop_utils bundle) as {ZIP} and run this cell again.")
    runpy.run_path(f"{WORKSHOP}/workshop_utils/publishing/colab_setup.py", run_name="__main__")  # installs; sys.path

import workshop_utils as wu  # switches TensorFlow to tf_keras (Keras 2) before TensorFlow loads"""


class HomeError(ValueError):
    """A repository address or branch that cannot be the workshop's home (the message names the fix)."""


def parse_repository(text: str) -> str:
    """``OWNER/NAME`` checked against GitHub's naming rules (a full GitHub URL is accepted and shortened)."""
    value = text.strip()
    for prefix in (GITHUB, "http://github.com/", "github.com/"):
        if value.startswith(prefix):
            value = value[len(prefix):]
    value = value.removesuffix(".git").rstrip("/")
    match = _REPOSITORY.match(value)
    if not match or match["name"] in {".", ".."}:
        raise HomeError(f"{text!r} is not a GitHub repository OWNER/NAME (for example "
                        f"{DEFAULT_REPOSITORY}). Usage: {USAGE}")
    return value


def parse_branch(text: str) -> str:
    """A branch name git accepts (simplified check), else a :class:`HomeError` naming the rule."""
    if (not _BRANCH_CHARACTERS.match(text) or any(bad in text for bad in _BRANCH_SEQUENCES)
            or text.startswith(("-", "/", ".")) or text.endswith(("/", ".", ".lock"))):
        raise HomeError(f"{text!r} is not a valid git branch name (no spaces or ~^:?*[\\, no '..'). Usage: {USAGE}")
    return text


@dataclass(frozen=True)
class Home:
    """The published repository (``OWNER/NAME`` on GitHub) and the branch the notebooks are opened from."""

    repository: str = DEFAULT_REPOSITORY
    branch: str = DEFAULT_BRANCH

    def __post_init__(self) -> None:
        object.__setattr__(self, "repository", parse_repository(self.repository))
        parse_branch(self.branch)

    @property
    def name(self) -> str:
        return self.repository.split("/")[1]

    @property
    def url(self) -> str:
        """The repository's web (and git clone) address."""
        return GITHUB + self.repository

    @property
    def zip_name(self) -> str:
        """The file name ``python -m workshop_utils bundle`` writes and the setup cell looks for."""
        return f"{self.name}.zip"

    @property
    def colab_prefix(self) -> str:
        """Colab's address of the notebooks folder; a badge appends the notebook's path inside it."""
        return f"{COLAB_GITHUB}{self.repository}/blob/{self.branch}/{NOTEBOOKS_DIR}/"

    def badge_url(self, relative_path: str) -> str:
        """The Colab link of the notebook at ``relative_path`` inside notebooks/ (``deep_dives/01a_x.ipynb``)."""
        return self.colab_prefix + Path(relative_path).as_posix()

    def badge_markdown(self, relative_path: str) -> str:
        return f"[![Open In Colab]({BADGE_IMAGE})]({self.badge_url(relative_path)})"

    def setup_cell(self) -> str:
        """The source of every notebook's first code cell, for this home."""
        return (SETUP_TEMPLATE.replace("@REPOSITORY_URL@", self.url).replace("@BRANCH@", self.branch)
                .replace("@ZIP_NAME@", self.zip_name))


def _section(text: str, header: str) -> tuple[int, int] | None:
    """The (start, end) character span of the body of TOML table ``[header]`` in ``text``, if present."""
    match = re.search(rf"^\[{re.escape(header)}\][ \t]*(?:#.*)?$\n?", text, flags=re.MULTILINE)
    if not match:
        return None
    following = re.search(r"^\[", text[match.end():], flags=re.MULTILINE)
    return match.end(), match.end() + following.start() if following else len(text)


def _key(text: str, header: str, key: str) -> re.Match[str] | None:
    span = _section(text, header)
    if span is None:
        return None
    pattern = re.compile(rf'^{re.escape(key)}[ \t]*=[ \t]*"(?P<value>[^"\n]*)"[^\n]*$', flags=re.MULTILINE)
    return pattern.search(text, *span)


def read_home(pyproject: Path | str = PYPROJECT) -> Home:
    """The home recorded in ``pyproject`` (the defaults where it records none, e.g. an installed package)."""
    path = Path(pyproject)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    repository = _key(text, "project.urls", "Repository")
    branch = _key(text, "tool.workshop", "branch")
    try:
        return Home(repository["value"] if repository else DEFAULT_REPOSITORY,
                    branch["value"] if branch else DEFAULT_BRANCH)
    except HomeError as error:
        raise HomeError(f"{path}: {error}") from None


def _set_key(text: str, header: str, key: str, value: str) -> str:
    line = f'{key} = "{value}"'
    found = _key(text, header, key)
    if found:  # only the value changes: the line's comment stays
        return text[:found.start("value")] + value + text[found.end("value"):]
    span = _section(text, header)
    if span:
        return text[:span[0]] + line + "\n" + text[span[0]:]
    return text.rstrip("\n") + f"\n\n[{header}]\n{line}\n"


def write_home(home: Home, pyproject: Path | str = PYPROJECT) -> bool:
    """Record ``home`` in ``pyproject``, changing only those two lines; returns whether the file changed."""
    path = Path(pyproject)
    before = path.read_text(encoding="utf-8")
    after = _set_key(before, "project.urls", "Repository", home.url)
    after = _set_key(after, "tool.workshop", "branch", home.branch)
    if after != before:
        path.write_text(after, encoding="utf-8")
    return after != before


def home() -> Home:
    """This checkout's home, read from the repository's pyproject.toml."""
    return read_home(PYPROJECT)
