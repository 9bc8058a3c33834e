package sample

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// WriteNDJSON writes d one record per line, as `ruqi admin import` streams
// it: {"agency": {…}}, then check items, officers and enterprises, so that
// every record comes after the agency it names.
func WriteNDJSON(w io.Writer, d *ruqiv1.Directory) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	var compact bytes.Buffer
	line := func(kind string, m proto.Message) error {
		b, err := protojson.Marshal(m)
		if err != nil {
			return err
		}
		// protojson varies its spacing on purpose; compacted, the same
		// directory gives the same bytes.
		compact.Reset()
		if err := json.Compact(&compact, b); err != nil {
			return err
		}
		bw.WriteString(`{"` + kind + `":`)
		bw.Write(compact.Bytes())
		_, err = bw.WriteString("}\n")
		return err
	}
	for _, a := range d.GetAgencies() {
		if err := line("agency", a); err != nil {
			return err
		}
	}
	for _, c := range d.GetCheckItems() {
		if err := line("check_item", c); err != nil {
			return err
		}
	}
	for _, o := range d.GetOfficers() {
		if err := line("officer", o); err != nil {
			return err
		}
	}
	for _, e := range d.GetEnterprises() {
		if err := line("enterprise", e); err != nil {
			return err
		}
	}
	return bw.Flush()
}
