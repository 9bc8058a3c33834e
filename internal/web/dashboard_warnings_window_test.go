package web

import (
	"context"
	"strconv"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// warningLog answers ListEvents as the service does a log whose latest
// window holds n warnings: 1,000 a call, each call going on where the last
// stopped.
type warningLog struct {
	ruqiv1.AdminServiceClient
	n     uint64
	calls int
}

func (l *warningLog) ListEvents(_ context.Context, req *ruqiv1.ListEventsRequest, _ ...grpc.CallOption) (*ruqiv1.ListEventsResponse, error) {
	l.calls++
	after := req.GetAfterSeq()
	if req.GetLatest() {
		after = 0
	}
	resp := &ruqiv1.ListEventsResponse{}
	for seq := after + 1; seq <= l.n; seq++ {
		if len(resp.Events) == 1000 {
			resp.NextAfterSeq = seq - 1
			break
		}
		resp.Events = append(resp.Events, &ruqiv1.Event{Seq: seq, Type: ruqiv1.EventType_EVENT_TYPE_DUPLICATE_REFUSED,
			EnterpriseUscc: "91510104CY4C7RGWMR", Detail: "AG-01 duplicate of INS-" + strconv.FormatUint(seq, 10), Time: timestamppb.Now()})
	}
	return resp, nil
}

// unnamed answers GetEnterprise as for an enterprise the caller may not
// read: the warnings list its USCC alone.
type unnamed struct{ ruqiv1.DirectoryServiceClient }

func (unnamed) GetEnterprise(context.Context, *ruqiv1.GetEnterpriseRequest, ...grpc.CallOption) (*ruqiv1.GetEnterpriseResponse, error) {
	return nil, status.Error(codes.NotFound, "企业不存在")
}

// A review: the dashboard read the window's warnings in at most ten calls
// and listed the newest of those as the latest: with more than 10,000 in
// the window (a client retrying a refused registration in a loop) it
// listed warnings from before the flood's end as the newest, and said
// nothing of it.
func TestRecentWarnings_AWindowFullOfWarnings_ListsTheNewest(t *testing.T) {
	log := &warningLog{n: 15000}
	s := &server{admin: log, dir: unnamed{}}
	got, cut, err := s.recentWarnings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cut || len(got) != warningsShown || got[0].Text != "AG-01：同一部门重复报备（与 INS-15000 时段重叠），报备被拒绝" {
		first := ""
		if len(got) > 0 {
			first = got[0].Text
		}
		t.Errorf("after %d calls: %d listed, cut %v, the first %q; want the newest, INS-15000's", log.calls, len(got), cut, first)
	}
	// A log that outgrows the calls is said to be cut.
	log = &warningLog{n: 1 << 20}
	s = &server{admin: log, dir: unnamed{}}
	if _, cut, err := s.recentWarnings(context.Background()); err != nil || !cut {
		t.Errorf("a log read only in part: cut %v, %v; want it said", cut, err)
	}
}
