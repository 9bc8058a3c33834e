// Command loadcmd is the load tool: it drives a running ruqi server with N
// concurrent clients for one operation and prints throughput and latency
// percentiles (p50, p90, p99, p99.9).
//
//	go run ./internal/sim/loadcmd -server 127.0.0.1:7400 -token-file ruqi-data/admin.token -op scan -clients 32 -duration 20s
//
// It lives here and not in tools/ because tools/ is its own module (tool
// pins, tools/go.mod) and so outside the main module.
//
// It prepares what it needs with the administrator's token: it imports the
// sample directory if the server does not have it, issues tokens, and for
// -op scan registers -codes inspections whose codes are then scanned round
// robin. -op register registers 个案 inspections, which no frequency cap
// refuses, one enterprise after the other. There is no -op report: the
// server has no report RPC yet.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/ruqi/ruqi/internal/sim"
)

func main() {
	os.Exit(run())
}

func run() int {
	cfg := sim.DefaultLoadConfig()
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	server := fs.String("server", envOr("RUQI_SERVER", "127.0.0.1:7400"), "gRPC address of the server (RUQI_SERVER)")
	token := fs.String("token", os.Getenv("RUQI_TOKEN"), "administrator token (RUQI_TOKEN)")
	tokenFile := fs.String("token-file", os.Getenv("RUQI_TOKEN_FILE"), "file holding the administrator token, e.g. ruqi-data/admin.token (RUQI_TOKEN_FILE)")
	jsonOut := fs.Bool("json", false, "print the report as JSON")
	noProgress := fs.Bool("no-progress", false, "no progress bar on stderr")
	fs.StringVar(&cfg.Op, "op", cfg.Op, "operation: register, scan or report")
	fs.IntVar(&cfg.Clients, "clients", cfg.Clients, "concurrent clients")
	fs.DurationVar(&cfg.Duration, "duration", cfg.Duration, "how long to run (0: until -n requests)")
	fs.Int64Var(&cfg.N, "n", 0, "number of requests (0: until -duration)")
	fs.IntVar(&cfg.Codes, "codes", cfg.Codes, "scan: inspections registered beforehand, one per enterprise, whose codes are scanned round robin")
	fs.IntVar(&cfg.Enterprises, "enterprises", cfg.Enterprises, "enterprises of the sample directory imported if missing")
	fs.IntVar(&cfg.Officers, "officers", cfg.Officers, "officers of the sample directory")
	fs.IntVar(&cfg.Agencies, "agencies", cfg.Agencies, "agencies of the sample directory")
	fs.Int64Var(&cfg.Seed, "seed", cfg.Seed, "seed of the sample directory")
	fs.DurationVar(&cfg.RPCTimeout, "timeout", cfg.RPCTimeout, "timeout of each call")
	fs.StringVar(&cfg.MetricsURL, "metrics", "", "scan: the server's /metrics URL, e.g. http://127.0.0.1:7481/metrics (the server's -metrics-addr): its CPU time over the run is printed against Ed25519's per CPU-second")
	fs.DurationVar(&cfg.Ed25519, "ed25519", cfg.Ed25519, "scan: how long raw Ed25519 verification is measured before and after the run, the limit printed beside the scan rate (0: not measured)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return 2
	}
	if *tokenFile != "" && *token == "" {
		b, err := os.ReadFile(*tokenFile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "错误：读取令牌文件失败：%v\n", err)
			return 2
		}
		*token = strings.TrimSpace(string(b))
	}
	if *token == "" {
		fmt.Fprintln(os.Stderr, "错误：需要管理员令牌：-token 或 -token-file（如 ruqi-data/admin.token）")
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "错误：%v\n", err)
		return 2
	}
	cc, err := grpc.NewClient(*server, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "错误：服务器地址 %q 无效：%v\n", *server, err)
		return 2
	}
	defer cc.Close()
	if !*noProgress && sim.IsTerminal(os.Stderr) {
		cfg.Progress = sim.NewBar(os.Stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rep, err := sim.Load(ctx, cc, *token, cfg)
	if rep != nil {
		if *jsonOut {
			_ = rep.WriteJSON(os.Stdout)
		} else {
			_ = rep.WriteTable(os.Stdout)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "错误：%v\n", err)
		return 1
	}
	return 0
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
