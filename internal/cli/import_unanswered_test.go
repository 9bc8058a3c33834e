package cli

import (
	"context"
	"errors"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A batch whose call timed out, was cancelled or lost its connection may
// be in the store; one the server refused is not (an operator's trial,
// 2026-12-07: a timed-out first batch was said as "尚未导入任何记录" while
// the store held it).
func TestAnswerUnknown(t *testing.T) {
	live := context.Background()
	cancelled, cancel := context.WithCancel(live)
	cancel()
	for _, c := range []struct {
		ctx  context.Context
		err  error
		want bool
	}{
		{live, status.Error(codes.DeadlineExceeded, "context deadline exceeded"), true},
		{live, status.Error(codes.Unavailable, "connection reset"), true},
		{live, status.Error(codes.Canceled, "context canceled"), true},
		{live, errors.New("EOF"), true},
		{cancelled, status.Error(codes.InvalidArgument, "bad"), true},
		{live, status.Error(codes.InvalidArgument, "行政区划代码应为6位数字"), false},
		{live, status.Error(codes.PermissionDenied, "denied"), false},
		{live, status.Error(codes.FailedPrecondition, "ITEM_TEXT_FIXED"), false},
	} {
		if got := answerUnknown(c.ctx, c.err); got != c.want {
			t.Errorf("answerUnknown(%v, ctx err %v) = %v, want %v", c.err, c.ctx.Err(), got, c.want)
		}
	}
}

func TestImportedSoFar_UnansweredBatch(t *testing.T) {
	first := importedSoFar("d.ndjson", "d.ndjson.progress", importProgress{Sent: [2]int{1, 5000}})
	later := importedSoFar("d.ndjson", "d.ndjson.progress", importProgress{Line: 5000, Done: [4]int32{0, 0, 5000, 0}, Sent: [2]int{5001, 10000}})
	none := importedSoFar("d.ndjson", "d.ndjson.progress", importProgress{})
	for _, c := range []struct{ got, want, not string }{
		{first, "第 1–5000 行这一批已发出但未收到应答，服务器可能已经导入", "尚未导入任何记录"},
		{later, "前 5000 行（执法部门 0、执法人员 0、企业 5000、检查事项 0）；第 5001–10000 行这一批已发出但未收到应答，服务器可能已经导入", "第 5001 行起未导入"},
		{none, "尚未导入任何记录", "可能"},
	} {
		if !strings.Contains(c.got, c.want) || strings.Contains(c.got, c.not) {
			t.Errorf("says %q, want %q and not %q", c.got, c.want, c.not)
		}
	}
}
