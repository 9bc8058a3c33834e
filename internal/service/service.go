package service

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/identity"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/cache"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Config is what the service needs to know beyond its dependencies.
type Config struct {
	Limits domain.Limits
	// PublicURL is the base of the verify page that a code's QR opens,
	// e.g. "https://ruqi.example.gov.cn".
	PublicURL string
	// Issuer is the iss claim of codes.
	Issuer string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Policies are the frequency policies by region; DefaultPolicies when nil.
	Policies *coord.Policies
	// Log is the Merkle log of every event.
	Log LogConfig
	// Identity is the province's identity provider (OpenID Connect); nil
	// when people sign in only with tokens issued by an administrator.
	Identity *identity.Provider
	// Lifetimes of tokens; DefaultLifetimes for unset fields.
	Lifetimes Lifetimes
	// ConfirmWithin is how long the coordinator holds a registration's
	// decision pending for its store write; DefaultConfirmWithin when 0.
	ConfirmWithin time.Duration
	// Maintenance, when set, is told when a store compaction starts (true)
	// and ends (false), so that health reports NOT_SERVING meanwhile.
	Maintenance func(active bool)
}

// Lifetimes are how long each kind of token lasts. Every token but the
// data-directory admin token expires.
type Lifetimes struct {
	// Token is the default lifetime of an administrator-issued token;
	// MaxToken the longest an administrator may ask for.
	Token, MaxToken time.Duration
	// Session is a sign-in through the identity provider.
	Session time.Duration
	// Device is an enrolled staff phone; Enrolment the enrolment QR.
	Device, Enrolment time.Duration
}

// DefaultLifetimes: a service account's token lasts 90 days (at most a
// year), a sign-in a working day, a front-desk phone 30 days, its
// enrolment QR 10 minutes.
func DefaultLifetimes() Lifetimes {
	return Lifetimes{Token: 90 * 24 * time.Hour, MaxToken: 366 * 24 * time.Hour, Session: 12 * time.Hour, Device: 30 * 24 * time.Hour, Enrolment: 10 * time.Minute}
}

func (l Lifetimes) withDefaults() Lifetimes {
	d := DefaultLifetimes()
	for _, f := range []struct{ v, def *time.Duration }{{&l.Token, &d.Token}, {&l.MaxToken, &d.MaxToken}, {&l.Session, &d.Session}, {&l.Device, &d.Device}, {&l.Enrolment, &d.Enrolment}} {
		if *f.v <= 0 {
			*f.v = *f.def
		}
	}
	return l
}

// check refuses lifetimes longer than a token may live: the default of an
// administrator's token was not held to the maximum an administrator may
// ask for, so a server started with -token-ttl of ten years issued tokens
// for ten years (a trial of sign-in, 2026-12-05); a session and a device
// are held to it too.
func (l Lifetimes) check() error { return l.Check() }

// Check refuses lifetimes a server may not be started with: Token, Session
// and Device each from 1 minute to MaxToken (its default when unset). Unlike
// Config.Lifetimes, where an unset field is the default, 0 here is a flag
// given as 0, and refused: -device-ttl 0 was read as the default without a
// word, though docs/SECURITY.md said the server does not start (an
// operator's trial, 2026-12-06).
func (l Lifetimes) Check() error {
	if l.MaxToken <= 0 {
		l.MaxToken = DefaultLifetimes().MaxToken
	}
	for _, f := range []struct {
		flag string
		v    time.Duration
	}{{"-token-ttl", l.Token}, {"-session-ttl", l.Session}, {"-device-ttl", l.Device}} {
		if f.v < time.Minute || f.v > l.MaxToken {
			return fmt.Errorf("%s %s: a lifetime from 1m to %s (%d days)", f.flag, f.v, l.MaxToken, int(l.MaxToken.Hours()/24))
		}
	}
	return nil
}

// tokenTTL is the lifetime asked for, or the default.
func (s *Service) tokenTTL(ttl *durationpb.Duration) (time.Duration, error) {
	if ttl == nil {
		return s.cfg.Lifetimes.Token, nil
	}
	d := ttl.AsDuration()
	if !ttl.IsValid() || d < time.Minute || d > s.cfg.Lifetimes.MaxToken {
		return 0, domain.Invalidf("TTL_OUT_OF_RANGE", "令牌有效期须在 1 分钟到 %d 天之间，收到%s", int(s.cfg.Lifetimes.MaxToken.Hours()/24), ttlWords(ttl))
	}
	return d, nil
}

// ttlWords says a refused lifetime in Chinese units, as every duration in a
// message is (domain.FormatDuration): it was Go's "-1h0m0s", and a lifetime
// of centuries the saturated "2562047h47m16.854775807s" (a trial of bad
// input, 2026-12-07).
func ttlWords(ttl *durationpb.Duration) string {
	switch {
	case !ttl.IsValid():
		return "无效的时长（秒与纳秒须同号，且不超过一万年）"
	case ttl.GetSeconds() < 0:
		return "负数时长"
	case ttl.GetSeconds() < 60:
		// FormatDuration rounds to the minute: 30 s read "收到1分钟"
		// beside "须在 1 分钟到".
		return fmt.Sprintf("%d秒", ttl.GetSeconds())
	case ttl.GetSeconds() < 2*24*60*60 && ttl.GetSeconds()%60 == 0 && ttl.GetNanos() == 0:
		return domain.FormatDuration(ttl.AsDuration())
	}
	// Whole days were said alone, the rest dropped, and FormatDuration
	// rounds to the minute: a lifetime just past the longest (366 days and
	// an hour) was said "收到366天", the longest itself, as if that were
	// refused. Every unit is said, and "多" for a part of a second.
	secs := ttl.GetSeconds()
	var b strings.Builder
	for _, u := range []struct {
		n    int64
		unit string
	}{{secs / (24 * 60 * 60), "天"}, {secs % (24 * 60 * 60) / (60 * 60), "小时"}, {secs % (60 * 60) / 60, "分钟"}, {secs % 60, "秒"}} {
		if u.n > 0 {
			fmt.Fprintf(&b, "%d%s", u.n, u.unit)
		}
	}
	if ttl.GetNanos() > 0 {
		b.WriteString("多")
	}
	return b.String()
}

// Service holds what every handler shares.
type Service struct {
	store store.Store
	cfg   Config
	// maintenance is the compaction or backup running, if any: one at a
	// time (maintenanceJob).
	maintenance maintenanceJob
	now         func() time.Time
	coord       coord.Coordinator
	policies    *coord.Policies
	// policyDigest identifies policies: decisions on them are written only
	// while the store's is the same (inspection.CheckPolicy).
	policyDigest int64
	policyWarned atomic.Int64 // unix ns of the last policyRefused log line

	ring    atomic.Pointer[code.Ring]
	rotateM sync.Mutex // one rotation at a time
	// ringReloadedAt is when a scan last reloaded the ring for an unknown
	// key (unix nanoseconds).
	ringReloadedAt atomic.Int64

	witnesses []*tlog.WitnessClient
	// witnessDigest identifies this server's -witness-policy
	// (witnessPolicyDigest); the log is sequenced, its checkpoints signed
	// and cosigned, only by a replica whose digest is the store's.
	witnessDigest int64
	// witnessStale says this server's witness policy was not the store's
	// when last read (noteWitnessPolicy); witnessRead is when that was
	// (unix ns, mayLead), witnessWarned when it was last logged.
	witnessStale atomic.Bool
	// logHalted says why the Merkle log signs or is cosigned no more
	// (noteLogHalted), "" or unset when it is.
	logHalted                  atomic.Value
	witnessRead, witnessWarned atomic.Int64
	// cosignRetried is when an idle log last asked its missing witnesses
	// again (Unix nanoseconds): every cosignRetryEvery, not every interval.
	cosignRetried atomic.Int64
	// logVerifier checks the log's checkpoints with its own key (set at
	// start, from cfg.Log.Key).
	logVerifier *tlog.Verifier
	// settleScanned says SettleAnsweredProposals has read every proposal
	// once since the start; later passes read the answered ones only
	// (inspection.SettlePendingPrefix).
	settleScanned atomic.Bool
	// evalsKept says KeepEvaluationsByAgency has run since the start.
	evalsKept atomic.Bool
	// evaluatorsKept says KeepEvaluators has run since the start.
	evaluatorsKept atomic.Bool
	// ownLeadsMarked says MarkOwnLeads has run since the start.
	ownLeadsMarked atomic.Bool
	// takeBacks hold the reservations to take back once the coordinator
	// answers (takeBackLater).
	takeBacks takeBacks
}

// New loads the key ring from the store, creating the first key on a new
// database, and returns the service. newCoord makes the coordinator; it is
// given the service's Seed, which reads the store.
func New(ctx context.Context, st store.Store, cfg Config, newCoord func(coord.Seeder) (coord.Coordinator, error)) (*Service, error) {
	s := &Service{store: st, cfg: cfg, now: cfg.Now, policies: cfg.Policies}
	if s.policies == nil {
		s.policies = coord.DefaultPolicies()
	}
	c, err := newCoord(s.Seed)
	if err != nil {
		return nil, err
	}
	s.coord = c
	if s.now == nil {
		s.now = time.Now
	}
	s.cfg.Lifetimes = s.cfg.Lifetimes.withDefaults()
	if err := s.cfg.Lifetimes.check(); err != nil {
		return nil, err
	}
	if s.cfg.Issuer == "" {
		s.cfg.Issuer = "ruqi"
	}
	if err := s.loadRing(ctx); err != nil {
		return nil, err
	}
	if err := s.initWitnesses(); err != nil {
		return nil, err
	}
	if err := s.checkLogKey(ctx); err != nil {
		return nil, err
	}
	// The policies this replica decides on are the store's from now on:
	// replicas on others register nothing (inspection.CheckPolicy).
	s.policyDigest = s.policies.Digest()
	var was int64
	if err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		was, err = inspection.PublishPolicy(tx, s.policyDigest)
		return err
	}); err != nil {
		return nil, fmt.Errorf("publish the frequency policies' digest: %w", err)
	}
	if was != 0 && was != s.policyDigest {
		// Any server started on the store, however briefly, does this (an
		// operator's second trial, 2026-12-05, found replicas refusing with
		// nothing in any log to say why).
		slog.WarnContext(ctx, "this server's frequency policies (-policy-file) replace those of the server started before it on this store: servers still on the old ones register nothing (POLICY_DIFFERS) until restarted on the same file",
			"policy_digest", fmt.Sprintf("%016x", s.policyDigest), "replaced", fmt.Sprintf("%016x", was))
	} else {
		slog.InfoContext(ctx, "frequency policies", "policy_digest", fmt.Sprintf("%016x", s.policyDigest))
	}
	if err := s.publishWitnessPolicy(ctx); err != nil {
		return nil, err
	}
	if err := s.sealLegacyEvents(ctx); err != nil {
		return nil, err
	}
	// On a store shared by replicas, the one that holds the sequencer's
	// lock builds the Merkle log and asks witnesses to cosign (RunLog): a
	// replica whose witness policy is no longer the store's lets the lock
	// go to one whose policy is (mayLead).
	if g, ok := store.As[leadGate](s.store); ok {
		g.SetMayLead(s.mayLead)
	}
	return s, nil
}

// legacySealedKey counts the events that sealed the store's legacy events
// (sealLegacyEvents): one, once.
const legacySealedKey = "log_legacy_sealed"

// sealLegacyEvents appends, once per store, the event that seals the
// events written before hash version 3 (store.EventHash): their time and
// type, which their own hashes leave out, are then under this event's
// hash, in the Merkle log, and witnessed with its next checkpoint, so that
// a change to them from now on breaks the chain (store.VerifyChain). What
// was changed before the upgrade is not caught: the seal takes the events
// as they read at the first start of this version. A store of v3 events
// only has nothing to seal. The walk reads every legacy event once, at
// that first start (a few seconds a million events).
func (s *Service) sealLegacyEvents(ctx context.Context) error {
	var sealed int64
	var detail string
	if err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if sealed, err = r.Count(legacySealedKey); err != nil || sealed > 0 {
			return err
		}
		detail, err = store.LegacyDigest(r)
		return err
	}); err != nil {
		return fmt.Errorf("seal the events written before hash version 3: %w", err)
	}
	if sealed > 0 || detail == "" {
		return nil
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		// Another replica starting at the same time may have sealed first.
		if n, err := tx.Count(legacySealedKey); err != nil || n > 0 {
			return err
		}
		if err := tx.AddCount(legacySealedKey, 1); err != nil {
			return err
		}
		return record(tx, &ruqiv1.Event{Time: timestamppb.New(s.now()), Type: ruqiv1.EventType_EVENT_TYPE_LEGACY_EVENTS_SEALED, Actor: "system", Detail: detail})
	})
	if err != nil {
		return fmt.Errorf("seal the events written before hash version 3: %w", err)
	}
	slog.InfoContext(ctx, "sealed the events written before hash version 3: their time and type, outside their own hashes, are under this event's from now on", "detail", detail)
	return nil
}

// witnessPolicyKey holds the digest of the -witness-policy of the server
// started last on the store (witnessPolicyDigest).
const witnessPolicyKey = "log_witness_policy"

// witnessPolicyDigest identifies a witness policy's text, none included,
// in [1, 2^62): 0 is a store no server published to.
func witnessPolicyDigest(policy []byte) int64 {
	h := sha256.Sum256(bytes.TrimSpace(policy))
	return int64(binary.BigEndian.Uint64(h[:8])>>2) | 1
}

// publishWitnessPolicy makes this server's witness policy the store's and
// warns when it replaces another. Only the replica that sequences the log
// asks witnesses to cosign, so replicas on different policies had their
// checkpoints witnessed or not by whichever held the sequencer's lock, and
// one replica's /keys.json named witnesses that no checkpoint carried (an
// operator's trial, 2026-12-06: one replica of three given a policy, no
// witness ever asked, every receipt short of it, nothing in any log). As
// with the frequency policies (-policy-file, POLICY_DIFFERS), the server
// started last decides: replicas still on another policy stand aside from
// sequencing (mayLead) until restarted on this one.
func (s *Service) publishWitnessPolicy(ctx context.Context) error {
	digest := witnessPolicyDigest(s.cfg.Log.WitnessPolicy)
	s.witnessDigest = digest
	var was int64
	if err := s.store.Update(ctx, func(tx store.Tx) error {
		n, err := tx.Count(witnessPolicyKey)
		if err != nil {
			return err
		}
		was = n
		return tx.AddCount(witnessPolicyKey, digest-n)
	}); err != nil {
		return fmt.Errorf("publish the witness policy's digest: %w", err)
	}
	s.witnessRead.Store(time.Now().UnixNano())
	if was != 0 && was != digest {
		slog.WarnContext(ctx, "this server's -witness-policy replaces that of the server started before it on this store: replicas still on the old one (or on none) stand aside from sequencing the Merkle log, so sign and witness no checkpoint, until restarted on the same -witness-policy",
			"witness_policy_digest", fmt.Sprintf("%016x", digest), "replaced", fmt.Sprintf("%016x", was), "witnesses", len(s.witnesses))
	}
	return nil
}

// leadGate is a store whose replicas take turns sequencing the events
// (postgres.Store.SetMayLead): the service tells it when this one may not.
type leadGate interface {
	SetMayLead(func(context.Context) bool)
}

// witnessCheckEvery is how often mayLead reads the store's witness policy:
// a replica replaced by one started on another policy stands aside within
// about this long.
const witnessCheckEvery = time.Second

// errWitnessPolicyStale refuses an integration of the Merkle log on a
// server whose witness policy is not the store's.
var errWitnessPolicyStale = errors.New("this server's -witness-policy is not the store's (that of the server started last on it)")

// mayLead tells the store's sequencer whether this replica may sequence
// the events, which makes it the one that integrates the Merkle log, signs
// its checkpoints and asks witnesses to cosign them (RunLog): only while
// its witness policy is the store's, so that every checkpoint is cosigned
// under the policy of the server started last, the one its operator gave
// last. Standing aside rather than refusing calls: the events the others
// write are sequenced by a replica on the store's policy, and this one
// goes on serving scans, registrations and reads. Refusing to build the
// log while still sequencing would leave the log unsigned for as long as
// the lock stayed here; refusing to serve would take a replica out for a
// policy that only the sequencing replica applies. If no replica on the
// store's policy runs (the one started last stopped), nothing is
// sequenced until one is restarted on it: events wait in the store,
// committed, and so do the jobs of the sequencing replica (onSequencer)
// and the calls that wait for the log (ListEvents, VerifyEventLog). That
// is the price of never building the log under a policy an operator
// replaced, whose checkpoints the published policy's witnesses would not
// have cosigned: receipts that fail it, the fault this guards against.
//
// It reads the store at most every witnessCheckEvery and answers from what
// it read last meanwhile, or when the read fails.
func (s *Service) mayLead(ctx context.Context) bool {
	now := time.Now().UnixNano()
	if last := s.witnessRead.Load(); now-last >= int64(witnessCheckEvery) && s.witnessRead.CompareAndSwap(last, now) {
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		var stored int64
		err := s.store.View(rctx, func(r store.Reader) error {
			var err error
			stored, err = r.Count(witnessPolicyKey)
			return err
		})
		cancel()
		if err == nil {
			s.noteWitnessPolicy(ctx, stored)
		}
	}
	return !s.witnessStale.Load()
}

// checkWitnessPolicy refuses (errWitnessPolicyStale) when the store's
// witness policy, read by r, is not this server's. A store no server
// published to (0) refuses nothing.
func (s *Service) checkWitnessPolicy(ctx context.Context, r store.Reader) error {
	stored, err := r.Count(witnessPolicyKey)
	if err != nil {
		return err
	}
	if s.noteWitnessPolicy(ctx, stored) {
		return errWitnessPolicyStale
	}
	return nil
}

// noteWitnessPolicy records whether stored, the store's witness policy
// digest, is other than this server's, and tells. While it is, it logs so
// at most once a minute (the replica serves on, and its operator must
// learn why no checkpoint comes from it); when it is the same again
// (another server started on this one's policy), it says so once.
func (s *Service) noteWitnessPolicy(ctx context.Context, stored int64) bool {
	stale := stored != 0 && stored != s.witnessDigest
	was := s.witnessStale.Swap(stale)
	if !stale {
		if was {
			slog.InfoContext(ctx, "this server's -witness-policy is the store's again: it may sequence the Merkle log",
				"witness_policy_digest", fmt.Sprintf("%016x", s.witnessDigest))
		}
		return false
	}
	now := time.Now().UnixNano()
	if last := s.witnessWarned.Load(); now-last >= int64(time.Minute) && s.witnessWarned.CompareAndSwap(last, now) {
		slog.WarnContext(ctx, "this server's -witness-policy is not that of the server started last on this store: it stands aside from sequencing the Merkle log (signs no checkpoint, asks no witness) while serving scans and reads; restart it on the same -witness-policy",
			"witness_policy_digest", fmt.Sprintf("%016x", s.witnessDigest), "store_witness_policy_digest", fmt.Sprintf("%016x", stored))
	}
	return true
}

// Notice is what /healthz adds to its "ok" while this server serves but
// does not take part in everything (its witness policy is not the store's:
// mayLead), or "".
func (s *Service) Notice() string {
	if s.witnessStale.Load() {
		return "本服务器的见证策略（-witness-policy）与最近启动的服务器不同，不参与日志排序、签名与见证（核验、报备、查询照常）：请以同一 -witness-policy 重启本服务器"
	}
	if h, _ := s.logHalted.Load().(string); h != "" {
		return h
	}
	return ""
}

// policyRefused logs, at most once a minute, that this server refused a
// registration because its policies are not the store's.
func (s *Service) policyRefused(ctx context.Context, err error) {
	if domain.ReasonOf(err) != "POLICY_DIFFERS" {
		return
	}
	now := time.Now().UnixNano()
	last := s.policyWarned.Load()
	if now-last < int64(time.Minute) || !s.policyWarned.CompareAndSwap(last, now) {
		return
	}
	var stored int64
	_ = s.store.View(ctx, func(r store.Reader) error { stored, _ = inspection.StorePolicy(r); return nil })
	slog.WarnContext(ctx, "registration refused: this server's frequency policies are not those of the server started last on this store; restart it on the same -policy-file",
		"policy_digest", fmt.Sprintf("%016x", s.policyDigest), "store_policy_digest", fmt.Sprintf("%016x", stored))
}

// Register registers every gRPC service on g.
func (s *Service) Register(g grpc.ServiceRegistrar) {
	ruqiv1.RegisterDirectoryServiceServer(g, &directoryServer{s: s})
	ruqiv1.RegisterInspectionServiceServer(g, &inspectionServer{s: s})
	ruqiv1.RegisterEnterpriseServiceServer(g, &enterpriseServer{s: s})
	ruqiv1.RegisterDoorServiceServer(g, &doorServer{s: s})
	ruqiv1.RegisterKeyServiceServer(g, &keyServer{s: s})
	ruqiv1.RegisterAdminServiceServer(g, &adminServer{s: s})
	ruqiv1.RegisterSupervisionServiceServer(g, &supervisionServer{s: s})
	ruqiv1.RegisterReportServiceServer(g, &reportServer{s: s})
	ruqiv1.RegisterLogServiceServer(g, &logServer{s: s})
	ruqiv1.RegisterSessionServiceServer(g, &sessionServer{s: s})
	ruqiv1.RegisterDrawServiceServer(g, &drawServer{s: s})
	ruqiv1.RegisterPlanServiceServer(g, &planServer{s: s})
	ruqiv1.RegisterMatchingServiceServer(g, &matchingServer{s: s})
}

// Close releases the coordinator.
func (s *Service) Close() error {
	s.flushTakeBacks(closeTakeBacksWithin)
	return s.coord.Close()
}

// LookupToken is the auth interceptor's view of the store. An officer's
// token is refused while the officer's certificate (执法证) is not valid
// (domain.OfficerMayAct): a suspended or revoked officer registered visits
// naming colleagues, took a colleague's code and read other agencies'
// results with the token they held (a review, 2026-12-05).
//
// Signing out is the exception: it only ends the caller's own session, and
// a suspended officer could not end one that then acted again the moment
// the certificate was restored (a trial of sign-in, 2026-12-07).
func (s *Service) LookupToken(ctx context.Context, hash []byte) (*store.AccessToken, error) {
	tok, err := s.lookupToken(ctx, hash)
	if err != nil || tok.Role != ruqiv1.Role_ROLE_OFFICER {
		return tok, err
	}
	if m, _ := grpc.Method(ctx); m == ruqiv1.SessionService_SignOut_FullMethodName {
		return tok, nil
	}
	err = s.store.View(ctx, func(r store.Reader) error {
		o, err := r.Officer(tok.Subject)
		if errors.Is(err, store.ErrNotFound) {
			return nil // the call's own check names the missing officer
		}
		if err != nil {
			return err
		}
		return domain.OfficerMayAct(o, s.now())
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return tok, nil
}

func (s *Service) lookupToken(ctx context.Context, hash []byte) (*store.AccessToken, error) {
	if c, ok := store.As[*cache.Store](s.store); ok {
		return c.AccessToken(ctx, hash) // no transaction when held in memory
	}
	var tok *store.AccessToken
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		tok, err = r.AccessToken(hash)
		return err
	})
	return tok, err
}

// EnsureAdminToken stores the hash of an administrator token read from the
// data directory, so that the first administrator can act on a new database.
func (s *Service) EnsureAdminToken(ctx context.Context, token string) error {
	return s.EnsureAdminTokenDescribed(ctx, token, "data-directory admin token")
}

// EnsureAdminTokenDescribed is EnsureAdminToken with the description a new
// record gets: which data directory on which host, so that an
// administrator listing them (ListAccessTokens) can tell which to revoke.
func (s *Service) EnsureAdminTokenDescribed(ctx context.Context, token, description string) error {
	if strings.TrimSpace(token) == "" {
		return errors.New("empty administrator token")
	}
	hash := auth.HashToken(token)
	return s.store.Update(ctx, func(tx store.Tx) error {
		if had, err := tx.AccessToken(hash); err == nil {
			if !had.RevokedAt.IsZero() {
				// Revoked by an administrator (ListAccessTokens): kept so,
				// but said at start, where the way out is (an operator's
				// second trial, 2026-12-05).
				slog.WarnContext(ctx, "the data directory's administrator token (admin.token) was revoked: remove the file and restart to have a new one made",
					"token_id", had.ID, "revoked_at", had.RevokedAt)
			}
			return nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := s.now()
		tok := &store.AccessToken{ID: fmt.Sprintf("tok-%x", hash[:6]), Hash: hash, Role: ruqiv1.Role_ROLE_ADMIN, Subject: "bootstrap", Description: description, CreatedAt: now}
		if err := tx.PutAccessToken(tok); err != nil {
			return err
		}
		return record(tx, &ruqiv1.Event{Time: timestamppb.New(now), Type: ruqiv1.EventType_EVENT_TYPE_TOKEN_ISSUED, Actor: "system", Detail: "admin:bootstrap " + tok.ID})
	})
}

func principal(ctx context.Context) auth.Principal {
	p, _ := auth.FromContext(ctx)
	return p
}

// actorOf names the caller in the event log ("system" with no caller).
func actorOf(ctx context.Context) string {
	if p, ok := auth.FromContext(ctx); ok {
		return p.String()
	}
	return "system"
}

// newEvent starts an event by the caller at now, for steps that move no
// report counter and open no lead (directory, keys, tokens).
func newEvent(ctx context.Context, now time.Time, typ ruqiv1.EventType) *ruqiv1.Event {
	return &ruqiv1.Event{Time: timestamppb.New(now), Type: typ, Actor: actorOf(ctx)}
}

// notFound turns store.ErrNotFound into a domain error with a message.
func notFound(err error, reason, format string, args ...any) error {
	if errors.Is(err, store.ErrNotFound) {
		return domain.NotFoundf(reason, format, args...)
	}
	return err
}

func requireText(s, reason, what string) error {
	if domain.Blank(s) {
		return domain.Invalidf(reason, "请填写%s", what)
	}
	return nil
}

// record writes an event of a step that moves no report counter and opens
// no lead (directory, keys, tokens, sessions) through the same journal as
// the inspection steps, so that every event of the log has one way in.
func record(tx store.Tx, e *ruqiv1.Event) error {
	return inspection.NewJournal(tx, e.GetActor(), e.GetTime().AsTime()).Record(e)
}
