package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/draw"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// 双随机 draws from the command line: the agency commits and reveals, anyone
// shows and verifies (internal/draw).

func (a *app) drawCommand() *cobra.Command {
	cmd := groupCommand("draw", "双随机抽取：先承诺名单、再由日志产生随机数，任何人可重算核验")
	cmd.AddCommand(a.drawCommitCommand(), a.drawRevealCommand(), a.drawShowCommand(), a.drawListCommand(), a.drawVerifyCommand())
	return cmd
}

// readIDList reads identifiers one a line (or separated by commas or
// spaces); lines starting with # are comments. A byte order mark at the
// start is dropped, as Notepad and Excel write UTF-8: it became part of the
// first USCC, refused as 含有不允许的字符 although it looked right (a trial
// of bad input, 2026-12-07).
func readIDList(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if n == 1 {
			text = strings.TrimPrefix(text, "\ufeff")
		}
		if !utf8.ValidString(text) {
			return nil, fmt.Errorf("第 %d 行不是 UTF-8 编码的文字（常见于以 GBK 或 UTF-16 保存的文件）：请另存为 UTF-8 后重试", n)
		}
		line := strings.TrimSpace(text)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })...)
	}
	if errors.Is(sc.Err(), bufio.ErrTooLong) {
		return nil, errors.New("有一行超过 1 MiB：名单应每行一个编号（或以逗号、空格分隔），文件是否选错了？")
	}
	return out, sc.Err()
}

func readIDFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("读取名单文件失败：%w", err)
	}
	defer f.Close()
	ids, err := readIDList(f)
	if err != nil {
		return nil, fmt.Errorf("名单文件 %s：%w", path, err)
	}
	return ids, nil
}

func (a *app) drawCommitCommand() *cobra.Command {
	var title, agency, entFile, offFile, region, industry, requestID string
	var entCount, offCount int
	var quiet bool
	cmd := &cobra.Command{
		Use:   "commit",
		Short: "承诺一次双随机抽取：公布抽取名单、数量和程序，随机数此后才产生",
		Long: `承诺一次双随机抽取。服务器把名单排序去重、核对名录后，把名单、数量和抽取程序（ruqi-draw-v1）
的哈希写入默克尔日志。随机数是第一个包含这条承诺的签名检查点的根哈希，承诺时尚不存在，
部门无法挑选。几秒后用 ruqi draw reveal 揭晓结果。

企业名单二选一：--enterprises-file 给出名单文件（每行一个统一社会信用代码，执法人员名单文件
每行一个编号，# 开头的行为注释）；或 --region（可加 --industry）划定范围，由服务器在承诺时
按企业名录列出该行政区划（含下级）内、该行业的企业，列出的名单同样写入承诺。`,
		Example: `  ruqi draw commit --title "2026年12月 食品经营双随机抽查" --enterprises-file ents.txt --enterprises 5 \
    --officers-file officers.txt --officers 2
  ruqi draw commit --title "2026年12月 锦江区餐饮双随机抽查" --region 510104 --industry 餐饮 --enterprises 10`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "title", "enterprises"); err != nil {
				return err
			}
			if (entFile == "") == (region == "") {
				return usagef("企业名单请二选一：--enterprises-file 名单文件，或 --region（可加 --industry）划定范围")
			}
			if industry != "" && region == "" {
				return usagef("--industry 须与 --region 同用")
			}
			if requestID == "" {
				requestID = newRequestID()
			}
			req := &ruqiv1.CommitDrawRequest{AgencyId: agency, Title: title, EnterpriseCount: int32(entCount), OfficerCount: int32(offCount), RequestId: requestID}
			var err error
			if region != "" {
				req.EnterpriseFilter = &ruqiv1.EnterpriseFilter{RegionCode: strings.TrimSpace(region), Industry: strings.TrimSpace(industry)}
			} else if req.EnterprisePopulation, err = readIDFile(entFile); err != nil {
				return err
			}
			if offFile != "" {
				if req.OfficerPopulation, err = readIDFile(offFile); err != nil {
					return err
				}
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewDrawServiceClient(cc).CommitDraw(ctx, req)
				if err != nil {
					if mayHaveSucceeded(err) {
						// A second commit over the same population is a
						// second chance at the draw: retry with this id.
						a.hint = fmt.Sprintf("提示：抽取可能已经承诺。重试时请加上 --request-id %s，以免重复抽取（重复抽取会让人以为部门可以挑选结果）。\n", requestID)
					}
					return err
				}
				if quiet {
					// The id alone, for `draw reveal --draw $(…)`, as
					// register and plan file print theirs.
					fmt.Fprintln(a.stdout, resp.GetDraw().GetId())
				} else {
					a.printDraw(resp.GetDraw(), nil)
				}
				if n := resp.GetEnterprisesLeftOut(); n > 0 {
					// With -o json stdout holds the draw alone, as draw show
					// writes it (draw verify --file reads that), and with -q
					// the id alone; the count goes to stderr, where a script
					// still sees it.
					w := a.stdout
					if a.output == "json" || quiet {
						w = a.stderr
					}
					fmt.Fprintf(w, "另有 %d 家企业本年度不得主动检查（如信用 A 级，按本地区无事不扰的规定），未列入名单。\n", n)
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&title, "title", "", "抽取名称 `TEXT`（必填）")
	f.StringVar(&agency, "agency", "", "执法部门编号 `ID`（默认为本部门）")
	f.StringVar(&entFile, "enterprises-file", "", "企业名单文件 `FILE`，每行一个统一社会信用代码（与 --region 二选一）")
	f.StringVar(&region, "region", "", "按行政区划抽取（含下级区划），名单由服务器按企业名录列出：区划代码 `CODE`")
	f.StringVar(&industry, "industry", "", "与 --region 同用：只抽取这一行业的企业 `NAME`")
	f.IntVar(&entCount, "enterprises", 0, "抽取企业的数量 `N`（必填）")
	f.StringVar(&offFile, "officers-file", "", "执法人员名单文件 `FILE`（同时抽取执法人员时）")
	f.IntVar(&offCount, "officers", 0, "抽取执法人员的数量 `N`")
	f.StringVar(&requestID, "request-id", "", "请求编号 `ID`，同一编号重试不会重复抽取（默认随机生成）")
	f.BoolVarP(&quiet, "quiet", "q", false, "只输出抽取编号")
	return cmd
}

func (a *app) drawRevealCommand() *cobra.Command {
	var wait time.Duration
	cmd := &cobra.Command{
		Use:   "reveal DRAW-ID",
		Short: "揭晓抽取结果：用第一个包含承诺的日志检查点的根哈希作随机数",
		Long: "揭晓抽取结果。随机数尚未产生时（承诺还没有进入签名检查点），在 --wait 内每秒重试。\n" +
			"结果是确定的：部门和司法局揭晓得到同样的结果。",
		Args: exactArgs(1, "抽取编号"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				deadline := time.Now().Add(wait)
				for {
					resp, err := ruqiv1.NewDrawServiceClient(cc).RevealDraw(ctx, &ruqiv1.RevealDrawRequest{DrawId: args[0]})
					if status.Code(err) == codes.Unavailable && time.Now().Before(deadline) {
						select {
						case <-ctx.Done():
							return err
						case <-time.After(time.Second):
						}
						continue
					}
					if err != nil {
						return err
					}
					a.printDraw(resp.GetDraw(), nil)
					return nil
				}
			})
		},
	}
	cmd.Flags().DurationVar(&wait, "wait", 0, "随机数尚未产生时最多等待 `DURATION`，如 30s")
	return cmd
}

func (a *app) drawShowCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show DRAW-ID",
		Short: "查看公布的抽取：名单、数量、程序、随机数和结果（无需令牌）",
		Long:  "查看公布的抽取。-o json 输出的文件可交给 ruqi draw verify --file 离线核验。",
		Args:  exactArgs(1, "抽取编号"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewDrawServiceClient(cc).GetDraw(ctx, &ruqiv1.GetDrawRequest{DrawId: args[0]})
				if err != nil {
					return err
				}
				if a.output == "json" {
					a.jsonPrinter().msg(resp)
					return nil
				}
				a.printDraw(resp.GetDraw(), resp.GetCommitmentReceipt())
				return nil
			})
		},
	}
	return cmd
}

// drawListCommand lists the draws committed, so that an agency (and the
// 司法局) sees every draw, a repeated one among them: there was no way to
// list them from the command line (a trial of the CLI, 2026-12-05).
func (a *app) drawListCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "列出已承诺的抽取（编号、名称、部门、承诺与揭晓时间）",
		Example: `  ruqi draw list`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				all := &ruqiv1.ListDrawsResponse{}
				err := allPages(func(token string) (string, error) {
					resp, err := ruqiv1.NewDrawServiceClient(cc).ListDraws(ctx, &ruqiv1.ListDrawsRequest{PageSize: listPageSize, PageToken: token})
					all.Draws = append(all.Draws, resp.GetDraws()...)
					return resp.GetNextPageToken(), err
				})
				if err != nil {
					return err
				}
				if a.output == "json" {
					a.jsonPrinter().msg(all)
					return nil
				}
				if len(all.GetDraws()) == 0 {
					fmt.Fprintln(a.stdout, "没有抽取。")
					return nil
				}
				t := newTable("编号", "名称", "部门", "承诺时间", "揭晓时间")
				for _, d := range all.GetDraws() {
					revealed := "未揭晓"
					if d.GetRevealedAt() != nil {
						revealed = fmtTime(d.GetRevealedAt())
					}
					t.add(d.GetId(), d.GetTitle(), d.GetAgencyId(), fmtTime(d.GetCommittedAt()), revealed)
				}
				t.write(a.stdout)
				fmt.Fprintf(a.stdout, "共 %d 次。\n", len(all.GetDraws()))
				return nil
			})
		},
	}
}

func (a *app) drawVerifyCommand() *cobra.Command {
	var vf verifierFlags
	var file string
	cmd := &cobra.Command{
		Use:   "verify [DRAW-ID]",
		Short: "重算核验一次抽取：承诺在签名日志中、名单未被改动、结果可由公开输入重算",
		Long: `从公布的输入重算一次抽取，不信任服务器的结果：
  1. 承诺事件在日志中，检查点由日志（和见证方）签名（包含证明）；
  2. 公布的名单、数量和程序与承诺时写入日志的哈希一致（承诺之后改动名单会在此被发现）；
  3. 随机数就是该检查点的根哈希；
  4. 按 ruqi-draw-v1 重算的结果与公布的结果相同；
  5. 揭晓事件进入检查点后：日志中的揭晓事件记录的检查点与公布的随机数来自同一检查点（揭晓后随机数未被换过）。
给出抽取编号时从服务器取（无需令牌）；--file 时离线核验 ruqi draw show -o json 或 /draws/{编号} 保存的文件。
日志公钥默认用 ruqi keys fetch 保存的。全部成立时退出码为 0，不成立时为 3。`,
		Example: `  ruqi keys fetch && ruqi draw verify DRW-20261202-ABCDEFGH
  ruqi draw verify --file draw.json --log-key 'ruqi.example/log+…'`,
		Args: maxArgs(1, "抽取编号"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (file != "") {
				return usagef("请给出抽取编号，或用 --file 指定保存的抽取文件（二选一）")
			}
			v, err := vf.verifier()
			if err != nil {
				return err
			}
			var resp *ruqiv1.GetDrawResponse
			if file != "" {
				b, err := os.ReadFile(file)
				if err != nil {
					return fmt.Errorf("读取抽取文件失败：%w", err)
				}
				if resp, err = draw.ParseBundle(b); err != nil {
					return &exitCodeError{code: exitNotValid, err: err}
				}
			} else {
				err := a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
					var err error
					resp, err = ruqiv1.NewDrawServiceClient(cc).GetDraw(ctx, &ruqiv1.GetDrawRequest{DrawId: args[0]})
					return err
				})
				if err != nil {
					return err
				}
			}
			return a.verifyDraw(v, resp)
		},
	}
	vf.add(cmd)
	cmd.Flags().StringVar(&file, "file", "", "离线核验保存的抽取文件 `FILE`（JSON）")
	return cmd
}

func (a *app) verifyDraw(v *tlog.Verifier, resp *ruqiv1.GetDrawResponse) error {
	got, err := draw.Verify(v, resp)
	if err != nil {
		return &exitCodeError{code: exitNotValid, err: fmt.Errorf("抽取核验未通过：%w", err)}
	}
	d := resp.GetDraw()
	fmt.Fprintf(a.stdout, "✓ 抽取 %s（%s）核验通过\n", d.GetId(), d.GetTitle())
	fmt.Fprintf(a.stdout, "  承诺：日志事件 %d，名单 %d 家企业、%d 名执法人员，程序 %s\n", got.CommitSeq, len(d.GetEnterprisePopulation()), len(d.GetOfficerPopulation()), d.GetProcedure())
	fmt.Fprintf(a.stdout, "  随机数：规模 %d 的签名检查点的根哈希 %x\n", got.RandomnessSize, d.GetRandomness())
	fmt.Fprintf(a.stdout, "  揭晓：日志事件 %d 记录的也是规模 %d 的检查点（揭晓后随机数未被换过）\n", got.RevealSeq, got.RandomnessSize)
	fmt.Fprintf(a.stdout, "  重算结果与公布结果相同：企业 %s", strings.Join(got.Picks.Enterprises, "、"))
	if len(got.Picks.Officers) > 0 {
		fmt.Fprintf(a.stdout, "；执法人员 %s", strings.Join(got.Picks.Officers, "、"))
	}
	fmt.Fprintln(a.stdout)
	return nil
}

// printDraw shows a draw in a table, or as JSON.
func (a *app) printDraw(d *ruqiv1.Draw, rc *ruqiv1.Receipt) {
	if a.output == "json" {
		a.jsonPrinter().msg(d)
		return
	}
	w := a.stdout
	fmt.Fprintf(w, "抽取编号：%s\n名称：%s\n执法部门：%s\n程序：%s\n", d.GetId(), d.GetTitle(), d.GetAgencyId(), d.GetProcedure())
	fmt.Fprintf(w, "承诺时间：%s（%s）\n承诺哈希：%x\n", fmtTime(d.GetCommittedAt()), domain.ActorLabel(d.GetCommittedBy()), d.GetCommitment())
	fmt.Fprintf(w, "企业名单：%d 家，抽取 %d 家\n", len(d.GetEnterprisePopulation()), d.GetEnterpriseCount())
	if f := d.GetEnterpriseFilter(); f != nil {
		what := "行政区划 " + f.GetRegionCode()
		if f.GetIndustry() != "" {
			what += "、行业 " + f.GetIndustry()
		}
		fmt.Fprintf(w, "名单来源（服务器所述，不在承诺内，核验只核名单本身）：承诺时按企业名录列出的%s的企业，本年度不得主动检查的除外\n", what)
	}
	if len(d.GetOfficerPopulation()) > 0 {
		fmt.Fprintf(w, "执法人员名单：%d 名，抽取 %d 名\n", len(d.GetOfficerPopulation()), d.GetOfficerCount())
	}
	if len(d.GetRandomness()) == 0 {
		fmt.Fprintln(w, "状态：已承诺，尚未揭晓（随机数将是第一个包含承诺的日志检查点的根哈希；用 ruqi draw reveal 揭晓）")
		return
	}
	fmt.Fprintf(w, "随机数：规模 %s 的日志检查点根哈希 %x\n", strconv.FormatUint(d.GetRandomnessSize(), 10), d.GetRandomness())
	t := newTable("次序", "抽中", "类别")
	for i, e := range d.GetPickedEnterprises() {
		t.add(strconv.Itoa(i+1), e, "企业")
	}
	for i, o := range d.GetPickedOfficers() {
		t.add(strconv.Itoa(i+1), o, "执法人员")
	}
	t.write(w)
	if rc != nil {
		fmt.Fprintln(w, "可用 ruqi draw verify "+d.GetId()+" 独立重算核验。")
	}
}
