import json
from pathlib import Path

from newscrawl.feeds import repair_torn_tail

from .conftest import FAST, run


def test_a_torn_last_line_is_cut_and_complete_lines_kept(tmp_path: Path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": 2}\n{"c": 3, "tor')
    assert repair_torn_tail(path) == len(b'{"c": 3, "tor')
    assert path.read_bytes() == b'{"a": 1}\n{"b": 2}\n'
    assert repair_torn_tail(path) == 0  # a sound file is left alone
    empty = tmp_path / "b.jsonl"
    empty.write_bytes(b'{"only": "torn')
    assert repair_torn_tail(empty) == 14 and empty.read_bytes() == b""
    assert repair_torn_tail(tmp_path / "missing.jsonl") == 0


def test_appending_to_a_file_a_killed_run_tore(site_url: str, tmp_path: Path):
    out = tmp_path / "articles.jsonl"
    out.write_bytes(b'{"url": "http://earlier.test/1", "text": "kept"}\n{"url": "http://earlier.te')
    result = run("newscrawl", "crawl", site_url, "-o", str(out), *FAST)
    assert result.returncode == 0, result.stderr.decode()
    assert "ended in a torn line" in result.stderr.decode()
    rows = [json.loads(line) for line in out.read_text().splitlines()]  # every line parses
    assert rows[0] == {"url": "http://earlier.test/1", "text": "kept"}
    assert len(rows) == 1 + 3
