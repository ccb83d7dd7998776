"""Every command and explore config shown in README.md and docs/*.md runs and exits 0, so the docs cannot drift.

What counts, per document, in the order it appears:
- a fenced ```sh / ```console / ```bash / ```shell block: each line (after joining `\\` continuations, dropping
  comments and a `$ ` prompt) must be a `dse ...` command; it runs in-process through `dse.cli.main` in one scratch
  folder per document (so a command can use what an earlier one wrote; the repository's top-level folders are
  linked into it, so paths like `docs/examples/tiny_cnn.onnx` resolve as from the checkout) and must exit 0;
- a fenced ```yaml block holding `studies:` is an explore config, written to a file before the document's commands
  run: under the name its first line gives (`# tiles.yaml ...`), if any. A `dse explore NAME` command of the
  document runs it; a config no command names runs on its own as `dse explore FILE`.
To keep the file fast, searches run small: every `dse explore` runs with `--quick`, which here caps sampled studies
at TRIALS trials, and `dse fpga tile` runs with `--trials TRIALS` unless the doc gives fewer. A block that cannot run
here carries `<!-- not-run: REASON -->` on the line right before its opening fence; that marker is the only way out:
a shell line that is not a `dse` command, an unlabelled block of `dse` lines or a failing command fails the test,
naming the document and line.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from dse.cli import main
from dse.explore import run as explore_run

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL = {"sh", "console", "bash", "shell"}
NOT_RUN = re.compile(r"^<!-- not-run: (\S.*?) -->$")
CONFIG_NAME = re.compile(r"^#\s*([\w.-]+\.ya?ml)\b")
#: Tracked top-level folders a documented command may read from (linked into the scratch folder).
CHECKOUT = ("accelerators", "benchmarks", "docs", "dse", "reference", "templates", "tests")
#: Trial cap for sampled studies (exact enumeration stays whole, as `--quick` does).
TRIALS = 10


@dataclass(frozen=True)
class Block:
    doc: Path
    line: int  # 1-based line of the opening fence
    lang: str
    body: str
    not_run: str | None  # the reason given by a `<!-- not-run: ... -->` marker, if any

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"


def blocks(doc: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, with the not-run marker right before each, if any."""
    lines = doc.read_text().splitlines()
    out, i = [], 0
    while i < len(lines):
        fence = re.match(r"^```\s*(\S*)\s*$", lines[i])
        if not fence:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith("```")), None)
        assert end is not None, f"{doc.relative_to(ROOT)}:{i + 1}: fenced block never closed"
        marker = NOT_RUN.match(lines[i - 1].strip()) if i else None
        out.append(Block(doc, i + 1, fence.group(1), "\n".join(lines[i + 1:end]) + "\n",
                         marker.group(1) if marker else None))
        i = end + 1
    return out


def commands(block: Block) -> list[list[str]]:
    """The argument lists of a shell block's `dse` lines (without the leading `dse`); any other line fails."""
    out = []
    for number, line in enumerate(block.body.replace("\\\n", " ").splitlines()):
        words = shlex.split(line.removeprefix("$ "), comments=True)
        if not words:
            continue
        assert words[0] == "dse", (f"{block.where}: `{line.strip()}` is not a dse command; make it one or mark the "
                                   f"block <!-- not-run: REASON -->")
        out.append(words[1:])
    return out


def is_config(block: Block) -> bool:
    return block.lang in ("yaml", "yml") and re.search(r"^studies:", block.body, re.M) is not None


def runnable(doc: Path) -> list[Block]:
    """The blocks of a document this test runs; also fails on `dse` lines hidden in an unlabelled block."""
    out = []
    for block in blocks(doc):
        if block.not_run:
            continue
        if block.lang in SHELL or is_config(block):
            out.append(block)
        elif not block.lang:
            assert not re.search(r"^\$? ?dse ", block.body, re.M), (
                f"{block.where}: an unlabelled block of dse commands; label it ```sh so it is run, or mark it "
                f"<!-- not-run: REASON -->")
    return out


def small(argv: list[str]) -> list[str]:
    """argv with its search capped at TRIALS trials (see the module docstring)."""
    if argv[:1] == ["explore"] and "--quick" not in argv:
        return [*argv, "--quick"]
    if argv[:2] == ["fpga", "tile"]:
        if "--trials" not in argv:
            return [*argv, "--trials", str(TRIALS)]
        at = argv.index("--trials") + 1
        return [*argv[:at], str(min(int(argv[at]), TRIALS)), *argv[at + 1:]]
    return argv


def run_dse(argv: list[str], where: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = small(argv)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    captured = capsys.readouterr()
    assert code == 0, f"{where}: `dse {shlex.join(argv)}` exited {code}: {captured.err.strip()[-3000:]}"


@pytest.mark.parametrize("doc", [d for d in DOCS if runnable(d)], ids=lambda d: str(d.relative_to(ROOT)))
def test_doc_examples_run(doc: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    for folder in CHECKOUT:  # the checkout as the commands expect it, writes landing in tmp_path
        (tmp_path / folder).symlink_to(ROOT / folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(explore_run, "QUICK_TRIALS", TRIALS)
    todo = runnable(doc)
    named = {}
    for block in todo:
        if is_config(block):
            name = CONFIG_NAME.match(block.body)
            file = tmp_path / (name.group(1) if name else f"config_line{block.line}.yaml")
            assert not file.exists(), f"{block.where}: a second config named {file.name}"
            file.write_text(block.body)
            named[file.name] = block
    shell = [(block, argv) for block in todo if block.lang in SHELL for argv in commands(block)]
    run_by_command = {argv[1] for _, argv in shell if argv[:1] == ["explore"] and len(argv) > 1}
    ran = 0
    for block in todo:
        if is_config(block):
            name = next(n for n, b in named.items() if b is block)
            if name not in run_by_command:
                run_dse(["explore", name, "--out", f"runs/config_line{block.line}", "--no-progress"], block.where,
                        capsys)
                ran += 1
        else:
            for argv in commands(block):
                run_dse(argv, block.where, capsys)
                ran += 1
    assert ran > 0


def test_every_doc_example_is_run_or_marked() -> None:
    """The documents known to show commands or configs are found to, and each not-run marker sits on a block of
    commands or configs (a marker on anything else would be dead)."""
    shown = {str(d.relative_to(ROOT)) for d in DOCS if runnable(d)}
    assert {"README.md", "docs/explore.md", "docs/hls.md", "docs/sustainability.md"} <= shown
    for doc in DOCS:
        for block in blocks(doc):
            if block.not_run:
                assert block.lang in SHELL or is_config(block), f"{block.where}: not-run marker on a {block.lang!r} block"
