package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// maxReceiptUpload bounds the receipt file the page takes.
const maxReceiptUpload = tlog.MaxReceiptBytes

// receiptCheckData is the page that checks a receipt (存证): the form, and
// what the check found.
type receiptCheckData struct {
	Banner *banner
	Lines  []string
}

// receiptCheckForm shows the form: an enterprise with a phone only kept
// receipts it could not check (ruqi receipt verify needs a computer).
func (s *server) receiptCheckForm(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, "receiptcheck", "核验存证", receiptCheckData{})
}

// receiptCheck checks an uploaded receipt as `ruqi receipt verify --online`
// does: offline against the log's key and witness policy this server
// publishes, then that the server's log today still extends the log the
// receipt saw. It is the server checking its own record: the page says
// so, and how to check without it.
func (s *server) receiptCheck(w http.ResponseWriter, r *http.Request) {
	bad := func(code int, detail string) {
		render(w, code, "receiptcheck", "核验存证", receiptCheckData{Banner: badBanner("存证不成立", detail)})
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxReceiptUpload+4<<10)
	f, _, err := r.FormFile("receipt")
	if err != nil {
		if _, tooLong := errors.AsType[*http.MaxBytesError](err); tooLong {
			bad(http.StatusRequestEntityTooLarge, fmt.Sprintf("文件超过 %d KiB，不是存证文件", maxReceiptUpload>>10))
			return
		}
		render(w, http.StatusBadRequest, "receiptcheck", "核验存证", receiptCheckData{Banner: waitBanner("未选择文件", "请选择下载保存的存证文件（receipt-….json）后再核验")})
		return
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxReceiptUpload+1))
	if err != nil {
		bad(http.StatusBadRequest, "文件读取失败，请重新选择")
		return
	}
	if len(b) > maxReceiptUpload {
		bad(http.StatusRequestEntityTooLarge, fmt.Sprintf("文件超过 %d KiB，不是存证文件", maxReceiptUpload>>10))
		return
	}
	if s.cfg.LogKey == "" {
		render(w, http.StatusServiceUnavailable, "receiptcheck", "核验存证", receiptCheckData{Banner: waitBanner("暂不能核验", "本服务器未公布日志公钥")})
		return
	}
	v, err := tlog.NewVerifier(s.cfg.LogKey, []byte(s.cfg.WitnessPolicy))
	if err != nil {
		render(w, http.StatusServiceUnavailable, "receiptcheck", "核验存证", receiptCheckData{Banner: waitBanner("暂不能核验", "本服务器公布的日志公钥或见证策略不成立，请告知管理员")})
		return
	}
	rc, err := tlog.ParseReceipt(b)
	if err != nil {
		bad(http.StatusUnprocessableEntity, err.Error())
		return
	}
	got, err := v.Receipt(rc)
	// A receipt whose checkpoint lacks the cosignatures today's policy asks
	// for (fetched before the policy, or while the witnesses were down)
	// holds if the log's latest checkpoint, witnessed, extends it: checked
	// below (tlog.UnwitnessedError).
	uw := (*tlog.UnwitnessedError)(nil)
	if errors.As(err, &uw) {
		got, err = uw.Receipt, nil
	}
	if err != nil {
		bad(http.StatusUnprocessableEntity, err.Error())
		return
	}
	e := got.Event
	// What the receipt proves of its event: every field of a v3 event; of
	// an older one (LegacyNote) neither its time nor its type, which the
	// file may have changed and the event's hash does not see, so the page
	// does not call such an event unchanged nor show its time and type as
	// checked.
	note := got.LegacyNote()
	unchanged, unchecked := "事件未被改动", ""
	if note != "" {
		unchanged, unchecked = "事件的检查、企业、执法人员和说明未被改动（时间和类型不在其哈希之内，见下）", "（时间和类型未经核验）"
	}
	lines := []string{
		fmt.Sprintf("事件：日志第 %d 条，%s，%s%s", e.GetSeq(), domain.EventTypeLabel(e.GetType()), domain.FormatTime(e.GetTime().AsTime()), unchecked),
	}
	if id := e.GetInspectionId(); id != "" {
		lines = append(lines, "检查编号："+id)
	}
	if u := e.GetEnterpriseUscc(); u != "" {
		lines = append(lines, "企业："+u)
	}
	if o := e.GetOfficerId(); o != "" {
		lines = append(lines, "执法人员："+o)
	}
	if uw != nil {
		lines = append(lines, fmt.Sprintf("在规模 %d 的日志中，检查点由日志签名，没有见证签名（存证取自启用见证策略之前，或取自见证方未联署时）", got.Checkpoint.Size))
	} else {
		lines = append(lines, fmt.Sprintf("在规模 %d 的日志中，检查点由日志%s签名", got.Checkpoint.Size, witnessedBy(s.cfg.WitnessPolicy)))
	}
	if note != "" {
		lines = append(lines, "注意："+note)
	}

	ctx, cancel := s.callContext(r)
	defer cancel()
	logs := ruqiv1.NewLogServiceClient(s.cfg.API)
	latest, err := v.LatestExtends(ctx, logs, got.Checkpoint)
	if ne := (*tlog.NotExtendedError)(nil); errors.As(err, &ne) && uw != nil {
		// Only the log's key vouches for the receipt's tree, and the
		// witnessed log does not hold it: a tree the log signed and never
		// showed the witnesses (a fork) reads so too. Not that the receipt
		// holds, as of a witnessed one below; ruqi receipt verify --online
		// counts it as not holding.
		render(w, http.StatusOK, "receiptcheck", "核验存证", receiptCheckData{
			Banner: badBanner("存证不成立", "存证的检查点由日志签名，没有见证签名，服务器现在经见证的日志也不包含存证所见的日志（"+ne.Error()+"）：不能证明事件在见证方见过的日志中。请保存本存证，报告司法局。"),
			Lines:  lines})
		return
	}
	if ne := (*tlog.NotExtendedError)(nil); errors.As(err, &ne) {
		render(w, http.StatusOK, "receiptcheck", "核验存证", receiptCheckData{
			Banner: badBanner("日志被改写", "存证本身成立，但服务器现在的日志不再包含存证所见的日志："+ne.Error()+"。请保存本存证，报告司法局。"),
			Lines:  lines})
		return
	}
	if errors.Is(err, tlog.ErrServerCheckpoint) {
		// The server's own log key does not open its latest checkpoint:
		// it signs what is not its log's, or its key was swapped. It read
		// "稍后可再核验一次", as a call that failed (a review, 2026-12-07).
		found := "服务器现在给出的检查点不能以本服务器公布的日志公钥验证（" + err.Error() + "），无法确认日志未被改写。请保存本存证，报告司法局。"
		banner := badBanner("服务器的检查点不成立", "存证本身成立（"+unchanged+"，在签名的日志中），但"+found)
		if uw != nil {
			banner = badBanner("不能确认", "存证的检查点没有见证签名，只能与服务器现在经见证的日志比对；"+found)
		}
		render(w, http.StatusOK, "receiptcheck", "核验存证", receiptCheckData{Banner: banner, Lines: lines})
		return
	}
	banner := okBanner("存证成立", unchanged+"，在签名的日志中；服务器现在的日志仍包含存证所见的日志，历史未被改写")
	if uw != nil && err != nil {
		// Only the witnessed checkpoint that extends it vouches for it.
		render(w, http.StatusOK, "receiptcheck", "核验存证", receiptCheckData{
			Banner: waitBanner("暂不能确认", "存证的检查点没有见证签名，暂未能与服务器现在经见证的日志比对（"+compareMessage(err)+"），稍后再核验一次"),
			Lines:  lines})
		return
	}
	if uw != nil {
		banner = okBanner("存证成立", unchanged+"，在日志中；存证的检查点没有见证签名，服务器现在经见证方联署的日志包含它，历史未被改写")
		lines = append(lines, fmt.Sprintf("服务器现在经见证的日志规模 %d，包含存证所见的规模 %d", latest.Size, got.Checkpoint.Size))
	} else if err != nil {
		banner = okBanner("存证成立", unchanged+"，在签名的日志中。暂未能与服务器现在的日志比对（"+compareMessage(err)+"），稍后可再核验一次")
	} else {
		lines = append(lines, fmt.Sprintf("服务器现在的日志规模 %d，包含存证所见的规模 %d", latest.Size, got.Checkpoint.Size))
	}
	render(w, http.StatusOK, "receiptcheck", "核验存证", receiptCheckData{Banner: banner, Lines: lines})
}

// witnessedBy says who signed the checkpoints besides the log.
func witnessedBy(policy string) string {
	if policy == "" {
		return ""
	}
	return "和见证策略所列见证方"
}

// compareMessage says why the server's latest checkpoint could not be
// compared: a failed call in the API's words, or what the check found of
// the checkpoint (short of cosignatures: the witnesses have not answered
// yet), which apiMessage, meant for calls, read as the server's internal
// error.
func compareMessage(err error) string {
	if _, isCall := status.FromError(err); isCall {
		return apiMessage(err)
	}
	return err.Error()
}
