#!/usr/bin/env bash
# Runs one model three ways and compares the reports (docs/cluster.md, "Measured"): in one process, on a 3-node loopback
# cluster (this coordinator and two `hybridspike node`s), and on that cluster with one node killed (SIGKILL, by its pid)
# once the mesh is running. Usage: scripts/recovery-check.sh MODEL [OUT_DIR] (extra simulate options in SIMULATE_ARGS).
# Ends only the processes it started. Needs jq and bc (Debian: apt-get install jq bc).
set -euo pipefail
model=${1:?usage: scripts/recovery-check.sh MODEL [OUT_DIR]}
out=${2:-$(mktemp -d /tmp/hs-recovery-XXXX)}
hs=${HYBRIDSPIKE:-dotnet $(dirname "$0")/../HybridSpike.Host/bin/Release/net10.0/hybridspike.dll}
args="simulate --model $model ${SIMULATE_ARGS:---exponent row --samples 100 --streams 25} --json"
mkdir -p "$out"
for n in a:4071 b:4072 self:4073; do
  printf 'akka.remote.dot-netty.tcp.port = %s\nakka.cluster.seed-nodes = ["akka.tcp://hybridspike@127.0.0.1:4071"]\n' "${n##*:}" > "$out/${n%%:*}.hocon"
done
started=()
cleanup() { for p in "${started[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
seconds() { local t0=$(date +%s.%N); "$@"; echo "$(date +%s.%N) - $t0" | bc; }
echo "one process: $(seconds sh -c "$hs $args > $out/local.json 2> $out/local.err") s"
$hs node --config "$out/a.hocon" 2> "$out/a.err" & a=$!; started+=("$a")
$hs node --config "$out/b.hocon" 2> "$out/b.err" & b=$!; started+=("$b")
for i in $(seq 1 60); do grep -q '^joined:' "$out/a.err" "$out/b.err" 2>/dev/null && [ "$(grep -l '^joined:' "$out/a.err" "$out/b.err" | wc -l)" = 2 ] && break; sleep 1; done
cluster="--cluster $out/self.hocon --nodes 3 --assign round-robin"
echo "three nodes: $(seconds sh -c "$hs $args $cluster > $out/cluster.json 2> $out/cluster.err") s"
t0=$(date +%s.%N)
$hs $args $cluster > "$out/kill.json" 2> "$out/kill.err" & run=$!
for i in $(seq 1 600); do grep -q '^mesh: [1-9]' "$out/kill.err" 2>/dev/null && break; sleep 0.5; done
date +%s.%N > "$out/kill.time"; kill -KILL "$b"
wait "$run"
echo "three nodes, one killed: $(echo "$(date +%s.%N) - $t0" | bc) s (killed at $(cat "$out/kill.time"))"
grep '^recovered' "$out/kill.err" || { echo "no recovery reported" >&2; exit 1; }
for f in cluster kill; do
  for field in meshAccuracy spikes packets synapticEvents coreTable perSample; do
    jq -e --slurpfile x "$out/local.json" ".${field} == \$x[0].${field}" "$out/$f.json" > /dev/null \
      || { echo "$f: $field differs from the one-process run" >&2; exit 1; }
  done
done
echo "equal: every report field checked (accuracy, spikes, packets, synaptic events, core table, per sample) in $out"
