"""The sites file's checks: each error names the file (and the line and key
where there is one), one line, exit code 2."""

from pathlib import Path

import pytest

from newscrawl.sites import SitesFileError, load_sites

from .conftest import run
from .test_cli import assert_one_line_error

SITE = '[[site]]\nname = "café"\nstart_urls = ["http://127.0.0.1:1/"]\n'


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (SITE.encode("utf-16"), ":1: not UTF-8 text (byte 0xff at offset 0)"),
        (SITE.encode("latin-1"), ":2: not UTF-8 text (byte 0xe9 at offset 20)"),
        (b"\x7fELF\x02\x01\x01\x00\xc1\x00", ":1: not UTF-8 text (byte 0xc1 at offset 8)"),
    ],
    ids=["utf-16", "latin-1", "binary"],
)
def test_a_sites_file_that_is_not_utf8_is_named(tmp_path: Path, content: bytes, said: str):
    """Before: "'utf-8' codec can't decode byte 0xff in position 0", without the file."""
    sites = tmp_path / "sites.toml"
    sites.write_bytes(content)
    with pytest.raises(SitesFileError) as error:
        load_sites(sites)
    assert str(error.value).startswith(f"{sites}{said}")


def test_an_undecodable_sites_file_is_one_line_in_every_command(tmp_path: Path):
    """Before: `crawl --sites` printed the codec's words without the path, and
    `reclean --sites` a traceback (exit 1)."""
    sites = tmp_path / "sites.toml"
    sites.write_bytes(SITE.encode("utf-16"))
    said = f"{sites}:1: not UTF-8 text"
    assert_one_line_error(run("newscrawl", "crawl", "--sites", str(sites)), said)
    db = tmp_path / "n.sqlite"
    db.touch()
    assert_one_line_error(run("newscrawl", "reclean", "--db", str(db), "--sites", str(sites)), said)
