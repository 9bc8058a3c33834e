package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/durable"
	"github.com/ruqi/ruqi/internal/sim"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A province's directory (3.8 million enterprises) does not fit one
// transaction nor, comfortably, the CLI's memory: NDJSON is read line by
// line and sent in batches of --chunk records, each imported in its own
// transaction (one ImportDirectoryStream, in parts under the message limit). After each
// chunk the position is saved in FILE.progress, so an interrupted import
// resumes there; importing a chunk twice is harmless (records are updated
// by id).
//
// Each line is one record, an object with one key naming its kind:
//
//	{"agency": {"id": "AG-01", "name": "…", "region_code": "510104"}}
//	{"officer": {…}}  {"check_item": {…}}  {"enterprise": {…}}
//
// Officers and items must come after their agency (in the same chunk or an
// earlier one): the server checks that the agency exists.

// maxDirectoryLine bounds one line, so that a file that is not NDJSON
// fails on its first line instead of being read whole.
const maxDirectoryLine = 1 << 20

type directoryLine struct {
	Agency     json.RawMessage `json:"agency"`
	Officer    json.RawMessage `json:"officer"`
	Enterprise json.RawMessage `json:"enterprise"`
	CheckItem  json.RawMessage `json:"check_item"`
}

// importProgress is what FILE.progress holds: the file it belongs to (by
// size and modification time) and how far the server has acknowledged.
type importProgress struct {
	Size    int64 `json:"size"`
	ModTime int64 `json:"mod_time_unix_nano"`
	// Target names the store the progress is of: the server's Merkle log
	// key (or its oldest signing key), which replicas of one store share and
	// a server started afresh, or another one, does not. Resuming against
	// another store would skip the part of the file it never received.
	Target string   `json:"target"`
	Offset int64    `json:"offset"`
	Line   int      `json:"line"`
	Done   [4]int32 `json:"done"` // agencies, officers, enterprises, items imported
	// Of the enterprises: new to the directory, held with other content,
	// and repeated within a batch (ImportDirectoryResponse).
	EnterprisesAdded    int32 `json:"enterprises_added,omitempty"`
	EnterprisesChanged  int32 `json:"enterprises_changed,omitempty"`
	EnterprisesRepeated int32 `json:"enterprises_repeated,omitempty"`
	// EnterprisesCompared counts the enterprises of batches the server
	// counted those of (an older server does not, nor did an older command
	// line keep them): the three say what the import changed only if it is
	// all of them.
	EnterprisesCompared int32 `json:"enterprises_compared,omitempty"`
	// Of the officers, as of the enterprises: new, held with other
	// content, and how many of the officers sent were counted so.
	OfficersAdded    int32 `json:"officers_added,omitempty"`
	OfficersChanged  int32 `json:"officers_changed,omitempty"`
	OfficersCompared int32 `json:"officers_compared,omitempty"`
	// Sent is the first and last line of the batch sent and not answered
	// (Ctrl-C, a timeout, the connection or the command line gone): the
	// server may have imported it. Zero when none. It was "尚未导入任何记
	// 录" while the batch was in the store, and a resumed import counted
	// its enterprises as held as they were (an operator's trial,
	// 2026-12-07).
	Sent [2]int `json:"sent"`
}

// importTarget names the store behind the server (importProgress.Target).
func importTarget(ctx context.Context, cc *grpc.ClientConn) (string, error) {
	keys, err := ruqiv1.NewKeyServiceClient(cc).ListPublicKeys(ctx, &ruqiv1.ListPublicKeysRequest{})
	if err != nil {
		return "", fmt.Errorf("读取服务器的公钥失败：%w", err)
	}
	if k := keys.GetLogKey(); k != "" {
		return k, nil
	}
	oldest := ""
	var at time.Time
	for _, k := range keys.GetKeys() {
		if c := k.GetCreatedAt().AsTime(); oldest == "" || c.Before(at) {
			oldest, at = k.GetKeyId(), c
		}
	}
	return oldest, nil
}

func isNDJSON(path string) bool {
	p := strings.ToLower(path)
	return strings.HasSuffix(p, ".ndjson") || strings.HasSuffix(p, ".jsonl")
}

func (a *app) importStream(ctx context.Context, path string, chunk int, restart, showProgress bool) (err error) {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("读取名录文件失败：%w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("读取名录文件失败：%w", err)
	}
	cc, err := a.dial()
	if err != nil {
		return err
	}
	defer cc.Close()
	target, err := importTarget(ctx, cc)
	if err != nil {
		return err
	}
	statePath := path + ".progress"
	var resent [2]int // the lines of a batch an earlier run sent and was not answered
	st := importProgress{Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), Target: target}
	if !restart {
		prev, ok := readImportProgress(statePath)
		if ok && (prev.Size != st.Size || prev.ModTime != st.ModTime) {
			// Said, not silent: an operator who corrected a line
			// expected the import to go on where it stopped.
			fmt.Fprintf(a.stderr, "名录文件在 %s 记下的进度之后有改动（大小或修改时间不同）：从头导入（已导入的记录按编号更新，不会重复）\n", statePath)
		}
		if ok && prev.Size == st.Size && prev.ModTime == st.ModTime {
			if prev.Target != target {
				return fmt.Errorf("%s 记录的是导入另一台服务器（或已重建的数据）的进度：继续导入会漏掉前面的记录。请加 --restart 从头导入", statePath)
			}
			st = prev
			if _, err := f.Seek(st.Offset, io.SeekStart); err != nil {
				return fmt.Errorf("读取名录文件失败：%w", err)
			}
			fmt.Fprintf(a.stderr, "从第 %d 行继续导入（上次已导入的部分记录在 %s；从头导入请加 --restart）\n", st.Line+1, statePath)
			if resent = st.Sent; resent != ([2]int{}) {
				fmt.Fprintf(a.stderr, "上次中断时第 %d–%d 行这一批已发出但未收到应答，服务器可能已经导入：本次重新发送（按编号更新，不会重复）\n", resent[0], resent[1])
			}
		}
	}
	var prog sim.Progress
	if showProgress {
		bar := sim.NewBar(a.stderr)
		bar.Start("导入名录（KiB）", int(st.Size/1024))
		bar.Add(int(st.Offset / 1024))
		defer bar.Done()
		prog = bar
	}

	// One goroutine sends the batches in order while the file is read into
	// the next one: reading and parsing a batch (about a quarter of an
	// import's time) overlaps the server's writing of the one before. The
	// position saved for resuming moves only past a batch the server has
	// imported.
	batches := make(chan importBatch, 1)
	sent := make(chan error, 1)
	// Once the sender runs, every way out says what the store holds of the
	// file and how to go on (a refused batch, a bad line, Ctrl-C, a server
	// gone): st is the sender's until it has stopped, which every return
	// below waits for.
	defer func() {
		var empty emptyDirectory
		if err != nil && !errors.As(err, &empty) {
			a.afterError = importedSoFar(path, statePath, st)
		}
	}()
	go func() {
		for b := range batches {
			if err := ctx.Err(); err != nil {
				sent <- err // Ctrl-C before this batch went: not sent
				return
			}
			// Kept before it goes, so that a command line killed while
			// it waits leaves the batch said as sent.
			st.Sent = [2]int{b.first, b.line}
			if err := writeImportProgress(statePath, st); err != nil {
				st.Sent = [2]int{} // it did not go
				sent <- err
				return
			}
			resp, err := a.importChunk(ctx, cc, b.batch)
			if err != nil {
				if !answerUnknown(ctx, err) {
					// Refused: nothing of it was written. Should the
					// progress not say so, a resumed import says the
					// batch may have been imported, which errs safe; the
					// refusal is what the operator must read.
					st.Sent = [2]int{}
					if werr := writeImportProgress(statePath, st); werr != nil {
						fmt.Fprintln(safeWriter{a.stderr}, werr)
					}
					err = b.refused(path, err)
				} else if ctx.Err() != nil {
					err = ctx.Err() // Ctrl-C: said as such
				}
				sent <- err
				return
			}
			st.Sent = [2]int{}
			st.Done[0] += resp.GetAgencies()
			st.Done[1] += resp.GetOfficers()
			st.Done[2] += resp.GetEnterprises()
			st.Done[3] += resp.GetCheckItems()
			st.EnterprisesAdded += resp.GetEnterprisesAdded()
			st.EnterprisesChanged += resp.GetEnterprisesChanged()
			st.EnterprisesRepeated += resp.GetEnterprisesRepeated()
			if resp.GetEnterprisesCompared() {
				st.EnterprisesCompared += resp.GetEnterprises()
			}
			st.OfficersAdded += resp.GetOfficersAdded()
			st.OfficersChanged += resp.GetOfficersChanged()
			if resp.GetOfficersCompared() {
				st.OfficersCompared += resp.GetOfficers()
			}
			b.sayRepeated(safeWriter{a.stderr}, path, resp)
			if prog != nil {
				prog.Add(int(b.offset/1024 - st.Offset/1024))
			}
			st.Offset, st.Line = b.offset, b.line
			if err := writeImportProgress(statePath, st); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	finish := func() error { close(batches); return <-sent }

	r := bufio.NewReaderSize(f, 64<<10)
	line, offset := st.Line, st.Offset
	batch := importBatch{batch: &ruqiv1.Directory{}, first: line + 1}
	send := func() error {
		if batch.records() == 0 {
			return nil
		}
		batch.line, batch.offset = line, offset
		select {
		case batches <- batch:
		case err := <-sent: // the sender stopped on an error
			return err
		}
		batch = importBatch{batch: &ruqiv1.Directory{}, first: line + 1}
		return nil
	}
	for {
		raw, err := readLine(r)
		if errors.Is(err, io.EOF) && len(raw) == 0 {
			break
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return errors.Join(fmt.Errorf("名录文件第 %d 行：%w", line+1, err), finish())
		}
		line++
		offset += int64(len(raw))
		// A byte order mark, as Windows' Notepad and Excel's "UTF-8" put
		// before the text of a UTF-8 file: the first line was refused with
		// "invalid character 'ï' looking for beginning of value" (an
		// operator's trial, 2026-12-07), and so was the first line of the
		// second file of two joined with cat (another, the same day).
		t := bytes.TrimPrefix(raw, utf8BOM)
		if len(bytes.TrimSpace(t)) > 0 {
			// Leading spaces kept: the columns a fault is said at are
			// the line's (a review, 2026-12-07).
			if err := batch.add(bytes.TrimRight(t, " \t\r\n"), line); err != nil {
				return errors.Join(fmt.Errorf("名录文件 %s 第 %d 行：%w", path, line, err), finish())
			}
		}
		if batch.records() >= chunk {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if err := send(); err != nil {
		return err
	}
	if err := finish(); err != nil {
		return err
	}
	if st.Line == 0 {
		// Nothing read, from the start: an empty file was "已导入名录。"
		// with every count 0 (an operator's trial, 2026-12-07).
		return emptyDirectory(path)
	}
	if err := os.Remove(statePath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("删除导入进度文件失败：%w", err)
	}
	if prog != nil {
		prog.Done()
	}
	a.printer().Imported(&ruqiv1.Directory{}, &ruqiv1.ImportDirectoryResponse{
		Agencies: st.Done[0], Officers: st.Done[1], Enterprises: st.Done[2], CheckItems: st.Done[3],
		EnterprisesAdded: st.EnterprisesAdded, EnterprisesChanged: st.EnterprisesChanged, EnterprisesRepeated: st.EnterprisesRepeated,
		EnterprisesCompared: st.EnterprisesCompared == st.Done[2],
		OfficersAdded:       st.OfficersAdded, OfficersChanged: st.OfficersChanged, OfficersCompared: st.OfficersCompared == st.Done[1]})
	if resent != ([2]int{}) && (st.EnterprisesCompared == st.Done[2] || st.OfficersCompared == st.Done[1]) {
		fmt.Fprintf(a.stderr, "注：第 %d–%d 行这一批在上次中断时可能已经导入；若是，其中新增或变更的企业和执法人员上面计为未变\n", resent[0], resent[1])
	}
	return nil
}

// answerUnknown says whether a batch whose call ended in err may have been
// imported all the same: the call was cancelled (Ctrl-C), timed out, or its
// connection went before the answer came. A status the server gave (a
// refused record, a denied caller, a store it could not write) says it was
// not.
func answerUnknown(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}
	st, ok := status.FromError(err)
	if !ok {
		return true
	}
	switch st.Code() {
	case codes.Canceled, codes.DeadlineExceeded, codes.Unavailable, codes.Unknown:
		return true
	}
	return false
}

// sayRepeated names, by their lines and USCC (the file's, not the
// server's words), the enterprises of the batch whose USCC came earlier in
// it (the server kept the later record). A USCC repeated in two batches is
// not found: each batch is counted against what the store holds when it
// arrives, and the later record is kept all the same.
func (b *importBatch) sayRepeated(w io.Writer, path string, resp *ruqiv1.ImportDirectoryResponse) {
	lines, ents := b.lines[domain.RecordEnterprise], b.batch.GetEnterprises()
	named := 0
	for _, r := range resp.GetRepeatedEnterprises() {
		if i, j := int(r.GetIndex()), int(r.GetEarlierIndex()); i >= 0 && i < len(lines) && i < len(ents) && j >= 0 && j < len(lines) {
			fmt.Fprintf(w, "名录文件 %s 第 %d 行：统一社会信用代码 %s 与第 %d 行相同，以第 %d 行为准\n", path, lines[i], ents[i].GetUscc(), lines[j], lines[i])
			named++
		}
	}
	if more := int(resp.GetEnterprisesRepeated()) - named; more > 0 {
		fmt.Fprintf(w, "名录文件 %s 第 %d–%d 行这一批另有 %d 条企业记录的统一社会信用代码与本批前面的记录相同，以后者为准\n", path, b.first, b.line, more)
	}
}

// emptyDirectory refuses a directory file without a record: a wrong
// export, which was said as imported.
type emptyDirectory string

func (path emptyDirectory) Error() string {
	return fmt.Sprintf("名录文件 %s 中没有任何记录：未导入任何内容", string(path))
}

// utf8BOM is the byte order mark some programs write before UTF-8 text.
var utf8BOM = []byte("\xEF\xBB\xBF")

// importBatch is one batch of an NDJSON directory with the lines its
// records came from, so that a record the server refuses is named by its
// line (its ErrorInfo names the kind and the place in the batch:
// service.directoryFault).
type importBatch struct {
	batch *ruqiv1.Directory
	lines map[string][]int // record kind → the line of each record of that kind, in order
	first int              // the batch's first line
	line  int              // its last line
	// offset is where the file goes on after it.
	offset int64
}

func (b *importBatch) records() int {
	n := 0
	for _, l := range b.lines {
		n += len(l)
	}
	return n
}

// add reads the record of one line into the batch.
func (b *importBatch) add(raw []byte, line int) error {
	d := b.batch
	before := [4]int{len(d.Agencies), len(d.Officers), len(d.Enterprises), len(d.CheckItems)}
	if err := addDirectoryLine(d, raw); err != nil {
		return err
	}
	if b.lines == nil {
		b.lines = map[string][]int{}
	}
	for i, kind := range []string{domain.RecordAgency, domain.RecordOfficer, domain.RecordEnterprise, domain.RecordCheckItem} {
		if after := [4]int{len(d.Agencies), len(d.Officers), len(d.Enterprises), len(d.CheckItems)}[i]; after > before[i] {
			b.lines[kind] = append(b.lines[kind], line)
		}
	}
	return nil
}

// refused says why the server did not import the batch: a record it
// refused by the line of the file it is on, anything else by the batch's
// lines. A status stays a status (its code and reason are printed as any
// call's), with the file's place before the server's words; it was
// "第 6000 行之前的一批（2000 条）导入失败：rpc error: code = InvalidArgument
// desc = 行政区划代码应为6位数字：\"\"", which named neither the record nor
// its line (an operator's trial, 2026-12-07).
func (b *importBatch) refused(path string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return fmt.Errorf("名录文件 %s 第 %d–%d 行这一批（%d 条）导入失败：%w", path, b.first, b.line, b.records(), err)
	}
	return placeRefusal(st, fmt.Sprintf("名录文件 %s 第 %d–%d 行这一批（%d 条）未导入", path, b.first, b.line, b.records()),
		func(record string, i int) (string, bool) {
			if i >= len(b.lines[record]) {
				return "", false
			}
			return fmt.Sprintf("名录文件 %s 第 %d 行", path, b.lines[record][i]), true
		})
}

// recordKinds are the directory's kinds of record as a reader names them.
var recordKinds = map[string]string{
	domain.RecordAgency: "执法部门", domain.RecordOfficer: "执法人员", domain.RecordEnterprise: "企业", domain.RecordCheckItem: "检查事项",
}

// refusedInFile says a refusal of a JSON directory file by the place of the
// record in it: the server's ErrorInfo names the kind and the index from
// 0, which was printed as "index=300，record=enterprise" (an operator's
// trial, 2026-12-07).
func refusedInFile(path string, err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	return placeRefusal(st, "", func(record string, i int) (string, bool) {
		kind, ok := recordKinds[record]
		if !ok {
			return "", false
		}
		return fmt.Sprintf("名录文件 %s 中第 %d 条%s记录", path, i+1, kind), true
	})
}

// placeRefusal puts before a refusal's message where in the file the
// record it names is (at, from the ErrorInfo's record and index), or
// otherwise (where not empty). A status stays a status, its code and
// reason printed as any call's.
func placeRefusal(st *status.Status, otherwise string, at func(record string, index int) (string, bool)) error {
	info := errorInfo(st)
	if info == nil {
		return st.Err() // gRPC's own (the connection, Ctrl-C): printError says it in Chinese
	}
	where := otherwise
	md := info.GetMetadata()
	if i, err := strconv.Atoi(md["index"]); err == nil && i >= 0 {
		if w, ok := at(md["record"], i); ok {
			where = w
			info = proto.CloneOf(info)
			delete(info.Metadata, "record") // said by the place
			delete(info.Metadata, "index")
		}
	}
	if where == "" {
		return st.Err()
	}
	p := st.Proto()
	p.Message = where + "：" + p.GetMessage()
	for i, d := range p.GetDetails() {
		if d.MessageIs(info) {
			if a, err := anypb.New(info); err == nil {
				p.Details[i] = a
			}
		}
	}
	return status.ErrorProto(p)
}

// importedSoFar says, after an import stopped, how far the store holds
// the file and how to go on.
func importedSoFar(path, statePath string, st importProgress) string {
	if st.Sent != ([2]int{}) {
		// The batch after the acknowledged lines (st.Sent[0] is st.Line+1).
		if st.Line == 0 {
			return fmt.Sprintf("名录文件 %s 第 %d–%d 行这一批已发出但未收到应答，服务器可能已经导入；之后的行尚未导入。进度记在 %s；"+
				"文件不变时再次运行同一命令即从第 %d 行起重新发送这一批（按编号更新，不会重复）。\n",
				path, st.Sent[0], st.Sent[1], statePath, st.Line+1)
		}
		return fmt.Sprintf("已导入名录文件 %s 的前 %d 行（执法部门 %d、执法人员 %d、企业 %d、检查事项 %d）；第 %d–%d 行这一批已发出但未收到应答，服务器可能已经导入；之后的行尚未导入。进度记在 %s；"+
			"文件不变时再次运行同一命令即从第 %d 行继续（这一批重新发送，按编号更新，不会重复）。\n",
			path, st.Line, st.Done[0], st.Done[1], st.Done[2], st.Done[3], st.Sent[0], st.Sent[1], statePath, st.Line+1)
	}
	if st.Line == 0 {
		return fmt.Sprintf("名录文件 %s 尚未导入任何记录。\n", path)
	}
	return fmt.Sprintf("已导入名录文件 %s 的前 %d 行（执法部门 %d、执法人员 %d、企业 %d、检查事项 %d），第 %d 行起未导入；进度记在 %s。"+
		"文件不变时再次运行同一命令即从第 %d 行继续；改正文件后再运行则从头导入（已导入的记录按编号更新，不会重复）。\n",
		path, st.Line, st.Done[0], st.Done[1], st.Done[2], st.Done[3], st.Line+1, statePath, st.Line+1)
}

// importChunk imports one batch in one transaction: streamed in parts under
// the server's message size, as ruqi admin import does a JSON file.
func (a *app) importChunk(ctx context.Context, cc *grpc.ClientConn, d *ruqiv1.Directory) (*ruqiv1.ImportDirectoryResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	stream, err := ruqiv1.NewDirectoryServiceClient(cc).ImportDirectoryStream(ctx)
	if err != nil {
		return nil, err
	}
	for _, part := range sim.ChunkDirectory(d) {
		if err := stream.Send(&ruqiv1.ImportDirectoryStreamRequest{Part: part}); err != nil {
			break // the server's reason comes with CloseAndRecv
		}
	}
	resp, err := stream.CloseAndRecv()
	if err != nil {
		return nil, err
	}
	return resp.GetImported(), nil
}

// readLine reads one line with its end, at most maxDirectoryLine bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		part, err := r.ReadSlice('\n')
		out = append(out, part...)
		if len(out) > maxDirectoryLine {
			return nil, fmt.Errorf("一行超过 %d 字节：不是每行一条记录的 NDJSON", maxDirectoryLine)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return out, err
		}
	}
}

func addDirectoryLine(d *ruqiv1.Directory, raw []byte) error {
	// The caller names the file and the line (the record).
	if off := firstNotUTF8(raw); off >= 0 {
		_, col := textPosition(raw, off)
		return fmt.Errorf("第 %d 列%s%s", col, notUTF8At(raw, off), notUTF8Advice)
	}
	var l directoryLine
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return fmt.Errorf("格式错误（每行应为 {\"agency\"|\"officer\"|\"check_item\"|\"enterprise\": {…}}）：%s", lineFault(raw, err))
	}
	// Nothing may follow the record on its line: two files joined with
	// cat, the first without a final newline, put two records on one line,
	// and the second must not be dropped unseen.
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("一行有多于一条记录，或记录后还有其他内容：每行只能有一条记录（两个文件拼接时，前一个文件末尾可能缺少换行）")
	}
	if mayRepeatKey(raw) {
		if k, ok := repeatedKey(raw); ok {
			// encoding/json keeps the later of two same keys: the first
			// record would be dropped unseen (a review, 2026-12-07).
			return fmt.Errorf("%s 在一行中出现两次：每行只能有一条记录", k)
		}
	}
	kind := 0
	for _, v := range []json.RawMessage{l.Agency, l.Officer, l.Enterprise, l.CheckItem} {
		if v != nil {
			kind++
		}
	}
	if kind != 1 {
		return errors.New("每行应恰好有一条记录：agency、officer、check_item 或 enterprise 之一")
	}
	switch {
	case l.Agency != nil:
		return appendRecord(&d.Agencies, raw, l.Agency, &ruqiv1.Agency{})
	case l.Officer != nil:
		return appendRecord(&d.Officers, raw, l.Officer, &ruqiv1.Officer{})
	case l.Enterprise != nil:
		return appendRecord(&d.Enterprises, raw, l.Enterprise, &ruqiv1.Enterprise{})
	default:
		return appendRecord(&d.CheckItems, raw, l.CheckItem, &ruqiv1.CheckItem{})
	}
}

// directoryKeys are the keys a line's object may hold, quoted and folded
// as encoding/json matches them (upper case).
var directoryKeys = [][]byte{[]byte(`"AGENCY"`), []byte(`"OFFICER"`), []byte(`"ENTERPRISE"`), []byte(`"CHECK_ITEM"`)}

// mayRepeatKey says whether a line could hold a key twice: the token walk
// of repeatedKey (a quarter of a line's parsing) is taken only then, not
// on each of a province's 3.8 million lines. Unknown keys are refused
// before; a known one matches its field in any case, folded as
// encoding/json folds it; an escape (\u0065nterprise) may spell one, so
// a line with a backslash is walked.
func mayRepeatKey(line []byte) bool {
	if bytes.IndexByte(line, '\\') >= 0 {
		return true
	}
	folded := bytes.ToUpper(bytes.ToLower(line))
	for _, k := range directoryKeys {
		if bytes.Count(folded, k) > 1 {
			return true
		}
	}
	return false
}

// repeatedKey is a key the line's object (already decoded, so well formed)
// holds twice, if any.
func repeatedKey(line []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(line))
	if _, err := dec.Token(); err != nil { // {
		return "", false
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		k, ok := t.(string)
		if err != nil || !ok {
			return "", false
		}
		if seen[k] {
			return k, true
		}
		seen[k] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", false
		}
	}
	return "", false
}

// appendRecord reads rec, the record within the line, into m and only then
// appends it: a line that fails adds nothing to the batch. A place in the
// record is said as the line's column: it was "第 1 行：格式错误：第 1 行第
// 63 列" for the value at column 78 of line 1, the record's own line and
// column (an operator's trial, 2026-12-07).
func appendRecord[T proto.Message](list *[]T, line []byte, rec json.RawMessage, m T) error {
	if err := protojson.Unmarshal(rec, m); err != nil {
		before := 0 // the line's columns before the record
		// The last match: the record is the value after its key, and
		// the later of two same keys is the one decoded.
		if i := bytes.LastIndex(line, rec); i >= 0 {
			before = utf8.RuneCount(line[:i])
		}
		return fmt.Errorf("格式错误：%s", jsonFaultAt(rec, err, func(_, col int) string { return fmt.Sprintf("第 %d 列", before+col) }))
	}
	*list = append(*list, m)
	return nil
}

func readImportProgress(path string) (importProgress, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return importProgress{}, false
	}
	var p importProgress
	if json.Unmarshal(b, &p) != nil {
		return importProgress{}, false
	}
	return p, true
}

// writeImportProgress replaces the file durably: a crash or a power cut
// leaves the old position or the new one, never an empty or half a file.
// The sync per chunk is one among the server's thousands for the chunk.
func writeImportProgress(path string, p importProgress) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := durable.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("保存导入进度失败：%w", err)
	}
	return nil
}
