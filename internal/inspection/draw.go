package inspection

import (
	"crypto/rand"
	"encoding/base32"
	"errors"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/draw"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// DrawPopulation resolves a draw request that names its enterprises by a
// filter (a region, an industry) into the list the commitment fixes: the
// directory's enterprises in the region or under it, of the industry if
// one is given, by USCC. It reads the whole directory, so it runs in a read
// transaction before the committing one, and only for a caller who may
// commit the agency's draw. A request with a list is returned as it is,
// once each listed enterprise is found in the agency's territory; one with
// both is refused. Either way the enterprises barred answers true for (no
// proactive inspection by the agency may reach them this year: a grade
// whose cap is 0, 无事不扰) are left out, and counted: a draw that picked
// one wasted the pick, refused at registration (an agency's trial,
// 2026-12-06).
func DrawPopulation(r store.Reader, p auth.Principal, req *ruqiv1.CommitDrawRequest, barred Barred) (*ruqiv1.CommitDrawRequest, int, error) {
	f := req.GetEnterpriseFilter()
	if f == nil && len(req.GetEnterprisePopulation()) == 0 {
		return req, 0, nil
	}
	agency, err := AgencyOf(r, p, req.GetAgencyId())
	if err != nil {
		return nil, 0, err
	}
	// Drawn enterprises outside the agency's territory could not be
	// registered (domain.CheckJurisdiction): a list or a range beyond it
	// is refused first.
	ag, err := agencyRecord(r, agency)
	if err != nil {
		return nil, 0, err
	}
	if f == nil {
		return listInTerritory(r, ag, req, barred)
	}
	if len(req.GetEnterprisePopulation()) > 0 {
		return nil, 0, domain.Invalidf("DRAW_POPULATION_TWICE", "企业名单和抽取范围只能给一个：给了范围，名单由服务器按企业名录生成")
	}
	region, industry := strings.TrimSpace(f.GetRegionCode()), strings.TrimSpace(f.GetIndustry())
	if err := domain.ValidateRegion(region); err != nil {
		return nil, 0, err
	}
	if !domain.RegionCovers(ag.GetRegionCode(), region) {
		return nil, 0, domain.PermissionDeniedf("OUTSIDE_JURISDICTION", "抽取范围（行政区划 %s）超出%s的管辖区域（%s）：只能从本部门管辖区域内的企业中抽取", region, ag.GetName(), ag.GetRegionCode())
	}
	if err := domain.ValidateText("行业", industry, domain.MaxIndustryRunes); err != nil {
		return nil, 0, err
	}
	var pop []string
	left := 0
	err = store.Each(1000, r.Enterprises, (*ruqiv1.Enterprise).GetUscc, func(e *ruqiv1.Enterprise) error {
		if !domain.RegionCovers(region, e.GetRegionCode()) || (industry != "" && e.GetIndustry() != industry) {
			return nil
		}
		if barred(agency, e) {
			left++
			return nil
		}
		if len(pop) == draw.MaxEnterprises {
			return domain.Invalidf("DRAW_POPULATION_TOO_LARGE", "范围内的企业超过 %d 家（一次抽取的上限），请缩小范围：用县级行政区划，或加上行业", draw.MaxEnterprises)
		}
		pop = append(pop, e.GetUscc())
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	if len(pop) == 0 {
		what := "行政区划 " + region
		if industry != "" {
			what += "、行业 " + industry
		}
		if left > 0 {
			return nil, 0, drawAllBarred(left)
		}
		return nil, 0, domain.FailedPreconditionf("DRAW_POPULATION_EMPTY", "企业名录中没有%s的企业，无从抽取", what)
	}
	out := proto.CloneOf(req)
	out.EnterprisePopulation = pop
	out.EnterpriseFilter = &ruqiv1.EnterpriseFilter{RegionCode: region, Industry: industry}
	return out, left, nil
}

// Barred says whether no proactive inspection by agency may reach
// enterprise e this year (coord.Policy.YearCap with nothing counted yet).
type Barred func(agency string, e *ruqiv1.Enterprise) bool

func drawAllBarred(n int) error {
	return domain.FailedPreconditionf("DRAW_POPULATION_EMPTY", "可抽取的企业为零：%d 家企业本年度均不得主动检查（如信用 A 级企业，按本地区无事不扰的规定），无从抽取", n)
}

// listInTerritory holds a draw's list of enterprises to the agency's
// territory, as a range is held: 锦江区's agency listed enterprises of
// another district and committed to picks it could not register (a review,
// 2026-12-06). Read before the committing transaction, not inside the one
// writer; an enterprise not in the directory is CommitDraw's to name.
func listInTerritory(r store.Reader, ag *ruqiv1.Agency, req *ruqiv1.CommitDrawRequest, barred Barred) (*ruqiv1.CommitDrawRequest, int, error) {
	// One read for the whole list: on PostgreSQL 20,000 round trips took
	// 1.3–1.6 s where one query takes tens of ms (docs/BENCHMARKS.md).
	listed, err := r.EnterprisesOf(req.GetEnterprisePopulation())
	if err != nil {
		return nil, 0, err
	}
	out := map[string]bool{}
	for _, e := range listed {
		if err := domain.CheckJurisdiction(ag, e, domain.ForDraw); err != nil {
			return nil, 0, err
		}
		if barred(ag.GetId(), e) {
			out[e.GetUscc()] = true
		}
	}
	if len(out) == 0 {
		return req, 0, nil
	}
	kept := proto.CloneOf(req)
	kept.EnterprisePopulation = slices.DeleteFunc(slices.Clone(req.GetEnterprisePopulation()), func(u string) bool { return out[u] })
	if len(kept.EnterprisePopulation) == 0 {
		return nil, 0, drawAllBarred(len(out))
	}
	return kept, len(out), nil
}

// CommitDraw records a 双随机 draw's commitment: the population resolved to
// sorted lists of enterprises in the directory and officers of the agency
// with a valid certificate, the counts, the procedure, and the
// DRAW_COMMITTED event that puts its hash in the Merkle log. The randomness
// does not exist yet: it is the root of the first checkpoint that includes
// that event.
func CommitDraw(tx store.Tx, p auth.Principal, now time.Time, req *ruqiv1.CommitDrawRequest) (*ruqiv1.Draw, error) {
	agency, err := AgencyOf(tx, p, req.GetAgencyId())
	if err != nil {
		return nil, err
	}
	title := strings.TrimSpace(req.GetTitle())
	if domain.Blank(title) {
		return nil, domain.Invalidf("TITLE_MISSING", "请填写抽取的名称（如 2026年12月 食品经营双随机抽查）")
	}
	rid := req.GetRequestId()
	if err := domain.ValidateRequestID(rid); err != nil {
		return nil, err
	}
	if rid != "" {
		if d, err := drawForRequest(tx, agency, rid, title, req); d != nil || err != nil {
			return d, err
		}
	}
	if err := domain.ValidateText("抽取名称", title, 200); err != nil {
		return nil, err
	}
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	d := &ruqiv1.Draw{
		Id:                   "DRW-" + now.In(domain.Shanghai).Format("20060102") + "-" + base32.StdEncoding.EncodeToString(b[:]),
		AgencyId:             agency,
		Title:                title,
		Procedure:            draw.ProcedureV1,
		EnterprisePopulation: draw.Normalize(req.GetEnterprisePopulation()),
		EnterpriseCount:      req.GetEnterpriseCount(),
		OfficerPopulation:    draw.Normalize(req.GetOfficerPopulation()),
		OfficerCount:         req.GetOfficerCount(),
		EnterpriseFilter:     req.GetEnterpriseFilter(),
		CommittedAt:          timestamppb.New(now),
		CommittedBy:          Actor(p),
	}
	if err := draw.CheckShape(d); err != nil {
		return nil, domain.Invalidf("DRAW_INVALID", "%s", domain.Composed(domain.Clip(err.Error(), 300)))
	}
	unknown, err := tx.UnknownEnterprises(d.GetEnterprisePopulation())
	if err != nil {
		return nil, err
	}
	switch len(unknown) {
	case 0:
	case 1:
		return nil, domain.NotFoundf("ENTERPRISE_UNKNOWN", "企业 %s 不在企业名录中，不能列入抽取名单", unknown[0])
	default:
		return nil, domain.NotFoundf("ENTERPRISE_UNKNOWN", "企业 %s 等 %d 家不在企业名录中，不能列入抽取名单", unknown[0], len(unknown))
	}
	// The agency's officers in one read (on PostgreSQL one query, not one
	// per listed officer); one more read only to say why a listed officer
	// is not among them.
	var ofAgency map[string]*ruqiv1.Officer
	if len(d.GetOfficerPopulation()) > 0 {
		list, err := tx.Officers(agency)
		if err != nil {
			return nil, err
		}
		ofAgency = make(map[string]*ruqiv1.Officer, len(list))
		for _, o := range list {
			ofAgency[o.GetId()] = o
		}
	}
	for _, id := range d.GetOfficerPopulation() {
		o, ok := ofAgency[id]
		if !ok {
			if _, err := tx.Officer(id); err != nil {
				return nil, notFound(err, "OFFICER_UNKNOWN", "执法人员 %s 不存在", id)
			}
			return nil, domain.PermissionDeniedf("OTHER_AGENCY", "执法人员 %s 不属于部门 %s，不能列入其抽取名单", id, agency)
		}
		if !domain.CertificateValid(o, now) {
			return nil, domain.FailedPreconditionf("CERTIFICATE_INVALID", "执法人员 %s 的执法证当前无效，不能列入抽取名单", id)
		}
	}
	d.Commitment = draw.Commitment(d)
	head, _, err := tx.Head()
	if err != nil {
		return nil, err
	}
	d.LogHeadAtCommit = head
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_DRAW_COMMITTED)
	e.Detail = draw.CommitDetail(d.GetId(), d.GetCommitment())
	if err := j.Record(e); err != nil {
		return nil, err
	}
	// bbolt numbers the event at once; PostgreSQL's sequencer later, and
	// the reveal finds it after LogHeadAtCommit.
	d.CommitSeq = e.GetSeq()
	if rid != "" {
		if err := tx.PutRequest(drawRequestKey(agency, rid), d.GetId()); err != nil {
			return nil, err
		}
	}
	return d, tx.PutDraw(d)
}

// drawRequestKey scopes a draw's request id to its agency, apart from
// registrations' and plans' (PlanRequestKey).
func drawRequestKey(agency, requestID string) string { return "|draw|" + agency + "|" + requestID }

// drawForRequest returns the draw a request id of the agency committed, nil
// if it committed none; the id used again for another request is refused.
// A retried commit whose answer was lost committed a second draw over the
// same population (a trial of the CLI, 2026-12-05).
func drawForRequest(tx store.Tx, agency, rid, title string, req *ruqiv1.CommitDrawRequest) (*ruqiv1.Draw, error) {
	id, err := tx.InspectionForRequest(drawRequestKey(agency, rid))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	d, err := tx.Draw(id)
	if err != nil {
		return nil, err
	}
	same := d.GetTitle() == title && d.GetEnterpriseCount() == req.GetEnterpriseCount() && d.GetOfficerCount() == req.GetOfficerCount() &&
		proto.Equal(d.GetEnterpriseFilter(), req.GetEnterpriseFilter()) &&
		slices.Equal(d.GetOfficerPopulation(), draw.Normalize(req.GetOfficerPopulation())) &&
		(req.GetEnterpriseFilter() != nil || slices.Equal(d.GetEnterprisePopulation(), draw.Normalize(req.GetEnterprisePopulation())))
	if !same {
		return nil, domain.FailedPreconditionf("REQUEST_ID_REUSED",
			"请求编号 %s 已用于本部门的抽取 %s，本次的内容与之不同，未予提交；新的抽取请使用新的请求编号", rid, id).With("existing_draw_id", id)
	}
	return d, nil
}

// LoadDraw reads a draw named by a caller.
func LoadDraw(r store.Reader, id string) (*ruqiv1.Draw, error) {
	if strings.TrimSpace(id) == "" {
		return nil, domain.Invalidf("DRAW_ID_MISSING", "请填写抽取编号")
	}
	d, err := r.Draw(id)
	if err != nil {
		return nil, notFound(err, "DRAW_UNKNOWN", "抽取 %s 不存在，请核对抽取编号", id)
	}
	return d, nil
}

// OpenCheckpoint checks a signed checkpoint with the log's key and returns
// its size and root hash.
type OpenCheckpoint func(note []byte) (size uint64, root []byte, err error)

var errDrawNotReady = domain.Unavailablef("DRAW_NOT_READY", "抽取的随机数尚未产生：承诺还没有进入已签名的日志检查点，请几秒后再揭晓")

// RevealDraw computes a committed draw's picks from its randomness, the
// root of the first checkpoint that includes the commitment, and records
// them. Anyone it is asked by gets the same picks, so the agency and the
// 司法局 may both ask; a revealed draw is answered as it is.
func RevealDraw(tx store.Tx, p auth.Principal, now time.Time, id string, open OpenCheckpoint) (*ruqiv1.Draw, error) {
	d, err := LoadDraw(tx, id)
	if err != nil {
		return nil, err
	}
	if p.Is(ruqiv1.Role_ROLE_AGENCY_ADMIN) && p.Subject != d.GetAgencyId() {
		return nil, domain.PermissionDeniedf("OTHER_AGENCY", "抽取 %s 不属于您的部门", d.GetId())
	}
	if len(d.GetRandomness()) > 0 {
		return d, nil
	}
	if d.GetCommitSeq() == 0 {
		seq, err := commitSeq(tx, d)
		if err != nil {
			return nil, err
		}
		d.CommitSeq = seq
	}
	size, note, err := tx.CheckpointAtLeast(d.GetCommitSeq())
	if errors.Is(err, store.ErrNotFound) {
		return nil, errDrawNotReady
	}
	if err != nil {
		return nil, err
	}
	cpSize, root, err := open(note)
	if err != nil {
		return nil, err
	}
	if cpSize != size {
		return nil, domain.FailedPreconditionf("CHECKPOINT_MISMATCH", "规模 %d 的检查点内容不符", size)
	}
	head, _, err := tx.Head()
	if err != nil {
		return nil, err
	}
	picks := draw.Pick(d, root)
	d.RandomnessSize, d.Randomness, d.LogHeadAtReveal = size, root, head
	d.PickedEnterprises, d.PickedOfficers = picks.Enterprises, picks.Officers
	d.RevealedAt = timestamppb.New(now)
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_DRAW_REVEALED)
	e.Detail = draw.RevealDetail(d)
	if err := j.Record(e); err != nil {
		return nil, err
	}
	return d, tx.PutDraw(d)
}

// maxRevealSearch bounds how many events RevealSeq reads: it serves a
// public call. The event is the first or nearly after the head a draw
// keeps; a draw revealed before it kept one is searched from its
// randomness checkpoint, which the reveal came after.
const maxRevealSearch = 10_000

// RevealSeq finds the DRAW_REVEALED event of a revealed draw: after the
// head it saw, as its commitment is found (0 if not yet sequenced, or not
// within maxRevealSearch events).
func RevealSeq(r store.Reader, d *ruqiv1.Draw) (uint64, error) {
	prefix := draw.RevealDetailPrefix(d.GetId())
	from := d.GetLogHeadAtReveal()
	if from == 0 {
		from = d.GetRandomnessSize()
	}
	var seq uint64
	read := 0
	err := r.Events(from, func(e *ruqiv1.Event) error {
		if e.GetType() == ruqiv1.EventType_EVENT_TYPE_DRAW_REVEALED && strings.HasPrefix(e.GetDetail(), prefix) {
			seq = e.GetSeq()
			return store.ErrStop
		}
		if read++; read >= maxRevealSearch {
			return store.ErrStop
		}
		return nil
	})
	return seq, err
}

// commitSeq finds the commitment event of a draw written on a store that
// sequences after commit: it comes after the head the draw saw.
func commitSeq(r store.Reader, d *ruqiv1.Draw) (uint64, error) {
	want := draw.CommitDetail(d.GetId(), d.GetCommitment())
	var seq uint64
	err := r.Events(d.GetLogHeadAtCommit(), func(e *ruqiv1.Event) error {
		if e.GetType() == ruqiv1.EventType_EVENT_TYPE_DRAW_COMMITTED && e.GetDetail() == want {
			seq = e.GetSeq()
			return store.ErrStop
		}
		return nil
	})
	if err == nil && seq == 0 {
		return 0, errDrawNotReady
	}
	return seq, err
}
