package service

import (
	"context"
	"log/slog"
	"time"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// account is a principal that holds tokens: tokens made from one another
// (a session from a token, a device from an enrolment) share it.
type account struct {
	role    ruqiv1.Role
	subject string
}

// PruneEndedTokens deletes the records of ended sign-ins (auth.Prunable):
// every sign-in left a session and a spent sign-in for good, some 610
// bytes on bbolt, and signing out read every token the account ever had,
// in the writer (a review of what grows with history, 2026-12-07). It
// returns how many it deleted.
//
// The tokens are read outside the writer, for the accounts that hold one
// to prune; each account's are then read again and pruned in the writer,
// a hundred accounts a transaction, keeping each that a kept token names
// as its parent (revoking down the line, revokeLine, goes through it).
func (s *Service) PruneEndedTokens(ctx context.Context) (int, error) {
	now := s.now()
	var accounts []account
	seen := map[account]bool{}
	err := s.store.View(ctx, func(r store.Reader) error {
		return store.Each(1000, r.AccessTokens, func(a *store.AccessToken) string { return a.ID }, func(a *store.AccessToken) error {
			if k := (account{a.Role, a.Subject}); auth.Prunable(a, now) && !seen[k] {
				seen[k] = true
				accounts = append(accounts, k)
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	pruned := 0
	for len(accounts) > 0 {
		n := min(len(accounts), 100)
		var deleted int // counted afresh each time the write is run
		err := s.store.Update(ctx, func(tx store.Tx) error {
			deleted = 0
			for _, acc := range accounts[:n] {
				k, err := pruneAccountTokens(tx, acc, now)
				if err != nil {
					return err
				}
				deleted += k
			}
			return nil
		})
		if err != nil {
			return pruned, err
		}
		pruned += deleted
		accounts = accounts[n:]
	}
	return pruned, nil
}

// pruneAccountTokens deletes, in tx, the account's tokens that may go and
// that no kept token names as its parent, down the line.
func pruneAccountTokens(tx store.Tx, acc account, now time.Time) (int, error) {
	toks, err := tx.AccessTokensOf(acc.role, acc.subject)
	if err != nil {
		return 0, err
	}
	byID := make(map[string]*store.AccessToken, len(toks))
	for _, a := range toks {
		byID[a.ID] = a
	}
	kept := map[string]bool{}
	for _, a := range toks {
		if auth.Prunable(a, now) {
			continue
		}
		// a and its makers stay.
		for m := a; m != nil && !kept[m.ID]; m = byID[m.Parent] {
			kept[m.ID] = true
		}
	}
	n := 0
	for _, a := range toks {
		if kept[a.ID] || !auth.Prunable(a, now) {
			continue
		}
		if err := tx.DeleteAccessToken(a.Hash); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// RunTokenPruning deletes the records of ended sign-ins
// (PruneEndedTokens) now and then every interval, on the replica that
// sequences the log where several share a store, until ctx ends.
func (s *Service) RunTokenPruning(ctx context.Context, interval time.Duration, logErr func(error)) {
	s.onSequencer(ctx, interval, func() error {
		n, err := s.PruneEndedTokens(ctx)
		if n > 0 {
			slog.Info("deleted the records of ended sign-ins", "tokens", n, "kept_after_expiry", auth.EndedKept)
		}
		return err
	}, logErr)
}
