package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
// up to a hundred accounts or a thousand deletions a transaction (an
// account that fails is passed over, the others pruned), keeping each
// token that a kept token names as its maker, down the line (revoking
// down the line, revokeLine, goes through it).
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
	var errs []error
	for len(accounts) > 0 {
		var deleted, took int // counted afresh each time the write is run
		err := s.store.Update(ctx, func(tx store.Tx) error {
			deleted, took = 0, 0
			for _, acc := range accounts[:min(len(accounts), 100)] {
				if deleted >= 1000 {
					break // a province's first pruning: the writer is not held for long
				}
				k, err := pruneAccountTokens(tx, acc, now)
				if err != nil {
					return err
				}
				deleted, took = deleted+k, took+1
			}
			return nil
		})
		if err == nil {
			pruned += deleted
			accounts = accounts[took:]
			continue
		}
		// One account that cannot be pruned does not hold up the others:
		// the batch's accounts are pruned one a transaction.
		for _, acc := range accounts[:min(len(accounts), 100)] {
			err := s.store.Update(ctx, func(tx store.Tx) error {
				var err error
				deleted, err = pruneAccountTokens(tx, acc, now)
				return err
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("deleting the ended sign-ins of %v %s: %w", acc.role, acc.subject, err))
				continue
			}
			pruned += deleted
		}
		accounts = accounts[min(len(accounts), 100):]
	}
	return pruned, errors.Join(errs...)
}

// pruneAccountTokens deletes, in tx, the account's tokens that may go and
// that no kept token names as its parent, down the line.
func pruneAccountTokens(tx store.Tx, acc account, now time.Time) (int, error) {
	toks, err := tx.AccessTokensOf(acc.role, acc.subject)
	if err != nil {
		return 0, err
	}
	// A file written before ids were held to one token may list another
	// principal's under this one's (an id naming two tokens): not ours.
	toks = slices.DeleteFunc(toks, func(a *store.AccessToken) bool { return a.Role != acc.role || a.Subject != acc.subject })
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
