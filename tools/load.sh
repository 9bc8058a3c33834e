#!/usr/bin/env bash
# The load tool: drives a running server with N concurrent clients for
# register, scan or report and prints throughput and p50/p99/p99.9.
#   ./tools/load.sh -server 127.0.0.1:7400 -token-file ruqi-data/admin.token -op scan -clients 32 -duration 20s
# Its code is internal/sim/loadcmd: tools/ is its own Go module (tool pins),
# which cannot import the project's internal packages.
set -euo pipefail
cd "$(dirname "$0")/.."
# Built, then run, rather than `go run`: go run ends with exit code 1
# whatever the tool's, and -check-acked says "missing" with 3.
go build -o bin/load ./internal/sim/loadcmd
exec bin/load "$@"
