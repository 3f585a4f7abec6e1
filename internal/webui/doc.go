// Package webui is Shoal's web UI: a small page (one HTML file, one
// script, one stylesheet, no framework and no build step) embedded in the
// binary and served under /ui/ on the HTTP listener when [http] web_ui is
// true, as Iggy serves its Web UI. The page talks only to the REST API of
// internal/httpapi on the same origin: it logs in for a JWT, lists and
// creates streams and topics, sends messages and browses them by offset,
// and shows the API's error reason when a request is refused.
//
// Handler wraps the API's handler: it answers GET and HEAD under /ui
// (index.html for /ui, /ui/ and any path without a dot, as a single-page
// app's routes; 404 for an unknown file) and passes every other path on.
// The files are served with a strong ETag, a Content-Security-Policy that
// allows only same-origin scripts, styles and requests, and nosniff.
//
// Goroutines: none; Handler runs on net/http's. Imports: the standard
// library only.
package webui
