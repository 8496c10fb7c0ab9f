#!/usr/bin/env bash
# The test command. Installs the Debian packages the tests need when they are missing (chromium for the
# browser tests, python3-onnx for the independent ONNX checker, postgresql for the database tests, fonts-dejavu-core
# for the printed letters of the non-digit test set), or,
# without the rights to, stops with the command that does; then runs the whole suite:
#   dotnet test MnistService.sln -c Release
# A first argument naming a test project (tests/MnistService.Core.Tests) runs that project alone;
# every other argument goes to dotnet test (--filter ..., --logger trx ...).
set -euo pipefail
cd "$(dirname "$0")"

target=MnistService.sln
if [ $# -gt 0 ] && [[ "$1" != -* ]]; then
  target=$1
  shift
fi

# What each test component looks for first; a package is needed only when that is not there either.
need=()
if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
if ! /usr/bin/python3 -c 'import onnx' >/dev/null 2>&1; then need+=(python3-onnx); fi
if [ -z "${MNIST_TEST_POSTGRES:-}" ] && ! compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null; then need+=(postgresql); fi
if ! compgen -G '/usr/share/fonts/truetype/dejavu/*.ttf' >/dev/null; then need+=(fonts-dejavu-core); fi

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo=(sudo)
  else
    echo "test.sh: the tests need Debian packages that are not installed: ${need[*]}. Install them with" >&2
    echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${need[*]}" >&2
    echo "then run ./test.sh again." >&2
    exit 2
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: the tests need Debian's ${need[*]} (or CHROMIUM_PATH, MNIST_TEST_POSTGRES; see README.md), and there is no apt-get here." >&2
    exit 2
  fi
  echo "test.sh: installing ${need[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

exec dotnet test "$target" -c Release "$@"
