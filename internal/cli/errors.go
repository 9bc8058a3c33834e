package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"
	"syscall"
	"time"
	"unicode"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// printError writes err to stderr. A gRPC status is shown as
// "错误：<message>（<code in Chinese>）"; in table mode a second line gives the
// google.rpc.ErrorInfo reason and metadata as 错误代码, in json mode the whole status
// as one line of JSON, for scripts.
func (a *app) printError(err error) {
	a.printErrorTo(safeWriter{a.stderr}, err) // the server's words, as on stdout
}

func (a *app) printErrorTo(stderr io.Writer, err error) {
	// A lost answer's hint follows the error line, and stands in for the
	// advice that the server may be down: it was up, and took the call (an
	// operator's trial, 2026-12-06, read the hint first and the advice
	// last).
	after := a.afterError
	a.afterError = ""
	defer fmt.Fprint(stderr, after)
	hint := a.hint
	a.hint = ""
	defer func() {
		if hint != "" {
			fmt.Fprint(stderr, hint)
		}
	}()
	st, ok := status.FromError(err)
	if !ok {
		switch {
		case errors.Is(err, context.Canceled):
			// Ctrl-C while a command waited (ruqi login, a backup):
			// not Go's "context canceled".
			fmt.Fprintln(stderr, "已取消（Ctrl-C）。")
		case errors.Is(err, context.DeadlineExceeded):
			fmt.Fprintf(stderr, "错误：等待超时（%v）。\n", a.timeout)
		default:
			fmt.Fprintf(stderr, "错误：%s\n", errorText(err))
		}
		return
	}
	msg, transport := a.transportMessage(st)
	if transport {
		// gRPC's own words (the connection, not the server): said in the
		// user's, with the original beside it for whoever debugs.
		fmt.Fprintf(stderr, "错误：%s（%s）\n详情：%s\n", msg, codeLabel(st.Code()), st.Message())
	} else if label := codeLabel(st.Code()); strings.HasSuffix(st.Message(), label) {
		// "…不属于您的部门，无权操作" says its kind already: not twice.
		fmt.Fprintf(stderr, "错误：%s\n", st.Message())
	} else {
		fmt.Fprintf(stderr, "错误：%s（%s）\n", st.Message(), label)
	}
	if a.output == "json" {
		b, merr := protojson.Marshal(st.Proto())
		if merr == nil {
			fmt.Fprintf(stderr, "%s\n", b)
		}
		return
	}
	info := errorInfo(st)
	if info != nil {
		fmt.Fprintf(stderr, "错误代码：%s%s\n", info.GetReason(), fmtMetadata(info.GetMetadata()))
		if h := reasonHints[info.GetReason()]; h != "" {
			fmt.Fprintf(stderr, "提示：%s\n", h)
		}
		return
	}
	switch st.Code() {
	case codes.Unavailable:
		if hint != "" {
			return
		}
		if h := a.tlsHint(st); h != "" {
			fmt.Fprintf(stderr, "提示：%s\n", h)
			return
		}
		fmt.Fprintf(stderr, "提示：请确认服务器 %s 已启动且可以连通（--server 或 %s）。\n", a.server, envServer)
		if a.tlsCA != "" {
			fmt.Fprintf(stderr, "提示：已用 TLS 连接（--tls-ca）：请确认服务器启用了 TLS，且其证书由 %s 中的 CA 签发、与地址 %s 相符。\n", a.tlsCA, a.server)
		}
	case codes.Unimplemented:
		if !transport { // gRPC says Unimplemented for an HTTP 404 too
			fmt.Fprintln(stderr, "提示：服务器尚不支持此功能，可能是服务器版本较旧。")
		}
	case codes.DeadlineExceeded:
		fmt.Fprintf(stderr, "提示：服务器在 %v 内没有应答，可用 --timeout 放宽。\n", a.timeout)
	case codes.Unauthenticated:
		if a.token != "" || a.tokenFile != "" {
			return // the server's message says what is wrong with the token
		}
		fmt.Fprintf(stderr, "提示：请用 --token 或 --token-file，或环境变量 %s、%s 提供访问令牌。\n", envToken, envTokenFile)
	}
}

// errorText is err's message with the operating system's words for a file
// (Go's *fs.PathError, "open code.png: no such file or directory") said in
// Chinese, after the file's name: a mistyped PNG or receipt was told in
// English (a trial as an enterprise, 2026-12-06).
func errorText(err error) string {
	msg := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		msg = strings.Replace(msg, pe.Error(), pe.Path+"："+fileProblem(pe.Err), 1)
	}
	return msg
}

// fileProblem names what went wrong with a file, in Chinese where it is
// one of the common cases.
func fileProblem(err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "文件或目录不存在"
	case errors.Is(err, fs.ErrPermission):
		return "没有访问权限"
	case errors.Is(err, fs.ErrExist):
		return "文件已存在"
	case errors.Is(err, syscall.EISDIR):
		return "这是目录，不是文件"
	case errors.Is(err, syscall.ENOTDIR):
		return "路径中有一段不是目录"
	case errors.Is(err, syscall.ENOSPC):
		return "磁盘空间不足"
	case errors.Is(err, syscall.EROFS):
		return "文件系统只读"
	}
	return err.Error()
}

// codeLabel is the Chinese label of c (domain.StatusLabel): the error line
// is read by people, and "（ResourceExhausted）" told them nothing (the code
// itself is in the JSON output for scripts, and the reason code on the next
// line for whoever helps them).
func codeLabel(c codes.Code) string { return domain.StatusLabel(c) }

// transportMessage says in Chinese what a status made by gRPC itself, not
// by the server, means: the server's messages are Chinese, gRPC's are not
// (an operator's trial, 2026-12-05, met "error reading from server: EOF",
// "http2: frame too large" and "connection error: desc = …" as the error
// line).
func (a *app) transportMessage(st *status.Status) (string, bool) {
	if strings.ContainsFunc(st.Message(), func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
		return "", false
	}
	m := st.Message()
	switch {
	case strings.Contains(m, "http2: frame too large") || strings.Contains(m, "malformed header") || strings.Contains(m, "unexpected HTTP status") || strings.Contains(m, "missing HTTP content-type"):
		return fmt.Sprintf("服务器 %s 的应答不是 gRPC：--server 是否指向了网页（HTTP）端口？gRPC 端口默认为 7400", a.server), true
	case st.Code() == codes.Unavailable:
		return fmt.Sprintf("无法连接服务器 %s，或连接中断", a.server), true
	case st.Code() == codes.DeadlineExceeded:
		return fmt.Sprintf("服务器 %s 在 %v 内没有应答", a.server, a.timeout), true
	case st.Code() == codes.Canceled:
		return "已取消", true
	case st.Code() == codes.ResourceExhausted && strings.HasPrefix(m, "grpc: received message larger than max"):
		// The server's limit on a request (1 MiB), met before any of its
		// code runs (the command line takes answers of any size, conn.go): a draw list of 60,000 enterprises read "grpc:
		// received message larger than max (1200050 vs. 1048576)" (a
		// trial of bad input, 2026-12-07).
		var got, limit int64
		if _, err := fmt.Sscanf(m, "grpc: received message larger than max (%d vs. %d)", &got, &limit); err == nil {
			return fmt.Sprintf("消息过大（%s，上限 %s），未被接收：名单等较长的内容请分批提交", byteSize(got), byteSize(limit)), true
		}
		return "消息过大，未被接收：名单等较长的内容请分批提交", true
	case st.Code() == codes.Unimplemented && (strings.HasPrefix(m, "unknown method ") || strings.HasPrefix(m, "unknown service ")):
		// gRPC's "unknown method BackupStore for service …": a server
		// older than the command line (an upgrade trial, 2026-12-07, read
		// it half in English before a backup it could not take).
		return fmt.Sprintf("服务器 %s 的版本较旧，没有这项功能；请先升级服务器，或用与服务器同版本的 ruqi", a.server), true
	}
	return "", false
}

// reasonHints name the flag that answers a refusal: the server's message
// says what is wrong in any client's words, the CLI adds how to say it here.
var reasonHints = map[string]string{
	"TOKEN_CHECK_UNAVAILABLE": "服务器已应答，但其数据库暂时无法访问，本次操作未执行；稍后原样重试即可，如持续出现请联系管理员",
	"WINDOW_IN_PAST":          "紧急检查已经实施的，可用 --late-reason \"原因\" 事后补录（--from 为实际开始时间）",
	"WINDOW_ENDED":            "紧急检查已经实施的，可用 --late-reason \"原因\" 事后补录（--from 为实际开始时间）",
	"AGENCY_MISSING":          "用 --agency 指定执法部门编号，如 --agency AG-01",
	"TRIGGER_MISSING":         "用 --trigger 注明来源编号，如 --trigger JB-2026-0107",
	"TRIGGER_FOR_OTHER_TYPE":  "去掉 --trigger，或用 --type case 报备个案检查",
	"PLAN_MISSING":            "用 --plan 注明所依据的已批准计划编号（ruqi plan list 查看本部门的计划）",
	"PLAN_FOR_OTHER_TYPE":     "去掉 --plan，或用 --type special 报备专项检查",
	"DRAW_NOT_RANDOM":         "去掉 --draw，或用 --type random 报备双随机抽查",
	"LATE_NOT_STARTED":        "事后补录时 --from 是检查实际开始的时间，应早于现在",
	"VISIT_HAS_ITEMS":         "不是行政检查的入企不填 --items 和 --type",
	"VISIT_HAS_TYPE":          "不是行政检查的入企不填 --items 和 --type",
	"ITEMS_EMPTY":             "用 --items 列出检查事项编号，以逗号分隔",
	"TOO_FEW_OFFICERS":        "用 --officers 列出执法人员编号，以逗号分隔",
	"PLAN_VERSION_REQUIRED":   "用 ruqi plan show 计划编号 查看所审阅的版本，再用 --version N 批准",
	"NO_FINDING_STREAK":       "用 --streak-reason \"理由\" 说明再次检查的理由（如 新的投诉举报、整改复查）后重新报备：被拒的报备没有生效",
	"DEADLINE_PAST":           "整改期限应晚于今天：--item 事项编号=rectify:YYYY-MM-DD",
	"DEADLINE_MISSING":        "责令整改的事项须写明整改期限：--item 事项编号=rectify:YYYY-MM-DD（晚于今天）",
}

// errorInfo returns the first google.rpc.ErrorInfo among the details.
func errorInfo(st *status.Status) *errdetails.ErrorInfo {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info
		}
	}
	return nil
}

// fmtMetadata shows ErrorInfo metadata as "（k=v，k=v）", keys sorted.
func fmtMetadata(md map[string]string) string {
	if len(md) == 0 {
		return ""
	}
	keys := make([]string, 0, len(md))
	for k := range md {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + md[k]
	}
	return "（" + strings.Join(parts, "，") + "）"
}

// refusedBeforeWriting are the UNAVAILABLE answers of a registration that
// wrote nothing: the coordinator could not decide, the decision was fenced
// six times and released, the replica's policies are not the store's. A
// retry hint would tell the officer it may have taken effect (an operator's
// trial, 2026-12-05).
var refusedBeforeWriting = map[string]bool{"COORDINATOR_UNAVAILABLE": true, "REGISTRATION_RESEEDED": true, "POLICY_DIFFERS": true, "REDIS_OF_ANOTHER_STORE": true,
	// A matching run that other runs overtook each time it decided.
	"MATCHING_CONTENDED": true,
	// Refused at sign-in, before any handler (any call, not only a
	// registration).
	"TOKEN_CHECK_UNAVAILABLE": true}

// mayHaveSucceeded reports whether an RPC that failed with err may still
// have taken effect on the server, so that the user should retry with the
// same request id rather than a new one.
// retryHint tells how to repeat a call whose answer was lost without
// doing it twice: the same request id, and the times as they were resolved
// (a retry that says now+2h again would name another window, and be
// refused as the id reused).
func retryHint(done, what, requestID string, from, to time.Time) string {
	return fmt.Sprintf("提示：%s。重试时请用同一请求编号和同一时段，加上 --request-id %s --from %s --to %s （代替原来的时间参数），以免重复%s。\n",
		done, requestID, from.In(shanghai).Format(time.RFC3339), to.In(shanghai).Format(time.RFC3339), what)
}

func mayHaveSucceeded(err error) bool {
	var usage *usageError
	if errors.As(err, &usage) {
		return false // refused here, before anything was sent
	}
	if st, ok := status.FromError(err); ok {
		if info := errorInfo(st); info != nil && refusedBeforeWriting[info.GetReason()] {
			return false
		}
	}
	switch status.Code(err) {
	case codes.Unavailable:
		// A connection that was never made sent nothing: no hint that the
		// call may have taken effect (a trial of the CLI, 2026-12-05).
		return !strings.Contains(status.Convert(err).Message(), "Error while dialing")
	case codes.DeadlineExceeded, codes.Canceled:
		// Given up while gRPC's picker still waited for a connection (a
		// stopped server whose kernel accepts the connection, a TLS
		// handshake that never ends): no stream was opened, nothing sent
		// (an operator's trial, 2026-12-06, was told the registration
		// might have taken effect).
		return !neverSent(status.Convert(err).Message())
	case codes.Unknown, codes.Internal:
		return true
	}
	return false
}

// neverSent tells, from its message, an RPC that grpc-go's picker failed
// before any transport took it (picker_wrapper.go).
func neverSent(msg string) bool {
	return strings.HasSuffix(msg, "while waiting for connections to become ready") || strings.HasPrefix(msg, "latest balancer error: ")
}

// Hints after a lost answer (mayHaveSucceeded) of a step that names no
// request id: the connection broke, and the step may stand. Without them
// the officer read only "请确认服务器已启动", retried, and was refused
// (already cancelled, already closed) as if the step had failed (an
// agency's trial, 2026-12-06). Registration, plans and draws print their
// own hint with the request id to retry with.
const (
	checkThenRetry = "连接在服务器应答前中断，此操作可能已经生效。请先查看当前状态，再决定是否重试。"
	retrySafely    = "连接在服务器应答前中断，此操作可能已经记录。原样再运行一次即可：同一内容当天只记录一次。"
	retryPublish   = "连接在服务器应答前中断，检查计划可能已经公示。原样再运行一次即可：已公示的计划会如实告知，不会重复公示。"
	retryApprove   = "连接在服务器应答前中断，检查计划可能已经批准。原样再运行一次即可：已批准的版本会如实告知，不会重复批准。"
)

var lostAnswerHints = map[string]string{
	ruqiv1.InspectionService_CancelInspection_FullMethodName:     checkThenRetry,
	ruqiv1.InspectionService_RecordResult_FullMethodName:         checkThenRetry,
	ruqiv1.PlanService_AmendPlan_FullMethodName:                  checkThenRetry,
	ruqiv1.PlanService_ApprovePlan_FullMethodName:                retryApprove,
	ruqiv1.PlanService_PublishPlan_FullMethodName:                retryPublish,
	ruqiv1.MatchingService_RespondToProposal_FullMethodName:      checkThenRetry,
	ruqiv1.MatchingService_SubmitPlanCoverage_FullMethodName:     checkThenRetry,
	ruqiv1.EnterpriseService_EvaluateInspection_FullMethodName:   checkThenRetry,
	ruqiv1.SupervisionService_UpdateLead_FullMethodName:          checkThenRetry,
	ruqiv1.SupervisionService_RecordAccompaniment_FullMethodName: checkThenRetry,
	ruqiv1.SupervisionService_AttachSupervisor_FullMethodName:    checkThenRetry,
	ruqiv1.DirectoryService_SetCertificateStatus_FullMethodName:  checkThenRetry,
	ruqiv1.DoorService_RecordArrival_FullMethodName:              checkThenRetry,
	ruqiv1.DrawService_RevealDraw_FullMethodName:                 checkThenRetry,
	ruqiv1.AdminService_RevokeAccessToken_FullMethodName:         checkThenRetry,
	ruqiv1.EnterpriseService_Complain_FullMethodName:             retrySafely,
	ruqiv1.EnterpriseService_RefuseInspection_FullMethodName:     retrySafely,
}

// byteSize says n bytes as a person reads it.
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d 字节", n)
}
