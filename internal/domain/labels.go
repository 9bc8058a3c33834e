package domain

import (
	"fmt"

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
		// Not "执法证无效": the officer may be valid and moved to another
		// agency, or renumbered (OfficerProblem; a review, 2026-12-07).
		return "执法人员不能实施此检查"
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

// EventTypeLabel names an event type as people read it: in the command
// line's tables and on the page that checks a receipt.
func EventTypeLabel(t ruqiv1.EventType) string {
	switch t {
	case ruqiv1.EventType_EVENT_TYPE_REGISTERED:
		return "报备"
	case ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED:
		return "签发入企码"
	case ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED:
		return "扫码核验通过"
	case ruqiv1.EventType_EVENT_TYPE_SCAN_REJECTED:
		return "扫码核验未通过"
	case ruqiv1.EventType_EVENT_TYPE_REFUSED:
		return "企业拒绝检查"
	case ruqiv1.EventType_EVENT_TYPE_CANCELLED:
		return "撤销报备"
	case ruqiv1.EventType_EVENT_TYPE_KEY_ROTATED:
		return "轮换签名密钥"
	case ruqiv1.EventType_EVENT_TYPE_DIRECTORY_IMPORTED:
		return "导入名录"
	case ruqiv1.EventType_EVENT_TYPE_TOKEN_ISSUED:
		return "签发访问令牌"
	case ruqiv1.EventType_EVENT_TYPE_MERGED:
		return "并入联合检查"
	case ruqiv1.EventType_EVENT_TYPE_DUPLICATE_REFUSED:
		return "重复报备被拒"
	case ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED:
		return "超频次上限被拒"
	case ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING:
		return "频次预警"
	case ruqiv1.EventType_EVENT_TYPE_WITHDRAWN:
		return "退出联合检查"
	case ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED:
		return "记录检查结果"
	case ruqiv1.EventType_EVENT_TYPE_COMPLETED:
		return "办结"
	case ruqiv1.EventType_EVENT_TYPE_EVALUATED:
		return "企业评价"
	case ruqiv1.EventType_EVENT_TYPE_COMPLAINED:
		return "企业投诉"
	case ruqiv1.EventType_EVENT_TYPE_LEAD_OPENED:
		return "生成问题线索"
	case ruqiv1.EventType_EVENT_TYPE_LEAD_UPDATED:
		return "线索处理"
	case ruqiv1.EventType_EVENT_TYPE_LATE_REGISTERED:
		return "事后补录报备"
	case ruqiv1.EventType_EVENT_TYPE_TOKEN_REVOKED:
		return "吊销令牌"
	case ruqiv1.EventType_EVENT_TYPE_CERTIFICATE_CHANGED:
		return "执法证状态变更"
	case ruqiv1.EventType_EVENT_TYPE_OFFICER_CHANGED:
		return "执法人员调动或换证"
	case ruqiv1.EventType_EVENT_TYPE_ENTERPRISE_CODE_ISSUED:
		return "生成企业码"
	case ruqiv1.EventType_EVENT_TYPE_ARRIVED:
		return "执法人员到场登记"
	case ruqiv1.EventType_EVENT_TYPE_ARRIVAL_REFUSED:
		return "到场登记被拒"
	case ruqiv1.EventType_EVENT_TYPE_MUTUALLY_VERIFIED:
		return "两码互核"
	case ruqiv1.EventType_EVENT_TYPE_DOOR_WARNING:
		return "不扫码/虚假扫码预警"
	case ruqiv1.EventType_EVENT_TYPE_DRAW_COMMITTED:
		return "双随机抽取承诺"
	case ruqiv1.EventType_EVENT_TYPE_DRAW_REVEALED:
		return "双随机抽取揭晓"
	case ruqiv1.EventType_EVENT_TYPE_SUPERVISOR_ATTACHED:
		return "登记伴随监督"
	case ruqiv1.EventType_EVENT_TYPE_ACCOMPANIMENT_RECORDED:
		return "伴随监督记录"
	case ruqiv1.EventType_EVENT_TYPE_PLAN_FILED:
		return "提交检查计划"
	case ruqiv1.EventType_EVENT_TYPE_PLAN_AMENDED:
		return "调整检查计划"
	case ruqiv1.EventType_EVENT_TYPE_PLAN_APPROVED:
		return "批准检查计划（报司法局备案）"
	case ruqiv1.EventType_EVENT_TYPE_PLAN_PUBLISHED:
		return "公示检查计划"
	case ruqiv1.EventType_EVENT_TYPE_PLAN_COVERAGE_SUBMITTED:
		return "提交检查计划覆盖范围"
	case ruqiv1.EventType_EVENT_TYPE_PROPOSAL_MADE:
		return "生成拼团提议"
	case ruqiv1.EventType_EVENT_TYPE_PROPOSAL_ANSWERED:
		return "答复拼团提议"
	case ruqiv1.EventType_EVENT_TYPE_PROPOSAL_CLOSED:
		return "拼团提议办结"
	case ruqiv1.EventType_EVENT_TYPE_STORE_BACKED_UP:
		return "备份数据文件"
	case ruqiv1.EventType_EVENT_TYPE_LEGACY_EVENTS_SEALED:
		return "封存旧格式事件"
	}
	if t == 0 {
		return "-"
	}
	return fmt.Sprintf("未知（%d）", int32(t))
}
