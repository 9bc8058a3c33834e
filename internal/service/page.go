package service

import (
	"encoding/base64"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
)

// Paging of the lists that grow with a province (Google AIP-158).
const (
	// defaultPageSize is a page when the request asks for none (page_size 0).
	defaultPageSize = 100
	// maxPageSize bounds a page; a larger page_size is read as this.
	maxPageSize = 500
	// maxPageReads bounds the store pages one call reads while filters
	// (a supervisor's region, a lead status) drop records: a call never
	// walks the whole list. A page cut short by it still carries a
	// next_page_token, as AIP-158 allows.
	maxPageReads = 10
	// pageTokenPrefix marks our tokens, so that a token from elsewhere or
	// a truncated one is refused rather than read as a position.
	pageTokenPrefix = "p1:"
	// maxPageKey bounds the position a token names: ids, which are far
	// shorter.
	maxPageKey = 256
)

// page is a parsed page_size and page_token.
type page struct {
	size  int
	after string // the store key of the last record already returned
}

// parseLimit reads a list's limit (ListEvents, ListReceipts): 0 is the
// bound, more is cut to it, and a negative one is refused as a negative
// page_size is; it was read as none given (a red-team trial, 2026-12-06).
func parseLimit(limit int32, bound int) (int, error) {
	switch {
	case limit < 0:
		return 0, domain.Invalidf("LIMIT_NEGATIVE", "条数上限不能为负数，收到 %d", limit)
	case limit == 0 || int(limit) > bound:
		return bound, nil
	}
	return int(limit), nil
}

// parsePage reads a request's page_size and page_token.
func parsePage(size int32, token string) (page, error) {
	p := page{size: int(size)}
	switch {
	case size < 0:
		return page{}, domain.Invalidf("PAGE_SIZE_NEGATIVE", "每页条数不能为负数，收到 %d", size)
	case size == 0:
		p.size = defaultPageSize
	case size > maxPageSize:
		p.size = maxPageSize
	}
	if token == "" {
		return p, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	after, ok := strings.CutPrefix(string(raw), pageTokenPrefix)
	// The position reaches the store as a key, in a PostgreSQL query too:
	// a forged one that is not text (NUL, invalid UTF-8) would fail there,
	// as an internal error, instead of here.
	if err != nil || !ok || after == "" || len(after) > maxPageKey || !utf8.ValidString(after) || strings.ContainsFunc(after, unicode.IsControl) {
		return page{}, domain.Invalidf("PAGE_TOKEN_MALFORMED", "翻页标记无效，请从第一页重新查询")
	}
	p.after = after
	return p, nil
}

// pageToken is the opaque token for the page after key.
func pageToken(key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pageTokenPrefix + key))
}

// fillPage reads store pages from p.after, keeps the records keep accepts
// and stops when the page is full, the list ends or maxPageReads store pages
// were read. It returns the page and the token of the next one ("" at the
// end of the list).
func fillPage[T any](p page, read func(store.Page) ([]T, error), key func(T) string, keep func(T) (bool, error)) ([]T, string, error) {
	batch := max(p.size, defaultPageSize)
	after := p.after
	var out []T
	for range maxPageReads {
		list, err := read(store.Page{After: after, Limit: batch})
		if err != nil {
			return nil, "", err
		}
		for i, rec := range list {
			after = key(rec)
			ok, err := keep(rec)
			if err != nil {
				return nil, "", err
			}
			if !ok {
				continue
			}
			out = append(out, rec)
			if len(out) == p.size {
				if i == len(list)-1 && len(list) < batch {
					return out, "", nil // full, and the list ended with it
				}
				return out, pageToken(after), nil
			}
		}
		if len(list) < batch {
			return out, "", nil
		}
	}
	return out, pageToken(after), nil
}

// agencyFilter checks the agency a list or a summary is narrowed to (its
// agency_id; empty: no filter), as a registration's agency is checked:
// INVALID_ARGUMENT ID_MALFORMED for what no agency id can be (over 64
// characters, another alphabet), NOT_FOUND AGENCY_UNKNOWN for an agency the
// directory does not hold. Unchecked, a mistyped or unknown agency answered
// an empty list or a summary of nothing, which reads as "no leads" or "no
// evaluations" (a trial of bad input, 2026-12-06). The id has been
// normalised (full-width folded, upper-case) by domain.NormalizeRequest.
func agencyFilter(r store.Reader, id string) error {
	if id == "" {
		return nil
	}
	if err := domain.ValidateID("执法部门编号", id); err != nil {
		return err
	}
	if _, err := r.Agency(id); err != nil {
		return notFound(err, "AGENCY_UNKNOWN", "执法部门 %s 不存在，请核对部门编号", id)
	}
	return nil
}
