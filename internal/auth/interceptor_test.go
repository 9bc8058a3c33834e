package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// authenticateWith runs Authenticate on a token whose record is rec.
func authenticateWith(rec store.AccessToken) (Principal, error) {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer rq_x"))
	return Authenticate(ctx, func(context.Context, []byte) (*store.AccessToken, error) { return &rec, nil })
}

func TestAuthenticate_ExpiredToken_IsRefused(t *testing.T) {
	_, err := authenticateWith(store.AccessToken{ID: "tok-1", Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: "E", ExpiresAt: time.Now().Add(-time.Second)})
	if status.Code(err) != codes.Unauthenticated || !strings.Contains(status.Convert(err).Message(), "已过期") {
		t.Errorf("expired token: %v", err)
	}
}

func TestAuthenticate_LiveSessionToken_CarriesItsKind(t *testing.T) {
	p, err := authenticateWith(store.AccessToken{ID: "tok-1", Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: "E", Kind: store.TokenDevice, Label: "前台", ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil || p.Kind != store.TokenDevice || p.Via() != "device 前台 tok-1" {
		t.Errorf("principal = %+v (%q), %v", p, p.Via(), err)
	}
}

// A token that never expires is only the data-directory admin token and
// tokens from before expiry: they still work.
func TestAuthenticate_NoExpiry_IsAccepted(t *testing.T) {
	if _, err := authenticateWith(store.AccessToken{ID: "tok-1", Role: ruqiv1.Role_ROLE_ADMIN, Subject: "bootstrap"}); err != nil {
		t.Error(err)
	}
}

func TestAuthenticate_EnrolmentCode_IsNoCredential(t *testing.T) {
	_, err := authenticateWith(store.AccessToken{ID: "tok-1", Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: "E", Kind: store.TokenEnrolment, ExpiresAt: time.Now().Add(time.Hour)})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("enrolment code: %v", err)
	}
}

// A blank bearer token is refused even by a store that would answer for it
// (a data directory whose admin.token came back empty after a crash once
// registered the hash of ""): the refusal must not depend on the store.
func TestAuthenticate_BlankToken_RefusedWhateverTheStoreHolds(t *testing.T) {
	lookup := func(context.Context, []byte) (*store.AccessToken, error) {
		return &store.AccessToken{ID: "tok-x", Role: ruqiv1.Role_ROLE_ADMIN, Subject: "bootstrap"}, nil
	}
	for _, header := range []string{"Bearer ", "Bearer  ", "Bearer \t", "Bearer"} {
		ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", header))
		p, err := Authenticate(ctx, lookup)
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("%q: got %v, %v; want Unauthenticated", header, p, err)
		}
	}
}

// A refusal says who may call the method, in the caller's words.
func TestAuthorize_RefusalNamesWhoMay(t *testing.T) {
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer rq_x"))
	lookup := func(context.Context, []byte) (*store.AccessToken, error) {
		return &store.AccessToken{ID: "tok-1", Role: ruqiv1.Role_ROLE_OFFICER, Subject: "O-0001", ExpiresAt: time.Now().Add(time.Hour)}, nil
	}
	_, err := authorize(ctx, ruqiv1.AdminService_ListAccessTokens_FullMethodName, lookup)
	msg := status.Convert(err).Message()
	if status.Code(err) != codes.PermissionDenied || !strings.Contains(msg, "执法人员不能使用") || !strings.Contains(msg, "（限系统管理员使用）") || strings.Contains(msg, "/ruqi.v1.") {
		t.Fatalf("an officer listing tokens: %v", err)
	}
}
