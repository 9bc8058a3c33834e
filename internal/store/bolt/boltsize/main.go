// Command boltsize prints where the bytes of a ruqi bbolt file are: for each
// bucket its keys, the bytes of its keys and values, the pages it holds and
// how full they are. It opens the file read-only (stop the server first, or
// run it on a copy).
//
//	go run ./internal/store/bolt/boltsize ruqi.db
package main

import (
	"fmt"
	"os"
	"sort"
	"text/tabwriter"
	"time"

	bbolt "go.etcd.io/bbolt"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: boltsize FILE")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "boltsize:", err)
		os.Exit(1)
	}
}

type row struct {
	name            string
	keys            int
	kv, pages, used int64
}

func run(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	db, err := bbolt.Open(path, 0o400, &bbolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	var rows []row
	var plans int
	err = db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			r := row{name: string(name)}
			if err := b.ForEach(func(k, v []byte) error {
				r.keys++
				r.kv += int64(len(k) + len(v))
				return nil
			}); err != nil {
				return err
			}
			st := b.Stats()
			r.pages = int64(st.BranchAlloc + st.LeafAlloc + st.InlineBucketInuse)
			r.used = int64(st.BranchInuse + st.LeafInuse + st.InlineBucketInuse)
			if r.name == "inspections" {
				plans = r.keys
			}
			rows = append(rows, r)
			return nil
		})
	})
	if err != nil {
		return err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].pages > rows[j].pages })
	per := func(n int64) string {
		if plans == 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f", float64(n)/float64(plans))
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "bucket\tkeys\tkey+value B\tpages B\tfull %\tpages B/plan\t")
	var tk int
	var tkv, tp, tu int64
	for _, r := range rows {
		full := 0.0
		if r.pages > 0 {
			full = 100 * float64(r.used) / float64(r.pages)
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%.0f\t%s\t\n", r.name, r.keys, r.kv, r.pages, full, per(r.pages))
		tk, tkv, tp, tu = tk+r.keys, tkv+r.kv, tp+r.pages, tu+r.used
	}
	fmt.Fprintf(w, "all buckets\t%d\t%d\t%d\t%.0f\t%s\t\n", tk, tkv, tp, 100*float64(tu)/float64(max(tp, 1)), per(tp))
	fmt.Fprintf(w, "file\t\t\t%d\t\t%s\t\n", fi.Size(), per(fi.Size()))
	fmt.Fprintf(w, "plans (inspections)\t%d\t\t\t\t\t\n", plans)
	return w.Flush()
}
