package auth

import (
	"context"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The authorization header is the outside world's: whatever it holds, a
// call is authenticated only by the one stored token, sent as "Bearer
// <token>"; anything else is UNAUTHENTICATED, and the message never repeats
// what was sent (a mistyped token is still half a credential).
func FuzzAuthenticate(f *testing.F) {
	const good = "rq_goodtokengoodtokengoodtoken"
	for _, s := range []string{"Bearer " + good, "Bearer  " + good + " ", "bearer " + good, good, "Bearer ", "Bearer \t", "Basic abc", "Bearer rq_x\r\nX: y"} {
		f.Add(s)
	}
	stored := map[string]*store.AccessToken{string(HashToken(good)): {ID: "tok-1", Role: ruqiv1.Role_ROLE_OFFICER, Subject: "O-1"}}
	lookup := func(_ context.Context, hash []byte) (*store.AccessToken, error) {
		if tok, ok := stored[string(hash)]; ok {
			return tok, nil
		}
		return nil, store.ErrNotFound
	}
	// The messages a refusal may carry, whatever was sent.
	fixed := map[string]bool{}
	for _, h := range []string{"Basic x", "Bearer rq_unknown"} {
		_, err := Authenticate(metadata.NewIncomingContext(context.Background(), metadata.MD{"authorization": []string{h}}), lookup)
		fixed[status.Convert(err).Message()] = true
	}
	f.Fuzz(func(t *testing.T, header string) {
		ctx := metadata.NewIncomingContext(context.Background(), metadata.MD{"authorization": []string{header}})
		p, err := Authenticate(ctx, lookup)
		raw, ok := strings.CutPrefix(header, "Bearer ")
		if ok && strings.TrimSpace(raw) == good {
			if err != nil || p.Subject != "O-1" {
				t.Fatalf("%q: %v, %v; want the officer", header, p, err)
			}
			return
		}
		if status.Code(err) != codes.Unauthenticated || p != (Principal{}) {
			t.Fatalf("%q: %v, %v; want UNAUTHENTICATED", header, p, err)
		}
		if msg := status.Convert(err).Message(); !fixed[msg] {
			t.Fatalf("%q: the message %q is not one of the fixed ones: it may repeat what was sent", header, msg)
		}
	})
}
