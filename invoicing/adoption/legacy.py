"""Pre-2025 province codes (63 provinces) mapped to the current 34 (decision 12).

Source: Resolution 202/2025/QH15 of the National Assembly (12 June 2025) on the arrangement of
provincial administrative units, effective 1 July 2025, with the statistics office's codes of the
merged provinces (Decision 19/2025/QĐ-TTg): a merged province takes the code of the province whose
seat it keeps. Cross-checked against the conversion table of vietnam-provinces
(``_province_conversion_2025.py``, repository sunshine-tech/VietnamProvinces), which the installed
PyPI release (2025.10.1) does not ship.

Every current code maps to itself, so a code that is current is read as current. One consequence:
old 82 (Tiền Giang) went mostly to 82 (Đồng Tháp) but a few of its communes to 80 (Tây Ninh);
without ward data it is counted for 82.

Ward codes cannot be mapped this way: the 2025 reform merged some 10,000 communes into 3,321 and
the conversion needs the ward table, which the installed package lacks. A row with a legacy
province is counted for its current province with no ward, and the import says so.
"""

from __future__ import annotations

# old code: (old name, current code)
LEGACY_PROVINCES: dict[str, tuple[str, str]] = {
    "01": ("Hà Nội", "01"),
    "02": ("Hà Giang", "08"),
    "04": ("Cao Bằng", "04"),
    "06": ("Bắc Kạn", "19"),
    "08": ("Tuyên Quang", "08"),
    "10": ("Lào Cai", "15"),
    "11": ("Điện Biên", "11"),
    "12": ("Lai Châu", "12"),
    "14": ("Sơn La", "14"),
    "15": ("Yên Bái", "15"),
    "17": ("Hòa Bình", "25"),
    "19": ("Thái Nguyên", "19"),
    "20": ("Lạng Sơn", "20"),
    "22": ("Quảng Ninh", "22"),
    "24": ("Bắc Giang", "24"),
    "25": ("Phú Thọ", "25"),
    "26": ("Vĩnh Phúc", "25"),
    "27": ("Bắc Ninh", "24"),
    "30": ("Hải Dương", "31"),
    "31": ("Hải Phòng", "31"),
    "33": ("Hưng Yên", "33"),
    "34": ("Thái Bình", "33"),
    "35": ("Hà Nam", "37"),
    "36": ("Nam Định", "37"),
    "37": ("Ninh Bình", "37"),
    "38": ("Thanh Hóa", "38"),
    "40": ("Nghệ An", "40"),
    "42": ("Hà Tĩnh", "42"),
    "44": ("Quảng Bình", "44"),
    "45": ("Quảng Trị", "44"),
    "46": ("Thừa Thiên Huế", "46"),
    "48": ("Đà Nẵng", "48"),
    "49": ("Quảng Nam", "48"),
    "51": ("Quảng Ngãi", "51"),
    "52": ("Bình Định", "52"),
    "54": ("Phú Yên", "66"),
    "56": ("Khánh Hòa", "56"),
    "58": ("Ninh Thuận", "56"),
    "60": ("Bình Thuận", "68"),
    "62": ("Kon Tum", "51"),
    "64": ("Gia Lai", "52"),
    "66": ("Đắk Lắk", "66"),
    "67": ("Đắk Nông", "68"),
    "68": ("Lâm Đồng", "68"),
    "70": ("Bình Phước", "75"),
    "72": ("Tây Ninh", "80"),
    "74": ("Bình Dương", "79"),
    "75": ("Đồng Nai", "75"),
    "77": ("Bà Rịa - Vũng Tàu", "79"),
    "79": ("Hồ Chí Minh", "79"),
    "80": ("Long An", "80"),
    "82": ("Tiền Giang", "82"),
    "83": ("Bến Tre", "86"),
    "84": ("Trà Vinh", "86"),
    "86": ("Vĩnh Long", "86"),
    "87": ("Đồng Tháp", "82"),
    "89": ("An Giang", "91"),
    "91": ("Kiên Giang", "91"),
    "92": ("Cần Thơ", "92"),
    "93": ("Hậu Giang", "92"),
    "94": ("Sóc Trăng", "92"),
    "95": ("Bạc Liêu", "96"),
    "96": ("Cà Mau", "96"),
}


def current_province_for_legacy(code: str) -> str | None:
    """The current province a pre-2025 code was merged into, or None for an unknown code."""
    entry = LEGACY_PROVINCES.get(code)
    return entry[1] if entry is not None else None


def legacy_name(code: str) -> str | None:
    entry = LEGACY_PROVINCES.get(code)
    return entry[0] if entry is not None else None
