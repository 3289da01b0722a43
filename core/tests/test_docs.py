"""The documentation stays a manual a newcomer can trust: the README short, every environment
variable the settings read listed in docs/configuration.md, every relative link (and its #anchor)
pointing at something that exists."""

import ast
import pathlib
import re

from django.conf import settings

ROOT = pathlib.Path(settings.BASE_DIR)
CONFIGURATION = ROOT / "docs" / "configuration.md"
ENVIRONMENT_READERS = [ROOT / "creatorcompass" / "settings.py", ROOT / "gunicorn.conf.py"]


def documents():
    return [ROOT / "README.md", ROOT / "bench" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _string(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_environ(node):
    """`os.environ` or django-environ's `env.ENVIRON`."""
    return isinstance(node, ast.Attribute) and node.attr in ("environ", "ENVIRON")


def variables_read(source):
    """The environment variables a module reads: `env.<cast>("NAME")`, `env("NAME")`,
    `os.environ.get("NAME")`, `os.environ["NAME"]`, `os.getenv("NAME")`, and `PREFIX_*` for a
    prefix matched over the whole environment (`name.startswith("ANYMAIL_")`)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and node.args and _string(node.args[0]):
            func, first = node.func, _string(node.args[0])
            env_call = (isinstance(func, ast.Name) and func.id == "env") or (
                isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
                and func.attr != "db_url_config")
            environ_get = isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value)
            getenv = isinstance(func, ast.Attribute) and func.attr == "getenv"
            if env_call or environ_get or getenv:
                names.add(first)
            elif isinstance(func, ast.Attribute) and func.attr == "startswith" and first.endswith("_"):
                names.add(f"{first}*")
        elif isinstance(node, ast.Subscript) and _is_environ(node.value) and _string(node.slice):
            names.add(_string(node.slice))
    return names


def variables_documented(text):
    """The backticked names in the first cell of each table row."""
    names = set()
    for line in text.splitlines():
        cells = line.strip().strip("|").split("|")
        if line.startswith("|") and len(cells) > 1:
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*\*?)`", cells[0]))
    return names


def undocumented(sources, text):
    return sorted(set().union(*(variables_read(source) for source in sources)) - variables_documented(text))


def test_every_environment_variable_read_is_in_the_configuration_table():
    sources = [path.read_text() for path in ENVIRONMENT_READERS]

    assert len(variables_read(sources[0])) >= 55
    assert undocumented(sources, CONFIGURATION.read_text()) == []


def test_a_variable_missing_from_the_table_is_found():
    source = 'A = env.str("SITE_URL", default="")\nB = env.int("NEW_LIMIT", default=1)\nC = os.environ["RAW_ONE"]\n' \
             'D = {k: v for k, v in env.ENVIRON.items() if k.startswith("ANYMAIL_")}\nE = os.environ.get("GOT")\n'
    table = "| variable | default | meaning |\n|---|---|---|\n| `SITE_URL` | x | y |\n| `ANYMAIL_*` | | |\n"

    assert undocumented([source], table) == ["GOT", "NEW_LIMIT", "RAW_ONE"]


def slug(heading):
    """GitHub's anchor for a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text):
    found, seen = set(), {}
    for heading in re.findall(r"^#{1,6} (.+)$", _prose(text), flags=re.M):
        base = slug(heading)
        found.add(f"{base}-{seen[base]}" if base in seen else base)
        seen[base] = seen.get(base, 0) + 1
    return found


def _prose(text):
    return re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)


def broken_links(path, text):
    """Each relative link of a document (markdown or <img src>) whose file or #anchor is missing."""
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)|src=\"([^\"]+)\"", _prose(text)):
        target = target[0] or target[1]
        if re.match(r"[a-z]+:", target):
            continue  # http(s), mailto: not ours to check
        file, _, anchor = target.partition("#")
        linked = (path.parent / file).resolve()
        if file and not linked.exists():
            broken.append(f"{path.name}: {target} (no such file)")
        elif anchor and (not file or linked.suffix == ".md") and anchor not in anchors(
                linked.read_text() if file else text):
            broken.append(f"{path.name}: {target} (no such heading)")
    return broken


def test_every_relative_link_in_the_docs_points_at_something_that_exists():
    links = sum(len(re.findall(r"\]\(|src=\"", path.read_text())) for path in documents())

    assert links >= 30
    assert [broken for path in documents() for broken in broken_links(path, path.read_text())] == []


def test_a_broken_link_or_anchor_is_found():
    readme = ROOT / "README.md"
    text = ("See [ops](docs/operations.md#alerts), [gone](docs/nowhere.md), [bad](docs/operations.md#no-such),"
            ' [here](#the-end), [there](#nowhere), [web](https://example.com/x.md) <img src="docs/screenshots/none.png">\n## The end\n')

    assert broken_links(readme, text) == [
        "README.md: docs/nowhere.md (no such file)",
        "README.md: docs/operations.md#no-such (no such heading)",
        "README.md: #nowhere (no such heading)",
        "README.md: docs/screenshots/none.png (no such file)",
    ]


def test_the_readme_is_a_short_manual():
    lines = (ROOT / "README.md").read_text().splitlines()

    assert len(lines) <= 220
    assert [number for number, line in enumerate(lines, 1) if len(line) > 300] == []
