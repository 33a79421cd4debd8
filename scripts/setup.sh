#!/usr/bin/env bash
# Creates .venv and installs moodtune into it, idempotently: a second run with an
# unchanged pyproject.toml returns at once. `serve` installs what serving needs;
# `dev` adds training, the test tools and the Debian packages the tests use.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-serve}
venv=.venv
python=${PYTHON:-python3}

case "$profile" in
  # serve: what `make run`'s demo uses (Redis, and fluidsynth + a General MIDI soundfont for the demo's
  # generated sound). Best effort: without them the product still runs, uncached and lyrics-only.
  serve) extras="" ; apt_packages="redis-server fluidsynth fluid-soundfont-gm" ; apt_optional=1 ;;
  dev)   extras="[train,dev]" ; apt_packages="redis-server chromium fonts-nanum espeak-ng fluidsynth fluid-soundfont-gm sox libsox-fmt-base" ; apt_optional="" ;;
  *) echo "usage: $0 serve|dev" >&2; exit 2 ;;
esac

# Debian packages (sessions and CI run as root; elsewhere we ask for sudo).
missing=()
for pkg in $apt_packages; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! { $sudo apt-get update -qq \
         && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
    [ -n "$apt_optional" ] || { echo "setup: could not install ${missing[*]}" >&2; exit 1; }
    echo "setup: could not install ${missing[*]}: moodtune runs without them (uncached, demo without sound)" >&2
  fi
fi

if [ ! -x "$venv/bin/python" ]; then
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || { echo "setup: moodtune needs Python 3.11 or newer ($python is older)" >&2; exit 1; }
  echo "setup: creating $venv"
  "$python" -m venv "$venv"
fi

stamp="$venv/.installed-$profile-$(cat pyproject.toml | sha256sum | cut -c1-16)"
[ -f "$stamp" ] && exit 0

echo "setup: installing moodtune$extras into $venv (first time takes a few minutes)"
pip_install() {
  # This machine's pip configuration warns about absent local indexes on every package: hide that.
  "$venv/bin/python" -m pip install -q "$@" 2> >(grep -v '^WARNING: Location' >&2)
}
pip_install --upgrade pip
pip_install -e ".$extras"
checks="import services.cli, moodtune.v1.classifier_pb2, onnxruntime, tokenizers"
[ "$profile" = dev ] && checks="$checks, torch, transformers, grpc_tools, pytest"
"$venv/bin/python" -c "$checks" || { echo "setup: the install did not complete" >&2; exit 1; }
rm -f "$venv"/.installed-"$profile"-*
touch "$stamp"
# A dev install also satisfies serve.
[ "$profile" = dev ] && touch "$venv/.installed-serve-$(cat pyproject.toml | sha256sum | cut -c1-16)"
echo "setup: done"
