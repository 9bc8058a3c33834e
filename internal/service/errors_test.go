package service

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/domain"
)

// Every kind the domain declares has a row; a kind without one (added to the
// domain and forgotten here) is Internal, never OK.
func TestToStatus_EveryKindMapped_UnmappedIsInternal(t *testing.T) {
	ctx := context.Background()
	for k := domain.KindInvalid; k <= domain.KindUnavailable; k++ {
		err := toStatus(ctx, &domain.Error{Kind: k, Reason: "R", Message: "m"})
		if c := status.Code(err); err == nil || c == codes.OK || c == codes.Internal || c != codeOf[k] {
			t.Errorf("kind %d: %v", k, err)
		}
	}
	for _, k := range []domain.Kind{0, domain.KindUnavailable + 1, 99} {
		err := toStatus(ctx, &domain.Error{Kind: k, Reason: "NEW_KIND", Message: "不应显示"})
		if err == nil || status.Code(err) != codes.Internal {
			t.Errorf("unmapped kind %d: %v, want Internal", k, err)
		}
	}
	wrapped := toStatus(ctx, errors.Join(errors.New("context"), &domain.Error{Kind: 42, Message: "x"}))
	if status.Code(wrapped) != codes.Internal {
		t.Errorf("wrapped unmapped kind: %v, want Internal", wrapped)
	}
}
