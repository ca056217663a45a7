"""The sites file's checks: each error names the file (and the line and key
where there is one), one line, exit code 2."""

from pathlib import Path

import pytest

from newscrawl.sites import SitesFileError, load_sites

from .conftest import run
from .test_cli import assert_one_line_error

SITE = '[[site]]\nname = "café"\nstart_urls = ["http://127.0.0.1:1/"]\n'


@pytest.mark.parametrize("key", ["allow", "boilerplate"])
def test_an_invalid_pattern_of_any_length_is_named_in_a_short_line(tmp_path: Path, key: str):
    """A 6,003-character boilerplate pattern missing its ")" was repeated whole in
    its error, a 6 KB line (allow patterns were cut at 100 characters already)."""
    pattern = "(((" + "abc" * 2000
    path = tmp_path / "sites.toml"
    path.write_text(
        f'[[site]]\nname = "a"\nstart_urls = ["http://a.test/"]\n{key} = ["{pattern}"]\n'
    )
    with pytest.raises(SitesFileError) as error:
        load_sites(path)
    said = str(error.value)
    assert said.startswith(f"{path}:4: key '{key}': invalid "), said
    assert "'(((abcabc" in said and "... (6,003 characters): missing ) at position" in said, said
    assert len(said) < len(str(path)) + 250, said


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


def sites_file(tmp_path: Path, line: str) -> Path:
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[[site]]\nname = "x"\nstart_urls = ["http://127.0.0.1:1/"]\n{line}\n')
    return sites


@pytest.mark.parametrize("delay", ["nan", "inf", "1e308", "3600", "30.5", "0", "-1"])
def test_a_delay_past_the_bound_or_not_a_delay_names_file_line_and_key(tmp_path: Path, delay: str):
    """Before: only `> 0` was checked, which nan passes: `delay = 1e308` (or inf)
    held robots.txt for ever, and `delay = 3600` made a stop outlast
    NEWSCRAWL_STOP_TIMEOUT (exit 3)."""
    sites = sites_file(tmp_path, f"delay = {delay}")
    with pytest.raises(SitesFileError) as error:
        load_sites(sites)
    assert str(error.value).startswith(
        f"{sites}:4: key 'delay': must be above 0 and at most 30 seconds: "
    )


def test_a_delay_of_30_seconds_is_kept(tmp_path: Path):
    (site,) = load_sites(sites_file(tmp_path, "delay = 30"))
    assert site.delay == 30.0


@pytest.mark.parametrize("concurrency", ["0", "-3", "257", "18446744073709551617", "2.5", "true"])
def test_a_concurrency_past_the_bound_or_not_a_count_names_file_line_and_key(
    tmp_path: Path, concurrency: str
):
    """Before: any whole number from 1 was taken, one past 64 bits too."""
    sites = sites_file(tmp_path, f"concurrency = {concurrency}")
    with pytest.raises(SitesFileError) as error:
        load_sites(sites)
    assert str(error.value).startswith(
        f"{sites}:4: key 'concurrency': must be a whole number from 1 to 256: "
    )
    (site,) = load_sites(sites_file(tmp_path, "concurrency = 256"))
    assert site.concurrency == 256


@pytest.mark.parametrize("age", ["5215w", "36501d", "999999999999w"])
def test_a_max_age_past_a_century_names_file_line_and_key(tmp_path: Path, age: str):
    """Before: "999999999999w" was an OverflowError traceback (exit 1), "9999999w"
    a crawl that failed as it opened (date value out of range)."""
    sites = sites_file(tmp_path, f'max_age = "{age}"')
    with pytest.raises(SitesFileError) as error:
        load_sites(sites)
    assert str(error.value) == (
        f"{sites}:4: key 'max_age': an age of at most 36500 days (100 years): {age!r}"
    )
    (site,) = load_sites(sites_file(tmp_path, 'max_age = "36500d"'))
    assert site.max_age is not None and site.max_age.days == 36_500


def test_a_max_age_past_a_century_on_the_command_line_is_one_line():
    result = run("newscrawl", "crawl", "http://127.0.0.1:1/", "--max-age", "999999999999w")
    assert_one_line_error(result, "max_age: an age of at most 36500 days")


def test_a_window_that_leaves_nothing_to_fetch_is_one_line(tmp_path: Path):
    """`--max-age 0d` and `--since 9999-12-31` were accepted, and the crawl judged
    every listed article too old without a word (found by a hostile-operator
    session)."""
    for option, expected in (
        (["--max-age", "0d"], "max_age: an age of at least 1m: '0d'"),
        (["--since", "9999-12-31"], "since: a date in the future: '9999-12-31'"),
    ):
        result = run("newscrawl", "crawl", "http://127.0.0.1:1/", *option)
        assert_one_line_error(result, expected)
    with pytest.raises(SitesFileError) as error:
        load_sites(sites_file(tmp_path, 'max_age = "0h"'))
    assert "key 'max_age': an age of at least 1m: '0h'" in str(error.value)


def test_two_sites_on_one_seed_host_are_refused_and_on_two_hosts_kept(tmp_path: Path):
    """Before: accepted; site_for gave every page to the first, and the second got
    nothing, with no run record and no word. Sites may share a registrable domain
    when their seeds name different hosts (the module's docstring)."""
    sites = tmp_path / "sites.toml"
    first = '[[site]]\nname = "a"\nstart_urls = ["http://news.courier.test/"]\n\n'
    sites.write_text(first + '[[site]]\nname = "b"\nstart_urls = ["http://news.courier.test/b"]\n')
    with pytest.raises(SitesFileError) as error:
        load_sites(sites)
    assert str(error.value).startswith(f"{sites}:5: site 'b': http://news.courier.test/b")
    assert "seed host of site 'a'" in str(error.value)
    assert_one_line_error(run("newscrawl", "crawl", "--sites", str(sites)), f"{sites}:5:")
    sites.write_text(first + '[[site]]\nname = "b"\nstart_urls = ["http://www.courier.test/"]\n')
    assert [site.name for site in load_sites(sites)] == ["a", "b"]
    # Feeds of two sites on one service's host: no page of either is there.
    feeds = "".join(
        f'[[site]]\nname = "{n}"\nstart_urls = ["http://{n}.test/"]\n'
        f'feeds = ["http://feeds.service.test/{n}"]\n\n'
        for n in ("a", "b")
    )
    sites.write_text(feeds)
    assert [site.name for site in load_sites(sites)] == ["a", "b"]


def test_a_long_sites_file_is_read_with_one_look_at_each_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Each site's seeds were compared with every earlier site's, their hosts
    worked out again each time: a file of 4,000 sites took 38 s to read, and one
    of 20,000 past five minutes, before every crawl. Counted in calls, not
    seconds (a busy machine is slow either way)."""
    import newscrawl.sites

    count = 2_000
    sites = tmp_path / "sites.toml"
    sites.write_text(
        "".join(
            f'[[site]]\nname = "s{n}"\n'
            f'start_urls = ["http://s{n}.courier.test/", "http://s{n}.courier.test/news/"]\n'
            for n in range(count)
        )
    )
    looked_up: list[str] = []
    real = newscrawl.sites._seed_host

    def counted(url: str) -> tuple[str, str]:
        looked_up.append(url)
        return real(url)

    monkeypatch.setattr(newscrawl.sites, "_seed_host", counted)
    loaded = load_sites(sites)
    assert [site.name for site in loaded] == [f"s{n}" for n in range(count)]
    assert len(looked_up) == 2 * count  # once a seed (before: 7,996,000 times)
    # One site's two seeds on one host are one site's; a later site there is refused.
    sites.write_text(
        sites.read_text() + '[[site]]\nname = "late"\nstart_urls = ["http://s7.courier.test/x"]\n'
    )
    with pytest.raises(SitesFileError, match="seed host of site 's7'"):
        load_sites(sites)


def test_a_sites_file_with_a_byte_order_mark_is_read(tmp_path: Path):
    """Before: "Invalid statement (at line 1, column 1)": Notepad's UTF-8 mark."""
    sites = tmp_path / "sites.toml"
    sites.write_bytes(b"\xef\xbb\xbf" + SITE.encode())
    assert [site.name for site in load_sites(sites)] == ["café"]


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('[[site]]\nname = "a"\nstart_urls = ["http://a.test/"]\nallow = ["a{4294967296}"]\n',
         ":4: key 'allow': invalid pattern 'a{4294967296}': repeat count too big at position 2"),
        ("x = " + "[" * 100_000 + "]" * 100_000 + "\n", ": nested too deep to be a sites file"),
        ("site = [1, 2]\n", ": no [[site]] tables"),
        ('site = ["abc"]\n', ": no [[site]] tables"),
    ],
)  # fmt: skip
def test_a_sites_file_that_python_chokes_on_is_one_line(
    tmp_path: Path, content: str, said: str
) -> None:
    """A repetition past what `re` takes (OverflowError) and arrays nested
    100,000 deep (RecursionError) were tracebacks, exit 1; `site = [1, 2]` said
    "'int' object is not iterable" without the file."""
    path = tmp_path / "sites.toml"
    path.write_text(content)
    with pytest.raises(SitesFileError) as error:
        load_sites(path)
    assert str(error.value) == f"{path}{said}"


def test_whose_a_url_on_a_shared_domain_is_does_not_depend_on_the_files_order(
    tmp_path: Path,
):
    """Sites www.example.test and sport.example.test: the bare domain went to the
    first site of the file, so a news page's canonical URL there was refused or
    trusted by the order, and a news site whose www. pages redirect to the bare
    domain stored nothing (the reviews of b3b5455, df9cf5f and ec05be8). The www.
    site is the domain's main one; between sites a. and b., the bare domain is
    neither's."""
    from newscrawl.sites import SiteDirectory

    path = tmp_path / "sites.toml"
    path.write_text(
        '[[site]]\nname = "sport"\nstart_urls = ["http://sport.example.test/"]\n'
        '[[site]]\nname = "news"\nstart_urls = ["http://www.example.test/"]\n'
        '[[site]]\nname = "a"\nstart_urls = ["http://a.other.test/"]\n'
        '[[site]]\nname = "b"\nstart_urls = ["http://b.other.test/"]\n'
    )
    sport, news, a, b = load_sites(path)
    for order in ([sport, news, a, b], [b, a, news, sport]):
        directory = SiteDirectory(order)
        for url in ("http://example.test/2026/a.html", "http://www.example.test/2026/a.html",
                    "http://live.example.test/2026/a.html"):  # fmt: skip
            assert directory.site_for(url) is news
            assert not directory.foreign_to(news, url) and directory.foreign_to(sport, url)
        assert directory.site_for("http://sport.example.test/2026/a.html") is sport
        assert directory.foreign_to(news, "http://sport.example.test/2026/a.html")
        assert directory.foreign_to(None, "http://www.example.test/2026/a.html")
        assert not directory.foreign_to(news, "http://elsewhere.test/a.html")
        # Sites a. and b.: the bare domain is neither's, and neither may claim it.
        assert directory.site_for("http://other.test/x.html") is None
        assert directory.foreign_to(a, "http://other.test/x.html")
        assert directory.foreign_to(b, "http://other.test/x.html")
        assert directory.site_for("http://b.other.test/x.html") is b


def test_boilerplate_is_checked_as_the_cleaning_applies_it(tmp_path: Path):
    """With `regex` (cleaning/fragments.py): its classes pass, a broken pattern is
    one line naming file, line and key."""
    (site,) = load_sites(sites_file(tmp_path, r"boilerplate = ['\p{Lu}+ newsletter']"))
    assert site.boilerplate == (r"\p{Lu}+ newsletter",)
    with pytest.raises(SitesFileError) as error:
        load_sites(sites_file(tmp_path, "boilerplate = ['(unclosed']"))
    assert str(error.value).startswith(f"{tmp_path / 'sites.toml'}:4: key 'boilerplate': ")
    assert "'(unclosed'" in str(error.value)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (('[[site]]\nname = "a"\nstart_urls = ["http://a.test/"]\n\n'
          '[[sites]]\nname = "b"\nstart_urls = ["http://b.test/"]\n'),
         ":5: unknown key 'sites'"),
        ('[[sites]]\nname = "b"\nstart_urls = ["http://b.test/"]\n', ":1: unknown key 'sites'"),
        ('delay = 2\n[[site]]\nname = "a"\nstart_urls = ["http://a.test/"]\n',
         ":1: unknown key 'delay'"),
        ('[[site]]\nname = "a"\nstart_urls = ["http://a.test/"]\n[defaults]\ndelay = 2\n',
         ":4: unknown key 'defaults'"),
    ],
)  # fmt: skip
def test_a_table_or_key_beside_the_site_tables_names_file_and_line(
    tmp_path: Path, content: str, said: str
) -> None:
    """A misspelt [[sites]] table beside [[site]] ones was passed over without a
    word (its sites never crawled, exit 0), and alone it said only "no [[site]]
    tables"; a key above the first table (`delay = 2` for every site) was ignored."""
    path = tmp_path / "sites.toml"
    path.write_text(content)
    with pytest.raises(SitesFileError) as error:
        load_sites(path)
    assert str(error.value) == f"{path}{said} (a sites file holds [[site]] tables only)"


def test_an_unknown_site_of_the_file_is_named_with_the_one_it_may_mean(tmp_path: Path):
    """`--site couriers` said only "no site named 'couriers'": with a long sites
    file, the person looked the right name up by hand."""
    sites = tmp_path / "sites.toml"
    sites.write_text(
        '[[site]]\nname = "courier"\nstart_urls = ["http://127.0.0.1:1/"]\n'
        '[[site]]\nname = "gazette"\nstart_urls = ["http://127.0.0.1:2/"]\n'
    )
    result = run("newscrawl", "crawl", "--sites", str(sites), "--site", "couriers")
    assert_one_line_error(result, f"{sites}: no site named 'couriers' (did you mean 'courier'?)")
    result = run("newscrawl", "crawl", "--sites", str(sites), "--site", "herald")
    assert_one_line_error(result, f"{sites}: no site named 'herald'")
    assert "did you mean" not in result.stderr.decode()


@pytest.mark.parametrize("source", ["/dev/zero", "sparse"])
def test_a_sites_file_or_url_list_past_64_mib_is_refused_in_one_line(tmp_path: Path, source: str):
    """Both were read whole: /dev/zero, or a 3 GB file, took 4-6 GB of memory and
    the run went on without a word."""
    path = Path(source)
    if source == "sparse":
        path = tmp_path / "big.toml"
        with path.open("wb") as file:
            file.truncate(65 * 2**20)
    with pytest.raises(SitesFileError, match=f"^{path}: larger than 64 MiB: no sites file$"):
        load_sites(path)
    crawl = run("newscrawl", "crawl", "--sites", str(path), "--db", str(tmp_path / "x.sqlite"))
    assert_one_line_error(crawl, f"{path}: larger than 64 MiB")
    scrape = run("newscrawl", "scrape", "-i", str(path))
    assert_one_line_error(scrape, f"cannot read {path}: larger than 64 MiB")
