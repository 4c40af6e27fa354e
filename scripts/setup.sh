#!/usr/bin/env bash
# Sets up everything the product and its checks need on a fresh machine: Debian packages
# listed in scripts/debian-packages.txt, a virtual environment in .venv with the pinned
# Python packages, and the project itself installed in editable mode.
# Safe to run repeatedly: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=.venv

# Debian packages (only those not yet installed; needs root or sudo).
mapfile -t wanted < <(grep -vE '^\s*(#|$)' scripts/debian-packages.txt || true)
missing=()
for pkg in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # Packages such as orthanc start a service when installed, listening on every interface: the tests start
  # their own, shut in a network namespace, so no service may start here (policy-rc.d answers "not now").
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod +x "$policy"
    trap '$SUDO rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Python environment, reinstalled only when the lock files or pyproject.toml change.
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
stamp="$VENV/.installed"
digest=$(cat requirements/*.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
  echo "setup: installing Python packages"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements/dev.txt
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
  echo "$digest" >"$stamp"
fi
