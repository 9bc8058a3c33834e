package domain

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Where a visit stands for its evaluation, as 检查记录 says it: what it says
// to do must be what the pages offer. A visit that is not an inspection,
// checked in, was told to scan the code to evaluate, but the code scans
// valid within the window and the form is offered only after it (a
// review, 2026-12-06).
func TestEvaluationNote(t *testing.T) {
	survey := ruqiv1.VisitKind_VISIT_KIND_SURVEY
	for _, c := range []struct {
		v    *ruqiv1.InspectionView
		want string
	}{
		{&ruqiv1.InspectionView{Evaluated: true}, "已评价"},
		{&ruqiv1.InspectionView{State: ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED}, "已撤销，无需评价"},
		{&ruqiv1.InspectionView{VisitKind: survey}, "扫码入企后"},
		{&ruqiv1.InspectionView{VisitKind: survey, CheckedInAt: timestamppb.Now()}, "来访时段结束后"},
		{&ruqiv1.InspectionView{State: ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED}, "待评价：扫执法人员的入企码即可评价"},
		{&ruqiv1.InspectionView{State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED}, "办结后"},
	} {
		if got := EvaluationNote(c.v); !strings.Contains(got, c.want) {
			t.Errorf("EvaluationNote(%v) = %q, want %q in it", c.v, got, c.want)
		}
	}
}
