package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"github.com/spf13/cobra"
	"google.golang.org/grpc"
)

func (a *app) companyCommand() *cobra.Command {
	cmd := groupCommand("company", "企业：扫码核验入企码、拒绝检查、查看检查记录、评价、投诉")
	cmd.AddCommand(
		a.companyScanCommand(),
		a.companyRefuseCommand(),
		a.companyHistoryCommand(),
		a.companyEvaluateCommand(),
		a.companyComplainCommand(),
		a.companyUpcomingCommand(),
		a.companyLeadsCommand(),
		a.companyCodeCommand(),
	)
	return cmd
}

// maxOwnLeadPages bounds what company leads reads: 20 pages of 500.
const maxOwnLeadPages = 20

func (a *app) companyLeadsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "leads",
		Short: "查看本企业的问题线索及司法局的处理状态",
		Long: `列出本企业拒绝检查、投诉和扫描到无效入企码生成的问题线索，最新的在前：
线索编号、类型、提交时间、司法局的处理状态（已接收、核查中、已整改、已移交纪委、查无实据）
和司法局给本企业的答复。

只列出本企业自己提交或扫描生成的线索；司法局内部的处理说明不在此显示。
须用企业账号（政务服务账号登录，或管理员签发的企业令牌），前台设备不能查看。`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				all := &ruqiv1.ListOwnLeadsResponse{}
				req := &ruqiv1.ListOwnLeadsRequest{PageSize: 500}
				for range maxOwnLeadPages {
					resp, err := ruqiv1.NewEnterpriseServiceClient(cc).ListOwnLeads(ctx, req)
					if err != nil {
						return err
					}
					all.Leads = append(all.Leads, resp.GetLeads()...)
					if req.PageToken = resp.GetNextPageToken(); req.PageToken == "" {
						break
					}
				}
				all.NextPageToken = req.PageToken // more than the pages read: said in JSON
				a.printer().OwnLeads(all)
				return nil
			})
		},
	}
}

func (a *app) companyUpcomingCommand() *cobra.Command {
	var enterprise string
	cmd := &cobra.Command{
		Use:   "upcoming",
		Short: "检查预告：查看本企业即将到来的入企（检查、巡查、走访等）",
		Long: `检查预告：列出已报备、即将到来的入企：执法部门、检查事项、时段和入企类型。

每次入企从本地区政策规定的预告时间起显示（默认提前3天）；双随机抽查、个案检查等
不预告的检查，到检查开始时才显示。只能查看本企业的预告。`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if enterprise != "" {
				enterprise = domain.NormalizeID(enterprise)
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewEnterpriseServiceClient(cc).ListUpcomingVisits(ctx, &ruqiv1.ListUpcomingVisitsRequest{EnterpriseUscc: enterprise})
				if err != nil {
					return err
				}
				a.printer().Upcoming(resp)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&enterprise, "enterprise", "", "企业统一社会信用代码 `USCC`（默认本企业；只能是本企业）")
	return cmd
}

func (a *app) companyScanCommand() *cobra.Command {
	var (
		png, as, keysCache string
		offline            bool
	)
	cmd := &cobra.Command{
		Use:   "scan [入企码]",
		Short: "扫码核验执法人员出示的入企码",
		Long: `核验执法人员出示的入企码。入企码可以是令牌、二维码里的链接，或用 --png 给出二维码图片。

联网核验由服务器确认：签名真实、报备存在且未撤销、是对本企业的检查、在检查时间内、
执法人员的执法证有效，并显示检查事项及其依据、执法人员和执法部门。同一入企码重复扫描
算同一次签到。

--offline 只用本地缓存的公钥（ruqi keys fetch）核验签名和有效期，并核对 --as 给出的
本企业统一社会信用代码；离线时无法确认报备是否已撤销、执法证是否有效。

退出码：0 核验通过；3 核验未通过（企业有权拒绝检查）；1 无法完成核验。`,
		Example: `  ruqi company scan HTTPS://RUQI.EXAMPLE/V/2DCQ...
  ruqi company scan --png code.png
  ruqi company scan --offline --as 91510100MA6123456W 2DCQ...`,
		Args: maxArgs(1, "入企码"),
		RunE: func(cmd *cobra.Command, args []string) error {
			scanned, err := scannedCode(args, png)
			if err != nil {
				return err
			}
			if offline {
				if as == "" {
					return usagef("离线核验须用 --as 给出本企业的统一社会信用代码")
				}
				as = domain.NormalizeID(as)
				if err := domain.ValidateUSCC(as); err != nil {
					return usagef("--as：%v", err)
				}
				keys, err := loadKeys(keysCache)
				if err != nil {
					return err
				}
				r, err := verifyOffline(scanned, as, keys.GetKeys(), a.now())
				if err != nil {
					return err
				}
				a.printer().OfflineScan(r)
				return verdictExit(r.Verdict)
			}
			if cmd.Flags().Changed("as") {
				return usagef("--as 只用于 --offline；联网核验时本企业由访问令牌确定")
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewEnterpriseServiceClient(cc).ScanCode(ctx, &ruqiv1.ScanCodeRequest{Code: scanned})
				if err != nil {
					return err
				}
				a.printer().Scan(resp)
				return verdictExit(resp.GetVerdict())
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&png, "png", "", "从二维码图片读取入企码 `FILE`")
	f.BoolVar(&offline, "offline", false, "离线核验：只用本地缓存的公钥")
	f.StringVar(&as, "as", "", "离线核验时本企业的统一社会信用代码 `USCC`")
	addKeysCacheFlag(cmd, &keysCache)
	return cmd
}

// verdictExit turns a verdict into the command's outcome: nothing for a
// valid code, exit code 3 otherwise (the verdict has been printed).
func verdictExit(v ruqiv1.Verdict) error {
	if v == ruqiv1.Verdict_VERDICT_VALID {
		return nil
	}
	return &exitCodeError{code: exitNotValid}
}

// scannedCode returns what was scanned: the argument, or the text of the
// QR code in the --png image.
func scannedCode(args []string, png string) (string, error) {
	return scannedText(args, png, "入企码")
}

// scannedText is scannedCode for any of our codes; what names it in
// messages (入企码, 企业码).
func scannedText(args []string, png, what string) (string, error) {
	switch {
	case len(args) == 1 && png != "":
		return "", usagef("%s和 --png 只能给一个", what)
	case len(args) == 1:
		s := strings.TrimSpace(args[0])
		if s == "" {
			return "", usagef("%s是空的", what)
		}
		return s, nil
	case png != "":
		img, err := os.ReadFile(png)
		if err != nil {
			return "", fmt.Errorf("读取二维码图片失败：%w", err)
		}
		text, err := code.DecodeQRPNG(img)
		if err != nil {
			return "", fmt.Errorf("无法从图片 %s 读出%s：%w", png, what, err)
		}
		return strings.TrimSpace(text), nil
	}
	return "", usagef("请给出%s（令牌或链接），或用 --png 给出二维码图片", what)
}

// offlineClockLeeway is the clock difference tolerated at the edges of a
// code's validity: the core's default (the server's -clock-leeway), so that
// a code does not pass online and fail offline in the same minute.
var offlineClockLeeway = domain.DefaultLimits().ClockLeeway

// verifyOffline checks a scanned code with the cached public keys only: the
// signature, not-before and expiry against the local clock, and that the
// code is for enterprise as. It returns an error only when the check
// itself could not be done.
func verifyOffline(scanned, as string, keys []*ruqiv1.PublicKey, now time.Time) (offlineResult, error) {
	// Why the text does not parse is no help to the enterprise; the
	// verdict and message are the server's for the same text.
	unreadable := func(error) offlineResult {
		return offlineResult{
			Verdict: ruqiv1.Verdict_VERDICT_MALFORMED,
			Message: "扫描的内容不是有效的入企码，可能被篡改、不完整或不是本系统的二维码。企业有权拒绝检查",
		}
	}
	tok, err := code.ExtractToken(scanned)
	if err != nil {
		return unreadable(err), nil
	}
	msg, err := code.DecodeToken(tok)
	if err != nil {
		return unreadable(err), nil
	}
	kid, claims, err := code.Verify(msg, keyLookup(keys))
	switch {
	case errors.Is(err, code.ErrUnknownKey):
		return offlineResult{
			Verdict: ruqiv1.Verdict_VERDICT_UNKNOWN_KEY,
			Message: "签名密钥不在本地缓存中：可能是新轮换的密钥，请联网运行 ruqi keys fetch 后重试，或联网核验",
			KeyID:   kid,
		}, nil
	case errors.Is(err, code.ErrBadSignature):
		return offlineResult{
			Verdict: ruqiv1.Verdict_VERDICT_BAD_SIGNATURE,
			Message: "签名无效：入企码是伪造的或被篡改过",
			KeyID:   kid,
		}, nil
	case errors.Is(err, code.ErrMalformed):
		return unreadable(err), nil
	case err != nil:
		return offlineResult{}, fmt.Errorf("离线核验失败：%w", err)
	}
	r := offlineResult{KeyID: kid, Claims: &claims}
	timing := domain.TimeCode(claims.NotBefore, claims.Expiry, now, offlineClockLeeway)
	switch {
	case claims.EnterpriseUSCC != as:
		r.Verdict = ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE
		r.Message = fmt.Sprintf("这是对企业 %s 的检查，不是本企业（%s）", claims.EnterpriseUSCC, as)
	case timing == domain.CodeNotYetValid:
		r.Verdict = ruqiv1.Verdict_VERDICT_NOT_YET_VALID
		r.Message = fmt.Sprintf("未到检查时间：入企码自 %s 起有效（按本机时钟）", fmtClockTime(claims.NotBefore))
	case timing == domain.CodeExpired:
		r.Verdict = ruqiv1.Verdict_VERDICT_EXPIRED
		r.Message = fmt.Sprintf("入企码已于 %s 过期（按本机时钟）", fmtClockTime(claims.Expiry))
	default:
		r.Verdict = ruqiv1.Verdict_VERDICT_VALID
		r.Message = "签名真实，在有效期内，是对本企业的检查"
		if k := domain.VisitKindFromClaim(claims.VisitKind); !domain.IsInspection(k) {
			// The kind is signed: offline too, the enterprise learns that
			// nothing may be inspected.
			r.Message = "签名真实，在有效期内，是对本企业的入企。" + domain.NotInspectionMessage(k)
		}
	}
	return r, nil
}

// keyLookup finds an Ed25519 public key by key id among the cached keys.
// Retired keys still verify: the code's own expiry bounds their use.
func keyLookup(keys []*ruqiv1.PublicKey) func(kid string) (ed25519.PublicKey, bool) {
	return func(kid string) (ed25519.PublicKey, bool) {
		for _, k := range keys {
			if k.GetKeyId() != kid {
				continue
			}
			if alg := k.GetAlgorithm(); alg != "" && alg != "EdDSA" {
				return nil, false
			}
			if len(k.GetPublicKey()) != ed25519.PublicKeySize {
				return nil, false
			}
			return ed25519.PublicKey(k.GetPublicKey()), true
		}
		return nil, false
	}
}

func (a *app) companyRefuseCommand() *cobra.Command {
	var inspection, scanned, reason, requestID string
	cmd := &cobra.Command{
		Use:   "refuse",
		Short: "拒绝检查，并说明理由",
		Long: `拒绝一次检查并说明理由。没有有效入企码的检查，企业有权拒绝。

用 --inspection 或 --code（令牌或链接）指明是哪次检查；执法人员没有出示入企码时两者都可以不给。

拒绝会记录在案，并作为问题线索转给司法局，命令会显示线索编号。本地区处于试运行阶段时，
拒绝同样记录并转司法局，但只作提示，企业此时尚无拒绝检查的权利，命令会醒目地说明。`,
		Example: `  ruqi company refuse --code HTTPS://RUQI.EXAMPLE/V/2DCQ... --reason 入企码已过期
  ruqi company refuse --reason 执法人员未出示入企码`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "reason"); err != nil {
				return err
			}
			if inspection != "" && scanned != "" {
				return usagef("--inspection 和 --code 只能给一个")
			}
			req := &ruqiv1.RefuseInspectionRequest{
				InspectionId: strings.TrimSpace(inspection),
				Code:         bareToken(scanned),
				Reason:       strings.TrimSpace(reason),
				RequestId:    requestID,
			}
			if req.RequestId == "" {
				// A refusal without a code, run again after a lost answer,
				// is one lead (an agency's trial, 2026-12-06: two).
				req.RequestId = sameDayRequestID("refuse", a.now(), req.InspectionId, req.Code, req.Reason)
			}
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewEnterpriseServiceClient(cc).RefuseInspection(ctx, req)
				if err != nil {
					return err
				}
				a.printer().Refused(resp)
				if resp.GetRepeated() && requestID == "" && req.GetInspectionId() == "" && req.GetCode() == "" {
					// The default request id is the reason's and the
					// day's: a second officer turned away later the same
					// day, for the same reason, was the first refusal
					// (a trial as an enterprise, 2026-12-07).
					fmt.Fprintln(a.stderr, "提示：未给 --request-id 时，同一天、同一理由的无码拒绝只记录一次（以免重试重复报送）；若这是另一次无码检查（如另一名执法人员），请加 --request-id 另一个编号再提交，或在理由中写明时间和人员")
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&inspection, "inspection", "", "报备编号 `ID`")
	cmd.Flags().StringVar(&scanned, "code", "", "执法人员出示的入企码 `CODE`（令牌或链接）")
	cmd.Flags().StringVar(&reason, "reason", "", "拒绝理由 `TEXT`（必填）")
	cmd.Flags().StringVar(&requestID, "request-id", "", "请求编号 `ID`：同一编号只记录一次（默认由内容和日期生成，当天重试不会重复记录）")
	return cmd
}

// bareToken reduces a scanned URL to its token. A code that cannot be read
// is sent as it is: a refusal of a forged code must still be recorded.
func bareToken(scanned string) string {
	s := strings.TrimSpace(scanned)
	if s == "" {
		return ""
	}
	if tok, err := code.ExtractToken(s); err == nil {
		return tok
	}
	return s
}

func (a *app) companyHistoryCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "history",
		Short: "查看本企业接受过的检查、检查结果和评价情况",
		Long: `查看本企业接受过的检查：今年和去年各被检查几次，每次检查的执法部门、时间、状态，
执法部门逐项记录的检查结果，以及本企业是否已评价（已办结的检查可用 ruqi company evaluate 评价）。`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				req := &ruqiv1.ListInspectionsRequest{PageSize: listPageSize}
				all := &ruqiv1.ListInspectionsResponse{}
				err := allPages(func(token string) (string, error) {
					req.PageToken = token
					resp, err := ruqiv1.NewEnterpriseServiceClient(cc).ListInspections(ctx, req)
					if err != nil {
						return "", err
					}
					all.Inspections = append(all.Inspections, resp.GetInspections()...)
					// Every page counts the whole history: the last page's counts are the newest.
					all.ThisYear, all.LastYear = resp.GetThisYear(), resp.GetLastYear()
					all.VisitsThisYear, all.VisitsLastYear = resp.GetVisitsThisYear(), resp.GetVisitsLastYear()
					return resp.GetNextPageToken(), nil
				})
				if err != nil {
					return err
				}
				a.printer().History(all)
				return nil
			})
		},
	}
}
