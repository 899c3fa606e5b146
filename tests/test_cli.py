"""The `fairweigh` command as an administrator uses it: exit statuses, messages and outputs."""

from __future__ import annotations

import csv
import http.cookiejar
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import openpyxl
import pypdfium2
import pytest
import zxingcpp

from qr.labels import installed_cjk_font
from tests.test_ledger_import import HEADERS_ZH, good_line, write_csv
from web.cli.main import main


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("FAIRWEIGH_SECRET", "cli-test-secret-" + "y" * 32)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://jl.example.gov.cn")
    return database_url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_serve_refuses_an_unmigrated_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/new.db")
    status, _, err = run(capsys, "serve", "--port", "1")
    assert status == 2
    assert "fairweigh db upgrade" in err
    assert run(capsys, "db", "upgrade")[0] == 0
    assert run(capsys, "import", "ledger", str(write_csv(tmp_path / "a.csv", [good_line(1)])))[0] == 0


def test_production_without_a_secret_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/p.db")
    monkeypatch.setenv("FAIRWEIGH_ENV", "production")
    monkeypatch.delenv("FAIRWEIGH_SECRET", raising=False)
    status, _, err = run(capsys, "serve", "--port", "1")
    assert status == 2
    assert "FAIRWEIGH_SECRET" in err


def test_bad_configuration_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://nope")
    status, _, err = run(capsys, "db", "upgrade")
    assert status == 2
    assert "DATABASE_URL scheme 'mysql' is not supported" in err
    assert "Traceback" not in err


def test_import_reports_rows_and_exit_status(env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_csv(tmp_path / "good.csv", [good_line(n) for n in range(1, 4)], encoding="gbk")
    status, out, _ = run(capsys, "import", "ledger", str(good))
    assert status == 0
    assert "新增 3 行，更新 0 行，未变 0 行，拒绝 0 行" in out
    bad_line = good_line(4)
    bad_line[9] = ""
    mixed = write_csv(tmp_path / "mixed.csv", [good_line(1), bad_line])
    status, out, err = run(capsys, "import", "ledger", str(mixed))
    assert status == 1
    assert "第 3 行：缺少出厂编号" in err
    assert "未变 1 行，拒绝 1 行" in out


def test_pages_render_makes_every_page_once(env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_csv(tmp_path / "good.csv", [good_line(n) for n in range(1, 4)])
    assert run(capsys, "import", "ledger", str(good))[0] == 0
    status, out, _ = run(capsys, "pages", "render", "--language", "zh", "--language", "en")
    assert status == 0
    assert "已生成 9 个页面" in out  # three instruments: the zh page, the en page and the JSON of each
    assert "已生成 0 个页面" in run(capsys, "pages", "render")[1]  # all there and current: nothing to do


def test_import_xlsx(env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADERS_ZH)
    for n in range(1, 6):
        sheet.append(good_line(n))
    workbook.save(tmp_path / "台账.xlsx")
    status, out, _ = run(capsys, "import", "ledger", str(tmp_path / "台账.xlsx"))
    assert (status, "新增 5 行" in out) == (0, True)


@pytest.mark.parametrize("content", [b"", b"\x00\x01garbage\xff", b"PK\x03\x04broken"])
def test_unimportable_files_exit_2_with_a_message(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    path = tmp_path / ("x.xlsx" if content.startswith(b"PK") else "x.csv")
    path.write_bytes(content)
    status, _, err = run(capsys, "import", "ledger", str(path))
    assert status == 2
    assert "无法导入" in err
    assert run(capsys, "import", "ledger", str(tmp_path / "missing.csv"))[0] == 2


def test_codes_lists_every_instrument(env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [good_line(n) for n in range(1, 5)]
    lines[3][2] = "东街菜市场"
    run(capsys, "import", "ledger", str(write_csv(tmp_path / "l.csv", lines)))
    status, out, _ = run(capsys, "codes")
    assert status == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 4
    assert list(rows[0]) == ["code", "url", "serial_no", "kind", "merchant", "market", "station", "status"]
    assert all(row["url"] == f"https://jl.example.gov.cn/i/{row['code']}" for row in rows)
    assert {row["status"] for row in rows} == {"valid"}
    status, out, _ = run(capsys, "codes", "--market", "东街菜市场", "--format", "json")
    listed = json.loads(out)
    assert [(r["serial_no"], r["market"], r["kind"]) for r in listed] == [("SN00004", "东街菜市场", "price_scale")]
    status, out, err = run(capsys, "codes", "--market", "不存在的市场")
    assert (status, out) == (2, "")
    assert "不存在的市场" in err


def test_labels_print_one_sticker_per_instrument(env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [good_line(n) for n in range(1, 31)]
    run(capsys, "import", "ledger", str(write_csv(tmp_path / "l.csv", lines)))
    out_file = tmp_path / "labels.pdf"
    status, out, _ = run(capsys, "labels", "--out", str(out_file))
    assert status == 0
    assert "已生成 30 张标签" in out
    document = pypdfium2.PdfDocument(out_file)
    assert len(document) == 2  # 24 stickers a page
    text = document[0].get_textpage().get_text_range()
    assert "商户1" in text
    assert "扫码查检定" in text
    document.close()
    # With Debian's free CJK font installed (CI installs it), a subset is embedded without any setting.
    if installed_cjk_font() is not None:
        assert b"/FontFile2" in out_file.read_bytes()
    else:
        print("no free CJK font installed: the standard CID font was used, not embedded")
    status, out, _ = run(capsys, "labels", "--merchant", "商户2", "--out", str(out_file))
    assert "已生成 1 张标签" in out
    assert run(capsys, "labels", "--merchant", "无此人", "--out", str(out_file))[0] == 2


def test_labels_offer_the_gs1_digital_link_form_for_instruments_with_a_gtin(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = ",".join([*HEADERS_ZH, "商品条码", "序列号"])
    lines = [",".join([*good_line(1), "6901234567892", "A17"]), ",".join([*good_line(2), "", ""])]
    (tmp_path / "g.csv").write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    assert run(capsys, "import", "ledger", str(tmp_path / "g.csv"))[0] == 0
    out_file = tmp_path / "gs1.pdf"
    assert run(capsys, "labels", "--form", "gs1", "--out", str(out_file))[0] == 0
    document = pypdfium2.PdfDocument(out_file)
    image = document[0].render(scale=300 / 72).to_pil()
    document.close()
    urls = sorted(barcode.text for barcode in zxingcpp.read_barcodes(image))
    assert urls[0] == "https://jl.example.gov.cn/01/06901234567892/21/A17"
    assert urls[1].startswith("https://jl.example.gov.cn/i/")  # no GTIN: the lookup URL as before
    assert len(urls) == 2


def test_codes_piped_into_head_ends_quietly(env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "import", "ledger", str(write_csv(tmp_path / "l.csv", [good_line(n) for n in range(1, 2001)])))
    process = subprocess.Popen(
        [sys.executable, "-c", "from web.cli.main import main; raise SystemExit(main())", "codes"],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith(b"code,url")
    process.stdout.close()  # like `head -1`: the reader goes away mid-listing
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0
    assert b"Traceback" not in err


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_readme_first_command_serves_demo_data(tmp_path: Path) -> None:
    """`fairweigh serve --demo` in an empty directory: migrates, seeds, prints URLs that work."""
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_BASE_URL")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from web.cli.main import main; raise SystemExit(main())",
            "serve",
            "--demo",
            "--port",
            str(port),
        ],
        cwd=tmp_path,
        env={**environment, "PYTHONPATH": str(Path(__file__).parents[1])},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = ""
        deadline = time.monotonic() + 60
        while "Running on" not in output and time.monotonic() < deadline and process.poll() is None:
            output += process.stdout.readline()  # type: ignore[union-attr]
        assert "Running on" in output, output
        urls = re.findall(rf"(http://127\.0\.0\.1:{port}/i/\w+)\s+\((\w+)\)", output)
        assert {status for _, status in urls} >= {"valid", "expiring", "expired", "failed", "unverified", "suspended"}
        for url, status in urls:
            with urllib.request.urlopen(url) as response:
                assert response.status == 200, status
        assert (tmp_path / "fairweigh.db").exists()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index") as response:
            assert "鼓楼诚信计量示范街区" in response.read().decode()  # the demo's street, scored
        assert re.search(r"^  demo-admin / \S+", output, re.MULTILINE), output
        assert "Second factor (TOTP): optional for every demo account" in output  # a reviewer gets in
        # The printed demo handler can sign in and sees the queue.
        username, password = re.findall(r"^  (demo-handler) / (\S+)", output, re.MULTILINE)[0]
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with browser.open(f"http://127.0.0.1:{port}/login") as response:
            csrf = re.findall(r'name="csrf" value="([^"]+)"', response.read().decode())[0]
        form = urllib.parse.urlencode({"username": username, "password": password, "csrf": csrf}).encode()
        with browser.open(f"http://127.0.0.1:{port}/login", data=form) as response:
            assert response.url.endswith("/queue")
            assert "demo-handler" in response.read().decode()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
        process.stdout.close()  # type: ignore[union-attr]


def test_classify_reads_json_lines_and_evaluates(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    lines = [
        json.dumps({"id": "a", "text": "加了200块油，油表指针还在老地方，加油站不认账"}, ensure_ascii=False),
        "not json",
        json.dumps({"id": "c", "text": "鬼秤！一斤肉少了二两，要求退钱"}, ensure_ascii=False),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    status, out, _ = run(capsys, "classify")
    answers = [json.loads(line) for line in out.splitlines()]
    assert status == 1  # one line could not be read
    assert [a.get("id") for a in answers] == ["a", None, "c"]
    assert answers[0]["category"] == "fuel_dispenser"
    assert "error" in answers[1]
    assert answers[2]["intent"] == "complaint"
    assert {"intent", "category", "confidence"} <= set(answers[2])
    labelled = tmp_path / "labelled.jsonl"
    examples = [
        ("加油机少加了两升油，要求赔偿", "fuel_dispenser"),
        ("出租车计价器跳得飞快，多收我二十块", "taxi_meter"),
    ]
    labelled.write_text(
        "".join(
            json.dumps({"id": "x", "text": text, "intent": "complaint", "category": category}, ensure_ascii=False)
            + "\n"
            for text, category in examples
        ),
        encoding="utf-8",
    )
    status, out, _ = run(capsys, "classify", "--evaluate", str(labelled))
    assert status == 0
    assert "macro" in out.lower()
    assert run(capsys, "classify", "--evaluate", str(tmp_path / "none.jsonl"))[0] == 2


@pytest.mark.parametrize(
    "base_url", [None, "http://localhost:8080", "http://127.0.0.1:8080", "http://[::1]:8080", "http://0.0.0.0"]
)
def test_codes_and_labels_warn_of_urls_no_phone_can_open_and_refuse_them_in_production(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, base_url: str | None
) -> None:
    run(capsys, "import", "ledger", str(write_csv(tmp_path / "l.csv", [good_line(1)])))
    if base_url is None:
        monkeypatch.delenv("PUBLIC_BASE_URL")
    else:
        monkeypatch.setenv("PUBLIC_BASE_URL", base_url)
    status, out, err = run(capsys, "codes")
    assert status == 0
    assert "!!!" in err
    assert "PUBLIC_BASE_URL" in err
    assert "手机打不开" in err
    assert len(list(csv.DictReader(io.StringIO(out)))) == 1  # still printed outside production, with the warning
    out_file = tmp_path / "labels.pdf"
    assert run(capsys, "labels", "--out", str(out_file))[0] == 0
    monkeypatch.setenv("FAIRWEIGH_ENV", "production")
    for command in (["codes"], ["labels", "--out", str(tmp_path / "refused.pdf")]):
        status, out, err = run(capsys, *command)
        assert (status, out) == (2, "")
        assert "Refusing in production" in err
    assert not (tmp_path / "refused.pdf").exists()


def test_a_public_base_url_prints_codes_without_a_warning(
    env: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "import", "ledger", str(write_csv(tmp_path / "l.csv", [good_line(1)])))
    status, _, err = run(capsys, "codes")
    assert status == 0
    assert "PUBLIC_BASE_URL" not in err
