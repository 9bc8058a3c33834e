// Package webtest tests the web pages in headless Chromium against the real
// server binary: the verify page on a phone-sized viewport, signed in as an
// enterprise through the page's own form, and the 司法局 dashboard with its
// report, charts, leads and CSV export. Each test saves screenshots to
// RUQI_ARTIFACTS_DIR (default artifacts/ at the repository root).
//
// Chromium is found at RUQI_CHROMIUM, or as chromium, chromium-browser or
// google-chrome on PATH. Without it the tests skip, except with CI=true,
// where a missing browser is a failure: CI must not pass by testing nothing.
package webtest
