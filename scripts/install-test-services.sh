#!/usr/bin/env bash
# Install the services the test suite starts by itself: Azurite (Azure Blob emulator) from npm.
# moto's S3 server needs nothing here: it is a Python dev dependency in the venv.
# Idempotent; installs into the user's cache so every clone on a machine shares one copy.
# Override the place with PIXCRAWLER_NODE_PREFIX (tests/support/azurite.py reads the same variable).
set -euo pipefail

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
