package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/transparency-dev/formats/log"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/durable"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The Merkle log from the command line: receipts (存证) an enterprise keeps
// and checks offline, `log verify` for anyone who watches the log, and the
// witness (见证) that the 司法局 runs.

func (a *app) receiptCommand() *cobra.Command {
	cmd := groupCommand("receipt", "存证：取回本企业事件的存证，离线核验存证")
	cmd.AddCommand(a.receiptGetCommand(), a.receiptVerifyCommand())
	return cmd
}

func (a *app) receiptGetCommand() *cobra.Command {
	var inspection, dir string
	var vf verifierFlags
	cmd := &cobra.Command{
		Use:   "get",
		Short: "取回本企业事件（扫码、拒绝、结果、评价、投诉等）的存证，保存为文件",
		Long: "取回本企业事件的存证并保存到 --dir，每个事件一个文件 receipt-<序号>.json。\n" +
			"存证包含事件本身、它在默克尔日志中的包含证明和日志签名的检查点，可用 ruqi receipt verify 离线核验。\n" +
			"刚发生的事件要等几秒才进入日志，届时再取。\n" +
			"有 ruqi keys fetch 保存的公钥时，取回的每份存证都先核验：不成立的另存为 receipt-<序号>-<摘要>.json 作为证据，退出码为 3。\n" +
			"已存的存证不会被覆盖：只有已存的未经见证或不成立、而新取回的成立时才更新（不成立的原文件改名保留）；\n" +
			"没有公钥时已存的存证一律保留，只替换已损坏、不是存证的文件。",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// The keys kept by `keys fetch` check what the server sends;
			// without them the receipts are saved unchecked, as before,
			// unless keys were named on the command line.
			v, verr := vf.verifier()
			if verr != nil && (vf.logKey != "" || vf.policyFile != "") {
				return verr
			}
			// Each page within --timeout, not all of them: an inspection
			// of some 2,000 scans took 13 s of pages and failed at the
			// 10-s default (a trial of the replicas, 2026-12-07).
			perPage := a.timeout
			return a.callLong(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				// Every receipt, a page at a time.
				resp := &ruqiv1.ListReceiptsResponse{}
				for after := uint64(0); ; {
					pctx, cancel := context.WithTimeout(ctx, perPage)
					page, err := ruqiv1.NewLogServiceClient(cc).ListReceipts(pctx, &ruqiv1.ListReceiptsRequest{InspectionId: inspection, AfterSeq: after})
					cancel()
					if err != nil {
						return err
					}
					resp.Receipts, resp.Pending = append(resp.Receipts, page.GetReceipts()...), page.GetPending()
					if page.GetNextAfterSeq() <= after {
						break
					}
					after = page.GetNextAfterSeq()
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return fmt.Errorf("创建目录 %s 失败：%w", dir, err)
				}
				t := newTable("序号", "事件", "检查", "时间", "文件", "保存")
				var broken, versions []string
				for _, rc := range resp.GetReceipts() {
					b, err := protojson.MarshalOptions{Multiline: true}.Marshal(rc)
					if err != nil {
						return err
					}
					e := rc.GetEvent()
					saved, err := saveReceipt(v, dir, rc, append(b, '\n'))
					if err != nil {
						return err
					}
					how := saved.how
					if saved.broken != nil {
						how += "；✗ 不成立：" + errorText(saved.broken)
						broken = append(broken, saved.path)
					}
					if saved.versions {
						// The strongest finding the command makes: it
						// ended 0, the warning only in a column (a
						// review, 2026-12-07).
						versions = append(versions, saved.path)
					}
					t.add(strconv.FormatUint(e.GetSeq(), 10), domain.EventTypeLabel(e.GetType()), orDash(e.GetInspectionId()), fmtTime(e.GetTime()), saved.path, how)
				}
				if a.output == "json" {
					a.jsonPrinter().msg(resp)
				} else {
					t.write(a.stdout)
					fmt.Fprintf(a.stdout, "已保存 %d 份存证到 %s", len(resp.GetReceipts()), dir)
					if resp.GetPending() > 0 {
						fmt.Fprintf(a.stdout, "；另有 %d 个事件尚未入日志，几秒后再取", resp.GetPending())
					}
					fmt.Fprintln(a.stdout)
					if v == nil {
						fmt.Fprintln(a.stdout, "未核验：没有公钥缓存（先运行 ruqi keys fetch），已存的存证一律保留、未更新；可用 ruqi receipt verify 核验")
					}
				}
				var findings []string
				if len(broken) > 0 {
					findings = append(findings, fmt.Sprintf("服务器给出的 %d 份存证不成立（%s）", len(broken), strings.Join(broken, "、")))
				}
				if len(versions) > 0 {
					findings = append(findings, fmt.Sprintf("%d 个事件的日志签署过两个版本（%s 与其改名保留的原文件）", len(versions), strings.Join(versions, "、")))
				}
				if len(findings) > 0 {
					return &exitCodeError{code: exitNotValid, err: fmt.Errorf("%s：已存的存证均保留，请保存全部文件，报告司法局", strings.Join(findings, "；"))}
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&inspection, "inspection", "", "只取这项检查的存证 `ID`")
	cmd.Flags().StringVar(&dir, "dir", "receipts", "保存存证的目录 `DIR`")
	vf.add(cmd)
	return cmd
}

// verifierFlags say which log key and witness policy to trust: given on the
// command line, or else those saved by `ruqi keys fetch`.
type verifierFlags struct {
	cache, logKey, policyFile string
}

func (v *verifierFlags) add(cmd *cobra.Command) {
	addKeysCacheFlag(cmd, &v.cache)
	cmd.Flags().StringVar(&v.logKey, "log-key", "", "日志公钥 `VKEY`（名称+哈希+公钥）；默认用 ruqi keys fetch 保存的")
	cmd.Flags().StringVar(&v.policyFile, "witness-policy", "", "见证策略文件 `FILE`（witness/group/quorum 行，可要求 n 个见证方中的 k 个）；默认用服务器公布的")
}

func (v *verifierFlags) verifier() (*tlog.Verifier, error) {
	logKey, policy := v.logKey, []byte(nil)
	if logKey == "" || v.policyFile == "" {
		keys, err := loadKeys(v.cache)
		if err != nil && logKey == "" {
			return nil, fmt.Errorf("没有日志公钥：请用 --log-key 指定，或先联网运行 ruqi keys fetch（%w）", err)
		}
		if err == nil {
			if logKey == "" {
				logKey = keys.GetLogKey()
			}
			policy = []byte(keys.GetWitnessPolicy())
		}
	}
	if v.policyFile != "" {
		b, err := os.ReadFile(v.policyFile)
		if err != nil {
			return nil, fmt.Errorf("读取见证策略失败：%w", err)
		}
		policy = b
	}
	if logKey == "" {
		return nil, errors.New("公钥缓存中没有日志公钥：服务器版本过旧，或请用 --log-key 指定")
	}
	return tlog.NewVerifier(logKey, policy)
}

func (a *app) receiptVerifyCommand() *cobra.Command {
	var vf verifierFlags
	var online bool
	cmd := &cobra.Command{
		Use:   "verify FILE...",
		Short: "离线核验存证：事件未被改动、在日志中、检查点由日志（和见证方）签名",
		Long: "只用日志公钥（和见证方公钥）核验存证，不需要联网。全部通过时退出码为 0，有存证不成立时为 3，有文件未能读取（且无存证不成立）时为 1。\n" +
			"--online 再问服务器：当前的日志是否仍包含存证所见的日志（一致性证明），以发现事后改写的历史。",
		Args: minArgs(1, "存证文件"),
		RunE: func(cmd *cobra.Command, files []string) error {
			v, err := vf.verifier()
			if err != nil {
				return err
			}
			// One verdict per file, in the order given: printed as each is
			// checked, or with -o json as one array at the end (a script
			// archiving an enterprise's proofs read Chinese lines).
			verdicts := make([]*receiptVerdict, len(files))
			// bad counts the receipts that fail; of them, notHeld those
			// that hold but whose log the server's no longer extends,
			// pending those the server's newest checkpoint, which extends
			// theirs, could not yet be held to (its witnesses have not
			// cosigned it), and badServer those that hold but whose
			// server's newest checkpoint does not open with the log's key.
			bad, notHeld, pending, badServer := 0, 0, 0, 0
			// unread counts the files that could not be read: nothing is
			// known of them, which is not a receipt found not to hold
			// (exit 3); they exit 1 unless a receipt failed (an officer's
			// trial, 2026-12-07: a file name mistyped read as forged).
			unread := 0
			// halted is the server's word on why its log is cosigned no
			// more, when it says so (GetCheckpointResponse.log_halted).
			halted := ""
			failed := func() string {
				var parts []string
				if n := bad - notHeld - pending - badServer; n > 0 {
					parts = append(parts, fmt.Sprintf("%d 份存证不成立", n))
				}
				if pending > 0 && halted != "" {
					parts = append(parts, fmt.Sprintf("%d 份存证未能与服务器现在的日志核对：见证方未联署服务器最新的检查点，服务器报告：%s。请保存这些存证，报告司法局", pending, halted))
				} else if pending > 0 {
					parts = append(parts, fmt.Sprintf("%d 份存证未能与服务器现在的日志核对：服务器最新的检查点延续了存证所见的日志，但见证方尚未联署（见证签名不足），请稍后再运行", pending))
				}
				if notHeld > 0 {
					parts = append(parts, fmt.Sprintf("%d 份存证本身成立，但服务器现在的日志不再包含它们所见的日志（日志被回退或改写）：请保存这些存证，报告司法局", notHeld))
				}
				if badServer > 0 {
					parts = append(parts, fmt.Sprintf("%d 份存证本身成立，但服务器现在给出的检查点不能以日志公钥验证，无法确认日志未被改写：请保存这些存证，报告司法局", badServer))
				}
				return strings.Join(parts, "；")
			}
			for i, f := range files {
				verdicts[i] = &receiptVerdict{File: f}
				got, err := verifyReceiptFile(v, f)
				if errors.Is(err, errReceiptUnread) {
					unread++
					verdicts[i].Error, verdicts[i].Finding = errorText(err), findingFileUnread
					a.textf("✗ %s：%s\n", f, errorText(err))
					continue
				}
				if uw := (*tlog.UnwitnessedError)(nil); errors.As(err, &uw) && online {
					// Held below to the server's latest checkpoint,
					// which has to meet the policy.
					verdicts[i].fill(uw.Receipt)
					verdicts[i].Valid, verdicts[i].Unwitnessed = false, true
					continue
				} else if errors.As(err, &uw) {
					err = fmt.Errorf("%w。联网运行 ruqi receipt verify --online 核对服务器现在经见证的日志是否包含它；或重新 ruqi receipt get 取回带见证签名的存证", err)
				}
				if err != nil {
					bad++
					verdicts[i].Error, verdicts[i].Finding = errorText(err), findingReceipt
					if errors.As(err, new(*tlog.UnwitnessedError)) {
						verdicts[i].Finding = findingUnwitnessed
					}
					a.textf("✗ %s：%s\n", f, errorText(err))
					continue
				}
				verdicts[i].fill(got)
				a.textf("✓ %s：%s\n", f, receiptHeldText(got))
				a.receiptContent(got)
			}
			var onlineErr error
			if online && bad+unread < len(files) {
				onlineErr = a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
					for _, rv := range verdicts {
						if !rv.Valid && !rv.Unwitnessed {
							continue
						}
						latest, err := v.LatestExtends(ctx, ruqiv1.NewLogServiceClient(cc), rv.checkpoint)
						err = notExtendedExit(err)
						if _, isCall := status.FromError(err); err != nil && isCall {
							// The server did not answer (down, out of
							// reach, refused the call): nothing is known of
							// its log, and the receipt holds as checked
							// offline. Said as a failed call, not as a
							// receipt that does not hold.
							return err
						}
						if ne := (*tlog.NotExtendedError)(nil); err == nil || errors.As(err, &ne) {
							// Extended or not: what the server's log says
							// of it, apart from a failure to ask.
							extended := err == nil
							rv.ExtendedByServer = &extended
						}
						if errors.Is(err, tlog.ErrWitnessPolicy) {
							// The server's newest checkpoint extends the
							// receipt's, but its witnesses have not
							// cosigned it (the log signs before they
							// answer; a witness down keeps it so): not
							// checked yet, the receipt not found wanting.
							// It read "1 份存证不成立", as a forged one,
							// where the page says it could not compare yet.
							bad++
							pending++
							rv.Finding = findingWitnessesPending
							rv.Valid, rv.Error = false, errorText(fmt.Errorf("未能与服务器现在的日志核对：%w；稍后再运行 ruqi receipt verify --online", err))
							// Witnesses that refuse for good (the log
							// rolled back) were waited for forever (a
							// trial of the 司法局's witness, 2026-12-07):
							// the server says when it knows.
							if cp, cerr := ruqiv1.NewLogServiceClient(cc).GetCheckpoint(ctx, &ruqiv1.GetCheckpointRequest{}); cerr == nil && cp.GetLogHalted() != "" {
								halted = cp.GetLogHalted()
								rv.Error = errorText(fmt.Errorf("未能与服务器现在的日志核对：%w；服务器报告：%s", err, halted))
							}
							a.textf("✗ %s：事件 %d %s\n", rv.File, rv.Seq, rv.Error)
							continue
						}
						if err != nil && rv.Unwitnessed {
							bad++
							rv.Finding = findingUnwitnessed
							rv.Error = errorText(fmt.Errorf("事件 %d 在规模 %d 的日志中，检查点由日志签名，没有见证签名；"+
								"服务器现在的日志也未能证明经见证包含它：%w", rv.Seq, rv.LogSize, err))
							a.textf("✗ %s：%s\n", rv.File, rv.Error)
							continue
						}
						if errors.Is(err, tlog.ErrServerCheckpoint) {
							// The receipt holds; the server's newest
							// checkpoint does not open with the log's key.
							// It read "N 份存证不成立", as a forged receipt.
							bad++
							badServer++
							rv.Valid, rv.Error, rv.Finding = false, errorText(err), findingServerCheckpoint
							a.textf("✗ %s：事件 %d 的存证本身成立，但%v，无法确认日志未被改写。请保存本存证，报告司法局\n", rv.File, rv.Seq, err)
							continue
						}
						if ne := (*tlog.NotExtendedError)(nil); errors.As(err, &ne) {
							// The receipt holds: it is the server's log
							// that no longer holds what the receipt saw,
							// and the receipt is the evidence of it. It
							// read "✗ 事件 N：…日志被回退" and "N 份存证不
							// 成立", where the page says the receipt holds
							// and to report it (an enterprise's trial of a
							// restore from a backup, 2026-12-07).
							bad++
							notHeld++
							rv.Valid, rv.Error, rv.Finding = false, errorText(err), findingLogNotExtended
							a.textf("✗ %s：事件 %d 的存证本身成立，但服务器现在的日志不再包含存证所见的日志：%v。请保存本存证，报告司法局\n", rv.File, rv.Seq, err)
							continue
						}
						if err != nil {
							bad++
							rv.Valid, rv.Error, rv.Finding = false, errorText(err), findingServerAnswer
							a.textf("✗ 事件 %d：%v\n", rv.Seq, err)
							continue
						}
						if rv.Unwitnessed {
							rv.Valid = true
							a.textf("✓ %s：%s；存证的检查点没有见证签名（取自启用见证策略之前，或见证方未联署时），"+
								"服务器现在经见证方联署的规模 %d 的日志包含它\n", rv.File, receiptHeldText(rv.got), latest.Size)
							a.receiptContent(rv.got)
						}
					}
					return nil
				})
				for _, rv := range verdicts {
					if rv.Unwitnessed && !rv.Valid && rv.Error == "" {
						// The server could not be asked (onlineErr):
						// not shown to hold, and not found not to hold
						// either. Counted as not holding, it made a
						// network blip exit 3 "N 份存证不成立", which a
						// script reads as forged; it is the failed
						// call's exit 1 unless another receipt failed.
						rv.Error = errorText(&tlog.UnwitnessedError{Receipt: rv.got}) + "；未能联网核对服务器现在经见证的日志，稍后再运行 ruqi receipt verify --online"
						rv.Finding = findingUnwitnessed
						a.textf("✗ %s：%s\n", rv.File, rv.Error)
					}
				}
				if onlineErr == nil && bad == 0 && unread == 0 {
					a.textf("✓ 服务器当前的日志包含以上存证所见的日志\n")
				}
			}
			if slices.ContainsFunc(verdicts, func(rv *receiptVerdict) bool { return rv.Valid }) {
				a.textf("%s\n", receiptLimits)
			}
			if a.output == "json" {
				// Also when the server could not be asked: the offline
				// verdicts stand, and the error follows on stderr.
				b, err := json.MarshalIndent(struct {
					Receipts []*receiptVerdict `json:"receipts"`
				}{verdicts}, "", "  ")
				if err != nil {
					return err
				}
				_, _ = a.stdout.Write(append(b, '\n'))
			}
			if onlineErr != nil && bad > 0 {
				// A receipt found not to hold is the finding, whatever
				// could not be asked after it: exit 3, not a failed call
				// (1), which a script archiving proofs reads as "try
				// again" (a review: a rewritten log found for one receipt
				// was reported as a network error when a later call
				// failed).
				return &exitCodeError{code: exitNotValid, err: fmt.Errorf("%s；其余存证未能联网核对：%v", failed(), errorText(onlineErr))}
			}
			if onlineErr != nil {
				return onlineErr
			}
			if bad > 0 {
				return &exitCodeError{code: exitNotValid, err: errors.New(failed())}
			}
			if unread > 0 {
				return fmt.Errorf("%d 个文件未能读取，其中的存证未核验", unread)
			}
			return nil
		},
	}
	vf.add(cmd)
	cmd.Flags().BoolVar(&online, "online", false, "再联网核对服务器当前的日志是否延续存证所见的日志")
	return cmd
}

// What `receipt verify -o json` finds of a receipt that is not valid.
const (
	// findingReceipt: the receipt itself does not hold (altered,
	// damaged, of another log).
	findingReceipt = "receipt"
	// findingLogNotExtended: the receipt holds, but the server's log
	// today does not contain the log it saw (rolled back or rewritten):
	// the receipt is the evidence; keep it and report it.
	findingLogNotExtended = "log_not_extended"
	// findingServerCheckpoint: the receipt holds, but the server's newest
	// checkpoint does not open with the log's key.
	findingServerCheckpoint = "server_checkpoint"
	// findingWitnessesPending: the receipt holds and the server's newest
	// checkpoint extends it, but is not cosigned yet: run again later.
	findingWitnessesPending = "witnesses_pending"
	// findingUnwitnessed: the receipt's checkpoint lacks the cosignatures
	// the witness policy asks for, and the server's witnessed log was not
	// shown to contain it (offline, or the server could not be asked).
	findingUnwitnessed = "unwitnessed"
	// findingServerAnswer: the server answered with what could not be
	// checked against the receipt.
	findingServerAnswer = "server_answer"
	// findingFileUnread: the file could not be read; nothing was checked.
	findingFileUnread = "file_unread"
)

// errReceiptUnread marks a receipt file that could not be read.
var errReceiptUnread = errors.New("读取失败")

// receiptVerdict is what `receipt verify -o json` says of one file.
type receiptVerdict struct {
	File  string `json:"file"`
	Valid bool   `json:"valid"`
	// Error says, in Chinese, why the receipt does not hold, and Finding
	// names it for a script (finding…): a genuine receipt against a log
	// rolled back read valid: false as a forged one did, told apart only
	// by extended_by_server.
	Error        string `json:"error,omitempty"`
	Finding      string `json:"finding,omitempty"`
	Seq          uint64 `json:"seq,omitempty"`
	Type         string `json:"type,omitempty"`
	TypeLabel    string `json:"type_label,omitempty"`
	Time         string `json:"time,omitempty"`
	InspectionID string `json:"inspection_id,omitempty"`
	// EnterpriseUSCC, Detail and Witnesses: whose event, what it recorded,
	// who cosigned the checkpoint (as the text output says them).
	EnterpriseUSCC string   `json:"enterprise_uscc,omitempty"`
	Detail         string   `json:"detail,omitempty"`
	Witnesses      []string `json:"witnesses,omitempty"`
	LogOrigin      string   `json:"log_origin,omitempty"`
	LogSize        uint64   `json:"log_size,omitempty"`
	// LegacyNote is tlog.VerifiedReceipt.LegacyNote: what the receipt of an
	// event hashed before v3 does not prove.
	LegacyNote string `json:"legacy_note,omitempty"`
	// Unwitnessed says the receipt's own checkpoint lacks the cosignatures
	// the witness policy asks for (tlog.UnwitnessedError): with --online it
	// holds (Valid) when the server's latest checkpoint, witnessed, extends
	// it (ExtendedByServer).
	Unwitnessed bool `json:"unwitnessed_checkpoint,omitempty"`
	// ExtendedByServer is set with --online once the server answered:
	// whether its log today extends the one the receipt saw (false: the
	// history the receipt saw was rewritten or forked).
	ExtendedByServer *bool `json:"extended_by_server,omitempty"`

	checkpoint *log.Checkpoint
	got        *tlog.VerifiedReceipt
}

func (rv *receiptVerdict) fill(got *tlog.VerifiedReceipt) {
	e := got.Event
	rv.Valid = true
	rv.Seq, rv.Type, rv.TypeLabel = e.GetSeq(), e.GetType().String(), domain.EventTypeLabel(e.GetType())
	if e.GetTime() != nil {
		rv.Time = e.GetTime().AsTime().Format(time.RFC3339Nano)
	}
	rv.InspectionID = e.GetInspectionId()
	rv.EnterpriseUSCC, rv.Detail, rv.Witnesses = e.GetEnterpriseUscc(), e.GetDetail(), got.Witnesses
	rv.LogOrigin, rv.LogSize = got.Checkpoint.Origin, got.Checkpoint.Size
	rv.LegacyNote = got.LegacyNote()
	rv.checkpoint, rv.got = got.Checkpoint, got
}

// receiptHeldText says what a receipt that holds proves of its event, in
// a front desk's words: whose event, which, when, and who vouches for the
// log. It read "事件 20（企业评价，…）在规模 23 的日志中": no enterprise (another
// enterprise's receipt read ✓ alike), no witness, "规模" for jargon (a trial
// of the 司法局's witness, 2026-12-07).
func receiptHeldText(got *tlog.VerifiedReceipt) string {
	e := got.Event
	kind := fmt.Sprintf("%s，%s", domain.EventTypeLabel(e.GetType()), fmtTime(e.GetTime()))
	if got.LegacyNote() != "" {
		// An old-format event's type and time are outside its hash: not
		// said as unchanged (a review, 2026-12-07), as the page says.
		kind += "，时间和类型未经核验"
	}
	s := fmt.Sprintf("企业 %s 的事件 %d（%s，检查 %s）已记入日志，记入后未被改动（日志共 %d 个事件时的检查点", orDash(e.GetEnterpriseUscc()), e.GetSeq(),
		kind, orDash(e.GetInspectionId()), got.Checkpoint.Size)
	if len(got.Witnesses) > 0 {
		s += "，经见证方 " + strings.Join(got.Witnesses, "、") + " 联署"
	}
	return s + "）"
}

// receiptContent prints, under a receipt that holds, what its event
// recorded (the detail, in Chinese) and what a receipt of an old-format
// event does not prove.
func (a *app) receiptContent(got *tlog.VerifiedReceipt) {
	if d := got.Event.GetDetail(); d != "" {
		a.textf("  记录内容：%s\n", eventDetailLabel(got.Event.GetType(), d))
	}
	if note := got.LegacyNote(); note != "" {
		a.textf("  注意：%s\n", note)
	}
}

// receiptLimits says what no receipt proves, once, under the receipts
// that hold.
const receiptLimits = "注：存证证明所列事件按所示内容记入了日志、此后未被改动；不能证明所记内容属实，也不能证明没有存证之外的事件。"

// textf prints a line of the table output; nothing with -o json, whose
// stdout holds the JSON only.
func (a *app) textf(format string, args ...any) {
	if a.output != "json" {
		fmt.Fprintf(a.stdout, format, args...)
	}
}

func verifyReceiptFile(v *tlog.Verifier, path string) (*tlog.VerifiedReceipt, error) {
	b, err := readBounded(path, tlog.MaxReceiptBytes, "存证文件")
	if err != nil {
		return nil, fmt.Errorf("%w：%w", errReceiptUnread, err)
	}
	rc, err := tlog.ParseReceipt(b)
	if err != nil {
		// Empty, cut short or not JSON: nothing is known of a receipt,
		// which is not a receipt found not to hold (exit 3, "不成立", read
		// as forged: a trial of the 司法局's witness, 2026-12-07).
		return nil, fmt.Errorf("%w：文件不完整或已损坏，%w", errReceiptUnread, err)
	}
	return v.Receipt(rc)
}

// readBounded reads a file the command was given to check, at most max
// bytes: a 2 GB file given by mistake took 19 s and 2.1 GB of memory to be
// refused (the same trial).
func readBounded(path string, max int64, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("文件超过 %d KiB，不是%s", max>>10, what)
	}
	return b, nil
}

// withHalted adds the server's word on its halted log (log_halted) to a
// finding (exit 3).
func withHalted(halted *string, err error) error {
	var ec *exitCodeError
	if *halted == "" || !errors.As(err, &ec) || ec.code != exitNotValid {
		return err
	}
	if ec.err == nil {
		return &exitCodeError{code: exitNotValid, err: fmt.Errorf("服务器报告：%s", *halted)}
	}
	return &exitCodeError{code: exitNotValid, err: fmt.Errorf("%s；服务器报告：%s", errorText(ec.err), *halted)}
}

// notExtendedExit makes a log that does not extend what was seen
// (tlog.NotExtendedError) exit code 3, not a failure to check.
func notExtendedExit(err error) error {
	if ne := (*tlog.NotExtendedError)(nil); errors.As(err, &ne) {
		return &exitCodeError{code: exitNotValid, err: err}
	}
	return err
}

func (a *app) logCommand() *cobra.Command {
	cmd := groupCommand("log", "默克尔事件日志：核对服务器的日志只增不改")
	cmd.AddCommand(a.logVerifyCommand())
	return cmd
}

// checkpointFile is where log verify keeps the last checkpoint it saw of
// the log named origin: one file per log. A single file for every server
// made a check of a second deployment (staging beside the province) read
// as tampering: "上次保存的检查点不成立" (an operator's trial, 2026-12-06).
func checkpointFile(origin string) string {
	name := []byte(origin)
	for i, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			name[i] = '_'
		}
	}
	return filepath.Join(filepath.Dir(defaultKeysCache()), "checkpoints", string(name))
}

// legacyCheckpointState is the one file versions before checkpointFile
// kept for every log: read for the log it holds, if none is kept apart yet
// (checkpointFile).
func legacyCheckpointState() string {
	return filepath.Join(filepath.Dir(defaultKeysCache()), "checkpoint")
}

func (a *app) logVerifyCommand() *cobra.Command {
	var vf verifierFlags
	var state string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "核对服务器当前的日志延续了上次所见的日志（一致性证明），并记下新的检查点",
		Long: "取服务器最新的签名检查点，核对签名（和见证策略），再用一致性证明核对它延续了上次保存在 --state 的检查点，\n" +
			"通过后保存新的检查点。日志被回退、改写或对不同的人显示不同的历史时退出码为 3。",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			v, err := vf.verifier()
			if err != nil {
				return err
			}
			// What the server says of its log goes with every finding: a
			// rollback's or a witness's refusal read "日志被回退" or "见证签名
			// 不足" alone (a review, 2026-12-07).
			halted := ""
			return withHalted(&halted, a.call(cmd, func(ctx context.Context, cc *grpc.ClientConn) error {
				resp, err := ruqiv1.NewLogServiceClient(cc).GetCheckpoint(ctx, &ruqiv1.GetCheckpointRequest{})
				if err != nil {
					return err
				}
				halted = resp.GetLogHalted()
				latest, err := v.Checkpoint([]byte(resp.GetCheckpoint()))
				if latest == nil {
					return &exitCodeError{code: exitNotValid, err: fmt.Errorf("服务器的检查点不成立：%w", err)}
				}
				// Signed by the log but short of the witnesses: refused
				// below, after it is held to the checkpoint saved, so that
				// a rollback or a rewrite, why witnesses refuse, is said
				// as such (tlog.Verifier.LatestExtends).
				unwitnessed := err
				path := state
				if path == "" {
					path = checkpointFile(latest.Origin)
				}
				prev, err := readBounded(path, tlog.MaxReceiptBytes, "检查点文件")
				if errors.Is(err, fs.ErrNotExist) && state == "" {
					// Kept by an older version in its one file: this
					// log's if it verifies as this log's (its
					// cosignatures aside, as the saved state's below).
					if old, lerr := os.ReadFile(legacyCheckpointState()); lerr == nil {
						if cp, _ := v.Checkpoint(old); cp != nil {
							prev, err = old, nil
						}
					}
				}
				state := path
				switch {
				case errors.Is(err, fs.ErrNotExist) && unwitnessed != nil:
					return &exitCodeError{code: exitNotValid, err: fmt.Errorf("服务器的检查点不成立：%w", unwitnessed)}
				case errors.Is(err, fs.ErrNotExist):
					fmt.Fprintf(a.stdout, "首次核对：日志 %s 规模 %d，检查点已保存到 %s\n", latest.Origin, latest.Size, state)
				case err != nil:
					return fmt.Errorf("读取上次的检查点失败：%w", err)
				default:
					// Held to the log's key, not to today's witness
					// policy: it was saved under the policy of its day,
					// and one added or changed since (ruqi keys fetch
					// takes the server's) left every later run refused
					// (exit 1) until the file, and with it what it holds
					// the log to, was deleted. The latest checkpoint
					// still has to meet the policy.
					seen, err := v.Checkpoint(prev)
					if errors.Is(err, tlog.ErrWitnessPolicy) {
						err = nil
					}
					if err != nil {
						return fmt.Errorf("上次保存的检查点 %s 不成立：%w", state, err)
					}
					if err := notExtendedExit(tlog.ProveExtends(ctx, ruqiv1.NewLogServiceClient(cc), seen, latest)); err != nil {
						return err
					}
					if unwitnessed != nil {
						return &exitCodeError{code: exitNotValid, err: fmt.Errorf("服务器的检查点延续了上次所见的日志，但不成立：%w", unwitnessed)}
					}
					if latest.Size == seen.Size {
						fmt.Fprintf(a.stdout, "✓ 日志 %s 规模仍为 %d，与上次所见相同\n", latest.Origin, latest.Size)
					} else {
						fmt.Fprintf(a.stdout, "✓ 日志 %s 由规模 %d 增长到 %d，历史未被改写\n", latest.Origin, seen.Size, latest.Size)
					}
				}
				if err := os.MkdirAll(filepath.Dir(state), 0o755); err != nil {
					return err
				}
				if err := durable.WriteFile(state, []byte(resp.GetCheckpoint()), 0o644); err != nil {
					return err
				}
				// What is signed holds; the server says its log signs, or
				// is cosigned, no more: a finding to report.
				if halted != "" {
					return &exitCodeError{code: exitNotValid} // said by withHalted
				}
				return nil
			}))
		},
	}
	vf.add(cmd)
	cmd.Flags().StringVar(&state, "state", "", "保存上次所见检查点的文件 `FILE`（默认按日志名分别保存在用户缓存目录的 ruqi/checkpoints 下）")
	return cmd
}

func (a *app) witnessCommand() *cobra.Command {
	cmd := groupCommand("witness", "见证方（司法局）：只为延续已见历史的检查点联署")
	cmd.AddCommand(a.witnessServeCommand(), a.witnessKeygenCommand(), a.witnessRewindCommand())
	return cmd
}

func (a *app) witnessKeygenCommand() *cobra.Command {
	var name, keyFile string
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "生成见证方的签名密钥，打印其公钥",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "name", "key-file"); err != nil {
				return err
			}
			if _, err := os.Stat(keyFile); err == nil {
				return fmt.Errorf("%s 已存在：不覆盖已有的见证密钥", keyFile)
			}
			_, vkey, err := tlog.LoadOrCreateKey(keyFile, name)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, vkey)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "见证方名称 `NAME`，如 sifaju.chengdu")
	cmd.Flags().StringVar(&keyFile, "key-file", "", "写入私钥的文件 `FILE`（权限 0600）")
	return cmd
}

func (a *app) witnessServeCommand() *cobra.Command {
	var listen, keyFile, stateFile, ready string
	var logKeys []string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "运行见证服务（C2SP tlog-witness 的 POST /add-checkpoint）",
		Long: "接收日志送来的检查点和一致性证明：签名是所登记日志的、且延续了上次联署的历史时才联署，\n" +
			"否则拒绝（409 规模不符、422 不一致、403 签名无效）。联署过的状态持久保存在 --state，重启后仍然有效。",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "key-file", "log-key", "state"); err != nil {
				return err
			}
			b, err := os.ReadFile(keyFile)
			if err != nil {
				return fmt.Errorf("读取见证密钥失败：%w", err)
			}
			// Held while serving: witness rewind must not write the state
			// under a running witness, which would write it over.
			lock, err := lockWitnessState(stateFile)
			if err != nil {
				return err
			}
			defer lock.Close()
			w, err := tlog.NewWitness(strings.TrimSpace(string(b)), logKeys, stateFile)
			if err != nil {
				return err
			}
			lis, err := net.Listen("tcp", listen)
			if err != nil {
				return err
			}
			if ready != "" {
				if err := os.WriteFile(ready, []byte(lis.Addr().String()), 0o644); err != nil {
					return err
				}
			}
			slog.Info("witness ready", "name", w.Name(), "addr", lis.Addr().String())
			srv := &http.Server{Handler: w, ReadHeaderTimeout: 5 * time.Second}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			go func() {
				<-ctx.Done()
				srv.Close()
			}()
			if err := srv.Serve(lis); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:7490", "监听地址 `ADDR`")
	cmd.Flags().StringVar(&keyFile, "key-file", "", "见证方私钥文件 `FILE`（ruqi witness keygen 生成）")
	cmd.Flags().StringArrayVar(&logKeys, "log-key", nil, "所见证日志的公钥 `VKEY`（可重复）")
	cmd.Flags().StringVar(&stateFile, "state", "", "联署状态文件 `FILE`")
	cmd.Flags().StringVar(&ready, "ready-file", "", "监听后写入实际地址的文件 `FILE`（供脚本和测试）")
	return cmd
}

// lockWitnessState takes the lock of a witness's state file.
func lockWitnessState(stateFile string) (*os.File, error) {
	lock, err := durable.Lock(stateFile + ".lock")
	if errors.Is(err, durable.ErrLocked) {
		return nil, fmt.Errorf("见证状态 %s 正被另一个进程使用（见证服务正在运行？）", stateFile)
	}
	return lock, err
}

func (a *app) witnessRewindCommand() *cobra.Command {
	var stateFile, origin, reason string
	cmd := &cobra.Command{
		Use:   "rewind",
		Short: "日志从备份恢复后，有意放下对它已联署的历史（须先停止见证服务）",
		Long: "日志从备份恢复后规模变小、历史不同，见证方会（正确地）把它当作分叉，拒绝此后的每个检查点。\n" +
			"司法局确认恢复属实后，可用本命令放下对该日志已联署的历史：下一个检查点将像第一个一样联署。\n" +
			"放下的规模、根哈希、时间和理由保存在状态文件的 rewound 中，作为日志曾被回退、见证方知情的证据。",
		Example: `  ruqi witness rewind --state witness-state.json --origin ruqi.chengdu/log --reason "2026-12-05 数据库从备份恢复，经司法局确认"`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := requireFlags(cmd, "state", "origin", "reason"); err != nil {
				return err
			}
			if _, err := os.Stat(stateFile); err != nil {
				return fmt.Errorf("见证状态文件 %s 不存在或无法读取（--state 应为 witness serve 所用的同一文件）", stateFile)
			}
			lock, err := lockWitnessState(stateFile)
			if err != nil {
				return err
			}
			defer lock.Close()
			r, err := tlog.RewindWitness(stateFile, origin, reason, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "已放下日志 %s 规模 %d 的联署历史（根 %s），记录于 %s。\n重新启动见证服务后，日志的下一个检查点将作为新的开始联署。\n",
				origin, r.Size, base64.StdEncoding.EncodeToString(r.Root), stateFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&stateFile, "state", "", "联署状态文件 `FILE`")
	cmd.Flags().StringVar(&origin, "origin", "", "日志的名称 `ORIGIN`（检查点的第一行，如 ruqi.chengdu/log）")
	cmd.Flags().StringVar(&reason, "reason", "", "理由 `TEXT`，保存在状态文件中")
	return cmd
}
