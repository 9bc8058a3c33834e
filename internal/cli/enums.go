package cli

import (
	"fmt"
	"strings"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// inspectionTypes maps the words accepted by --type to the enum. The
// Chinese names are accepted too, since that is how officers say them.
var inspectionTypes = map[string]ruqiv1.InspectionType{
	"routine": ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
	"random":  ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM,
	"special": ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
	"case":    ruqiv1.InspectionType_INSPECTION_TYPE_CASE,
	"日常":      ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
	"双随机":     ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM,
	"专项":      ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
	"个案":      ruqiv1.InspectionType_INSPECTION_TYPE_CASE,
}

// parseInspectionType reads --type.
func parseInspectionType(s string) (ruqiv1.InspectionType, error) {
	if t, ok := inspectionTypes[strings.ToLower(strings.TrimSpace(s))]; ok {
		return t, nil
	}
	return 0, fmt.Errorf("不支持的检查类型 %q：请用 routine（日常）、random（双随机）、special（专项）或 case（个案）", s)
}

var roles = map[string]ruqiv1.Role{
	"officer":    ruqiv1.Role_ROLE_OFFICER,
	"enterprise": ruqiv1.Role_ROLE_ENTERPRISE,
	"supervisor": ruqiv1.Role_ROLE_SUPERVISOR,
	"admin":      ruqiv1.Role_ROLE_ADMIN,
}

// parseRole reads --role.
func parseRole(s string) (ruqiv1.Role, error) {
	if r, ok := roles[strings.ToLower(strings.TrimSpace(s))]; ok {
		return r, nil
	}
	return 0, fmt.Errorf("不支持的角色 %q：请用 officer、enterprise、supervisor 或 admin", s)
}

func inspectionTypeLabel(t ruqiv1.InspectionType) string {
	switch t {
	case ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE:
		return "日常检查"
	case ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM:
		return "双随机抽查"
	case ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL:
		return "专项检查"
	case ruqiv1.InspectionType_INSPECTION_TYPE_CASE:
		return "个案检查"
	}
	return unknownLabel(int32(t))
}

func inspectionStateLabel(s ruqiv1.InspectionState) string {
	switch s {
	case ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED:
		return "已报备"
	case ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
		return "已撤销"
	}
	return unknownLabel(int32(s))
}

func certificateStatusLabel(s ruqiv1.CertificateStatus) string {
	switch s {
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE:
		return "正常"
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED:
		return "暂停"
	case ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED:
		return "吊销"
	}
	return unknownLabel(int32(s))
}

func agencyLevelLabel(l ruqiv1.AgencyLevel) string {
	switch l {
	case ruqiv1.AgencyLevel_AGENCY_LEVEL_PROVINCE:
		return "省级"
	case ruqiv1.AgencyLevel_AGENCY_LEVEL_CITY:
		return "市级"
	case ruqiv1.AgencyLevel_AGENCY_LEVEL_COUNTY:
		return "县级"
	case ruqiv1.AgencyLevel_AGENCY_LEVEL_TOWNSHIP:
		return "乡镇"
	}
	return unknownLabel(int32(l))
}

func roleLabel(r ruqiv1.Role) string {
	switch r {
	case ruqiv1.Role_ROLE_OFFICER:
		return "执法人员"
	case ruqiv1.Role_ROLE_ENTERPRISE:
		return "企业"
	case ruqiv1.Role_ROLE_SUPERVISOR:
		return "监督机关（司法局）"
	case ruqiv1.Role_ROLE_ADMIN:
		return "管理员"
	}
	return unknownLabel(int32(r))
}

func keyStatusLabel(s ruqiv1.KeyStatus) string {
	switch s {
	case ruqiv1.KeyStatus_KEY_STATUS_ACTIVE:
		return "签发中"
	case ruqiv1.KeyStatus_KEY_STATUS_RETIRED:
		return "已退役（仅用于核验）"
	}
	return unknownLabel(int32(s))
}

func eventTypeLabel(t ruqiv1.EventType) string {
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
	}
	return unknownLabel(int32(t))
}

// verdictLabel is the verdict in the enterprise's words.
func verdictLabel(v ruqiv1.Verdict) string {
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
	}
	return unknownLabel(int32(v))
}

// unknownLabel names an enum value this client does not know, e.g. one
// added to the API after it was built.
func unknownLabel(n int32) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("未知（%d）", n)
}
