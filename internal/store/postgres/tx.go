package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// eventsPage is how many events one query of Events reads: the walk calls
// back between pages, never while a query is open, so fn may read too.
const eventsPage = 500

// txn queues its writes and sends them in one round trip (a pipeline) before
// the next read or the commit, so a step pays one round trip for all it
// writes. A write's error therefore shows at that read or at commit; it
// aborts the transaction either way.
type txn struct {
	ctx    context.Context
	tx     pgx.Tx
	writes pgx.Batch
	failed error // the first error from PostgreSQL; see Store.run
}

// note keeps the first backend error; a missing row is an answer, not one.
func (t *txn) note(err error) error {
	if err != nil && !errors.Is(err, pgx.ErrNoRows) && t.failed == nil {
		t.failed = err
	}
	return err
}

// exec queues a write.
func (t *txn) exec(q string, args ...any) error {
	if t.failed != nil {
		return t.failed
	}
	t.writes.Queue(q, args...)
	return nil
}

// flush sends the queued writes.
func (t *txn) flush() error {
	if t.failed != nil || t.writes.Len() == 0 {
		return t.failed
	}
	err := t.tx.SendBatch(t.ctx, &t.writes).Close()
	t.writes = pgx.Batch{}
	return t.note(err)
}

// queryRow and query read after the queued writes.
func (t *txn) queryRow(q string, args ...any) pgx.Row {
	if err := t.flush(); err != nil {
		return errRow{err}
	}
	return t.tx.QueryRow(t.ctx, q, args...)
}

func (t *txn) query(q string, args ...any) (pgx.Rows, error) {
	if err := t.flush(); err != nil {
		return nil, err
	}
	return t.tx.Query(t.ctx, q, args...)
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func (t *txn) get(q string, arg any) ([]byte, error) {
	var b []byte
	err := t.queryRow(q, arg).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return b, t.note(err)
}

func (t *txn) records(q string, args ...any) ([][]byte, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	recs, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	return recs, t.note(err)
}

func getProto[T proto.Message](t *txn, m T, q string, key any) (T, error) {
	b, err := t.get(q, key)
	if err != nil {
		return m, err
	}
	return m, proto.Unmarshal(b, m)
}

func list[T proto.Message](t *txn, mk func() T, q string, args ...any) ([]T, error) {
	recs, err := t.records(q, args...)
	if err != nil {
		return nil, err
	}
	var out []T
	for _, b := range recs {
		m := mk()
		if err := proto.Unmarshal(b, m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// byKey reads the records of keys in one query, q, which is given the keys
// as its one argument and returns each key held with its record.
func byKey[T proto.Message](t *txn, mk func() T, q string, keys []string) (map[string]T, error) {
	out := map[string]T{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := t.query(q, keys)
	if err != nil {
		return nil, err
	}
	type keyed struct {
		key string
		rec []byte
	}
	recs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (keyed, error) {
		var k keyed
		return k, row.Scan(&k.key, &k.rec)
	})
	if err != nil {
		return nil, t.note(err)
	}
	for _, k := range recs {
		m := mk()
		if err := proto.Unmarshal(k.rec, m); err != nil {
			return nil, fmt.Errorf("%s: %w", k.key, err)
		}
		out[k.key] = m
	}
	return out, nil
}

func getJSON[T any](t *txn, q string, key any) (*T, error) {
	b, err := t.get(q, key)
	if err != nil {
		return nil, err
	}
	v := new(T)
	return v, json.Unmarshal(b, v)
}

func marshal(m proto.Message) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// put writes one record under its key columns (the first is the primary
// key), replacing what was there.
func (t *txn) put(table string, cols []string, rec []byte, keys ...any) error {
	set := make([]string, 0, len(cols))
	marks := make([]string, 0, len(cols)+1)
	for i, c := range cols {
		marks = append(marks, fmt.Sprintf("$%d", i+1))
		if i > 0 {
			set = append(set, c+" = excluded."+c)
		}
	}
	marks = append(marks, fmt.Sprintf("$%d", len(cols)+1))
	set = append(set, "rec = excluded.rec")
	q := fmt.Sprintf("INSERT INTO %s (%s, rec) VALUES (%s) ON CONFLICT (%s) DO UPDATE SET %s",
		table, strings.Join(cols, ", "), strings.Join(marks, ", "), cols[0], strings.Join(set, ", "))
	return t.exec(q, append(keys, rec)...)
}

func (t *txn) putProto(table string, cols []string, m proto.Message, keys ...any) error {
	b, err := marshal(m)
	if err != nil {
		return err
	}
	return t.put(table, cols, b, keys...)
}

func (t *txn) putJSON(table string, cols []string, v any, keys ...any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return t.put(table, cols, b, keys...)
}

func (t *txn) Agency(id string) (*ruqiv1.Agency, error) {
	return getProto(t, &ruqiv1.Agency{}, "SELECT rec FROM agencies WHERE id = $1", id)
}

func (t *txn) Officer(id string) (*ruqiv1.Officer, error) {
	return getProto(t, &ruqiv1.Officer{}, "SELECT rec FROM officers WHERE id = $1", id)
}

func (t *txn) Enterprise(uscc string) (*ruqiv1.Enterprise, error) {
	return getProto(t, &ruqiv1.Enterprise{}, "SELECT rec FROM enterprises WHERE uscc = $1", uscc)
}

func (t *txn) Enterprises(p store.Page) ([]*ruqiv1.Enterprise, error) {
	return list(t, func() *ruqiv1.Enterprise { return &ruqiv1.Enterprise{} }, "SELECT rec FROM enterprises WHERE uscc > $1 ORDER BY uscc LIMIT $2", p.After, limit(p))
}

func (t *txn) UnknownEnterprises(usccs []string) ([]string, error) {
	if len(usccs) == 0 {
		return nil, nil
	}
	rows, err := t.query(`SELECT p.uscc FROM unnest($1::text[]) WITH ORDINALITY AS p(uscc, n)
		WHERE NOT EXISTS (SELECT 1 FROM enterprises e WHERE e.uscc = p.uscc) ORDER BY p.n`, usccs)
	if err != nil {
		return nil, t.note(err)
	}
	unknown, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return unknown, t.note(err)
}

func (t *txn) EnterprisesOf(usccs []string) ([]*ruqiv1.Enterprise, error) {
	if len(usccs) == 0 {
		return nil, nil
	}
	return list(t, func() *ruqiv1.Enterprise { return &ruqiv1.Enterprise{} }, `SELECT e.rec FROM unnest($1::text[]) WITH ORDINALITY AS p(uscc, n)
		JOIN enterprises e ON e.uscc = p.uscc ORDER BY p.n`, usccs)
}

func (t *txn) CheckItem(id string) (*ruqiv1.CheckItem, error) {
	return getProto(t, &ruqiv1.CheckItem{}, "SELECT rec FROM check_items WHERE id = $1", id)
}

func (t *txn) CheckItems(agencyID string) ([]*ruqiv1.CheckItem, error) {
	return list(t, func() *ruqiv1.CheckItem { return &ruqiv1.CheckItem{} }, "SELECT rec FROM check_items WHERE agency_id = $1 ORDER BY id", agencyID)
}

func (t *txn) Officers(agencyID string) ([]*ruqiv1.Officer, error) {
	return list(t, func() *ruqiv1.Officer { return &ruqiv1.Officer{} }, "SELECT rec FROM officers WHERE agency_id = $1 ORDER BY id", agencyID)
}

func (t *txn) Inspection(id string) (*ruqiv1.Inspection, error) {
	return getProto(t, &ruqiv1.Inspection{}, "SELECT rec FROM inspections WHERE id = $1", id)
}

func (t *txn) InspectionsOf(ids []string) (map[string]*ruqiv1.Inspection, error) {
	return byKey(t, func() *ruqiv1.Inspection { return &ruqiv1.Inspection{} }, "SELECT id, rec FROM inspections WHERE id = ANY($1)", ids)
}

// limit is a Page's Limit as SQL: NULL (no limit) for 0.
func limit(p store.Page) any {
	if p.Limit <= 0 {
		return nil
	}
	return p.Limit
}

func (t *txn) InspectionsOfEnterprise(uscc string, p store.Page) ([]*ruqiv1.Inspection, error) {
	return list(t, func() *ruqiv1.Inspection { return &ruqiv1.Inspection{} },
		"SELECT rec FROM inspections WHERE enterprise_uscc = $1 AND id > $2 ORDER BY id LIMIT $3", uscc, p.After, limit(p))
}

func (t *txn) Codes(inspectionID string) ([]*ruqiv1.InspectionCode, error) {
	recs, err := t.records("SELECT rec FROM codes WHERE inspection_id = $1 ORDER BY officer_id", inspectionID)
	if err != nil {
		return nil, err
	}
	out := make([]*ruqiv1.InspectionCode, 0, len(recs))
	for _, b := range recs {
		c, err := store.DecodeCode(b)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

func (t *txn) InspectionForRequest(requestID string) (string, error) {
	var id string
	err := t.queryRow("SELECT inspection_id FROM requests WHERE request_id = $1", requestID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", store.ErrNotFound
	}
	return id, t.note(err)
}

func (t *txn) CheckIn(tokenID []byte) (*store.CheckIn, error) {
	b, err := t.get("SELECT rec FROM check_ins WHERE token_id = $1", tokenID)
	if err != nil {
		return nil, err
	}
	return store.DecodeCheckIn(tokenID, b)
}

func (t *txn) AccessToken(hash []byte) (*store.AccessToken, error) {
	return getJSON[store.AccessToken](t, "SELECT rec FROM access_tokens WHERE hash = $1", hash)
}

func (t *txn) AccessTokenByID(id string) (*store.AccessToken, error) {
	return getJSON[store.AccessToken](t, "SELECT rec FROM access_tokens WHERE id = $1", id)
}

func (t *txn) SigningKeys() ([]store.SigningKey, error) {
	recs, err := t.records("SELECT rec FROM signing_keys ORDER BY id")
	if err != nil {
		return nil, err
	}
	var out []store.SigningKey
	for _, b := range recs {
		var k store.SigningKey
		if err := json.Unmarshal(b, &k); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}

func (t *txn) JointInspection(id string) (*ruqiv1.JointInspection, error) {
	return getProto(t, &ruqiv1.JointInspection{}, "SELECT rec FROM joint_inspections WHERE id = $1", id)
}

func (t *txn) JointOf(inspectionID string) (string, int64, error) {
	var joint string
	var version int64
	err := t.queryRow("SELECT joint_id, version FROM joint_of WHERE inspection_id = $1", inspectionID).Scan(&joint, &version)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, store.ErrNotFound
	}
	return joint, version, t.note(err)
}

// Count is the folded total plus the deltas not folded yet, read in one
// statement, so one snapshot.
func (t *txn) Count(key string) (int64, error) {
	var n int64
	err := t.queryRow(`SELECT (SELECT coalesce(sum(n), 0) FROM counts WHERE key = $1)
		+ (SELECT coalesce(sum(n), 0) FROM count_deltas WHERE key = $1)`, key).Scan(&n)
	return n, t.note(err)
}

func (t *txn) Counts(prefix string, fn func(string, int64) error) error {
	// The range on key lets the index serve the scan; LIKE keeps exactly
	// the prefix. Keys compare bytewise (COLLATE "C").
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(prefix) + "%"
	bound := "key >= $1"
	args := []any{prefix, like}
	if upper, ok := prefixEnd(prefix); ok {
		bound += " AND key < $3"
		args = append(args, upper)
	}
	rows, err := t.query(`SELECT key, sum(n) FROM (
		SELECT key, n FROM counts WHERE `+bound+` AND key LIKE $2
		UNION ALL
		SELECT key, n FROM count_deltas WHERE `+bound+` AND key LIKE $2
	) c GROUP BY key HAVING sum(n) <> 0 ORDER BY key`, args...)
	if err != nil {
		return err
	}
	type kn struct {
		key string
		n   int64
	}
	all, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (kn, error) {
		var v kn
		return v, r.Scan(&v.key, &v.n)
	})
	if err := t.note(err); err != nil {
		return err
	}
	for _, v := range all {
		if err := fn(v.key, v.n); err != nil {
			return err
		}
	}
	return nil
}

// prefixEnd is the least string above every string with the prefix, when
// the prefix ends in an ASCII byte that can be raised (as report keys do).
func prefixEnd(prefix string) (string, bool) {
	if prefix == "" || prefix[len(prefix)-1] >= 0x7f {
		return "", false
	}
	return prefix[:len(prefix)-1] + string(prefix[len(prefix)-1]+1), true
}

func (t *txn) Evaluation(inspectionID string) (*ruqiv1.Evaluation, error) {
	return getProto(t, &ruqiv1.Evaluation{}, "SELECT rec FROM evaluations WHERE inspection_id = $1", inspectionID)
}

func (t *txn) EvaluationsOf(inspectionIDs []string) (map[string]*ruqiv1.Evaluation, error) {
	return byKey(t, func() *ruqiv1.Evaluation { return &ruqiv1.Evaluation{} }, "SELECT inspection_id, rec FROM evaluations WHERE inspection_id = ANY($1)", inspectionIDs)
}

func (t *txn) Evaluations(agencyID string, p store.Page) ([]*ruqiv1.Evaluation, error) {
	mk := func() *ruqiv1.Evaluation { return &ruqiv1.Evaluation{} }
	if agencyID != "" {
		return list(t, mk, "SELECT rec FROM evaluations WHERE agency_id = $1 AND inspection_id > $2 ORDER BY inspection_id LIMIT $3", agencyID, p.After, limit(p))
	}
	return list(t, mk, "SELECT rec FROM evaluations WHERE inspection_id > $1 ORDER BY inspection_id LIMIT $2", p.After, limit(p))
}

func (t *txn) Lead(id string) (*ruqiv1.Lead, error) {
	return getProto(t, &ruqiv1.Lead{}, "SELECT rec FROM leads WHERE id = $1", id)
}

func (t *txn) Leads(p store.Page) ([]*ruqiv1.Lead, error) {
	return list(t, func() *ruqiv1.Lead { return &ruqiv1.Lead{} }, "SELECT rec FROM leads WHERE id > $1 ORDER BY id LIMIT $2", p.After, limit(p))
}

func (t *txn) Plan(id string) (*ruqiv1.Plan, error) {
	return getProto(t, &ruqiv1.Plan{}, "SELECT rec FROM inspection_plans WHERE id = $1", id)
}

func (t *txn) Plans(agencyID string, p store.Page) ([]*ruqiv1.Plan, error) {
	mk := func() *ruqiv1.Plan { return &ruqiv1.Plan{} }
	if agencyID != "" {
		return list(t, mk, "SELECT rec FROM inspection_plans WHERE agency_id = $1 AND id > $2 ORDER BY id LIMIT $3", agencyID, p.After, limit(p))
	}
	return list(t, mk, "SELECT rec FROM inspection_plans WHERE id > $1 ORDER BY id LIMIT $2", p.After, limit(p))
}

func (t *txn) PutAgency(a *ruqiv1.Agency) error {
	return t.putProto("agencies", []string{"id"}, a, a.GetId())
}

func (t *txn) PutOfficer(o *ruqiv1.Officer) error {
	return t.putProto("officers", []string{"id", "agency_id"}, o, o.GetId(), o.GetAgencyId())
}

func (t *txn) PutEnterprise(e *ruqiv1.Enterprise) error {
	return t.putProto("enterprises", []string{"uscc"}, e, e.GetUscc())
}

func (t *txn) PutCheckItem(ci *ruqiv1.CheckItem) error {
	return t.putProto("check_items", []string{"id", "agency_id"}, ci, ci.GetId(), ci.GetAgencyId())
}

func (t *txn) PutInspection(in *ruqiv1.Inspection) error {
	return t.putProto("inspections", []string{"id", "enterprise_uscc"}, in, in.GetId(), in.GetEnterpriseUscc())
}

func (t *txn) PutCode(c *ruqiv1.InspectionCode) error {
	b, err := store.EncodeCode(c) // without the QR image: drawn on demand
	if err != nil {
		return err
	}
	return t.exec(`INSERT INTO codes (inspection_id, officer_id, rec) VALUES ($1, $2, $3)
		ON CONFLICT (inspection_id, officer_id) DO UPDATE SET rec = excluded.rec`, c.GetInspectionId(), c.GetOfficerId(), b)
}

func (t *txn) PutRequest(requestID, inspectionID string) error {
	return t.exec(`INSERT INTO requests (request_id, inspection_id) VALUES ($1, $2)
		ON CONFLICT (request_id) DO UPDATE SET inspection_id = excluded.inspection_id`, requestID, inspectionID)
}

func (t *txn) PutCheckIn(c *store.CheckIn) error {
	if c.OfficerID != "" && !c.At.IsZero() {
		if err := t.exec(`INSERT INTO officer_check_ins (officer_id, at, token_id) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, c.OfficerID, c.At.UnixNano(), c.TokenID); err != nil {
			return err
		}
	}
	b, err := store.EncodeCheckIn(c)
	if err != nil {
		return err
	}
	return t.put("check_ins", []string{"token_id"}, b, c.TokenID)
}

// checkInsPage is how many check-ins one query of CheckInsOfOfficer reads:
// a walk that stops at the first reads one page, and fn may use the
// transaction between pages.
const checkInsPage = 32

func (t *txn) CheckInsOfOfficer(officerID string, from, to time.Time, fn func(*store.CheckIn) error) error {
	// Pages by (at, token_id), the index's order. An empty token id sorts
	// before every other, so the first page starts at from itself. The
	// token id is the check-in's key, not part of its (lean) record.
	at, after := from.UnixNano(), []byte{}
	for {
		rows, err := t.query(`SELECT o.at, c.token_id, c.rec FROM officer_check_ins o JOIN check_ins c ON c.token_id = o.token_id
			WHERE o.officer_id = $1 AND (o.at, o.token_id) > ($2, $3) AND o.at < $4 ORDER BY o.at, o.token_id LIMIT $5`,
			officerID, at, after, to.UnixNano(), checkInsPage)
		if err != nil {
			return err
		}
		page, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*store.CheckIn, error) {
			var tokenID, rec []byte
			if err := r.Scan(&at, &tokenID, &rec); err != nil {
				return nil, err
			}
			after = tokenID
			return store.DecodeCheckIn(tokenID, rec)
		})
		if err := t.note(err); err != nil {
			return err
		}
		for _, ci := range page {
			if err := fn(ci); err != nil {
				if errors.Is(err, store.ErrStop) {
					return nil
				}
				return err
			}
		}
		if len(page) < checkInsPage {
			return nil
		}
	}
}

func (t *txn) PutAccessToken(a *store.AccessToken) error {
	return t.putJSON("access_tokens", []string{"hash", "id", "role", "subject"}, a, a.Hash, a.ID, int32(a.Role), a.Subject)
}

func (t *txn) DeleteAccessToken(hash []byte) error {
	return t.exec("DELETE FROM access_tokens WHERE hash = $1", hash)
}

func (t *txn) PutSigningKey(k store.SigningKey) error {
	return t.putJSON("signing_keys", []string{"id"}, k, k.ID)
}

func (t *txn) PutJointInspection(j *ruqiv1.JointInspection) error {
	return t.putProto("joint_inspections", []string{"id"}, j, j.GetId())
}

func (t *txn) PutJointOf(inspectionID, joint string, version int64) error {
	return t.exec(`INSERT INTO joint_of (inspection_id, joint_id, version) VALUES ($1, $2, $3)
		ON CONFLICT (inspection_id) DO UPDATE SET joint_id = excluded.joint_id, version = excluded.version`, inspectionID, joint, version)
}

// AddCount inserts a delta rather than updating the counter's row: see the
// package comment.
func (t *txn) AddCount(key string, delta int64) error {
	return t.exec("INSERT INTO count_deltas (key, n) VALUES ($1, $2)", key, delta)
}

func (t *txn) PutEvaluation(e *ruqiv1.Evaluation) error {
	return t.putProto("evaluations", []string{"inspection_id", "agency_id"}, e, e.GetInspectionId(), e.GetAgencyId())
}

func (t *txn) PutLead(l *ruqiv1.Lead) error {
	return t.putProto("leads", []string{"id"}, l, l.GetId())
}

func (t *txn) PutPlan(pl *ruqiv1.Plan) error {
	return t.putProto("inspection_plans", []string{"id", "agency_id"}, pl, pl.GetId(), pl.GetAgencyId())
}

// AppendEvent queues the event; the sequencer chains it after commit.
func (t *txn) AppendEvent(e *ruqiv1.Event) error {
	store.Salt(e) // on the caller's event too, as bbolt does
	e = proto.CloneOf(e)
	e.Seq, e.PrevHash, e.Hash = 0, nil, nil
	b, err := marshal(e)
	if err != nil {
		return err
	}
	return t.exec("INSERT INTO pending_events (rec) VALUES ($1)", b)
}

func (t *txn) AccessTokens(p store.Page) ([]*store.AccessToken, error) {
	return t.accessTokens("SELECT rec FROM access_tokens WHERE id > $1 ORDER BY id LIMIT $2", p.After, limit(p))
}

func (t *txn) AccessTokensOf(role ruqiv1.Role, subject string) ([]*store.AccessToken, error) {
	return t.accessTokens("SELECT rec FROM access_tokens WHERE role = $1 AND subject = $2 ORDER BY id", int32(role), subject)
}

func (t *txn) accessTokens(query string, args ...any) ([]*store.AccessToken, error) {
	recs, err := t.records(query, args...)
	if err != nil {
		return nil, err
	}
	var out []*store.AccessToken
	for _, b := range recs {
		a := &store.AccessToken{}
		if err := json.Unmarshal(b, a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (t *txn) TreeNode(level uint, index uint64) ([]byte, error) {
	var h []byte
	err := t.queryRow("SELECT hash FROM tree_nodes WHERE level = $1 AND idx = $2", int32(level), int64(index)).Scan(&h)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return h, t.note(err)
}

func (t *txn) PutTreeNode(level uint, index uint64, hash []byte) error {
	return t.exec(`INSERT INTO tree_nodes (level, idx, hash) VALUES ($1, $2, $3)
		ON CONFLICT (level, idx) DO UPDATE SET hash = excluded.hash`, int32(level), int64(index), hash)
}

func (t *txn) Checkpoint(size uint64) ([]byte, error) {
	var note []byte
	err := t.queryRow("SELECT note FROM checkpoints WHERE size = $1", int64(size)).Scan(&note)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return note, t.note(err)
}

func (t *txn) LatestCheckpoint() (uint64, []byte, error) {
	var size int64
	var note []byte
	err := t.queryRow("SELECT size, note FROM checkpoints ORDER BY size DESC LIMIT 1").Scan(&size, &note)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, nil
	}
	return uint64(size), note, t.note(err)
}

func (t *txn) PutCheckpoint(size uint64, note []byte) error {
	return t.exec(`INSERT INTO checkpoints (size, note) VALUES ($1, $2)
		ON CONFLICT (size) DO UPDATE SET note = excluded.note`, int64(size), note)
}

func (t *txn) PutEnterpriseEvent(uscc string, seq uint64) error {
	return t.exec("INSERT INTO events_by_enterprise (uscc, seq) VALUES ($1, $2) ON CONFLICT DO NOTHING", uscc, int64(seq))
}

func (t *txn) EnterpriseEvents(uscc string, afterSeq uint64, fn func(uint64) error) error {
	for {
		rows, err := t.query("SELECT seq FROM events_by_enterprise WHERE uscc = $1 AND seq > $2 ORDER BY seq LIMIT $3", uscc, int64(afterSeq), eventsPage)
		if err != nil {
			return err
		}
		page, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err := t.note(err); err != nil {
			return err
		}
		for _, seq := range page {
			if err := fn(uint64(seq)); err != nil {
				if errors.Is(err, store.ErrStop) {
					return nil
				}
				return err
			}
			afterSeq = uint64(seq)
		}
		if len(page) < eventsPage {
			return nil
		}
	}
}

func (t *txn) EnterpriseCode(uscc string) (*store.EnterpriseCode, error) {
	return getJSON[store.EnterpriseCode](t, "SELECT rec FROM enterprise_codes WHERE uscc = $1", uscc)
}

func (t *txn) PutEnterpriseCode(c *store.EnterpriseCode) error {
	return t.putJSON("enterprise_codes", []string{"uscc"}, c, c.USCC)
}

func (t *txn) Arrival(inspectionID, officerID string) (*store.Arrival, error) {
	b, err := t.get2("SELECT rec FROM arrivals WHERE inspection_id = $1 AND officer_id = $2", inspectionID, officerID)
	if err != nil {
		return nil, err
	}
	a := &store.Arrival{}
	return a, json.Unmarshal(b, a)
}

func (t *txn) PutArrival(a *store.Arrival) error {
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return t.exec(`INSERT INTO arrivals (inspection_id, officer_id, rec) VALUES ($1, $2, $3)
		ON CONFLICT (inspection_id, officer_id) DO UPDATE SET rec = excluded.rec`, a.InspectionID, a.OfficerID, b)
}

// get2 reads one record by a two-column key.
func (t *txn) get2(q string, a, b any) ([]byte, error) {
	var rec []byte
	err := t.queryRow(q, a, b).Scan(&rec)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return rec, t.note(err)
}

func (t *txn) CheckpointAtLeast(size uint64) (uint64, []byte, error) {
	var at int64
	var note []byte
	err := t.queryRow("SELECT size, note FROM checkpoints WHERE size >= $1 ORDER BY size LIMIT 1", int64(size)).Scan(&at, &note)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, store.ErrNotFound
	}
	return uint64(at), note, t.note(err)
}

func (t *txn) Draw(id string) (*ruqiv1.Draw, error) {
	return getProto(t, &ruqiv1.Draw{}, "SELECT rec FROM random_draws WHERE id = $1", id)
}

func (t *txn) Draws(p store.Page) ([]*ruqiv1.Draw, error) {
	return list(t, func() *ruqiv1.Draw { return &ruqiv1.Draw{} }, "SELECT rec FROM random_draws WHERE id > $1 ORDER BY id LIMIT $2", p.After, limit(p))
}

func (t *txn) PutDraw(d *ruqiv1.Draw) error {
	return t.putProto("random_draws", []string{"id"}, d, d.GetId())
}

func (t *txn) Accompaniments(inspectionID string) ([]*ruqiv1.Accompaniment, error) {
	return list(t, func() *ruqiv1.Accompaniment { return &ruqiv1.Accompaniment{} }, "SELECT rec FROM accompaniments WHERE inspection_id = $1 ORDER BY id", inspectionID)
}

func (t *txn) PutAccompaniment(a *ruqiv1.Accompaniment) error {
	return t.putProto("accompaniments", []string{"id", "inspection_id"}, a, a.GetId(), a.GetInspectionId())
}

func (t *txn) PlanCoverage(key string) (*ruqiv1.PlanCoverage, error) {
	return getProto(t, &ruqiv1.PlanCoverage{}, "SELECT rec FROM matching_coverages WHERE key = $1", key)
}

func (t *txn) PlanCoverages(p store.Page) ([]*ruqiv1.PlanCoverage, error) {
	return list(t, func() *ruqiv1.PlanCoverage { return &ruqiv1.PlanCoverage{} }, "SELECT rec FROM matching_coverages WHERE key > $1 ORDER BY key LIMIT $2", p.After, limit(p))
}

func (t *txn) PutPlanCoverage(c *ruqiv1.PlanCoverage) error {
	return t.putProto("matching_coverages", []string{"key"}, c, store.CoverageKey(c.GetAgencyId(), c.GetPlanId()))
}

func (t *txn) Proposal(id string) (*ruqiv1.JointVisitProposal, error) {
	return getProto(t, &ruqiv1.JointVisitProposal{}, "SELECT rec FROM matching_proposals WHERE id = $1", id)
}

func (t *txn) ProposalsOf(ids []string) (map[string]*ruqiv1.JointVisitProposal, error) {
	return byKey(t, func() *ruqiv1.JointVisitProposal { return &ruqiv1.JointVisitProposal{} }, "SELECT id, rec FROM matching_proposals WHERE id = ANY($1)", ids)
}

func (t *txn) Proposals(p store.Page) ([]*ruqiv1.JointVisitProposal, error) {
	return list(t, func() *ruqiv1.JointVisitProposal { return &ruqiv1.JointVisitProposal{} }, "SELECT rec FROM matching_proposals WHERE id > $1 ORDER BY id LIMIT $2", p.After, limit(p))
}

func (t *txn) ProposalsOfAgency(agencyID string, p store.Page) ([]*ruqiv1.JointVisitProposal, error) {
	return list(t, func() *ruqiv1.JointVisitProposal { return &ruqiv1.JointVisitProposal{} },
		`SELECT p.rec FROM matching_proposal_members m JOIN matching_proposals p ON p.id = m.proposal_id
		 WHERE m.agency_id = $1 AND m.proposal_id > $2 ORDER BY m.proposal_id LIMIT $3`, agencyID, p.After, limit(p))
}

func (t *txn) PutProposal(pr *ruqiv1.JointVisitProposal) error {
	for _, m := range pr.GetMembers() {
		if err := t.exec("INSERT INTO matching_proposal_members (agency_id, proposal_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", m.GetAgencyId(), pr.GetId()); err != nil {
			return err
		}
	}
	return t.putProto("matching_proposals", []string{"id"}, pr, pr.GetId())
}
