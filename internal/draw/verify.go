package draw

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// MaxBundleBytes bounds a published draw read from a file or a page: a
// population at its limits is well under it.
const MaxBundleBytes = 4 << 20

// ParseBundle reads a published draw (GetDrawResponse as JSON, what `ruqi
// draw show -o json` and /draws/{id}.json give).
func ParseBundle(b []byte) (*ruqiv1.GetDrawResponse, error) {
	if len(b) > MaxBundleBytes {
		return nil, fmt.Errorf("抽取文件过大（超过 %d 字节）", MaxBundleBytes)
	}
	var resp ruqiv1.GetDrawResponse
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(b, &resp); err != nil {
		return nil, errors.New("不是公布的抽取文件（应为 ruqi draw show -o json 或 /draws/{编号}.json 的内容）")
	}
	if resp.GetDraw() == nil {
		return nil, errors.New("文件中没有抽取记录")
	}
	return &resp, nil
}

// Verified is what a published draw proves.
type Verified struct {
	Picks Picks
	// CommitSeq is the commitment event's place in the log, and
	// RandomnessSize the checkpoint whose root is the randomness.
	CommitSeq, RandomnessSize uint64
	// RevealSeq is the DRAW_REVEALED event that names the same checkpoint.
	RevealSeq uint64
}

// Verify re-runs a published draw from its inputs. It checks, with nothing
// but the log's key (and the witness policy in v):
//
//  1. the population, counts and procedure are well formed;
//  2. the commitment event is in the log under a checkpoint signed by the
//     log (and its witnesses): the receipt's inclusion proof;
//  3. the event commits to this draw: its id, and the SHA-256 of the
//     commitment text rebuilt from the published population. A population
//     changed after the commitment fails here;
//  4. the randomness is that checkpoint's root hash;
//  5. the picks recomputed by ruqi-draw-v1 are the published picks;
//  6. the DRAW_REVEALED event is in the log (its receipt is required) and
//     names the same checkpoint: the randomness was not swapped for
//     another checkpoint's after the reveal.
//
// It cannot check that the checkpoint is the first to include the
// commitment (the server's word; docs/SECURITY.md).
func Verify(v *tlog.Verifier, resp *ruqiv1.GetDrawResponse) (*Verified, error) {
	d := resp.GetDraw()
	if d == nil {
		return nil, errors.New("没有抽取记录")
	}
	if err := CheckShape(d); err != nil {
		return nil, fmt.Errorf("抽取记录不成立：%w", err)
	}
	if len(d.GetRandomness()) == 0 || resp.GetCommitmentReceipt() == nil {
		return nil, fmt.Errorf("抽取 %s 尚未揭晓：随机数还未产生，无法核验结果", d.GetId())
	}
	vr, err := v.Receipt(resp.GetCommitmentReceipt())
	// In the log, under a checkpoint the witnesses did not cosign: said as
	// such, once the event is shown to be this draw's commitment and the
	// published draw to follow from it. It read "承诺事件不在已签名的日志中：
	// 事件 N 在规模 S 的日志中…（存证取自…）", which contradicted itself and
	// spoke of a receipt (a review, 2026-12-07); said at once, it named any
	// event the draw's commitment and hid a population changed after it, or
	// picks that do not follow (review2, 2026-12-07).
	uw := (*tlog.UnwitnessedError)(nil)
	if errors.As(err, &uw) {
		vr, err = uw.Receipt, nil
	}
	if err != nil {
		return nil, fmt.Errorf("承诺事件不在已签名的日志中：%w", err)
	}
	e := vr.Event
	if e.GetType() != ruqiv1.EventType_EVENT_TYPE_DRAW_COMMITTED {
		return nil, fmt.Errorf("日志事件 %d 不是抽取承诺", e.GetSeq())
	}
	id, committed, err := ParseCommitDetail(e.GetDetail())
	if err != nil {
		return nil, err
	}
	if id != d.GetId() {
		return nil, fmt.Errorf("日志中的承诺属于抽取 %s，不是 %s", cut(id), d.GetId())
	}
	if !bytes.Equal(committed, Commitment(d)) {
		return nil, fmt.Errorf("抽取 %s 公布的名单、数量或程序与承诺时写入日志（事件 %d）的不一致：承诺之后抽取对象被改动过，结果不可信", d.GetId(), e.GetSeq())
	}
	if d.GetCommitSeq() != 0 && d.GetCommitSeq() != e.GetSeq() {
		return nil, fmt.Errorf("抽取记录的承诺事件序号 %d 与日志中的 %d 不符", d.GetCommitSeq(), e.GetSeq())
	}
	cp := vr.Checkpoint
	if cp.Size != d.GetRandomnessSize() || !bytes.Equal(cp.Hash, d.GetRandomness()) {
		return nil, fmt.Errorf("公布的随机数不是规模 %d 的签名检查点的根哈希", cp.Size)
	}
	p := Pick(d, cp.Hash)
	if !slices.Equal(p.Enterprises, d.GetPickedEnterprises()) || !slices.Equal(p.Officers, d.GetPickedOfficers()) {
		return nil, fmt.Errorf("公布的抽取结果与按 %s 重算的结果不一致", ProcedureV1)
	}
	if uw != nil {
		return nil, fmt.Errorf("抽取 %s 的承诺事件 %d 在规模 %d 的日志中，但该检查点由日志签名，没有见证策略要求的见证签名"+
			"（抽取揭晓于启用见证策略之前，或见证方当时未联署）：不能证明随机数取自见证方见过的检查点",
			d.GetId(), e.GetSeq(), cp.Size)
	}
	out := &Verified{Picks: p, CommitSeq: e.GetSeq(), RandomnessSize: cp.Size}
	// Without the reveal's receipt nothing ties the randomness to the
	// reveal: a bundle that leaves it out could carry another checkpoint's.
	// It is missing only for the seconds before a checkpoint holds the
	// event, so the draw does not verify until then.
	rr := resp.GetRevealReceipt()
	if rr == nil {
		return nil, fmt.Errorf("抽取 %s 缺少揭晓事件的收据，无法确认随机数就是揭晓时的：刚揭晓的抽取请几秒后再核验；否则公布的抽取不完整，结果不可信", d.GetId())
	}
	rv, err := v.Receipt(rr)
	if err != nil {
		return nil, fmt.Errorf("揭晓事件不在已签名的日志中：%w", err)
	}
	re := rv.Event
	if re.GetType() != ruqiv1.EventType_EVENT_TYPE_DRAW_REVEALED {
		return nil, fmt.Errorf("日志事件 %d 不是抽取揭晓", re.GetSeq())
	}
	id, size, err := ParseRevealDetail(re.GetDetail())
	if err != nil {
		return nil, err
	}
	if id != d.GetId() {
		return nil, fmt.Errorf("日志中的揭晓事件属于抽取 %s，不是 %s", cut(id), d.GetId())
	}
	if size != cp.Size {
		return nil, fmt.Errorf("抽取 %s 揭晓时写入日志（事件 %d）的随机数来自规模 %d 的检查点，公布的却来自规模 %d 的：随机数在揭晓后被换过，结果不可信", d.GetId(), re.GetSeq(), size, cp.Size)
	}
	out.RevealSeq = re.GetSeq()
	return out, nil
}
