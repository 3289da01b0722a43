"""The rule map of docs/architecture.md ("Where each rule lives") names, for each business rule,
the file and function that own it: each must exist, so the map stays one hop from the code it
describes."""

import ast
import pathlib
import re

from django.conf import settings

ROOT = pathlib.Path(settings.BASE_DIR)


def rule_map(readme):
    """[(rule, file, [names])] from the map's table rows."""
    section = readme.split("## Where each rule lives", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[1] in ("owner (file · function)", "---"):
            continue
        for owner in cells[1].split(";"):
            file, _, names = owner.partition(" · ")
            rows.append((cells[0], file.strip().strip("`"), re.findall(r"`([A-Za-z_]+)", names.split("(")[0])))
    return rows


def defined_names(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


def missing_owners(rows):
    missing = []
    for rule, file, names in rows:
        path = ROOT / file
        if not path.is_file():
            missing.append(f"{rule}: no file {file}")
            continue
        missing += [f"{rule}: {file} defines no {name}" for name in names if name not in defined_names(path)]
    return missing


def test_every_rule_in_the_architecture_map_names_a_real_file_and_function():
    rows = rule_map((ROOT / "docs" / "architecture.md").read_text())
    assert len(rows) >= 18 and all(names for _, _, names in rows)
    assert missing_owners(rows) == []


def test_a_stale_map_entry_is_found():
    stale = "| points per completion | `tasks/services.py` · `points_for` |\n| streak | `accounts/services.py` · `streak_moves` |"
    rows = rule_map(f"## Where each rule lives\n\n| rule | owner (file · function) |\n|---|---|\n{stale}\n")
    assert missing_owners(rows) == [
        "points per completion: no file tasks/services.py",
        "streak: accounts/services.py defines no streak_moves",
    ]
