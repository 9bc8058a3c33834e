package tlog_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A receipt of an event hashed before v3 says what it cannot prove: its
// time and type are outside the hash (store.EventHash); one of a v3 event
// says nothing more.
func TestVerifiedReceipt_LegacyNote(t *testing.T) {
	v3 := &ruqiv1.Event{Seq: 1}
	store.Chain(nil, v3)
	for _, c := range []struct {
		e    *ruqiv1.Event
		note bool
	}{
		{&ruqiv1.Event{Seq: 1}, true},
		{&ruqiv1.Event{Seq: 1, Salt: make([]byte, 16)}, true},
		{v3, false},
	} {
		note := (&tlog.VerifiedReceipt{Event: c.e}).LegacyNote()
		if (note != "") != c.note || (c.note && !strings.Contains(note, "时间和事件类型不在哈希之内")) {
			t.Errorf("salt %x: note %q", c.e.GetSalt(), note)
		}
	}
}

// The note is of the hash version, not of a date: a server of a version
// before v3 writes v2 events until it is upgraded, which may be months
// after 2026-12-06 (an upgrade trial on 2026-12-06 23:16 Beijing time read
// "此事件记录于 2026 年 12 月 6 日的格式改进之前" beside the event's own
// time), and an older replica sequencing beside a newer one writes them
// after it too.
func TestVerifiedReceipt_LegacyNote_NamesTheVersionNotADate(t *testing.T) {
	e := &ruqiv1.Event{Seq: 1, Salt: make([]byte, 16), Time: timestamppb.New(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC))}
	note := (&tlog.VerifiedReceipt{Event: e}).LegacyNote()
	if strings.Contains(note, "记录于 2026 年 12 月 6 日") || !strings.Contains(note, "旧格式") {
		t.Errorf("note %q of an event of %s", note, e.GetTime().AsTime())
	}
}
