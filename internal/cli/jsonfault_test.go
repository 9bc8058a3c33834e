package cli

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A directory file protojson refuses is said in Chinese, with where: an
// import said its Chinese prefix and then protojson's English (an
// operator's trial, 2026-12-06).
func TestJSONFault_DirectoryRefusalsInChinese(t *testing.T) {
	for _, c := range []struct {
		text, want, english string
	}{
		{"{\"enterprises\": [{\"uscc\": \"91510104CY4C7RGWMR\", \"regoin_code\": \"510104\"}]}", "没有名为 regoin_code 的字段", "unknown field"},
		{"{\"enterprises\": [{\"uscc\": 91510104}]}", "应为带引号的文本", "invalid value"},
		{"{\"officers\": [{\"id\": \"O-1\", \"certificate_status\": \"CERTIFICATE_STATUS_LOST\"}]}", "不是可用的选项", "invalid value"},
		{"{\"enterprises\": [{\"uscc\": \"91510104CY4C7RGWMR\",}]}", "JSON 格式有误", "unexpected token"},
		{"{\"enterprises\": [{\"uscc\": \"91510104CY4C7RGWMR\"", "JSON 不完整", "EOF"},
		{"{\"enterprises\": [{\"uscc\": \"91510104CY4C7RGWMR\", \"uscc\": \"91510104CY4C7RGWMR\"}]}", "重复出现", "duplicate"},
	} {
		err := protojson.Unmarshal([]byte(c.text), &ruqiv1.Directory{})
		if err == nil {
			t.Fatalf("protojson took %s", c.text)
		}
		got := jsonFault([]byte(c.text), err)
		if !strings.Contains(got, c.want) || strings.Contains(got, c.english) || (c.english != "EOF" && !strings.Contains(got, "第 1 行")) {
			t.Errorf("%s: %q (protojson: %v), want %q with where, without %q", c.text, got, err, c.want, c.english)
		}
	}
}
