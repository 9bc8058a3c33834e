// Package store defines the record of ruqi: the directory, inspections, codes,
// check-ins, access tokens, signing keys and the hash-chained event log, behind
// one transactional interface that every backend implements.
//
// Records are the ruqi.v1 protobuf messages where the API has one, so the wire
// and the disk share one schema that evolves under buf's breaking-change rules.
package store

import (
	"context"
	"errors"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// ErrNotFound is returned by lookups of a key that is not there.
var ErrNotFound = errors.New("store: not found")

// ErrUnavailable wraps errors that mean the database cannot be reached now
// (connection refused or lost, server shutting down). The caller may retry
// later; an Update that ends so may or may not have committed.
var ErrUnavailable = errors.New("store: database unavailable")

// Store is a transactional record.
//
// Isolation, as the conformance suite (storetest) checks it: Update runs as
// if no other Update ran at the same time, in this process or in another
// replica on the same database (serializable). To give that, a backend may
// call fn more than once (bbolt retries one writer alone when its batch
// fails; PostgreSQL retries on a serialization failure or deadlock), so fn
// must derive everything from the transaction and keep no state across
// calls. An error from fn rolls back everything fn wrote. View sees one
// consistent snapshot of committed data.
type Store interface {
	View(ctx context.Context, fn func(Reader) error) error
	Update(ctx context.Context, fn func(Tx) error) error
	// WaitSequenced returns once every event committed before the call is
	// in the log (Events, Head). bbolt sequences at commit, so it returns at
	// once; PostgreSQL's sequencer does it in batches, within its interval.
	WaitSequenced(ctx context.Context) error
	// Watch reports the changes other processes commit to the records that
	// the read cache holds (internal/store/cache): the directory (agencies,
	// officers, enterprises, check items) and access tokens. It calls
	// ready once changes are being followed, then changed for each; a
	// Change with an empty Kind means some may have been missed (the
	// connection was lost), and is followed by ready again once they are
	// followed anew. Watch returns when ctx ends. bbolt, which one process
	// holds, calls ready and waits; PostgreSQL listens to the notifications
	// its triggers send at commit.
	Watch(ctx context.Context, ready func(), changed func(Change)) error
	Close() error
}

// Change names one record changed by another process (Store.Watch). Key is
// the record's key: an id, a USCC, or for an access token its hash.
type Change struct {
	Kind Kind
	Key  string
}

// Kind is the kind of a record the read cache holds.
type Kind string

// Kinds the read cache holds.
const (
	KindAgency      Kind = "agencies"
	KindOfficer     Kind = "officers"
	KindEnterprise  Kind = "enterprises"
	KindCheckItem   Kind = "check_items"
	KindAccessToken Kind = "access_tokens"
)

// Reader reads within a transaction. Lookups by key return ErrNotFound.
type Reader interface {
	Agency(id string) (*ruqiv1.Agency, error)
	Officer(id string) (*ruqiv1.Officer, error)
	Enterprise(uscc string) (*ruqiv1.Enterprise, error)
	// Enterprises lists a page of the directory's enterprises by USCC.
	Enterprises(p Page) ([]*ruqiv1.Enterprise, error)
	// UnknownEnterprises returns those of usccs that are not in the
	// directory, in their order: a draw's population of thousands checked
	// in one read, not one round trip each.
	UnknownEnterprises(usccs []string) ([]string, error)
	// EnterprisesOf returns the enterprises of usccs the directory holds,
	// in the order asked (one for each time it is asked), in one read: a
	// draw's list of thousands held to the agency's territory.
	EnterprisesOf(usccs []string) ([]*ruqiv1.Enterprise, error)
	CheckItem(id string) (*ruqiv1.CheckItem, error)
	// CheckItems lists an agency's catalogue, retired items included, by id.
	CheckItems(agencyID string) ([]*ruqiv1.CheckItem, error)
	// Officers lists an agency's officers by id.
	Officers(agencyID string) ([]*ruqiv1.Officer, error)

	Inspection(id string) (*ruqiv1.Inspection, error)
	// InspectionsOf returns the inspections of ids the store holds, by the
	// id asked (the key they are kept under, as Inspection reads them), in
	// one read: the check of the records against the log
	// (inspection.CheckRecords) reads a chunk of events' inspections at a
	// time, not one round trip each.
	InspectionsOf(ids []string) (map[string]*ruqiv1.Inspection, error)
	// InspectionsOfEnterprise lists a page of an enterprise's inspections
	// by id.
	InspectionsOfEnterprise(uscc string, p Page) ([]*ruqiv1.Inspection, error)
	// Codes lists an inspection's codes by officer id, without QR images.
	Codes(inspectionID string) ([]*ruqiv1.InspectionCode, error)
	// InspectionForRequest returns the record (an inspection, or a plan
	// under a plan's request key) created under a client request id, or
	// ErrNotFound.
	InspectionForRequest(requestID string) (string, error)
	CheckIn(tokenID []byte) (*CheckIn, error)

	AccessToken(hash []byte) (*AccessToken, error)
	SigningKeys() ([]SigningKey, error)

	JointInspection(id string) (*ruqiv1.JointInspection, error)
	// JointOf returns the joint inspection a plan belongs to ("" if alone)
	// and the coordinator version that said so; ErrNotFound if never said.
	JointOf(inspectionID string) (joint string, version int64, err error)
	// Count reads a counter (0 if never added to).
	Count(key string) (int64, error)
	// Counts calls fn for every counter whose key starts with prefix, in key
	// order; a counter back at zero reads as none.
	Counts(prefix string, fn func(key string, n int64) error) error

	AccessTokenByID(id string) (*AccessToken, error)
	// AccessTokensOf lists the tokens of one principal (role and subject) by
	// id, revoked and expired ones included: an enterprise's devices.
	AccessTokensOf(role ruqiv1.Role, subject string) ([]*AccessToken, error)
	// AccessTokens lists a page of every token by id, revoked and expired
	// ones included: the pruning of ended sessions reads it.
	AccessTokens(p Page) ([]*AccessToken, error)
	Evaluation(inspectionID string) (*ruqiv1.Evaluation, error)
	// EvaluationsOf returns the evaluations of the inspections of
	// inspectionIDs the store holds, by the inspection id asked, in one
	// read, as InspectionsOf.
	EvaluationsOf(inspectionIDs []string) (map[string]*ruqiv1.Evaluation, error)
	// Evaluations lists a page of an agency's evaluations ("" for all), by
	// inspection id.
	Evaluations(agencyID string, p Page) ([]*ruqiv1.Evaluation, error)
	Lead(id string) (*ruqiv1.Lead, error)
	// Leads lists a page of leads by id.
	Leads(p Page) ([]*ruqiv1.Lead, error)
	// Plan returns an inspection plan (检查计划) with every version.
	Plan(id string) (*ruqiv1.Plan, error)
	// Plans lists a page of an agency's plans ("" for all), by id.
	Plans(agencyID string, p Page) ([]*ruqiv1.Plan, error)

	// Events calls fn for each sequenced event with seq > afterSeq, in
	// order, until fn returns an error; ErrStop ends the walk without error.
	Events(afterSeq uint64, fn func(*ruqiv1.Event) error) error
	// Head returns the last sequenced event's seq and hash (0, nil for an
	// empty log).
	Head() (uint64, []byte, error)

	// TreeNode returns the hash of a perfect subtree of the Merkle log over
	// the events (internal/tlog): level 0 is a leaf, index counts from the
	// left. ErrNotFound if not integrated yet.
	TreeNode(level uint, index uint64) ([]byte, error)
	// Checkpoint returns the signed checkpoint (a note) kept for a tree
	// size, ErrNotFound if none was published at that size.
	Checkpoint(size uint64) ([]byte, error)
	// LatestCheckpoint returns the largest tree size with a checkpoint and
	// its note (0, nil for none).
	LatestCheckpoint() (uint64, []byte, error)
	// EnterpriseEvents calls fn with the seq of each integrated event
	// indexed under the enterprise (PutEnterpriseEvent), after afterSeq, in
	// order; ErrStop ends the walk.
	EnterpriseEvents(uscc string, afterSeq uint64, fn func(seq uint64) error) error

	// EnterpriseCode returns an enterprise's current code (企业码).
	EnterpriseCode(uscc string) (*EnterpriseCode, error)
	// Arrival returns an officer's recorded arrival for an inspection.
	Arrival(inspectionID, officerID string) (*Arrival, error)
	// CheckInsOfOfficer calls fn with the check-ins of an officer's codes
	// made in [from, to), by time (PutCheckIn keeps the index; check-ins
	// written before it existed are not listed), until fn returns an error;
	// ErrStop ends the walk without error. A walk, not a list: the door's
	// check wants the first overlapping check-in, and an officer who checks
	// in at a whole market's stalls within one visit's span would otherwise
	// have every earlier one read again at each scan.
	CheckInsOfOfficer(officerID string, from, to time.Time, fn func(*CheckIn) error) error
	// CheckpointAtLeast returns the smallest tree size of at least size
	// that has a checkpoint, and its note; ErrNotFound if none: the
	// randomness of a 双随机 draw is the root of the first checkpoint that
	// includes its commitment.
	CheckpointAtLeast(size uint64) (uint64, []byte, error)

	// Draw reads a 双随机 draw; Draws lists a page of them by id.
	Draw(id string) (*ruqiv1.Draw, error)
	Draws(p Page) ([]*ruqiv1.Draw, error)
	// Accompaniments lists an inspection's accompanying supervisors
	// (伴随式执法监督) by id.
	Accompaniments(inspectionID string) ([]*ruqiv1.Accompaniment, error)
	// PlanCoverage returns what one agency's plan covers, for matching
	// (拼团); key is CoverageKey(agency, plan).
	PlanCoverage(key string) (*ruqiv1.PlanCoverage, error)
	// PlanCoverages lists a page of plan coverages by key.
	PlanCoverages(p Page) ([]*ruqiv1.PlanCoverage, error)
	// Proposal returns a proposed joint visit.
	Proposal(id string) (*ruqiv1.JointVisitProposal, error)
	// ProposalsOf returns the proposals of ids the store holds, by the id
	// asked, in one read, as InspectionsOf.
	ProposalsOf(ids []string) (map[string]*ruqiv1.JointVisitProposal, error)
	// Proposals lists a page of proposals by id.
	Proposals(p Page) ([]*ruqiv1.JointVisitProposal, error)
	// ProposalsOfAgency lists a page of the proposals an agency is a member
	// of, by id.
	ProposalsOfAgency(agencyID string, p Page) ([]*ruqiv1.JointVisitProposal, error)
}

// CoverageKey keys a plan's coverage: plan ids are the agency's own, so two
// agencies may use the same one. Agency ids hold no "/".
func CoverageKey(agencyID, planID string) string { return agencyID + "/" + planID }

// Page selects part of a list that grows with a province: the records
// whose key (the id the list is ordered by) is above After, at most Limit
// of them. The zero Page is the whole list. The next page starts After the
// last key of this one.
type Page struct {
	After string
	Limit int
}

// Each reads every record of a list in key order, limit at a time, and
// calls fn on each; fn's error stops the walk and is returned. key names a
// record as the list's Page.After does.
func Each[T any](limit int, read func(Page) ([]T, error), key func(T) string, fn func(T) error) error {
	for page := (Page{Limit: limit}); ; {
		list, err := read(page)
		if err != nil {
			return err
		}
		for _, rec := range list {
			if err := fn(rec); err != nil {
				return err
			}
		}
		if len(list) < limit || len(list) == 0 {
			return nil
		}
		page.After = key(list[len(list)-1])
	}
}

// SetCount sets a counter to want in tx, adding the difference from what
// it holds (counters are added to, never written: PostgreSQL folds the
// deltas).
func SetCount(tx Tx, key string, want int64) error {
	n, err := tx.Count(key)
	if err != nil || n == want {
		return err
	}
	return tx.AddCount(key, want-n)
}

// DropCounts takes to zero, in tx, every counter under prefix that gone
// says is over, and returns how many: neither store keeps a counter at
// zero (bbolt deletes the key, PostgreSQL's sequencer the row). The keys
// are read first and written after, in one transaction: a caller runs it
// in a transaction of its own, since on PostgreSQL the range it reads
// conflicts with every write under prefix meanwhile.
func DropCounts(tx Tx, prefix string, gone func(key string) bool) (int, error) {
	type past struct {
		k string
		n int64
	}
	var drop []past
	err := tx.Counts(prefix, func(k string, n int64) error {
		if n != 0 && gone(k) {
			drop = append(drop, past{k, n})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, d := range drop {
		if err := tx.AddCount(d.k, -d.n); err != nil {
			return 0, err
		}
	}
	return len(drop), nil
}

// ErrStop ends an Events walk early without an error.
var ErrStop = errors.New("store: stop")

// Tx writes within a transaction.
type Tx interface {
	Reader
	PutAgency(*ruqiv1.Agency) error
	PutOfficer(*ruqiv1.Officer) error
	PutEnterprise(*ruqiv1.Enterprise) error
	PutCheckItem(*ruqiv1.CheckItem) error
	// PutInspection writes an inspection and keeps its enterprise index.
	PutInspection(*ruqiv1.Inspection) error
	PutCode(*ruqiv1.InspectionCode) error
	PutRequest(requestID, inspectionID string) error
	PutCheckIn(*CheckIn) error
	PutAccessToken(*AccessToken) error
	// DeleteAccessToken removes the token of hash and its indexes (by id,
	// by principal); a token not held is no error. Only the pruning of
	// ended sessions deletes tokens (auth.Prunable).
	DeleteAccessToken(hash []byte) error
	PutSigningKey(SigningKey) error
	PutJointInspection(*ruqiv1.JointInspection) error
	PutJointOf(inspectionID, joint string, version int64) error
	// AddCount adds delta to a counter, for reports that must not scan
	// history.
	AddCount(key string, delta int64) error
	PutEvaluation(*ruqiv1.Evaluation) error
	PutLead(*ruqiv1.Lead) error
	// PutPlan writes a plan and keeps its agency index; a plan's agency
	// never changes.
	PutPlan(*ruqiv1.Plan) error
	// AppendEvent adds the event to the log when the transaction commits,
	// with a random salt if it has none; the caller sets everything but seq,
	// prev_hash and hash, including the time.
	// Events of one transaction stay in the order appended. bbolt assigns seq,
	// prev_hash and hash at once (and sets them on e); PostgreSQL writes the
	// event unsequenced and its sequencer assigns them after commit, so there
	// e's seq stays 0 and the event shows in Events and Head only once
	// sequenced (see WaitSequenced).
	AppendEvent(*ruqiv1.Event) error

	// PutTreeNode keeps a perfect subtree's hash (internal/tlog integrates
	// events into the Merkle log in the same transaction as the checkpoint).
	PutTreeNode(level uint, index uint64, hash []byte) error
	// PutCheckpoint keeps the signed checkpoint for a tree size, replacing
	// the one kept for that size (a cosigned note replaces the bare one).
	PutCheckpoint(size uint64, note []byte) error
	// PutEnterpriseEvent indexes an integrated event under its enterprise,
	// for the enterprise's receipts (tlog.Integrate says which).
	PutEnterpriseEvent(uscc string, seq uint64) error
	// SealEvents says that events up to seq size are in the Merkle log
	// under a signed checkpoint: a store may pack them more tightly now
	// (bbolt seals them in compressed blocks; PostgreSQL does nothing).
	// Events reads them as before.
	SealEvents(size uint64) error

	// PutEnterpriseCode replaces an enterprise's code: only the latest is
	// kept, so a re-issued code ends the old one in the same write.
	PutEnterpriseCode(*EnterpriseCode) error
	// PutArrival records (or replaces) an officer's arrival for an
	// inspection.
	PutArrival(*Arrival) error
	PutDraw(*ruqiv1.Draw) error
	PutAccompaniment(*ruqiv1.Accompaniment) error
	// PutPlanCoverage writes a plan's coverage under CoverageKey, replacing
	// the one there.
	PutPlanCoverage(*ruqiv1.PlanCoverage) error
	// PutProposal writes a proposal and indexes it under each member
	// agency; a proposal's members never change.
	PutProposal(*ruqiv1.JointVisitProposal) error
}

// CheckIn is the first valid scan of one code: scanning again is the same
// check-in (DESIGN.md, flow 3).
type CheckIn struct {
	TokenID      []byte    `json:"token_id"`
	InspectionID string    `json:"inspection_id"`
	OfficerID    string    `json:"officer_id"`
	USCC         string    `json:"uscc"`
	At           time.Time `json:"at"`
	Scans        int       `json:"scans"`
	// By is who made the first scan: the enterprise's signed-in account or
	// an enrolled device, with its token id (全程留痕).
	By string `json:"by,omitempty"`
}

// AccessToken is a bearer token's record. Only the SHA-256 of the token is
// kept, so a copy of the database does not hand out credentials.
type AccessToken struct {
	ID          string      `json:"id"`
	Hash        []byte      `json:"hash"`
	Role        ruqiv1.Role `json:"role"`
	Subject     string      `json:"subject"`
	Description string      `json:"description"`
	CreatedAt   time.Time   `json:"created_at"`
	RevokedAt   time.Time   `json:"revoked_at,omitzero"`
	// ExpiresAt ends the token. Zero only for the data-directory admin token
	// and for tokens issued before tokens expired.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// Kind says how the token came to be: TokenIssued by an administrator,
	// TokenSession from a sign-in, TokenDevice for an enrolled staff phone,
	// TokenEnrolment for a single-use enrolment code, TokenSpentSignIn for
	// an identity provider's sign-in already exchanged for a session (both
	// authenticate nothing).
	Kind string `json:"kind,omitempty"`
	// Label names a device, or the signed-in account, for lists and records.
	Label string `json:"label,omitempty"`
	// Parent is the id of the token that made this one: for a device
	// enrolment code the account token or session that created it, for a
	// device the same (its code's parent). An administrator's revocation of
	// the parent revokes them too. Empty for tokens made before 2026-12-06.
	Parent string `json:"parent,omitempty"`
}

// Kinds of AccessToken.
const (
	TokenIssued    = ""
	TokenSession   = "session"
	TokenDevice    = "device"
	TokenEnrolment = "enrolment"
	// TokenSpentSignIn records that one ID token's sign-in (its issuer,
	// subject and nonce) has been exchanged for a session, so that the
	// same ID token cannot be exchanged again until it expires. It is kept
	// revoked, and the interceptor refuses it as a credential.
	TokenSpentSignIn = "spent-sign-in"
)

// SigningKey is one code-signing key as persisted.
type SigningKey struct {
	ID          string    `json:"id"`
	Seed        []byte    `json:"seed"` // ed25519 seed; the private key
	CreatedAt   time.Time `json:"created_at"`
	RetiredAt   time.Time `json:"retired_at,omitzero"`
	VerifyUntil time.Time `json:"verify_until,omitzero"`
}

// EnterpriseCode is an enterprise's current code (企业码): the poster on its
// premises that officers scan on arrival. Only the latest generation is
// kept; a code of an earlier one is refused.
type EnterpriseCode struct {
	USCC       string    `json:"uscc"`
	Generation uint64    `json:"generation"`
	TokenID    []byte    `json:"token_id"`
	KeyID      string    `json:"key_id"`
	Token      string    `json:"token"` // the signed code as text (code.EncodeToken)
	IssuedAt   time.Time `json:"issued_at"`
	By         string    `json:"by,omitempty"` // who issued it: "system" for the first, else the enterprise's account
}

// Arrival is an officer's arrival at an enterprise for an inspection,
// recorded when the officer scanned the enterprise's code (两码互核). The
// first scan is the arrival; a later one counts on it.
type Arrival struct {
	InspectionID string    `json:"inspection_id"`
	OfficerID    string    `json:"officer_id"`
	USCC         string    `json:"uscc"`
	At           time.Time `json:"at"`
	Generation   uint64    `json:"generation"` // of the enterprise code scanned
	Scans        int       `json:"scans"`
}
