package service

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type keyServer struct {
	ruqiv1.UnimplementedKeyServiceServer
	s *Service
}

// loadRing builds the ring from the store; the store is the record of keys,
// the ring only a fast view of it. A new database gets its first key here.
func (s *Service) loadRing(ctx context.Context) error {
	var keys []store.SigningKey
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		keys, err = tx.SigningKeys()
		if err != nil || len(keys) > 0 {
			return err
		}
		k, err := code.NewKey(s.now())
		if err != nil {
			return err
		}
		sk := toStored(k)
		if err := tx.PutSigningKey(sk); err != nil {
			return err
		}
		keys = []store.SigningKey{sk}
		e := newEvent(ctx, s.now(), ruqiv1.EventType_EVENT_TYPE_KEY_ROTATED)
		e.Detail = "first key " + k.ID
		return record(tx, e)
	})
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	return s.setRing(keys)
}

func (s *Service) setRing(keys []store.SigningKey) error {
	ring, err := code.NewRing(fromStored(keys))
	if err != nil {
		return fmt.Errorf("signing keys in the store: %w", err)
	}
	s.ring.Store(ring)
	return nil
}

func toStored(k code.Key) store.SigningKey {
	return store.SigningKey{ID: k.ID, Seed: k.Private.Seed(), CreatedAt: k.CreatedAt, RetiredAt: k.RetiredAt, VerifyUntil: k.VerifyUntil}
}

func fromStored(keys []store.SigningKey) []code.Key {
	out := make([]code.Key, 0, len(keys))
	for _, sk := range keys {
		priv := ed25519.NewKeyFromSeed(sk.Seed)
		out = append(out, code.Key{ID: sk.ID, Private: priv, Public: priv.Public().(ed25519.PublicKey), CreatedAt: sk.CreatedAt, RetiredAt: sk.RetiredAt, VerifyUntil: sk.VerifyUntil})
	}
	return out
}

func publicKeyProto(k code.Key) *ruqiv1.PublicKey {
	pk := &ruqiv1.PublicKey{KeyId: k.ID, Algorithm: "EdDSA", PublicKey: k.Public, Status: ruqiv1.KeyStatus_KEY_STATUS_ACTIVE, CreatedAt: timestamppb.New(k.CreatedAt)}
	if !k.RetiredAt.IsZero() {
		pk.Status = ruqiv1.KeyStatus_KEY_STATUS_RETIRED
		pk.RetiredAt = timestamppb.New(k.RetiredAt)
	}
	if !k.VerifyUntil.IsZero() {
		pk.VerifyUntil = timestamppb.New(k.VerifyUntil)
	}
	return pk
}

// PublicKeys lists the keys a verifier needs now: the active one and the
// retired ones whose codes have not all expired. A code is accepted until
// its expiry plus the clock leeway, so a retired key stays that much longer:
// an offline verifier must not refuse a code the server still accepts.
func (s *Service) PublicKeys() []*ruqiv1.PublicKey {
	var out []*ruqiv1.PublicKey
	for _, k := range s.ring.Load().Published(s.now().Add(-s.cfg.Limits.ClockLeeway)) {
		out = append(out, publicKeyProto(k))
	}
	return out
}

func (k *keyServer) ListPublicKeys(ctx context.Context, _ *ruqiv1.ListPublicKeysRequest) (*ruqiv1.ListPublicKeysResponse, error) {
	return &ruqiv1.ListPublicKeysResponse{Keys: k.s.PublicKeys(), LogKey: k.s.cfg.Log.Key, WitnessPolicy: string(k.s.cfg.Log.WitnessPolicy)}, nil
}

// RotateSigningKey writes the new key and the retirement of the old one in
// one transaction, then rebuilds the ring from the store, so that memory
// never holds a key state the disk does not.
func (k *keyServer) RotateSigningKey(ctx context.Context, _ *ruqiv1.RotateSigningKeyRequest) (*ruqiv1.RotateSigningKeyResponse, error) {
	s := k.s
	s.rotateM.Lock()
	defer s.rotateM.Unlock()
	now := s.now()
	fresh, err := code.NewKey(now)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		keys, err := tx.SigningKeys()
		if err != nil {
			return err
		}
		for _, sk := range keys {
			if sk.RetiredAt.IsZero() {
				sk.RetiredAt = now
				if err := tx.PutSigningKey(sk); err != nil {
					return err
				}
			}
		}
		if err := tx.PutSigningKey(toStored(fresh)); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_KEY_ROTATED)
		e.Detail = "new key " + fresh.ID
		return record(tx, e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := s.loadRing(ctx); err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.RotateSigningKeyResponse{Active: publicKeyProto(s.ring.Load().Active())}, nil
}

// noteSigned raises the signing key's VerifyUntil to exp inside tx, reading
// the key from the store (not from memory) so that a rotation committed in
// between is never undone.
func noteSigned(tx store.Tx, kid string, exp time.Time) error {
	keys, err := tx.SigningKeys()
	if err != nil {
		return err
	}
	for _, sk := range keys {
		if sk.ID == kid && exp.After(sk.VerifyUntil) {
			sk.VerifyUntil = verifyUntil(exp)
			return tx.PutSigningKey(sk)
		}
	}
	return nil
}

// verifyUntil rounds a code's expiry up to the next midnight, Beijing time.
// A key then stays published at most a day longer than its last code needs,
// and its row is rewritten about once a day instead of by nearly every
// registration: on PostgreSQL, under SERIALIZABLE, a row that every
// registration rewrites makes concurrent registrations retry each other.
func verifyUntil(exp time.Time) time.Time {
	d := exp.In(domain.Shanghai)
	midnight := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, domain.Shanghai)
	if midnight.Equal(d) {
		return midnight
	}
	return midnight.AddDate(0, 0, 1)
}

// RunKeyRefresh reloads the key ring from the store every interval, so that
// a key created or rotated at another replica signs and is published here
// within that time. It returns when ctx ends.
func (s *Service) RunKeyRefresh(ctx context.Context, interval time.Duration, logErr func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.reloadRing(ctx); err != nil && ctx.Err() == nil {
			logErr(err)
		}
	}
}

// reloadRingForUnknownKey reloads the ring when a scanned code names a key
// this replica has not seen, at most once a second (a forged kid must not
// turn every scan into a store read), and tells whether it did.
func (s *Service) reloadRingForUnknownKey(ctx context.Context) bool {
	now := time.Now()
	last := s.ringReloadedAt.Load()
	if now.UnixNano()-last < int64(time.Second) || !s.ringReloadedAt.CompareAndSwap(last, now.UnixNano()) {
		return false
	}
	return s.reloadRing(ctx) == nil
}

// reloadRing rereads the keys in a read-only transaction (the first key was
// made at start), under the rotation lock, so that a reload that read the
// store before a rotation here cannot replace the rotated ring after it.
func (s *Service) reloadRing(ctx context.Context) error {
	s.rotateM.Lock()
	defer s.rotateM.Unlock()
	var keys []store.SigningKey
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		keys, err = r.SigningKeys()
		return err
	})
	if err != nil {
		return fmt.Errorf("reload signing keys: %w", err)
	}
	return s.setRing(keys)
}

// DescribeCode names what a genuine code stands for, for a verify page opened
// without signing in. Only a code with a good signature, inside its window,
// of an officer who is in the directory gets an answer: the names are what
// the officer shows with the code anyway, and ids cannot be probed for names.
func (k *keyServer) DescribeCode(ctx context.Context, req *ruqiv1.DescribeCodeRequest) (*ruqiv1.DescribeCodeResponse, error) {
	s := k.s
	if strings.TrimSpace(req.GetCode()) == "" {
		// As ScanCode says it: no code was given, which is the caller's
		// to mend, not a code that cannot be described.
		return nil, toStatus(ctx, domain.Invalidf("CODE_MISSING", "请提供扫描到的入企码（二维码中的网址或令牌）"))
	}
	notFound := domain.NotFoundf("CODE_NOT_DESCRIBED", "此入企码无法显示名称：签名无效、不在检查时段内或不是本系统的入企码")
	msg, err := decodeScanned(req.GetCode())
	if err != nil {
		return nil, toStatus(ctx, notFound)
	}
	_, c, err := code.Verify(msg, s.ring.Load().Lookup)
	now, leeway := s.now(), s.cfg.Limits.ClockLeeway
	if err != nil || domain.TimeCode(c.NotBefore, c.Expiry, now, leeway) != domain.CodeInWindow {
		return nil, toStatus(ctx, notFound)
	}
	resp := &ruqiv1.DescribeCodeResponse{}
	errMoved := errors.New("officer not of the inspection's agency")
	err = s.store.View(ctx, func(r store.Reader) error {
		o, err := r.Officer(c.OfficerID)
		if err != nil {
			return err
		}
		// The agency named is the one that registered the visit, read
		// from the inspection the code names: the officer's agency of
		// today named another after a move between agencies (a security
		// review, 2026-12-07), shown to anyone, signed in or not. An
		// officer no longer of that agency, or not on the inspection, is
		// not described: the scan refuses the code too.
		ins, err := r.Inspection(c.InspectionID)
		if err != nil {
			return err
		}
		if ins.GetEnterpriseUscc() != c.EnterpriseUSCC || !slices.Contains(ins.GetOfficerIds(), c.OfficerID) || o.GetAgencyId() != ins.GetAgencyId() {
			return errMoved
		}
		resp.OfficerName = o.GetName()
		resp.AgencyName, resp.EnterpriseName = agencyName(r, ins.GetAgencyId()), enterpriseName(r, c.EnterpriseUSCC)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, errMoved) {
		return nil, toStatus(ctx, notFound)
	}
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}
