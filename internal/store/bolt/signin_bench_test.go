package bolt_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// BenchmarkSignInRecords stores the two token records a sign-in leaves
// (its session and the spent sign-in, as SessionService.SignIn writes
// them) for 100,000 sign-ins of 20,000 officers, a thousand a
// transaction, and reports the file's bytes per sign-in as written and
// after `ruqi admin compact` (the records of ended sign-ins were kept for
// good before Service.PruneEndedTokens).
func BenchmarkSignInRecords(b *testing.B) {
	const signIns = 100000
	ctx := context.Background()
	now := time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "ruqi.db")
		st, err := bolt.Open(path, bolt.DefaultOptions())
		if err != nil {
			b.Fatal(err)
		}
		for lo := 0; lo < signIns; lo += 1000 {
			err := st.Update(ctx, func(tx store.Tx) error {
				for i := lo; i < lo+1000; i++ {
					h := sha256.Sum256(fmt.Appendf(nil, "session %d", i))
					officer := fmt.Sprintf("OFF-%05d", i%20000)
					session := &store.AccessToken{ID: fmt.Sprintf("tok-%x", h[:6]), Hash: h[:], Role: ruqiv1.Role_ROLE_OFFICER, Subject: officer,
						Kind: store.TokenSession, Label: "zwfw:" + officer, Description: "sign-in with https://zwfw.example.gov.cn",
						CreatedAt: now, ExpiresAt: now.Add(12 * time.Hour)}
					s := sha256.Sum256(fmt.Appendf(nil, "spent %d", i))
					spent := &store.AccessToken{ID: fmt.Sprintf("sin-%x", s[:12]), Hash: s[:], Role: ruqiv1.Role_ROLE_OFFICER, Subject: officer,
						Kind: store.TokenSpentSignIn, Label: "zwfw:" + officer, Description: "ID token of https://zwfw.example.gov.cn for " + officer,
						CreatedAt: now, RevokedAt: now, ExpiresAt: now.Add(time.Hour)}
					if err := tx.PutAccessToken(session); err != nil {
						return err
					}
					if err := tx.PutAccessToken(spent); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		rep, err := st.Compact(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Close(); err != nil {
			b.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(rep.BytesBefore)/signIns, "bytes/sign-in-written")
		b.ReportMetric(float64(fi.Size())/signIns, "bytes/sign-in-compacted")
	}
}
