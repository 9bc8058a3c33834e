package cli

import (
	"bytes"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// admin events verify says how many events are of the hash versions that
// leave out their time and type, and whether they are sealed (an upgrade
// trial, 2026-12-06: it said 完好 and nothing of them).
func TestLogVerified_SaysTheLegacyEvents(t *testing.T) {
	for _, c := range []struct {
		r    *ruqiv1.VerifyEventLogResponse
		want string
	}{
		{&ruqiv1.VerifyEventLogResponse{Events: 12, Intact: true}, "旧格式事件 无"},
		{&ruqiv1.VerifyEventLogResponse{Events: 12, Intact: true, LegacyEvents: 9}, "9 条（时间和类型不在其哈希之内，尚未封存）"},
		{&ruqiv1.VerifyEventLogResponse{Events: 12, Intact: true, LegacyEvents: 9, LegacySealedAt: 10}, "9 条（时间和类型不在其哈希之内，由第 10 条事件封存）"},
		// Two written by an older replica after the upgrade: not under the
		// seal (an upgrade trial, 2026-12-07: all were said sealed).
		{&ruqiv1.VerifyEventLogResponse{Events: 40, Intact: true, LegacyEvents: 9, LegacySealedAt: 10, LegacyLate: 2, FirstLegacyLate: 31}, "9 条（时间和类型不在其哈希之内）：7 条由第 10 条事件封存；另有 2 条写于升级之后（第 31 条起，旧版本的副本所写，违反升级规则），未封存"},
	} {
		var out, errOut bytes.Buffer
		newPrinter("table", &out, &errOut).LogVerified(c.r)
		if got := strings.Join(strings.Fields(out.String()), " "); !strings.Contains(got, strings.Join(strings.Fields(c.want), " ")) {
			t.Errorf("%v: the table says\n%s\nwant %q", c.r, out.String(), c.want)
		}
	}
}
