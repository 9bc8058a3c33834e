package cli

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// qrPNGSize is the side in pixels of a QR image drawn by the client when
// the server sent none.
const qrPNGSize = 512

func (a *app) officerCommand() *cobra.Command {
	cmd := groupCommand("officer", "执法人员：报备检查、领取入企码、撤销报备、记录检查结果、查看评价")
	cmd.AddCommand(
		a.officerRegisterCommand(),
		a.officerCodeCommand(),
		a.officerCancelCommand(),
		a.officerShowCommand(),
		a.officerResultCommand(),
		a.officerPriorCommand(),
		a.officerEvaluationsCommand(),
		a.officerItemsCommand(),
		a.officerOfficersCommand(),
		a.officerArriveCommand(),
	)
	return cmd
}

type registerOptions struct {
	agency       string
	enterprise   string
	items        []string
	officers     []string
	from         string
	to           string
	duration     time.Duration
	typ          string
	reason       string
	trigger      string
	lateReason   string
	streakReason string
	plan         string
	requestID    string
	kind         string
	drawID       string
}

func (a *app) officerRegisterCommand() *cobra.Command {
	var o registerOptions
	var quiet bool
	cmd := &cobra.Command{
		Use:   "register",
		Short: "报备一次检查，为每位执法人员签发入企码",
		Long: `报备一次检查（报备），为每位执法人员签发一个入企码。

检查事项须在本部门公布的行政检查事项清单内，执法人员至少两名且执法证有效。
个案检查（--type case）须用 --trigger 注明投诉举报、转办交办或事故的编号。
专项检查（--type special）须用 --plan 注明所依据的、经部门负责人批准的检查计划（ruqi plan）。

不是行政检查的入企（日常巡查、政策宣传、走访调研、服务）用 --kind 报备：不填 --items 和
--type，至少一名人员；企业扫码时会看到"非行政检查，不得进行任何检查"，此类入企也计入无事不扰。

紧急情况下先检查、后报备的，用 --late-reason 说明原因进行事后补录：此时 --from
可以是过去的时间（须在服务器允许的天数之内，默认 10 天）。补录的报备会标记为事后补录，
并作为问题线索报送司法局。

时间可写成 "2026-03-01 09:30"（北京时间）、RFC 3339（2026-03-01T09:30:00+08:00），
或相对当前时间的 now、now+2h、now-30m。`,
		Example: `  ruqi officer register --enterprise 91510100MA6123456W \
    --items CI-0001,CI-0002 --officers O-0001,O-0010 \
    --from "2026-03-02 09:00" --duration 4h --type routine --reason 年度日常检查
  ruqi officer register --enterprise 91510100MA6123456W \
    --items CI-0003 --officers O-0001,O-0010 --type case --trigger JB-2026-0107 \
    --from "2026-03-01 22:10" --duration 1h --reason 燃气泄漏举报 --late-reason 夜间紧急处置，来不及事先报备
  ruqi officer register --kind survey --enterprise 91510100MA6123456W \
    --officers O-0001 --from "2026-03-03 14:00" --duration 2h --reason 了解企业用工需求`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req, err := o.request(cmd, a.now())
			if err != nil {
				return err
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewInspectionServiceClient(cc).RegisterInspection(ctx, req)
				if err != nil {
					if mayHaveSucceeded(err) {
						a.hint = retryHint("报备可能已经生效", "报备", req.GetRequestId(), req.GetWindowStart().AsTime(), req.GetWindowEnd().AsTime())
					}
					return err
				}
				if quiet {
					// For scripts: INS=$(ruqi officer register … -q). The
					// frequency warnings (无事不扰) go to stderr: the 司法局
					// is told of them, and a -q run printed none (a trial
					// of agencies' planners, 2026-12-07).
					fmt.Fprintln(a.stdout, resp.GetInspection().GetId())
					for _, w := range resp.GetWarnings() {
						fmt.Fprintf(a.stderr, "⚠ %s\n", w.GetMessage())
					}
					return nil
				}
				a.printer().Registered(req.GetRequestId(), resp)
				return nil
			})
		},
	}
	o.addFlags(cmd.Flags())
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "只输出报备编号（频次预警仍输出到标准错误）")
	return cmd
}

func (o *registerOptions) addFlags(f *pflag.FlagSet) {
	f.StringVar(&o.enterprise, "enterprise", "", "被检查企业的统一社会信用代码 `USCC`（必填）")
	f.StringSliceVar(&o.items, "items", nil, "检查事项编号 `IDS`，逗号分隔（行政检查必填；--kind 为其他入企时不填）")
	f.StringSliceVar(&o.officers, "officers", nil, "执法人员编号 `IDS`，逗号分隔（必填）：行政检查至少两名，不是行政检查的入企（--kind）可一名")
	f.StringVar(&o.from, "from", "", "检查开始时间 `TIME`（必填）")
	f.StringVar(&o.to, "to", "", "检查结束时间 `TIME`（与 --duration 二选一）")
	f.DurationVar(&o.duration, "duration", 0, "检查时长 `DURATION`，如 4h（与 --to 二选一）")
	f.StringVar(&o.typ, "type", "", "检查类型 `TYPE`：routine（日常）、random（双随机）、special（专项）、case（个案）（行政检查必填；--kind 为其他入企时不填）")
	f.StringVar(&o.reason, "reason", "", "检查事由 `TEXT`（必填）")
	f.StringVar(&o.trigger, "trigger", "", "个案检查的来源编号 `REF`（投诉举报、转办交办、事故）")
	f.StringVar(&o.lateReason, "late-reason", "", "事后补录的原因 `TEXT`：紧急检查已经进行，现补录报备")
	f.StringVar(&o.streakReason, "streak-reason", "", "再次检查的理由 `TEXT`：执法人员近一年在该企业连续三次未发现问题时必填（成都规则）")
	f.StringVar(&o.agency, "agency", "", "执法部门编号 `ID`（默认为本人所在部门）")
	f.StringVar(&o.kind, "kind", "inspection", "入企类型 `KIND`：inspection（行政检查）、patrol（日常巡查）、publicity（政策宣传）、survey（走访调研）、service（服务）")
	f.StringVar(&o.plan, "plan", "", "专项检查所依据的已批准检查计划编号 `PLAN-ID`（专项检查必填）")
	f.StringVar(&o.requestID, "request-id", "", "请求编号 `ID`，同一编号重试不会重复报备（默认随机生成）")
	f.StringVar(&o.drawID, "draw", "", "双随机抽查所依据的抽取编号 `ID`：企业（和执法人员）须在其抽中名单内")
}

// request checks the flags and builds the RegisterInspection request.
func (o *registerOptions) request(cmd *cobra.Command, now time.Time) (*ruqiv1.RegisterInspectionRequest, error) {
	kind, err := parseVisitKind(o.kind)
	if err != nil {
		return nil, usagef("--kind：%v", err)
	}
	// Which flags a visit needs is the command line's business; what a
	// registration may hold (a case's trigger, a late record's start, no
	// items on a visit that is not an inspection) is the server's rule
	// (domain.ValidateRequestShape), answered with a hint (reasonHints).
	required := []string{"enterprise", "officers", "from", "reason"}
	if domain.IsInspection(kind) {
		required = append(required, "items", "type")
	}
	if err := requireFlags(cmd, required...); err != nil {
		return nil, err
	}
	o.enterprise = domain.NormalizeID(o.enterprise)
	if err := domain.ValidateUSCC(o.enterprise); err != nil {
		return nil, usagef("--enterprise：%v", err)
	}
	var typ ruqiv1.InspectionType
	if cmd.Flags().Changed("type") {
		if typ, err = parseInspectionType(o.typ); err != nil {
			return nil, usagef("--type：%v", err)
		}
	}
	items, officers := splitIDs(o.items), splitIDs(o.officers)
	start, end, err := o.window(cmd, now)
	if err != nil {
		return nil, err
	}
	lateReason := strings.TrimSpace(o.lateReason)
	if cmd.Flags().Changed("late-reason") && domain.Blank(lateReason) {
		return nil, usagef("--late-reason 不能为空：请说明为何未能事先报备")
	}
	reqID := o.requestID
	if reqID == "" {
		reqID = newRequestID()
	}
	return &ruqiv1.RegisterInspectionRequest{
		AgencyId:         o.agency,
		EnterpriseUscc:   o.enterprise,
		CheckItemIds:     items,
		OfficerIds:       officers,
		WindowStart:      timestamppb.New(start),
		WindowEnd:        timestamppb.New(end),
		Type:             typ,
		Reason:           strings.TrimSpace(o.reason),
		TriggerReference: strings.TrimSpace(o.trigger),
		RequestId:        reqID,
		LateReason:       lateReason,
		VisitKind:        kind,
		DrawId:           strings.TrimSpace(o.drawID),
		PlanId:           domain.NormalizeID(o.plan),
		StreakReason:     strings.TrimSpace(o.streakReason),
	}, nil
}

// window reads --from and one of --to and --duration.
func (o *registerOptions) window(cmd *cobra.Command, now time.Time) (start, end time.Time, err error) {
	start, err = parseTime(o.from, now)
	if err != nil {
		return start, end, usagef("--from：%v", err)
	}
	hasTo, hasDur := cmd.Flags().Changed("to"), cmd.Flags().Changed("duration")
	switch {
	case hasTo && hasDur:
		return start, end, usagef("--to 和 --duration 只能给一个")
	case hasTo:
		end, err = parseTime(o.to, now)
		if err != nil {
			return start, end, usagef("--to：%v", err)
		}
	case hasDur:
		if o.duration <= 0 {
			return start, end, usagef("--duration 应大于 0，收到 %v", o.duration)
		}
		end = start.Add(o.duration)
	default:
		return start, end, usagef("缺少检查结束时间：请给 --to 或 --duration")
	}
	if !end.After(start) {
		return start, end, usagef("检查结束时间（%s）应晚于开始时间（%s）", fmtClockTime(end), fmtClockTime(start))
	}
	return start, end, nil
}

// splitIDs trims the ids of a list flag and drops empty ones, so that
// "CI-0001, CI-0002," means two items.
func splitIDs(in []string) []string {
	var out []string
	for _, s := range in {
		// A full-width comma (，) or 、 from a Chinese input method separates
		// ids as the ASCII comma does.
		for _, id := range strings.FieldsFunc(domain.NormalizeWidth(s), func(r rune) bool { return r == ',' || r == '、' }) {
			if id = domain.NormalizeID(id); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

// newRequestID returns a random id in the form of a UUID version 4.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// sameDayRequestID names what an enterprise says (a complaint, a refusal
// without a code) by its words and the day: the command run again after a
// lost answer, or by mistake the same day, is the same step, and the
// server keeps it once. The same words on another day are another
// complaint. --request-id overrides it.
func sameDayRequestID(kind string, now time.Time, parts ...string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s|%s", kind, now.In(shanghai).Format("2006-01-02"))
	for _, p := range parts {
		fmt.Fprintf(h, "|%d:%s", len(p), p)
	}
	return kind + "-" + hex.EncodeToString(h.Sum(nil)[:12])
}

func (a *app) officerCodeCommand() *cobra.Command {
	var (
		inspection, officer, png string
		qr                       bool
	)
	cmd := &cobra.Command{
		Use:   "code",
		Short: "查看入企码：令牌、链接、二维码",
		Long: `查看一次检查的入企码（每位执法人员一个）。

--png 把二维码写成 PNG 图片；有多位执法人员的入企码时，文件名在扩展名前加上
"-执法人员编号"，例如 code.png 写成 code-O-0001.png 和 code-O-0002.png。
--qr 在终端画出二维码，供企业直接扫描。`,
		Example: `  ruqi officer code --inspection INS-20260301-7QKZ3M2A --officer O-0001 --qr
  ruqi officer code --inspection INS-20260301-7QKZ3M2A --png code.png`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "inspection"); err != nil {
				return err
			}
			req := &ruqiv1.GetInspectionCodesRequest{
				InspectionId: inspection,
				OfficerId:    officer,
				IncludeQrPng: png != "",
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewInspectionServiceClient(cc).GetInspectionCodes(ctx, req)
				if err != nil {
					return err
				}
				var written []string
				if png != "" {
					if written, err = writeCodePNGs(png, resp.GetCodes()); err != nil {
						return err
					}
				}
				a.printer().Codes(resp, written)
				if qr {
					a.drawQRs(resp.GetCodes())
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&inspection, "inspection", "", "报备编号 `ID`（必填）")
	f.StringVar(&officer, "officer", "", "只看这位执法人员的入企码 `ID`")
	f.StringVar(&png, "png", "", "把二维码写入 PNG 文件 `FILE`")
	f.BoolVar(&qr, "qr", false, "在终端画出二维码")
	return cmd
}

// drawQRs draws each code's URL as a terminal QR code: on stdout in table
// mode, on stderr in json mode so that stdout stays JSON.
func (a *app) drawQRs(codes []*ruqiv1.InspectionCode) {
	w := a.stdout
	if a.output == "json" {
		w = a.stderr
	}
	for _, c := range codes {
		fmt.Fprintf(w, "\n执法人员 %s 的入企码二维码：\n%s\n", c.GetOfficerId(), code.QRTerminal(c.GetUrl()))
	}
}

// writeCodePNGs writes the QR image of each code and returns the names of
// the files written. With one code the file is named as given; with several,
// each officer's id is put before the extension.
func writeCodePNGs(file string, codes []*ruqiv1.InspectionCode) ([]string, error) {
	var written []string
	for _, c := range codes {
		name := file
		if len(codes) > 1 {
			name = pngNameFor(file, c.GetOfficerId())
		}
		img := c.GetQrPng()
		if len(img) == 0 {
			var err error
			if img, err = code.QRPNG(c.GetUrl(), qrPNGSize); err != nil {
				return written, fmt.Errorf("生成执法人员 %s 的二维码失败：%w", c.GetOfficerId(), err)
			}
		}
		if err := os.WriteFile(name, img, 0o644); err != nil {
			return written, fmt.Errorf("写入二维码图片失败：%w", err)
		}
		written = append(written, name)
	}
	return written, nil
}

// pngNameFor puts "-<officerID>" before the extension of file:
// "code.png" and "O-0001" give "code-O-0001.png". Characters that cannot be
// part of a file name are replaced by "_".
func pngNameFor(file, officerID string) string {
	safe := strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', ':', '*', '?', '"', '<', '>', '|', 0:
			return '_'
		}
		return r
	}, officerID)
	ext := filepath.Ext(file)
	if strings.ContainsAny(ext, `/\`) {
		ext = ""
	}
	return strings.TrimSuffix(file, ext) + "-" + safe + ext
}

func (a *app) officerCancelCommand() *cobra.Command {
	var inspection, reason string
	cmd := &cobra.Command{
		Use:     "cancel",
		Short:   "撤销报备，入企码随即失效",
		Example: `  ruqi officer cancel --inspection INS-20260301-7QKZ3M2A --reason 企业停产，改期检查`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "inspection", "reason"); err != nil {
				return err
			}
			req := &ruqiv1.CancelInspectionRequest{InspectionId: inspection, Reason: strings.TrimSpace(reason)}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewInspectionServiceClient(cc).CancelInspection(ctx, req)
				if err != nil {
					return err
				}
				a.printer().Cancelled(resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&inspection, "inspection", "", "报备编号 `ID`（必填）")
	cmd.Flags().StringVar(&reason, "reason", "", "撤销原因 `TEXT`（必填）")
	return cmd
}

func (a *app) officerShowCommand() *cobra.Command {
	var inspection string
	cmd := &cobra.Command{
		Use:   "show",
		Short: "查看一次报备",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "inspection"); err != nil {
				return err
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewInspectionServiceClient(cc).GetInspection(ctx,
					&ruqiv1.GetInspectionRequest{InspectionId: inspection})
				if err != nil {
					return err
				}
				a.printer().Inspection(resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&inspection, "inspection", "", "报备编号 `ID`（必填）")
	return cmd
}

func (a *app) officerItemsCommand() *cobra.Command {
	var agency string
	var all bool
	cmd := &cobra.Command{
		Use:   "items",
		Short: "查看执法部门的行政检查事项清单",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			req := &ruqiv1.ListCheckItemsRequest{AgencyId: agency, IncludeRetired: all}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewDirectoryServiceClient(cc).ListCheckItems(ctx, req)
				if err != nil {
					return err
				}
				a.printer().CheckItems(resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&agency, "agency", "", "执法部门编号 `ID`（默认为本人所在部门）")
	cmd.Flags().BoolVar(&all, "all", false, "包括已停用的事项")
	return cmd
}

func (a *app) officerOfficersCommand() *cobra.Command {
	var agency string
	cmd := &cobra.Command{
		Use:   "officers",
		Short: "查看执法部门的执法人员及执法证",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewDirectoryServiceClient(cc).ListOfficers(ctx,
					&ruqiv1.ListOfficersRequest{AgencyId: agency})
				if err != nil {
					return err
				}
				a.printer().Officers(resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&agency, "agency", "", "执法部门编号 `ID`（默认为本人所在部门）")
	return cmd
}
