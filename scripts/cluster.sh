#!/usr/bin/env bash
# A local cluster of `hybridspike node` processes on 127.0.0.1 (docs/cluster.md, "Starting a local cluster"):
#   scripts/cluster.sh up N [--dir DIR] [--base-port P] [--join-timeout S] [--json]
#   scripts/cluster.sh status [--dir DIR] [--json]
#   scripts/cluster.sh down [--dir DIR] [--timeout S] [--json]
# A thin wrapper over `hybridspike cluster ...`: the Release build if there is one (then nothing is rebuilt while a
# cluster runs from it), otherwise `dotnet run`, which builds first. The nodes run the same build as the command.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  up|status|down) ;;
  *) echo "usage: scripts/cluster.sh up N|status|down [options] (see: hybridspike cluster --help)" >&2; exit 1 ;;
esac
if [ -f "$root/HybridSpike.Host/bin/Release/net10.0/hybridspike.dll" ]; then
  exec dotnet run --project "$root/HybridSpike.Host" -c Release --no-build -- cluster "$@"
fi
exec dotnet run --project "$root/HybridSpike.Host" -- cluster "$@"
