#!/bin/sh
# Debian packages: libharfbuzz-subset0 for WeasyPrint, and the tools the test suite uses as independent referees: xmlsec1 (a second XMLDSig
# implementation), poppler-utils (pdftotext, pdfdetach) and chromium (the browser that Playwright
# drives through the dashboard). Installed when we are root with apt; otherwise the tests that need
# them say so and skip (CI requires them).
set -eu
missing=""
command -v xmlsec1 >/dev/null 2>&1 || missing="$missing xmlsec1"
command -v pdftotext >/dev/null 2>&1 || missing="$missing poppler-utils"
[ -x /usr/bin/chromium ] || missing="$missing chromium"
# WeasyPrint subsets fonts with HarfBuzz when it can (smaller PDFs, no deprecation warning).
ldconfig -p 2>/dev/null | grep -q libharfbuzz-subset || missing="$missing libharfbuzz-subset0"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian packages:$missing"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
else
    echo "note: install$missing (Debian packages) to run every test; the tests that need them will skip"
fi
