#!/usr/bin/env bash
# Installs everything caserobot needs on a fresh Debian machine: Chromium (Debian's package,
# never a Playwright browser download), a virtualenv in .venv and the Python packages.
# Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }

# Two builds of the same Chromium from Debian: chromium-headless-shell (Chromium's old
# headless mode, what Playwright itself runs headless; the robots' default: about half the
# CPU and two thirds of the memory per case, docs/decisions.md) and chromium (a full
# browser, for headed runs and as the fallback).
if [ -z "${CASEROBOT_CHROMIUM:-}" ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromium-headless-shell ]; }; then
  log "Chromium not found: installing Debian's chromium and chromium-headless-shell packages"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-headless-shell >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  log "Creating virtualenv .venv"
  "$PY" -m venv .venv
fi

# The core and every case type in casetypes/ (each a distribution of its own, found by the
# core through its entry point), all editable.
stamp=.venv/.caserobot-installed
case_types=(casetypes/*/)
stale=0
for project in pyproject.toml "${case_types[@]/%/pyproject.toml}"; do
  if [ ! -f "$stamp" ] || [ "$project" -nt "$stamp" ]; then stale=1; fi
done
if [ "$stale" = 1 ]; then
  log "Installing Python packages (first time takes about a minute)"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[dev]' "${case_types[@]/#/-e}"
  touch "$stamp"
fi
