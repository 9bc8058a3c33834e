package domain

import (
	"google.golang.org/grpc/codes"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// statusLabels name a gRPC status code in people's words, for the command
// line's error lines and the simulator's summary alike.
var statusLabels = map[codes.Code]string{
	codes.Canceled:           "已取消",
	codes.Unknown:            "未知错误",
	codes.InvalidArgument:    "输入有误",
	codes.DeadlineExceeded:   "超时",
	codes.NotFound:           "未找到",
	codes.AlreadyExists:      "已存在",
	codes.PermissionDenied:   "无权操作",
	codes.ResourceExhausted:  "超出限额",
	codes.FailedPrecondition: "当前状态不允许",
	codes.Aborted:            "操作冲突，请重试",
	codes.OutOfRange:         "超出范围",
	codes.Unimplemented:      "服务器不支持",
	codes.Internal:           "服务器内部错误",
	codes.Unavailable:        "服务暂不可用",
	codes.DataLoss:           "数据损坏",
	codes.Unauthenticated:    "身份未验证",
}

// StatusLabel is the Chinese label of c, or its English name for a code
// gRPC may add later.
func StatusLabel(c codes.Code) string {
	if l, ok := statusLabels[c]; ok {
		return l
	}
	return c.String()
}

// VerdictLabel names a scan's verdict for people; "" for a value this
// build does not know.
func VerdictLabel(v ruqiv1.Verdict) string {
	switch v {
	case ruqiv1.Verdict_VERDICT_VALID:
		return "核验通过"
	case ruqiv1.Verdict_VERDICT_BAD_SIGNATURE:
		return "签名无效（伪造或被篡改）"
	case ruqiv1.Verdict_VERDICT_UNKNOWN_KEY:
		return "签名密钥未知"
	case ruqiv1.Verdict_VERDICT_NOT_YET_VALID:
		return "未到检查时间"
	case ruqiv1.Verdict_VERDICT_EXPIRED:
		return "已过期"
	case ruqiv1.Verdict_VERDICT_CANCELLED:
		return "检查已撤销"
	case ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE:
		return "非本企业的检查"
	case ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID:
		return "执法证无效"
	case ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION:
		return "无此报备"
	case ruqiv1.Verdict_VERDICT_CLOSED:
		return "检查已办结"
	case ruqiv1.Verdict_VERDICT_MALFORMED:
		return "不是有效的入企码"
	case ruqiv1.Verdict_VERDICT_TOO_FEW_OFFICERS:
		return "持证执法人员不足"
	}
	return ""
}
