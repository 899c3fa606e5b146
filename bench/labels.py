"""Time rendering a sheet of 1,000 QR labels: `python bench/labels.py [count]`."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qr.codes import new_code
from qr.labels import LABELS_PER_PAGE, Label, render_label_sheet


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    labels = []
    for number in range(count):
        code = new_code()
        labels.append(
            Label(
                url=f"https://fairweigh.example.cn/i/{code}",
                code=code,
                kind_name="电子计价秤",
                serial_no=f"JJ-2024-{number:06d}",
                merchant="张记水产",
                stall=f"东门农贸市场 B区 {number % 120 + 1}号",
            )
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "labels.pdf"
        started = time.perf_counter()
        with path.open("wb") as out:
            written = render_label_sheet(labels, out)
        seconds = time.perf_counter() - started
        size = path.stat().st_size
    pages = -(-written // LABELS_PER_PAGE)
    print(f"{written} labels, {pages} pages in {seconds:.2f} s")
    print(f"{written / seconds:.0f} labels/s, {size / 1024:.0f} KiB ({size / written:.0f} bytes/label)")


if __name__ == "__main__":
    main()
