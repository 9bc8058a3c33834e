package redis

// Benchmarks of one decision through Redis, and of the round trip it cannot
// beat.
//
//	go test -run '^$' -bench . -benchtime 3s ./internal/coord/redis/
//
// To compare with Redis's own client on the same machine, start a server
// (redis-server --port 6390 --save "" --appendonly no) and run:
//
//	redis-cli -p 6390 script load "return 1"    # prints the sha
//	redis-benchmark -p 6390 -n 100000 -c 1 evalsha <sha> 0
//	redis-benchmark -p 6390 -n 100000 -c 1 ping
//
// -c 1 is one connection with one request in flight, as these benchmarks
// are (sequential, no -cpu parallelism): 1e9 / its requests per second is
// the floor BenchmarkEvalshaNoop measures through go-redis, in ns/op.
// Without -c (50 connections) redis-benchmark measures Redis's throughput
// instead, a different figure.
//
// BenchmarkDecide reports redis-ns/op too: the time Redis itself spent in
// the scripts per decision (from INFO commandstats), which is what bounds
// the decisions one Redis makes per second. The rest of its ns/op is the
// round trip and the Go side (the policy's counters, encoding, decoding).
// The script reads every open plan of the enterprise, so its time grows
// with their number, by about 1.5µs per open plan.

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/coordtest"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
)

// BenchmarkDecide: one accepted decision per op (windows never overlap, no
// caps), each enterprise holding at most perEnterprise open plans before the
// next one starts (its first decision seeds it from an empty store).
func BenchmarkDecide(b *testing.B) {
	const perEnterprise = 8
	srv := redistest.Start(b)
	c, err := Dial(srv.Addr(), func(ctx context.Context, uscc string, _ bool) (coord.Seed, error) { return coord.Seed{}, nil })
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	pol := coord.Policy{Zone: coordtest.Beijing, WarnVisitsPerDay: ptr(100)}
	now := time.Now()
	base := now.Add(24 * time.Hour).Truncate(time.Hour)
	run := fmt.Sprintf("%d", now.UnixNano()%1e6)
	if err := c.client.ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	ops := 0
	for i := 0; b.Loop(); i++ {
		ops++
		ent, n := i/perEnterprise, i%perEnterprise
		start := base.Add(time.Duration(n) * time.Hour)
		p := coord.Plan{
			InspectionID: fmt.Sprintf("INS-B-%d", i),
			AgencyID:     fmt.Sprintf("AG-%d", n%7),
			USCC:         fmt.Sprintf("9151B%s%07d", run, ent),
			Start:        start, End: start.Add(time.Hour), Grade: "B",
		}
		d, err := c.Decide(ctx, p, pol, now)
		if err != nil || d.Outcome != coord.Accepted {
			b.Fatalf("%+v %v", d, err)
		}
	}
	// Redis's own time in the scripts (seeding included), of the ns/op.
	b.ReportMetric(scriptMicros(b, c.client)*1000/float64(ops), "redis-ns/op")
}

// scriptMicros is the time Redis spent in EVAL and EVALSHA since the last
// CONFIG RESETSTAT, in microseconds.
func scriptMicros(b *testing.B, client goredis.UniversalClient) float64 {
	info, err := client.Info(ctx, "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	total := 0.0
	for _, line := range strings.Split(info, "\n") {
		if !strings.HasPrefix(line, "cmdstat_eval:") && !strings.HasPrefix(line, "cmdstat_evalsha:") {
			continue
		}
		for _, kv := range strings.Split(strings.TrimSpace(line[strings.Index(line, ":")+1:]), ",") {
			if v, ok := strings.CutPrefix(kv, "usec="); ok {
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					b.Fatalf("commandstats %q: %v", line, err)
				}
				total += n
			}
		}
	}
	return total
}

// BenchmarkEvalshaNoop: EVALSHA of "return 1" through the same client, the
// floor of any script call.
func BenchmarkEvalshaNoop(b *testing.B) {
	srv := redistest.Start(b)
	c, err := Dial(srv.Addr(), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	noop := goredis.NewScript("return 1")
	if err := noop.Load(ctx, c.client).Err(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := noop.Run(ctx, c.client, nil).Err(); err != nil {
			b.Fatal(err)
		}
	}
}
