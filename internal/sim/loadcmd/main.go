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
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

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
	acked := fs.String("acked", "", "register: append the id of every registration the server acknowledged to `FILE`, a line each, as it is acknowledged (appended: runs against one server across restarts add up; use a new file for a new database)")
	checkAcked := fs.String("check-acked", "", "ask the server for every inspection id in `FILE` (as -acked wrote them) and say which are missing; exit 3 if any is. Nothing is registered")
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
	if *acked != "" && cfg.Op != sim.OpRegister {
		fmt.Fprintln(os.Stderr, "错误：-acked 只用于 -op register")
		return 2
	}
	cc, err := grpc.NewClient(*server, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintf(os.Stderr, "错误：服务器地址 %q 无效：%v\n", *server, err)
		return 2
	}
	defer cc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *checkAcked != "" {
		return checkAckedFile(ctx, cc, *token, *checkAcked, cfg.RPCTimeout, *jsonOut)
	}
	if *acked != "" {
		f, err := os.OpenFile(*acked, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "错误：打开 -acked 文件失败：%v\n", err)
			return 2
		}
		defer f.Close()
		cfg.Acked = f
	}
	if !*noProgress && sim.IsTerminal(os.Stderr) {
		cfg.Progress = sim.NewBar(os.Stderr)
	}
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

// checkAckedFile is -check-acked: 0 when every acknowledged registration
// is in the store, 3 when one is missing, 1 when the server could not say.
func checkAckedFile(ctx context.Context, cc grpc.ClientConnInterface, token, path string, timeout time.Duration, jsonOut bool) int {
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "错误：读取 -check-acked 文件失败：%v\n", err)
		return 2
	}
	defer f.Close()
	got, err := sim.CheckAcked(ctx, cc, token, f, timeout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "错误：核对到第 %d 条时中止：%v\n", got.Acked, err)
		return 1
	}
	if jsonOut {
		b, _ := json.MarshalIndent(got, "", "  ")
		fmt.Println(string(b))
	} else {
		fmt.Printf("已确认的报备 %d 条：在库 %d，缺失 %d\n", got.Acked, got.Found, len(got.Missing))
		for _, id := range got.Missing {
			fmt.Printf("  缺失 %s\n", id)
		}
	}
	if len(got.Missing) > 0 {
		return 3
	}
	return 0
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
