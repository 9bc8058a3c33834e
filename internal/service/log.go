package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// LogConfig is the Merkle log's part of the configuration.
type LogConfig struct {
	// Log signs checkpoints; nil leaves the log unbuilt (tests of other
	// parts).
	Log *tlog.Log
	// Key is the log's note verifier key, published beside the code keys.
	Key string
	// WitnessPolicy names the witnesses asked to cosign (Sigsum format).
	WitnessPolicy []byte
}

// cosignRetryEvery spaces an idle log's requests to a witness that has not
// cosigned its latest checkpoint: one down is not asked (and logged) every
// interval.
const cosignRetryEvery = 10 * time.Second

// integrateBatch bounds one transaction of the integrator, which on bbolt
// holds the one writer, and every registration and scan behind it, while it
// reads, indexes and signs its events: 5,000 made p99.9 of a scan at 32
// clients 37–46 ms, 1,000 makes it 20–21 ms, p99 unchanged at 15–16 ms
// (docs/BENCHMARKS.md, 2026-12-07). Each transaction signs and keeps a
// checkpoint: more of them only where more than 1,000 events come in one
// interval, as in a simulation packing a province's year into minutes.
const integrateBatch = 1000

// IntegrateLog adds every sequenced event to the Merkle log, signs a
// checkpoint and asks the witnesses to cosign it. The server calls it every
// few seconds; it is safe to call from several replicas at once (the
// records it writes are deterministic). It refuses
// (errWitnessPolicyStale) on a server whose witness policy is not the
// store's: a checkpoint it signed would be cosigned under another policy
// than the one the server started last publishes (mayLead).
func (s *Service) IntegrateLog(ctx context.Context) (in tlog.Integration, err error) {
	// acted: this call signed a checkpoint or had the witnesses asked; an
	// idle tick that did neither leaves the notice as it was (a review,
	// 2026-12-07: it cleared a witness's refusal for the 8 s of every 10
	// between two retries).
	acted := false
	defer func() { s.noteLogHalted(err, acted) }()
	if s.cfg.Log.Log == nil {
		return tlog.Integration{}, errors.New("no log key configured")
	}
	// An idle log (every sequenced event in the tree) costs one read, not a
	// write transaction every interval.
	idle := false
	err = s.store.View(ctx, func(r store.Reader) error {
		if err := s.checkWitnessPolicy(ctx, r); err != nil {
			return err
		}
		size, note, err := r.LatestCheckpoint()
		if err != nil {
			return err
		}
		seq, _, err := r.Head()
		in, idle = tlog.Integration{Size: size, Note: note}, note != nil && seq == size
		return err
	})
	if err != nil {
		return in, err
	}
	if idle {
		// A witness down when the last checkpoint was signed is asked
		// again once the log is idle: receipts are proved against the
		// latest checkpoint, which would stay short of the policy until
		// the next event (a trial of the record, 2026-12-06: overnight in
		// a quiet office).
		last := s.cosignRetried.Load()
		if now := time.Now().UnixNano(); now-last >= int64(cosignRetryEvery) && len(tlog.Uncosigned(in.Note, s.witnesses)) > 0 &&
			s.cosignRetried.CompareAndSwap(last, now) {
			acted = true
			cosigned, err := tlog.Cosign(ctx, s.store, s.witnesses, in)
			in.Note = cosigned
			return in, err
		}
		return in, nil
	}
	for {
		var step tlog.Integration
		err := s.store.Update(ctx, func(tx store.Tx) error {
			// Checked again in the transaction that signs, which
			// PostgreSQL serializes with the one in which a replica
			// started on another witness policy publishes it: a
			// checkpoint is signed here only before that, in their
			// order, however long this integration took.
			if err := s.checkWitnessPolicy(ctx, tx); err != nil {
				return err
			}
			var err error
			step, err = s.cfg.Log.Log.Integrate(tx, integrateBatch)
			return err
		})
		if err != nil {
			return in, err
		}
		in.Size, in.Note = step.Size, step.Note
		in.Added += step.Added
		in.Signed = in.Signed || step.Signed
		if step.Added < integrateBatch {
			break
		}
	}
	acted = in.Signed
	if in.Signed && len(s.witnesses) > 0 {
		cosigned, err := tlog.Cosign(ctx, s.store, s.witnesses, in)
		in.Note = cosigned
		return in, err
	}
	return in, nil
}

// sequencer is a store whose events are sequenced by one replica at a time
// (PostgreSQL's advisory lock); Sequencing tells whether it is this one.
type sequencer interface{ Sequencing() bool }

// RunLog integrates every interval until ctx ends. On a store shared by
// replicas only the one that sequences the events builds the tree: one
// writer of tree nodes, no serialization conflicts between integrators.
// (Two integrating at once during a hand-over would still write the same
// records: the work is deterministic.)
func (s *Service) RunLog(ctx context.Context, interval time.Duration, logErr func(error)) {
	s.onSequencer(ctx, interval, func() error { _, err := s.IntegrateLog(ctx); return integrated(err) }, logErr)
}

// noteLogHalted keeps what an integration found wrong with the record for
// /healthz (Notice): history the log signed changed in the store, so that
// nothing more is signed, or a witness holding a larger tree than the
// log's, so that nothing more is cosigned. Both were only a warning in the
// log: /healthz said ok, and the 司法局's `log verify` read the frozen log
// as unchanged (a trial of the 司法局's witness, 2026-12-07). An
// integration that signed, or had the witnesses cosign, clears it; one
// that fails otherwise (a witness out of reach) or did nothing (an idle
// log between two requests to the witnesses) leaves it as it was. Only the
// replica that sequences the log integrates it: on PostgreSQL the notice
// is that replica's.
func (s *Service) noteLogHalted(err error, acted bool) {
	switch {
	case errors.Is(err, tlog.ErrHistoryChanged):
		s.logHalted.Store("默克尔日志已停止签名：存储中已签名的事件被改动或删除，新事件不再入日志、不再有存证（ruqi admin events verify 指出第一个改动的事件）。请按 README “Backup and restore” 从备份恢复，并报告司法局")
	case errors.Is(err, tlog.ErrWitnessAhead):
		s.logHalted.Store("见证方持有比本服务器更长的日志：日志被回退（从备份恢复或换了数据文件），见证方不再联署，新的存证没有见证签名。请报告司法局，由其核实后决定是否重设见证状态（ruqi witness rewind）")
	case err == nil && acted:
		s.logHalted.Store("")
	}
}

// integrated is IntegrateLog's error for the logs: none when it refused
// for a witness policy not the store's, which noteWitnessPolicy logs, once
// a minute. (Its sequencer lets the lock go within witnessCheckEvery.)
func integrated(err error) error {
	if errors.Is(err, errWitnessPolicyStale) {
		return nil
	}
	return err
}

// FinishLog integrates once more when the server stops, after the last call
// in flight has ended, if this replica sequences the events: a clean stop
// leaves every event it acknowledged in a signed checkpoint. Before, events
// of the last interval waited for the next start, and until then an
// operator could edit them in the file with no checkpoint to betray it.
//
// On PostgreSQL the events of the last calls may still wait for the
// sequencer (up to its interval; a write does not wake it): they are
// sequenced first, or the checkpoint left them out (a review, 2026-12-06).
func (s *Service) FinishLog(ctx context.Context) error {
	if seq, shared := store.As[sequencer](s.store); shared && !seq.Sequencing() {
		return nil
	}
	if err := s.store.WaitSequenced(ctx); err != nil {
		return err
	}
	_, err := s.IntegrateLog(ctx)
	return integrated(err)
}

// onSequencer runs job every interval until ctx ends, on this replica only
// while it sequences the events of a shared store (always on a store of its
// own), and logs what fails. It runs job at once when the replica starts
// sequencing, at start or when it takes over from another: a replica of a
// shared store takes the sequencer's lock a moment after it opens, and an
// hourly job must not wait an hour for that.
func (s *Service) onSequencer(ctx context.Context, interval time.Duration, job func() error, logErr func(error)) {
	poll := min(interval, 5*time.Second)
	t := time.NewTicker(poll)
	defer t.Stop()
	seq, shared := store.As[sequencer](s.store)
	due := newSchedule(int(interval / poll))
	for {
		if due(!shared || seq.Sequencing()) {
			if err := job(); err != nil && ctx.Err() == nil {
				logErr(err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newSchedule decides, at each poll, whether a job that runs every `every`
// polls on the sequencing replica is due: when the replica has just started
// sequencing, and then every `every` polls while it goes on.
func newSchedule(every int) func(sequencing bool) bool {
	every = max(every, 1)
	was, since := false, 0
	return func(sequencing bool) bool {
		since++
		due := sequencing && (!was || since >= every)
		if due {
			since = 0
		}
		was = sequencing
		return due
	}
}

// checkLogKey refuses a log key that did not sign the log's latest
// checkpoint: replicas sharing a store must share one key, and a data
// directory that lost its key must not silently start a second log.
func (s *Service) checkLogKey(ctx context.Context) error {
	if s.cfg.Log.Log == nil {
		return nil
	}
	v, err := tlog.NewVerifier(s.cfg.Log.Key, nil)
	if err != nil {
		return err
	}
	s.logVerifier = v
	return s.store.View(ctx, func(r store.Reader) error {
		size, signed, err := r.LatestCheckpoint()
		if err != nil || signed == nil {
			return err
		}
		if _, err := v.Checkpoint(signed); err != nil {
			return fmt.Errorf("the log's checkpoint at size %d was not signed by this server's log key %s (%v): replicas that share a store must share one -log-key-file; a store restored from a backup needs the log.key of the data directory it came from", size, s.cfg.Log.Key, err)
		}
		return nil
	})
}

func (s *Service) initWitnesses() error {
	if len(s.cfg.Log.WitnessPolicy) == 0 {
		return nil
	}
	ws, err := tlog.WitnessClients(s.cfg.Log.WitnessPolicy, &http.Client{Timeout: 5 * time.Second})
	if err != nil {
		return fmt.Errorf("witness policy: %w", err)
	}
	s.witnesses = ws
	return nil
}

type logServer struct {
	ruqiv1.UnimplementedLogServiceServer
	s *Service
}

func (l *logServer) GetCheckpoint(ctx context.Context, req *ruqiv1.GetCheckpointRequest) (*ruqiv1.GetCheckpointResponse, error) {
	resp := &ruqiv1.GetCheckpointResponse{}
	err := l.s.store.View(ctx, func(r store.Reader) error {
		if req.GetSize() == 0 {
			size, n, err := r.LatestCheckpoint()
			if err == nil && n == nil {
				return domain.Unavailablef("LOG_NOT_READY", "日志尚未生成第一个检查点，请几秒后再试")
			}
			resp.Size, resp.Checkpoint = size, string(n)
			return err
		}
		n, err := r.Checkpoint(req.GetSize())
		resp.Size, resp.Checkpoint = req.GetSize(), string(n)
		return notFound(err, "CHECKPOINT_UNKNOWN", "没有规模为 %d 的检查点", req.GetSize())
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	// The 司法局's `log verify` read a log frozen on changed history as
	// "规模仍为 33，与上次所见相同" (a trial of its witness, 2026-12-07).
	resp.LogHalted, _ = l.s.logHalted.Load().(string)
	return resp, nil
}

func (l *logServer) GetConsistencyProof(ctx context.Context, req *ruqiv1.GetConsistencyProofRequest) (*ruqiv1.GetConsistencyProofResponse, error) {
	resp := &ruqiv1.GetConsistencyProofResponse{}
	err := l.s.store.View(ctx, func(r store.Reader) error {
		size, _, err := r.LatestCheckpoint()
		if err != nil {
			return err
		}
		if req.GetFromSize() > req.GetToSize() || req.GetToSize() > size {
			return domain.Invalidf("PROOF_RANGE", "一致性证明的规模须满足 起 ≤ 止 ≤ %d（当前日志规模），收到 %d → %d", size, req.GetFromSize(), req.GetToSize())
		}
		resp.Proof, err = tlog.ConsistencyProof(r, req.GetFromSize(), req.GetToSize())
		if errors.Is(err, store.ErrNotFound) {
			// Events under a signed checkpoint are gone from the store
			// (deleted at rest): the log cannot prove that it extends
			// what it signed, which a verifier is told as such, not as an
			// internal error to try again (an audit trial, 2026-12-07).
			return domain.FailedPreconditionf(tlog.ReasonUnprovable, "服务器无法给出规模 %d 到 %d 的一致性证明：日志已签署的事件在存储中缺失（被删除或损坏），无法证明当前日志延续了已签署的历史", req.GetFromSize(), req.GetToSize())
		}
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

const maxReceiptsPerCall = 200

// ListReceipts gives an enterprise receipts for its own events only: the
// index is by enterprise, so another enterprise's events are never read.
// The events of an inspection it may not know of yet (检查预告: an
// unannounced check before its window) are left out, and listed once it is
// shown.
func (l *logServer) ListReceipts(ctx context.Context, req *ruqiv1.ListReceiptsRequest) (*ruqiv1.ListReceiptsResponse, error) {
	p := principal(ctx)
	limit, err := parseLimit(req.GetLimit(), maxReceiptsPerCall)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	now := l.s.now()
	resp := &ruqiv1.ListReceiptsResponse{}
	err = l.s.store.View(ctx, func(r store.Reader) error {
		// withheld: the enterprise's own inspections it may not know of
		// yet. An event naming another enterprise's inspection, or none
		// that exists, is this enterprise's own step about a code it was
		// shown (a foreign or unknown code scanned), and is listed.
		withheld := map[string]bool{}
		isWithheld := func(id string) (bool, error) {
			if id == "" {
				return false, nil
			}
			if v, ok := withheld[id]; ok {
				return v, nil
			}
			in, err := r.Inspection(id)
			switch {
			case errors.Is(err, store.ErrNotFound):
				withheld[id] = false
			case err != nil:
				return false, err
			default:
				withheld[id] = in.GetEnterpriseUscc() == p.Subject && !inspection.Shown(r, in, now, l.s.policies)
			}
			return withheld[id], nil
		}
		// A joint visit's steps (merged, withdrawn) name its id, its lead
		// and its size: withheld while the visit has a plan the enterprise
		// is not yet shown (inspection.JointShown), and while any of its
		// own inspections registered before the step is not yet shown: a
		// plan that has left the visit since (cancelled) was counted in
		// the size then.
		jointHidden := map[string]bool{}
		var hiddenSince *time.Time // the earliest registration not yet shown
		hiddenRead := false
		hidden := func(e *ruqiv1.Event) (bool, error) {
			if hide, err := isWithheld(e.GetInspectionId()); err != nil || hide {
				return hide, err
			}
			jointID, ok := namedJoint(e)
			if !ok {
				return false, nil
			}
			if !hiddenRead {
				hiddenRead = true
				// The enterprise's own inspections, read once: what is
				// withheld of each is known from here on.
				err := eachInspectionOf(r, p.Subject, func(in *ruqiv1.Inspection) error {
					hide := !inspection.Shown(r, in, now, l.s.policies)
					withheld[in.GetId()] = hide
					if at := in.GetRegisteredAt().AsTime(); hide && (hiddenSince == nil || at.Before(*hiddenSince)) {
						hiddenSince = &at
					}
					return nil
				})
				if err != nil {
					return false, err
				}
			}
			if hiddenSince != nil && !e.GetTime().AsTime().Before(*hiddenSince) {
				return true, nil
			}
			if v, ok := jointHidden[jointID]; ok {
				return v, nil
			}
			j, err := r.JointInspection(jointID)
			if errors.Is(err, store.ErrNotFound) {
				j, err = &ruqiv1.JointInspection{Id: jointID}, nil
			}
			if err != nil {
				return false, err
			}
			known, err := inspection.JointShown(r, j, p.Subject, func(m *ruqiv1.Inspection) bool { return inspection.Shown(r, m, now, l.s.policies) })
			jointHidden[jointID] = !known
			return !known, err
		}
		if id := req.GetInspectionId(); id != "" {
			in, err := r.Inspection(id)
			if err != nil || in.GetEnterpriseUscc() != p.Subject || !inspection.Shown(r, in, now, l.s.policies) {
				return domain.NotFoundf("INSPECTION_UNKNOWN", "没有这项检查，或它不是本企业的")
			}
			withheld[id] = false
		}
		err := r.EnterpriseEvents(p.Subject, req.GetAfterSeq(), func(seq uint64) error {
			rc, err := tlog.NewReceipt(r, seq)
			if err != nil {
				return err
			}
			e := rc.GetEvent()
			// Held to the enterprise it names, not only to the index
			// that listed it: an index entry in error would give away
			// another enterprise's inspection.
			if e.GetEnterpriseUscc() != p.Subject || !tlog.HasReceipt(e.GetType()) || (req.GetInspectionId() != "" && e.GetInspectionId() != req.GetInspectionId()) {
				return nil
			}
			if hide, err := hidden(e); err != nil || hide {
				return err
			}
			resp.Receipts = append(resp.Receipts, rc)
			if len(resp.Receipts) >= limit {
				// More may follow: the caller asks again from here (a
				// trial of the record, 2026-12-06: the CLI kept the
				// oldest 200 and never learnt of the rest).
				resp.NextAfterSeq = seq
				return store.ErrStop
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Events recorded but not yet in the tree: the enterprise is told
		// that their receipts are on the way.
		size, _, err := r.LatestCheckpoint()
		if err != nil {
			return err
		}
		pending := func(e *ruqiv1.Event) error {
			// The inspection asked for only (a trial of replicas, 2026-12-06:
			// another visit's events kept one inspection's receipts "on the
			// way").
			if e.GetEnterpriseUscc() != p.Subject || !tlog.HasReceipt(e.GetType()) ||
				(req.GetInspectionId() != "" && e.GetInspectionId() != req.GetInspectionId()) {
				return nil
			}
			if hide, err := hidden(e); err != nil || hide {
				return err
			}
			resp.Pending++
			return nil
		}
		if err := r.Events(size, pending); err != nil {
			return err
		}
		// On PostgreSQL, events committed and not yet sequenced are on
		// their way too (a trial of replicas: told none were).
		if u, ok := store.As[store.Unsequenced](l.s.store); ok {
			return u.UnsequencedEvents(ctx, pending)
		}
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// eachInspectionOf calls fn with each of an enterprise's inspections, read
// a page at a time, until fn fails.
func eachInspectionOf(r store.Reader, uscc string, fn func(*ruqiv1.Inspection) error) error {
	for after := ""; ; {
		batch, err := r.InspectionsOfEnterprise(uscc, store.Page{After: after, Limit: maxPageSize})
		if err != nil {
			return err
		}
		for _, in := range batch {
			after = in.GetId()
			if err := fn(in); err != nil {
				return err
			}
		}
		if len(batch) < maxPageSize {
			return nil
		}
	}
}

// namedJoint is the joint visit a merged or withdrawn step names in its
// detail ("joint JNT-… lead … members …", inspection.Register, Withdraw).
func namedJoint(e *ruqiv1.Event) (string, bool) {
	if t := e.GetType(); t != ruqiv1.EventType_EVENT_TYPE_MERGED && t != ruqiv1.EventType_EVENT_TYPE_WITHDRAWN {
		return "", false
	}
	f := strings.Fields(e.GetDetail())
	if len(f) < 2 || f[0] != "joint" || f[1] == "" {
		return "", false
	}
	return f[1], true
}

type checkpointCheck struct {
	size    uint64
	problem string
}

// checkCheckpoint holds the stored events to the latest signed checkpoint:
// its signature must be the log's, and the root recomputed from the events
// must be the one it signs. A store rewritten after the checkpoint (an event
// changed, removed or reordered, or the whole chain recomputed) fails here.
func (s *Service) checkCheckpoint(r store.Reader) (checkpointCheck, error) {
	size, signed, err := r.LatestCheckpoint()
	if err != nil || signed == nil {
		// A new log has no checkpoint until its first integration: nothing
		// to hold the events to yet, which is not a problem.
		return checkpointCheck{}, err
	}
	out := checkpointCheck{size: size}
	if s.logVerifier == nil {
		out.problem = "未配置日志公钥，无法核对检查点"
		return out, nil
	}
	cp, err := s.logVerifier.Checkpoint(signed)
	if err != nil {
		out.problem = err.Error()
		return out, nil
	}
	if cp.Size != size {
		// An earlier signed note kept under the latest size (which needs
		// no key) would have the events after it checked against nothing.
		out.problem = fmt.Sprintf("规模 %d 的检查点记录中存放的是规模 %d 的签名检查点：检查点记录被替换", size, cp.Size)
		return out, nil
	}
	root, err := tlog.RootOfEvents(r, cp.Size)
	if err != nil {
		out.problem = err.Error()
		return out, nil
	}
	if string(root) != string(cp.Hash) {
		out.problem = fmt.Sprintf("由存储的事件重算的根哈希与规模 %d 的签名检查点不符：检查点之后日志被改写", cp.Size)
	}
	return out, nil
}
