package draw

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// ProcedureV1 is the only procedure so far; the name is in the commitment,
// so a later procedure cannot be passed off as this one.
const ProcedureV1 = "ruqi-draw-v1"

// Limits on a population: one draw must fit in one gRPC message (1 MiB) with
// room to spare, and a 双随机 list is a region's or an agency's, not a
// province's directory.
const (
	MaxEnterprises = 20000
	MaxOfficers    = 2000
	maxMemberLen   = 64
)

// Labels of the two populations inside the procedure.
const (
	labelEnterprise = "enterprise"
	labelOfficer    = "officer"
)

// CommitmentText is the text whose SHA-256 is the commitment, written out so
// that anyone can rebuild it (LF line ends, UTF-8):
//
//	ruqi-draw-v1
//	draw <id>
//	agency <agency id>
//	title <hex of the title's UTF-8 bytes>
//	enterprises <N> pick <k>
//	<USCC>            (N lines, sorted byte-wise, distinct)
//	officers <M> pick <j>
//	<officer id>      (M lines, sorted byte-wise, distinct)
func CommitmentText(d *ruqiv1.Draw) []byte {
	var b bytes.Buffer
	b.WriteString(d.GetProcedure() + "\n")
	b.WriteString("draw " + d.GetId() + "\n")
	b.WriteString("agency " + d.GetAgencyId() + "\n")
	b.WriteString("title " + hex.EncodeToString([]byte(d.GetTitle())) + "\n")
	fmt.Fprintf(&b, "enterprises %d pick %d\n", len(d.GetEnterprisePopulation()), d.GetEnterpriseCount())
	for _, m := range d.GetEnterprisePopulation() {
		b.WriteString(m + "\n")
	}
	fmt.Fprintf(&b, "officers %d pick %d\n", len(d.GetOfficerPopulation()), d.GetOfficerCount())
	for _, m := range d.GetOfficerPopulation() {
		b.WriteString(m + "\n")
	}
	return b.Bytes()
}

// Commitment is SHA-256 of CommitmentText.
func Commitment(d *ruqiv1.Draw) []byte {
	h := sha256.Sum256(CommitmentText(d))
	return h[:]
}

// CommitDetail is the DRAW_COMMITTED event's detail: the draw's id and its
// commitment, which the Merkle log then holds.
func CommitDetail(id string, commitment []byte) string {
	return "draw " + id + " sha256:" + hex.EncodeToString(commitment)
}

// ParseCommitDetail reads a DRAW_COMMITTED event's detail.
func ParseCommitDetail(detail string) (id string, commitment []byte, err error) {
	f := strings.Split(detail, " ")
	if len(f) != 3 || f[0] != "draw" || f[1] == "" || !strings.HasPrefix(f[2], "sha256:") {
		return "", nil, errors.New("承诺事件的内容格式不对")
	}
	h := strings.TrimPrefix(f[2], "sha256:")
	c, err := hex.DecodeString(h)
	// Only the one spelling CommitDetail writes (lower-case hex): a detail
	// has one reading and one writing.
	if err != nil || len(c) != sha256.Size || hex.EncodeToString(c) != h {
		return "", nil, errors.New("承诺事件中的哈希格式不对")
	}
	return f[1], c, nil
}

// CheckShape checks what a commitment needs before it can be hashed
// unambiguously: a known procedure, members that are one printable token
// each, sorted and distinct, and counts within the populations.
func CheckShape(d *ruqiv1.Draw) error {
	if d.GetProcedure() != ProcedureV1 {
		return fmt.Errorf("不支持的抽取程序 %q（本版本只支持 %s）", cut(d.GetProcedure()), ProcedureV1)
	}
	if err := token("抽取编号", d.GetId()); err != nil {
		return err
	}
	if err := token("执法部门编号", d.GetAgencyId()); err != nil {
		return err
	}
	if err := population("企业", d.GetEnterprisePopulation(), d.GetEnterpriseCount(), MaxEnterprises, false); err != nil {
		return err
	}
	return population("执法人员", d.GetOfficerPopulation(), d.GetOfficerCount(), MaxOfficers, true)
}

func population(what string, members []string, count int32, max int, optional bool) error {
	if len(members) > max {
		return fmt.Errorf("%s名单过长：%d 个，最多 %d 个", what, len(members), max)
	}
	if len(members) == 0 && optional && count == 0 {
		return nil
	}
	if len(members) == 0 {
		return fmt.Errorf("%s名单为空", what)
	}
	if count < 1 || int(count) > len(members) {
		return fmt.Errorf("%s抽取数量须在 1 到 %d（名单人数）之间，收到 %d", what, len(members), count)
	}
	for i, m := range members {
		if err := token(what, m); err != nil {
			return err
		}
		if i > 0 && members[i-1] >= m {
			return fmt.Errorf("%s名单须按字节升序排列且不重复（第 %d 项 %s）", what, i+1, cut(m))
		}
	}
	return nil
}

// token: an identifier on one line of the commitment text, printable ASCII
// without spaces.
func token(what, s string) error {
	if s == "" || len(s) > maxMemberLen {
		return fmt.Errorf("%s %q 为空或过长", what, cut(s))
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return fmt.Errorf("%s %q 含有不允许的字符", what, cut(s))
		}
	}
	return nil
}

// cut bounds a member echoed into a message, at a character's start: cut
// inside one, %q showed the officer a byte escape (a trial of bad input,
// 2026-12-06).
func cut(s string) string {
	if len(s) <= maxMemberLen {
		return s
	}
	i := maxMemberLen
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// Picks are a draw's result, in draw order.
type Picks struct {
	Enterprises, Officers []string
}

// Pick runs ruqi-draw-v1: with R the randomness (a checkpoint's root hash)
// and C the commitment,
//
//	K        = HMAC-SHA256(key = R, msg = "ruqi-draw-v1 seed\n" ‖ C)
//	score(m) = HMAC-SHA256(key = K, msg = label ‖ "\n" ‖ m)
//
// with label "enterprise" or "officer"; each population is sorted by score
// (byte-wise, then by member) and the first k are picked. That is sampling
// without replacement by a keyed shuffle: nobody who does not know R can
// tell which members come first, and C makes two draws committed under one
// checkpoint independent.
func Pick(d *ruqiv1.Draw, randomness []byte) Picks {
	mac := hmac.New(sha256.New, randomness)
	mac.Write([]byte(ProcedureV1 + " seed\n"))
	mac.Write(Commitment(d))
	seed := mac.Sum(nil)
	return Picks{
		Enterprises: pickFrom(seed, labelEnterprise, d.GetEnterprisePopulation(), int(d.GetEnterpriseCount())),
		Officers:    pickFrom(seed, labelOfficer, d.GetOfficerPopulation(), int(d.GetOfficerCount())),
	}
}

func pickFrom(seed []byte, label string, members []string, k int) []string {
	type scored struct {
		m     string
		score []byte
	}
	all := make([]scored, len(members))
	// One keyed hash reset per member and one slab for the scores: a
	// population at its limit is 22,000 HMACs.
	mac := hmac.New(sha256.New, seed)
	slab := make([]byte, 0, len(members)*sha256.Size)
	for i, m := range members {
		mac.Reset()
		mac.Write([]byte(label + "\n" + m))
		slab = mac.Sum(slab)
		all[i] = scored{m, slab[len(slab)-sha256.Size:]}
	}
	slices.SortFunc(all, func(a, b scored) int {
		if c := bytes.Compare(a.score, b.score); c != 0 {
			return c
		}
		return strings.Compare(a.m, b.m)
	})
	k = min(max(k, 0), len(all))
	out := make([]string, k)
	for i := range out {
		out[i] = all[i].m
	}
	return out
}

// Normalize sorts a population and drops repeats, as the server does before
// it commits.
func Normalize(members []string) []string {
	out := slices.Clone(members)
	slices.Sort(out)
	return slices.Compact(out)
}

// Summary is a one-line description of a draw's counts, for events.
func Summary(d *ruqiv1.Draw) string {
	return "enterprises " + strconv.Itoa(len(d.GetPickedEnterprises())) + "/" + strconv.Itoa(len(d.GetEnterprisePopulation())) +
		" officers " + strconv.Itoa(len(d.GetPickedOfficers())) + "/" + strconv.Itoa(len(d.GetOfficerPopulation()))
}

// RevealDetail is the DRAW_REVEALED event's detail: the draw, the size of
// the checkpoint whose root is its randomness, and the Summary. The size,
// in the log, fixes the randomness: a draw record whose randomness was
// swapped for another checkpoint's afterwards no longer matches it.
func RevealDetail(d *ruqiv1.Draw) string {
	return RevealDetailPrefix(d.GetId()) + strconv.FormatUint(d.GetRandomnessSize(), 10) + " " + Summary(d)
}

// RevealDetailPrefix begins the DRAW_REVEALED detail of draw id.
func RevealDetailPrefix(id string) string { return "draw " + id + " checkpoint " }

// ParseRevealDetail reads the draw id and the randomness checkpoint's size
// from a DRAW_REVEALED event's detail.
func ParseRevealDetail(detail string) (id string, size uint64, err error) {
	f := strings.Fields(detail)
	if len(f) < 4 || f[0] != "draw" || f[2] != "checkpoint" {
		return "", 0, fmt.Errorf("不是抽取揭晓事件：%q", cut(detail))
	}
	// One way to write a size: "042" is refused as the server never writes it.
	size, err = strconv.ParseUint(f[3], 10, 64)
	if err != nil || strconv.FormatUint(size, 10) != f[3] {
		return "", 0, fmt.Errorf("抽取揭晓事件中的检查点规模无效：%q", cut(f[3]))
	}
	return f[1], size, nil
}
