package code

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

func newTestRing(t *testing.T, now time.Time) *Ring {
	t.Helper()
	k, err := NewKey(now)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRing([]Key{k})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestKeyID(t *testing.T) {
	k := testKey(t, 1)
	if !validKeyID(k.ID) {
		t.Fatalf("KeyID = %q, want 16 lower-case hex characters", k.ID)
	}
	if KeyID(testKey(t, 2).Public) == k.ID {
		t.Fatal("different keys, same id")
	}
}

// keyAt is a fresh key created at t, retired at retiredAt unless zero, kept
// for verification until verifyUntil.
func keyAt(t *testing.T, created, retiredAt, verifyUntil time.Time) Key {
	t.Helper()
	k, err := NewKey(created)
	if err != nil {
		t.Fatal(err)
	}
	k.RetiredAt, k.VerifyUntil = retiredAt, verifyUntil
	return k
}

// A rotation is written to the store and the ring rebuilt from it
// (service.RotateSigningKey): the new key signs, the retired one keeps
// verifying what it signed.
func TestRingRebuiltAfterRotation(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := testClaims(1)
	first := keyAt(t, t0, time.Time{}, c.Expiry)
	msg := mustSign(t, first, c)

	t1 := t0.Add(24 * time.Hour)
	retired := first
	retired.RetiredAt = t1
	second := keyAt(t, t1, time.Time{}, time.Time{})
	r, err := NewRing([]Key{retired, second})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Active(); got.ID != second.ID || got.Private == nil {
		t.Errorf("Active = %s, want %s with its private key", got.ID, second.ID)
	}
	if _, _, err := Verify(msg, r.Lookup); err != nil {
		t.Errorf("old code after rotation: %v", err)
	}
	if _, _, err := Verify(mustSign(t, r.Active(), c), r.Lookup); err != nil {
		t.Errorf("new code: %v", err)
	}
	// Lookup keeps answering past VerifyUntil: the code's own expiry
	// bounds the use of a retired key.
	if _, ok := r.Lookup(first.ID); !ok {
		t.Error("Lookup lost the retired key")
	}
}

func TestRingNoteSigned(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newTestRing(t, t0)
	id := r.Active().ID
	tests := []struct {
		exp         time.Time
		wantChanged bool
		wantUntil   time.Time
	}{
		{t0.Add(8 * time.Hour), true, t0.Add(8 * time.Hour)},
		{t0.Add(4 * time.Hour), false, t0.Add(8 * time.Hour)},
		{t0.Add(8 * time.Hour), false, t0.Add(8 * time.Hour)},
		{t0.Add(9 * time.Hour), true, t0.Add(9 * time.Hour)},
	}
	for i, tt := range tests {
		k, changed := r.NoteSigned(id, tt.exp)
		if changed != tt.wantChanged || !k.VerifyUntil.Equal(tt.wantUntil) || k.ID != id {
			t.Errorf("%d: NoteSigned = %v until %v, want %v until %v", i, changed, k.VerifyUntil, tt.wantChanged, tt.wantUntil)
		}
	}
	if _, changed := r.NoteSigned("0000000000000000", t0.Add(99*time.Hour)); changed {
		t.Error("NoteSigned changed an unknown key")
	}
}

func TestRingPublished(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := keyAt(t, t0, t0.Add(1*time.Hour), t0.Add(10*time.Hour))
	b := keyAt(t, t0.Add(1*time.Hour), t0.Add(2*time.Hour), t0.Add(20*time.Hour))
	c := keyAt(t, t0.Add(2*time.Hour), time.Time{}, time.Time{})
	r, err := NewRing([]Key{a, b, c})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(keys []Key) []string {
		var out []string
		for _, k := range keys {
			if k.Private != nil {
				t.Errorf("Published leaks the private key of %s", k.ID)
			}
			out = append(out, k.ID)
		}
		return out
	}
	tests := []struct {
		name      string
		now       time.Time
		published []string
	}{
		{"all valid", t0.Add(3 * time.Hour), []string{c.ID, b.ID, a.ID}},
		{"a expired", t0.Add(15 * time.Hour), []string{c.ID, b.ID}},
		{"a and b expired", t0.Add(25 * time.Hour), []string{c.ID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ids(r.Published(tt.now)); !slices.Equal(got, tt.published) {
				t.Errorf("Published = %v, want %v", got, tt.published)
			}
		})
	}
}

func TestNewRingRejects(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := testKey(t, 1), testKey(t, 2)
	retired := func(k Key) Key { k.RetiredAt = t0; return k }
	verifyOnly := func(k Key) Key { k.Private = nil; return k }
	wrongID := a
	wrongID.ID = b.ID
	mismatched := a
	mismatched.Private = b.Private
	tests := []struct {
		name string
		keys []Key
		ok   bool
	}{
		{"one active", []Key{a}, true},
		{"active and retired", []Key{retired(a), b}, true},
		{"active and verify-only retired", []Key{verifyOnly(retired(a)), b}, true},
		{"empty", nil, false},
		{"two active", []Key{a, b}, false},
		{"only retired", []Key{retired(a), retired(b)}, false},
		{"active without private key", []Key{verifyOnly(a), retired(b)}, false},
		{"duplicate", []Key{a, retired(a)}, false},
		{"id does not match", []Key{wrongID}, false},
		{"private does not match public", []Key{mismatched}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewRing(tt.keys)
			if (err == nil) != tt.ok {
				t.Fatalf("NewRing: %v, want ok=%v", err, tt.ok)
			}
			if err != nil {
				t.Logf("%v", err)
			}
		})
	}
}

// TestRingCopies checks that callers cannot change the ring through the keys
// it returns.
func TestRingCopies(t *testing.T) {
	r := newTestRing(t, time.Now())
	k := r.Active()
	k.Private[0] ^= 0xff
	pub, _ := r.Lookup(k.ID)
	pub[0] ^= 0xff
	if _, _, err := Verify(mustSign(t, r.Active(), testClaims(1)), r.Lookup); err != nil {
		t.Fatalf("ring changed through a returned copy: %v", err)
	}
}

// TestRingConcurrent is meant for go test -race: signing, noting and
// publishing at once.
func TestRingConcurrent(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := newTestRing(t, t0)
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				c := testClaims(g*100 + i)
				k := r.Active()
				if noted, _ := r.NoteSigned(k.ID, c.Expiry); noted.ID != k.ID {
					errs <- fmt.Errorf("NoteSigned lost the active key %s", k.ID)
					return
				}
				msg, err := Sign(k, c)
				if err != nil {
					errs <- err
					return
				}
				if _, _, err := Verify(msg, r.Lookup); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			if len(r.Published(t0)) == 0 {
				errs <- errors.New("Published lost the active key")
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
