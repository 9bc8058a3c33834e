package cli

import "errors"

// listPageSize is the page the CLI asks for: the server's largest, so that
// following the pages takes few round trips.
const listPageSize = 500

// allPages calls page with each next_page_token until the list ends, so a
// command shows the whole list, as it did before the lists were paged.
func allPages(page func(token string) (next string, err error)) error {
	token := ""
	for {
		next, err := page(token)
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		if next == token {
			// A server that answers the same page again would keep us here forever.
			return errors.New("服务器重复返回同一页，列表未取完，请稍后重试")
		}
		token = next
	}
}
