package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc/codes"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// WriteJSON writes the summary as one JSON document.
func (s *Summary) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteTable writes the summary for people, in Chinese.
func (s *Summary) WriteTable(w io.Writer) error {
	var b strings.Builder
	title := "模拟结果（样例数据，虚构）"
	if s.Interrupted {
		title = "模拟结果（已中断，仅为中断前的统计；样例数据，虚构）"
	}
	b.WriteString(title + "\n\n")
	head := [][2]string{
		{"规模", fmt.Sprintf("企业 %d · 执法人员 %d · 执法部门 %d · 检查事项 %d · 区划 %s · 种子 %d",
			s.Enterprises, s.Officers, s.Agencies, s.CheckItems, s.Region, s.Seed)},
		{"计划", fmt.Sprintf("报备 %d 次（重叠 %s、重复 %s、超限 %s；篡改 %s、错扫 %s；评价 %s），并发 %d",
			s.Planned, pct(s.Shares.Overlap), pct(s.Shares.Duplicate), pct(s.Shares.Cap),
			pct(s.Shares.Tampered), pct(s.Shares.WrongEnterprise), pct(s.Shares.Evaluate), s.Concurrency)},
	}
	if s.Import != nil {
		head = append(head, [2]string{"名录导入", fmt.Sprintf("%d 批，%.1f 秒", s.Import.Chunks, s.Import.Seconds)})
	} else {
		head = append(head, [2]string{"名录导入", "跳过（--skip-import）"})
	}
	head = append(head, [2]string{"访问令牌", fmt.Sprintf("执法人员 %d 个，企业 %d 个（只为用到的签发）", s.TokensOfficers, s.TokensEnterprises)})
	writeFields(&b, head)

	t := &table{header: []string{"", "次数", "预期¹"}}
	t.add("报备尝试", itoa(s.Attempted), itoa(s.Planned))
	t.add("  报备成功", itoa(s.Registered), itoa(s.Expected.Alone+s.Expected.Joined))
	t.add("    独立检查", itoa(s.Alone), itoa(s.Expected.Alone))
	t.add("    并入联合检查", itoa(s.Joined), itoa(s.Expected.Joined))
	for _, k := range sortedKeys(s.ByType) {
		t.add("    其中"+k+"检查", itoa(s.ByType[k]), "")
	}
	t.add("  联合检查（综合查一次）", itoa(s.JointInspections), "")
	t.add("  避免的入企次数", itoa(s.VisitsAvoided), itoa(s.Expected.Joined))
	t.add("  重复报备被拒", itoa(s.DuplicatesRefused), itoa(s.Expected.Duplicates))
	if s.RateLimitedWaits > 0 {
		t.add("  调用超出账号频率、等待后重试（服务器 -principal-rates）", itoa(int(s.RateLimitedWaits)), "")
	}
	t.add("  超出频次上限被拒", itoa(s.CapsRefused), itoa(s.Expected.Capped))
	for _, k := range sortedKeys(s.CapsByRule) {
		t.add("    "+ruleLabel(k), itoa(s.CapsByRule[k]), "")
	}
	if s.StreakReasons > 0 {
		t.add("  连续三次未发现问题、说明理由后报备", itoa(s.StreakReasons), "")
	}
	t.add("  频次预警（已报备并提示）", itoa(s.Warnings), "")
	for _, k := range sortedKeys(s.WarningsByRule) {
		t.add("    "+ruleLabel(k), itoa(s.WarningsByRule[k]), "")
	}
	t.add("入企码", "", "")
	t.add("  领到入企码的报备", fmt.Sprintf("%d/%d", s.RegisteredWithCodes, s.Registered), "")
	t.add("  签发的入企码", itoa(s.CodesIssued), "")
	t.add("扫码核验", itoa(s.Scans), "")
	t.add("  核验通过", itoa(s.ScansValid), "")
	t.add("  核验未通过", itoa(s.ScansInvalid), "")
	for _, k := range sortedKeys(s.Verdicts) {
		if k != "VALID" {
			t.add("    "+verdictLabel(k), itoa(s.Verdicts[k]), "")
		}
	}
	t.add("  出示篡改的入企码", itoa(s.TamperedShown), "")
	t.add("  向错误企业出示", itoa(s.WrongEnterpriseShown), "")
	t.add("  企业拒绝检查", itoa(s.Refusals), "")
	t.add("检查结果与评价", "", "")
	t.add("  记录结果并办结", itoa(s.ResultsRecorded), "")
	if s.ResultsNotAvailable > 0 {
		t.add("  记录结果：服务器尚未提供", itoa(s.ResultsNotAvailable), "")
	}
	t.add("  企业评价", itoa(s.Evaluations), "")
	if s.EvaluationsNotAvailable > 0 {
		t.add("  评价：服务器尚未提供", itoa(s.EvaluationsNotAvailable), "")
	}
	b.WriteString("\n")
	t.write(&b)

	b.WriteString("\n错误（按 gRPC 状态码）：")
	if len(s.Errors) == 0 {
		b.WriteString("无\n")
	} else {
		b.WriteString("\n")
		et := &table{header: []string{"  调用", "状态码", "次数", "示例"}}
		for _, e := range s.ErrorDetail {
			et.add("  "+e.Call, statusLabel(e.Code), itoa(e.Count), truncate(e.Example, 60))
		}
		et.write(&b)
	}

	b.WriteString("\n")
	timing := [][2]string{
		{"总用时", fmt.Sprintf("%.1f 秒（其中模拟 %.1f 秒）", s.WallSeconds, s.SimSeconds)},
		{"吞吐量", fmt.Sprintf("%.1f 次报备/秒，%.0f 次调用/秒（共 %d 次调用）", s.PlansPerSecond, s.RPCsPerSecond, s.RPCs)},
	}
	writeFields(&b, timing)
	b.WriteString("\n说明：" + s.Calendar + "\n")
	b.WriteString("¹ 预期：按默认频次策略（每部门每企业每年 2 次、信用 A 级企业不主动检查），且这些企业今年此前没有检查时服务器应作的回答；" +
		"同一服务器上重复运行时，上限被拒会多于预期。\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func itoa(n int) string { return fmt.Sprint(n) }

// The summary's counts are keyed as the JSON output keeps them (a rule's
// key, a verdict's and a status code's names, for scripts); the table says
// them in Chinese (a newcomer's trial, 2026-12-06, read "ResourceExhausted"
// and "agency_per_year").

func ruleLabel(rule string) string {
	if l := domain.RuleLabel(rule); l != "" {
		return l
	}
	return rule
}

func verdictLabel(name string) string {
	if l := domain.VerdictLabel(ruqiv1.Verdict(ruqiv1.Verdict_value["VERDICT_"+name])); l != "" {
		return l
	}
	return name
}

func statusLabel(name string) string {
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		if c.String() == name {
			return domain.StatusLabel(c)
		}
	}
	return name
}

func pct(x float64) string { return fmt.Sprintf("%.0f%%", x*100) }

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

// displayWidth counts East Asian wide characters as two columns.
func displayWidth(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && (r <= 0x115F || r == 0x2329 || r == 0x232A ||
			(r >= 0x2E80 && r <= 0xA4CF && r != 0x303F) || (r >= 0xAC00 && r <= 0xD7A3) ||
			(r >= 0xF900 && r <= 0xFAFF) || (r >= 0xFE30 && r <= 0xFE4F) || (r >= 0xFF00 && r <= 0xFF60) ||
			(r >= 0xFFE0 && r <= 0xFFE6) || (r >= 0x20000 && r <= 0x3FFFD)):
			w += 2
		default:
			w++
		}
	}
	return w
}

func writeFields(b *strings.Builder, pairs [][2]string) {
	width := 0
	for _, p := range pairs {
		width = max(width, displayWidth(p[0]))
	}
	for _, p := range pairs {
		b.WriteString(p[0])
		b.WriteString(strings.Repeat(" ", width-displayWidth(p[0])+2))
		b.WriteString(p[1])
		b.WriteByte('\n')
	}
}

// table is a header and rows, columns aligned by display width; numbers
// right-aligned after the first column.
type table struct {
	header []string
	rows   [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(b *strings.Builder) {
	widths := make([]int, len(t.header))
	all := append([][]string{t.header}, t.rows...)
	for _, r := range all {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], displayWidth(c))
			}
		}
	}
	for _, r := range all {
		var line strings.Builder
		for i, c := range r {
			if i >= len(widths) {
				break
			}
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			if i > 0 && numeric(c) {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
			line.WriteString("  ")
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
}

func numeric(s string) bool {
	return s != "" && strings.Trim(s, "0123456789./%") == ""
}
