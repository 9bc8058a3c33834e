package service_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A USCC three times in one import is named each time beside the record
// just before it: lines 1, 3 and 6 read "第 6 行…与第 1 行相同" (an
// operator's trial, 2026-12-07).
func TestImportDirectory_RepeatNamedBesideTheOneBefore(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	a, b := e.dir.GetEnterprises()[0], e.dir.GetEnterprises()[1]
	list := []*ruqiv1.Enterprise{a, b, proto.CloneOf(a), b, b, proto.CloneOf(a)}
	resp, err := ruqiv1.NewDirectoryServiceClient(e.cc).ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{Directory: &ruqiv1.Directory{Enterprises: list}})
	if err != nil {
		t.Fatal(err)
	}
	var got [][2]int32
	for _, r := range resp.GetRepeatedEnterprises() {
		got = append(got, [2]int32{r.GetIndex(), r.GetEarlierIndex()})
	}
	if want := [][2]int32{{2, 0}, {3, 1}, {4, 3}, {5, 2}}; !reflect.DeepEqual(got, want) || resp.GetEnterprisesRepeated() != 4 {
		t.Errorf("repeats (place, the one before): %v, %d; want %v, 4", got, resp.GetEnterprisesRepeated(), want)
	}
}
