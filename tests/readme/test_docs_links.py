"""Decision records are numbered once each, and links from README.md and docs/ resolve.

Several records were written at the same time; this keeps their numbers unique and the references
to them (by path, and by "(NNNN)" in the README's list of decisions) pointing at the right file.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tests.running_system import ROOT

DECISIONS = ROOT / "docs" / "decisions"
RECORD = re.compile(r"^(\d{4})-[a-z0-9-]+\.md$")
PATH_REFERENCE = re.compile(r"(?:docs/)?decisions/(\d{4}[a-z0-9-]*)(?:\.md)?")
MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _records() -> list[Path]:
    return sorted(p for p in DECISIONS.iterdir() if p.suffix == ".md")


def _documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def test_each_decision_number_is_used_once_and_matches_its_title() -> None:
    records = _records()
    assert records, "no decision records found"
    numbers = []
    for record in records:
        match = RECORD.match(record.name)
        assert match, f"{record.name}: expected NNNN-some-title.md"
        numbers.append(match.group(1))
        title = record.read_text(encoding="utf-8").splitlines()[0]
        assert title.startswith(f"# {match.group(1)}: "), (record.name, title)
    duplicated = [number for number, count in Counter(numbers).items() if count > 1]
    assert not duplicated, f"decision numbers used twice: {duplicated}"


def test_references_to_decisions_name_existing_records() -> None:
    names = {record.stem for record in _records()}
    numbers = {name[:4] for name in names}
    for document in _documents():
        for reference in PATH_REFERENCE.findall(document.read_text(encoding="utf-8")):
            if len(reference) == 4:  # a bare number, as in `docs/decisions/0010`
                assert reference in numbers, (document.name, reference)
            else:
                assert reference in names, (document.name, reference)


def test_readme_list_of_decisions_matches_the_records() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    listed = readme[readme.index("Decisions, one file each") :].split("\n\n", 1)[0]
    assert sorted(re.findall(r"\((\d{4})\)", listed)) == sorted(r.name[:4] for r in _records())


def test_relative_markdown_links_resolve() -> None:
    for document in _documents():
        for target in MARKDOWN_LINK.findall(document.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (document.parent / target).exists(), f"{document.relative_to(ROOT)}: {target}"
