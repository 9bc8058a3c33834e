package tlog_test

import (
	"strings"
	"testing"

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
