#!/usr/bin/env bash
# Installs everything imu-app needs into ./.venv: the system packages it needs (as root, with apt-get), then
# the Python packages. Safe to run again; it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-}
if [ -z "$python" ]; then
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then python=$candidate; break; fi
  done
fi
[ -n "$python" ] || { echo "setup: Python 3.11 or newer is needed (none found on PATH)" >&2; exit 1; }
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "setup: $python is $("$python" --version 2>&1); imu-app needs Python 3.11 or newer" >&2; exit 1; }

apt_install() {
  # System packages, only where they are missing and apt-get can be used.
  local missing=()
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "setup: installing system packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install these system packages: ${missing[*]}" >&2
  fi
}

# A Debian Python without ensurepip cannot make a virtual environment until python3-venv is there.
if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
  apt_install python3-venv
fi

# What Qt (the desktop app) loads on Linux: OpenGL/EGL, fonts, keyboard maps, D-Bus, GLib, the X11 (xcb)
# platform plugin, and PulseAudio for the sound cues. A desktop has them; a bare server or container may not.
if [ "$(uname -s)" = Linux ] && command -v dpkg >/dev/null 2>&1; then
  apt_install libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3 \
    libglib2.0-0 libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-randr0 \
    libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libpulse0
fi

# The real-stack Bluetooth test tier (tests/test_ble_stack.py, scripts/ble_stack_vm.sh) boots a stock Debian
# kernel in QEMU with BlueZ; without these packages (not root, not Debian) that tier skips, saying so.
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt_install qemu-system-x86 bluez dbus busybox-static kmod
else
  echo "setup: not root: the real-stack Bluetooth tests will skip (they need qemu-system-x86 bluez dbus busybox-static kmod)"
fi

if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
echo "setup: ready (.venv/bin/imu-app)"
