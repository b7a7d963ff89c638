#!/usr/bin/env bash
# Install the services the test suite starts by itself: Azurite (Azure Blob emulator) from npm,
# and Debian's chromium for the dashboard's browser tests (Playwright drives it; its own browser
# download is not used). moto's S3 server needs nothing here: it is a Python dev dependency.
# Idempotent; Azurite goes into the user's cache so every clone on a machine shares one copy.
# Override the place with PIXCRAWLER_NODE_PREFIX (tests/support/azurite.py reads the same variable).
set -euo pipefail

CHROMIUM="/usr/bin/chromium"  # tests/web/conftest.py launches this path

install_chromium() {
    if [[ -x "${CHROMIUM}" ]]; then
        echo "chromium: already installed ($("${CHROMIUM}" --version 2>/dev/null || echo "${CHROMIUM}"))"
        return 0
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "chromium not found and no apt-get: install a Chromium at ${CHROMIUM}" >&2
        return 1
    fi
    local sudo=""
    if [[ "$(id -u)" -ne 0 ]]; then sudo="sudo"; fi
    echo "chromium: installing with apt-get"
    ${sudo} apt-get update -qq
    DEBIAN_FRONTEND=noninteractive ${sudo} apt-get install -y -qq chromium
    echo "chromium: installed ($("${CHROMIUM}" --version))"
}

install_chromium

AZURITE_VERSION="3.35.0"
PREFIX="${PIXCRAWLER_NODE_PREFIX:-${HOME}/.cache/pixcrawler/node}"
BIN="${PREFIX}/node_modules/.bin/azurite-blob"
MANIFEST="${PREFIX}/node_modules/azurite/package.json"

installed_version() {
    [[ -f "${MANIFEST}" ]] || return 0
    sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "${MANIFEST}" | head -n 1
}

if [[ -x "${BIN}" && "$(installed_version)" == "${AZURITE_VERSION}" ]]; then
    echo "azurite ${AZURITE_VERSION}: already installed in ${PREFIX}"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: install Node.js (>= 18) and npm, then rerun $0" >&2
    exit 1
fi

echo "azurite ${AZURITE_VERSION}: installing into ${PREFIX} (npm $(npm --version))"
mkdir -p "${PREFIX}"
npm install --prefix "${PREFIX}" --no-audit --no-fund --loglevel=error \
    "azurite@${AZURITE_VERSION}"
echo "azurite $(installed_version): installed; binary ${BIN}"
