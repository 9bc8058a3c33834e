package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/ruqi/ruqi/internal/sample"
	"github.com/ruqi/ruqi/internal/sim"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// simulateCommand is `ruqi simulate`: the logic is in internal/sim; this only
// reads flags, connects and prints.
func (a *app) simulateCommand() *cobra.Command {
	cfg := sim.DefaultConfig()
	var (
		noProgress bool
		writeDir   string
	)
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "模拟一个地区一段时期的检查：报备、联合检查、扫码、拒绝、结果与评价（样例数据）",
		Long: `按给定规模生成样例名录（虚构数据）并分批导入服务器，然后模拟一个时期：各执法部门报备
日常、双随机、专项和个案检查，执法人员领取入企码，企业扫码核验，执法人员记录结果并办结，
企业评价。需要管理员令牌（--token 或 --token-file）：导入名录，并只为用到的执法人员和企业
签发令牌。

计划中有意安排：一部分计划与其他部门对同一企业的计划时段重叠（服务器应合并为联合检查，
综合查一次）；少量同一部门的重复报备（应被拒绝：AlreadyExists）；少量超出频次上限的计划
（信用 A 级企业的主动检查、同一部门一年内第三次检查：ResourceExhausted）；一部分入企码被
篡改一个字符后出示，或先出示给错误的企业，企业核验未通过后拒绝检查。同一 --seed 得到同一
组计划；并发只改变先后次序。

关于时间：服务器时钟是真实的，所以“一段时期”模拟的是它的检查量，而不是日期。所有检查都
发生在现在：同一企业先后几次检查被压缩为相邻、互不重叠的几秒钟时段（从当前时刻之后开始，
不回溯），有意重叠的计划共用同一时段，入企码随即扫描。年度上限照常生效；日、周、月频次预警
按真实日历计算，同一企业当天的第二次检查即触发预警；同一执法人员几十秒后又在另一企业签到，
短于一次入企的时长（默认30分钟），也会触发“同一人员同时段在两家企业签到”预警。在同一服务器上重复运行时，今年已有的
检查次数会累积，超限被拒会多于预期。同一企业的各次检查依次进行，检查次数远多于企业数时
模拟会变慢。

记录结果（RecordResult）和评价（EvaluateInspection）如果服务器尚未提供（Unimplemented），
计为“服务器尚未提供”，模拟继续。

进度条显示在标准错误（终端时）；结束时输出汇总，-o json 输出 JSON。

--write-directory FILE.ndjson 只把这一规模的样例名录写为 NDJSON（每行一条记录）后退出，不连接
服务器：大名录可用 ruqi admin import FILE.ndjson 分批导入（带进度、可续传），再以 --skip-import 模拟。`,
		Example: `  ruqi --token-file ruqi-data/admin.token simulate
  ruqi --token-file ruqi-data/admin.token simulate --enterprises 50000 --officers 2000 --agencies 60 --inspections 20000 --concurrency 16
  ruqi --token-file ruqi-data/admin.token -o json simulate --seed 7 --skip-import
  ruqi simulate --enterprises 1000000 --officers 20000 --agencies 200 --write-directory province.ndjson`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := cfg.Validate(); err != nil {
				return usagef("%v", err)
			}
			if writeDir != "" {
				dir, enterprises, err := writeSampleDirectory(writeDir, cfg)
				if err != nil {
					return err
				}
				// Said, not silent (a newcomer's trial, 2026-12-06): what
				// was written and what to do with it.
				fmt.Fprintf(a.stderr, "已写出样例名录 %s：%d 个部门、%d 名执法人员、%d 家企业。导入：ruqi admin import %s\n",
					writeDir, len(dir.GetAgencies()), len(dir.GetOfficers()), enterprises, writeDir)
				return nil
			}
			tok, err := a.resolveToken()
			if err != nil {
				return err
			}
			if tok == "" {
				return usagef("模拟需要管理员令牌：请用 --token、--token-file 或 %s 提供", envToken)
			}
			creds, err := a.transportCredentials()
			if err != nil {
				return err
			}
			opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
			if a.dialer != nil {
				opts = append(opts, grpc.WithContextDialer(a.dialer))
			}
			// No per-connection token: each call carries the token of the
			// officer or enterprise it is made for (over TLS with --tls-ca).
			if err := checkServerAddr(a.server); err != nil {
				return err
			}
			cc, err := grpc.NewClient(a.server, opts...)
			if err != nil {
				return usagef("服务器地址 %q 无效：%v", a.server, err)
			}
			defer cc.Close()

			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
			defer stop()
			cfg.RPCTimeout = a.timeout
			if !noProgress && sim.IsTerminal(a.stderr) {
				cfg.Progress = sim.NewBar(a.stderr)
			}
			sum, runErr := sim.Run(ctx, cc, tok, cfg)
			if sum != nil {
				var perr error
				if a.output == "json" {
					perr = sum.WriteJSON(a.stdout)
				} else {
					perr = sum.WriteTable(a.stdout)
				}
				if perr != nil && runErr == nil {
					runErr = perr
				}
			}
			if runErr == nil && a.output != "json" {
				// The 司法局's view of what was simulated: the report the
				// server builds from its own counters, not the simulator's.
				rctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
				rctx, cancel := context.WithTimeout(rctx, a.timeout)
				defer cancel()
				rep, err := ruqiv1.NewReportServiceClient(cc).GetFrequencyReport(rctx, &ruqiv1.GetFrequencyReportRequest{GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY})
				if err != nil {
					fmt.Fprintf(a.stderr, "（未能取得司法局报表：%v）\n", err)
				} else {
					fmt.Fprintln(a.stdout, "\n司法局报表（服务器按计数器生成）：")
					printReport(a.stdout, rep)
				}
			}
			if runErr == nil && sum != nil && len(sum.Errors) > 0 {
				// Refusals (duplicates, caps) are outcomes; these are calls
				// that failed: a run whose registrations all failed must
				// not pass for a good one in a script (an operator's
				// trial, 2026-12-05).
				n := 0
				for _, c := range sum.Errors {
					n += c
				}
				runErr = fmt.Errorf("模拟中有 %d 次调用出错（按错误码见上方汇总）", n)
			}
			return runErr
		},
	}
	f := cmd.Flags()
	f.IntVar(&cfg.Enterprises, "enterprises", cfg.Enterprises, "名录中的企业数 `N`")
	f.IntVar(&cfg.Officers, "officers", cfg.Officers, "名录中的执法人员数 `N`（每个部门至少 4 名）")
	f.IntVar(&cfg.Agencies, "agencies", cfg.Agencies, "名录中的执法部门数 `N`（至少 9 个）")
	f.StringVar(&cfg.Region, "region", cfg.Region, "样例名录的行政区划代码 `CODE`")
	f.Int64Var(&cfg.Seed, "seed", cfg.Seed, "随机种子 `SEED`：名录和计划都由它决定")
	f.IntVar(&cfg.Inspections, "inspections", cfg.Inspections, "模拟期内的报备次数 `N`（含有意重复和超限的）")
	f.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "同时办理的企业数 `C`")
	f.Float64Var(&cfg.Shares.Overlap, "overlap-share", cfg.Shares.Overlap, "与其他部门计划重叠（应合并为联合检查）的报备比例 `X`")
	f.Float64Var(&cfg.Shares.Duplicate, "duplicate-share", cfg.Shares.Duplicate, "同一部门重复报备的比例 `X`")
	f.Float64Var(&cfg.Shares.Cap, "cap-share", cfg.Shares.Cap, "有意超出频次上限的报备比例 `X`")
	f.Float64Var(&cfg.Shares.Tampered, "tampered-share", cfg.Shares.Tampered, "出示被篡改入企码的比例 `X`")
	f.Float64Var(&cfg.Shares.WrongEnterprise, "wrong-enterprise-share", cfg.Shares.WrongEnterprise, "先向错误企业出示入企码的比例 `X`")
	f.Float64Var(&cfg.Shares.Evaluate, "evaluate-share", cfg.Shares.Evaluate, "办结后企业评价的比例 `X`")
	f.BoolVar(&cfg.SkipImport, "skip-import", false, "不导入名录（服务器上已有同样规模和种子的名录）")
	f.BoolVar(&noProgress, "no-progress", false, "不显示进度条")
	f.StringVar(&writeDir, "write-directory", "", "只把样例名录写为 NDJSON 后退出（供 ruqi admin import 分批导入），写入文件 `FILE`")
	return cmd
}

// writeSampleDirectory writes the sample directory of cfg's size as NDJSON,
// its enterprises generated a range at a time.
func writeSampleDirectory(path string, cfg sim.Config) (*ruqiv1.Directory, int, error) {
	so := sample.Options{Seed: cfg.Seed, Agencies: cfg.Agencies, Officers: cfg.Officers, Enterprises: cfg.Enterprises, RegionCode: cfg.Region}
	f, err := os.Create(path)
	if err != nil {
		return nil, 0, fmt.Errorf("写名录文件失败：%w", err)
	}
	dir, n := sample.DirectoryWithoutEnterprises(so), sample.Enterprises(so)
	err = sample.WriteNDJSON(f, dir)
	for lo := 0; err == nil && lo < n; lo += 10000 {
		err = sample.WriteNDJSON(f, &ruqiv1.Directory{Enterprises: sample.EnterpriseRange(so, lo, lo+10000)})
	}
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("写名录文件失败：%w", err)
	}
	if err := f.Close(); err != nil {
		return nil, 0, fmt.Errorf("写名录文件失败：%w", err)
	}
	return dir, n, nil
}
