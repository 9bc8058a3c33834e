package tlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/formats/witness"
	"github.com/transparency-dev/merkle/proof"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Verifier checks checkpoints of one log: its signature and, if a policy is
// set, the witnesses' cosignatures.
type Verifier struct {
	log    note.Verifier
	policy *witness.Group
	keys   []note.Verifier
}

// NewVerifier takes the log's verifier key and an optional witness policy
// (Sigsum format; nil or empty for none).
func NewVerifier(logKey string, policy []byte) (*Verifier, error) {
	lv, err := note.NewVerifier(logKey)
	if err != nil {
		// note's reasons ("invalid verifier hash") are English and say
		// nothing to whoever pasted the key (a trial as an enterprise,
		// 2026-12-06): what the key looks like does.
		return nil, errors.New("日志公钥无效：应为「日志名称+8位十六进制哈希+公钥」一整行（如 ruqi.example/log+1a2b3c4d+AQ…），请核对是否完整复制，或用 ruqi keys fetch 保存的公钥")
	}
	v := &Verifier{log: lv}
	if len(bytes.TrimSpace(policy)) > 0 {
		g, err := ParsePolicy(policy)
		if err != nil {
			// The library's reasons are English: said after what to check.
			return nil, fmt.Errorf("见证策略无效：请核对策略的 witness、group、quorum 各行及见证方公钥（名称+哈希+公钥）是否完整（原因：%w）", err)
		}
		v.policy = &g
		for _, ep := range g.Endpoints() {
			v.keys = append(v.keys, ep)
		}
	}
	return v, nil
}

// ParsePolicy reads a witness policy (Sigsum format) as witness.ParsePolicy
// does, and refuses one in which a group counts a witness in two of its
// children: the library counts each child it finds satisfied, so "group g 2
// a a", "group g 2 a h" with h a group holding a, or two names for one key,
// were met by one cosignature, a policy that reads as two witnesses and
// lets one key sign a split view.
func ParsePolicy(policy []byte) (witness.Group, error) {
	// A byte order mark, as Notepad writes UTF-8, was read as part of the
	// first keyword: "unknown keyword" (a trial of bad input, 2026-12-07).
	g, err := witness.ParsePolicy(bytes.TrimPrefix(policy, []byte("\ufeff")))
	if err != nil {
		return witness.Group{}, err
	}
	if _, err := witnessesUnder(g); err != nil {
		return witness.Group{}, err
	}
	return g, nil
}

// witnessesUnder returns the keys of the witnesses under a policy
// component, or an error if a group under it counts one in two children.
func witnessesUnder(c any) (map[string]bool, error) {
	switch c := c.(type) {
	case witness.Witness:
		return map[string]bool{c.Key.Name() + "+" + fmt.Sprintf("%08x", c.Key.KeyHash()): true}, nil
	case witness.Group:
		all := map[string]bool{}
		for _, child := range c.Components {
			keys, err := witnessesUnder(child)
			if err != nil {
				return nil, err
			}
			for k := range keys {
				if all[k] {
					return nil, fmt.Errorf("见证方 %s 在同一组中被计入两次：一个联署会被当作两个", k)
				}
				all[k] = true
			}
		}
		return all, nil
	}
	return nil, fmt.Errorf("未知的策略成分 %T", c)
}

// ErrWitnessPolicy is a checkpoint the log signed whose witnesses'
// cosignatures do not meet the policy.
var ErrWitnessPolicy = errors.New("检查点的见证签名不足（未满足见证策略）")

// ErrServerCheckpoint is a server's latest checkpoint that does not open
// with the log's key the verifier holds: no comparison can be made, and
// where the key is the server's own (its page, or a key fetched from it)
// the server is signing what is not its log's. A finding to report, not a
// call to try again.
var ErrServerCheckpoint = errors.New("服务器的检查点不成立")

// Checkpoint opens a signed checkpoint: the log's signature must verify and
// the witness policy, if any, must be met (else ErrWitnessPolicy, with the
// checkpoint as the log signed it: a verifier holding an earlier one can
// still tell a rollback or a fork, which is what the witnesses refused).
// Signatures by unknown keys are ignored.
func (v *Verifier) Checkpoint(signed []byte) (*log.Checkpoint, error) {
	cp, _, err := v.checkpoint(signed)
	return cp, err
}

// checkpoint is Checkpoint with the names of the witnesses whose
// cosignatures verified.
func (v *Verifier) checkpoint(signed []byte) (*log.Checkpoint, []string, error) {
	cp, _, n, err := log.ParseCheckpoint(signed, v.log.Name(), v.log, v.keys...)
	if err != nil {
		return nil, nil, v.checkpointError(signed)
	}
	var witnesses []string
	for _, sig := range n.Sigs {
		if sig.Name != v.log.Name() && !slices.Contains(witnesses, sig.Name) {
			witnesses = append(witnesses, sig.Name)
		}
	}
	if v.policy != nil && !v.policy.Satisfied(signed) {
		return cp, witnesses, ErrWitnessPolicy
	}
	return cp, witnesses, nil
}

// checkpointError says in Chinese why a checkpoint did not open. The formats
// library wraps note's errors with %v (not %w) and adds English of its own
// ("failed to verify signatures on checkpoint: note has no verifiable
// signatures"), which reached the person verifying a draw or a receipt with
// another log's key cached (an agency's trial, 2026-12-06): the note is
// opened again here to tell the cases apart.
func (v *Verifier) checkpointError(signed []byte) error {
	n, err := note.Open(signed, note.VerifierList(append([]note.Verifier{v.log}, v.keys...)...))
	var unverified *note.UnverifiedNoteError
	var invalid *note.InvalidSignatureError
	switch {
	case errors.As(err, &invalid):
		return errors.New("检查点的签名不符：检查点在签名之后被改动过")
	case errors.As(err, &unverified):
		var cp log.Checkpoint
		if _, perr := cp.Unmarshal([]byte(unverified.Note.Text)); perr == nil && cp.Origin != v.log.Name() {
			return fmt.Errorf("检查点属于日志 %q，所用日志公钥是日志 %s 的（所用日志公钥是否为这台服务器的？可用 ruqi keys fetch 核对）", clip(cp.Origin), v.log.Name())
		}
		return fmt.Errorf("检查点没有本日志的有效签名：它不是日志 %s 以所用公钥签署的（所用日志公钥是否为这台服务器的？可用 ruqi keys fetch 核对）", v.log.Name())
	case err != nil:
		return errors.New("检查点格式无效：不是一份签名的日志检查点")
	}
	for _, s := range n.Sigs {
		if s.Hash == v.log.KeyHash() && s.Name == v.log.Name() {
			var cp log.Checkpoint
			if _, err := cp.Unmarshal([]byte(n.Text)); err != nil {
				return errors.New("检查点格式无效：签名的内容不是日志检查点")
			}
			return fmt.Errorf("检查点属于日志 %q，不是 %s", clip(cp.Origin), v.log.Name())
		}
	}
	return fmt.Errorf("检查点没有本日志的有效签名：只有见证签名，没有日志 %s 的签名", v.log.Name())
}

// clip bounds a text taken from a checkpoint before it is repeated.
func clip(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}

// Consistent checks that checkpoint b extends checkpoint a.
func Consistent(a, b *log.Checkpoint, prf [][]byte) error {
	if b.Size < a.Size {
		return fmt.Errorf("新检查点的规模 %d 小于已见的 %d：日志被回退", b.Size, a.Size)
	}
	// The proof library's own words (the roots as raw byte lists) say
	// nothing to the person reading: they are left out (a trial of the
	// record, 2026-12-06).
	if proof.VerifyConsistency(hasher, a.Size, b.Size, prf, a.Hash, b.Hash) != nil {
		if a.Size == b.Size {
			// "日志规模 33 与 33 不一致" read as a contradiction in terms
			// (a trial of the 司法局's witness, 2026-12-07).
			return fmt.Errorf("同为规模 %d 的两个检查点根哈希不同（历史被改写或分叉）", a.Size)
		}
		return fmt.Errorf("规模 %d 的日志不是规模 %d 的日志的前缀（历史被改写或分叉）", a.Size, b.Size)
	}
	return nil
}

// LatestExtends fetches the log's latest checkpoint and proves that it
// extends seen (ProveExtends). A latest checkpoint the log signed but the
// witnesses did not cosign enough is still held to seen first: a rolled-back
// or rewritten log, which is why witnesses refuse to cosign, is said as such
// (NotExtendedError), where it read only "见证签名不足" (an audit trial,
// 2026-12-07); one that extends seen is ErrWitnessPolicy.
func (v *Verifier) LatestExtends(ctx context.Context, c ruqiv1.LogServiceClient, seen *log.Checkpoint) (*log.Checkpoint, error) {
	resp, err := c.GetCheckpoint(ctx, &ruqiv1.GetCheckpointRequest{})
	if err != nil {
		return nil, err
	}
	latest, err := v.Checkpoint([]byte(resp.GetCheckpoint()))
	if latest == nil {
		return nil, fmt.Errorf("%w：%w", ErrServerCheckpoint, err)
	}
	if perr := ProveExtends(ctx, c, seen, latest); perr != nil {
		return nil, perr
	}
	if err != nil {
		return nil, fmt.Errorf("服务器的检查点不成立：%w", err)
	}
	return latest, nil
}

// ReasonUnprovable is the reason (google.rpc.ErrorInfo) of the server's
// refusal to prove consistency because events it signed are missing from
// its store.
const ReasonUnprovable = "LOG_EVENTS_MISSING"

func reasonOf(st *status.Status) string {
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// NotExtendedError is a log that does not extend a checkpoint seen before:
// smaller than it (rolled back), or with a consistency proof that fails
// (history rewritten or forked). It is what a check is for, not a failure
// to check.
type NotExtendedError struct{ err error }

func (e *NotExtendedError) Error() string { return e.err.Error() }
func (e *NotExtendedError) Unwrap() error { return e.err }

// ProveExtends checks, with the consistency proof c's server gives, that
// latest extends seen. A log smaller than one seen is said to be rolled
// back before any proof is asked for: the server cannot prove a range that
// runs backwards, and its refusal would read as a passing error.
func ProveExtends(ctx context.Context, c ruqiv1.LogServiceClient, seen, latest *log.Checkpoint) error {
	if latest.Size < seen.Size {
		return &NotExtendedError{Consistent(seen, latest, nil)}
	}
	prf, err := c.GetConsistencyProof(ctx, &ruqiv1.GetConsistencyProofRequest{FromSize: seen.Size, ToSize: latest.Size})
	if st, ok := status.FromError(err); err != nil && ok && st.Code() == codes.FailedPrecondition && reasonOf(st) == ReasonUnprovable {
		// The server says it cannot prove it: the events the proof needs
		// are gone from its store. That is a finding, not a failed call.
		return &NotExtendedError{fmt.Errorf("日志规模 %d 与 %d 无法证明一致：服务器已签署的事件在其存储中缺失（日志被删改）", seen.Size, latest.Size)}
	}
	if err != nil {
		return err
	}
	if err := Consistent(seen, latest, prf.GetProof()); err != nil {
		return &NotExtendedError{err}
	}
	return nil
}

// VerifiedReceipt is what a receipt proves.
type VerifiedReceipt struct {
	Event      *ruqiv1.Event
	Checkpoint *log.Checkpoint
	// Witnesses are the names of the witnesses whose cosignatures on the
	// checkpoint verified (the policy's keys), for the reader to see who
	// else saw this log.
	Witnesses []string
}

// LegacyNote says, for an event hashed before v3 (store.HashVersion), what
// its receipt does not prove; "" for a v3 event, whose every field it does.
func (r *VerifiedReceipt) LegacyNote() string {
	if store.HashVersion(r.Event) >= 3 {
		return ""
	}
	// Of the version, not of a date: a server older than v3 (2026-12-06)
	// writes v2 events until it is upgraded.
	return "此事件由 2026 年 12 月 6 日之前的版本以旧格式（哈希版本 " + strconv.Itoa(store.HashVersion(r.Event)) + "）记录：其时间和事件类型不在哈希之内，存证只能证明其余内容（检查、企业、执法人员、说明）未被改动"
}

// ParseReceipt reads a receipt file as `ruqi receipt get` and the verify
// page's download write it (protobuf JSON), for the command line and the
// page that checks one alike.
// MaxReceiptBytes bounds a receipt file that a page or the command line
// takes to check: a receipt is an event, a checkpoint with its
// cosignatures and a proof of some forty hashes, a few KiB. A checkpoint
// kept by `log verify` is smaller still.
const MaxReceiptBytes = 64 << 10

func ParseReceipt(b []byte) (*ruqiv1.Receipt, error) {
	var rc ruqiv1.Receipt
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &rc); err != nil {
		return nil, errors.New("不是存证文件（应为 ruqi receipt get 或核验页面下载保存的 JSON）")
	}
	return &rc, nil
}

// Receipt checks a receipt offline: the event's hash is its contents', its
// leaf is at seq−1 in the tree that the checkpoint signs, and the checkpoint
// is the log's (and its witnesses', per the policy).
func (v *Verifier) Receipt(rc *ruqiv1.Receipt) (*VerifiedReceipt, error) {
	e := rc.GetEvent()
	if e == nil || e.GetSeq() == 0 {
		return nil, errors.New("存证中没有事件")
	}
	if !bytes.Equal(store.EventHash(e.GetPrevHash(), e), e.GetHash()) {
		// Which was changed cannot be told from here: the file, or, in a
		// receipt fetched again, the server's record of the event under
		// its kept hash (an audit trial, 2026-12-07: only the file was
		// named).
		return nil, fmt.Errorf("事件 %d 的内容与其哈希不符：存证被改动（存证文件被编辑过，或出具它的服务器的事件记录被改写）", e.GetSeq())
	}
	if rc.GetLeafIndex() != e.GetSeq()-1 {
		return nil, fmt.Errorf("存证的叶序号 %d 与事件序号 %d 不符", rc.GetLeafIndex(), e.GetSeq())
	}
	cp, witnesses, err := v.checkpoint([]byte(rc.GetCheckpoint()))
	if err != nil && !errors.Is(err, ErrWitnessPolicy) {
		return nil, err
	}
	if proof.VerifyInclusion(hasher, rc.GetLeafIndex(), cp.Size, LeafHash(e), rc.GetInclusionProof(), cp.Hash) != nil {
		return nil, fmt.Errorf("事件 %d 不在规模 %d 的日志中（包含证明不成立）", e.GetSeq(), cp.Size)
	}
	if err != nil {
		// Everything holds but the cosignatures: what is left to show is
		// that a checkpoint the witnesses did cosign extends this one.
		return nil, &UnwitnessedError{Receipt: &VerifiedReceipt{Event: e, Checkpoint: cp}}
	}
	return &VerifiedReceipt{Event: e, Checkpoint: cp, Witnesses: witnesses}, nil
}

// UnwitnessedError is a receipt that holds against the log's key (its event
// unchanged, in the tree its checkpoint signs) whose checkpoint lacks the
// cosignatures the witness policy asks for: one fetched before the policy
// was added (a province adds witnesses after it starts), or while its
// witnesses were down (checkpoints are published bare meanwhile). Offline
// it does not hold: nothing but the log vouches for that tree. Online it
// holds once the log's latest checkpoint, which meets the policy, is proved
// to extend it (Verifier.LatestExtends): the event is then in the witnessed
// tree, as in a receipt fetched today. Before, such a receipt read only
// "检查点的见证签名不足" everywhere, online and on /receipts/check too, with
// nothing the enterprise could do (an enterprise's trial, 2026-12-07).
// It is ErrWitnessPolicy to errors.Is.
type UnwitnessedError struct{ Receipt *VerifiedReceipt }

func (e *UnwitnessedError) Error() string {
	return fmt.Sprintf("事件 %d 在规模 %d 的日志中，检查点由日志签名，但没有见证策略要求的见证签名"+
		"（存证取自启用见证策略之前，或取自见证方未联署时），离线不能证明见证方见过这段日志",
		e.Receipt.Event.GetSeq(), e.Receipt.Checkpoint.Size)
}

func (e *UnwitnessedError) Unwrap() error { return ErrWitnessPolicy }

// RootOfEvents recomputes the root of the first size events from the events
// themselves, not from the kept tree nodes: what `admin events verify`
// compares with the latest signed checkpoint.
func RootOfEvents(r store.Reader, size uint64) ([]byte, error) {
	cr := ranges.NewEmptyRange(0)
	err := r.Events(0, func(e *ruqiv1.Event) error {
		if cr.End() == size {
			return store.ErrStop
		}
		if e.GetSeq() != cr.End()+1 {
			return fmt.Errorf("事件 %d 之后是事件 %d：日志有缺口", cr.End(), e.GetSeq())
		}
		return cr.Append(LeafHash(e), nil)
	})
	if err != nil {
		return nil, err
	}
	if cr.End() != size {
		return nil, fmt.Errorf("检查点签署了 %d 个事件，存储中只有 %d 个", size, cr.End())
	}
	return rootOf(cr)
}
