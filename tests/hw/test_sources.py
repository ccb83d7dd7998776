"""The device files behind the sustainability claims: every estimate says why no source exists."""

import re

import pytest
import yaml

from dse.resources import accelerators


def _sources(node):
    """Every `source:` text in a YAML tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "source" and isinstance(value, str):
                yield value
            else:
                yield from _sources(value)
    elif isinstance(node, list):
        for item in node:
            yield from _sources(item)


FILES = sorted(p for kind in ("gpu", "pim", "carbon") for p in accelerators(kind).rglob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_estimate_gives_its_reason(path):
    texts = list(_sources(yaml.safe_load(path.read_text())))
    assert texts
    bare = [t for t in texts if "[estimate" in t and not re.match(r"\s*\[estimate: [^\]]{10,}\]", t)]
    assert bare == []
