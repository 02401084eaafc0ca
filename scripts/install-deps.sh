#!/usr/bin/env bash
# Installs the Debian packages HybridSpike needs beyond the .NET 10 SDK. Idempotent; run as root
# (or through sudo). Packages:
#   dataset-fashion-mnist  full Fashion-MNIST as IDX under /usr/share/datasets/fashion-mnist
#   chromium               the browser serve's live page is tested in (/usr/bin/chromium, driven by PuppeteerSharp)
set -euo pipefail
packages=(dataset-fashion-mnist chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all present (${packages[*]})"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: installed ${missing[*]}"
