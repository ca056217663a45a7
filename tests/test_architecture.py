"""The shape of the code: no import cycle, one reader of newscrawl's settings, and
light modules that stay light. Read from the source, not from a running crawl."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "newscrawl"
# The modules allowed to read NEWSCRAWL_* settings.
CONFIGURATION = {"newscrawl.config"}
SETTINGS_READERS = {"get", "getbool", "getint", "getfloat", "getlist", "getdict", "getpriority"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text("utf-8")) for p in PACKAGE.rglob("*.py")}


def imports_of(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The newscrawl modules `name` imports, at the top or inside functions alike."""
    found: set[str] = set()
    package = (
        name
        if name in known and (PACKAGE / name.replace(".", "/")[10:]).is_dir()
        else name.rpartition(".")[0]
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from newscrawl.cluster import keys` imports the module newscrawl.cluster.keys.
            targets = [
                f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_import_graph_has_no_cycle() -> None:
    trees = modules()
    known = set(trees)
    graph = {name: imports_of(name, tree, known) - {"newscrawl"} for name, tree in trees.items()}
    # A package's __init__ importing its own modules is how a package presents them.
    graph = {
        name: {m for m in found if not m.startswith(f"{name}.")} for name, found in graph.items()
    }
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def settings_reads(tree: ast.Module) -> list[str]:
    """NEWSCRAWL_* names read as settings: settings.get("NEWSCRAWL_X", ...),
    settings["NEWSCRAWL_X"], crawler.settings.getbool("NEWSCRAWL_X")."""
    found = []
    for node in ast.walk(tree):
        key = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr in SETTINGS_READERS and node.args:
                key = node.args[0]
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
            key = node.slice
        if isinstance(key, ast.Constant) and str(key.value).startswith("NEWSCRAWL_"):
            found.append(str(key.value))
    return found


def test_only_the_configuration_reads_newscrawl_settings() -> None:
    readers = {
        name: reads
        for name, tree in modules().items()
        if (reads := settings_reads(tree)) and name not in CONFIGURATION
    }
    assert readers == {}


def test_the_check_sees_a_settings_read() -> None:
    tree = ast.parse(
        'x = crawler.settings.getfloat("NEWSCRAWL_CLUSTER_WAIT", 1)\ny = s["NEWSCRAWL_A"]'
    )
    assert settings_reads(tree) == ["NEWSCRAWL_CLUSTER_WAIT", "NEWSCRAWL_A"]


@pytest.mark.parametrize(
    "module", ["newscrawl.storage", "newscrawl.frontier", "newscrawl.cli", "newscrawl.progress"]
)
def test_light_modules_do_not_load_the_extractor(module: str) -> None:
    """The store, `stats`, `state`, `--help` and the progress line do not pay for
    trafilatura (about a second and 60 MB)."""
    code = f"import sys, {module}; print('trafilatura' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_crawlers_process_does_not_load_the_extractor() -> None:
    """Workers read the pages; the process that downloads them imports neither
    trafilatura nor what comes with it (htmldate, numpy, the language detector):
    every crawl would pay for them (about 0.5 s of CPU and 20 MB), for nothing.
    Imports what a crawl's process imports: the command line, the runner, the
    spiders and every component newscrawl's settings name."""
    code = """
import sys
from scrapy.utils.misc import load_object
import newscrawl.cli, newscrawl.runner, newscrawl.settings as s
import newscrawl.spiders.news, newscrawl.spiders.article, newscrawl.cluster.worker
names = [*s.DOWNLOADER_MIDDLEWARES_BASE, *s.ITEM_PIPELINES_BASE, *s.EXTENSIONS_BASE, s.LOG_FORMATTER,
         s.SCHEDULER_PRIORITY_QUEUE, s.DUPEFILTER_CLASS, s.TWISTED_DNS_RESOLVER]
for name in names:
    if name.startswith("newscrawl."):
        load_object(name)
heavy = ("trafilatura", "htmldate", "numpy", "py3langid", "newscrawl.extract")
print(sorted(m for m in heavy if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_crawl_does_not_import_the_components_it_turns_off() -> None:
    """Scrapy imports every component of its lists before it learns one is off:
    the telnet console and the remote control (aiohttp's web server, 0.15 s of
    CPU a crawl), both off, must not be in them; nor may the cluster's extension
    load redis (0.15 s) in a crawl that is no cluster's."""
    code = """
import sys
from scrapy.settings import Settings
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object
settings = Settings()
settings.setmodule("newscrawl.settings", priority="project")
for setting in ("EXTENSIONS", "DOWNLOADER_MIDDLEWARES"):
    for name in build_component_list(settings.getwithbase(setting)):
        load_object(name)
unused = ("aiohttp", "scrapy.extensions.telnet", "scrapy.extensions.remote_control", "redis")
print(sorted(m for m in unused if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_workers_do_not_load_scrapy() -> None:
    """A worker starts from its fork server (newscrawl.preload) and finds its entry
    point in newscrawl.workers; neither imports Scrapy or Twisted, which would cost
    every crawl 0.2 s of CPU and the workers 15 MB."""
    code = """
import sys, pickle
import newscrawl.preload
from newscrawl.workers import page_in_worker, within_cpu_time
pickle.loads(pickle.dumps((within_cpu_time, page_in_worker)))
# tldextract brings requests; the workers never need a site's registrable domain.
print(sorted(m for m in ("scrapy", "twisted", "tldextract") if m in sys.modules))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
