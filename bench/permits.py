#!/usr/bin/env python3
"""Writes COUNT invented permits for the demo ward, from row FIRST (default 0), as permits CSV
(data/README.md) on stdout. Usage: permits.py COUNT [FIRST]

Deterministic (no randomness): row i always gives the same permit, so runs compare.
Numbers carry a "B" prefix so they never collide with the demo ward's own permits.
"""
import csv
import sys

KINDS = ["repair", "renovation", "new_build"]
STATUSES = ["issued", "in_progress", "in_progress", "completed", "issued", "suspended"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Đặng", "Bùi"]
GIVEN = ["Văn An", "Thị Bích Ngọc", "Minh Tuấn", "Thị Hồng", "Quốc Bảo", "Thị Lan"]
STREETS = ["Ba Tơ", "Đường số 9", "Phạm Thế Hiển", "Âu Dương Lân", "Rạch Ông", "Dã Tượng"]
SCOPES = [
    "Thay mái tôn, chống thấm sân thượng, sơn nước toàn bộ nhà; không thay đổi kết cấu",
    "Cải tạo mặt tiền: thay cửa sắt bằng cửa cuốn, làm lại ô văng và lan can ban công",
    "Xây mới nhà ở riêng lẻ 3 tầng, mái bằng bê tông cốt thép",
]


def row(i):
    kind = KINDS[i % 3]
    status = STATUSES[i % len(STATUSES)]
    month = 1 + i % 12
    return [
        "phuong-7-quan-8",
        f"B{i + 1}/{'GPXD' if kind == 'new_build' else 'GPSC'}-UBND",
        kind,
        f"{1 + i % 500}/{1 + i % 97} {STREETS[i % len(STREETS)]}, Phường 7, Quận 8",
        f"{SURNAMES[i % len(SURNAMES)]} {GIVEN[i % len(GIVEN)]}",
        SCOPES[i % 3],
        1 + i % 5,
        f"{40 + i % 200}.5",
        f"{4 + i % 16}.2",
        "Công ty TNHH Xây dựng An Khang Phát",
        "UBND Phường 7, Quận 8",
        f"2026-{month:02d}-01",
        f"2026-{month:02d}-15",
        f"2027-{month:02d}-28",
        status,
        "Thi công sai giấy phép" if status == "suspended" else "",
    ]


def main():
    n = int(sys.argv[1])
    first = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(["ward", "number", "kind", "address", "owner_name", "scope", "floors",
                "area_m2", "height_m", "contractor", "office", "issued_on", "starts_on",
                "ends_on", "status", "status_reason"])
    for i in range(first, first + n):
        w.writerow(row(i))


if __name__ == "__main__":
    main()
