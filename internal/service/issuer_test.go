package service

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A code signed before the writing transaction is stored only if it says
// what the transaction would sign: for an officer whose certificate changed
// in between, the code is signed again.
func TestIssuerUsesOnlyCodesThatStillHold(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "issuer.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := New(context.Background(), st, Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example"},
		func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ins := &ruqiv1.Inspection{Id: "INS-TEST-1", EnterpriseUscc: "91350100M000100Y43",
		WindowStart: timestamppb.New(now), WindowEnd: timestamppb.New(now.Add(2 * time.Hour))}
	same := &ruqiv1.Officer{Id: "O-1", CertificateNumber: "C-1"}
	renewed := &ruqiv1.Officer{Id: "O-2", CertificateNumber: "C-2-NEW"}
	signed := s.signCodes(ins, []*ruqiv1.Officer{same, {Id: "O-2", CertificateNumber: "C-2-OLD"}}, now)
	if len(signed) != 2 {
		t.Fatalf("signed %d codes before the transaction, want 2", len(signed))
	}
	before := signed["O-1"].msg // the issuer takes each code out of signed as it uses it
	issue := s.issuer(signed)
	var got []*ruqiv1.InspectionCode
	err = st.Update(context.Background(), func(tx store.Tx) error {
		for _, o := range []*ruqiv1.Officer{same, renewed} {
			c, err := issue(tx, ins, o, now)
			if err != nil {
				return err
			}
			got = append(got, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := code.DecodeToken(got[0].GetToken())
	if err != nil || !bytes.Equal(msg, before) {
		t.Errorf("the officer whose entry did not change: code signed again (%v), want the one signed before", err)
	}
	_, c, err := code.Verify(mustDecode(t, got[1].GetToken()), s.ring.Load().Lookup)
	if err != nil || c.CertificateNumber != "C-2-NEW" {
		t.Errorf("the officer with a new certificate: claims %+v (%v), want certificate C-2-NEW", c, err)
	}
	if _, used := signed["O-1"]; used {
		t.Error("a code used once is still offered for a second one in the same transaction")
	}
}

func mustDecode(t *testing.T, token string) []byte {
	t.Helper()
	msg, err := code.DecodeToken(token)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}
